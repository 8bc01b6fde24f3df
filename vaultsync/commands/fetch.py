"""`vaultsync fetch`: the day's arXiv feed over HTTP, written as a digest file (the imperative shell
around `feed`). `fetch` is the command's promise (a vault's `source` folder and `[fetch]` table, the
arguments over them); `fetch_into` does the fetch.

One request per fetch (plus bounded retries on 429 and 5xx, honouring `Retry-After`), with a User-Agent
naming vaultsync and a timeout. The feed's `ETag` and `Last-Modified` are remembered per feed URL in
`OUT_DIR/.vaultsync-fetch.json` (a hidden file: never taken for a digest), so a second fetch the same day
costs a `304 Not Modified`. The digest is written atomically (a hidden temporary file, then a rename),
and not at all when the file for that day already holds the same bytes.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from vaultsync._version import __version__
from vaultsync.api import ArgumentError, load_options
from vaultsync.commands.feed import DEFAULT_FEED_URL, FeedError, digest_text, feed_url, parse_feed, sections
from vaultsync.settings import FETCH, FILE
from vaultsync.storage.atomic import write_whole

CACHE_FILE = ".vaultsync-fetch.json"
USER_AGENT = f"vaultsync/{__version__} (arXiv digests into Obsidian and Logseq notes)"
RETRY_STATUSES = (429, 500, 502, 503, 504)
ATTEMPTS = 3  # one request, and at most two retries
MAX_WAIT = 60.0  # seconds: a longer Retry-After is not waited for (the next scheduled fetch tries again)
MAX_BYTES = 64 * 1024 * 1024  # a feed of 2,000 papers is ~4 MB


class FetchError(RuntimeError):
    """The feed could not be fetched or read; nothing was written. The message says what and what to do."""


@dataclass(frozen=True)
class FetchOptions:
    """What to fetch: the categories (one URL), the keyword sections, whether replacements are listed."""

    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    updated: bool = False
    feed_url: str = DEFAULT_FEED_URL
    timeout: float = 30.0

    @property
    def url(self) -> str:
        return feed_url(self.feed_url, self.categories)

    @property
    def fingerprint(self) -> str:
        """Changes when the same feed would give another digest: a remembered ETag is only good for the same."""
        return hashlib.sha256(repr((__version__, self.keywords, self.categories, self.updated)).encode()).hexdigest()[
            :16
        ]


@dataclass(frozen=True)
class Outcome:
    """What a fetch did: `status` is written, unchanged (same bytes already there), not-modified (304),
    empty (no papers announced) or no-match (papers, none under a keyword); `path`: the day's digest."""

    status: str
    path: Path | None
    url: str
    papers: int = 0

    def describe(self) -> str:
        url, where = self.url, f" {self.path}" if self.path else ""
        return {
            "written": f"Fetched {self.papers} papers from {url}: wrote{where}",
            "unchanged": f"Fetched {self.papers} papers from {url}:{where} already holds them, left as it is",
            "not-modified": f"{url} has not changed since the last fetch:{where or ' nothing to write'}",
            "empty": f"{url} announces no papers today (weekends and arXiv holidays): nothing written",
            "no-match": f"{url} announces no papers under the keywords: nothing written",
        }[self.status]


