"""`vaultsync fetch`: arXiv's RSS feed, served from 127.0.0.1 (never a real host), into a digest that `import`
reads, with authors; the HTTP rules (User-Agent, retries, 304s) and the clean outcomes, through the installed CLI.

`tests/data/feeds/cs.CV+cs.LG.xml` follows arXiv's RSS specification (info.arxiv.org/help/rss_specifications.html):
new, cross, replace and replace-cross items, `dc:creator` lists with "and", accents, TeX and HTML entities.
"""

from __future__ import annotations

import plistlib
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dt_time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import frontmatter
import pytest
from conftest import REPO, new_graph, parse, run_cli, vault_files
from test_watch import Daemon

from vaultsync import parse_digest
from vaultsync.commands import feed
from vaultsync.commands.service import local_fetch_time
from vaultsync.flavors.logseq.page import LogseqPages
from vaultsync.model import Section
from vaultsync.pipeline.reader import decode
from vaultsync.records import PaperRecord, from_frontmatter, merge

SAMPLE = Path(__file__).parent / "data" / "feeds" / "cs.CV+cs.LG.xml"
FEED = SAMPLE.read_bytes()
EMPTY = re.sub(rb"\s*<item>.*</item>", b"", FEED, flags=re.DOTALL)  # a weekend: the channel, no items
PAPERS = "arXiv/Papers"


