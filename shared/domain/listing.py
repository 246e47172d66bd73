"""List-query conventions the clients rely on (SPEC 2.8): 1-based pagination, "any" meaning OR,
case-insensitive substring search, stable ordering."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def paginate(items: Sequence[T], pagination: Mapping[str, Any] | None) -> list[T]:
    """No pagination ⇒ everything; otherwise skip pageSize × (pageNumber − 1), take pageSize."""
    if not pagination or not pagination.get("pageSize"):
        return list(items)
    size = max(0, int(pagination["pageSize"]))
    page = max(1, int(pagination.get("pageNumber") or 1))
    start = size * (page - 1)
    return list(items[start : start + size])


def contains_text(haystack: str | None, needle: str | None) -> bool:
    return bool(needle) and needle.strip().lower() in (haystack or "").lower()  # type: ignore[union-attr]


def matches(criteria: list[bool | None], any_of: bool) -> bool:
    """Combine the criteria that were given (None = not given): OR when `any`, else AND."""
    given = [c for c in criteria if c is not None]
    if not given:
        return True
    return any(given) if any_of else all(given)


def criterion(value: Any, test: Callable[[], bool]) -> bool | None:
    """`test()` when the client gave `value` (empty lists and strings count as not given)."""
    if value is None or value in ("", []):
        return None
    return test()
