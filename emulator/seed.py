"""Seeds the local stack with a demo organization a promoter can sign in to and sell from.

Idempotent: fixed ids, so running it twice leaves one copy. Prints what it created.
"""

from __future__ import annotations

import time
from typing import Any

import firebase_admin
from firebase_admin import auth
from google.cloud import firestore

from emulator.config import PROJECT_ID
from shared.bootstrap import services
from shared.domain.models import Event

ORG_ID = "demoOrg01"
VENUE_ID = "demoVenue01"
ARTIST_ID = "demoArtist01"
EVENT_ID = "demoEvent01"
OWNER_UID = "demo-owner"
OWNER_USER_ID = "demoUser01"
OWNER_EMAIL = "owner@demo.sellout.local"
OWNER_PHONE = "+15555550123"
OWNER_PASSWORD = "sellout-demo"  # noqa: S105 - an Auth-emulator demo account, nothing real

DAY = 86_400


def _address(**overrides: Any) -> dict[str, Any]:
    base = {
        "address1": "1 Demo Street",
        "address2": "",
        "city": "Denver",
        "state": "CO",
        "zip": "80202",
        "country": "US",
        "phone": "",
        "placeId": "",
        "placeName": "",
        "timezone": "America/Denver",
        "lat": 39.7392,
        "lng": -104.9903,
    }
    return {**base, **overrides}


def _tier(tier_id: str, *, name: str, price: int, qty: int, starts: int, ends: int) -> dict[str, Any]:
    return {
        "_id": tier_id,
        "name": name,
        "price": price,
        "startsAt": starts,
        "endsAt": ends,
        "totalQty": qty,
        "remainingQty": qty,
    }


