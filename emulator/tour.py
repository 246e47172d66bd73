"""The five-minute tour of Sellout on the local stack (`make run` in another terminal first):

    .venv/bin/python -m emulator.tour

The demo promoter and a new buyer sign in through the Firebase Auth emulator, exactly as the
web apps do; the promoter sells the buyer a ticket at the box office; the ticket e-mail reaches
the inbox (the SendGrid stand-in) with its QR code; the door scans that QR code once, and a
second scan is refused. Every step is a plain HTTP call to the running stack, printed as it is
made, so it doubles as an example of the API. tests/integration/test_readme_tour.py runs the
README's commands, so this tour cannot rot.
"""

from __future__ import annotations

import io
import sys
import time
import uuid
from typing import Any

import requests

from emulator import config
from emulator.seed import EVENT_ID, ORG_ID, OWNER_EMAIL, OWNER_PASSWORD

IDENTITY = f"http://{config.AUTH_HOST}/identitytoolkit.googleapis.com/v1"
GRAPHQL = f"{config.FUNCTIONS_URL}/graphql/graphql"
# Any API key works on the Auth emulator; the web apps send their project's.
API_KEY = "local"


class TourError(RuntimeError):
    """A step did not do what the tour shows; the message says which and why."""


def step(number: int, title: str) -> None:
    print(f"\n{number}. {title}", flush=True)


def show(text: str) -> None:
    print(f"   {text}", flush=True)


def sign_in_with_password(email: str, password: str) -> str:
    show(f"POST {IDENTITY}/accounts:signInWithPassword  {{email: {email}}}")
    response = requests.post(
        f"{IDENTITY}/accounts:signInWithPassword?key={API_KEY}",
        json={"email": email, "password": password, "returnSecureToken": True},
        timeout=10,
    )
    if response.status_code != 200:
        raise TourError(
            f"sign-in of {email} failed ({response.status_code}): is `make run` running and seeded?"
        )
    return str(response.json()["idToken"])


def sign_up_and_verify(email: str, password: str) -> str:
    """A new e-mail account, verified through Firebase's own e-mail link (the Auth emulator lists
    the links it would have mailed), then signed in: only a verified address is an account's
    e-mail to Sellout, and tickets are mailed to it."""
    show(f"POST {IDENTITY}/accounts:signUp  {{email: {email}}}")
    created = requests.post(
        f"{IDENTITY}/accounts:signUp?key={API_KEY}",
        json={"email": email, "password": password, "returnSecureToken": True},
        timeout=10,
    )
    created.raise_for_status()
    show(f"POST {IDENTITY}/accounts:sendOobCode  {{requestType: VERIFY_EMAIL}}")
    requests.post(
        f"{IDENTITY}/accounts:sendOobCode?key={API_KEY}",
        json={"requestType": "VERIFY_EMAIL", "idToken": created.json()["idToken"]},
        timeout=10,
    ).raise_for_status()
    links = f"http://{config.AUTH_HOST}/emulator/v1/projects/{config.PROJECT_ID}/oobCodes"
    show(f"GET {links}  (the verification link the emulator did not mail)")
    codes = requests.get(links, timeout=10).json()["oobCodes"]
    oob = next(c["oobCode"] for c in reversed(codes) if c["email"] == email)
    show(f"POST {IDENTITY}/accounts:update  {{oobCode}}  (what clicking the link does)")
    requests.post(
        f"{IDENTITY}/accounts:update?key={API_KEY}", json={"oobCode": oob}, timeout=10
    ).raise_for_status()
    return sign_in_with_password(email, password)


