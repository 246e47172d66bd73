"""The unmodified clients' own flows (issue 13), over HTTP with the operation texts in
tests/graphql_contract/client_operations, as their sagas send them: the purchase portal's
purchase path from the e-mail look-up to the order, and Backstage's sign-ins, org context
(never sent as X-Org-Id) and event creation."""

from __future__ import annotations

import time
import uuid
from typing import Any

from shared.bootstrap import services
from shared.domain.models import Role, User
from tests.integration.api import wait_for
from tests.integration.checkout_fixtures import connected_org, on_sale_event, stripe_client
from tests.integration.client_operations import emailed_codes, next_code, send, texted_codes
from tests.integration.events_fixtures import event_input, make_venue
from tests.integration.inbox import with_subject
from tests.integration.test_sign_in_bridge import firebase_staff


def ok(answer: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in answer, answer.get("errors")
    data: dict[str, Any] = answer["data"]
    return data


def test_the_purchase_portal_buys_with_a_discount_code_as_it_really_sends_it() -> None:
    org = connected_org()
    now = int(time.time())
    discount = {
        "code": "FRIENDS10",
        "type": "Discount",
        "totalQty": 20,
        "remainingQty": 20,
        "startsAt": now - 60,
        "endsAt": now + 3600,
        "useLimit": 2,
        "active": True,
        "discountType": "Percent",
        "discountValue": 10,
        "appliesTo": "Per Order",
    }
    event = on_sale_event(org, price=4500, promotions=[discount])
    email = f"buyer-{uuid.uuid4().hex[:8]}@example.com"
    ticket_type = event.ticketTypes[0]

    # Email screen: is there an account? No: the buyer's details are registered as typed.
    assert (
        ok(send("purchase_portal", "UserExists", {"email": email, "eventId": event.id}))["userExists"][
            "userId"
        ]
        == ""
    )
    registered = ok(
        send(
            "purchase_portal",
            "Register",
            {
                "user": {
                    "email": email,
                    "firstName": "Ada",
                    "lastName": "Lovelace",
                    "phoneNumber": "15555550177",
                }
            },
        )
    )["register"]
    assert registered["registered"] is True
    assert registered["userProfile"]["user"]["phoneNumber"] == "+15555550177"
    user_id = registered["userProfile"]["user"]["_id"]

    # PhoneCode screen: `{email}` only; the 4-digit code arrives by e-mail.
    assert ok(send("sign_in", "sendUserPhoneAuthentication", {"email": email}))["sendUserPhoneAuthentication"]
    code = next_code(emailed_codes, email)
    verified = ok(
        send("sign_in", "verifyUserPhoneAuthentication", {"email": email, "phoneVerificationToken": code})
    )["verifyUserPhoneAuthentication"]
    token = verified["token"]
    assert verified["user"]["orgContextId"] == ""  # read as a string (`orgContextId.length`)
    assert ok(send("purchase_portal", "UserProfile", token=token))["userProfile"]["userId"] == user_id

    # The promo-code box takes the discount code too; the discount box checks it for the cart.
    found = ok(send("purchase_portal", "EventTickets", {"eventId": event.id, "promoCode": "friends10"}))
    assert [t["promoType"] for t in found["eventTickets"]] == ["Discount"]
    checked = ok(
        send(
            "purchase_portal",
            "EventDiscounts",
            {
                "eventId": event.id,
                "discountCode": "FRIENDS10",
                "userId": user_id,
                "selectedTicket": [ticket_type.id],
            },
        )
    )
    assert checked["eventDiscounts"][0]["active"] is True

    # Pay: createOrderPaymentIntent with `promotionCode: promotionCode || discountCode`, Stripe.js
    # confirms, createOrder with the intent (order.saga.ts).
    params = {
        "userId": user_id,
        "channel": "Online",
        "orgId": org.id,
        "eventId": event.id,
        "tickets": [
            {
                "ticketTypeId": ticket_type.id,
                "ticketTierId": ticket_type.tiers[0].id,
                "name": ticket_type.name,
                "price": 4500,
                "origionalPrice": 4500,
                "rollFees": False,
                "seat": "",
                "description": "",
                "values": "",
                "dayIds": [],
            }
        ],
        "upgrades": [],
        "promotionCode": "FRIENDS10",
        "discountCode": "FRIENDS10",
        "paymentMethodType": "Card Entry",
    }
    intent_id = ok(send("purchase_portal", "CreateOrderPaymentIntent", {"params": params}, token=token))[
        "createOrderPaymentIntent"
    ]["paymentIntentId"]
    stripe_client().v1.payment_intents.confirm(
        intent_id, params={"payment_method": "pm_card_visa"}, options={"stripe_account": org.stripeId}
    )
    order = ok(
        send(
            "purchase_portal",
            "CreateOrder",
            {"params": {**params, "paymentIntentId": intent_id}},
            token=token,
        )
    )["createOrder"]

    assert (order["state"], order["email"]) == ("Active", email)
    intent = stripe_client().v1.payment_intents.retrieve(intent_id, options={"stripe_account": org.stripeId})
    assert (intent.status, intent.amount_received) == ("succeeded", 4050)  # 10 % off, from the server's data
    assert wait_for(lambda: with_subject("[TICKET ARRIVAL]", email), timeout=30)


def staff_account(org_id: str, phone: str) -> User:
    """A promoter as the original left them: e-mail and phone, an ADMIN role, no Firebase user."""
    now = int(time.time())
    user = services().store.users.create(
        User(
            createdAt=now,
            email=f"promoter-{uuid.uuid4().hex[:8]}@example.com",
            phoneNumber=phone,
            emailVerifiedAt=now,
            phoneNumberVerifiedAt=now,
            preferredLogin="PhoneCode",
        )
    )
    services().store.roles.create(
        Role(
            orgId=org_id,
            userId=user.id,
            userEmail=user.email,
            role="ADMIN",
            createdAt=now,
            createdBy=user.id,
            acceptedAt=now,
        )
    )
    return user


def create_event_without_header(token: str, org_id: str) -> None:
    """Backstage picks its organization with setUserOrgContextId, then works without X-Org-Id."""
    switched = ok(send("backstage_roles_fees", "SetUserOrgContextId", {"orgId": org_id}, token=token))
    assert switched["setUserOrgContextId"]["token"] == token
    venue = make_venue(org_id)
    created = ok(send("backstage_events", "CreateEvent", {"event": event_input(venue.id)}, token=token))[
        "createEvent"
    ]
    listed = ok(send("backstage_events", "ListEvents", {"query": {}}, token=token))["events"]
    assert created["orgId"] == org_id and created["_id"] in [e["_id"] for e in listed]


def test_backstage_signs_in_with_its_password_and_creates_an_event() -> None:
    org = connected_org("Backstage Presents")
    _, email = firebase_staff("backstage pass 1")
    login = ok(send("sign_in", "Login", {"email": email, "password": "backstage pass 1"}))["login"]
    token = login["token"]
    user_id = services().store.users.find(("email", "==", email))[0].id
    now = int(time.time())
    services().store.roles.create(
        Role(
            orgId=org.id,
            userId=user_id,
            userEmail=email,
            role="OWNER",
            createdAt=now,
            createdBy=user_id,
            acceptedAt=now,
        )
    )

    create_event_without_header(token, org.id)

    again = ok(send("sign_in", "Login", {"email": email, "password": "backstage pass 1"}))["login"]
    assert again["user"]["orgContextId"] == org.id and again["user"]["role"]["role"] == "OWNER"


def test_backstage_signs_in_with_an_sms_code_and_creates_an_event() -> None:
    org = connected_org("Backstage Presents")
    phone = f"+1555555{uuid.uuid4().int % 10000:04d}"
    user = staff_account(org.id, phone)

    # AccountModal: userExists, then `{email, isLogin: true}`; the code goes to the account's phone.
    assert ok(send("purchase_portal", "UserExists", {"email": user.email}))["userExists"]["userId"] == user.id
    assert ok(send("sign_in", "sendUserPhoneAuthentication", {"email": user.email, "isLogin": True}))
    code = next_code(texted_codes, phone)
    verified = ok(
        send(
            "sign_in", "verifyUserPhoneAuthentication", {"email": user.email, "phoneVerificationToken": code}
        )
    )
    token = verified["verifyUserPhoneAuthentication"]["token"]

    create_event_without_header(token, org.id)