def demo_documents(now: int) -> dict[str, dict[str, dict[str, Any]]]:
    show = now + 30 * DAY
    return {
        "organizations": {
            ORG_ID: {
                "_id": ORG_ID,
                "userId": OWNER_USER_ID,
                "createdAt": now,
                "orgName": "Demo Presents",
                "orgLogoUrl": "",
                "orgColorHex": "#6B4EFF",
                "bio": "A demo promoter on the local stack.",
                "email": OWNER_EMAIL,
                "phoneNumber": OWNER_PHONE,
                "orgUrls": [],
                "address": _address(),
                "stripeId": "",
                "authyId": "",
                "facebookPixelId": "",
                "googleAnalyticsId": "",
                "isSeasonTickets": False,
                "isTegIntegration": False,
                "validateMemberId": False,
                "tegClientID": "",
                "tegSecret": "",
                "tegURL": "",
                "ticketFormat": "Standard",
                "locationId": "",
            }
        },
        "users": {
            OWNER_USER_ID: {
                "_id": OWNER_USER_ID,
                "createdAt": now,
                "firebaseUid": OWNER_UID,
                "email": OWNER_EMAIL,
                "secondaryEmails": [],
                "firstName": "Dana",
                "lastName": "Demo",
                "phoneNumber": OWNER_PHONE,
                "emailVerifiedAt": now,
                "phoneNumberVerifiedAt": now,
                "orgContextId": ORG_ID,
                "orgRole": "OWNER",
                "preferredLogin": "Password",
            }
        },
        "userProfiles": {
            OWNER_USER_ID: {
                "_id": OWNER_USER_ID,
                "userId": OWNER_USER_ID,
                "firstName": "Dana",
                "lastName": "Demo",
                "email": OWNER_EMAIL,
                "phoneNumber": OWNER_PHONE,
                "imageUrl": "",
                "stripeCustomerId": "",
                "orgIds": [],
                "eventIds": [],
                "venueIds": [],
                "artistIds": [],
                "metrics": [],
            }
        },
        "roles": {
            "demoRole01": {
                "_id": "demoRole01",
                "orgId": ORG_ID,
                "userId": OWNER_USER_ID,
                "userEmail": OWNER_EMAIL,
                "role": "OWNER",
                "createdAt": now,
                "createdBy": OWNER_USER_ID,
                "acceptedAt": now,
            }
        },
        "venues": {
            VENUE_ID: {
                "_id": VENUE_ID,
                "orgId": ORG_ID,
                "name": "The Demo Hall",
                "description": "A 1,500-capacity room.",
                "url": "",
                "capacity": 1500,
                "tax": "0",
                "imageUrls": [],
                "venueGlobalId": "",
                "address": _address(),
                "createdAt": now,
                "createdBy": OWNER_USER_ID,
            }
        },
        "artists": {
            ARTIST_ID: {
                "_id": ARTIST_ID,
                "orgId": ORG_ID,
                "name": "The Emulators",
                "artistGlobalId": "",
                "type": "Musical Artist",
                "genres": ["Indie"],
                "socialAccounts": [],
                "pressKits": [],
                "contacts": [],
                "createdAt": now,
                "createdBy": OWNER_USER_ID,
            }
        },
        "events": {
            EVENT_ID: {
                "_id": EVENT_ID,
                "orgId": ORG_ID,
                "createdAt": now,
                "type": "Concert",
                "name": "The Emulators — Live",
                "subtitle": "with special guests",
                "posterImageUrl": "",
                "venueId": VENUE_ID,
                "userAgreement": "",
                "physicalDeliveryInstructions": "",
                "seasonId": "",
                "description": "<p>A demo show on the local stack.</p>",
                "publishable": True,
                "published": True,
                "cancel": False,
                "taxDeduction": False,
                "isMultipleDays": False,
                "isGuestTicketSale": False,
                "active": True,
                "salesBeginImmediately": True,
                "seatingChartKey": "",
                "age": "All ages welcome",
                "totalDays": "1",
                "guestTicketPerMember": "0",
                "processAs": "Paid",
                "sendQRCode": "Upon order",
                "ticketDeliveryType": "Digital only",
                "stub": "the-emulators-live",
                "location": _address(),
                "schedule": {
                    "announceAt": now - DAY,
                    "ticketsAt": now - DAY,
                    "ticketsEndAt": show,
                    "startsAt": show,
                    "endsAt": show + 4 * 3600,
                },
                "performances": [
                    {
                        "_id": "demoPerf01",
                        "name": "The Emulators",
                        "headliningArtistIds": [ARTIST_ID],
                        "openingArtistIds": [],
                        "venueId": VENUE_ID,
                        "venueStageId": "",
                        "price": 0,
                        "posterImageUrl": "",
                        "videoLink": "",
                        "songLink": "",
                        "schedule": [{"doorsAt": show - 3600, "startsAt": show, "endsAt": show + 4 * 3600}],
                    }
                ],
                "ticketTypes": [
                    {
                        "_id": "demoGA",
                        "name": "General Admission",
                        "totalQty": 1000,
                        "remainingQty": 1000,
                        "purchaseLimit": 8,
                        "visible": True,
                        "performanceIds": ["demoPerf01"],
                        "description": "",
                        "rollFees": False,
                        "values": "0",
                        "dayIds": [str(show)],
                        "tiers": [
                            _tier(
                                "demoGA1", name="Early bird", price=2500, qty=200, starts=now - DAY, ends=show
                            ),
                            _tier(
                                "demoGA2", name="Advance", price=3500, qty=800, starts=now - DAY, ends=show
                            ),
                        ],
                    },
                    {
                        "_id": "demoVIP",
                        "name": "VIP",
                        "totalQty": 100,
                        "remainingQty": 100,
                        "purchaseLimit": 4,
                        "visible": True,
                        "performanceIds": ["demoPerf01"],
                        "description": "Balcony and a drink.",
                        "rollFees": False,
                        "values": "0",
                        "dayIds": [str(show)],
                        "tiers": [
                            _tier("demoVIP1", name="VIP", price=8000, qty=100, starts=now - DAY, ends=show)
                        ],
                    },
                ],
                "holds": [],
                "promotions": [],
                "customFields": [],
                "subscription": [],
                "waitList": [],
                "upgrades": [
                    {
                        "_id": "demoParking",
                        "name": "Parking",
                        "price": 1500,
                        "totalQty": 200,
                        "remainingQty": 200,
                        "purchaseLimit": 2,
                        "complimentary": False,
                        "complimentaryWith": "Order",
                        "complimentaryQty": 1,
                        "ticketTypeIds": [],
                        "imageUrl": "",
                        "description": "One car, all night.",
                        "visible": True,
                        "rollFees": False,
                        "values": "0",
                    }
                ],
                "exchange": None,
            }
        },
    }


def ensure_owner_account() -> None:
    """The demo promoter in the Auth emulator: sign in by e-mail/password or phone."""
    if not firebase_admin._apps:
        firebase_admin.initialize_app(options={"projectId": PROJECT_ID})
    try:
        auth.get_user(OWNER_UID)
    except auth.UserNotFoundError:
        auth.create_user(
            uid=OWNER_UID,
            email=OWNER_EMAIL,
            email_verified=True,
            password=OWNER_PASSWORD,
            phone_number=OWNER_PHONE,
            display_name="Dana Demo",
        )


def seed() -> None:
    now = int(time.time())
    client = firestore.Client(project=PROJECT_ID)
    documents = demo_documents(now)
    events = documents.pop("events")
    batch = client.batch()
    for collection, items in documents.items():
        for doc_id, data in items.items():
            batch.set(client.collection(collection).document(doc_id), data)
    batch.commit()
    app = services()
    for data in events.values():
        # Through the domain writer: the event is validated and gets its stock shards.
        if app.store.events.get(str(data["_id"])) is None:
            app.events.writer.create(Event.model_validate(data))
    ensure_owner_account()
    print(f"Seeded organization '{ORG_ID}' (Demo Presents), venue, artist and on-sale event '{EVENT_ID}'.")
    print(
        f"Demo promoter: {OWNER_EMAIL} / {OWNER_PASSWORD}, or phone {OWNER_PHONE} "
        "(the Auth emulator shows the code)."
    )


if __name__ == "__main__":
    seed()
