"""Users, user profiles and organizations (SPEC 3.2, 3.3, 4.4, R-ORG, R-USR).

Sign-in itself is Firebase's: the caller arrives here as a Principal already mapped to our User
(shared.domain.identity). Contact details a caller types in are never treated as verified: a new
e-mail or phone waits in `…WaitingForVerify` until a Firebase token proves it. Org-scoped reads
and writes check the organization that owns the record (SPEC 2.6).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from shared.domain import customer_metrics, phone_numbers
from shared.domain.identity import IdentityService
from shared.domain.listing import contains_text, criterion, matches, paginate
from shared.domain.models import (
    ROLE_LEVELS,
    Event,
    Metrics,
    Order,
    Organization,
    Role,
    Season,
    User,
    UserProfile,
)
from shared.domain.permissions import (
    ADMIN,
    BOX_OFFICE,
    SUPER_USER,
    Principal,
    customer_orgs_of_staff,
    permission_denied,
    require_context_org,
    require_level,
    require_user,
)
from shared.domain.ports import Repository, Where
from shared.domain.validation import build, without_nones
from shared.errors import DomainError, ErrorCode, invalid, not_found
from shared.settings import Settings


class ConnectGateway(Protocol):
    """Stripe Connect as the accounts service needs it (adapter: StripeConnect)."""

    def account_for_code(self, code: str) -> str: ...

    def account(self, account_id: str) -> dict[str, Any]: ...


log = logging.getLogger("sellout.accounts")

SIGN_IN_AGAIN = "Please sign in again."
LIVE_ORDER_STATES = ["Active", "Partial Refund"]  # refunded/cancelled orders don't use a code up
ORGANIZATION_INPUT_FIELDS = (
    "orgName", "orgUrls", "address", "orgLogoUrl", "orgColorHex", "bio", "email", "phoneNumber",
    "facebookPixelId", "googleAnalyticsId", "isSeasonTickets", "isTegIntegration", "validateMemberId",
    "tegClientID", "tegSecret", "tegURL", "ticketFormat", "locationId",
)  # fmt: skip
PRIVATE_USER_EXISTS_FIELDS = ("firstName", "lastName", "email", "phoneNumber")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 254  # RFC 5321; a longer value is no address (and Firestore indexes at most 1500 bytes)
# Secondary addresses per user: typed in, never proven, and each one is unavailable to every other
# account (R-USR-5), so a user may not collect addresses without end.
MAX_SECONDARY_EMAILS = 5


class AccountStore(Protocol):
    @property
    def organizations(self) -> Repository[Organization]: ...

    @property
    def users(self) -> Repository[User]: ...

    @property
    def user_profiles(self) -> Repository[UserProfile]: ...

    @property
    def roles(self) -> Repository[Role]: ...

    @property
    def orders(self) -> Repository[Order]: ...

    @property
    def events(self) -> Repository[Event]: ...

    @property
    def seasons(self) -> Repository[Season]: ...


class CustomerGateway(Protocol):
    def create_customer(self, user_id: str, email: str, name: str, phone: str) -> str: ...


class AuthDirectory(Protocol):
    def has_password(self, uid: str) -> bool: ...

    def update_user(self, uid: str, **fields: Any) -> None: ...


class PlatformFees(Protocol):
    def copy_platform_fees_to_org(self, org_id: str, user_id: str) -> Any: ...


class AccountMail(Protocol):
    """Account e-mails (shared.services.account_emails)."""

    def queue_verification(self, user: User, email: str) -> None: ...
    def readdress_roles(self, user_id: str, old: str, new: str) -> None: ...


class NoAccountMail:
    """No e-mails wired (unit tests of the account rules)."""

    def queue_verification(self, user: User, email: str) -> None:
        return None

    def readdress_roles(self, user_id: str, old: str, new: str) -> None:
        return None


@dataclass(frozen=True)
class Registration:
    registered: bool
    email_verified: bool
    profile: UserProfile | None


def replaced_by_firebase() -> DomainError:
    """Password and SMS-code operations now happen in the Firebase SDK (SPEC 4.4)."""
    return DomainError(ErrorCode.UNAUTHENTICATED, SIGN_IN_AGAIN)


def normalize_email(value: Any, field: str) -> str:
    email = str(value or "").strip().lower()
    if email and (len(email) > MAX_EMAIL or not _EMAIL.match(email)):
        raise invalid("Enter a valid e-mail address.", field)
    return email


def normalize_phone(value: Any, field: str, region: str = phone_numbers.DEFAULT_REGION) -> str:
    """A typed phone number in E.164 ("" when none was given); unreadable ones name `field`."""
    return phone_numbers.optional_e164(str(value or ""), region, field)


def _conflict(message: str) -> DomainError:
    return DomainError(ErrorCode.CONFLICT, message)


def _has_role_in(principal: Principal, org_id: str) -> bool:
    return principal.is_super_user or any(r.orgId == org_id for r in principal.roles)


class AccountService:
    def __init__(
        self,
        store: AccountStore,
        fees: PlatformFees,
        stripe: CustomerGateway,
        directory: AuthDirectory,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        on_org_updated: Callable[[str], object] = lambda org_id: None,
        emails: AccountMail | None = None,
        on_org_created: Callable[[str], None] = lambda org_id: None,
    ) -> None:
        self.store = store
        self.on_org_created = on_org_created  # OrganizationCreated (SPEC 5.21): Webflow, seats.io
        self.emails = emails or NoAccountMail()
        self.on_org_updated = on_org_updated  # OrganizationUpdated (SPEC 5.21): Webflow re-push
        self.fees = fees
        self.stripe = stripe
        self.directory = directory
        self.settings = settings
        self.clock = clock

    # --- look-ups ------------------------------------------------------------------------------

    def _phone(self, value: Any, field: str) -> str:
        return normalize_phone(value, field, self.settings.default_phone_region)

    def _user_by_phone(self, phone: str) -> User | None:
        found = self.store.users.find(("phoneNumber", "==", phone), limit=1) if phone else []
        return found[0] if found else None

    def _user_by_email(self, email: str) -> User | None:
        if not email:
            return None
        found = self.store.users.find(("email", "==", email), limit=1) or self.store.users.find(
            ("secondaryEmails", "array_contains", email), limit=1
        )
        return found[0] if found else None

    def _profile_of(self, user: User) -> UserProfile:
        profile = self.store.user_profiles.get(user.id)
        if profile is None:  # a user written before profiles existed: give it one now
            profile = self.store.user_profiles.save(IdentityService.profile_for(user))
        return profile

    def _update_user(self, user: User, changes: Mapping[str, Any]) -> User:
        if not changes:
            return user
        self.store.users.update(user.id, dict(changes))
        return user.model_copy(update=dict(changes))

    def _mirror_to_profile(self, user_id: str, changes: Mapping[str, Any]) -> None:
        mirrored = {
            k: v for k, v in changes.items() if k in ("firstName", "lastName", "email", "phoneNumber")
        }
        if mirrored and self.store.user_profiles.get(user_id) is not None:
            self.store.user_profiles.update(user_id, mirrored)

    def _ensure_email_free(self, email: str, user_id: str) -> None:
        owner = self._user_by_email(email)
        if owner is not None and owner.id != user_id:
            raise _conflict("An account with this e-mail already exists.")

    def _ensure_not_anyones_primary(self, email: str, user_id: str) -> None:
        """For an address that waits for verification: only another account's primary address
        stands in the way. Someone else's (unproven) secondary address must not lock its owner
        out; the verification link settles it (shared.services.account_emails)."""
        if any(u.id != user_id for u in self.store.users.find(("email", "==", email), limit=2)):
            raise _conflict("An account with this e-mail already exists.")

    def _ensure_phone_free(self, phone: str, user_id: str) -> None:
        owner = self._user_by_phone(phone)
        if owner is not None and owner.id != user_id:
            raise _conflict("An account with this phone number already exists.")

    # --- the caller ----------------------------------------------------------------------------

    def user(self, principal: Principal | None) -> User:
        return require_user(principal).user

    def user_profile(self, principal: Principal | None) -> UserProfile:
        """R-USR-2: the caller's profile; its platform Stripe Customer is created on first call."""
        caller = require_user(principal)
        profile = self._profile_of(caller.user)
        if profile.stripeCustomerId:
            return profile
        user = caller.user
        name = f"{user.firstName} {user.lastName}".strip()
        try:
            customer_id = self.stripe.create_customer(user.id, user.email, name, user.phoneNumber)
        except DomainError as error:
            if error.code != ErrorCode.UPSTREAM_FAILED:
                raise
            return profile  # the profile still loads; the Customer is created on a later call
        self.store.user_profiles.update(profile.id, {"stripeCustomerId": customer_id})
        return profile.model_copy(update={"stripeCustomerId": customer_id})

    def user_profile_admin(self, principal: Principal | None) -> UserProfile:
        return self._profile_of(require_user(principal).user)

    def profile_visible(self, principal: Principal | None, profile: UserProfile) -> bool:
        """A profile nested under a User: its owner, or BOX_OFFICE+ of an org it bought from."""
        if principal is None:
            return False
        if principal.user_id == profile.userId or principal.is_super_user:
            return True
        return bool(customer_orgs_of_staff(principal, profile.orgIds))

    def visible_org_ids(self, principal: Principal | None, profile: UserProfile) -> list[str] | None:
        """The orgs whose part of a customer's profile the caller may see; None = the whole
        profile (the buyer themself, a super user). Staff see the orgs the customer bought from
        where they are BOX_OFFICE+. A profile is reached through several paths (userProfiles, an
        order's or a user's userProfile); its org-bound fields (orgIds, eventIds, venueIds,
        artistIds, metrics) are each cut with this, so no path shows another org's part."""
        if principal is None:
            return []
        if principal.user_id == profile.userId or principal.is_super_user:
            return None
        return customer_orgs_of_staff(principal, profile.orgIds)

    def visible_metrics(self, principal: Principal | None, profile: UserProfile) -> list[Metrics]:
        """SPEC 3.12 metrics of a profile, cut to visible_org_ids."""
        org_ids = self.visible_org_ids(principal, profile)
        return customer_metrics.metrics_view(
            profile, profile.orgIds if org_ids is None else org_ids, int(self.clock())
        )

    def update_basic_user_info(
        self,
        principal: Principal | None,
        first_name: str | None,
        last_name: str | None,
        image_url: str | None,
    ) -> User:
        """R-USR-3: names on the User and its profile; the image on the profile."""
        caller = require_user(principal)
        changes = {
            k: v.strip() for k, v in (("firstName", first_name), ("lastName", last_name)) if v is not None
        }
        user = self._update_user(caller.user, changes)
        profile_changes: dict[str, Any] = dict(changes)
        if image_url is not None:
            profile_changes["imageUrl"] = image_url.strip()
        if profile_changes:
            self._profile_of(user)
            self.store.user_profiles.update(user.id, profile_changes)
        return user

    def update_user_profile(self, principal: Principal | None, data: Mapping[str, Any]) -> UserProfile:
        """R-USR-3: the caller's image and address (the time zone is not client-settable)."""
        caller = require_user(principal)
        profile = self._profile_of(caller.user)
        fields = {k: v for k, v in without_nones(data).items() if k in ("imageUrl", "address")}
        if not fields:  # nothing given (nulls count as absent, SPEC 2.8): nothing to write
            return profile
        if "address" in fields:
            timezone = profile.address.timezone if profile.address else ""
            fields["address"] = {**fields["address"], "timezone": timezone}
        updated = build(UserProfile, {**profile.doc(), **fields}, "userProfile")
        # Only the changed fields: a whole-document save could undo a purchase's metrics
        # increments committed between our read and this write.
        self.store.user_profiles.update(profile.id, {k: updated.doc()[k] for k in fields})
        return updated

    def update_preferred_login(self, principal: Principal | None, preferred_login: str) -> User:
        caller = require_user(principal)
        if preferred_login not in ("PhoneCode", "Password", "TwoFactor"):
            raise invalid("Unknown sign-in method.", "preferredLogin")
        return self._update_user(caller.user, {"preferredLogin": preferred_login})

    def update_user_email(self, principal: Principal | None, new_email: str) -> User:
        """Records the new address; it becomes the primary one once verified (SPEC 4.4)."""
        caller = require_user(principal)
        email = normalize_email(new_email, "newEmail")
        if not email:
            raise invalid("Enter a valid e-mail address.", "newEmail")
        self._ensure_not_anyones_primary(email, caller.user_id)
        if email == caller.user.email:
            return caller.user
        user = self._update_user(caller.user, {"emailWaitingForVerify": email})
        self.emails.queue_verification(user, email)
        return user

    def update_user_phone(self, principal: Principal | None, new_phone: str) -> User:
        """Records the new number; the Firebase SDK verifies it and the next token carries it."""
        caller = require_user(principal)
        phone = self._phone(new_phone, "newPhoneNumber")
        if not phone:
            raise invalid("Enter a phone number.", "newPhoneNumber")
        self._ensure_phone_free(phone, caller.user_id)
        return self._update_user(caller.user, {"phoneNumberWaitingForVerify": phone})

    def set_org_context(self, principal: Principal | None, org_id: str | None) -> User:
        """Persists the org the caller works in: one where it holds an accepted role (SPEC 2.6)."""
        caller = require_user(principal)
        org_id = (org_id or "").strip()
        if not org_id or self.store.organizations.get(org_id) is None:
            raise not_found("Organization")
        if not _has_role_in(caller, org_id):
            raise permission_denied()
        held = [r for r in caller.roles if r.orgId == org_id]
        role_name = max(held, key=lambda r: ROLE_LEVELS[r.role]).role if held else "SUPER_USER"
        return self._update_user(caller.user, {"orgContextId": org_id, "orgRole": role_name})

    # --- secondary e-mails (R-USR-5) -----------------------------------------------------------

    def _new_address(self, caller: Principal, raw: str | None) -> str:
        email = normalize_email(raw, "email")
        if not email:
            raise invalid("Enter a valid e-mail address.", "email")
        if email == caller.user.email or email in caller.user.secondaryEmails:
            raise _conflict("This e-mail address is already on your account.")
        self._ensure_email_free(email, caller.user_id)
        return email

    def add_secondary_email(self, principal: Principal | None, raw: str | None) -> User:
        caller = require_user(principal)
        email = self._new_address(caller, raw)
        if len(caller.user.secondaryEmails) >= MAX_SECONDARY_EMAILS:
            raise DomainError(
                ErrorCode.LIMIT_EXCEEDED,
                f"An account can have at most {MAX_SECONDARY_EMAILS} secondary e-mail addresses.",
                ["email"],
            )
        return self._update_user(caller.user, {"secondaryEmails": [*caller.user.secondaryEmails, email]})

    def update_secondary_email(self, principal: Principal | None, raw: str | None) -> User:
        """Backstage's account page has one secondary-address field: saving it replaces the
        secondary addresses with this one."""
        caller = require_user(principal)
        email = normalize_email(raw, "email")
        if caller.user.secondaryEmails == [email]:
            return caller.user
        if email != caller.user.email and email not in caller.user.secondaryEmails:
            email = self._new_address(caller, email)
        elif email == caller.user.email:
            raise _conflict("This is already your primary e-mail address.")
        return self._update_user(caller.user, {"secondaryEmails": [email]})

    def delete_secondary_email(self, principal: Principal | None, raw: str | None) -> User:
        caller = require_user(principal)
        email = normalize_email(raw, "email")
        if email not in caller.user.secondaryEmails:
            raise not_found("Secondary e-mail")
        remaining = [e for e in caller.user.secondaryEmails if e != email]
        return self._update_user(caller.user, {"secondaryEmails": remaining})

    def make_secondary_email_primary(self, principal: Principal | None, raw: str | None) -> User:
        """Swap a secondary address with the primary one. A secondary address was typed in, never
        proven, so the new primary waits for verification (a link is mailed to it); Firebase
        learns it first, or the next sign-in would sync the old address back."""
        caller = require_user(principal)
        user = caller.user
        email = normalize_email(raw, "email")
        if email not in user.secondaryEmails:
            raise not_found("Secondary e-mail")
        self._ensure_email_free(email, user.id)
        if user.firebaseUid:
            self.directory.update_user(user.firebaseUid, email=email, email_verified=False)
        others = [e for e in user.secondaryEmails if e != email]
        changes: dict[str, Any] = {
            "email": email, "previousEmail": user.email, "emailVerifiedAt": None,
            "secondaryEmails": [*others, user.email] if user.email else others,
        }  # fmt: skip
        if user.emailWaitingForVerify == email:
            changes["emailWaitingForVerify"] = ""
        updated = self._update_user(user, changes)
        self._mirror_to_profile(user.id, changes)
        self.emails.readdress_roles(user.id, user.email, email)
        self.emails.queue_verification(updated, email)
        return updated

    # --- registration (SPEC 4.4, D-22) ---------------------------------------------------------

    def register(self, principal: Principal | None, data: Mapping[str, Any] | None) -> Registration:
        fields = without_nones(data)
        email = normalize_email(fields.get("email"), "user.email")
        phone = self._phone(fields.get("phoneNumber"), "user.phoneNumber")
        names = {
            k: str(fields[k]).strip() for k in ("firstName", "lastName") if str(fields.get(k) or "").strip()
        }
        if principal is not None:
            return self._register_caller(principal, email, phone, names, bool(fields.get("secondaryEmail")))
        if not email and not phone:
            raise invalid("Enter an e-mail address or a phone number.", "user.email")
        existing = self._user_by_phone(phone)
        if existing is None and email:
            existing = self._user_by_email(email)
            if existing is not None and phone:
                raise _conflict("An account with this e-mail already exists.")
        if existing is not None:  # never modify an account without its owner's token (D-22)
            return Registration(True, bool(existing.emailVerifiedAt), None)
        user = User(createdAt=int(self.clock()), email=email, phoneNumber=phone, **names)
        self.store.users.create(user)
        profile = self.store.user_profiles.save(IdentityService.profile_for(user))
        if email:
            self.emails.queue_verification(user, email)
        return Registration(True, False, profile)

    def _register_caller(
        self, principal: Principal, email: str, phone: str, names: dict[str, str], secondary: bool
    ) -> Registration:
        """With a token: upsert the caller's own record; unverified contact details wait."""
        user = principal.user
        changes: dict[str, Any] = dict(names)
        if email and email != user.email and email not in user.secondaryEmails:
            self._ensure_email_free(email, user.id)
            if secondary:
                changes["secondaryEmails"] = [*user.secondaryEmails, email]
            elif not user.email:
                changes["email"] = email  # a phone-only buyer's receipt address (not yet verified)
            else:
                changes["emailWaitingForVerify"] = email
        if phone and phone != user.phoneNumber:
            self._ensure_phone_free(phone, user.id)
            changes["phoneNumberWaitingForVerify"] = phone
        user = self._update_user(user, changes)
        profile = self._profile_of(user)
        self._mirror_to_profile(user.id, changes)
        if waiting := changes.get("emailWaitingForVerify") or (
            changes.get("email") and not user.emailVerifiedAt
        ):
            self.emails.queue_verification(user, str(waiting))
        profile = profile.model_copy(
            update={k: v for k, v in changes.items() if k in UserProfile.model_fields}
        )
        return Registration(True, bool(user.emailVerifiedAt), profile)

    # --- checkout look-up (R-USR-1, D-21) ------------------------------------------------------

    def user_exists(
        self,
        principal: Principal | None,
        *,
        email: str | None,
        phone: str | None,
        promo_code: str | None,
        event_id: str | None,
        season_id: str | None,
    ) -> dict[str, Any]:
        phone_number = self._phone(phone, "phoneNumber")
        address = (email or "").strip().lower()
        user = self._user_by_phone(phone_number) if phone_number else None
        if user is None:
            user = self._user_by_email(address)
        promo_available = self._promo_available(user, promo_code, event_id, season_id)
        if user is None:
            return {"userId": "", "firstName": "", "lastName": "", "email": "", "phoneNumber": "",
                    "hasPassword": False, "preferredLogin": "", "phoneNumberVerifiedAt": None,
                    "promoAvailable": promo_available}  # fmt: skip
        result: dict[str, Any] = {
            "userId": user.id,
            "firstName": user.firstName,
            "lastName": user.lastName,
            "email": user.email,
            "phoneNumber": user.phoneNumber,
            "hasPassword": bool(user.firebaseUid) and self.directory.has_password(user.firebaseUid),
            "preferredLogin": user.preferredLogin,
            "phoneNumberVerifiedAt": user.phoneNumberVerifiedAt,
            "promoAvailable": promo_available,
        }
        if not self._sees_customer_details(principal, user):
            result |= dict.fromkeys(PRIVATE_USER_EXISTS_FIELDS, "")
        return result

    @staticmethod
    def _sees_customer_details(principal: Principal | None, user: User) -> bool:
        if principal is None:
            return False
        if principal.user_id == user.id:
            return True
        org_id = principal.org_context_id
        return bool(org_id) and principal.level_in(org_id) >= BOX_OFFICE

    def _promo_available(
        self, user: User | None, promo_code: str | None, event_id: str | None, season_id: str | None
    ) -> bool:
        code = (promo_code or "").strip().lower()
        if not code:
            return True
        listing: Event | Season | None
        scope: list[Where]
        if event_id:
            listing, scope = self.store.events.get(event_id), [("eventId", "==", event_id)]
        else:
            # A season's own orders, not the hidden per-event orders made from them (R-T3-2).
            listing = self.store.seasons.get(season_id or "")
            scope = [("seasonId", "==", season_id), ("hidden", "==", False)]
        promotion = next((p for p in listing.promotions if p.code.lower() == code), None) if listing else None
        if promotion is None:
            return False
        if user is None:
            return True
        used = self.store.orders.count(
            *scope,
            ("userId", "==", user.id),
            ("promotionCode", "==", promotion.code),
            ("state", "in", LIVE_ORDER_STATES),
        )
        return used < promotion.useLimit

    # --- customers of an org (staff) -----------------------------------------------------------

    def user_profiles(
        self,
        principal: Principal | None,
        query: Mapping[str, Any] | None,
        pagination: Mapping[str, Any] | None,
    ) -> list[UserProfile]:
        """Customers of the org (profile `orgIds` contains it), with only that org's metrics."""
        query = query or {}
        target = str(query.get("orgId") or "").strip()
        if target:
            require_level(principal, BOX_OFFICE, target)
            org_id = target
        else:
            _, org_id = require_context_org(principal, BOX_OFFICE)
        return paginate(self.org_customers(org_id, query), pagination)

    def org_customers(self, org_id: str, query: Mapping[str, Any] | None) -> list[UserProfile]:
        """Every customer of `org_id` matching `query`, by name, scoped to that org. The caller
        has authorized the org."""
        candidates = self.store.user_profiles.find(("orgIds", "array_contains", org_id))
        found = [_scoped_to_org(p, org_id) for p in candidates if _customer_listed(p, query or {})]
        found.sort(key=lambda p: (p.lastName.lower(), p.firstName.lower(), p.id))
        return found

    def org_metrics(self, profile: UserProfile, org_id: str) -> Metrics | None:
        """The customer's metrics entry in `org_id` (for reports), or None."""
        found = customer_metrics.metrics_view(profile, [org_id], int(self.clock()))
        return found[0] if found else None

    def update_user_info(
        self, principal: Principal | None, user_id: str | None, email: str | None, phone: str | None
    ) -> User:
        """R-USR-4: an admin corrects a customer's contact details (and the Firebase account)."""
        caller, org_id = require_context_org(principal, ADMIN)
        user = self.store.users.get(user_id or "")
        profile = self.store.user_profiles.get(user_id or "")
        if user is None or profile is None or (org_id not in profile.orgIds and not caller.is_super_user):
            raise not_found("Customer")
        if not caller.is_super_user and (
            set(profile.orgIds) - {org_id} or self.store.roles.find(("userId", "==", user.id), limit=1)
        ):
            # Changing the sign-in phone/e-mail of someone who buys elsewhere or is staff would hand
            # their whole account to this org: only the person themselves may do that.
            raise DomainError(ErrorCode.FORBIDDEN, "Only the customer can change these contact details.")
        new_email = normalize_email(email, "email")
        new_phone = self._phone(phone, "phoneNumber")
        changes: dict[str, Any] = {}
        firebase: dict[str, Any] = {}
        if new_email and new_email != user.email:
            self._ensure_email_free(new_email, user.id)
            changes |= {"email": new_email, "previousEmail": user.email, "emailVerifiedAt": None}
            firebase |= {"email": new_email, "email_verified": False}
        if new_phone and new_phone != user.phoneNumber:
            self._ensure_phone_free(new_phone, user.id)
            changes |= {"phoneNumber": new_phone, "previousPhoneNumber": user.phoneNumber,
                        "phoneNumberVerifiedAt": None}  # fmt: skip
            firebase["phone_number"] = new_phone
        if firebase and user.firebaseUid:
            self.directory.update_user(user.firebaseUid, **firebase)
        updated = self._update_user(user, changes)
        self._mirror_to_profile(user.id, changes)
        return updated

    def delete_unverified_user(
        self, principal: Principal | None, user_id: str | None, email: str | None, phone: str | None
    ) -> bool:
        """R-USR-6: only a never-verified account without orders or roles is deleted."""
        require_context_org(principal, BOX_OFFICE)
        user: User | None = None
        if user_id:
            user = self.store.users.get(user_id)
        elif phone:
            user = self._user_by_phone(self._phone(phone, "phoneNumber"))
        elif email:
            user = self._user_by_email(normalize_email(email, "email"))
        if user is None or user.emailVerifiedAt or user.phoneNumberVerifiedAt or user.firebaseUid:
            return False
        if self.store.orders.count(("userId", "==", user.id)) or self.store.roles.find(
            ("userId", "==", user.id), limit=1
        ):
            return False
        self.store.user_profiles.delete(user.id)
        self.store.users.delete(user.id)
        return True

    # --- organizations (R-ORG) -----------------------------------------------------------------

    def organization(self, principal: Principal | None) -> Organization | None:
        """The caller's context org; a context without a role there is refused."""
        caller = require_user(principal)
        org_id = caller.org_context_id
        if not org_id:
            return None
        if not _has_role_in(caller, org_id):
            raise permission_denied()
        return self.store.organizations.get(org_id)

    def organizations(
        self,
        principal: Principal | None,
        query: Mapping[str, Any] | None,
        pagination: Mapping[str, Any] | None,
    ) -> list[Organization]:
        require_level(principal, SUPER_USER, None)
        query = query or {}
        found = [o for o in self.store.organizations.find() if _org_listed(o, query)]
        found.sort(key=lambda o: (o.createdAt, o.id), reverse=True)
        return paginate(found, pagination)

    def create_organization(self, principal: Principal | None) -> Organization:
        """R-ORG-1: the caller's new org, its accepted OWNER role, context switch, platform fees."""
        caller = require_user(principal)
        user = caller.user
        now = int(self.clock())
        org = self.store.organizations.create(
            Organization(userId=user.id, createdAt=now, email=user.email, phoneNumber=user.phoneNumber)
        )
        self.store.roles.create(
            Role(
                orgId=org.id,
                userId=user.id,
                userEmail=user.email,
                role="OWNER",
                createdAt=now,
                createdBy=user.id,
                acceptedAt=now,
            )
        )
        self._update_user(user, {"orgContextId": org.id, "orgRole": "OWNER"})
        # OrganizationCreated (SPEC 5.21): the platform fees, then the WebFlow record and the
        # seats.io workspace (each idempotent).
        self.fees.copy_platform_fees_to_org(org.id, user.id)
        self.on_org_created(org.id)
        return org

    def update_organization(self, principal: Principal | None, data: Mapping[str, Any]) -> Organization:
        """R-ORG-2: patch the context org (ADMIN of it)."""
        _, org_id = require_context_org(principal, ADMIN)
        org = self.store.organizations.get(org_id)
        if org is None:
            raise not_found("Organization")
        fields = {k: v for k, v in without_nones(data).items() if k in ORGANIZATION_INPUT_FIELDS}
        if "address" in fields:  # the time zone is not client-settable (absent from AddressInput)
            fields["address"] = {**fields["address"], "timezone": org.address.timezone if org.address else ""}
        updated = self.store.organizations.save(build(Organization, {**org.doc(), **fields}, "organization"))
        self.on_org_updated(updated.id)
        return updated

    def connect_stripe(self, principal: Principal | None, connect_code: str, connect: ConnectGateway) -> bool:
        """R-ORG-3: exchange Stripe's OAuth code and store the connected account on the org."""
        _, org_id = require_context_org(principal, ADMIN)
        if not connect_code.strip():
            raise DomainError(ErrorCode.INVALID_INPUT, "The connection code is missing.", ["connectCode"])
        account = connect.account_for_code(connect_code.strip())
        self.store.organizations.update(org_id, {"stripeId": account})
        return True

    def connected_account(
        self, principal: Principal | None, org: Organization, connect: ConnectGateway
    ) -> dict[str, Any] | None:
        """Organization.stripeConnectAccount (§4.7): ADMIN+ of that org; null when not connected."""
        if not org.stripeId or principal is None or principal.level_in(org.id) < ADMIN:
            return None
        return connect.account(org.stripeId)

    @staticmethod
    def may_read_org_secret(principal: Principal | None, org_id: str) -> bool:
        """`tegSecret` is a credential (D-5): only ADMIN+ of its org see it."""
        return principal is not None and bool(org_id) and principal.level_in(org_id) >= ADMIN

    # --- platform configuration (R-PAY-6) ------------------------------------------------------

    def platform_settings(self, principal: Principal | None) -> dict[str, str]:
        require_user(principal)
        return {
            "stripeClientId": self.settings.stripe_client_id,
            "stripeRedirectUrl": self.settings.stripe_redirect_url,
            "webFlowSiteId": self.settings.webflow_site_id,
        }

    def stripe_publish_key(self) -> dict[str, str]:
        return {"publicStripeKey": self.settings.stripe_publishable_key}


