"""OrganizationCreated reactions (SPEC 5.21, R-SEAT-1): a new organization gets its WebFlow
record at once and its seats.io workspace from a background task, made once however often the
task arrives."""

from __future__ import annotations

import requests

from emulator import config
from shared.bootstrap import services
from tests.integration.api import data_of, new_user, wait_for

SEATSIO_URL = f"{config.SAAS_URL}/seatsio"
CREATE_ORG = "mutation { createOrganization { _id } }"


def workspace_keys() -> list[str]:
    return [w["key"] for w in requests.get(f"{SEATSIO_URL}/_state", timeout=10).json()["workspaces"]]


def test_a_new_organization_gets_its_webflow_record_and_one_seatsio_workspace() -> None:
    owner = new_user()

    org_id = data_of(owner.gql(CREATE_ORG))["createOrganization"]["_id"]

    web_flow = data_of(owner.gql("{ webFlow { _id orgId } }", org_id=org_id))["webFlow"]
    assert web_flow == {"_id": org_id, "orgId": org_id}
    seating = wait_for(lambda: services().seating.records.get(org_id), timeout=30)
    assert seating.publicKey in workspace_keys()

    # Cloud Tasks may deliver the task again: the stored keys are found, nothing new is made.
    again = requests.post(f"{config.FUNCTIONS_URL}/checkout/tasks/organization-seating",
                          json={"orgId": org_id}, timeout=30)  # fmt: skip
    assert again.json() == {"outcome": "seating ready"}
    assert services().seating.records.get(org_id) == seating
    assert workspace_keys().count(seating.publicKey) == 1


def test_the_task_for_an_unknown_organization_ends_without_a_workspace() -> None:
    before = len(workspace_keys())

    answer = requests.post(f"{config.FUNCTIONS_URL}/checkout/tasks/organization-seating",
                           json={"orgId": "no-such-org"}, timeout=30)  # fmt: skip

    assert answer.json() == {"outcome": "organization not found"}
    assert len(workspace_keys()) == before
