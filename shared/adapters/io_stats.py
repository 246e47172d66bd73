"""Counts Firestore documents read and written: per request (a context variable the "no N+1"
tests and benchmarks open) and per process — and the writes each document path received
(`writes_by_path`, fed by count_writes_per_document on every commit the client sends), which
is how the benchmarks find the hottest document of a sale: production Firestore sustains about
one write per second per document, the emulator has no such limit."""

from __future__ import annotations

import contextvars
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class IoStats:
    document_reads: int = 0
    document_writes: int = 0
    round_trips: int = 0
    writes_by_path: Counter[str] = field(default_factory=Counter)

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


def record_document_writes(paths: Iterable[str]) -> None:
    """One more write of each document path (from the commits themselves: complete, and apart
    from the per-call `record_writes` totals the adapters keep)."""
    written = Counter(paths)
    if stats := _io_stats.get():
        stats.writes_by_path.update(written)
    with _totals_lock:
        PROCESS_TOTALS.writes_by_path.update(written)


def reset_document_writes() -> None:
    with _totals_lock:
        PROCESS_TOTALS.writes_by_path.clear()


def _written_paths(request: Any) -> list[str]:
    """The document paths of a CommitRequest's writes (as dict or message; relative paths)."""
    writes = request.get("writes", []) if isinstance(request, dict) else getattr(request, "writes", [])
    paths = []
    for write in writes:
        pb = getattr(write, "_pb", write)
        operation = pb.WhichOneof("operation")
        name = pb.update.name if operation == "update" else pb.delete if operation == "delete" else ""
        if operation == "transform":
            name = pb.transform.document
        paths.append(name.split("/documents/", 1)[-1])
    return paths


def count_writes_per_document(client: Any) -> None:
    """Wrap the client's Commit call so every committed write (batches, transactions, single
    document writes) is counted against its document path."""
    api = client._firestore_api  # the one Commit entry point every write goes through
    commit: Callable[..., Any] = api.commit

    def counted_commit(*args: Any, **kwargs: Any) -> Any:
        response = commit(*args, **kwargs)
        record_document_writes(_written_paths(kwargs.get("request", args[0] if args else {})))
        return response

    api.commit = counted_commit


@contextmanager
def counting_io() -> Iterator[IoStats]:
    """Count the Firestore documents read and written inside the block (this thread/task)."""
    stats = IoStats()
    token = _io_stats.set(stats)
    try:
        yield stats
    finally:
        _io_stats.reset(token)
