"""Fee administration and fee reads through the GraphQL function over HTTP, with real ID tokens
(R-FEE-1, R-FEE-2, D-14)."""

from __future__ import annotations

import time
from typing import Any

from shared.adapters.fee_store import FirestoreFeeWriter
from shared.bootstrap import services
from shared.domain.models import Event, Fee
from shared.domain.permissions import Principal
from shared.services.fees import FeeService, copy_id
from tests.integration.api import Caller, data_of, error_of, gql, make_org, new_user, staff_of

FIELDS = """_id name orgId eventId seasonId type value appliedTo appliedBy minAppliedToPrice
  maxAppliedToPrice filters paymentMethods isApplyPlatformFee disabled
  createdBy createdAt updatedBy updatedAt"""
CREATE_FEE = f"mutation($fee: FeeInput!) {{ createFee(fee: $fee) {{ {FIELDS} }} }}"
UPDATE_FEE = f"mutation($fee: FeeInput!) {{ updateFee(fee: $fee) {{ {FIELDS} }} }}"
DISABLE_FEE = "mutation($id: String!) { disableFee(feeId: $id) }"
EVENT_FEES = f"query($id: String!) {{ eventFees(eventId: $id) {{ {FIELDS} }} }}"
FEE = f"query($id: String!) {{ fee(feeId: $id) {{ {FIELDS} }} }}"
FEES = "query($ids: [String]!, $org: String) { fees(feeIds: $ids, orgId: $org) { _id name } }"
CREATE_PLATFORM = f"mutation($fee: FeeInput!) {{ createPlatformFee(fee: $fee) {{ {FIELDS} }} }}"
UPDATE_PLATFORM = f"mutation($fee: FeeInput!) {{ updatePlatformFee(fee: $fee) {{ {FIELDS} }} }}"
DELETE_PLATFORM = "mutation($id: String!) { deletePlatformFee(feeId: $id) }"
PLATFORM_FEES = f"{{ platformFees {{ {FIELDS} }} }}"
ORG_FEES = f"query($org: String!) {{ organizationFees(orgId: $org) {{ {FIELDS} }} }}"
APPLY = "mutation { applyPlatformFeesToAllOrganizations }"
CREATE_ORG_FEE = f"mutation($org: String!, $fee: FeeInput!) {{ createOrganizationFee(orgId: $org, fee: $fee) {{ {FIELDS} }} }}"  # noqa: E501

FLAT = {
    "name": "Facility fee",
    "type": "Flat",
    "value": 150,
    "appliedTo": "Ticket",
    "appliedBy": "Organization",
}
DENIED = "You do not have permission to do this."


def make_event(org_id: str) -> Event:
    return services().store.events.create(Event(orgId=org_id, createdAt=int(time.time())))


def super_user() -> Caller:
    return new_user(superUser=True)


def stored(fee_id: str) -> Fee:
    fee = services().store.fees.get(fee_id)
    assert fee is not None, f"fee {fee_id} is gone"
    return fee


def gone(fee_id: str) -> bool:
    return services().store.fees.get(fee_id) is None


def assert_denied(result: dict[str, Any]) -> None:
    error = error_of(result)
    assert error["message"] == DENIED
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


def test_an_admin_creates_updates_and_disables_an_org_fee():
    org = make_org()
    admin = staff_of(org.id, "ADMIN")
    sent = {**FLAT, "amount": 999, "isApplyPlatformFee": True, "_id": "client-id", "paymentMethods": ["Cash"]}
    created = data_of(admin.gql(CREATE_FEE, {"fee": sent}))["createFee"]
    assert created["orgId"] == org.id and created["eventId"] is None
    assert created["_id"] != "client-id"
    assert created["isApplyPlatformFee"] is False  # only the platform copy-down sets it
    assert created["createdBy"] == created["updatedBy"] != ""
    assert created["paymentMethods"] == ["Cash"] and created["disabled"] is False
    assert stored(created["_id"]).amount is None  # FeeInput.amount is for order snapshots only

    updated = data_of(
        admin.gql(UPDATE_FEE, {"fee": {"_id": created["_id"], "value": 200, "name": "Facility"}})
    )
    updated = updated["updateFee"]
    assert (updated["value"], updated["name"], updated["type"]) == (200, "Facility", "Flat")
    assert updated["createdAt"] == created["createdAt"] and updated["updatedAt"] >= created["updatedAt"]

    assert data_of(admin.gql(DISABLE_FEE, {"id": created["_id"]}))["disableFee"] is True
    assert stored(created["_id"]).disabled is True


