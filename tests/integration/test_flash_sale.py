"""1,500 buyers for the last 1,000 tickets, at once, through the GraphQL API (issue: no oversell).
The control that shows the race is real without the protection is in test_inventory_concurrency."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tests.integration.api import gql
from tests.integration.checkout_fixtures import clerk, connected_org, on_sale_event, sold, ticket

CAPACITY = 1000
BUYERS = 1500
CREATE_ORDER = "mutation($p: OrderInput!) { createOrder(params: $p) { _id } }"


def test_exactly_the_capacity_is_sold_and_everyone_else_hears_sold_out():
    org = connected_org()
    event = on_sale_event(org, capacity=CAPACITY)
    seller = clerk(org)
    params = {"orgId": org.id, "eventId": event.id, "channel": "Box Office", "paymentMethodType": "Cash",
              "type": "Paid", "tickets": [ticket(event)]}  # fmt: skip

    def buy(_: int) -> str:
        result = gql(CREATE_ORDER, {"p": params}, token=seller.token)
        if not result.get("errors"):
            return "sold"
        return str(result["errors"][0]["extensions"].get("errorCode"))

    with ThreadPoolExecutor(max_workers=32) as pool:
        outcomes = Counter(pool.map(buy, range(BUYERS)))
    assert outcomes == Counter({"sold": CAPACITY, "SOLD_OUT": BUYERS - CAPACITY})
    assert sold(event) == CAPACITY
