"""vaultsync's benchmarks, on the installed CLI as a user runs it. Prints a table and writes it as JSON.

    python benchmarks/run.py            # 1k, 10k and 100k papers (about 20 minutes on 2 cores)
    python benchmarks/run.py --quick    # 1k and 3k papers (under 2 minutes)

Per corpus size N: a cold import with both cores (`--jobs 2`) and with one (`--jobs 1`, into another
vault, which must come out byte for byte the same); its floor, measured in the same run (mistune parsing
the same digests, then plain Python writing the same bytes to as many files); a no-op re-import;
importing one new digest into the vault holding N papers; the cold import's peak memory (the import's
process, not its worker's). Then `vaultsync --help`
start-up and watch latency. Targets (reported, never asserted): cold ≤ 1.5 × floor, no-op ≤ 5 % of
cold, new digest at the largest N ≤ 2 × at the smallest, peak memory ≤ 150 MB, --help ≤ 0.3 s, watch
latency ≤ settle + 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
import watch_latency  # noqa: E402


def vaultsync() -> str:
    return watch_latency.vaultsync()


def timed(*args: object) -> tuple[float, int]:
    """Seconds and peak resident memory (MB) of one `vaultsync` run."""
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", vaultsync(), *map(str, args)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"vaultsync {' '.join(map(str, args))} failed:\n{result.stderr}")
    return seconds, int(result.stderr.strip().splitlines()[-1]) // 1024


def floor(digests: list[Path], vault: Path, scratch: Path) -> float:
    """The unavoidable work: mistune parsing the digests, and writing the vault's bytes to as many files."""
    import mistune

    files = {path.relative_to(vault): path.read_bytes() for path in vault.rglob("*.md")}
    markdown = mistune.create_markdown(renderer=None)
    start = time.perf_counter()
    for digest in digests:
        markdown(digest.read_text(encoding="utf-8"))
    for relative, data in files.items():
        target = scratch / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as file:
            file.write(data)
    return time.perf_counter() - start


def files(root: Path) -> dict[Path, bytes]:
    """A vault's notes by relative path (vaultsync's state folder left out)."""
    return {path.relative_to(root): path.read_bytes() for path in root.rglob("*.md") if ".vaultsync" not in path.parts}


def measure(papers: int, work: Path) -> dict[str, float]:
    src, vault, one_job = work / f"src-{papers}", work / f"vault-{papers}", work / f"vault-{papers}-jobs-1"
    digests = corpus.build(src, papers)
    cold, rss = timed("import", src, vault, "-q", "--jobs", 2)
    cold_1, _ = timed("import", src, one_job, "-q", "--jobs", 1)
    if files(vault) != files(one_job):
        raise RuntimeError(f"--jobs 2 and --jobs 1 wrote different vaults from the same digests: {vault}, {one_job}")
    shutil.rmtree(one_job)
    low = floor(digests, vault, work / f"floor-{papers}")
    noop, _ = timed("import", src, vault, "-q")
    [new_digest] = corpus.build(work / f"new-{papers}", corpus.PER_DIGEST, first=papers, start=date(2030, 1, 1))
    new, _ = timed("import", new_digest, vault, "-q")
    return {
        "papers": papers,
        "cold_s": cold,
        "cold_jobs_1_s": cold_1,
        "floor_s": low,
        "noop_s": noop,
        "new_digest_s": new,
        "peak_mb": rss,
    }


def startup() -> float:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([vaultsync(), "--help"], capture_output=True, check=True)
        runs.append(time.perf_counter() - start)
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 3k papers, 5 watch drops")
    parser.add_argument("--sizes", type=int, nargs="*", help="corpus sizes in papers")
    parser.add_argument("--json", type=Path, default=HERE / "results.json", help="where to write the results")
    args = parser.parse_args()
    sizes = args.sizes or ([1000, 3000] if args.quick else [1000, 10_000, 100_000])
    with tempfile.TemporaryDirectory() as temp:
        rows = [measure(size, Path(temp)) for size in sizes]
        shutil.rmtree(temp, ignore_errors=True)
    help_s = startup()
    latency = watch_latency.measure(drops=5 if args.quick else 20)
    small, large = rows[0], rows[-1]
    ratios = {
        "cold/floor": large["cold_s"] / large["floor_s"],
        "cold/floor --jobs 1": large["cold_jobs_1_s"] / large["floor_s"],
        "noop/cold": large["noop_s"] / large["cold_s"],
        f"new digest {large['papers']}/{small['papers']}": large["new_digest_s"] / small["new_digest_s"],
    }
    print(f"vaultsync benchmarks on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print()
    print("| papers | cold | cold, --jobs 1 | floor | cold/floor | --jobs 1/floor | no-op | new digest | peak RSS |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['papers']:>7,} | {row['cold_s']:>7.2f}s | {row['cold_jobs_1_s']:>7.2f}s | "
            f"{row['floor_s']:>7.2f}s | "
            f"{row['cold_s'] / row['floor_s']:>10.1f} | {row['cold_jobs_1_s'] / row['floor_s']:>10.1f} | "
            f"{row['noop_s']:>6.2f}s | {row['new_digest_s']:>9.2f}s | {row['peak_mb']:>5} MB |"
        )
    print()
    print(f"vaultsync --help: {help_s:.3f} s (target ≤ 0.3 s)")
    print(f"watch latency: median {latency['median_s']:.2f} s over {latency['drops']} drops (target ≤ 1.5 s)")
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}")
    args.json.write_text(
        json.dumps({"sizes": rows, "help_s": help_s, "watch": latency, "ratios": ratios}, indent=2) + "\n"
    )
    print(f"\nwritten to {args.json}")


if __name__ == "__main__":
    main()
