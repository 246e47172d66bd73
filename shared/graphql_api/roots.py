"""The two root bindables every resolver module registers its fields on."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ariadne import MutationType, QueryType

from shared.domain.models import Model

query = QueryType()
mutation = MutationType()


def doc(item: Model | None) -> dict[str, Any] | None:
    """What a resolver returns: the stored document shape (ids as `_id`)."""
    return None if item is None else item.doc()


def docs(items: Iterable[Model]) -> list[dict[str, Any]]:
    return [item.doc() for item in items]