def test_an_admin_manages_an_event_fee_of_its_own_org_and_event_fees_hide_disabled_ones():
    org = make_org()
    event = make_event(org.id)
    admin = staff_of(org.id, "ADMIN")
    kept = data_of(admin.gql(CREATE_FEE, {"fee": {**FLAT, "eventId": event.id}}))["createFee"]
    gone = data_of(admin.gql(CREATE_FEE, {"fee": {**FLAT, "name": "Parking", "eventId": event.id}}))[
        "createFee"
    ]
    assert (kept["eventId"], kept["orgId"]) == (event.id, org.id)
    data_of(admin.gql(UPDATE_FEE, {"fee": {"_id": kept["_id"], "eventId": event.id, "value": 175}}))
    data_of(admin.gql(DISABLE_FEE, {"id": gone["_id"]}))

    public = data_of(gql(EVENT_FEES, {"id": event.id}))["eventFees"]
    assert [(f["_id"], f["value"]) for f in public] == [(kept["_id"], 175)]
    assert public[0]["createdBy"] == ""  # anonymous readers do not see staff ids
    as_admin = data_of(admin.gql(EVENT_FEES, {"id": event.id}))["eventFees"]
    assert as_admin[0]["createdBy"] == kept["createdBy"]
    assert data_of(gql(FEE, {"id": gone["_id"]}))["fee"]["disabled"] is True  # fees are not secret


def test_an_update_cannot_move_a_fee_to_another_event():
    org = make_org()
    first, second = make_event(org.id), make_event(org.id)
    admin = staff_of(org.id, "ADMIN")
    fee = data_of(admin.gql(CREATE_FEE, {"fee": {**FLAT, "eventId": first.id}}))["createFee"]
    error = error_of(admin.gql(UPDATE_FEE, {"fee": {"_id": fee["_id"], "eventId": second.id}}))
    assert error["message"] == "Invalid Fields"
    assert error["extensions"]["invalidArgs"] == ["fee.eventId"]
    assert stored(fee["_id"]).eventId == first.id


def test_an_admin_of_another_org_cannot_touch_the_fee():
    org, other = make_org("Mine"), make_org("Theirs")
    event = make_event(org.id)
    admin = staff_of(org.id, "ADMIN")
    org_fee = data_of(admin.gql(CREATE_FEE, {"fee": FLAT}))["createFee"]
    event_fee = data_of(admin.gql(CREATE_FEE, {"fee": {**FLAT, "eventId": event.id}}))["createFee"]
    intruder = staff_of(other.id, "ADMIN")
    for fee in (org_fee, event_fee):
        assert_denied(intruder.gql(UPDATE_FEE, {"fee": {"_id": fee["_id"], "value": 1}}))
        assert_denied(intruder.gql(DISABLE_FEE, {"id": fee["_id"]}))
        assert (stored(fee["_id"]).value, stored(fee["_id"]).disabled) == (150, False)
    # naming the victim org in X-Org-Id does not help without a role there
    assert_denied(intruder.gql(DISABLE_FEE, {"id": org_fee["_id"]}, org_id=org.id))
    # nor can it attach a fee to the other org's event
    assert_denied(intruder.gql(CREATE_FEE, {"fee": {**FLAT, "eventId": event.id}}))
    assert_denied(staff_of(org.id, "BOX_OFFICE").gql(CREATE_FEE, {"fee": FLAT}))
    assert error_of(gql(CREATE_FEE, {"fee": FLAT}))["message"] == "Authentication Required."


def test_bad_enum_values_name_the_fields():
    admin = staff_of(make_org().id, "ADMIN")
    bad = {"name": "X", "type": "Fixed", "value": 1, "appliedTo": "Cart", "appliedBy": "Venue",
           "filters": ["Seated", "VIP"], "paymentMethods": ["Card Entry"]}  # fmt: skip
    error = error_of(admin.gql(CREATE_FEE, {"fee": bad}))
    assert error["message"] == "Invalid Fields"
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    expected = {"fee.type", "fee.appliedTo", "fee.appliedBy", "fee.filters", "fee.paymentMethods"}
    assert set(error["extensions"]["invalidArgs"]) == expected
    assert error["extensions"]["exception"]["invalidArgs"] == error["extensions"]["invalidArgs"]
    missing = error_of(admin.gql(CREATE_FEE, {"fee": {"name": "X"}}))
    assert set(missing["extensions"]["invalidArgs"]) == {"fee.type", "fee.value"}


