"""Refund and cancel mutations (SPEC 4.3: refundOrder, cancelOrder, refundEventOrders,
sendOrderRefundEmail) on the refund service."""

from __future__ import annotations

from typing import Any

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.graphql_api.context import ctx
from shared.graphql_api.roots import doc, mutation


def _ids(value: Any) -> list[str]:
    return [str(v) for v in (value or []) if v]


@mutation.field("refundOrder")
def resolve_refund_order(
    _: None,
    info: GraphQLResolveInfo,
    *,
    orderId: str,
    refundAmount: int | None = None,  # checked against what is left, never used as the amount
    processingFee: bool | None = None,
    promoterFee: bool | None = None,
    ticketIds: list[str] | None = None,
    upgradeIds: list[str] | None = None,
    refundReason: str | None = None,
) -> Any:
    c = ctx(info)
    order = c.services.refunds.refund_order(
        c.principal, orderId, _ids(ticketIds), _ids(upgradeIds), processing_fee=bool(processingFee),
        promoter_fee=bool(promoterFee), reason=refundReason or "", refund_amount=refundAmount,
        client_key=c.request.headers.get("Idempotency-Key", ""),
    )  # fmt: skip
    return doc(order)


@mutation.field("cancelOrder")
def resolve_cancel_order(
    _: None,
    info: GraphQLResolveInfo,
    orderId: str,
    ticketIds: list[str] | None = None,
    upgradeIds: list[str] | None = None,
    cancelReason: str | None = None,
) -> Any:
    c = ctx(info)
    order = c.services.refunds.cancel_order(
        c.principal, orderId, _ids(ticketIds), _ids(upgradeIds), cancelReason or ""
    )
    return doc(order)


@mutation.field("refundEventOrders")
def resolve_refund_event_orders(
    _: None,
    info: GraphQLResolveInfo,
    eventId: str,
    dryRun: bool,
    refundReason: str | None = None,
    eventType: str | None = None,
) -> Any:
    c = ctx(info)
    return c.services.refunds.refund_event_orders(
        c.principal, eventId, dry_run=dryRun, reason=refundReason or "", event_type=eventType or ""
    )


@mutation.field("sendOrderRefundEmail")
def resolve_send_order_refund_email(_: None, info: GraphQLResolveInfo, orderId: str) -> Any:
    c = ctx(info)
    return c.services.delivery.resend_refund_notice(c.principal, orderId)


BINDABLES: list[SchemaBindable] = []
