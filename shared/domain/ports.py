"""The small interfaces the domain services depend on. Adapters implement them (Firestore in
shared.adapters.firestore_store); services never import an SDK."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from shared.domain.customer_metrics import MetricsChange
from shared.domain.inventory import StockKey
from shared.domain.member_tickets import MemberUse
from shared.domain.models import Identified, Order
from shared.domain.refund_rules import RefundRecord

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


# --- refunds (shared.services.refunds; Firestore in shared.adapters.refund_store, Stripe in
# shared.adapters.stripe_payments, Cloud Tasks in shared.adapters.task_queue) ------------------


class StaleOrderError(Exception):
    """The order (or a shard) changed since it was read: read again and re-plan."""


class AlreadySettledError(Exception):
    """The refund being settled is no longer pending: someone else settled or failed it."""


@dataclass
class Settlement:
    """Marks a pending refund record succeeded in the same write as its order change."""

    record: RefundRecord
    fields: dict[str, Any]


@dataclass
class OrderChange:
    """One write: the changed order, against the version it was read at, and what it gives back."""

    order: Order
    version: Any
    event_id: str = ""
    shard_count: int = 0
    units: dict[StockKey, int] = field(default_factory=dict)
    return_code_uses: bool = False
    settlement: Settlement | None = None
    metrics: MetricsChange | None = None
    # Member-id claims of the tickets this change cancels (R-ORD-7), given back with it.
    member_uses: list[MemberUse] = field(default_factory=list)
    # A season order's hidden children changed with it (R-T3-2), each against its read version.
    children: list[tuple[Order, Any]] = field(default_factory=list)
    # A refund made outside Sellout (the Stripe dashboard) recorded with this change, once.
    external_refund: RefundRecord | None = None


class RefundRecords(Protocol):
    """`refunds/{id}`, the per-order refund lock, versioned order reads and the atomic order
    change (with its stock, codes, metrics and settlement), and refund-all progress."""

    def record(self, refund_id: str) -> RefundRecord | None: ...
    def lock_holder(self, order_id: str) -> str: ...
    def claim(self, record: RefundRecord, version: Any, *, replacing: bool) -> bool: ...
    def mark_failed(self, refund_id: str, reason: str, at: int) -> None: ...
    def flag_stripe_status(self, refund_id: str, status: str) -> None: ...
    def order(self, order_id: str) -> tuple[Order, Any] | None: ...
    def order_for_charge(self, charge_id: str, intent_id: str) -> str | None: ...
    def children(self, parent_id: str) -> list[tuple[Order, Any]]: ...
    def commit(self, change: OrderChange) -> None: ...
    def start_run(self, event_id: str, fields: dict[str, Any]) -> None: ...
    def queue_run_order(self, event_id: str, order_id: str, at: int) -> None: ...
    def set_run_order(self, event_id: str, order_id: str, fields: dict[str, Any]) -> None: ...
    def run_counts(self, event_id: str) -> dict[str, int]: ...


@dataclass(frozen=True)
class RefundState:
    """A refund as the payment provider reports it."""

    id: str
    status: str  # pending, requires_action, succeeded, failed, canceled
    amount: int
    charge: str
    metadata: dict[str, str]
    payment_intent: str = ""


class RefundPayments(Protocol):
    """Refunds of direct charges on a connected account (SPEC R-REF-6/7)."""

    def refund(
        self, account: str, *, payment_intent: str | None = None, charge: str | None = None, amount: int,
        refund_application_fee: bool, idempotency_key: str, metadata: dict[str, str],
    ) -> RefundState: ...  # fmt: skip
    def retrieve_refund(self, account: str, refund_id: str) -> RefundState: ...
    def refunds_of_charge(self, account: str, charge_id: str) -> list[RefundState]: ...
    def refund_rest_of_application_fee(self, account: str, charge_id: str, idempotency_key: str) -> int: ...


class TaskQueue(Protocol):
    def enqueue(self, queue: str, function: str, payload: dict[str, Any], *, path: str = "/",
                key: str | None = None, run_at: int | None = None) -> str: ...  # fmt: skip
