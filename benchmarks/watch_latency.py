"""Watch latency: from a complete digest landing in SRC (renamed into place) to its index note in VAULT.

Runs the installed `vaultsync watch` on temporary folders and drops real digests (the shared corpus, else the
sample in tests/data/digests) one at a time. Target: median at most the settle window + 0.5 s.

    python benchmarks/watch_latency.py [--drops 20] [--settle 1.0] [--poll] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import DIGESTS


def vaultsync() -> str:
    found = shutil.which("vaultsync") or str(Path(sys.executable).with_name("vaultsync"))
    if not Path(found).exists():
        sys.exit("vaultsync is not installed: pip install . first")
    return found


def _has_papers(path: Path) -> bool:
    from vaultsync import parse_digest
    from vaultsync.pipeline.reader import decode

    return any(section.entries for section in parse_digest(decode(path.read_bytes(), path.name), path.name).sections)


def measure(drops: int = 20, settle: float = 1.0, poll: bool = False) -> dict[str, object]:
    """Latencies in seconds of `drops` digests, each dropped a random moment after the previous one was
    imported."""
    digests = [path for path in sorted(DIGESTS.glob("20*.md")) if _has_papers(path)][-drops:]
    with tempfile.TemporaryDirectory() as temp:
        src, vault = Path(temp, "src"), Path(temp, "vault")
        src.mkdir()
        options = ["--settle", str(settle), *(["--poll"] if poll else [])]
        daemon = subprocess.Popen([vaultsync(), "watch", str(src), str(vault), "-q", *options])
        try:
            time.sleep(1.0)  # let it start watching
            latencies = []
            pauses = random.Random(20).uniform
            for digest in digests:
                time.sleep(pauses(0, 1))  # drops at random moments, not in step with polls
                temp_file = src / f".{digest.name}.part"
                shutil.copy(digest, temp_file)
                target = vault / "arXiv" / "Digests" / f"arXiv {digest.stem}.md"
                landed = time.monotonic()
                os.replace(temp_file, src / digest.name)
                while not target.exists():
                    if time.monotonic() - landed > 30:
                        raise RuntimeError(f"{digest.name} was not imported within 30 s")
                    time.sleep(0.005)
                latencies.append(time.monotonic() - landed)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=10)
    median = statistics.median(latencies)
    return {
        "drops": len(latencies),
        "settle_s": settle,
        "poll": poll,
        "median_s": round(median, 3),
        "max_s": round(max(latencies), 3),
        "min_s": round(min(latencies), 3),
        "target_s": settle + 0.5,
        "met": median <= settle + 0.5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drops", type=int, default=20)
    parser.add_argument("--settle", type=float, default=1.0)
    parser.add_argument("--poll", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    result = measure(args.drops, args.settle, args.poll)
    print(
        f"watch latency over {result['drops']} drops (settle {args.settle} s{', polling' if args.poll else ''}):"
        f" median {result['median_s']} s, min {result['min_s']} s, max {result['max_s']} s"
        f" — target ≤ {result['target_s']} s: {'met' if result['met'] else 'NOT met'}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