def test_platform_fees_are_for_super_users_only():
    org = make_org()
    admin = staff_of(org.id, "ADMIN")
    assert_denied(admin.gql(CREATE_PLATFORM, {"fee": FLAT}))
    assert_denied(admin.gql(PLATFORM_FEES))
    assert_denied(admin.gql(APPLY))

    su = super_user()
    created = data_of(su.gql(CREATE_PLATFORM, {"fee": {"name": "Sellout", "type": "Flat", "value": 100}}))
    created = created["createPlatformFee"]
    assert (created["orgId"], created["eventId"], created["appliedBy"]) == (None, None, "Sellout")
    # an ADMIN cannot edit or disable the platform fee either
    assert_denied(admin.gql(UPDATE_FEE, {"fee": {"_id": created["_id"], "value": 0}}))
    assert_denied(admin.gql(DISABLE_FEE, {"id": created["_id"]}))

    updated = data_of(su.gql(UPDATE_PLATFORM, {"fee": {"_id": created["_id"], "value": 125}}))
    assert updated["updatePlatformFee"]["value"] == 125
    assert [f["_id"] for f in data_of(su.gql(PLATFORM_FEES))["platformFees"]] == [created["_id"]]
    assert data_of(su.gql(DELETE_PLATFORM, {"id": created["_id"]}))["deletePlatformFee"] is True
    assert gone(created["_id"])
    assert data_of(su.gql(PLATFORM_FEES))["platformFees"] == []


def test_super_users_manage_org_and_event_fees_of_any_org():
    org = make_org()
    event = make_event(org.id)
    su = super_user()
    org_fee = data_of(su.gql(CREATE_ORG_FEE, {"org": org.id, "fee": FLAT}))["createOrganizationFee"]
    assert org_fee["orgId"] == org.id
    event_fee = data_of(su.gql(
        f"""mutation($e: String, $fee: FeeInput!) {{
              createEventOrSeasonFee(eventId: $e, fee: $fee) {{ {FIELDS} }} }}""",
        {"e": event.id, "fee": FLAT},
    ))["createEventOrSeasonFee"]  # fmt: skip
    assert (event_fee["orgId"], event_fee["eventId"]) == (org.id, event.id)  # org taken from the event
    assert [f["_id"] for f in data_of(su.gql(ORG_FEES, {"org": org.id}))["organizationFees"]] == [
        org_fee["_id"]
    ]
    # an org-fee mutation cannot reach the event fee
    wrong = error_of(su.gql(
        "mutation($o: String!, $id: String!) { deleteOrganizationFee(orgId: $o, feeId: $id) }",
        {"o": org.id, "id": event_fee["_id"]},
    ))  # fmt: skip
    assert wrong["message"] == "Fee not found."
    assert data_of(su.gql(
        "mutation($e: String, $id: String!) { deleteEventOrSeasonFee(eventId: $e, feeId: $id) }",
        {"e": event.id, "id": event_fee["_id"]},
    ))["deleteEventOrSeasonFee"] is True  # fmt: skip
    assert gone(event_fee["_id"])
    assert_denied(staff_of(org.id, "OWNER").gql(ORG_FEES, {"org": org.id}))


def test_apply_platform_fees_replaces_only_platform_copies_and_is_idempotent():
    su = super_user()
    org_a, org_b = make_org("A"), make_org("B")
    store, fees = services().store, services().fees
    now = int(time.time())
    old_platform = Fee(name="Old Sellout", type="Flat", value=50, appliedBy="Sellout",
                       createdBy="x", createdAt=now, updatedBy="x", updatedAt=now)  # fmt: skip
    store.fees.save(old_platform)
    old_copies = fees.copy_platform_fees_to_org(org_a.id, "x")
    assert [c.isApplyPlatformFee for c in old_copies] == [True]
    legacy_copy = Fee(name="Legacy copy", type="Flat", value=1, orgId=org_a.id, isApplyPlatformFee=True,
                      createdBy="x", createdAt=now, updatedBy="x", updatedAt=now)  # fmt: skip
    store.fees.save(legacy_copy)  # a platform copy with an id the original system chose
    admin = staff_of(org_a.id, "ADMIN")
    custom = data_of(admin.gql(CREATE_FEE, {"fee": FLAT}))["createFee"]
    # an ADMIN cannot edit the org's copy of a platform fee
    assert_denied(admin.gql(UPDATE_FEE, {"fee": {"_id": old_copies[0].id, "value": 0}}))

    store.fees.delete(old_platform.id)
    new_platform = data_of(su.gql(CREATE_PLATFORM, {"fee": {"name": "Sellout", "type": "Percent",
                                                             "value": 3, "appliedTo": "Order"}}))  # fmt: skip
    new_id = new_platform["createPlatformFee"]["_id"]

    def org_fees(org_id: str) -> dict[str, dict[str, Any]]:
        return {f["_id"]: f for f in data_of(su.gql(ORG_FEES, {"org": org_id}))["organizationFees"]}

    assert data_of(su.gql(APPLY))["applyPlatformFeesToAllOrganizations"] is True
    after_a, after_b = org_fees(org_a.id), org_fees(org_b.id)
    assert set(after_a) == {custom["_id"], copy_id(new_id, org_a.id)}  # old copies gone, custom kept
    assert after_a[custom["_id"]] == custom
    copy = after_a[copy_id(new_id, org_a.id)]
    assert (copy["name"], copy["value"], copy["isApplyPlatformFee"]) == ("Sellout", 3, True)
    assert set(after_b) == {copy_id(new_id, org_b.id)}

    assert data_of(su.gql(APPLY))["applyPlatformFeesToAllOrganizations"] is True
    assert org_fees(org_a.id) == after_a  # nothing rewritten, nothing duplicated
    assert org_fees(org_b.id) == after_b


