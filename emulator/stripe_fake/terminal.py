"""Stripe Terminal for the box office: connection tokens, locations and (simulated) readers.

What is mirrored from Stripe:
- `POST /v1/terminal/connection_tokens` (optional `location`, which must exist): a one-time
  `pst_test_...` secret the Terminal SDK connects with; not stored, like Stripe (no retrieve).
- `POST /v1/terminal/locations` (display_name and address required: line1, city, country,
  postal_code, and state in the US), `GET/POST/DELETE /v1/terminal/locations/{id}`,
  `GET /v1/terminal/locations`.
- `POST /v1/terminal/readers` (registration_code, location required, label): only Stripe's
  simulated codes exist locally, `simulated-wpe` (WisePOS E) and `simulated-s700` (S700); any
  other code is a 400, as a code no physical reader shows would be. A simulated reader is
  online at 0.0.0.0 with serial number `simulated-<model>-...` (its default label).
  `GET /v1/terminal/readers` (filters location, status, device_type, serial_number),
  `GET/POST/DELETE /v1/terminal/readers/{id}`; a reader's location must still exist.
- The server-driven payment flow of a simulated reader (R-PAY-3 at the box office):
  `POST /v1/terminal/readers/{id}/process_payment_intent` (payment_intent, which must accept
  `card_present` and await a payment method) puts the reader to work (`action.status`
  in_progress; a busy reader answers 400 terminal_reader_busy), and the test helper
  `POST /v1/test_helpers/terminal/readers/{id}/present_payment_method` (card_present[number],
  default 4242424242424242) taps a card: a `card_present` PaymentMethod confirms the intent
  exactly as payments._confirm does (so manual capture ends in requires_capture and test-card
  declines decline), and the action ends succeeded or failed (with failure_code/message).
  `POST /v1/terminal/readers/{id}/cancel_action` frees the reader. Events
  terminal.reader.action_succeeded / .action_failed. The charge's payment_method_details say
  `card_present`; the charge events emitted during confirmation still say `card`.
- Everything lives on the account named by Stripe-Account (a connected account's readers are
  invisible to the platform and to other accounts), like the rest of the fake.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web
from localstripe.errors import UserError

from . import cards, events, payments
from ._base import (
    StripeObject,
    expand_param,
    get,
    get_raw,
    json_response,
    list_response,
    merge_metadata,
    metadata_param,
    missing_parameter,
    objects_of,
    random_id,
    read_params,
    route,
    stripe_error,
    unknown_parameters,
)

# Registration code -> (device_type, serial number prefix) of Stripe's simulated readers.
SIMULATED_READERS = {
    "simulated-wpe": ("simulated_wisepos_e", "simulated-wpe"),
    "simulated-s700": ("simulated_stripe_s700", "simulated-s700"),
}
ADDRESS_FIELDS = {"line1", "line2", "city", "state", "country", "postal_code"}


class Location(StripeObject):
    object = "terminal.location"
    _id_prefix = "tml_"

    def __init__(self, display_name: str, address: dict[str, Any], metadata: dict[str, str]) -> None:
        super().__init__(id=random_id("tml_", 14))
        self.display_name = display_name
        self.address = {name: address.get(name) for name in sorted(ADDRESS_FIELDS)}
        self.metadata = metadata
        self.configuration_overrides = None


class Reader(StripeObject):
    object = "terminal.reader"
    _id_prefix = "tmr_"

    def __init__(self, device_type: str, serial: str, location: str, label: str, metadata: dict[str, str]):
        super().__init__(id=random_id("tmr_", 14))
        self.device_type = device_type
        self.serial_number = serial
        self.label = label or serial
        self.location = location
        self.metadata = metadata
        self.status = "online"
        self.ip_address = "0.0.0.0"  # noqa: S104 - what Stripe reports for simulated readers
        self.device_sw_version = ""
        self.action = None


def _address(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise missing_parameter("address")
    unknown_parameters(f"address[{name}]" for name in set(value) - ADDRESS_FIELDS)
    required = ["line1", "city", "country", "postal_code"]
    if str(value.get("country") or "").upper() == "US":
        required.append("state")
    for name in required:
        if not str(value.get(name) or "").strip():
            raise missing_parameter(f"address[{name}]")
    return {**value, "country": str(value["country"]).upper()}


def _location(location_id: Any, param: str = "location") -> Location:
    return get("terminal.location", location_id, param=param)  # type: ignore[no-any-return]


# --- connection tokens ---------------------------------------------------------------------------


async def create_connection_token(request: web.Request) -> web.Response:
    data = await read_params(request)
    unknown_parameters(set(data) - {"location"})
    location = _location(data["location"]).id if data.get("location") else None
    body: dict[str, Any] = {
        "object": "terminal.connection_token",
        "secret": "pst_test_" + secrets.token_urlsafe(24),
    }
    if location:
        body["location"] = location
    return json_response(body)


# --- locations -----------------------------------------------------------------------------------


async def create_location(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - {"display_name", "address", "metadata", "configuration_overrides"})
    if not str(data.get("display_name") or "").strip():
        raise missing_parameter("display_name")
    location = Location(
        str(data["display_name"]), _address(data.get("address")), metadata_param(data.get("metadata"))
    )
    return json_response(location._export(expand=expand))


async def retrieve_location(request: web.Request) -> web.Response:
    return json_response(_location(request.match_info["id"], "id")._export())


async def update_location(request: web.Request) -> web.Response:
    location = _location(request.match_info["id"], "id")
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - {"display_name", "address", "metadata", "configuration_overrides"})
    if "display_name" in data:
        location.display_name = str(data["display_name"])
    if "address" in data:
        if not isinstance(data["address"], dict):
            raise stripe_error(400, "Invalid hash", param="address")
        merged = _address({k: v for k, v in {**location.address, **data["address"]}.items() if v is not None})
        location.address = {name: merged.get(name) for name in sorted(ADDRESS_FIELDS)}
    if "metadata" in data:
        location.metadata = merge_metadata(location.metadata, data["metadata"])
    return json_response(location._export(expand=expand))


async def delete_location(request: web.Request) -> web.Response:
    location = _location(request.match_info["id"], "id")
    location._api_delete(location.id)
    return json_response({"id": location.id, "object": "terminal.location", "deleted": True})


async def list_locations(request: web.Request) -> web.Response:
    data = await read_params(request)
    return list_response("/v1/terminal/locations", objects_of("terminal.location"), data, expand_param(data))


# --- readers -------------------------------------------------------------------------------------


async def register_reader(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - {"registration_code", "location", "label", "metadata"})
    code = str(data.get("registration_code") or "").strip()
    if not code:
        raise missing_parameter("registration_code")
    if not data.get("location"):
        raise missing_parameter("location")
    location = _location(data["location"])
    if code not in SIMULATED_READERS:
        raise stripe_error(
            400,
            "The registration code you provided is invalid. Please generate a new one on the reader "
            "and try again.",
            param="registration_code",
        )
    device_type, prefix = SIMULATED_READERS[code]
    serial = "-".join([prefix, *(secrets.token_hex(n) for n in (2, 2, 1, 2))])
    reader = Reader(
        device_type, serial, location.id, str(data.get("label") or ""), metadata_param(data.get("metadata"))
    )
    return json_response(reader._export(expand=expand))


def _reader(reader_id: str) -> Reader:
    return get("terminal.reader", reader_id)  # type: ignore[no-any-return]


async def retrieve_reader(request: web.Request) -> web.Response:
    return json_response(_reader(request.match_info["id"])._export())


async def update_reader(request: web.Request) -> web.Response:
    reader = _reader(request.match_info["id"])
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - {"label", "metadata"})
    if "label" in data:
        reader.label = str(data["label"] or reader.serial_number)
    if "metadata" in data:
        reader.metadata = merge_metadata(reader.metadata, data["metadata"])
    return json_response(reader._export(expand=expand))


async def delete_reader(request: web.Request) -> web.Response:
    reader = _reader(request.match_info["id"])
    reader._api_delete(reader.id)
    return json_response({"id": reader.id, "object": "terminal.reader", "deleted": True})


async def list_readers(request: web.Request) -> web.Response:
    data = await read_params(request)
    expand = expand_param(data)
    items = objects_of("terminal.reader")
    for name in ("location", "status", "device_type", "serial_number"):
        if name in data:
            value = data.pop(name)
            items = [r for r in items if getattr(r, name) == value]
    return list_response("/v1/terminal/readers", items, data, expand)


# --- server-driven payments on a (simulated) reader ----------------------------------------------


def _card_present_payment_method(number: str) -> Any:
    """A PaymentMethod of a tapped card: Stripe's `card_present` type, not a `card`."""
    pm = cards._new_payment_method(number)
    details = dict(pm.card)
    del pm.card
    pm.type = "card_present"
    pm.card_present = {**details, "read_method": "contactless_emv", "cardholder_name": None}
    return pm


