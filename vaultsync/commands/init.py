"""`vaultsync init`: a commented settings file (`settings.default_text`) and the default templates of the
vault's flavor written into `VAULT/.vaultsync/`, for the user to edit; files already there are kept. With
`hide_stamp` (Logseq), the graph's `logseq/config.edn` is edited to hide vaultsync's `vaultsync::` stamp
property; nothing else in it changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vaultsync.api import ArgumentError, check_vault
from vaultsync.flavors import resolve
from vaultsync.flavors.layout import Layout
from vaultsync.flavors.logseq.graph import CONFIG, hide_property
from vaultsync.flavors.logseq.page import CHECKSUM_KEY
from vaultsync.pipeline.render import default_templates
from vaultsync.settings import FILE, default_text
from vaultsync.storage.vault import STATE_DIR


@dataclass(frozen=True)
class Initialised:
    """What `init` did: the flavor chosen (and why), each file with whether it was written (else kept: it
    exists), and the `source` it set."""

    kind: str
    reason: str
    files: list[tuple[Path, bool]]
    source: str

    def describe(self) -> str:
        """As `vaultsync init` prints it."""
        lines = [f"{self.kind} ({self.reason})"]
        for path, written in self.files:
            hint = f' — set source = "{self.source}" in it yourself' if self.source and path.name == FILE.name else ""
            lines.append(f"written: {path}" if written else f"kept (it exists): {path}{hint}")
        lines.append("Edit them; `import` and `watch` use them from now on (command-line options still win).")
        return "\n".join(lines)


def init(
    vault: str | os.PathLike[str],
    flavor: str | None = None,
    source: str | os.PathLike[str] | None = None,
    hide_stamp: bool = False,
) -> Initialised:
    """Write the settings file (with `flavor`, auto-detected if None, and `source`) and the default templates
    into the vault's `.vaultsync/` folder, keeping those there. Raises ArgumentError, having written
    nothing, for a vault that is a file, a `source` that is no folder, an unknown flavor, or `hide_stamp`
    for an Obsidian vault."""
    root = Path(vault)
    check_vault(root)
    where = Path(source).expanduser() if source is not None else None
    if where is not None and not where.is_dir():
        raise ArgumentError(f"--source {source} is not a folder — give the folder the digests land in")
    try:
        chosen, reason = resolve(flavor or "auto", root, Layout())
    except ValueError as error:
        raise ArgumentError(str(error)) from None
    if hide_stamp and not chosen.hides_stamp:
        raise ArgumentError(
            "--hide-stamp is for Logseq graphs (with logseq/config.edn): an Obsidian note's stamp is a comment"
        )
    folder = root / STATE_DIR
    written = str(where.absolute()) if where else ""
    files = {root / FILE: default_text(chosen.name, written)}
    defaults = default_templates() / chosen.templates
    files |= {folder / "templates" / template.name: template.read_text() for template in sorted(defaults.glob("*.j2"))}
    done = []
    for path, text in files.items():
        done.append((path, not path.exists()))
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return Initialised(chosen.kind, reason, done, written)


def hide_stamp(vault: str | os.PathLike[str]) -> str:
    """Hide vaultsync's stamp property in the Logseq graph's `logseq/config.edn`; the line saying so.
    Raises ConfigNotEdited when the file cannot be edited safely."""
    root = Path(vault)
    added = hide_property(root, CHECKSUM_KEY)
    return f"{'hidden' if added else 'already hidden'}: :{CHECKSUM_KEY} in :block-hidden-properties of {root / CONFIG}"
