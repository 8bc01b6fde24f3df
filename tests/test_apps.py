"""Logseq's own readers on what vaultsync writes, in one test (they run only where `../shared/real-clients/`
is, so a fresh clone skips one test for them, not five): Logseq 0.10.15's graph parser, the way the app builds
its database from a graph folder, and Logseq 2.x's importer of markdown graphs into its database version.
Dataview's parser is `test_reading.test_every_query_vaultsync_writes_parses_with_dataviews_parser…`."""

from __future__ import annotations

from test_fetch import logseq_reads_authors_as_text_or_one_page_reference_each, server  # noqa: F401
from test_reading import logseq_reads_read_as_a_boolean_and_the_queue_query_with_its_settings
from test_titles import logseq_db_importer_keeps_every_arxiv_id, logseq_finds_no_junk_in_the_corpus


def test_logseq_reads_every_page_as_vaultsync_means_it(real_clients, logseq_corpus_import, corpus, server, tmp_path):  # noqa: F811
    logseq_finds_no_junk_in_the_corpus(real_clients, logseq_corpus_import)
    for part in ("reading", "authors", "db"):
        (tmp_path / part).mkdir()
    logseq_reads_read_as_a_boolean_and_the_queue_query_with_its_settings(corpus, tmp_path / "reading", real_clients)
    logseq_reads_authors_as_text_or_one_page_reference_each(server, tmp_path / "authors", real_clients)
    logseq_db_importer_keeps_every_arxiv_id(real_clients, corpus, tmp_path / "db")
