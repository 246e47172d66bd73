"""List-query conventions the clients rely on (SPEC 2.8): 1-based pagination, "any" meaning OR,
case-insensitive substring search, stable ordering."""

from __future__ import annotations

import re
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


MAX_PREFIX = 20  # longer words are matched on their first 20 characters (then filtered exactly)


def name_prefixes(name: str) -> list[str]:
    """What a name can be found by across all orgs (SPEC R-VA-2): every prefix of at least two
    characters of each word, lower-cased. Stored with the record, so a search is one
    `array_contains` query instead of reading every record of every org."""
    found: dict[str, None] = {}
    for word in _words(name):
        for end in range(2, min(len(word), MAX_PREFIX) + 1):
            found[word[:end]] = None
    return list(found)


def search_prefix(text: str) -> str:
    """The one stored prefix a search for `text` looks up: its longest word (the most selective),
    cut like the stored ones. "" (nothing to search for) below two characters."""
    words = _words(text)
    longest = max(words, key=len)[:MAX_PREFIX] if words else ""
    return longest if len(longest) >= 2 else ""


def words_start_with(name: str, text: str) -> bool:
    """Every word of `text` starts a word of `name` (case-insensitive): "hall harb" finds
    "Harbor Hall"."""
    words = _words(name)
    return all(any(w.startswith(q) for w in words) for q in _words(text))


def _words(text: str) -> list[str]:
    """The lower-cased words of a name or a search, as stored and as searched."""
    return re.findall(r"\w+", text.lower())
