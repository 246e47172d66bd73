"""Firestore takes about 500 writes/s into an index range whose values only grow (a timestamp
set to "now"), per collection. Documents written once or more per order must not put such a
value in any index, or a flash sale stops there whatever the stock design (README "Stock"):
the order lists' `createdAt` is indexed only behind a random lane (`createdShard`), and every
other such timestamp on the order path is exempt from indexing (firestore.indexes.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from shared.domain.models import Order
from shared.domain.reservations import Reservation
from shared.domain.tasks import Delivery, Task

INDEXES = json.loads((Path(__file__).resolve().parents[2] / "firestore.indexes.json").read_text("utf-8"))

# Collections written at the order rate, and the model of their documents.
ORDER_PATH_MODELS: dict[str, type[BaseModel]] = {
    "reservations": Reservation,  # one per card checkout
    "tasks": Task,  # ticket deliveries planned per order
    "deliveries": Delivery,  # one per message sent
}
# Fields on the order path set to the time of the write that are not in a model above.
OTHER_ORDER_PATH_TIMES = [
    ("stripeEvents", "processedAt"),  # one per webhook
    ("userProfiles", "metricsByOrg"),  # its per-org `createdAt` is the buyer's first order
]


def _exempt() -> set[tuple[str, str]]:
    return {
        (o["collectionGroup"], o["fieldPath"]) for o in INDEXES["fieldOverrides"] if o.get("indexes") == []
    }


def _times(model: type[BaseModel]) -> list[str]:
    return [name for name in model.model_fields if name.endswith("At")]


@pytest.mark.parametrize("collection", sorted(ORDER_PATH_MODELS))
def test_every_timestamp_of_an_order_path_collection_is_exempt_from_indexing(collection: str) -> None:
    times = _times(ORDER_PATH_MODELS[collection])
    assert times, "no timestamps found: the check reads the wrong model"
    missing = [name for name in times if (collection, name) not in _exempt()]
    assert not missing, f"{collection}: index exemptions missing for {missing}"


def test_other_order_path_timestamps_are_exempt_from_indexing() -> None:
    assert [field for field in OTHER_ORDER_PATH_TIMES if field not in _exempt()] == []


def _order_indexes() -> list[list[dict[str, Any]]]:
    return [index["fields"] for index in INDEXES["indexes"] if index["collectionGroup"] == "orders"]


def test_orders_created_at_is_indexed_only_behind_its_lane() -> None:
    assert ("orders", "createdAt") in _exempt()  # no single-field index: one growing range
    with_created = [
        fields for fields in _order_indexes() if any(f["fieldPath"] == "createdAt" for f in fields)
    ]
    assert with_created, "the order lists need their createdAt indexes"
    for fields in with_created:
        names = [f["fieldPath"] for f in fields]
        assert names.index("createdShard") == names.index("createdAt") - 1, names
    assert "createdShard" in Order.model_fields
