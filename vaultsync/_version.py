"""The version of vaultsync (one place: the package metadata and the stamp in every note read it)."""

__version__ = "0.1.0"
