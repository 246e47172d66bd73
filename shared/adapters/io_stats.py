"""Counts Firestore documents read and written: per request (a context variable the "no N+1"
tests and benchmarks open) and per process."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class IoStats:
    document_reads: int = 0
    document_writes: int = 0
    round_trips: int = 0

    def read(self, documents: int) -> None:
        self.document_reads += documents
        self.round_trips += 1

    def wrote(self, documents: int) -> None:
        self.document_writes += documents
        self.round_trips += 1


_io_stats: contextvars.ContextVar[IoStats | None] = contextvars.ContextVar("io_stats", default=None)
_totals_lock = threading.Lock()
PROCESS_TOTALS = IoStats()


def record_reads(documents: int) -> None:
    if stats := _io_stats.get():
        stats.read(documents)
    with _totals_lock:
        PROCESS_TOTALS.read(documents)


def record_writes(documents: int) -> None:
    if stats := _io_stats.get():
        stats.wrote(documents)
    with _totals_lock:
        PROCESS_TOTALS.wrote(documents)


@contextmanager
def counting_io() -> Iterator[IoStats]:
    """Count the Firestore documents read and written inside the block (this thread/task)."""
    stats = IoStats()
    token = _io_stats.set(stats)
    try:
        yield stats
    finally:
        _io_stats.reset(token)
