"""Secondary e-mails (R-USR-5) are bounded: a user may hold a few, each a real-length address.
An unproven secondary address is unavailable to every other account, so without a bound one user
could collect addresses without end (and an over-long value would fail Firestore's index limit)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.models import User
from shared.domain.permissions import Principal
from shared.errors import DomainError, ErrorCode
from shared.services.accounts import MAX_EMAIL, MAX_SECONDARY_EMAILS, AccountService
from shared.settings import Settings


class _Users:
    def __init__(self, stored: User) -> None:
        self.stored = stored

    def find(self, *where: Any, limit: int | None = None) -> list[User]:
        return []  # no other account holds any address

    def update(self, item_id: str, fields: dict[str, Any]) -> None:
        self.stored = self.stored.model_copy(update=fields)


class _Store:
    def __init__(self, user: User) -> None:
        self.users = _Users(user)


def _service(user: User) -> tuple[AccountService, _Store]:
    store = _Store(user)
    app = AccountService(store, None, None, None, Settings.model_construct())  # type: ignore[arg-type]
    return app, store


def _caller(user: User) -> Principal:
    return Principal(user=user, token="t", claims={}, roles_loader=lambda _: [])


def test_a_user_holds_at_most_a_few_secondary_addresses() -> None:
    user = User(_id="u1", createdAt=0, email="ada@example.com", firebaseUid="fb1")
    app, store = _service(user)
    for i in range(MAX_SECONDARY_EMAILS):
        app.add_secondary_email(_caller(store.users.stored), f"ada{i}@example.com")

    with pytest.raises(DomainError) as raised:
        app.add_secondary_email(_caller(store.users.stored), "one-too-many@example.com")

    assert raised.value.code == ErrorCode.LIMIT_EXCEEDED and raised.value.fields == ["email"]
    assert len(store.users.stored.secondaryEmails) == MAX_SECONDARY_EMAILS


def test_an_address_longer_than_an_address_can_be_is_refused() -> None:
    user = User(_id="u1", createdAt=0, email="ada@example.com", firebaseUid="fb1")
    app, store = _service(user)
    too_long = "a" * (MAX_EMAIL - len("@example.com") + 1) + "@example.com"

    with pytest.raises(DomainError) as raised:
        app.add_secondary_email(_caller(user), too_long)

    assert raised.value.code == ErrorCode.INVALID_INPUT and raised.value.fields == ["email"]
    assert store.users.stored.secondaryEmails == []
