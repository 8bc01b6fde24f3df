"""The retry policy of `watch` (pure): when a failed import is tried again, and which failures are news."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from vaultsync.daemon.retry import Retries

A, B = Path("a.md"), Path("b.md")


def test_retries_double_from_the_first_pause_up_to_the_most():
    retries = Retries(first=10, most=900)
    pauses = [retries.failed(A, "disk full", now=0)[0].retry_at for _ in range(9)]
    assert pauses == [10, 20, 40, 80, 160, 320, 640, 900, 900]


def test_only_a_new_message_is_news():
    retries = Retries()
    assert retries.failed(A, "disk full", 0)[1] is True
    assert retries.failed(A, "disk full", 1)[1] is False
    assert retries.failed(A, "permission denied", 2)[1] is True
    assert retries.failed(B, "permission denied", 2)[1] is True  # per file


def test_due_files_and_files_gone_are_forgotten():
    retries = Retries(first=10)
    retries.failed(A, "x", now=0)
    retries.failed(B, "x", now=5)
    assert retries.next_at() == 10
    assert retries.due(9.9, lambda path: True) == set()
    assert retries.due(10, lambda path: True) == {A}
    assert retries.due(15, lambda path: path != A) == {B}  # A was removed: nothing left to retry
    assert retries.next_at() == 15
    assert retries.succeeded(B) == 1 and retries.succeeded(B) == 0
    assert retries.next_at() is None


@given(st.lists(st.tuples(st.sampled_from([A, B]), st.sampled_from(["x", "y"])), max_size=30))
def test_a_failure_is_never_due_before_its_pause_nor_later_than_the_most(failures):
    retries = Retries(first=10, most=900)
    for now, (path, message) in enumerate(failures):
        failure, _ = retries.failed(path, message, now)
        assert now + 10 <= failure.retry_at <= now + 900
        assert retries.next_at() is not None and retries.next_at() <= failure.retry_at
