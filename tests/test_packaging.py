"""What ships with vaultsync: the MIT license pyproject.toml names, in the repository, the sdist and the installed
package."""

from __future__ import annotations

import tomllib
from importlib.metadata import distribution

from conftest import REPO


def test_the_mit_license_ships_in_the_repository_the_sdist_and_the_installed_package():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    license_text = (REPO / "LICENSE").read_text()
    assert project["project"]["license"] == "MIT" and license_text.startswith("MIT License\n")
    assert "Copyright (c) the vaultsync authors" in license_text
    assert "LICENSE" in project["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    installed = distribution("vaultsync")
    assert installed.metadata["License-Expression"] == "MIT" and installed.metadata["License-File"] == "LICENSE"
    [shipped] = [file for file in installed.files or [] if file.name == "LICENSE"]
    assert shipped.locate().read_text() == license_text
