"""Saved cards (SPEC R-PAY-1, §4.7 `UserProfile.stripeCustomer`).

Cards live on the platform's Stripe account, on one Customer per user, created the first time
it is needed and remembered as `userProfile.stripeCustomerId` (the Customer's creation is
idempotent per user, so two first requests racing end with one Customer).

Every operation works on the caller's own Customer only. A PaymentMethod or source id that is
not attached to it is answered NOT_FOUND, exactly as an id that does not exist: a guessed or
leaked id neither reveals nor touches another user's card.

At checkout (R-PAY-2 steps 1-2) a saved card pays through a clone on the organization's
connected account; whose card may pay is `may_pay_with_saved_card_of`. The buyer also gets an
ephemeral key for their own Customer.
"""

from __future__ import annotations

from typing import Any, Protocol

from shared.domain.identity import IdentityService
from shared.domain.models import UserProfile
from shared.domain.payment_methods import SavedCard, card_view, may_pay_with_saved_card_of, owned_by
from shared.domain.permissions import Principal, customer_orgs_of_staff, permission_denied, require_user
from shared.domain.ports import Repository
from shared.errors import DomainError, ErrorCode, not_found


class CustomerGateway(Protocol):
    def create_customer(self, user_id: str, email: str, name: str, phone: str) -> str: ...


class CardGateway(Protocol):
    """Stripe's saved-card API on the platform account (adapter: StripeSavedCards)."""

    def customer_email(self, customer_id: str) -> str: ...

    def create_setup_intent(self, customer_id: str, user_id: str) -> str: ...

    def payment_method(self, payment_method_id: str) -> SavedCard: ...

    def attach(self, payment_method_id: str, customer_id: str) -> SavedCard: ...

    def detach(self, payment_method_id: str) -> None: ...

    def cards(self, customer_id: str) -> list[SavedCard]: ...

    def add_source(self, customer_id: str, token: str) -> SavedCard: ...

    def delete_source(self, customer_id: str, source_id: str) -> None: ...

    def clone_to_account(
        self, payment_method_id: str, customer_id: str, account: str, idempotency_key: str
    ) -> str: ...

    def ephemeral_key(self, customer_id: str, idempotency_key: str) -> str: ...


# Saved cards that can pay a direct charge through a clone: PaymentMethods and legacy card
# sources (the PaymentMethods API takes a `card_` id as a card); never other source kinds.
CLONABLE_PREFIXES = ("pm_", "card_")
NOT_THIS_ORGS_CUSTOMER = "You may only charge the saved cards of this organization's customers."


def card_not_found() -> DomainError:
    return not_found("Card")


