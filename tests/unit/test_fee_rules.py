"""Pure fee rules: input validation with the clients' field paths, and the platform-fee re-apply
plan (R-FEE-2, D-14)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.fee_rules import build_fee, content_of, is_platform_copy, plan_platform_copies
from shared.domain.models import Fee
from shared.errors import DomainError, ErrorCode
from shared.services.fees import copy_id

AUDIT = {"createdBy": "u1", "createdAt": 100, "updatedBy": "u1", "updatedAt": 100}


def fee(**fields: Any) -> Fee:
    return Fee.model_validate({"name": "Service", "type": "Flat", "value": 100, **AUDIT, **fields})


def invalid_args(data: dict[str, Any]) -> list[str]:
    with pytest.raises(DomainError) as caught:
        build_fee({**AUDIT, **data})
    assert caught.value.code == ErrorCode.INVALID_INPUT
    return caught.value.fields


def test_every_enum_field_is_checked_and_named_by_its_input_key():
    bad = {
        "name": "x", "type": "Flatt", "value": 1, "appliedTo": "Cart", "appliedBy": "Promoter",
        "filters": ["Seated", "VIP"], "paymentMethods": ["Card Entry"],  # an order label, not a fee label
    }  # fmt: skip
    assert invalid_args(bad) == [
        "fee.type",
        "fee.appliedTo",
        "fee.appliedBy",
        "fee.filters",
        "fee.paymentMethods",
    ]


def test_required_fields_and_negative_values_are_refused():
    assert set(invalid_args({"name": "", "value": -1})) == {"fee.name", "fee.type", "fee.value"}


def test_the_exact_enum_spellings_are_accepted_and_duplicates_dropped():
    built = build_fee({
        **AUDIT, "name": " Box office ", "type": "Percent", "value": 3.5, "appliedTo": "Order",
        "appliedBy": "Stripe", "filters": ["Card Reader Wifi", "Guest ticket", "Card Reader Wifi"],
        "paymentMethods": ["Manual Card Entry", "Card Reader (Bluetooth)", "Manual Card Entry"],
    })  # fmt: skip
    assert built.name == "Box office"
    assert built.filters == ["Card Reader Wifi", "Guest ticket"]
    assert built.paymentMethods == ["Manual Card Entry", "Card Reader (Bluetooth)"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"type": "Percent", "value": 101}, "fee.value"),
        ({"type": "Percent", "value": 100, "appliedBy": "Stripe"}, "fee.value"),  # gross-up divides by 0
        ({"name": "Sales tax", "type": "Flat", "value": 8}, "fee.type"),
        ({"minAppliedToPrice": 500, "maxAppliedToPrice": 100}, "fee.maxAppliedToPrice"),
        ({"minAppliedToPrice": -1}, "fee.minAppliedToPrice"),
    ],
)
def test_rules_the_enums_cannot_express(data: dict[str, Any], field: str):
    assert invalid_args({"name": "F", "type": "Flat", "value": 1, **data}) == [field]


def test_rules_allow_their_boundaries():
    assert build_fee({**AUDIT, "name": "All", "type": "Percent", "value": 100}).value == 100
    assert build_fee({**AUDIT, "name": "Sales tax", "type": "Percent", "value": 8.31}).value == 8.31
    open_ended = build_fee({**AUDIT, "name": "F", "type": "Flat", "value": 1, "minAppliedToPrice": 500,
                            "maxAppliedToPrice": 0})  # fmt: skip
    assert open_ended.maxAppliedToPrice == 0  # 0 = unbounded (R-FEE-5), not "below the minimum"


def test_only_content_keys_come_from_the_client():
    sent = {
        "_id": "x", "name": "F", "value": 2, "type": None, "orgId": "other", "eventId": "e",
        "createdBy": "me", "disabled": True, "amount": 99, "isApplyPlatformFee": True,
    }  # fmt: skip
    assert content_of(sent) == {"name": "F", "value": 2}


def test_scope_follows_the_ids():
    assert fee().scope == "platform"
    assert fee(orgId="o").scope == "organization"
    assert fee(orgId="o", eventId="e").scope == "event"
    assert fee(orgId="o", seasonId="s").scope == "season"
    assert is_platform_copy(fee(orgId="o", isApplyPlatformFee=True))
    assert not is_platform_copy(fee(orgId="o", eventId="e", isApplyPlatformFee=True))  # event's own


# --- platform-fee re-apply ---------------------------------------------------------------------


def plan(platform: list[Fee], orgs: list[str], existing: list[Fee]) -> dict[str, Any]:
    plans = plan_platform_copies(platform, orgs, existing, copy_id=copy_id, user_id="su", now=500)
    return {p.org_id: p for p in plans}


def test_reapply_replaces_only_platform_copies_and_keeps_custom_fees():
    p1 = fee(id="p1", name="Sellout", appliedBy="Sellout", value=150)
    p2 = fee(id="p2", name="Stripe", appliedBy="Stripe", type="Percent", value=2.9)
    stale = fee(id="old-copy", orgId="o1", isApplyPlatformFee=True, name="Removed platform fee")
    outdated = fee(id=copy_id("p1", "o1"), orgId="o1", isApplyPlatformFee=True, name="Sellout",
                   appliedBy="Sellout", value=99, createdAt=42, createdBy="creator")  # fmt: skip
    custom = fee(id="custom", orgId="o1", name="Venue fee")
    event_copy = fee(id="ev", orgId="o1", eventId="e1", isApplyPlatformFee=True)
    by_org = plan([p1, p2], ["o1", "o2"], [stale, outdated, custom, event_copy])

    o1 = by_org["o1"]
    assert o1.deletes == ["old-copy"]  # never the custom fee, never the event's copy
    saved = {f.id: f for f in o1.saves}
    assert set(saved) == {copy_id("p1", "o1"), copy_id("p2", "o1")}
    refreshed = saved[copy_id("p1", "o1")]
    assert (refreshed.value, refreshed.createdAt, refreshed.createdBy) == (150, 42, "creator")
    assert (refreshed.updatedAt, refreshed.updatedBy) == (500, "su")
    assert all(f.orgId == "o1" and f.isApplyPlatformFee and f.scope == "organization" for f in o1.saves)

    assert {f.id for f in by_org["o2"].saves} == {copy_id("p1", "o2"), copy_id("p2", "o2")}
    assert by_org["o2"].deletes == []


def test_reapply_is_idempotent_and_skips_disabled_platform_fees():
    p1 = fee(id="p1", appliedBy="Sellout")
    off = fee(id="p-off", appliedBy="Sellout", disabled=True)
    first = plan([p1, off], ["o1"], [])
    assert [f.id for f in first["o1"].saves] == [copy_id("p1", "o1")]
    assert plan([p1, off], ["o1"], first["o1"].saves) == {}  # a second run changes nothing


def test_reapply_removes_every_copy_when_no_platform_fee_is_left():
    copy = fee(id=copy_id("p1", "o1"), orgId="o1", isApplyPlatformFee=True)
    by_org = plan([], ["o1"], [copy, fee(id="mine", orgId="o1")])
    assert by_org["o1"].deletes == [copy.id]
    assert by_org["o1"].saves == []
