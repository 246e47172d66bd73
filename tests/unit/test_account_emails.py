"""Account e-mails (SPEC 4.4, R-ROLE-1, R-USR-5): which address may be verified, what a used link
changes, link tokens, and the three templates rendered with their real contexts."""

from __future__ import annotations

import pytest

from shared.domain import account_emails as rules
from shared.domain.account_emails import EmailVerification
from shared.domain.identity import IdentityService
from shared.domain.models import Organization, Role, User
from shared.errors import DomainError, ErrorCode
from shared.services.mailer import EmailRenderer

NOW = 1_767_225_600  # 2026-01-01 00:00 UTC


def user(**fields: object) -> User:
    return User(
        **{"_id": "u1", "createdAt": NOW - 86400, "email": "ada@example.com", "firstName": "Ada", **fields}
    )  # type: ignore[arg-type]


def request(**fields: object) -> EmailVerification:
    base = {"_id": "ev1", "userId": "u1", "email": "ada@example.com", "createdAt": NOW - 60,
            "expiresAt": NOW + 3600, "tokenHash": "h"}  # fmt: skip
    return EmailVerification(**{**base, **fields})  # type: ignore[arg-type]


# --- which address ---------------------------------------------------------------------------------


def test_the_waiting_address_comes_first_then_an_unverified_primary() -> None:
    assert rules.address_to_verify(user(emailWaitingForVerify="new@example.com"), "") == "new@example.com"
    assert rules.address_to_verify(user(), "") == "ada@example.com"
    assert rules.address_to_verify(user(emailVerifiedAt=NOW), "") == ""  # nothing to verify


def test_only_the_callers_own_unverified_addresses_can_be_mailed_a_link() -> None:
    verified = user(emailVerifiedAt=NOW, emailWaitingForVerify="new@example.com")
    assert rules.address_to_verify(verified, "new@example.com") == "new@example.com"
    with pytest.raises(DomainError) as refused:
        rules.address_to_verify(verified, "ada@example.com")  # already verified
    assert refused.value.code == ErrorCode.INVALID_INPUT
    with pytest.raises(DomainError):
        rules.address_to_verify(verified, "victim@example.com")
    assert rules.address_to_verify(verified, "victim@example.com", strict=False) == ""


def test_requests_within_the_resend_window_share_an_id() -> None:
    first = rules.verification_id("u1", "a@example.com", NOW)
    assert first == rules.verification_id("u1", "a@example.com", NOW + 1)
    assert first != rules.verification_id("u1", "b@example.com", NOW)
    assert first != rules.verification_id("u2", "a@example.com", NOW)
    assert first != rules.verification_id("u1", "a@example.com", NOW + rules.RESEND_WINDOW)


# --- what a used link changes ---------------------------------------------------------------------


def test_a_link_for_the_primary_address_marks_it_verified() -> None:
    assert rules.verified_changes(user(), "ada@example.com", NOW) == {"emailVerifiedAt": NOW}


def test_a_link_for_the_waiting_address_makes_it_the_verified_primary() -> None:
    waiting = user(emailVerifiedAt=NOW - 10, emailWaitingForVerify="new@example.com",
                   secondaryEmails=["new@example.com", "work@example.com"])  # fmt: skip
    assert rules.verified_changes(waiting, "new@example.com", NOW) == {
        "email": "new@example.com",
        "previousEmail": "ada@example.com",
        "emailVerifiedAt": NOW,
        "emailWaitingForVerify": "",
        "secondaryEmails": ["work@example.com"],
    }


def test_a_link_for_an_address_replaced_since_is_refused() -> None:
    moved_on = user(emailVerifiedAt=NOW - 10, emailWaitingForVerify="newer@example.com")
    with pytest.raises(DomainError) as refused:
        rules.verified_changes(moved_on, "new@example.com", NOW)
    assert (refused.value.code, refused.value.message) == (ErrorCode.REFUSED, rules.STALE_LINK)


@pytest.mark.parametrize(
    "stored",
    [None, request(usedAt=NOW - 1), request(expiresAt=NOW), request(tokenHash="")],
    ids=["unknown", "used", "expired", "never-sent"],
)
def test_unknown_used_expired_or_unsent_links_are_refused(stored: EmailVerification | None) -> None:
    with pytest.raises(DomainError) as refused:
        rules.check_usable(stored, NOW)
    assert (refused.value.code, refused.value.message) == (ErrorCode.REFUSED, rules.INVALID_LINK)


