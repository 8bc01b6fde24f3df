"""`vaultsync.doctor`: the vault check of `commands.doctor` with the promises of `vaultsync doctor`: the
vault must be a folder, and repairing holds the vault's one-writer lock, as an import does, so it waits
for (or refuses to run beside) a `watch` or an import."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

from vaultsync.api import existing_vault, writer
from vaultsync.commands.doctor import Report
from vaultsync.commands.doctor import doctor as check

LOCK_WAIT = 10.0  # seconds `doctor --fix` waits for another vaultsync writing to the vault


def doctor(
    vault: str | os.PathLike[str],
    fix: bool = False,
    *,
    wait: float = LOCK_WAIT,
    on_wait: Callable[[str], None] | None = None,
    on_take_over: Callable[[str], None] | None = None,
) -> Report:
    """Check `vault` against the vault contract, as `vaultsync doctor` does; with `fix`, repair what can be
    repaired, holding the vault's lock (`wait`, `on_wait`, `on_take_over`: see `api.writer`). Raises
    ArgumentError (no vault folder), lock.VaultBusy, or StateError (a state store that cannot be read)."""
    root = Path(vault).expanduser()
    existing_vault(root)
    with writer(root, "doctor", wait, on_wait, on_take_over) if fix else nullcontext():
        return check(root, fix=fix)