class SavedCardService:
    def __init__(
        self, profiles: Repository[UserProfile], customers: CustomerGateway, cards: CardGateway
    ) -> None:
        self.profiles = profiles
        self.customers = customers
        self.cards = cards

    # --- the caller's Customer -----------------------------------------------------------------

    def _profile(self, caller: Principal) -> UserProfile:
        profile = self.profiles.get(caller.user_id)  # the profile id is the user id
        if profile is None:  # a user written before profiles existed
            profile = self.profiles.save(IdentityService.profile_for(caller.user))
        return profile

    def _ensure_customer(self, caller: Principal) -> str:
        profile = self._profile(caller)
        if profile.stripeCustomerId:
            return profile.stripeCustomerId
        user = caller.user
        name = f"{user.firstName} {user.lastName}".strip()
        customer_id = self.customers.create_customer(user.id, user.email, name, user.phoneNumber)
        self.profiles.update(profile.id, {"stripeCustomerId": customer_id})
        return customer_id

    def _existing_customer(self, caller: Principal) -> str:
        """The caller's Customer when there is one; no Customer means no cards to find."""
        customer_id = self._profile(caller).stripeCustomerId
        if not customer_id:
            raise card_not_found()
        return customer_id

    def _own_card(self, customer_id: str, payment_method_id: str) -> SavedCard:
        payment_method_id = (payment_method_id or "").strip()
        if not payment_method_id.startswith(("pm_", "card_", "src_")):
            raise card_not_found()
        card = self.cards.payment_method(payment_method_id)
        if not owned_by(card, customer_id):
            raise card_not_found()
        return card

    # --- R-PAY-1 -------------------------------------------------------------------------------

    def create_setup_intent(self, principal: Principal | None) -> str:
        """The client secret of a SetupIntent for the caller's Customer (Stripe.js confirms it)."""
        caller = require_user(principal)
        return self.cards.create_setup_intent(self._ensure_customer(caller), caller.user_id)

    def attach(
        self, principal: Principal | None, payment_method_id: str, profile_id: str | None
    ) -> dict[str, Any]:
        """Attach a PaymentMethod the caller just confirmed to the caller's Customer. `_id`
        (SPEC §7.17) may only name the caller's own profile. A SetupIntent confirmed for the
        caller's Customer has attached it already; a card on another Customer is not found."""
        caller = require_user(principal)
        if profile_id and profile_id != caller.user_id:
            raise permission_denied()
        customer_id = self._ensure_customer(caller)
        payment_method_id = (payment_method_id or "").strip()
        if not payment_method_id.startswith("pm_"):
            raise card_not_found()
        card = self.cards.payment_method(payment_method_id)
        if owned_by(card, customer_id):
            return card_view(card)
        if card.customer:
            raise card_not_found()
        return card_view(self.cards.attach(payment_method_id, customer_id))

    def card(self, principal: Principal | None, payment_method_id: str) -> dict[str, Any]:
        """getStripeCardByMethod: details of one of the caller's cards."""
        caller = require_user(principal)
        return card_view(self._own_card(self._existing_customer(caller), payment_method_id))

    def delete(self, principal: Principal | None, source_id: str) -> bool:
        """deleteStripeSource: detach a PaymentMethod, or delete a legacy card source."""
        caller = require_user(principal)
        customer_id = self._existing_customer(caller)
        card = self._own_card(customer_id, source_id)
        if card.id.startswith("pm_"):
            self.cards.detach(card.id)
        else:
            self.cards.delete_source(customer_id, card.id)
        return True

    def add_source(self, principal: Principal | None, token: str, user_id: str | None) -> dict[str, Any]:
        """createStripeSource (legacy): save a card token on the caller's Customer. `userId` may
        only name the caller: saving a card on someone else's account is never right."""
        caller = require_user(principal)
        if user_id and user_id != caller.user_id:
            raise permission_denied()
        token = (token or "").strip()
        if not token.startswith("tok_"):
            raise DomainError(ErrorCode.INVALID_INPUT, "A card token is required.", ["stripeToken"])
        customer_id = self._ensure_customer(caller)
        self.cards.add_source(customer_id, token)
        return self._customer_view(customer_id)

    # --- checkout (R-PAY-2 steps 1-2) ---------------------------------------------------------------

    def checkout_card(
        self, caller: Principal, payment_method_id: str, *, buyer_user_id: str, org_id: str
    ) -> SavedCard:
        """The saved card that is to pay a checkout of `org_id` for `buyer_user_id`: a card on the
        buyer's own platform Customer. A buyer naming a card not on their Customer gets NOT_FOUND
        (as for any card id: it reveals nothing); staff who may not charge this buyer's cards get
        FORBIDDEN. Nothing is created here: no Customer for a buyer who has none."""
        profile = self.profiles.get(buyer_user_id) if buyer_user_id else None
        org_ids = list(profile.orgIds) if profile else []
        if not may_pay_with_saved_card_of(caller, buyer_user_id, org_ids, org_id):
            if buyer_user_id and buyer_user_id != caller.user_id:
                raise DomainError(ErrorCode.FORBIDDEN, NOT_THIS_ORGS_CUSTOMER)
            raise card_not_found()
        customer_id = profile.stripeCustomerId if profile else ""
        if not customer_id or not (payment_method_id or "").strip().startswith(CLONABLE_PREFIXES):
            raise card_not_found()
        return self._own_card(customer_id, payment_method_id)

    def clone_to_account(self, card: SavedCard, account: str, idempotency_key: str) -> str:
        """The card's clone on the org's connected account, where the direct charge is made."""
        return self.cards.clone_to_account(card.id, card.customer, account, idempotency_key)

    def ephemeral_key(self, caller: Principal, buyer_user_id: str, idempotency_key: str) -> str | None:
        """An ephemeral key for the caller's own Customer when the caller is the buyer and has
        one; None otherwise. Never for a clerk selling to someone else: the key gives whoever holds
        it the run of that Customer's cards (list, attach, detach), far beyond the summaries staff
        may see. And no Customer is created at checkout for it (R-USR-2 creates it)."""
        if buyer_user_id != caller.user_id:
            return None
        profile = self.profiles.get(caller.user_id)
        if profile is None or not profile.stripeCustomerId:
            return None
        return self.cards.ephemeral_key(profile.stripeCustomerId, idempotency_key)

    # --- UserProfile.stripeCustomer ------------------------------------------------------------

    def stripe_customer(self, principal: Principal | None, profile: UserProfile) -> dict[str, Any] | None:
        """The profile's Customer and cards (SPEC 4.7): for its owner (created on first need), or
        for BOX_OFFICE+ of an org the buyer bought from — who see brand, last four digits and
        expiry, never more, and never make a Customer for someone. Null for anyone else."""
        if principal is None:
            return None
        if principal.user_id == profile.userId:
            return self._customer_view(self._ensure_customer(principal))
        if profile.stripeCustomerId and customer_orgs_of_staff(principal, profile.orgIds):
            return self._customer_view(profile.stripeCustomerId)
        return None

    def _customer_view(self, customer_id: str) -> dict[str, Any]:
        return {
            "stripeCustomerId": customer_id,
            "email": self.cards.customer_email(customer_id),
            "paymentMethods": [card_view(card) for card in self.cards.cards(customer_id)],
        }
