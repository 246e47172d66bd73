"""The GraphQL edge's input checks (SECURITY: hostile callers): ids, strings, numbers and lists
are checked against the domain bounds along the declared input types, before any resolver."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain import validation
from shared.errors import DomainError, ErrorCode
from shared.graphql_api.input_rules import check_arguments
from shared.graphql_api.schema import executable_schema


def _check(root: str, field: str, **arguments: Any) -> list[str]:
    schema = executable_schema()
    parent = schema.mutation_type if root == "Mutation" else schema.query_type
    assert parent is not None
    try:
        check_arguments(parent.fields[field].args, arguments)
    except DomainError as error:
        assert error.code == ErrorCode.INVALID_INPUT
        return error.fields
    return []


@pytest.mark.parametrize("unusable", [".", "..", "__x__", "__proto__", "a/b", "x" * 1600, "é", "a b"])
def test_an_id_firestore_cannot_use_is_refused(unusable: str) -> None:
    assert _check("Query", "event", eventId=unusable) == ["eventId"]


@pytest.mark.parametrize("usable", ["", "Zq3kP0aXw9LmNb", "pi_3Nabc_secret-1", "a" * 128, "_x_"])
def test_our_ids_firebase_uids_and_stripe_ids_pass(usable: str) -> None:
    assert _check("Query", "event", eventId=usable) == []


def test_ids_are_found_in_lists_and_inside_input_objects() -> None:
    fields = _check(
        "Mutation", "createOrder",
        params={"orgId": "org1", "eventId": "..", "tickets": [
            {"ticketTypeId": "tt1", "ticketTierId": "__t__", "price": 100},
        ]},
    )  # fmt: skip
    assert fields == ["params.eventId", "params.tickets.0.ticketTierId"]
    assert _check("Mutation", "multipleBreakApartOrder", orderId=["ok1", "."]) == ["orderId.1"]


def test_null_items_of_any_input_list_are_refused() -> None:
    params = {"orgId": "o", "eventId": "e", "tickets": [None], "upgrades": [None]}
    assert _check("Mutation", "createOrderPaymentIntent", params={**params, "channel": "Online"}) == [
        "params.tickets.0",
        "params.upgrades.0",
    ]
    assert _check("Mutation", "scanOrder", orderId="o", ticketIds=[None], upgradeIds=[]) == ["ticketIds.0"]


def test_pagination_is_bounded() -> None:
    assert _check("Query", "orders", pagination={"pageSize": -1}) == ["pagination.pageSize"]
    assert _check("Query", "orders", pagination={"pageSize": 2**31 - 1}) == ["pagination.pageSize"]
    assert _check("Query", "orders", pagination={"pageSize": 0}) == ["pagination.pageSize"]
    assert _check("Query", "orders", pagination={"pageSize": 100, "pageNumber": -1}) == [
        "pagination.pageNumber"
    ]
    assert _check("Query", "orders", pagination={"pageSize": 100, "pageNumber": 10**6}) == [
        "pagination.pageNumber"
    ]
    assert _check("Query", "orders", pagination={"pageSize": 100, "pageNumber": 0}) == []
    assert _check("Query", "orders", pagination=None) == []


def test_strings_are_bounded_by_what_the_field_holds() -> None:
    assert _check("Mutation", "createVenue", venue={"name": "x" * 200}) == []
    assert _check("Mutation", "createVenue", venue={"name": "x" * 201}) == ["venue.name"]
    assert _check("Mutation", "createVenue", venue={"description": "x" * 20_000}) == []
    assert _check("Mutation", "createVenue", venue={"description": "x" * 20_001}) == ["venue.description"]
    assert _check("Mutation", "updateBasicUserInfo", firstName="x" * 500_000) == ["firstName"]
    assert _check("Mutation", "createVenue", venue={"address": {"city": "x" * 201}}) == ["venue.address.city"]
    assert _check("Query", "userExists", email="x" * 255) == ["email"]
    assert _check("Query", "eventTickets", promoCode="x" * 65) == ["promoCode"]
    assert _check("Mutation", "createVenue", venue={"tax": "x" * 1_001}) == ["venue.tax"]


@pytest.mark.parametrize("bad", ["A\x00B", "A\x1bB", "A\u202eB", "A\u2066B", "A\x85B", "A\nB", "A\ud800"])
def test_control_and_bidi_override_characters_are_refused_in_single_line_text(bad: str) -> None:
    assert _check("Mutation", "updateBasicUserInfo", firstName=bad) == ["firstName"]


def test_multi_line_text_keeps_newlines_and_tabs_but_not_other_controls() -> None:
    assert _check("Mutation", "createVenue", venue={"description": "Doors 8pm\n\tBar\r\n"}) == []
    assert _check("Mutation", "createVenue", venue={"description": "x\x1b[31m"}) == ["venue.description"]
    assert _check("Mutation", "updateBasicUserInfo", firstName="Zoë 李 O'Brien-Smith") == []


def test_prices_and_quantities_are_bounded() -> None:
    tier = {"price": validation.MAX_PRICE_CENTS, "totalQty": validation.MAX_QUANTITY}
    event = {"ticketTypes": [{"tiers": [tier]}]}
    assert _check("Mutation", "createEvent", event=event) == []
    tier = {"price": 2**31 - 1, "totalQty": -1}
    event = {"ticketTypes": [{"tiers": [tier]}]}
    assert _check("Mutation", "createEvent", event=event) == [
        "event.ticketTypes.0.tiers.0.price",
        "event.ticketTypes.0.tiers.0.totalQty",
    ]
    assert _check("Mutation", "refundOrder", orderId="o", refundAmount=-5) == ["refundAmount"]


def test_an_order_holds_a_bounded_number_of_items() -> None:
    ticket = {"ticketTypeId": "t", "ticketTierId": "r", "price": 0}
    params = {"orgId": "o", "eventId": "e", "tickets": [ticket] * (validation.MAX_ORDER_ITEMS + 1)}
    assert _check("Mutation", "createOrder", params=params) == ["params.tickets"]


def test_a_request_past_its_time_budget_starts_no_further_root_field() -> None:
    import time
    from types import SimpleNamespace

    from shared.graphql_api.input_rules import RequestBudgetExceededError, edge_middleware

    resolved: list[str] = []

    def resolve(*_: Any) -> str:
        resolved.append("ran")
        return "ok"

    root = SimpleNamespace(
        field_name="user", parent_type=SimpleNamespace(fields={}), path=SimpleNamespace(prev=None)
    )
    assert edge_middleware(time.monotonic() + 60)(resolve, None, root) == "ok"
    with pytest.raises(RequestBudgetExceededError):
        edge_middleware(time.monotonic() - 1)(resolve, None, root)
    assert resolved == ["ran"]
    # The fields of a root field already resolved still answer: its result is not thrown away.
    nested = SimpleNamespace(
        field_name="email", parent_type=SimpleNamespace(fields={}), path=SimpleNamespace(prev=root.path)
    )
    assert edge_middleware(time.monotonic() - 1)(resolve, {"email": "a"}, nested) == "ok"


def test_the_budget_refusal_is_reported_once_however_many_fields_it_stopped() -> None:
    from shared.graphql_api.input_rules import RequestBudgetExceededError
    from shared.graphql_api.server import _one_budget_error

    budget = {"message": RequestBudgetExceededError.MESSAGE, "path": ["a"]}
    other = {"message": "Event not found.", "path": ["b"]}
    result = {
        "data": {"a": None},
        "errors": [budget, other, {**budget, "path": ["c"]}, {**budget, "path": ["d"]}],
    }
    assert _one_budget_error(result)["errors"] == [budget, other]


def test_introspection_fields_with_arguments_pass_the_middleware() -> None:
    """`__type(name:)` is no field of Query's own map; the middleware must not fail on it."""
    import time
    from types import SimpleNamespace

    from shared.graphql_api.input_rules import edge_middleware

    schema = executable_schema()
    info = SimpleNamespace(
        field_name="__type", parent_type=schema.query_type, path=SimpleNamespace(prev=None)
    )
    answer = edge_middleware(time.monotonic() + 60)(lambda *_, **__: "Event", None, info, name="Event")
    assert answer == "Event"
