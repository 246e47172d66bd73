"""The member-API adapter (SPEC R-T3-6) against the local stand-in's contract, in process: the
stand-in's WSGI app answers the adapter's HTTP requests through a requests transport adapter, so
no socket is opened. Token caching, renewal, errors, and where the adapter refuses to call."""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter
from werkzeug.test import Client

from emulator.teg_standin import TegStandIn
from shared.adapters.member_api import DOWN_MESSAGE, NOT_SET_UP_MESSAGE, MemberApi
from shared.domain.models import Organization
from shared.errors import DomainError, ErrorCode
from shared.settings import Settings

BASE = "http://teg.local/teg"


class _InProcess(BaseAdapter):
    """Sends requests to a WSGI app instead of the network."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.client = Client(app)
        self.refuse = False
        self.sent: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(str(request.url))
        if self.refuse:
            raise requests.ConnectionError("connection refused")
        answer = self.client.open(
            str(request.url), method=str(request.method), headers=dict(request.headers),
            data=request.body,
        )  # fmt: skip
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers.update(dict(answer.headers))
        response.raw = io.BytesIO(answer.get_data())
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        return None


class _StandInApp:
    def __init__(self, stand_in: TegStandIn) -> None:
        self.stand_in = stand_in

    def __call__(self, environ: Any, start_response: Any) -> Any:
        from werkzeug.wrappers import Request

        request = Request(environ)
        return self.stand_in.dispatch(request, request.path.removeprefix("/teg"))(environ, start_response)


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _settings(allow_private: bool) -> Settings:
    return Settings.model_construct(member_api_allow_private_hosts=allow_private)


def _org(**fields: Any) -> Organization:
    values = {"_id": "org1", "userId": "u", "createdAt": 0, "validateMemberId": True, "tegURL": BASE,
              "tegClientID": "client-1", "tegSecret": "s3cret", **fields}  # fmt: skip
    return Organization.model_validate(values)


def _control(transport: _InProcess, action: str, **body: Any) -> None:
    assert transport.client.post(f"{BASE}/_control/{action}", json=body).status_code == 204


def _stats(transport: _InProcess) -> dict[str, int]:
    answer: dict[str, int] = transport.client.get(f"{BASE}/_control/stats?clientId=client-1").get_json()
    return answer


def _refusal(api: MemberApi, org: Organization, member_id: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        api.check_members(org, [member_id])
    return caught.value


@pytest.fixture
def wired() -> tuple[MemberApi, _InProcess, _Clock]:
    transport = _InProcess(_StandInApp(TegStandIn()))
    clock = _Clock()
    api = MemberApi(_settings(allow_private=True), clock=clock)
    api.session.mount("http://", transport)
    members = [{"memberId": "M 1/a", "firstName": "Ada", "lastName": "L", "email": "ada@example.com",
                "phoneNumber": "+15555550101"}, {"memberId": "M2", "active": False}]  # fmt: skip
    _control(
        transport, "clients", clientId="client-1", clientSecret="s3cret", members=members, tokenLifetime=600
    )
    return api, transport, clock


def test_a_known_member_is_valid_with_its_details_and_others_are_not(
    wired: tuple[MemberApi, _InProcess, _Clock],
) -> None:
    api, _, _ = wired

    checks = api.check_members(_org(), ["M 1/a", "M2", "nobody"])

    assert checks[0].info is not None and (checks[0].info.firstName, checks[0].info.email) == (
        "Ada",
        "ada@example.com",
    )
    assert [c.info for c in checks[1:]] == [None, None]  # inactive, unknown


def test_the_token_is_reused_for_its_lifetime_then_renewed(
    wired: tuple[MemberApi, _InProcess, _Clock],
) -> None:
    api, transport, clock = wired

    api.check_members(_org(), ["M 1/a"])
    api.check_members(_org(), ["M2"])
    first = _stats(transport)["tokens"]
    clock.now += 600
    api.check_members(_org(), ["M2"])

    assert first == 1
    assert _stats(transport) == {"tokens": 2, "lookups": 3}


def test_a_revoked_token_is_renewed_once(wired: tuple[MemberApi, _InProcess, _Clock]) -> None:
    api, transport, _ = wired
    api.check_members(_org(), ["M 1/a"])
    _control(transport, "revoke", clientId="client-1")

    checks = api.check_members(_org(), ["M 1/a"])

    assert checks[0].info is not None and _stats(transport)["tokens"] == 2


def test_a_changed_secret_never_reuses_the_old_token(wired: tuple[MemberApi, _InProcess, _Clock]) -> None:
    api, _, _ = wired
    api.check_members(_org(), ["M 1/a"])

    error = _refusal(api, _org(tegSecret="wrong"), "M 1/a")

    assert (error.code, error.message) == (ErrorCode.UPSTREAM_FAILED, DOWN_MESSAGE)


@pytest.mark.parametrize("how", ["status", "refused"])
def test_a_member_api_that_is_down_is_a_clear_upstream_error(
    wired: tuple[MemberApi, _InProcess, _Clock], how: str
) -> None:
    api, transport, _ = wired
    if how == "status":
        _control(transport, "fail", clientId="client-1", status=503)
    else:
        transport.refuse = True

    error = _refusal(api, _org(), "M 1/a")

    assert (error.code, error.message) == (ErrorCode.UPSTREAM_FAILED, DOWN_MESSAGE)
    assert "s3cret" not in error.message


@pytest.mark.parametrize(
    ("fields", "resolved"),
    [({"tegURL": "http://members.example.com"}, ["93.184.216.34"]),  # plain http
     ({"tegURL": "https://metadata.internal"}, ["169.254.169.254"]),  # the metadata server
     ({"tegURL": "https://intranet.example.com"}, ["10.0.0.8"]),
     ({"tegURL": "https://members.example.com", "tegSecret": ""}, ["93.184.216.34"]),
     ({"tegURL": "https://user:pw@members.example.com"}, ["93.184.216.34"]),
     ({"tegURL": ""}, [])],
)  # fmt: skip
def test_production_calls_only_https_on_public_addresses(fields: dict[str, str], resolved: list[str]) -> None:
    api = MemberApi(_settings(allow_private=False), resolve=lambda host: resolved)
    transport = _InProcess(_StandInApp(TegStandIn()))
    api.session.mount("https://", transport)
    api.session.mount("http://", transport)

    error = _refusal(api, _org(**fields), "M1")

    assert (error.code, error.message, transport.sent) == (ErrorCode.UPSTREAM_FAILED, NOT_SET_UP_MESSAGE, [])


class _SlowInProcess(_InProcess):
    """The stand-in answering each request after `seconds` (on the test's clock)."""

    def __init__(self, app: Any, clock: _Clock, seconds: float) -> None:
        super().__init__(app)
        self.clock, self.seconds = clock, seconds

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.clock.now += self.seconds
        return super().send(request, **kwargs)


def test_a_slow_member_api_is_down_once_the_checks_budget_is_spent() -> None:
    clock = _Clock()
    transport = _SlowInProcess(_StandInApp(TegStandIn()), clock, seconds=4.0)  # each call under TIMEOUT
    api = MemberApi(_settings(allow_private=True), clock=clock)
    api.session.mount("http://", transport)
    _control(transport, "clients", clientId="client-1", clientSecret="s3cret", members=[], tokenLifetime=600)
    ids = [f"M{i}" for i in range(50)]  # what one public ticketRestriction may ask

    with pytest.raises(DomainError) as caught:
        api.check_members(_org(), ids)

    assert (caught.value.code, caught.value.message) == (ErrorCode.UPSTREAM_FAILED, DOWN_MESSAGE)
    lookups = [url for url in transport.sent if "/members/" in url]
    assert len(lookups) < 5  # stopped at the budget, not after 50 slow calls
