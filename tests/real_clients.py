"""The apps' own parsers, run offline on what vaultsync writes (`../shared/real-clients/`, see its README).

- Logseq's graph parser (release 0.10.15): builds the database the app builds from a graph folder.
- Logseq's DB-graph importer (Logseq 2.x): imports a markdown graph, validates the database.
- Dataview's query parser (0.5.70): parses the queries vaultsync writes into notes.

The npm packages they run on are installed once per lock file into a cache folder outside the repository
(the shared folder is read-only in CI), so the README's test command needs nothing beside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "shared" / "real-clients"


def _cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    lock = hashlib.sha256((ROOT / "package-lock.json").read_bytes()).hexdigest()[:12]
    return base / "vaultsync-tests" / f"real-clients-{lock}"


def install() -> Path:
    """node_modules for the graph parser (nbb-logseq, mldoc), installed once from the shared lock file."""
    folder = _cache()
    if not (folder / "node_modules" / "@logseq" / "nbb-logseq").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(ROOT / name, folder / name)
        subprocess.run(
            ["npm", "ci", "--prefix", str(folder), "--no-audit", "--no-fund", "--silent"], check=True, timeout=600
        )
    return folder / "node_modules"


@dataclass(frozen=True)
class RealClients:
    """Runs the apps' parsers; `modules` is the installed node_modules folder."""

    modules: Path

    def logseq_graph(self, graph: Path) -> dict[str, int]:
        """Logseq's graph parser over `graph`: the counts `check.cljs` prints (files, file-pages, todo-blocks,
        todo-unresolved, first-seen-not-journal, invalid-properties, namespaced-pages, …)."""
        output = self.logseq_script(ROOT / "logseq-graph-parser" / "check.cljs", graph)
        return {key: int(value) for key, value in re.findall(r":([\w-]+) (\d+)\b", output)}

    def logseq_script(self, script: Path, graph: Path) -> str:
        """What a ClojureScript `script` prints given `graph`, run with Logseq's graph parser on its classpath
        (`logseq.graph-parser.cli/parse-graph` builds the database the app builds from the folder)."""
        deps = ROOT / "logseq-graph-parser" / "deps"
        classpath = ":".join(str(deps / part / "src") for part in ("graph-parser", "db", "common"))
        nbb = self.modules / "@logseq" / "nbb-logseq" / "cli.js"
        result = subprocess.run(
            ["node", str(nbb), "-cp", classpath, str(script), str(graph)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "NODE_PATH": str(self.modules)},
            timeout=900,
        )
        return result.stdout

    @staticmethod
    def logseq_db_import(graph: Path, work: Path) -> str:
        """Logseq's DB-graph importer over `graph` (its own npm packages go into `work`): its whole report,
        with `Valid!` when Logseq's DB validation passes and the count of arxiv-id values that changed."""
        work.mkdir(parents=True, exist_ok=True)
        modules = _cache().with_name(_cache().name + "-db") / "node_modules"
        if modules.is_dir() and not (work / "node_modules").exists():
            shutil.copytree(modules, work / "node_modules", symlinks=True)
        result = subprocess.run(
            ["bash", str(ROOT / "logseq-db-import" / "run.sh"), str(graph), str(work)],
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if not modules.is_dir() and (work / "node_modules").is_dir():
            shutil.copytree(work / "node_modules", modules, symlinks=True)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def dataview(self, *queries: str) -> list[str]:
        """Dataview's own parser on each query: "OK {…}" or "ERROR …", one per query."""
        result = subprocess.run(
            ["node", str(ROOT / "dataview" / "dataview-parse.js"), *queries],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "NODE_PATH": str(self.modules)},
            timeout=120,
        )
        return [m.group(1) for m in re.finditer(r'^".*" => ((?:OK|ERROR).*)$', result.stdout, re.MULTILINE)]

    def dataview_json(self, query: str) -> dict:
        """The parsed query Dataview builds (fails the test when Dataview cannot parse it)."""
        (line,) = self.dataview(query)
        assert line.startswith("OK "), f"Dataview cannot parse {query!r}: {line}"
        return json.loads(line[3:])
