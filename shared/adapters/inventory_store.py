"""Firestore side of the stock shards (shared.domain.inventory): one document per shard,
`inventory/{id}` = {eventId, index, capacity: {item: n}, taken: {item: n}, open: [item],
held: [item], rank}. Only `eventId`, `open`, `held` and `rank` are indexed (firestore.indexes.json
exempts the two maps). `rank` is the shard's level (units of sale left) plus a random fraction
drawn on every write.

A sale finds its shards through the composite index (eventId, open CONTAINS, rank): one query per
item, from a random place in the highest level, reads one shard for a one-ticket order (its
tier's shard also holds the ticket type). Taking from the highest level drains the shards in
rounds, so as many as possible stay open until the last units. Only when those shards cannot
serve the order does it read every open shard of the short item, in one query, and that
consistent read is the only thing that says SOLD_OUT — so a buyer is never refused while a unit
is free. Then it writes the shards only if they are unchanged since the read (a precondition on
their update time), in one atomic batch with the caller's documents. Nobody holds a lock; a buyer
who lost a race re-reads and retries after a few milliseconds. (Firestore transactions take
pessimistic locks here: 32 buyers on two shards timed out on the emulator's lock queue.)

Shard ids are spread over the key space (a hash prefix), never sequential: Firestore splits hot
key ranges, and one event's shards written at once must not share one. Legacy shards (indexes
below FIRST_SHARD) keep their old ids `{eventId}~{nn}`.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.adapters.io_stats import record_reads, record_writes
from shared.domain.inventory import (
    CURRENT_LAYOUT,
    FIRST_SHARD,
    Allocation,
    Shard,
    SoldOutError,
    StockKey,
    apply_release,
    apply_take,
    held_keys,
    level,
    open_keys,
    plan_growth,
    plan_migration,
    plan_resize,
    plan_take,
    release_shortfall,
    remaining,
)
from shared.domain.models import TicketedListing
from shared.errors import DomainError, ErrorCode

COLLECTION = "inventory"
RECHECK_TOP = 0.05  # share of sales that read the highest level afresh instead of the one remembered
BATCH_WRITES = 450  # shard writes per batch (Firestore's limit is 500 per commit)
IN_QUERY_LIMIT = 30  # Firestore's limit of values in one `in` filter
SUMMARIES = "stockSummaries"  # {listingId}: {remaining: {item: n}, foldedAt} for page views
FOLDS = "stockFolds"  # {listingId}~{window}: who folds a listing's summary in that window
LEVEL_STEPS = 4  # windows _at_top tries before the exact query over every open shard
# Levels a sale's search window spans below the top (README "Stock"): 1 drains the shards in exact
# rounds but sends every buyer to a level's last few shards as it empties; 1.25 also spreads them
# over a quarter of the level below and still leaves as many shards open with 5 % of the stock
# left as exact rounds (one per unit left, simulated by the benchmark); 1.5 would leave 0.4 % fewer.
LEVEL_WINDOW = 1.25
R = TypeVar("R")
L = TypeVar("L", bound=TicketedListing)
Versioned = tuple[Shard, Any]  # a shard and the update time it was read at


def busy_error() -> DomainError:
    return DomainError(ErrorCode.BUSY, "Tickets are in high demand right now. Please try again.")


def shard_id(event_id: str, index: int) -> str:
    if index < FIRST_SHARD:
        return f"{event_id}~{index:02d}"  # the legacy layout's ids
    spread = hashlib.sha256(f"{event_id}~{index}".encode()).hexdigest()[:8]
    return f"{spread}~{event_id}~{index}"


def shard_fields(shard: Shard) -> dict[str, Any]:
    """What a sale, release or resize rewrites: the counts, the two indexed lists they imply, and
    the shard's `rank`: its level (units of sale left) plus a random fraction. Sales take from a
    random shard of the highest level, so the shards drain in rounds (all of them from 10 to 9,
    then to 8, ...) and as many as possible stay open for the tail; the fraction, drawn anew on
    every write, spreads the buyers over the shards of a level. No value on the path grows
    monotonically: a rank only falls, by one level per sale, to a new random place."""
    return {
        "capacity": shard.capacity,
        "taken": shard.taken,
        "open": open_keys(shard),
        "held": held_keys(shard),
        "rank": level(shard) + random.random(),  # noqa: S311 - load spreading, not security
    }


def _to_doc(event_id: str, shard: Shard) -> dict[str, Any]:
    return {"eventId": event_id, "index": shard.index, **shard_fields(shard)}


def _from_doc(data: Mapping[str, Any]) -> Shard:
    return Shard(int(data["index"]), dict(data.get("capacity") or {}), dict(data.get("taken") or {}))


def _rarity(key: StockKey) -> int:
    """Query order: a tier's shards also hold its ticket type, so the tier is asked first and the
    type usually needs no query of its own; add-ons and codes come before the type for the same
    reason."""
    return "rupt".index(key[0]) if key[0] in "rupt" else 4


class FirestoreInventory:
    def __init__(
        self,
        client: firestore.Client,
        max_attempts: int = 40,
        *,
        summary_seconds: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.collection = client.collection(COLLECTION)
        self.max_attempts = max_attempts
        # Live stock for page views: 0 = fold every listing's shards on every read (exact);
        # N = read `stockSummaries/{id}`, folded again at most once per N seconds.
        self.summary_seconds = summary_seconds
        self.summaries = client.collection(SUMMARIES)
        self.folds = client.collection(FOLDS)
        self.clock = clock
        # The highest level each item was last sold from (see _at_top): a hint, never trusted for
        # SOLD_OUT. Per process; a new instance reads the top once.
        self._top: dict[tuple[str, StockKey], int] = {}

    def ref(self, event_id: str, index: int) -> firestore.DocumentReference:
        return self.collection.document(shard_id(event_id, index))

    # --- creation and migration -------------------------------------------------------------

    def write_initial(
        self, writer: firestore.WriteBatch | firestore.Transaction, event_id: str, shards: list[Shard]
    ) -> None:
        """Create the shards in the caller's batch (small listings: with the listing itself)."""
        for shard in shards:
            writer.create(self.ref(event_id, shard.index), _to_doc(event_id, shard))

    def create_shards(self, event_id: str, shards: list[Shard]) -> None:
        """Create the shards of a listing too big for one batch, before the listing exists (a
        listing never exists without its stock; shards of a listing never created sell nothing)."""
        for start in range(0, len(shards), BATCH_WRITES):
            batch = self.client.batch()
            self.write_initial(batch, event_id, shards[start : start + BATCH_WRITES])
            batch.commit()
            record_writes(len(batch))

    def migrated(self, collection: str, listing: L) -> L:
        """The listing in the current layout, migrating its legacy shards first if needed: each
        old shard keeps what it sold and its unsold units move into new small shards, written
        atomically with the listing's new layout (compare-and-set on the listing and every old
        shard: a sale that lands meanwhile makes this re-read and re-plan)."""
        if listing.inventoryLayout >= CURRENT_LAYOUT:
            return listing
        listing_ref = self.client.collection(collection).document(listing.id)

        def attempt() -> L | None:
            snapshot = listing_ref.get()
            record_reads(1)
            if not snapshot.exists:
                raise DomainError(ErrorCode.NOT_FOUND, "Event not found.")
            stored = type(listing).model_validate(snapshot.to_dict())
            if stored.inventoryLayout >= CURRENT_LAYOUT:
                return stored
            every = self.all_shards(stored.id)  # legacy ones, and any a capacity edit added since
            versioned = [(s, t) for s, t in every if s.index < FIRST_SHARD]
            first_index = max([FIRST_SHARD - 1, *(s.index for s, _ in every)]) + 1
            old, new = plan_migration(stored, [s for s, _ in versioned], first_index)
            versions = {s.index: t for s, t in versioned}
            batch = self.client.batch()
            for shard in old:
                batch.update(
                    self.ref(stored.id, shard.index),
                    shard_fields(shard),
                    option=self.client.write_option(last_update_time=versions[shard.index]),
                )
            self.write_initial(batch, stored.id, new)
            layout = {"inventoryLayout": CURRENT_LAYOUT, "inventoryShards": first_index + len(new)}
            batch.update(
                listing_ref, layout, option=self.client.write_option(last_update_time=snapshot.update_time)
            )
            try:
                batch.commit()
            except (
                google_exceptions.FailedPrecondition,
                google_exceptions.Aborted,
                google_exceptions.AlreadyExists,  # another buyer migrated it first: read it again
            ):
                return None
            record_writes(len(batch))
            return stored.model_copy(update=layout)

        return self._retrying(attempt)

    # --- reads ------------------------------------------------------------------------------

    def read_shards(
        self, transaction: firestore.Transaction | None, event_id: str, indexes: Iterable[int]
    ) -> list[Shard]:
        return [shard for shard, _ in self._read_versioned(event_id, indexes, transaction)]

    def _read_versioned(
        self, event_id: str, indexes: Iterable[int], transaction: firestore.Transaction | None = None
    ) -> list[Versioned]:
        refs = [self.ref(event_id, i) for i in indexes]
        if not refs:
            return []
        snapshots = list(self.client.get_all(refs, transaction=transaction))
        record_reads(len(refs))
        return [(_from_doc(s.to_dict() or {}), s.update_time) for s in snapshots if s.exists]

    def all_shards(self, event_id: str) -> list[Versioned]:
        """Every shard of a listing, either layout (admin paths: holds, resizes; K reads)."""
        snapshots = list(self.collection.where(filter=FieldFilter("eventId", "==", event_id)).stream())
        record_reads(max(1, len(snapshots)))
        shards = [(_from_doc(s.to_dict() or {}), s.update_time) for s in snapshots]
        return sorted(shards, key=lambda versioned: versioned[0].index)

    def _shards_with(
        self,
        event_id: str,
        field: str,
        key: StockKey,
        limit: int,
        *,
        low: float | None = None,
        high: float | None = None,
        descending: bool = False,
    ) -> list[Versioned]:
        """Up to `limit` shards whose `field` list contains `key`, in rank order (within
        [low, high) when given; from the first, which reads them all when fewer than `limit`
        exist)."""
        query = self.collection.where(filter=FieldFilter("eventId", "==", event_id)).where(
            filter=FieldFilter(field, "array_contains", key)
        )
        if low is not None:
            query = query.where(filter=FieldFilter("rank", ">=", low))
        if high is not None:
            query = query.where(filter=FieldFilter("rank", "<", high))
        direction = firestore.Query.DESCENDING if descending else firestore.Query.ASCENDING
        snapshots = list(query.order_by("rank", direction=direction).limit(limit).stream())
        record_reads(max(1, len(snapshots)))  # a query costs at least one read
        return [(_from_doc(s.to_dict() or {}), s.update_time) for s in snapshots]

    def _at_top(self, event_id: str, key: StockKey, want: int) -> list[Versioned] | None:
        """Up to `want` open shards of `key` near the highest level, from a random place in the
        window of LEVEL_WINDOW levels below the top: usually one query (one read for one unit).
        The window reaches a little into the level below, so the last shards of a level do not
        draw every buyer while it empties. The top is remembered per item from the last sale
        (levels only fall during a sale); a window that has emptied costs two more queries (the
        place wrapped to the window's start, then the highest shard left, whose level is the new
        top), and a share of sales reads the top afresh, so units given back at a higher level
        are found.
        None: the item has no open shard at all (that last query is one consistent read of the
        highest open shard, so this is exact)."""
        remembered = (event_id, key)
        top = self._top.get(remembered)
        for step in range(LEVEL_STEPS):
            if top is None or (step == 0 and random.random() < RECHECK_TOP):  # noqa: S311
                highest = self._shards_with(event_id, "open", key, 1, descending=True)
                if not highest:
                    self._top.pop(remembered, None)
                    return None
                top = level(highest[0][0])
            low, high = top + 1 - LEVEL_WINDOW, top + 1
            start = low + random.random() * LEVEL_WINDOW  # noqa: S311 - load spreading, not security
            found = self._shards_with(event_id, "open", key, want, low=start, high=high)
            if len(found) < want:  # wrap around to the window's start
                found += self._shards_with(event_id, "open", key, want - len(found), low=low, high=start)
            if found:
                self._top[remembered] = top
                return found
            top = None  # the window has emptied: read the top again
        self._top.pop(remembered, None)
        return []

    def live_stock(self, listings: Iterable[TicketedListing]) -> dict[str, dict[StockKey, int]]:
        """Remaining units per item of each listing, for page views (`event`, `eventTickets`,
        feeds, Backstage lists); the checkout never reads them. With `summary_seconds` = 0 they
        are folded from every shard on each read (exact). Otherwise from `stockSummaries/{id}`
        (one read per listing), at most `summary_seconds` old: the first reader of a new window
        claims it (creating `stockFolds/{id}~{window}`; the others keep the previous summary),
        folds the shards and writes the summary — one write per listing and window, whatever the
        number of orders or page views."""
        unique = list({listing.id: listing for listing in listings}.values())
        if self.summary_seconds <= 0 or not unique:
            return self.fold([listing.id for listing in unique])
        refs = [self.summaries.document(listing.id) for listing in unique]
        stored = {s.id: s.to_dict() or {} for s in self.client.get_all(refs) if s.exists}
        record_reads(len(refs))
        now = self.clock()
        window = int(now // self.summary_seconds)
        stock: dict[str, dict[StockKey, int]] = {}
        to_fold = []
        for listing in unique:
            summary = stored.get(listing.id)
            if (
                summary is not None
                and int(float(summary.get("foldedAt", 0)) // self.summary_seconds) >= window
            ):
                stock[listing.id] = dict(summary.get("remaining") or {})
            elif self._claim_fold(listing.id, window, now) or summary is None:
                to_fold.append(listing.id)
            else:  # someone else folds this window: the previous summary is at most a window older
                stock[listing.id] = dict(summary.get("remaining") or {})
        folded = self.fold(to_fold) if to_fold else {}
        for listing_id, remaining_units in folded.items():
            self.summaries.document(listing_id).set({"remaining": remaining_units, "foldedAt": now})
            record_writes(1)
        return stock | folded

    def _claim_fold(self, listing_id: str, window: int, now: float) -> bool:
        """True for the one reader that folds `listing_id` in `window` (expired by a TTL policy)."""
        try:
            self.folds.document(f"{listing_id}~{window}").create(
                {"listingId": listing_id, "expireAt": datetime.fromtimestamp(now + 3600, UTC)}
            )
        except google_exceptions.AlreadyExists:
            return False
        record_writes(1)
        return True

    def fold(self, listing_ids: Iterable[str]) -> dict[str, dict[StockKey, int]]:
        """Remaining units per item of each listing, folded from every shard (one query per 30
        listings, K document reads each): exact as of the read."""
        wanted = list(dict.fromkeys(listing_ids))
        by_event: dict[str, list[Shard]] = {e: [] for e in wanted}
        for start in range(0, len(wanted), IN_QUERY_LIMIT):
            chunk = wanted[start : start + IN_QUERY_LIMIT]
            query = self.collection.where(filter=FieldFilter("eventId", "in", chunk))
            snapshots = list(query.select(["eventId", "index", "capacity", "taken"]).stream())
            record_reads(max(1, len(snapshots)))
            for snapshot in snapshots:
                data = snapshot.to_dict() or {}
                by_event[str(data["eventId"])].append(_from_doc(data))
        return {event_id: remaining(shards) for event_id, shards in by_event.items()}

    def taken_totals(self, event_id: str, shard_count: int = 0) -> dict[StockKey, int]:
        """Units sold (or held) per item, from every shard (tests, benchmarks, reports)."""
        totals: dict[StockKey, int] = {}
        for shard, _ in self.all_shards(event_id):
            for key, units in shard.taken.items():
                totals[key] = totals.get(key, 0) + units
        return totals

    # --- sales and releases -----------------------------------------------------------------

    def _commit_if_unchanged(
        self,
        event_id: str,
        shards: list[Versioned],
        extra_writes: Callable[[firestore.WriteBatch], None] | None,
    ) -> bool:
        """Write the shards only if nobody changed them since we read them (compare-and-set on
        update time), together with the caller's writes, atomically. False = lost a race."""
        batch = self.client.batch()
        for shard, update_time in shards:
            batch.update(
                self.ref(event_id, shard.index),
                shard_fields(shard),
                option=self.client.write_option(last_update_time=update_time),
            )
        if extra_writes:
            extra_writes(batch)
        try:
            batch.commit()
        except (google_exceptions.FailedPrecondition, google_exceptions.Aborted, google_exceptions.NotFound):
            return False
        record_writes(len(batch))  # the shards and every write the caller added
        return True

    def _retrying(self, attempt: Callable[[], R | None]) -> R:
        """Optimistic concurrency: a buyer who lost a race re-reads and tries again after a short
        random pause; no locks are held, so a crowd never stalls on a lock queue."""
        for tries in range(self.max_attempts):
            result = attempt()
            if result is not None:
                return result
            time.sleep(random.uniform(0.002, min(0.25, 0.01 * (tries + 1))))  # noqa: S311 - jitter, not security
        raise busy_error()

    def _find_open(self, event_id: str, wants: Mapping[StockKey, int]) -> list[Versioned]:
        """Shards that together can serve `wants`, from the highest level of each item; SOLD_OUT
        (with the exact number left) only from one consistent query: over every open shard of an
        item, or of its highest open shard when there is none."""
        found: dict[int, Versioned] = {}
        short: dict[StockKey, int] = {}

        def available(key: StockKey) -> int:
            return sum(max(0, shard.remaining(key)) for shard, _ in found.values())

        for key in sorted(wants, key=_rarity):
            want = wants[key]
            if available(key) >= want:
                continue
            if not short:  # an item is short already: only count the rest
                at_top = self._at_top(event_id, key, want)
                if at_top is None:  # no open shard at all, read consistently: exact
                    short[key] = 0
                    continue
                found.update((s.index, (s, t)) for s, t in at_top)
                if available(key) >= want:
                    continue
            # From the first: fewer than `want` shards back means these are all of them.
            every = self._shards_with(event_id, "open", key, want)
            found.update((s.index, (s, t)) for s, t in every)
            left = sum(max(0, shard.remaining(key)) for shard, _ in every)
            if left < want and len(every) < want:
                short[key] = left  # exact; the other items are still checked, to name the right one
        if short:
            raise SoldOutError.of(short)
        return sorted(found.values(), key=lambda v: -sum(max(0, v[0].remaining(k)) for k in wants))

    def take(
        self,
        event_id: str,
        shard_count: int,
        wants: Mapping[StockKey, int],
        extra_writes: Callable[[firestore.WriteBatch, Allocation], None] | None = None,
    ) -> Allocation:
        """Take `wants` from the listing's open shards and commit `extra_writes` (the order or
        reservation that owns the units) in the same atomic batch. SOLD_OUT when they don't
        exist. (`shard_count` is the legacy layout's; shards are now found by query.)"""
        wants = {k: q for k, q in wants.items() if q > 0}

        def attempt() -> Allocation | None:
            versioned = self._find_open(event_id, wants)
            shards = [s for s, _ in versioned]
            try:
                allocation = plan_take(wants, shards)
            except SoldOutError:
                return None  # the reads disagree (a shard changed between two queries): again
            touched = {s.index for s in apply_take(shards, allocation)}
            writes = (lambda batch: extra_writes(batch, allocation)) if extra_writes else None
            changed = [(s, t) for s, t in versioned if s.index in touched]
            return allocation if self._commit_if_unchanged(event_id, changed, writes) else None

        return self._retrying(attempt)

    def release(
        self,
        event_id: str,
        allocation: Allocation,
        extra_writes: Callable[[firestore.WriteBatch], None] | None = None,
    ) -> None:
        """Give an allocation's units back (re-opening their shards), with the caller's writes
        (e.g. the reservation marked released) in the same atomic batch, so a unit is never
        released twice."""

        def attempt() -> bool | None:
            versioned = self._read_versioned(event_id, sorted(allocation))
            found = {s.index: (s, t) for s, t in versioned}
            short = release_shortfall([s for s, _ in versioned], allocation)
            touched = {s.index for s in apply_release([s for s, _ in versioned], allocation)}
            if short:  # a refund gave some of these units back here meanwhile: they are taken elsewhere
                spill = self._place_on_holders(event_id, short, found)
                touched |= {s.index for s in apply_release([s for s, _ in found.values()], spill)}
            changed = [(s, t) for s, t in found.values() if s.index in touched]
            return True if self._commit_if_unchanged(event_id, changed, extra_writes) else None

        if allocation or extra_writes:
            self._retrying(attempt)

    def return_units(
        self,
        event_id: str,
        shard_count: int,
        units: Mapping[StockKey, int],
        extra_writes: Callable[[firestore.WriteBatch], None] | None = None,
    ) -> None:
        """Give `units` back when we no longer know which shards they came from (refunds: orders
        do not keep their allocation): each unit goes to a shard that sold one (`held`), found by
        query — a legacy listing's shards are read directly. Atomic with the caller's writes
        (which must guard themselves, so nothing is returned twice); compare-and-set on every
        shard touched, re-read and retried on a lost race."""
        wanted = {k: q for k, q in units.items() if q > 0}
        legacy = range(shard_count) if 0 < shard_count < FIRST_SHARD else range(0)

        def attempt() -> bool | None:
            found = {s.index: (s, t) for s, t in self._read_versioned(event_id, legacy)} if wanted else {}
            allocation = self._place_on_holders(event_id, wanted, found)
            touched = {s.index for s in apply_release([s for s, _ in found.values()], allocation)}
            changed = [(s, t) for s, t in found.values() if s.index in touched]
            return True if self._commit_if_unchanged(event_id, changed, extra_writes) else None

        if wanted or extra_writes:
            self._retrying(attempt)

    def _place_on_holders(
        self, event_id: str, wanted: Mapping[StockKey, int], found: dict[int, Versioned]
    ) -> Allocation:
        """Where `wanted` units can be given back: shards in `found` first, then shards that sold
        the item (`held`, found by query and added to `found`), never more than a shard holds."""
        for key, quantity in wanted.items():
            if sum(s.taken.get(key, 0) for s, _ in found.values()) < quantity:
                found.update(
                    (s.index, (s, t))
                    for s, t in self._shards_with(event_id, "held", key, quantity + len(found))
                    if s.index not in found
                )
        allocation: Allocation = {}
        for key, quantity in wanted.items():
            left = quantity
            for shard, _ in found.values():
                part = min(left, shard.taken.get(key, 0) - allocation.get(shard.index, {}).get(key, 0))
                if part > 0:
                    allocation.setdefault(shard.index, {})[key] = part
                    left -= part
                if not left:
                    break
        return allocation

    def resize(self, event_id: str, shard_count: int, new_caps: Mapping[StockKey, int]) -> None:
        """Change item capacities (updateEvent; K reads): growth goes into new small shards,
        shrinking comes out of the shards with the most left (never below what is sold). Each
        batch of shards is a compare-and-set; a listing with more than BATCH_WRITES shards is
        resized in several batches, each re-planned from a fresh read if a sale lands meanwhile."""

        def attempt() -> bool | None:
            versioned = self.all_shards(event_id)
            before = {s.index: (dict(s.capacity), dict(s.taken)) for s, _ in versioned}
            keep, new = plan_growth([s for s, _ in versioned], new_caps)
            plan_resize([s for s, _ in versioned], keep)
            changed = [(s, t) for s, t in versioned if before[s.index] != (s.capacity, s.taken)]
            for start in range(0, len(changed), BATCH_WRITES):
                batch = self.client.batch()
                for shard, update_time in changed[start : start + BATCH_WRITES]:
                    batch.update(
                        self.ref(event_id, shard.index),
                        shard_fields(shard),
                        option=self.client.write_option(last_update_time=update_time),
                    )
                try:
                    batch.commit()
                except (google_exceptions.FailedPrecondition, google_exceptions.Aborted):
                    return None
                record_writes(len(batch))
            self.create_shards(event_id, new)  # only after every shrink held
            return True

        self._retrying(attempt)