def test_the_batched_writer_applies_the_same_plan():
    su = super_user()
    orgs = [make_org(f"Org {i}") for i in range(3)]
    store = services().store
    data_of(su.gql(CREATE_PLATFORM, {"fee": {"name": "Sellout", "type": "Flat", "value": 99}}))
    custom = data_of(staff_of(orgs[0].id, "ADMIN").gql(CREATE_FEE, {"fee": FLAT}))["createFee"]
    # a tiny batch size forces several commits, without splitting an org's group
    batched = FeeService(store, writer=FirestoreFeeWriter(store.client, max_batch=2))
    assert batched.apply_platform_fees_to_all_organizations(_principal(su)) is True
    platform = batched.platform_fees()
    for org in orgs:
        fees = {f.id for f in batched.organization_fees(org.id)}
        expected = {copy_id(p.id, org.id) for p in platform}
        assert fees == (expected | {custom["_id"]} if org is orgs[0] else expected)


def _principal(caller: Caller) -> Principal:
    user = services().identity.user_for_claims(
        {"uid": caller.uid, "email": caller.email, "email_verified": True}
    )
    return Principal(user=user, token=caller.token, claims={"superUser": True}, roles_loader=lambda _: [])


def test_copy_to_an_event_takes_only_enabled_org_fees():
    org = make_org()
    admin = staff_of(org.id, "ADMIN")
    on = data_of(admin.gql(CREATE_FEE, {"fee": FLAT}))["createFee"]
    off = data_of(admin.gql(CREATE_FEE, {"fee": {**FLAT, "name": "Old"}}))["createFee"]
    data_of(admin.gql(DISABLE_FEE, {"id": off["_id"]}))
    event = make_event(org.id)
    copies = services().fees.copy_org_fees_to_event(org.id, event.id, "creator")
    assert [c.id for c in copies] == [copy_id(on["_id"], event.id)]
    public = data_of(gql(EVENT_FEES, {"id": event.id}))["eventFees"]
    assert [(f["name"], f["eventId"], f["orgId"]) for f in public] == [("Facility fee", event.id, org.id)]
    services().fees.copy_org_fees_to_event(org.id, event.id, "creator")  # a retried copy-down
    assert len(data_of(gql(EVENT_FEES, {"id": event.id}))["eventFees"]) == 1


def test_fee_reads_by_id():
    org, other = make_org(), make_org()
    a = data_of(staff_of(org.id, "ADMIN").gql(CREATE_FEE, {"fee": FLAT}))["createFee"]
    b = data_of(staff_of(other.id, "ADMIN").gql(CREATE_FEE, {"fee": {**FLAT, "name": "B"}}))["createFee"]
    ids = [b["_id"], "missing", a["_id"]]
    assert [f["_id"] for f in data_of(gql(FEES, {"ids": ids}))["fees"]] == [b["_id"], a["_id"]]
    assert [f["_id"] for f in data_of(gql(FEES, {"ids": ids, "org": org.id}))["fees"]] == [a["_id"]]
    list_fees = "query($ids: [String]!) { listFees(feeIds: $ids) { _id } }"
    assert error_of(gql(list_fees, {"ids": ids}))["message"] == "Authentication Required."
    assert len(data_of(new_user().gql(list_fees, {"ids": ids}))["listFees"]) == 2
    assert data_of(new_user().gql("{ processingFee }"))["processingFee"] is None
    assert data_of(gql(FEE, {"id": "missing"}))["fee"] is None
