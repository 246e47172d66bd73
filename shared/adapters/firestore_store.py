"""Firestore adapters: one repository per collection (SPEC section 3 layout), and I/O counters.

Collection layout (document id = the entity's `_id`; fields = the model's camelCase names):
    organizations, users, userProfiles, roles, venues, artists, events, seasons, fees, orders
    inventory/{hash}~{eventId}~{n}  small stock shards of an event or a season (shared.domain.inventory;
                                    legacy shards `{eventId}~{nn}`), stockSummaries/{eventId} their fold
Composite indexes for the queries below live in firestore.indexes.json (emulator, tests and
Terraform read the same file).

Every read and write is counted (shared.adapters.io_stats) for the benchmarks and the "no N+1"
tests: Firestore bills per document, and latency grows per round trip.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Generic

from google.api_core import exceptions as google_exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import ValidationError

from shared.adapters.checkout_store import FirestoreCheckoutStore
from shared.adapters.inventory_store import FirestoreInventory
from shared.adapters.io_stats import count_writes_per_document, record_reads, record_writes
from shared.domain.models import (
    Artist,
    Event,
    Fee,
    Order,
    Organization,
    Role,
    Season,
    User,
    UserProfile,
    Venue,
)
from shared.domain.ports import OrderBy, T, Where
from shared.errors import DomainError, ErrorCode


def readable_document_id(item_id: str) -> bool:
    """Whether Firestore accepts `item_id` as a document id (not empty, no "/", not "." or "..",
    not __x__, at most 1,500 bytes); any other id names no document, so reading it is "not found"
    rather than an error (the GraphQL edge refuses such ids first; this covers every other caller)."""
    return (
        bool(item_id)
        and "/" not in item_id
        and item_id not in (".", "..")
        and not (item_id.startswith("__") and item_id.endswith("__") and len(item_id) >= 4)
        and len(item_id.encode("utf-8", "replace")) <= 1500
    )


@lru_cache(maxsize=1)
def firestore_client(project: str) -> firestore.Client:
    """One client per process: it holds the gRPC channel (FIRESTORE_EMULATOR_HOST honoured).
    Every commit it sends is counted per document path (shared.adapters.io_stats)."""
    client = firestore.Client(project=project)
    count_writes_per_document(client)
    return client


class FirestoreRepository(Generic[T]):
    def __init__(self, client: firestore.Client, collection: str, model: type[T]) -> None:
        self.client = client
        self.collection_name = collection
        self.model = model
        self.collection = client.collection(collection)

    def _load(self, data: dict[str, Any] | None) -> T | None:
        if data is None:
            return None
        try:
            return self.model.model_validate(data)
        except ValidationError as error:  # stored data that no longer fits the model is a bug
            raise DomainError(ErrorCode.INTERNAL, "Stored data is invalid.") from error

    def get(self, item_id: str) -> T | None:
        if not readable_document_id(item_id):
            return None
        snapshot = self.collection.document(item_id).get()
        record_reads(1)
        return self._load(snapshot.to_dict()) if snapshot.exists else None

    def get_many(self, item_ids: Iterable[str]) -> dict[str, T]:
        wanted = list(dict.fromkeys(i for i in item_ids if readable_document_id(i)))
        if not wanted:
            return {}
        refs = [self.collection.document(i) for i in wanted]
        found: dict[str, T] = {}
        for snapshot in self.client.get_all(refs):
            if snapshot.exists and (item := self._load(snapshot.to_dict())) is not None:
                found[snapshot.id] = item
        record_reads(max(1, len(found)))
        return found

    def _query(self, where: tuple[Where, ...], order_by: list[OrderBy] | None, limit: int | None) -> Any:
        query: Any = self.collection
        for field, op, value in where:
            query = query.where(filter=FieldFilter(field, op, value))
        for field, direction in order_by or []:
            query = query.order_by(
                field,
                direction=firestore.Query.DESCENDING if direction == "desc" else firestore.Query.ASCENDING,
            )
        if limit is not None:
            query = query.limit(limit)
        return query

    def find(self, *where: Where, order_by: list[OrderBy] | None = None, limit: int | None = None) -> list[T]:
        snapshots = list(self._query(where, order_by, limit).stream())
        record_reads(max(1, len(snapshots)))  # a query costs at least one read
        return [item for s in snapshots if (item := self._load(s.to_dict())) is not None]

    def count(self, *where: Where) -> int:
        result = self._query(where, None, None).count().get()
        record_reads(1)
        return int(result[0][0].value)

    def create(self, item: T) -> T:
        try:
            self.collection.document(item.id).create(item.doc())
        except google_exceptions.AlreadyExists:
            raise DomainError(ErrorCode.CONFLICT, "That record already exists.") from None
        record_writes(1)
        return item

    def save(self, item: T) -> T:
        self.collection.document(item.id).set(item.doc())
        record_writes(1)
        return item

    def update(self, item_id: str, fields: Mapping[str, Any]) -> None:
        try:
            self.collection.document(item_id).update(dict(fields))
        except google_exceptions.NotFound:
            raise DomainError(ErrorCode.NOT_FOUND, "Record not found.") from None
        record_writes(1)

    def delete(self, item_id: str) -> None:
        self.collection.document(item_id).delete()
        record_writes(1)


class FirestoreStore:
    """Every repository, sharing one client."""

    def __init__(self, client: firestore.Client, *, stock_summary_seconds: int = 0) -> None:
        self.client = client
        self.organizations = FirestoreRepository(client, "organizations", Organization)
        self.users = FirestoreRepository(client, "users", User)
        self.user_profiles = FirestoreRepository(client, "userProfiles", UserProfile)
        self.roles = FirestoreRepository(client, "roles", Role)
        self.venues = FirestoreRepository(client, "venues", Venue)
        self.artists = FirestoreRepository(client, "artists", Artist)
        self.events = FirestoreRepository(client, "events", Event)
        self.seasons = FirestoreRepository(client, "seasons", Season)
        self.fees = FirestoreRepository(client, "fees", Fee)
        self.orders = FirestoreRepository(client, "orders", Order)
        self.inventory = FirestoreInventory(client, summary_seconds=stock_summary_seconds)
        self.checkout = FirestoreCheckoutStore(client, self.inventory)
