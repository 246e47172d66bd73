"""Ticket e-mail resends (SPEC 4.3, R-QR-5): explicit requests, so they send again."""

from __future__ import annotations

from typing import Any

from ariadne import SchemaBindable
from graphql import GraphQLResolveInfo

from shared.graphql_api.context import ctx
from shared.graphql_api.roots import mutation


@mutation.field("sendOrderReceiptEmail")
def resolve_send_order_receipt_email(_: None, info: GraphQLResolveInfo, orderId: str) -> Any:
    c = ctx(info)
    return c.services.delivery.resend_receipt(c.principal, orderId)


@mutation.field("sendOrderQRCodeEmail")
def resolve_send_order_qr_code_email(_: None, info: GraphQLResolveInfo, orderId: str) -> Any:
    c = ctx(info)
    return c.services.delivery.resend_tickets(c.principal, orderId)


@mutation.field("sendSeasonOrderReceiptEmail")
def resolve_send_season_order_receipt_email(_: None, info: GraphQLResolveInfo, orderId: str) -> Any:
    c = ctx(info)
    return c.services.delivery.resend_season_receipt(c.principal, orderId)


BINDABLES: list[SchemaBindable] = []  # root fields only: registered on `mutation` above