def graphql(
    token: str | None, query: str, variables: dict[str, Any] | None = None, org_id: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if org_id:
        headers["X-Org-Id"] = org_id
    show(f"POST {GRAPHQL}  {' '.join(query.split())[:100]}")
    body: dict[str, Any] = requests.post(
        GRAPHQL, json={"query": query, "variables": variables or {}}, headers=headers, timeout=30
    ).json()
    if body.get("errors"):
        raise TourError(f"GraphQL refused: {body['errors'][0].get('message')}")
    data: dict[str, Any] = body["data"]
    return data


def wait_for_ticket_email(to: str, timeout: float = 90) -> dict[str, Any]:
    """The ticket e-mail goes out from a Cloud Task a moment after the order."""
    show(f"GET {config.SAAS_URL}/_inbox/emails.json  (waiting for the mail to {to})")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inbox = requests.get(f"{config.SAAS_URL}/_inbox/emails.json", timeout=10).json()
        for entry in inbox:
            message = entry["message"]
            recipients = {t["email"] for p in message.get("personalizations", []) for t in p.get("to", [])}
            if to in recipients and _qr_url(message):
                return dict(message)
        time.sleep(1)
    raise TourError(f"no ticket e-mail to {to} within {timeout:.0f} s (see .stack/logs/functions.log)")


def _qr_url(message: dict[str, Any]) -> str | None:
    """The QR image's link in the e-mail's HTML (a signed URL of the private tickets bucket)."""
    html = next((c["value"] for c in message.get("content", []) if c["type"] == "text/html"), "")
    marker = html.find(config.TICKETS_BUCKET)
    if marker < 0:
        return None
    start = html.rfind('"', 0, marker) + 1
    return html[start : html.find('"', marker)].replace("&amp;", "&")


def read_qr(png: bytes) -> str:
    """What the scanner app's camera reads off the buyer's phone."""
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    if not found:
        raise TourError("the QR image in the e-mail could not be read")
    return str(found[0].text)


def scan(token: str, code: str) -> requests.Response:
    show(f"POST {config.FUNCTIONS_URL}/scan/  {{code: <the QR's text>}}")
    return requests.post(
        f"{config.FUNCTIONS_URL}/scan/",
        json={"code": code},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def tour() -> None:
    print("Sellout tour on the local stack (the functions at " + config.FUNCTIONS_URL + ")")

    step(1, "The public website feed shows the demo event (no sign-in)")
    detail_url = f"{config.FUNCTIONS_URL}/graphql/getEventDetail?id={EVENT_ID}"
    show(f"GET {detail_url}")
    event = requests.get(detail_url, timeout=10).json()["event"]
    show(f"-> {event['name']!r}")

    step(2, "The demo promoter signs in (Firebase Auth emulator, e-mail and password)")
    promoter = sign_in_with_password(OWNER_EMAIL, OWNER_PASSWORD)
    me = graphql(promoter, "{ user { _id email orgRole } }")["user"]
    show(f"-> signed in as {me['email']} ({me['orgRole']} of {ORG_ID})")

    step(3, "A buyer signs up, verifies the e-mail address and opens the account (created on first use)")
    buyer_email = f"buyer-{uuid.uuid4().hex[:8]}@example.com"
    buyer = sign_up_and_verify(buyer_email, "buyer-password")
    buyer_id = graphql(buyer, "{ user { _id } }")["user"]["_id"]
    show(f"-> buyer {buyer_email}, user id {buyer_id}")

    step(4, "The promoter sells the buyer a ticket at the box office (cash; the client says 1 cent)")
    ticket_type = event["ticketTypes"][0]
    tier = ticket_type["tiers"][0]
    order = graphql(
        promoter,
        """mutation($p: OrderInput!) { createOrder(params: $p) {
             _id state tickets { _id name price } payments { amount } } }""",
        {
            "p": {
                "orgId": ORG_ID,
                "eventId": EVENT_ID,
                "userId": buyer_id,
                "channel": "Box Office",
                "paymentMethodType": "Cash",
                "type": "Paid",
                # The portal sends the price it showed; the server prices from the event anyway.
                "tickets": [{"ticketTypeId": ticket_type["_id"], "ticketTierId": tier["_id"], "price": 1}],
            }
        },
        org_id=ORG_ID,
    )["createOrder"]
    ticket = order["tickets"][0]
    show(
        f"-> order {order['_id']} {order['state']}: {ticket['name']} at ${ticket['price'] / 100:.2f}, "
        f"paid ${order['payments'][0]['amount'] / 100:.2f}"
    )

    step(5, f"The ticket e-mail arrives (open the inbox page: {config.SAAS_URL}/)")
    mail = wait_for_ticket_email(buyer_email)
    qr_url = _qr_url(mail) or ""
    show(f"-> subject {mail.get('subject')!r}, with the QR code image at")
    show(f"   {qr_url[:110]}...")

    step(6, "The door scans the QR code from the e-mail (the promoter's account can scan)")
    code = read_qr(requests.get(qr_url, timeout=10).content)
    show(f"QR text: {code[:60]}...")
    admitted = scan(promoter, code)
    if admitted.status_code != 200:
        raise TourError(f"the scan was refused: {admitted.status_code} {admitted.text}")
    show(f"-> admitted {admitted.json()['admitted']}")

    step(7, "Scanning the same ticket again is refused")
    again = scan(promoter, code)
    error = again.json().get("error", {})
    show(f"-> {again.status_code} {error.get('code')}: {error.get('message')}")
    if again.status_code != 409:
        raise TourError(f"a second scan should be refused with 409, got {again.status_code}")

    print(
        f"\nDone. Everything above is in the inbox ({config.SAAS_URL}/) and in Firestore "
        f"(http://{config.FIRESTORE_HOST}); the functions' logs are in .stack/logs/functions.log.",
        flush=True,
    )


def main() -> None:
    try:
        tour()
    except (TourError, requests.ConnectionError) as error:
        print(f"\nThe tour stopped: {error}", file=sys.stderr)
        if isinstance(error, requests.ConnectionError):
            print("Is the stack running? Start it with `make run` in another terminal.", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
