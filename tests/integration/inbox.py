"""What the SendGrid and Plivo stand-ins received, read the way a test asks: per recipient.

The stand-in's inboxes are shared by the whole run, and a send already in flight when the previous
test ended can still land after the reset; so a test reads only its own recipient's messages."""

from __future__ import annotations

from typing import Any

import requests

from emulator import config


def emails(to: str) -> list[dict[str, Any]]:
    inbox = requests.get(f"{config.SAAS_URL}/_inbox/emails.json", timeout=5).json()
    return [e["message"] for e in inbox if to.lower() in recipients_of(e["message"])]


def texts(to: str) -> list[dict[str, Any]]:
    inbox = requests.get(f"{config.SAAS_URL}/_inbox/sms.json", timeout=5).json()
    return [s["message"] for s in inbox if s["message"].get("dst") == to]


def recipients_of(message: dict[str, Any]) -> set[str]:
    return {to["email"].lower() for p in message.get("personalizations", []) for to in p.get("to", [])}


def subject_of(message: dict[str, Any]) -> str:
    return str(message.get("subject") or message["personalizations"][0].get("subject", ""))


def with_subject(prefix: str, to: str) -> list[dict[str, Any]]:
    return [m for m in emails(to) if subject_of(m).startswith(prefix)]
