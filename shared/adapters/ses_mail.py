"""Amazon SES (v2 API, raw MIME so attachments go along): the fallback e-mail provider.

Credentials: production holds no AWS keys. With SES_ROLE_ARN set, the function proves who it
is with a Google-signed ID token of its own service account (audience `sts.amazonaws.com`) and
assumes that AWS role through STS AssumeRoleWithWebIdentity (the role trusts
accounts.google.com for that service account's unique id). Without it, boto3's default chain
applies: locally moto's obviously fake keys from the environment.
"""

from __future__ import annotations

import threading
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from shared.services.mailer import Email, MailSendError
from shared.settings import Settings

STS_AUDIENCE = "sts.amazonaws.com"


class SesMail:
    name = "ses"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._client: Any = None

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3  # imported on first fallback only: it is a slow import

                session = boto3.Session(region_name=self.settings.ses_region)
                if self.settings.ses_role_arn:
                    session = _federated_session(self.settings.ses_role_arn, self.settings.ses_region)
                self._client = session.client("sesv2", endpoint_url=self.settings.aws_endpoint_url_ses)
            return self._client

    def send(self, email: Email) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        sender = formataddr((email.from_name, email.from_email))
        try:
            response = self.client.send_email(
                FromEmailAddress=sender,
                Destination={"ToAddresses": [email.to]},
                Content={"Raw": {"Data": mime_message(email, sender)}},
            )
        except (ClientError, BotoCoreError) as error:
            raise MailSendError(f"SES refused: {error}") from error
        return str(response["MessageId"])


def mime_message(email: Email, sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Message-ID"] = make_msgid(domain=email.from_email.rpartition("@")[2] or None)
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    for item in email.attachments:
        maintype, _, subtype = item.mime_type.partition("/")
        message.add_attachment(item.content, maintype=maintype, subtype=subtype, filename=item.filename)
    return message.as_bytes()


def _federated_session(role_arn: str, region: str) -> Any:
    """A boto3 session whose credentials come from STS with our Google identity, refreshed
    before they expire."""
    import boto3
    import botocore.session
    from botocore.credentials import RefreshableCredentials
    from google.auth.transport import requests as google_requests
    from google.oauth2 import id_token

    def fetch() -> dict[str, str]:
        token = id_token.fetch_id_token(google_requests.Request(), STS_AUDIENCE)
        sts = boto3.client("sts", region_name=region)
        answer = sts.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="sellout-send-email", WebIdentityToken=token
        )["Credentials"]
        return {
            "access_key": answer["AccessKeyId"],
            "secret_key": answer["SecretAccessKey"],
            "token": answer["SessionToken"],
            "expiry_time": answer["Expiration"].isoformat(),
        }

    core = botocore.session.get_session()
    # botocore's own pattern for credentials refreshed by a callback (as its assume-role provider).
    core._credentials = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="google-web-identity"
    )
    return boto3.Session(botocore_session=core, region_name=region)
