"""The small interfaces the domain services depend on. Adapters implement them (Firestore in
shared.adapters.firestore_store); services never import an SDK."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, Protocol, TypeVar

from shared.domain.models import Identified

T = TypeVar("T", bound=Identified)

Operator = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not-in", "array_contains", "array_contains_any"]
Where = tuple[str, Operator, Any]
OrderBy = tuple[str, Literal["asc", "desc"]]


class Repository(Protocol[T]):
    """One collection of one entity, keyed by the entity's `_id`."""

    def get(self, item_id: str) -> T | None: ...

    def get_many(self, item_ids: Iterable[str]) -> dict[str, T]:
        """Every existing item among `item_ids`, in one round trip."""
        ...

    def find(
        self, *where: Where, order_by: list[OrderBy] | None = None, limit: int | None = None
    ) -> list[T]: ...

    def count(self, *where: Where) -> int: ...

    def create(self, item: T) -> T:
        """Store a new item; CONFLICT if one with that id exists."""
        ...

    def save(self, item: T) -> T:
        """Store the whole item, replacing what was there."""
        ...

    def update(self, item_id: str, fields: Mapping[str, Any]) -> None:
        """Change the given fields of an existing item; NOT_FOUND if absent."""
        ...

    def delete(self, item_id: str) -> None: ...
