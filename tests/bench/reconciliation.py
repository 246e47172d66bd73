"""One connected account's day reconciled against the local Stripe: 600 captured charges (one
order each), 60 of them partly refunded through our refund records, two mismatches planted.
Prints the time, charges per second and Firestore documents read; asserts nothing.

Stripe is the local single-process fake, so the time is dominated by its listing pages and
look-ups; production Stripe answers a page in about 0.3-0.6 s (100 objects).
"""

from __future__ import annotations

import time
from typing import Any

from emulator import stack
from shared.adapters.io_stats import counting_io
from shared.bootstrap import services
from shared.domain.models import Order, Payment
from shared.domain.reconciliation import previous_day
from shared.domain.refund_rules import RefundPlan, RefundRecord
from tests.integration.checkout_fixtures import connected_org, stripe_client

CHARGES = 600
REFUNDED = 60
AMOUNT = 4200
REFUND = 1000


def _day(org_account: str) -> str:
    """Charges, their orders and refunds, written as checkout and refunds would leave them."""
    stripe = stripe_client()
    options: Any = {"stripe_account": org_account}
    org = next(iter(services().store.organizations.find(("stripeId", "==", org_account))))
    batch = services().store.client.batch()
    now = int(time.time())
    for n in range(CHARGES):
        charge = stripe.v1.charges.create(
            params={"amount": AMOUNT, "currency": "usd", "source": "tok_visa"}, options=options
        )
        refunded = n < REFUNDED
        paid = AMOUNT + 1 if n == CHARGES - 1 else AMOUNT  # planted: an amount written wrong
        order = Order(orgId=org.id, eventName="Bench", createdAt=now, createdBy="bench",
                      stripeChargeId=charge.id, refundedAmount=REFUND if refunded else 0,
                      payments=[Payment(amount=paid, paymentMethodType="Card Entry")])  # fmt: skip
        batch.set(services().store.client.collection("orders").document(order.id), order.doc())
        if refunded:
            record = RefundRecord(orderId=order.id, orgId=org.id, state="succeeded", amount=REFUND,
                                  plan=RefundPlan(orderId=order.id), stripeAccount=org_account,
                                  createdAt=now, createdBy="bench")  # fmt: skip
            made = stripe.v1.refunds.create(
                params={"charge": charge.id, "amount": REFUND, "metadata": {"refundId": record.id}},
                options=options,
            )
            record.stripeRefundId = made.id
            batch.set(services().store.client.collection("refunds").document(record.id), record.doc())
        if len(batch) >= 400:
            batch.commit()
            batch = services().store.client.batch()
    batch.commit()
    # Planted: money nobody recorded.
    stripe.v1.charges.create(params={"amount": 999, "currency": "usd", "source": "tok_visa"}, options=options)
    day = time.strftime("%Y-%m-%d", time.gmtime(now))
    return day


def run() -> None:
    stack.start(quiet=True)
    stack.reset_data()
    print(f"\n== Reconciliation: one account, {CHARGES} charges, {REFUNDED} refunds, on the local Stripe ==")
    org = connected_org("Bench Reconciled")
    started = time.perf_counter()
    day = _day(org.stripeId)
    print(f"setup {time.perf_counter() - started:.1f} s (day {day}; the scheduled run takes "
          f"{previous_day(time.time())} at 02:30 UTC)")  # fmt: skip
    service = services().reconciliation
    for label in ("first run", "rerun (nothing new)"):
        with counting_io() as io:
            started = time.perf_counter()
            result = service.reconcile_account(day, org.stripeId)
            seconds = time.perf_counter() - started
        print(f"{label}: {seconds:.2f} s, {(CHARGES + 1) / seconds:.0f} charges/s, "
              f"{len(result.found)} mismatches ({len(result.new)} new), Firestore {io.document_reads} "
              f"documents read in {io.round_trips} round trips, {io.document_writes} written")  # fmt: skip
