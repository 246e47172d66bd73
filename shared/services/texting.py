"""The port for texts (SMS/MMS): what the delivery service needs from a provider, and the three
ways a send can fail, which decide whether it may be retried."""

from __future__ import annotations

from typing import Protocol


class TextSender(Protocol):
    def send_mms(self, to: str, text: str, media_urls: list[str]) -> str:
        """Send; returns the provider's message id."""
        ...


class SmsRejectedError(RuntimeError):
    """Refused for good (bad number, destination not allowed): retrying will not help."""


class SmsUnavailableError(RuntimeError):
    """Not reached, or failed on its side before accepting anything: safe to retry."""


class SmsOutcomeUnknownError(RuntimeError):
    """The request left and no answer came back: it may have been sent."""