def _customer_listed(profile: UserProfile, query: Mapping[str, Any]) -> bool:
    full_name = f"{profile.firstName} {profile.lastName}"

    def overlaps(key: str, values: list[str]) -> Callable[[], bool]:
        return lambda: bool(set(query[key]) & set(values))

    return matches(
        [
            criterion(query.get("eventIds"), overlaps("eventIds", profile.eventIds)),
            criterion(query.get("venueIds"), overlaps("venueIds", profile.venueIds)),
            criterion(query.get("artistIds"), overlaps("artistIds", profile.artistIds)),
            criterion(query.get("userIds"), lambda: profile.userId in query["userIds"]),
            criterion(query.get("name"), lambda: contains_text(full_name, query["name"])),
            criterion(query.get("email"), lambda: contains_text(profile.email, query["email"])),
            criterion(
                query.get("phoneNumber"), lambda: contains_text(profile.phoneNumber, query["phoneNumber"])
            ),
        ],
        bool(query.get("any")),
    )


def _scoped_to_org(profile: UserProfile, org_id: str) -> UserProfile:
    """What one org's staff see of a customer: their org only, not the buyer's other orgs."""
    return profile.model_copy(
        update={
            "orgIds": [org_id],
            "metrics": [m for m in profile.metrics if m.orgId == org_id],
            "metricsByOrg": {k: v for k, v in profile.metricsByOrg.items() if k == org_id},
        }
    )


def _org_listed(org: Organization, query: Mapping[str, Any]) -> bool:
    text = query.get("orgQuery")
    return matches(
        [
            criterion(query.get("name"), lambda: contains_text(org.orgName, query["name"])),
            criterion(query.get("orgIds"), lambda: org.id in query["orgIds"]),
            criterion(query.get("startDate"), lambda: org.createdAt >= int(query["startDate"])),
            criterion(query.get("endDate"), lambda: org.createdAt <= int(query["endDate"])),
            criterion(
                text,
                lambda: any(
                    contains_text(v, text) for v in (org.orgName, org.email, org.phoneNumber, org.id)
                ),
            ),
        ],
        bool(query.get("any")),
    )
