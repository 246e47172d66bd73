"""Wait list and notify-me rules (SPEC 3.11, R-T3-3, R-T3-4, R-RP-4, R-MSG-2). Pure.

Decisions where the SPEC leaves room:
- A sign-up needs a name and an e-mail (the confirmation goes there); the phone is optional.
  The phone is stored in E.164 (shared.domain.phone_numbers), so `(555) 010-0123`-style
  spellings of one number count as the same number; e-mails compare case-insensitively.
- `searchEvents` / `eventQuery` filter on `query.name`, matched case-insensitively against the
  entry's name, e-mail or phone; a query of phone characters only also matches the digits of
  the stored number (`555-0123` finds `+15555550123`).
- Notify-me: the `notifyMe` mail is due one hour before sales start. Once that hour has begun
  it is due now; once sales have started (or the event sells from creation) there is nothing
  to announce, and only the sign-up confirmation (`immediateNotifyMe`) goes out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from shared.domain import reports
from shared.domain.listing import contains_text
from shared.domain.models import Event, Venue, WaitListEntry
from shared.domain.phone_numbers import DEFAULT_REGION, e164, optional_e164
from shared.errors import DomainError, ErrorCode, invalid

NOTIFY_EVENT = "NotifyEvent"  # task type (SPEC 3.1)
NOTIFY_LEAD = 3600  # notifyMe goes out one hour before sales start (R-T3-4)
MAX_NAME = 200
MAX_EMAIL = 254  # RFC 5321 path limit
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_QUERY = re.compile(r"^[\d\s().+-]+$")
_NON_DIGITS = re.compile(r"\D")

EmailTemplate = Literal["waitList", "notifyMe", "immediateNotifyMe"]
WAIT_LIST_TEMPLATES: tuple[EmailTemplate, ...] = ("waitList", "notifyMe", "immediateNotifyMe")
REPORT_COLUMNS = ("Name", "Email", "Phone Number", "Date for Waiting List")


# --- input -----------------------------------------------------------------------------------------


def normalize_email(raw: Any) -> str:
    """The address trimmed, or INVALID_INPUT naming `email`. Stored as typed (minus spaces);
    compared lower-cased."""
    email = str(raw or "").strip()
    if not email or len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise invalid("Enter a valid e-mail address.", "email")
    return email


def new_entry(
    params: Mapping[str, Any] | None, now: int, phone_region: str = DEFAULT_REGION
) -> WaitListEntry:
    """A validated wait-list entry from WaitListInput (`createdAt` is ours, never the client's)."""
    data = params or {}
    name = " ".join(str(data.get("name") or "").split())
    if not name or len(name) > MAX_NAME:
        raise invalid(f"Enter a name of at most {MAX_NAME} characters.", "name")
    email = normalize_email(data.get("email"))
    phone = optional_e164(str(data.get("phoneNumber") or ""), phone_region)
    return WaitListEntry(name=name, email=email, phoneNumber=phone, createdAt=now)


def duplicate_reason(entries: Sequence[WaitListEntry], entry: WaitListEntry) -> str:
    """Why `entry` may not join (a clear, user-facing message), or "" when it may."""
    email = entry.email.lower()
    if any(e.email.lower() == email for e in entries if e.email):
        return "This e-mail address is already on the wait list."
    if entry.phoneNumber and any(_same_phone(e.phoneNumber, entry.phoneNumber) for e in entries):
        return "This phone number is already on the wait list."
    return ""


def ensure_not_listed(entries: Sequence[WaitListEntry], entry: WaitListEntry) -> None:
    if reason := duplicate_reason(entries, entry):
        raise DomainError(ErrorCode.CONFLICT, reason)


def _same_phone(stored: str, phone: str) -> bool:
    if not stored:
        return False
    try:
        return e164(stored) == phone
    except DomainError:  # an entry stored before numbers were normalised: compare digits
        return _NON_DIGITS.sub("", stored) == _NON_DIGITS.sub("", phone)


# --- search ------------------------------------------------------------------------------------------


def entry_matches(entry: WaitListEntry, text: str | None) -> bool:
    """R-T3-3: case-insensitive substring of the name, e-mail or phone; no text ⇒ everything."""
    needle = (text or "").strip()
    if not needle:
        return True
    if any(contains_text(value, needle) for value in (entry.name, entry.email, entry.phoneNumber)):
        return True
    digits = _NON_DIGITS.sub("", needle)
    return (
        bool(digits) and bool(_PHONE_QUERY.match(needle)) and digits in _NON_DIGITS.sub("", entry.phoneNumber)
    )


def search(entries: Sequence[WaitListEntry], query: Mapping[str, Any] | None) -> list[WaitListEntry]:
    """The entries matching `query.name`, in sign-up order."""
    text = (query or {}).get("name")
    return [e for e in entries if entry_matches(e, str(text) if text is not None else None)]


# --- notify me ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotifyPlan:
    """When the `notifyMe` mail is due: `at` (unix seconds), or None when sales already started."""

    at: int | None

    @property
    def on_sale(self) -> bool:
        return self.at is None


def plan_notify(event: Event, now: int) -> NotifyPlan:
    """R-T3-4: at ticketsAt − 1 h; now, if that hour has begun but sales have not started."""
    tickets_at = event.schedule.ticketsAt
    if not tickets_at or tickets_at <= now:  # unset = on sale from creation (R-EV-10)
        return NotifyPlan(None)
    return NotifyPlan(max(tickets_at - NOTIFY_LEAD, now))


def address_key(email: str) -> str:
    """A stable, non-reversible key of an address (ids and logs never carry the address)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]


def notify_task_id(event_id: str, email: str) -> str:
    """One NotifyEvent task per event and address: a repeated sign-up finds the first one."""
    return f"notify~{event_id}~{address_key(email)}"


# --- e-mail content ------------------------------------------------------------------------------------

_HEADINGS: dict[EmailTemplate, str] = {
    "waitList": "You're on the wait list",
    "notifyMe": "Tickets go on sale soon",
    "immediateNotifyMe": "We'll let you know",
}


def subject(template: EmailTemplate, event: Event) -> str:
    name = " ".join(event.name.split())  # a line break in a header would end the header
    return f"[WAIT LIST] {name}" if template == "waitList" else f"[NOTIFY ME] {name}"


def portal_link(portal_url: str, event_id: str) -> str:
    """The purchase portal opened on the event (`<portal>?eventId=<id>`), or "" when no portal
    URL is configured (the e-mail then names the event without a link)."""
    base = portal_url.strip()
    if not base.startswith(("https://", "http://")):
        return ""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}{urlencode({'eventId': event_id})}"


def first_name(name: str) -> str:
    words = name.split()
    return words[0] if words else "Guest"


def email_context(
    template: EmailTemplate, *, show: Mapping[str, Any], event: Event, name: str, portal_url: str,
    tickets_at: str,
) -> dict[str, Any]:  # fmt: skip
    """The template context: the shared show partials' values (ticket_email.show_context) plus
    this mail's subject, heading, greeting, sale start and portal link."""
    return {
        **show,
        "template": template,
        "subject": subject(template, event),
        "heading": _HEADINGS[template],
        "first_name": first_name(name),
        "tickets_at": tickets_at,
        "portal_link": portal_link(portal_url, event.id) if template == "notifyMe" else "",
    }


# --- report (R-RP-4) ---------------------------------------------------------------------------------------


def wait_list_report(entries: Sequence[WaitListEntry], event: Event, venue: Venue | None) -> reports.Report:
    """`Name`, `Email`, `Phone Number`, `Date for Waiting List` in the venue's zone; header only
    when nobody is waiting. Cells are formula-guarded by Report.csv_bytes."""
    return reports.Report(
        header=list(REPORT_COLUMNS),
        rows=[
            [e.name, e.email, e.phoneNumber, reports.format_time(e.createdAt, event, venue)] for e in entries
        ],
    )
