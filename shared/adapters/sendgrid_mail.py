"""SendGrid v3 through its SDK (locally pointed at the stand-in with SENDGRID_API_HOST)."""

from __future__ import annotations

import base64
import threading
from typing import Any

from shared.services.mailer import Email, MailSendError
from shared.settings import Settings


class SendGridMail:
    name = "sendgrid"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._client: Any = None

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                from sendgrid import SendGridAPIClient

                key = self.settings.sendgrid_api_key.get_secret_value()
                host = self.settings.sendgrid_api_host
                self._client = SendGridAPIClient(key, host=host) if host else SendGridAPIClient(key)
            return self._client

    def send(self, email: Email) -> str:
        from python_http_client.exceptions import HTTPError
        from sendgrid.helpers.mail import (
            Attachment,
            Disposition,
            FileContent,
            FileName,
            FileType,
            From,
            Mail,
        )

        message = Mail(
            from_email=From(email.from_email, email.from_name),
            to_emails=email.to,
            subject=email.subject,
            plain_text_content=email.text,
            html_content=email.html,
        )
        for item in email.attachments:
            message.add_attachment(
                Attachment(
                    FileContent(base64.b64encode(item.content).decode()),
                    FileName(item.filename),
                    FileType(item.mime_type),
                    Disposition("attachment"),
                )
            )
        try:
            response = self.client.send(message)
        except HTTPError as error:
            raise MailSendError(f"SendGrid answered {error.status_code}") from error
        except OSError as error:  # connection refused, DNS, timeouts (urllib)
            raise MailSendError(f"SendGrid unreachable: {error}") from error
        if response.status_code >= 300:
            raise MailSendError(f"SendGrid answered {response.status_code}")
        return str(response.headers.get("X-Message-Id", ""))
