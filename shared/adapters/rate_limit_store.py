"""Firestore side of the fixed-window rate limits (shared.domain.rate_limits):
`rateLimits/{digest}~{windowStart}` = {count, expireAt, limit}. Server-only; a TTL policy on
`expireAt` (firestore.indexes.json fieldOverrides) deletes counters after their window.

Each hit is one write: an atomic server-side increment whose result the commit returns, so
concurrent hits each see a distinct count and exactly the first `limit` of a window pass — no
read, no transaction to contend or retry. Hits past the limit still count (harmless: the
counter only grows until it expires).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from google.cloud import firestore

from shared.adapters.io_stats import record_writes
from shared.domain.rate_limits import RateLimit, allowed, counter_id, expire_at

COLLECTION = "rateLimits"


class FirestoreRateLimiter:
    def __init__(self, client: firestore.Client, clock: Callable[[], float] = time.time) -> None:
        self.collection = client.collection(COLLECTION)
        self.clock = clock

    def hit(self, limit: RateLimit, key: str) -> bool:
        now = self.clock()
        ref = self.collection.document(counter_id(limit, key, now))
        result = ref.set(
            {
                "count": firestore.Increment(1),
                # A timestamp: Firestore TTL policies only act on timestamp fields.
                "expireAt": datetime.fromtimestamp(expire_at(limit, now), tz=UTC),
                "limit": limit.name,
            },
            merge=True,
        )
        record_writes(1)
        return allowed(limit, _count_after(result))


def _count_after(result: object) -> int:
    """The counter's value after this increment, from the commit's transform results."""
    transforms = getattr(result, "transform_results", None)
    if not transforms:
        raise RuntimeError("Firestore returned no increment result for a rate-limit counter")
    value = transforms[0]
    return int(value.integer_value or value.double_value)