async def process_payment_intent(request: web.Request) -> web.Response:
    reader = _reader(request.match_info["id"])
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - {"payment_intent", "process_config"})
    if not data.get("payment_intent"):
        raise missing_parameter("payment_intent")
    intent = get("payment_intent", data["payment_intent"], param="payment_intent")
    if "card_present" not in intent.payment_method_types:
        raise stripe_error(
            400,
            f"The PaymentIntent {intent.id} does not accept card_present payments.",
            param="payment_intent",
        )
    if intent.status not in ("requires_payment_method", "requires_confirmation"):
        raise stripe_error(
            400,
            f"This PaymentIntent could not be processed because it has a status of {intent.status}.",
            code="payment_intent_unexpected_state",
            param="payment_intent",
        )
    if reader.action and reader.action["status"] == "in_progress":
        raise stripe_error(
            400, "Reader is currently busy processing another request.", code="terminal_reader_busy"
        )
    reader.action = {
        "type": "process_payment_intent",
        "status": "in_progress",
        "failure_code": None,
        "failure_message": None,
        "process_payment_intent": {"payment_intent": intent.id},
    }
    return json_response(reader._export(expand=expand))


async def cancel_action(request: web.Request) -> web.Response:
    reader = _reader(request.match_info["id"])
    data = await read_params(request)
    unknown_parameters(set(data) - {"expand"})
    if not reader.action or reader.action["status"] != "in_progress":
        raise stripe_error(400, "This reader has no action in progress.", code="terminal_reader_busy")
    reader.action = None
    return json_response(reader._export())