def test_tokens_are_random_and_only_their_hash_is_compared() -> None:
    first, second = rules.new_token(), rules.new_token()
    assert first != second and len(first) >= 40
    assert rules.token_hash(first) == rules.token_hash(f" {first} ")  # pasted with a space
    assert rules.token_hash(first) != rules.token_hash(second) and first not in rules.token_hash(first)


# --- stale tokens after we change an address -----------------------------------------------------


class _Users:
    """The one user a token maps to (by uid); `updates` records what sign-in wrote."""

    def __init__(self, stored: User | None) -> None:
        self.stored = stored
        self.updates: list[dict[str, object]] = []

    def find(self, *where: object, limit: int | None = None) -> list[User]:
        return [self.stored] if self.stored else []

    def update(self, item_id: str, fields: dict[str, object]) -> None:
        self.updates.append(dict(fields))

    def get(self, item_id: str) -> None:
        return None


def test_a_token_still_carrying_the_replaced_address_does_not_undo_the_change() -> None:
    changed = user(_id="u1", firebaseUid="fb1", email="new@example.com", previousEmail="ada@example.com",
                   emailVerifiedAt=NOW, phoneNumber="+15555550199", previousPhoneNumber="+15555550100",
                   phoneNumberVerifiedAt=NOW)  # fmt: skip
    users = _Users(changed)
    identity = IdentityService(users, _Users(None), _Users(None), clock=lambda: NOW)  # type: ignore[arg-type]

    identity.user_for_claims({"uid": "fb1", "email": "ada@example.com", "email_verified": True,
                              "phone_number": "+15555550100"})  # fmt: skip

    assert users.updates == []
    identity.user_for_claims({"uid": "fb1", "email": "third@example.com", "email_verified": True})
    assert users.updates[-1]["email"] == "third@example.com"  # a real change made in the SDK


# --- messages --------------------------------------------------------------------------------------


def test_the_verification_mail_links_to_backstage_or_shows_the_code() -> None:
    linked = rules.verification_message(user(), "tok/en+1", "https://backstage.example/")
    html, text = EmailRenderer().render("userWelcomeEmail", linked.context)
    assert linked.subject == "Verify your email"
    link = "https://backstage.example/account/verifyEmail/?code=tok%2Fen%2B1"
    assert link in text and f'href="{link}"' in html and "Hi Ada" in text and "24 hours" in text

    bare = rules.verification_message(user(firstName=""), "tok3n", "")
    html, text = EmailRenderer().render("userWelcomeEmail", bare.context)
    assert "Your verification code: tok3n" in text and "<strong>tok3n</strong>" in html
    assert "Hi there" in text and "href" not in html.split("tok3n")[0].split("<body")[-1].split("Confirm")[-1]


def test_the_invitation_names_the_org_the_role_and_who_invited() -> None:
    org = Organization(
        _id="o1", userId="owner", createdAt=NOW, orgName="Owl  Presents", orgColorHex="#336699"
    )
    role = Role(orgId="o1", userEmail="Bo@Example.com", role="BOX_OFFICE", createdAt=NOW, createdBy="u1")
    message = rules.invitation_message(role, org, user(lastName="Lovelace"), "https://backstage.example")
    html, text = EmailRenderer().render("inviteToOrganization", message.context)
    assert message.subject == "Join Owl Presents on Sellout"
    assert "Ada Lovelace invited you to join Owl  Presents on Sellout as box office staff." in text
    assert "Sign in to Sellout with bo@example.com" in text
    assert "https://backstage.example/account" in text and "#336699" in html


def test_the_reset_mail_carries_firebases_link() -> None:
    message = rules.password_reset_message(user(), "http://auth.example/action?mode=resetPassword&oobCode=x")
    html, text = EmailRenderer().render("userResetPassword", message.context)
    assert message.subject == "Reset your password"
    assert "oobCode=x" in text and "mode=resetPassword&amp;oobCode=x" in html


def test_the_org_creator_gets_no_invitation_to_its_own_org() -> None:
    org = Organization(_id="o1", userId="owner", createdAt=NOW)
    own = Role(
        orgId="o1", userId="owner", userEmail="o@example.com", role="OWNER", createdAt=NOW, createdBy="owner"
    )
    invited = Role(orgId="o1", userEmail="x@example.com", role="ADMIN", createdAt=NOW, createdBy="owner")
    assert not rules.invitation_wanted(own, org)
    assert rules.invitation_wanted(invited, org)
    assert not rules.invitation_wanted(invited, None)
