"""E-mail: templates rendered with Jinja2, sent by SendGrid with Amazon SES as the fallback.

Templates live in shared/templates/email: `<key>.mjml` is the source, `<key>.html` the HTML that
MJML compiled from it (committed; `python -m emulator.compile_templates` rebuilds it, and a
test fails when it is stale), `<key>.txt` the plain-text part. Autoescape is on for HTML, so
an event called `<script>` shows as text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

log = logging.getLogger("sellout.mail")

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "email"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class Email:
    to: str
    from_email: str
    from_name: str
    subject: str
    html: str
    text: str
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


class MailSendError(RuntimeError):
    """The provider did not take the message (down, refused, or rejected it)."""


class MailTransport(Protocol):
    name: str

    def send(self, email: Email) -> str:
        """Hand the message over; returns the provider's message id, or raises MailSendError."""
        ...


@dataclass(frozen=True)
class Sent:
    provider: str
    message_id: str


class FallbackMailer:
    """SendGrid first; if it fails or rejects the message, Amazon SES (a different provider,
    so one outage or one account suspension does not stop ticket delivery)."""

    def __init__(self, primary: MailTransport, fallback: MailTransport | None) -> None:
        self.primary = primary
        self.fallback = fallback

    def send(self, email: Email) -> Sent:
        try:
            return Sent(self.primary.name, self.primary.send(email))
        except MailSendError as error:
            if self.fallback is None:
                raise
            log.warning("primary mail provider failed, using fallback", extra={"error": str(error)[:300]})
        return Sent(self.fallback.name, self.fallback.send(email))


class EmailRenderer:
    def __init__(self, template_dir: Path = TEMPLATE_DIR) -> None:
        self.template_dir = template_dir

    @cached_property
    def environment(self) -> Environment:
        return Environment(
            loader=FileSystemLoader(self.template_dir),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def render(self, key: str, context: dict[str, Any]) -> tuple[str, str]:
        """(html, text) of template `key`."""
        html = self.environment.get_template(f"{key}.html").render(context)
        text = self.environment.get_template(f"{key}.txt").render(context)
        return html, text