async def present_payment_method(request: web.Request) -> web.Response:
    reader = _reader(request.match_info["id"])
    data = await read_params(request)
    expand = expand_param(data)
    unknown_parameters(set(data) - {"type", "card_present", "amount_tip"})
    if data.get("type", "card_present") != "card_present":
        raise stripe_error(400, "Only card_present can be presented to this reader.", param="type")
    action = reader.action
    if not action or action["status"] != "in_progress" or action["type"] != "process_payment_intent":
        raise stripe_error(
            400, "This reader is not waiting for a payment method.", code="terminal_reader_timeout"
        )
    number = str((data.get("card_present") or {}).get("number") or "4242424242424242")
    intent = get_raw("payment_intent", action["process_payment_intent"]["payment_intent"])
    pm = _card_present_payment_method(number)
    intent.payment_method = pm.id
    try:
        payments._confirm(intent, {})
    except UserError as error:
        detail = error.body["error"]
        action.update(status="failed", failure_code=detail.get("code"), failure_message=detail.get("message"))
        events.emit("terminal.reader.action_failed", reader)
        return json_response(reader._export(expand=expand))
    if intent.latest_charge:
        charge = get_raw("charge", intent.latest_charge)
        charge.payment_method_details = {"type": "card_present", "card_present": dict(pm.card_present)}
    action["status"] = "succeeded"
    events.emit("terminal.reader.action_succeeded", reader)
    return json_response(reader._export(expand=expand))


def routes() -> None:
    route("POST", "/v1/terminal/connection_tokens", create_connection_token)
    route("POST", "/v1/terminal/locations", create_location)
    route("GET", "/v1/terminal/locations", list_locations)
    route("GET", "/v1/terminal/locations/{id}", retrieve_location)
    route("POST", "/v1/terminal/locations/{id}", update_location)
    route("DELETE", "/v1/terminal/locations/{id}", delete_location)
    route("POST", "/v1/terminal/readers", register_reader)
    route("GET", "/v1/terminal/readers", list_readers)
    route("GET", "/v1/terminal/readers/{id}", retrieve_reader)
    route("POST", "/v1/terminal/readers/{id}", update_reader)
    route("DELETE", "/v1/terminal/readers/{id}", delete_reader)
    route("POST", "/v1/terminal/readers/{id}/process_payment_intent", process_payment_intent)
    route("POST", "/v1/terminal/readers/{id}/cancel_action", cancel_action)
    route("POST", "/v1/test_helpers/terminal/readers/{id}/present_payment_method", present_payment_method)


__all__ = ["Location", "Reader", "routes"]