@dataclass
class Reply:
    status: int = 200
    body: bytes = FEED
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FeedServer:
    """An HTTP server on 127.0.0.1 answering each path with its queue of replies (the last one repeats),
    honouring `If-None-Match` for replies with an ETag; it records every request's path and headers."""

    def __init__(self) -> None:
        self.replies: dict[str, list[Reply]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append((self.path, dict(self.headers)))
                queue = server.replies.get(self.path, [Reply(404, b"not found")])
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
                time.sleep(reply.delay)
                etag = reply.headers.get("ETag")
                status = 304 if etag and self.headers.get("If-None-Match") == etag else reply.status
                self.send_response(status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                body = b"" if status == 304 else reply.body
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/rss/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(self, path: str, *replies: Reply) -> None:
        self.replies[f"/rss/{path}"] = list(replies)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    server = FeedServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def fetch(server: FeedServer, out: Path, *args: object):
    return run_cli("fetch", out, "--category", "cs.CV", "--category", "cs.LG", "--feed-url", server.url, *args)


DIGEST = "2024-02-23.md"  # the channel's pubDate, Fri, 23 Feb 2024 00:00:00 -0500


# --- the whole chain ------------------------------------------------------------------------------


def test_fetch_writes_one_digest_that_import_turns_into_notes_with_authors(server, tmp_path):
    server.serve("cs.CV+cs.LG", Reply(headers={"ETag": '"v1"'}))
    out, vault = tmp_path / "digests", tmp_path / "vault"
    result = fetch(server, out, "--keyword", "diffusion", "--keyword", "self-supervised", "--import", vault)
    assert result.returncode == 0, result.stderr
    assert f"Fetched 3 papers from {server.url}cs.CV+cs.LG: wrote {out / DIGEST}" in result.stdout
    assert "papers: 3 created" in result.stdout
    [(path, headers)] = server.requests  # one request for both categories, joined with `+`
    assert path == "/rss/cs.CV+cs.LG" and re.fullmatch(r"vaultsync/\S+ \(.*\)", headers["User-Agent"])
    assert sorted(p.name for p in out.iterdir()) == [".vaultsync-fetch.json", DIGEST]

    text = (out / DIGEST).read_text()
    digest = parse_digest(text, DIGEST)
    assert digest.problems == ()
    assert [(s.keyword, [e.arxiv_id for e in s.entries]) for s in digest.sections] == [
        ("diffusion", ["2402.14001", "2402.14004"]),  # new, then cross-listed; the replacement is left out
        ("self-supervised", ["2402.14002"]),
    ]
    first = digest.sections[0].entries[0]
    assert first.title == r"Fast Diffusion Sampling with $\epsilon$-Schedules & Friends"
    assert first.abstract.startswith(r"We sample diffusion models in $O(\log n)$ steps when $a < b$ & $c > d$.")
    assert first.code_url == "https://github.com/example/fast-diffusion"  # the sentence's full stop left out
    assert first.authors == ("Ada Lovelace", "José María O'Brien-Süß", "Zoë Dupré", "Charles Babbage Jr.")
    assert first.categories == ("cs.CV", "cs.LG")  # all of them, the primary first
    assert first.extra == {}  # Authors and Categories are fields the reader knows
    assert (
        "### Title: Fast Diffusion Sampling with $\\epsilon$-Schedules & Friends. (arXiv:2402.14001v1 [cs.CV])\n"
        in text
    )
    assert "* Code URL: [https://huggingface.co/example/tab-model](https://huggingface.co/example/tab-model)\n" in text
    assert "* Authors: Emmy Noether, Sofia Kovalevskaya\n* Categories: cs.RO, cs.LG\n\n" in text
    assert "* Authors: Grace Hopper\n\n" in text  # one category: the heading's

    note = frontmatter.load(vault / PAPERS / "Fast Diffusion Sampling with -epsilon-Schedules & Friends.md")
    assert list(note.metadata)[:3] == ["title", "authors", "arxiv_id"]
    assert note["authors"] == ["Ada Lovelace", "José María O'Brien-Süß", "Zoë Dupré", "Charles Babbage Jr."]
    assert note["categories"] == ["cs.CV", "cs.LG"]
    assert "\nAda Lovelace, José María O'Brien-Süß, Zoë Dupré, Charles Babbage Jr.\n" in note.content


def test_replacements_are_listed_with_updated_and_the_highest_versions_authors_win(server, tmp_path, corpus):
    """A paper first seen in an old digest (no authors) gains the authors of its new version, in the same
    note (no duplicate), keeping what the user wrote in it."""
    server.serve("cs.CV+cs.LG", Reply())
    out, vault = tmp_path / "digests", tmp_path / "vault"
    run_cli("import", corpus / "2024-01-18.md", vault, check=True)  # lists 2401.08639 v1, without authors
    name = "One-Step Diffusion Distillation via Deep Equilibrium Models.md"
    old = (vault / PAPERS / name).read_text()
    assert "authors" not in frontmatter.loads(old).metadata
    (vault / PAPERS / name).write_text(old.replace("## Notes\n", "## Notes\n\nMy notes.\n"))
    result = fetch(server, out, "--keyword", "diffusion", "--updated", "--import", vault)
    assert result.returncode == 0, result.stderr
    text = (out / DIGEST).read_text()
    assert "(arXiv:2401.08639v2 [cs.LG] UPDATED)\n" in text and "(arXiv:2203.01250v3" not in text  # no keyword
    assert [p.name for p in (vault / PAPERS).glob("One-Step*")] == [name]
    note = frontmatter.load(vault / PAPERS / name)
    assert note["authors"] == ["Ezra Winston", "J. Zico Kolter"] and note["arxiv_version"] == 2
    assert note.content.endswith("## Notes\n\nMy notes.")
    assert note["digests"] == ["[[arXiv 2024-01-18]]", "[[arXiv 2024-02-23]]"]


def test_a_vault_written_before_authors_reimports_unchanged_then_gains_them(server, tmp_path):
    """examples/vault is what `main` wrote before authors existed (without its state store): importing its
    digest again changes no byte; a fetched digest listing one of its papers adds `authors` to that note."""
    vault = tmp_path / "vault"
    shutil.copytree(REPO / "examples" / "vault", vault)
    before = vault_files(vault)
    run_cli("import", REPO / "examples" / "digests", vault, check=True)
    assert vault_files(vault) == before
    server.serve("cs.CV+cs.LG", Reply())
    fetch(server, tmp_path / "out", "--keyword", "diffusion", "--updated", "--import", vault).check_returncode()
    after = vault_files(vault)
    name = f"{PAPERS}/One-Step Diffusion Distillation via Deep Equilibrium Models.md"
    changed = {path for path in before if after[path] != before[path]}
    assert name in changed and len(after) == len(before) + 3  # 2 new papers and the day's index note
    note = frontmatter.loads(after[name].decode())
    assert note["authors"] == ["Ezra Winston", "J. Zico Kolter"]
    assert list(note.metadata)[:2] == ["title", "authors"]  # in the contract's place
    old = frontmatter.loads(before[name].decode())
    kept = ("title", "arxiv_id", "tags", "code_url", "first_seen", "aliases")
    assert {key: note[key] for key in kept} == {key: old[key] for key in kept}
    assert note["arxiv_version"] == 2 and note["categories"] == ["cs.LG", "cs.CV"]


def test_the_same_day_again_is_a_304_and_leaves_the_digest_as_it_is(server, tmp_path):
    server.serve("cs.CV+cs.LG", Reply(headers={"ETag": '"v1"', "Last-Modified": "Fri, 23 Feb 2024 05:00:11 GMT"}))
    out = tmp_path / "digests"
    fetch(server, out, "--keyword", "diffusion").check_returncode()
    digest = out / DIGEST
    before = (digest.read_bytes(), digest.stat().st_mtime_ns)
    result = fetch(server, out, "--keyword", "diffusion")
    assert result.returncode == 0 and "has not changed since the last fetch" in result.stdout
    assert server.requests[1][1]["If-None-Match"] == '"v1"'
    assert server.requests[1][1]["If-Modified-Since"] == "Fri, 23 Feb 2024 05:00:11 GMT"
    assert (digest.read_bytes(), digest.stat().st_mtime_ns) == before
    # Without what was remembered (or with other keywords) the feed is fetched whole: the same bytes, not rewritten.
    (out / ".vaultsync-fetch.json").unlink()
    result = fetch(server, out, "--keyword", "diffusion")
    assert "If-None-Match" not in server.requests[2][1] and "already holds them, left as it is" in result.stdout
    assert (digest.read_bytes(), digest.stat().st_mtime_ns) == before
    result = fetch(server, out, "--keyword", "generative")
    assert "If-None-Match" not in server.requests[3][1] and "wrote" in result.stdout
    assert digest.read_bytes() != before[0]


def test_a_503_is_retried_after_its_retry_after(server, tmp_path):
    server.serve("cs.CV+cs.LG", Reply(503, b"busy", {"Retry-After": "1"}), Reply())
    out = tmp_path / "digests"
    start = time.monotonic()
    result = fetch(server, out)
    assert result.returncode == 0, result.stderr
    assert len(server.requests) == 2 and time.monotonic() - start >= 1
    assert (out / DIGEST).is_file()


@pytest.mark.parametrize(
    "reply, args, message",
    [
        (Reply(500, b"oops"), [], "HTTP 500 Internal Server Error — try again later; nothing was written"),
        (Reply(404, b"no"), [], "HTTP 404 Not Found — check --category and --feed-url; nothing was written"),
        (Reply(429, b"slow", {"Retry-After": "3600"}), [], "HTTP 429 Too Many Requests — try again later"),
        (Reply(delay=3), ["--timeout", "0.5"], "timed out — check the network and --feed-url"),
        (Reply(body=FEED[: len(FEED) // 2]), [], "not a well-formed feed"),
        (Reply(body=b"<html><body>Maintenance</body></html>"), [], ": not a"),
    ],
    ids=["500", "404", "429-too-long", "timeout", "malformed-xml", "html"],
)
def test_a_failed_fetch_writes_nothing_and_says_so_in_one_line(server, tmp_path, reply, args, message):
    server.serve("cs.CV+cs.LG", reply)
    out = tmp_path / "digests"
    result = fetch(server, out, *args)
    assert result.returncode == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: {server.url}cs.CV+cs.LG: ") and message in line
    assert not out.exists() or list(out.iterdir()) == []
    assert len(server.requests) == (3 if reply.status == 500 else 1)  # 5xx: retried twice, then given up


def test_fetch_without_a_category_is_a_usage_error(server, tmp_path):
    result = run_cli("fetch", tmp_path / "out", "--feed-url", server.url)
    assert result.returncode == 2 and "no category — give --category cs.CV" in result.stderr
    assert server.requests == [] and not (tmp_path / "out").exists()


def test_a_folder_that_cannot_be_written_is_one_error_line(server, tmp_path):
    server.serve("cs.CV+cs.LG", Reply())
    (tmp_path / "file").write_text("x")
    result = fetch(server, tmp_path / "file" / "digests")
    assert result.returncode == 1 and result.stderr == (
        f"Error: {tmp_path / 'file' / 'digests'}: cannot write the digest (Not a directory) — check the folder\n"
    )
    assert fetch(server, tmp_path / "file").returncode == 2


def test_an_empty_feed_writes_nothing_and_exits_0(server, tmp_path):
    server.serve("cs.CV+cs.LG", Reply(body=EMPTY))
    out, vault = tmp_path / "digests", tmp_path / "vault"
    result = fetch(server, out, "--import", vault)
    assert result.returncode == 0, result.stderr
    assert "announces no papers today (weekends and arXiv holidays): nothing written" in result.stdout
    assert not list(out.glob("*.md")) and not vault.exists()


def test_fetch_vault_takes_the_folder_and_the_feed_from_the_settings(server, tmp_path):
    server.serve("cs.LG", Reply())
    vault = tmp_path / "vault"
    run_cli("init", vault, "--source", tmp_path, check=True)
    config = vault / ".vaultsync" / "config.toml"
    config.write_text(
        config.read_text().replace(f'source = "{tmp_path}"', 'source = "../digests"')
        + f'\n[fetch]\ncategories = ["cs.LG"]\nkeywords = ["generative"]\nupdated = true\nfeed_url = "{server.url}"\n'
    )
    result = run_cli("fetch", vault)
    assert result.returncode == 0, result.stderr
    assert server.requests[0][0] == "/rss/cs.LG"
    text = (tmp_path / "digests" / DIGEST).read_text()
    assert text.startswith("## generative\n") and "(arXiv:2203.01250v3 [math.AP] UPDATED)" in text
    assert run_cli("fetch", vault, "--no-updated").returncode == 0  # the command line overrides the settings
    assert "UPDATED" not in (tmp_path / "digests" / DIGEST).read_text()
    config.write_text(config.read_text().replace("updated = true", 'updated = "yes"'))
    result = run_cli("fetch", vault)
    assert result.returncode == 2 and "fetch.updated must be true or false" in result.stderr


def test_watch_imports_the_fetched_digest(server, tmp_path):
    server.serve("cs.CV+cs.LG", Reply())
    src, vault = tmp_path / "src", tmp_path / "vault"
    src.mkdir()
    daemon = Daemon(src, vault, "--settle", "0.5", log=tmp_path / "watch.log")
    try:
        fetch(server, src, "--keyword", "diffusion").check_returncode()
        daemon.wait_for(lambda: daemon.imported(DIGEST) == 1)
        assert daemon.process.poll() is None
    finally:
        daemon.stop()
    assert frontmatter.load(vault / PAPERS / "Diffusion Policies for Control A Survey.md")["authors"] == [
        "Emmy Noether",
        "Sofia Kovalevskaya",
    ]
    assert daemon.imported(DIGEST) == 1 and "vaultsync-fetch" not in daemon.log()  # hidden files are no digests


# --- authors as links ----------------------------------------------------------------------------


def test_author_links_in_obsidian_notes(server, tmp_path):
    server.serve("cs.CV+cs.LG", Reply())
    vault = tmp_path / "vault"
    (vault / ".vaultsync").mkdir(parents=True)
    (vault / ".vaultsync" / "config.toml").write_text("author_links = true\n")
    fetch(server, tmp_path / "out", "--keyword", "diffusion", "--import", vault).check_returncode()
    note = frontmatter.load(vault / PAPERS / "Fast Diffusion Sampling with -epsilon-Schedules & Friends.md")
    assert note["authors"] == [
        "[[Ada Lovelace]]",
        "[[José María O'Brien-Süß]]",
        "[[Zoë Dupré]]",
        "[[Charles Babbage Jr|Charles Babbage Jr.]]",  # no trailing dot in a note name
    ]


def test_logseq_pages_have_authors_that_logseqs_parser_reads(server, tmp_path, mldoc):
    """Names with dots, accents, apostrophes and TeX stay one property value; with author_links, one page
    reference per author."""
    server.serve("cs.CV+cs.LG", Reply())
    out = tmp_path / "out"
    fetch(server, out, "--keyword", "diffusion").check_returncode()
    plain, linked = new_graph(tmp_path / "plain"), new_graph(tmp_path / "linked")
    (linked / ".vaultsync").mkdir()
    (linked / ".vaultsync" / "config.toml").write_text("author_links = true\n")
    for graph in (plain, linked):
        run_cli("import", out, graph, check=True)
    pages = [next((graph / "pages").glob("Fast Diffusion*")) for graph in (plain, linked)]
    parsed = parse(mldoc, pages)
    names = ["Ada Lovelace", "José María O'Brien-Süß", "Zoë Dupré", "Charles Babbage Jr."]
    assert dict(parsed[str(pages[0])]["properties"])["authors"] == ", ".join(names)
    assert dict(parsed[str(pages[1])]["properties"])["authors"] == ", ".join(f"[[{n}]]" for n in names)
    assert "authors:: Ada Lovelace, José María O'Brien-Süß" in pages[0].read_text()
    written = LogseqPages("MMM do, yyyy").split(pages[1].read_text())
    assert written and written.metadata["authors"] == [f"[[{n}]]" for n in names]  # read back as written


def logseq_reads_authors_as_text_or_one_page_reference_each(server, tmp_path: Path, real_clients) -> None:
    """Logseq 0.10.15's own graph parser (`tests/logseq/authors.cljs`): without author_links the property is
    one text; with it, a page reference per author, names with dots, accents, quotes and TeX intact."""
    server.serve("cs.CV+cs.LG", Reply())
    out = tmp_path / "out"
    fetch(server, out, "--updated").check_returncode()
    plain, linked = new_graph(tmp_path / "plain"), new_graph(tmp_path / "linked")
    (linked / ".vaultsync").mkdir()
    (linked / ".vaultsync" / "config.toml").write_text("author_links = true\n")
    for graph in (plain, linked):
        run_cli("import", out, graph, check=True)
    script = REPO / "tests" / "logseq" / "authors.cljs"
    read = {graph: real_clients.logseq_script(script, graph).splitlines()[-1] for graph in (plain, linked)}
    first = "Fast Diffusion Sampling with $\\\\epsilon$-Schedules & Friends"
    assert read[plain].count(':authors "') == 6  # six papers, each a text value
    assert (
        f'"{first}" {{:authors "Ada Lovelace, José María O\'Brien-Süß, Zoë Dupré, Charles Babbage Jr.", :refs ['
        in (read[plain])
    )
    assert ":authors [" not in read[plain] and ':authors "' not in read[linked]
    ada = '"Ada Lovelace" "Charles Babbage Jr." "José María O\'Brien-Süß" "Zoë Dupré"'
    assert f'"{first}" {{:authors [{ada}], :refs ["2402.14001" "Ada Lovelace" "Charles Babbage Jr."' in read[linked]
    assert ':authors ["Alan Turing" "Kurt G\\\\\\"odel"]' in read[linked]  # TeX as written: one reference


# --- the daily schedule ----------------------------------------------------------------------------


def test_service_fetch_prints_a_daily_timer_and_a_launchd_schedule(tmp_path):
    vault = tmp_path / "vault"
    run_cli("init", vault, "--source", tmp_path, check=True)
    assert run_cli("service", "systemd", vault, "--fetch").returncode == 2  # no [fetch] categories yet
    config = vault / ".vaultsync" / "config.toml"
    config.write_text(config.read_text() + '\n[fetch]\ncategories = ["cs.CV"]\n')
    unit = run_cli("service", "systemd", vault, "--fetch", check=True)
    script = Path(sys.executable).with_name("vaultsync")
    assert f'ExecStart="{script}" "fetch" "{vault}"\n' in unit.stdout and "Type=oneshot\n" in unit.stdout
    assert "systemctl --user enable --now vaultsync-fetch.timer" in unit.stderr
    timer = run_cli("service", "systemd", vault, "--fetch", "--timer", check=True).stdout
    assert "OnCalendar=*-*-* 00:30:00 America/New_York\nRandomizedDelaySec=1800\nPersistent=true\n" in timer
    agent = plistlib.loads(run_cli("service", "launchd", vault, "--fetch", check=True).stdout.encode())
    assert agent["ProgramArguments"] == [str(script), "fetch", str(vault)] and "KeepAlive" not in agent
    assert set(agent["StartCalendarInterval"]) == {"Hour", "Minute"}
    if shutil.which("systemd-analyze"):
        (tmp_path / "vaultsync-fetch.service").write_text(unit.stdout)
        (tmp_path / "vaultsync-fetch.timer").write_text(timer)
        files = [str(tmp_path / "vaultsync-fetch.timer"), str(tmp_path / "vaultsync-fetch.service")]
        result = subprocess.run(["systemd-analyze", "verify", *files], capture_output=True, text=True)
        assert result.returncode == 0 and "vaultsync-fetch" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    "now, offset, at",
    [
        (datetime(2024, 1, 15, 12, tzinfo=UTC), 0, dt_time(5, 30)),  # EST: UTC-5
        (datetime(2024, 7, 15, 12, tzinfo=UTC), 10, dt_time(4, 40)),  # EDT: UTC-4
        (datetime(2024, 1, 15, 12, tzinfo=ZoneInfo("Asia/Tokyo")), 29, dt_time(14, 59)),
        (datetime(2024, 1, 15, 12, tzinfo=ZoneInfo("America/Los_Angeles")), 45, dt_time(22, 15)),  # the day before
    ],
)
def test_launchd_runs_fetch_at_the_local_time_of_arxivs_refresh(now, offset, at):
    assert local_fetch_time(now, offset) == at


# --- the pure core -------------------------------------------------------------------------------


def test_the_feed_is_read_as_arxiv_specifies_it():
    announcement = feed.parse_feed(FEED)
    assert announcement.day == date(2024, 2, 23)
    assert [(p.arxiv_id, p.version, p.announce_type) for p in announcement.papers] == [
        ("2402.14001", 1, "new"),
        ("2402.14002", 1, "new"),
        ("2402.14003", 1, "new"),
        ("2402.14004", 1, "cross"),
        ("2401.08639", 2, "replace"),
        ("2203.01250", 3, "replace-cross"),
    ]
    assert announcement.papers[5].categories == ("math.AP", "cs.LG")
    assert feed.parse_feed(EMPTY) == feed.Announcement(date(2024, 2, 23), ())


def test_without_keywords_there_is_a_section_per_primary_category_requested_ones_first():
    grouped = feed.sections(feed.parse_feed(FEED), [], ["cs.LG", "cs.CV"])
    assert [(heading, [p.arxiv_id for p in papers]) for heading, papers in grouped] == [
        ("cs.LG", ["2402.14002"]),
        ("cs.CV", ["2402.14001"]),
        ("cs.RO", ["2402.14003", "2402.14004"]),
    ]


def test_keywords_match_the_title_first_then_the_abstract_in_keyword_order():
    grouped = feed.sections(feed.parse_feed(FEED), ["generative", "self-supervised"])
    # 2402.14002's title says self-supervised, its abstract generative: the title wins.
    assert [(heading, [p.arxiv_id for p in papers]) for heading, papers in grouped] == [
        ("generative", []),
        ("self-supervised", ["2402.14002"]),
    ]
    text = feed.digest_text(grouped)
    assert text.startswith("## generative\n## self-supervised\n### Title: ")  # every keyword, as the generator


@pytest.mark.parametrize(
    "abstract, url",
    [
        ("Code: https://github.com/a/b.", "https://github.com/a/b"),
        ("(see https://gitlab.com/g/p), and https://github.com/x/y", "https://gitlab.com/g/p"),
        ("Weights at https://huggingface.co/org/model; code soon.", "https://huggingface.co/org/model"),
        ("At https://bitbucket.org/team/repo!", "https://bitbucket.org/team/repo"),
        ("Project page https://example.org/x and https://github.com/.", None),
        ("No code.", None),
    ],
)
def test_the_code_url_is_the_first_repository_url_of_the_abstract(abstract, url):
    assert feed.code_url(abstract) == url


@pytest.mark.parametrize(
    "creator, names",
    [
        ("A. One, B. Two and C. Three", ("A. One", "B. Two", "C. Three")),
        ("A. One, B. Two, and C. Three", ("A. One", "B. Two", "C. Three")),
        ("Alexandra Anderson", ("Alexandra Anderson",)),
        ("  Ada  Lovelace ,\n Grace Hopper ", ("Ada Lovelace", "Grace Hopper")),
    ],
)
def test_dc_creator_is_split_into_names(creator, names):
    assert feed.split_authors(creator) == names


def test_the_same_feed_gives_the_same_bytes():
    def text() -> str:
        return feed.digest_text(feed.sections(feed.parse_feed(FEED), ["diffusion"], updated=True))

    assert text() == text()


def test_merge_keeps_the_highest_versions_authors_and_old_records_read_back():
    section = Section("diffusion", "diffusion", ())
    digest = parse_digest(feed.digest_text(feed.sections(feed.parse_feed(FEED), ["diffusion"], updated=True)))
    v2 = next(e for e in digest.entries if e.arxiv_id == "2401.08639")
    v1 = parse_digest("## d\n### Title: T. (arXiv:2401.08639v1 [cs.LG])\n* Authors: Old Name,\n Other\n").entries[0]
    assert v1.authors == ("Old Name", "Other")
    for first, second in ((v1, v2), (v2, v1)):
        record = merge(merge(None, first, date(2024, 1, 1), section), second, date(2024, 2, 1), section)
        assert record.authors == ("Ezra Winston", "J. Zico Kolter")
    no_authors = parse_digest("## d\n### Title: T. (arXiv:2401.08639v3 [cs.LG])\n").entries[0]
    record = merge(merge(None, v2, date(2024, 1, 1), section), no_authors, date(2024, 2, 1), section)
    assert record.version == 3 and record.authors == ("Ezra Winston", "J. Zico Kolter")
    assert "authors" not in merge(None, no_authors, date(2024, 1, 1), section).to_json()  # old records unchanged
    assert PaperRecord.from_json(record.to_json()) == record
    metadata = {"arxiv_id": "1", "arxiv_version": 1, "title": "T", "paper_url": "u", "first_seen": date(2024, 1, 1)}
    linked = from_frontmatter({**metadata, "authors": ["[[A B]]", "[[C D|C. D.]]", "E"]}, [])
    assert linked.authors == ("A B", "C. D.", "E")


def test_old_digests_have_no_authors(corpus):
    for path in sorted(corpus.glob("*.md"))[:20]:
        digest = parse_digest(decode(path.read_bytes(), path.name), path.name)
        assert all(entry.authors == () for entry in digest.entries)
