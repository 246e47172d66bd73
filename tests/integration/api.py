"""Test helpers: real Firebase ID tokens from the Auth emulator, and GraphQL over HTTP to the
local functions, the same path Backstage and the purchase portal use."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import firebase_admin
import requests
from firebase_admin import auth

from emulator import config
from shared.bootstrap import services
from shared.domain.models import ROLE_LEVELS, Organization, Role, User
from shared.domain.permissions import Principal

GRAPHQL_URL = f"{config.FUNCTIONS_URL}/graphql/graphql"
IDENTITY = f"http://{config.AUTH_HOST}/identitytoolkit.googleapis.com/v1"


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll `predicate` until it returns something truthy (work done by tasks, webhooks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def _admin_app() -> firebase_admin.App:
    try:
        return firebase_admin.get_app()
    except ValueError:
        return firebase_admin.initialize_app(options={"projectId": config.PROJECT_ID})


def id_token_for(uid: str, **claims: Any) -> str:
    """A real ID token for `uid` (custom claims included), as the Firebase JS SDK would hold."""
    _admin_app()
    custom = auth.create_custom_token(uid, claims or None).decode()
    response = requests.post(
        f"{IDENTITY}/accounts:signInWithCustomToken?key=local",
        json={"token": custom, "returnSecureToken": True},
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["idToken"])


def phone_sign_in(phone: str) -> str:
    """The buyers' flow: SMS code (read from the emulator) exchanged for an ID token."""
    session = requests.post(
        f"{IDENTITY}/accounts:sendVerificationCode?key=local", json={"phoneNumber": phone}, timeout=10
    ).json()["sessionInfo"]
    codes = requests.get(
        f"http://{config.AUTH_HOST}/emulator/v1/projects/{config.PROJECT_ID}/verificationCodes", timeout=10
    ).json()["verificationCodes"]
    code = next(c["code"] for c in reversed(codes) if c["phoneNumber"] == phone)
    response = requests.post(
        f"{IDENTITY}/accounts:signInWithPhoneNumber?key=local",
        json={"sessionInfo": session, "code": code},
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["idToken"])


@dataclass
class Caller:
    token: str
    uid: str
    email: str
    org_id: str | None = None

    def gql(
        self, query: str, variables: dict[str, Any] | None = None, org_id: str | None = None
    ) -> dict[str, Any]:
        return gql(query, variables, token=self.token, org_id=org_id or self.org_id)


def gql(
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    org_id: str | None = None,
) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if org_id:
        headers["X-Org-Id"] = org_id
    response = requests.post(
        GRAPHQL_URL, json={"query": query, "variables": variables or {}}, headers=headers, timeout=30
    )
    body: dict[str, Any] = response.json()
    return body


def data_of(result: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in result, result["errors"]
    data: dict[str, Any] = result["data"]
    return data


def error_of(result: dict[str, Any]) -> dict[str, Any]:
    assert result.get("errors"), f"expected an error, got {result}"
    error: dict[str, Any] = result["errors"][0]
    return error


def new_user(email: str | None = None, **claims: Any) -> Caller:
    """A verified e-mail user in the Auth emulator, signed in."""
    _admin_app()
    uid = f"u-{uuid.uuid4().hex[:12]}"
    email = email or f"{uid}@example.com"
    auth.create_user(uid=uid, email=email, email_verified=True)
    return Caller(token=id_token_for(uid, **claims), uid=uid, email=email)


def principal_of(caller: Caller) -> Principal:
    """The caller as the services see it after sign-in, for tests that call a service in-process
    (to interleave it with other writers, or to change one of its collaborators)."""
    store = services().store
    user = services().identity.user_for_claims(
        {"uid": caller.uid, "email": caller.email, "email_verified": True}
    )
    return Principal(user=user, token=caller.token, claims={}, org_header=caller.org_id,
                     roles_loader=lambda uid: store.roles.find(("userId", "==", uid)))  # fmt: skip


def user_id_of(caller: Caller) -> str:
    """Our User id for a signed-in caller (the first GraphQL request creates it)."""
    return str(data_of(caller.gql("{ user { _id } }"))["user"]["_id"])


def staff_of(org_id: str, role: str) -> Caller:
    """A signed-in user holding an accepted `role` in `org_id`, written straight to Firestore."""
    caller = new_user()
    store = services().store
    user = services().identity.user_for_claims(
        {"uid": caller.uid, "email": caller.email, "email_verified": True}
    )
    assert role in ROLE_LEVELS
    store.roles.create(
        Role(
            orgId=org_id,
            userId=user.id,
            userEmail=caller.email,
            role=role,  # type: ignore[arg-type]
            createdAt=int(time.time()),
            createdBy=user.id,
            acceptedAt=int(time.time()),
        )
    )
    caller.org_id = org_id
    return caller


def make_org(name: str = "Test Org") -> Organization:
    owner = User(createdAt=int(time.time()))
    org = Organization(userId=owner.id, createdAt=int(time.time()), orgName=name)
    services().store.organizations.create(org)
    return org
