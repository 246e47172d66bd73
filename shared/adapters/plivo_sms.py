"""Texts through Plivo's SDK. The SDK has no base-URL option and resets its base URI on every
request, so the local stand-in is reached by setting the module constant (LOCAL_STACK.md)."""

from __future__ import annotations

import threading
from typing import Any

from shared.services.texting import SmsOutcomeUnknownError, SmsRejectedError, SmsUnavailableError
from shared.settings import Settings


class PlivoSms:
    name = "plivo"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._client: Any = None

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import plivo
                import plivo.rest.client

                if self.settings.plivo_api_base:
                    plivo.rest.client.PLIVO_API_BASE_URI = self.settings.plivo_api_base
                self._client = plivo.RestClient(
                    self.settings.plivo_auth_id.get_secret_value(),
                    self.settings.plivo_auth_token.get_secret_value(),
                    timeout=15,
                )
            return self._client

    def send_mms(self, to: str, text: str, media_urls: list[str]) -> str:
        """Returns Plivo's message uuid."""
        import requests
        from plivo import exceptions

        try:
            response = self.client.messages.create(
                src=self.settings.sms_from_number,
                dst=to,
                text=text,
                type_="mms" if media_urls else "sms",
                media_urls=media_urls or None,
            )
        except (exceptions.ValidationError, exceptions.InvalidRequestError, exceptions.ForbiddenError,
                exceptions.GeoPermissionError) as error:  # fmt: skip
            raise SmsRejectedError(str(error)[:300]) from error
        except (
            requests.ConnectionError,
            exceptions.PlivoServerError,
            exceptions.AuthenticationError,
        ) as error:
            raise SmsUnavailableError(str(error)[:300]) from error
        except (requests.Timeout, exceptions.PlivoRestError) as error:
            raise SmsOutcomeUnknownError(str(error)[:300]) from error
        uuids = response.message_uuid if hasattr(response, "message_uuid") else response["message_uuid"]
        return str(uuids[0] if isinstance(uuids, list) else uuids)