def fetch(
    target: str | os.PathLike[str],
    *,
    config: str | os.PathLike[str] | None = None,
    timeout: float = 30.0,
    **given: Any,
) -> Outcome:
    """Write the day's digest from arXiv's RSS feed, as `vaultsync fetch` does: into `target`, or, when
    `target` is a vault with a settings file (or `config` is given), into its `source` folder. `given`:
    `categories`, `keywords`, `updated`, `feed_url`, over the vault's `[fetch]` table. Raises ArgumentError
    (no category, nowhere to write), FetchError (nothing written: the feed failed, or the folder)."""
    unknown = given.keys() - FETCH.keys()
    if unknown:
        raise ArgumentError(f"unknown fetch setting {', '.join(sorted(unknown))} — known: {', '.join(FETCH)}")
    out_dir, settings = Path(target).expanduser(), {}
    if config is not None or (out_dir / FILE).is_file():  # a vault: the folder and the feed from its settings
        settings = load_options(out_dir, config)
        if not settings["source"]:
            raise ArgumentError(
                f"{target} has no `source` setting — give the folder to write into, or set `source` in it"
            )
        out_dir = Path(settings["source"])
    options = options_from(settings.get("fetch", {}), given | {"timeout": timeout})
    if not options.categories:
        raise ArgumentError(
            "no category — give --category cs.CV (repeatable), or set categories in the vault's [fetch] table"
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise ArgumentError(f"{out_dir} is not a folder — give the folder to write the digest into")
    try:
        return fetch_into(out_dir, options)
    except OSError as error:
        raise FetchError(f"{out_dir}: cannot write the digest ({error.strerror or error}) — check the folder") from None


def fetch_into(out_dir: Path, options: FetchOptions, sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Fetch the feed of `options` and write its digest into `out_dir` (created if missing). Raises
    FetchError, having written nothing, when the request fails or the feed cannot be read."""
    url = options.url
    cache = _read_cache(out_dir)
    remembered = cache.get(url, {})
    usable = remembered.get("options") == options.fingerprint and (
        remembered.get("digest") is None or (out_dir / str(remembered["digest"])).is_file()
    )
    status, data, headers = _get(url, options.timeout, remembered if usable else {}, sleep)
    if status == 304:
        digest = remembered.get("digest")
        return Outcome("not-modified", out_dir / digest if digest else None, url)
    try:
        announcement = parse_feed(data)
    except FeedError as error:
        raise FetchError(f"{url}: {error} — check --feed-url; nothing was written") from None
    grouped = sections(announcement, options.keywords, options.categories, options.updated)
    papers = sum(len(papers) for _, papers in grouped)
    path = out_dir / f"{announcement.day.isoformat()}.md"
    if not announcement.papers:
        outcome = Outcome("empty", None, url)
    elif not papers:
        outcome = Outcome("no-match", None, url)
    else:
        text = digest_text(grouped).encode("utf-8")
        outcome = Outcome("unchanged" if _same(path, text) else "written", path, url, papers)
        if outcome.status == "written":
            out_dir.mkdir(parents=True, exist_ok=True)
            write_whole(path, text)
    validators = {
        key: headers[name] for key, name in (("etag", "ETag"), ("modified", "Last-Modified")) if headers[name]
    }
    digest = outcome.path.name if outcome.path else None
    cache[url] = {**validators, "options": options.fingerprint, "digest": digest}
    _write_cache(out_dir, cache)
    return outcome


def _get(
    url: str, timeout: float, remembered: dict[str, Any], sleep: Callable[[float], None]
) -> tuple[int, bytes, Any]:
    """(status, body, headers) of a GET, conditional on what `remembered` holds; retried on 429 and 5xx."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml, application/xml;q=0.9, */*;q=0.1"}
    if remembered.get("etag"):
        headers["If-None-Match"] = remembered["etag"]
    if remembered.get("modified"):
        headers["If-Modified-Since"] = remembered["modified"]
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
                data = response.read(MAX_BYTES + 1)
                if len(data) > MAX_BYTES:
                    raise FetchError(
                        f"{url}: more than {MAX_BYTES // 2**20} MB, not a daily feed — nothing was written"
                    )
                return response.status, data, response.headers
        except urllib.error.HTTPError as error:
            if error.code == 304:
                return 304, b"", error.headers
            wait = _retry_after(error.headers.get("Retry-After"), attempt)
            if error.code not in RETRY_STATUSES or attempt == ATTEMPTS or wait is None:
                hint = "try again later" if error.code in RETRY_STATUSES else "check --category and --feed-url"
                raise FetchError(f"{url}: HTTP {error.code} {error.reason} — {hint}; nothing was written") from None
            sleep(wait)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            reason = getattr(error, "reason", None) or error
            raise FetchError(f"{url}: {reason} — check the network and --feed-url; nothing was written") from None
    raise AssertionError("unreachable")


def _retry_after(value: str | None, attempt: int) -> float | None:
    """Seconds to wait before retrying: `Retry-After` (seconds or an HTTP date), else 1, 2, … s; None when
    the server asks for more than MAX_WAIT."""
    wait = float(attempt)
    if value:
        try:
            wait = float(value)
        except ValueError:
            try:
                wait = parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError):
                pass
    wait = max(wait, 0.0)
    return wait if wait <= MAX_WAIT else None


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def _read_cache(out_dir: Path) -> dict[str, dict[str, Any]]:
    """The remembered validators by feed URL; a missing or damaged file remembers nothing."""
    try:
        data = json.loads((out_dir / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {key: value for key, value in data.items() if isinstance(value, dict)} if isinstance(data, dict) else {}


def _write_cache(out_dir: Path, cache: dict[str, dict[str, Any]]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    write_whole(out_dir / CACHE_FILE, (json.dumps(cache, indent=1, sort_keys=True) + "\n").encode("utf-8"))


def options_from(settings: dict[str, object], given: dict[str, object]) -> FetchOptions:
    """FetchOptions from a vault's `[fetch]` settings, overridden by the options given on the command line."""
    merged = {**settings, **{key: value for key, value in given.items() if value not in (None, [], ())}}
    return FetchOptions(
        categories=tuple(_strings(merged.get("categories", ()))),
        keywords=tuple(_strings(merged.get("keywords", ()))),
        updated=bool(merged.get("updated", False)),
        feed_url=str(merged.get("feed_url") or DEFAULT_FEED_URL),
        timeout=float(merged.get("timeout") or 30.0),  # type: ignore[arg-type]
    )


def _strings(values: object) -> Sequence[str]:
    return [str(value).strip() for value in values if str(value).strip()] if isinstance(values, list | tuple) else []
