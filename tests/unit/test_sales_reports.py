"""Sales-report subscriptions (SPEC R-RP-5): input, the run schedule, the summary's numbers (the
analytics' and the order report's, not new ones), the PDF, and the service over in-memory fakes
(one mail and one next run per run however often it is delivered, cancellation, permissions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.adapters.sales_report_pdf import render_sales_report
from shared.domain import analytics, reports
from shared.domain import sales_report as rules
from shared.domain.delivery_schedule import cloud_task_time
from shared.domain.models import (
    Event,
    EventSchedule,
    Fee,
    Order,
    Organization,
    Role,
    SubscriptionSalesReport,
    User,
)
from shared.domain.permissions import Principal
from shared.domain.tasks import Task
from shared.errors import DomainError, ErrorCode
from shared.services.mailer import Email, EmailRenderer, Sent
from shared.services.sales_reports import LINK_SECONDS, TASK_PATH, SalesReportService
from tests.unit.fakes import InMemoryTaskRecords, Repo

NOW = 1_767_225_600  # 2026-01-01 00:00 UTC
HOUR, DAY = 3600, 86_400


def event(ends_in: int = 20 * DAY, **extra: Any) -> Event:
    schedule = EventSchedule(startsAt=NOW + ends_in - 4 * HOUR, endsAt=NOW + ends_in)
    return Event.model_validate({"_id": "ev1", "orgId": "org", "createdAt": NOW - DAY, "name": "Night Owls",
                                 "schedule": schedule, **extra})  # fmt: skip


# --- input -------------------------------------------------------------------------------------


def test_a_subscription_keeps_the_address_and_the_canonical_frequency() -> None:
    event_id, made = rules.new_subscription(
        {"email": " Ada@Example.com ", "frequency": "weekly", "eventId": "ev1"}
    )
    assert (event_id, made.email, made.frequency) == ("ev1", "Ada@Example.com", "Weekly")
    assert made.id  # ours, never the client's


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"email": "a@b.co", "frequency": "Monthly", "eventId": "ev1"}, "frequency"),
        ({"email": "a@b.co", "frequency": "", "eventId": "ev1"}, "frequency"),
        ({"email": "not-an-address", "frequency": "Daily", "eventId": "ev1"}, "email"),
        ({"email": "", "frequency": "Daily", "eventId": "ev1"}, "email"),
        ({"email": "a@b.co", "frequency": "Daily", "eventId": " "}, "eventId"),
    ],
)
def test_invalid_input_names_the_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(DomainError) as raised:
        rules.new_subscription(params)
    assert raised.value.code == ErrorCode.INVALID_INPUT and raised.value.fields == [field]


def test_the_same_address_in_other_letters_is_refused() -> None:
    listed = [SubscriptionSalesReport(email="ada@example.com", frequency="Daily")]
    with pytest.raises(DomainError) as raised:
        rules.ensure_not_subscribed(listed, "ADA@Example.COM")
    assert raised.value.code == ErrorCode.CONFLICT and raised.value.message == rules.ALREADY_SUBSCRIBED
    rules.ensure_not_subscribed(listed, "grace@example.com")  # someone else may


def test_an_event_has_a_bounded_number_of_subscribers() -> None:
    listed = [SubscriptionSalesReport(email=f"s{i}@example.com", frequency="Daily")
              for i in range(rules.MAX_SUBSCRIBERS - 1)]  # fmt: skip
    rules.ensure_not_subscribed(listed, "last@example.com")  # the last free place
    full = [*listed, SubscriptionSalesReport(email="last@example.com", frequency="Daily")]
    with pytest.raises(DomainError) as raised:
        rules.ensure_not_subscribed(full, "one-more@example.com")
    assert raised.value.code == ErrorCode.LIMIT_EXCEEDED and raised.value.fields == ["email"]


# --- schedule ----------------------------------------------------------------------------------


def runs(frequency: rules.Frequency, first: int, ends_at: int) -> list[int]:
    times = [first]
    while (following := rules.next_run(frequency, times[-1], ends_at)) is not None:
        times.append(following)
        assert len(times) < 100
    return times


def test_daily_reports_run_each_day_until_the_first_one_after_the_end() -> None:
    end = NOW + 2 * DAY + 12 * HOUR
    assert runs("Daily", NOW, end) == [NOW, NOW + DAY, NOW + 2 * DAY, NOW + 3 * DAY]


def test_weekly_reports_run_weekly_then_at_the_end_and_a_day_later() -> None:
    end = NOW + 20 * DAY
    assert runs("Weekly", NOW, end) == [NOW, NOW + 7 * DAY, NOW + 14 * DAY, end, end + DAY]


def test_weekly_with_exactly_seven_days_left_goes_to_the_end() -> None:
    assert rules.next_run("Weekly", NOW, NOW + 7 * DAY) == NOW + 7 * DAY


@pytest.mark.parametrize("frequency", ["Daily", "Weekly"])
def test_a_subscription_made_after_the_event_gets_what_is_left(frequency: rules.Frequency) -> None:
    long_after = runs(frequency, NOW, NOW - 3 * DAY)
    assert long_after == [NOW]
    just_after = runs(frequency, NOW, NOW - HOUR)
    assert just_after == ([NOW] if frequency == "Daily" else [NOW, NOW - HOUR + DAY])


def test_an_event_without_a_date_gets_one_report() -> None:
    undated = Event(_id="e", orgId="org", createdAt=0)
    assert rules.event_end(undated) == 0 and rules.next_run("Daily", NOW, rules.event_end(undated)) is None


def test_the_event_start_stands_in_for_a_missing_end() -> None:
    assert (
        rules.event_end(Event(_id="e", orgId="org", createdAt=0, schedule=EventSchedule(startsAt=NOW))) == NOW
    )


# --- the numbers -------------------------------------------------------------------------------


def fee(name: str, applied_by: str, amount: int) -> dict[str, Any]:
    return Fee.model_validate({
        "name": name, "type": "Flat", "value": 1, "appliedBy": applied_by, "createdBy": "t",
        "createdAt": 0, "updatedBy": "t", "updatedAt": 0, "amount": str(amount),
    }).doc()  # fmt: skip


FEES = [fee("Platform", "Sellout", 150), fee("Card", "Stripe", 80), fee("Venue", "Organization", 200),
        fee("Sales tax", "Organization", 55)]  # fmt: skip


def item(name: str, price: int, refunded_at: int | None = None, upgrade: bool = False) -> dict[str, Any]:
    refund = {"refunded": True, "refundedAt": refunded_at, "refundedAmount": price} if refunded_at else {}
    data: dict[str, Any] = {"name": name, "price": price, "refund": refund}
    if upgrade:
        return {**data, "upgradeId": name}
    return {**data, "ticketTypeId": name, "ticketTierId": "t", "origionalPrice": price}


def order(order_id: str, **fields: Any) -> Order:
    data: dict[str, Any] = {
        "_id": order_id, "orgId": "org", "eventId": "ev1", "eventName": "Night Owls", "createdAt": NOW,
        "createdBy": "b", "tickets": [item("GA", 2500), item("GA", 2500)],
        "upgrades": [item("Parking", 1000, upgrade=True)], "fees": FEES,
        "payments": [{"amount": 6485, "paymentMethodType": "Card Entry"}],
    }  # fmt: skip
    return Order.model_validate({**data, **fields})


def test_the_summary_is_the_event_analytics_and_the_order_report_summed() -> None:
    show = event(ends_in=10 * DAY)
    starts = show.schedule.startsAt
    orders = [
        order("plain"),
        # One GA refunded before the show: not a sale (R-AN-2); the money went back.
        order("early", state="Partial Refund", refundedAmount=2500,
              tickets=[item("GA", 2500), item("VIP", 9000), item("GA", 2500, refunded_at=starts - DAY)]),
        # Refunded after the start: still a sale in event analytics, and refunded money.
        order("late", state="Refunded", refundedAmount=6485, upgrades=[],
              tickets=[item("VIP", 9000, refunded_at=starts + HOUR)]),
        order("canceled", state="Canceled"),  # never a sale: neither counted nor paid
        order("other-event", eventId="ev2"),
        order("other-org", orgId="org2"),
    ]  # fmt: skip

    summary = rules.summarize(show, orders)

    mine = [o for o in orders if o.eventId == "ev1" and o.orgId == "org"]
    totals = {a["label"]: a["totalValue"] for a in analytics.build(
        ["Total Sales", "Tickets Sold", "Upgrades Sold", "Total Orders", "Ticket Sales", "Upgrades Sales"],
        mine, cutoff=starts, per_item_segments=True, start_date=None, end_date=None, interval=None,
        now=NOW, event=show,
    )}  # fmt: skip
    assert (summary.orders, summary.tickets_sold, summary.upgrades_sold) == (3, 5, 2)
    assert (summary.ticket_sales, summary.upgrade_sales, summary.total_sales) == (25_500, 2_000, 27_500)
    assert totals == {"Total Sales": 27_500, "Tickets Sold": 5, "Upgrades Sold": 2, "Total Orders": 3,
                      "Ticket Sales": 25_500, "Upgrades Sales": 2_000}  # fmt: skip
    assert summary.ticket_types == [rules.ItemLine("GA", 3, 7_500), rules.ItemLine("VIP", 2, 18_000)]
    assert summary.upgrades == [rules.ItemLine("Parking", 2, 2_000)]
    sold = [o for o in mine if o.id != "canceled"]
    split = reports.fee_split(sold[0])
    assert summary.paid == 3 * 6485 == sum(reports.paid(o) for o in sold)
    assert (summary.processing_fees, summary.promoter_fees, summary.sales_tax) == (
        3 * split.processing, 3 * split.promoter, 3 * split.sales_tax,
    ) == (690, 600, 165)  # fmt: skip
    assert summary.refunded == 2500 + 6485 and summary.net == 3 * 6485 - 8985


def test_an_event_without_orders_reports_zeros() -> None:
    summary = rules.summarize(event(), [])
    assert (summary.orders, summary.total_sales, summary.paid, summary.net) == (0, 0, 0, 0)
    assert summary.ticket_types == [] and summary.upgrades == []


def test_the_document_words_and_formats_the_numbers() -> None:
    show = event(ends_in=10 * DAY)
    document = rules.report_document(rules.summarize(show, [order("a")]), show, None, "Owl & Co", NOW)
    assert document.title == "Sales report: Night Owls" and document.subtitle[0] == "Owl & Co"
    assert document.subtitle[-1] == "Sales as of 12/31/2025, 5:00pm(MST)"  # in the event's zone
    tables = {t.title: t for t in document.tables}
    assert list(tables) == ["Sales", "Tickets by type", "Upgrades", "Money"]
    assert ("Total sales", "", "$60.00") in tables["Sales"].rows
    assert ("Tickets", "2", "$50.00") in tables["Sales"].rows
    assert ("Refunded", "$0.00") in tables["Money"].rows and ("Paid by buyers", "$64.85") in tables[
        "Money"
    ].rows
    assert rules.money(-123_456) == "-$1,234.56"


def test_the_pdf_is_a_pdf_with_the_report_in_it_whatever_the_characters() -> None:
    show = event(name="Night Owls \U0001f989 Ünïcode")
    document = rules.report_document(rules.summarize(show, [order("a")]), show, None, "Owl & Co", NOW)

    pdf = render_sales_report(document, compress=False)

    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"Night Owls ? \xdcn\xefcode" in pdf and b"$64.85" in pdf  # Latin-1 kept, the owl replaced
    assert render_sales_report(document).startswith(b"%PDF-")


def test_the_file_and_the_subject_name_the_event_on_one_line() -> None:
    show = event(name="Night\nOwls")
    assert rules.subject(show) == "[SALES REPORT] Night Owls"
    assert rules.file_name(NOW, show, None) == "sales-report-12-31-2025.pdf"  # Denver: still 2025


# --- the service over fakes ----------------------------------------------------------------------


class Fakes(InMemoryTaskRecords):
    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.events = Repo(events)
        self.organizations = Repo([Organization(_id="org", userId="u", createdAt=0, orgName="Owl & Co")])
        self.enqueued: list[tuple[str, dict[str, Any], str | None, int | None]] = []
        self.sent: list[Email] = []
        self.files: dict[str, bytes] = {}
        self.fail_enqueue = False

    # Subscriptions: the compare-and-set is the adapter's; here the check and the change
    def add_subscription(
        self, event_id: str, new: SubscriptionSalesReport, check: Callable[[Event], None]
    ) -> None:
        current = self.events.get(event_id)
        check(current)
        current.subscription = [*current.subscription, new]

    def remove_subscription(self, event_id: str, subscription_id: str) -> bool:
        current = self.events.get(event_id)
        kept = [s for s in current.subscription if s.id != subscription_id]
        removed = len(kept) < len(current.subscription)
        current.subscription = kept
        return removed

    def tasks_of_subscription(self, subscription_id: str) -> list[Task]:
        return [t for t in self.tasks.values() if t.subscription and t.subscription.id == subscription_id]

    # TaskQueue, storage, mailer
    def enqueue(self, queue: str, function: str, payload: dict[str, Any], *, path: str = "/",
                key: str | None = None, run_at: int | None = None) -> str:  # fmt: skip
        if self.fail_enqueue:
            raise RuntimeError("queue down")
        self.enqueued.append((path, payload, key, run_at))
        return f"task-{len(self.enqueued)}"

    def put_pdf(self, name: str, data: bytes, filename: str) -> None:
        self.files[name] = data

    def report_url(self, name: str, expires_at: int) -> str:
        return f"https://storage.example/{name}?expires={expires_at}"

    def send(self, email: Email) -> Sent:
        self.sent.append(email)
        return Sent("fake", f"m{len(self.sent)}")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def service(events: list[Event]) -> tuple[SalesReportService, Fakes, Clock]:
    fakes, clock = Fakes(events), Clock()
    app = SalesReportService(
        events=fakes.events, venues=Repo([]), organizations=fakes.organizations,  # type: ignore[arg-type]
        subscriptions=fakes, records=fakes, tasks=fakes,  # type: ignore[arg-type]
        event_orders=lambda e: [order("a")], storage=lambda: fakes,
        render_pdf=lambda document: b"%PDF-" + document.title.encode(),
        mailer=lambda: fakes, email_from="reports@sellout.example",  # type: ignore[arg-type,return-value]
        renderer=EmailRenderer(), clock=clock,
    )  # fmt: skip
    return app, fakes, clock


def staff(role: str | None, org: str = "org") -> Principal:
    user = User(createdAt=NOW)
    roles = [Role(orgId=org, userId=user.id, userEmail="s@example.com", role=role, createdAt=NOW,  # type: ignore[arg-type]
                  createdBy="x", acceptedAt=NOW)] if role else []  # fmt: skip
    return Principal(user=user, token="t", claims={}, roles_loader=lambda _: roles)


ADMIN = staff("ADMIN")
PARAMS = {"email": "ada@example.com", "frequency": "Weekly", "eventId": "ev1"}


def test_subscribing_stores_the_subscriber_and_plans_its_first_run_now() -> None:
    app, fakes, _ = service([event()])

    answered = app.subscribe(ADMIN, PARAMS)

    (subscription,) = answered.subscription
    (task,) = fakes.tasks.values()
    assert task.id == rules.task_id(subscription.id, NOW) and task.executeAt == NOW
    assert (task.taskType, task.eventId, task.orgId, task.subscription) == (
        "SalesReport",
        "ev1",
        "org",
        subscription,
    )
    ((path, payload, _, run_at),) = fakes.enqueued
    assert (path, payload, run_at) == (TASK_PATH, {"taskId": task.id}, NOW)
    assert task.id in fakes.tasks and fakes.tasks[task.id].cloudTaskName == "task-1"
    with pytest.raises(DomainError) as raised:
        app.subscribe(ADMIN, {**PARAMS, "email": "ADA@example.com", "frequency": "Daily"})
    assert raised.value.code == ErrorCode.CONFLICT and len(fakes.events.items[0].subscription) == 1


def test_a_full_event_refuses_a_subscriber_before_storing_or_mailing_anything() -> None:
    app, fakes, _ = service([event()])
    for i in range(rules.MAX_SUBSCRIBERS):
        app.subscribe(ADMIN, {**PARAMS, "email": f"s{i}@example.com"})
    planned = dict(fakes.tasks)

    with pytest.raises(DomainError) as raised:
        app.subscribe(ADMIN, {**PARAMS, "email": "spam-target@example.com"})

    assert raised.value.code == ErrorCode.LIMIT_EXCEEDED
    assert len(fakes.events.items[0].subscription) == rules.MAX_SUBSCRIBERS
    assert fakes.tasks == planned  # no run planned, so nothing is mailed to that address


def test_a_run_mails_one_link_and_plans_the_next_run_once_however_often_it_is_delivered() -> None:
    app, fakes, clock = service([event()])
    app.subscribe(ADMIN, PARAMS)
    (first,) = fakes.tasks

    assert app.run_task({"taskId": first}) == "sent via fake"
    assert app.run_task({"taskId": first}) == "already done"
    fakes.tasks[first] = fakes.tasks[first].model_copy(update={"endedAt": None})  # delivered mid-run
    assert app.run_task({"taskId": first}) == "already sent"

    (mail,) = fakes.sent
    assert (mail.to, mail.subject, mail.from_name) == (
        "ada@example.com",
        "[SALES REPORT] Night Owls",
        "Owl & Co",
    )
    (name,) = fakes.files
    assert (
        name.startswith("reports/org/") and name.endswith(".pdf") and fakes.files[name].startswith(b"%PDF-")
    )
    assert f"https://storage.example/{name}?expires={NOW + LINK_SECONDS}" in mail.text
    assert "Total sales: $60.00" in mail.text and "Owl &amp; Co" in mail.html
    subscription = fakes.events.items[0].subscription[0]
    following = rules.task_id(subscription.id, NOW + 7 * DAY)
    assert sorted(fakes.tasks) == sorted([first, following])
    assert [e[3] for e in fakes.enqueued] == [NOW, NOW + 7 * DAY]  # the next run enqueued once
    assert fakes.tasks[first].success is True and fakes.tasks[following].pending

    clock.now = NOW + 7 * DAY
    assert app.run_task({"taskId": following}) == "sent via fake" and len(fakes.sent) == 2


def test_deleting_the_subscription_cancels_its_pending_run_and_a_late_delivery_sends_nothing() -> None:
    app, fakes, _ = service([event()])
    app.subscribe(ADMIN, PARAMS)
    (first,) = fakes.tasks
    subscription = fakes.events.items[0].subscription[0]

    answered = app.unsubscribe(ADMIN, "ev1", subscription.id)

    assert answered.subscription == [] and fakes.tasks[first].canceledAt == NOW
    assert app.run_task({"taskId": first}) == "cancelled" and fakes.sent == []
    with pytest.raises(DomainError) as raised:
        app.unsubscribe(ADMIN, "ev1", subscription.id)
    assert raised.value.code == ErrorCode.NOT_FOUND


def test_a_run_whose_subscriber_or_event_is_gone_ends_without_a_mail() -> None:
    app, fakes, _ = service([event()])
    app.subscribe(ADMIN, PARAMS)
    (first,) = fakes.tasks
    fakes.events.items[0].subscription = []  # removed while the run was queued
    assert app.run_task({"taskId": first}) == "subscription deleted"

    app2, fakes2, _ = service([event()])
    app2.subscribe(ADMIN, PARAMS)
    (first2,) = fakes2.tasks
    fakes2.events.items[0].cancel = True
    assert app2.run_task({"taskId": first2}) == "event cancelled"
    assert fakes.sent == fakes2.sent == [] and len(fakes.tasks) == len(fakes2.tasks) == 1
    assert fakes2.tasks[first2].success is False and fakes2.tasks[first2].outcome == "event cancelled"


def test_a_run_not_due_yet_is_enqueued_again_and_sends_nothing() -> None:
    app, fakes, _ = service([event(ends_in=90 * DAY)])
    subscriber = SubscriptionSalesReport(_id="s1", email="a@b.co", frequency="Weekly")
    far = Task(_id="t-far", taskType="SalesReport", createdAt=NOW, executeAt=NOW + 40 * DAY, eventId="ev1",
               orgId="org", subscription=subscriber)  # fmt: skip
    fakes.events.items[0].subscription = [subscriber]
    fakes.tasks[far.id] = far
    assert app.run_task({"taskId": far.id}) == "rescheduled"
    assert fakes.sent == [] and fakes.enqueued[-1][3] == cloud_task_time(far.executeAt, NOW) < far.executeAt


def test_a_subscription_whose_first_run_cannot_be_planned_is_taken_back() -> None:
    app, fakes, _ = service([event()])
    fakes.fail_enqueue = True
    with pytest.raises(RuntimeError):
        app.subscribe(ADMIN, PARAMS)
    assert fakes.events.items[0].subscription == []
    assert all(t.canceledAt == NOW for t in fakes.tasks.values())


@pytest.mark.parametrize(
    ("principal", "code"),
    [
        (None, ErrorCode.UNAUTHENTICATED),
        (staff("BOX_OFFICE"), ErrorCode.FORBIDDEN),
        (staff("ADMIN", org="org2"), ErrorCode.FORBIDDEN),
    ],
)
def test_only_an_admin_of_the_events_org_subscribes_or_unsubscribes(
    principal: Principal | None, code: ErrorCode
) -> None:
    app, fakes, _ = service([event()])
    with pytest.raises(DomainError) as raised:
        app.subscribe(principal, PARAMS)
    assert raised.value.code == code
    app.subscribe(ADMIN, PARAMS)
    with pytest.raises(DomainError) as again:
        app.unsubscribe(principal, "ev1", fakes.events.items[0].subscription[0].id)
    assert again.value.code == code and len(fakes.events.items[0].subscription) == 1


def test_subscribing_to_an_unknown_or_cancelled_event_is_refused() -> None:
    app, _, _ = service([event(), event(cancel=True).model_copy(update={"id": "ev2"})])
    with pytest.raises(DomainError) as missing:
        app.subscribe(ADMIN, {**PARAMS, "eventId": "nope"})
    with pytest.raises(DomainError) as cancelled:
        app.subscribe(ADMIN, {**PARAMS, "eventId": "ev2"})
    assert (missing.value.code, cancelled.value.code) == (ErrorCode.NOT_FOUND, ErrorCode.REFUSED)
