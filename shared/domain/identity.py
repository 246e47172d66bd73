"""Maps a verified Firebase sign-in to our User (SPEC 4.4, requirement 2 and 3).

First verified sign-in: link an existing User by verified phone or e-mail, or create the User
and its UserProfile. Every sign-in: pick up a phone number or verified e-mail changed through
the Firebase SDK, and link pending role invitations addressed to a verified e-mail.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any

from shared.domain.models import Role, User, UserProfile
from shared.domain.ports import Repository
from shared.errors import DomainError, ErrorCode


def user_id_for_uid(uid: str) -> str:
    """The id of the User first created for a Firebase account: derived from its uid, so two
    first requests racing create one document (Firestore `create` lets only one of them win)."""
    return "u" + hashlib.sha256(uid.encode()).hexdigest()[:21]


class IdentityService:
    def __init__(
        self,
        users: Repository[User],
        profiles: Repository[UserProfile],
        roles: Repository[Role],
        clock: Any = time.time,
    ) -> None:
        self.users = users
        self.profiles = profiles
        self.roles = roles
        self.clock = clock

    def user_for_claims(self, claims: Mapping[str, Any]) -> User:
        uid = str(claims["uid"])
        phone = str(claims.get("phone_number") or "")
        email = str(claims.get("email") or "").lower() if claims.get("email_verified") else ""
        user = self._by_uid(uid)
        if user is None:
            user = self._link_existing(uid, phone, email) or self._create(uid, phone, email, claims)
            if email:
                self.link_pending_roles(user, email)
        self._sync(user, phone, email)
        return user

    def _by_uid(self, uid: str) -> User | None:
        found = self.users.find(("firebaseUid", "==", uid), limit=1)
        return found[0] if found else None

    def _link_existing(self, uid: str, phone: str, email: str) -> User | None:
        candidates: list[User] = []
        if phone:
            candidates = self.users.find(("phoneNumber", "==", phone), limit=1)
        if not candidates and email:
            candidates = self.users.find(("email", "==", email), limit=1) or self.users.find(
                ("secondaryEmails", "array_contains", email), limit=1
            )
        unlinked = [u for u in candidates if not u.firebaseUid]
        if not unlinked:
            return None
        user = unlinked[0]
        user.firebaseUid = uid
        self.users.update(user.id, {"firebaseUid": uid})
        return user

    def _create(self, uid: str, phone: str, email: str, claims: Mapping[str, Any]) -> User:
        now = int(self.clock())
        first, _, last = str(claims.get("name") or "").partition(" ")
        user = User(
            _id=user_id_for_uid(uid),
            createdAt=now,
            firebaseUid=uid,
            email=email,
            phoneNumber=phone,
            firstName=first,
            lastName=last,
            emailVerifiedAt=now if email else None,
            phoneNumberVerifiedAt=now if phone else None,
        )
        try:
            self.users.create(user)
        except DomainError as error:
            # A concurrent first request of the same account (a page firing two queries right
            # after sign-in) created it a moment ago: the same id, so one account, not two.
            existing = self.users.get(user.id) if error.code == ErrorCode.CONFLICT else None
            if existing is None:
                raise
            return existing
        self.profiles.save(self.profile_for(user))
        return user

    @staticmethod
    def profile_for(user: User) -> UserProfile:
        """The profile mirrors the user's names and contact; its id is the user's id."""
        return UserProfile(
            _id=user.id,
            userId=user.id,
            firstName=user.firstName,
            lastName=user.lastName,
            email=user.email,
            phoneNumber=user.phoneNumber,
        )

    def _sync(self, user: User, phone: str, email: str) -> None:
        now = int(self.clock())
        # A token issued before we changed the address (verifyUserEmail, an admin's correction,
        # a secondary address made primary) still carries the replaced one for up to an hour:
        # that is not a change made in the Firebase SDK, and syncing it would undo ours.
        phone = "" if phone and phone == user.previousPhoneNumber else phone
        email = "" if email and email == user.previousEmail else email
        user_changes: dict[str, Any] = {}
        if phone and phone != user.phoneNumber:
            user_changes |= {"previousPhoneNumber": user.phoneNumber, "phoneNumber": phone,
                             "phoneNumberVerifiedAt": now}  # fmt: skip
            if user.phoneNumberWaitingForVerify == phone:
                user_changes["phoneNumberWaitingForVerify"] = ""
        if phone and not user.phoneNumberVerifiedAt and "phoneNumberVerifiedAt" not in user_changes:
            user_changes["phoneNumberVerifiedAt"] = now
        if email and email != user.email and email not in user.secondaryEmails:
            user_changes |= {"previousEmail": user.email, "email": email, "emailVerifiedAt": now}
            if user.emailWaitingForVerify == email:
                user_changes["emailWaitingForVerify"] = ""
            self.link_pending_roles(user, email)
        if email and not user.emailVerifiedAt and "emailVerifiedAt" not in user_changes:
            user_changes["emailVerifiedAt"] = now
        if user_changes:
            for key, value in user_changes.items():
                setattr(user, key, value)
            self.users.update(user.id, user_changes)
            mirrored = {k: v for k, v in user_changes.items() if k in ("phoneNumber", "email")}
            if mirrored and self.profiles.get(user.id):
                self.profiles.update(user.id, mirrored)

    def link_pending_roles(self, user: User, email: str) -> None:
        """Invitations sent to this verified e-mail before the account existed (SPEC 4.4)."""
        for role in self.roles.find(("userEmail", "==", email.lower())):
            if not role.userId:
                self.roles.update(role.id, {"userId": user.id})


def contact_email(user: User | None, claims: Mapping[str, Any] | None = None) -> str:
    """Where an order's tickets go: the e-mail the buyer gave — verified, waiting for
    verification, or (signed in with an unverified Firebase e-mail) the token's own address.
    Safe unverified: the buyer typed it, and an order's e-mail reveals nothing of any account."""
    unverified_claim = str((claims or {}).get("email") or "").strip().lower()
    if user is None:
        return unverified_claim
    return user.email or user.emailWaitingForVerify or unverified_claim
