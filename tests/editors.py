"""Editors saving notes the way real ones do, as separate processes racing a `vaultsync import`.

    python editors.py hold NOTE TEXT      truncate NOTE (as Node's fs.writeFile opens it), print "truncated",
                                          wait for a line on stdin, then write TEXT into the file it opened
    python editors.py late NOTE TEXT HOW [PAUSE]
                                          start saving TEXT into NOTE, print "started", and finish the save only
                                          once an import has replaced the note (the file at NOTE is no longer
                                          the one being written) and PAUSE seconds more: HOW is "slow" (truncate,
                                          write half, pause, write the rest) or "in-place" (open it read-write,
                                          then write it all); prints "replaced" before it writes
    python editors.py stress LOG NOTE...  until SIGTERM: every 2 ms pick a note, read it, append a line
                                          naming this save, and save it atomically (temporary file renamed
                                          over it) or by truncating it and writing it, alternately; each
                                          save is logged as "<note>\\t<line>" once it is done

Every save is built on the note as it is on disk, so every line saved before is in every later save:
a line missing from the final note is a save that was lost.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from pathlib import Path


def hold(note: Path, text: str) -> None:
    with open(note, "w", encoding="utf-8") as file:  # O_TRUNC: the note is empty from here on
        print("truncated", flush=True)
        sys.stdin.readline()
        file.write(text)


def late(note: Path, text: str, how: str, pause: float = 0.0) -> None:
    data = text.encode()
    with open(note, "wb" if how == "slow" else "r+b") as file:
        if how == "slow":
            file.write(data[: len(data) // 2])
            file.flush()
        print("started", flush=True)
        deadline = time.monotonic() + 30
        while os.stat(note).st_ino == os.fstat(file.fileno()).st_ino and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(pause)
        print("replaced", flush=True)
        if how == "slow":
            file.write(data[len(data) // 2 :])
        else:
            file.seek(0)
            file.write(data)
            file.truncate()


def stress(log: Path, notes: list[Path]) -> None:
    stop = False

    def on_term(number: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    chooser = random.Random(os.getpid())
    with open(log, "a", encoding="utf-8") as saved:
        count = 0
        print("started", flush=True)
        while not stop:
            note = chooser.choice(notes)
            line = f"edit {os.getpid()}-{count}"
            text = note.read_text(encoding="utf-8")
            text += ("" if text.endswith("\n") else "\n") + line + "\n"
            if count % 2:
                temp = note.with_name(f".{note.name}.editor-{count}")
                temp.write_text(text, encoding="utf-8")
                os.replace(temp, note)
            else:
                with open(note, "w", encoding="utf-8") as file:
                    file.write(text)
            saved.write(f"{note}\t{line}\n")
            saved.flush()
            count += 1
            time.sleep(0.002)


if __name__ == "__main__":
    if sys.argv[1] == "hold":
        hold(Path(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == "late":
        late(Path(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]) if len(sys.argv) > 5 else 0.0)
    else:
        stress(Path(sys.argv[2]), [Path(name) for name in sys.argv[3:]])
