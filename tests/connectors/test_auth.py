"""Secrets that never print, and the OAuth2 client-credentials token provider (Open edX).

Rows K2 and K5 of shared/RELIABILITY.md, plus the token life cycle: fetched once, reused,
refreshed shortly before ``expires_in`` runs out, and fetched once more on a 401.
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
from responses.registries import OrderedRegistry

from connectors.auth import OAuth2ClientCredentials, Secret
from connectors.errors import (
    AuthError,
    FatalFeedError,
    FeedError,
    HttpStatusError,
    RetriesExhausted,
)
from connectors.http import HttpClient, HttpSettings
from tests.support.loopback import LoopbackServer, Reply

SENTINEL = "s3cr3t-SENTINEL"
FEED = "edx-demo"
LMS = "https://lms.test"
TOKEN_URL = f"{LMS}/oauth2/access_token"
API = f"{LMS}/api/courses/v1/courses/"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 5000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def provider(
    token_url: str = TOKEN_URL, *, clock: Any = None, **options: Any
) -> OAuth2ClientCredentials:
    if clock is not None:
        options["clock"] = clock
    return OAuth2ClientCredentials(
        token_url, "harvester-client", Secret(SENTINEL), feed_id=FEED, **options
    )


def http(**settings: Any) -> HttpClient:
    return HttpClient(HttpSettings(**settings), feed_id=FEED, sleep=lambda _s: None)


def token_body(token: str, expires_in: Any = 36000) -> dict[str, Any]:
    body: dict[str, Any] = {"access_token": token, "token_type": "JWT", "scope": "read"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    return body


class TokenIssuer:
    """A ``responses`` callback handing out tok-1, tok-2, … and keeping the forms it got."""

    def __init__(self, expires_in: Any = 36000) -> None:
        self.expires_in = expires_in
        self.forms: list[dict[str, list[str]]] = []

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.forms.append(parse_qs(request.body))
        token = f"tok-{len(self.forms)}"
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps(token_body(token, self.expires_in)),
        )


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def ordered() -> Any:
    with responses.RequestsMock(registry=OrderedRegistry) as mock:
        yield mock


def api_auth_headers(mock: Any) -> list[str | None]:
    return [
        call.request.headers.get("Authorization")
        for call in mock.calls
        if call.request.url.startswith(API)
    ]


def token_calls(mock: Any) -> int:
    return sum(1 for call in mock.calls if call.request.url == TOKEN_URL)


def all_text(exc: BaseException) -> str:
    """Everything a log line or an error reporter could show of an exception."""
    rendered = "".join(traceback.TracebackException.from_exception(exc).format())
    with_locals = "".join(
        traceback.TracebackException.from_exception(exc, capture_locals=True).format()
    )
    return f"{exc}\n{exc!r}\n{exc.args!r}\n{rendered}\n{with_locals}"


# -- Secret -------------------------------------------------------------------------------------


def test_secret_never_shows_its_value() -> None:
    secret = Secret(SENTINEL)
    shown = [
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        "%s %r" % (secret, secret),  # noqa: UP031 -- logging-style formatting on purpose
        repr([secret]),
        repr({"client_secret": secret}),
    ]
    assert not [text for text in shown if SENTINEL in text]
    assert repr(secret) == "Secret('***')"
    assert str(secret) == "***"
    assert secret.reveal() == SENTINEL


def test_secret_equality_and_hash_by_value() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"  # never equal to the bare string
    assert len({Secret("a"), Secret("a"), Secret("b")}) == 2


def test_provider_repr_and_state_hide_the_secret() -> None:
    auth = provider()
    assert SENTINEL not in repr(auth)
    assert SENTINEL not in repr(vars(auth))
    assert SENTINEL not in str(auth)


# -- the token life cycle ------------------------------------------------------------------------


def test_token_posted_once_and_reused(rsps: Any) -> None:
    issuer = TokenIssuer()
    rsps.add_callback(responses.POST, TOKEN_URL, callback=issuer)
    rsps.add(responses.GET, API, json={"results": []})
    auth = provider()
    client = http()

    for _ in range(3):
        assert client.get_json(API, auth=auth) == {"results": []}

    assert token_calls(rsps) == 1
    assert auth.tokens_fetched == 1
    assert issuer.forms == [
        {
            "grant_type": ["client_credentials"],
            "client_id": ["harvester-client"],
            "client_secret": [SENTINEL],
            "token_type": ["jwt"],
        }
    ]
    token_request = rsps.calls[0].request
    assert token_request.method == "POST"
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in token_request.headers
    assert api_auth_headers(rsps) == ["JWT tok-1"] * 3


def test_bearer_token_type(rsps: Any) -> None:
    issuer = TokenIssuer()
    rsps.add_callback(responses.POST, TOKEN_URL, callback=issuer)
    rsps.add(responses.GET, API, json={})

    http().get_json(API, auth=provider(token_type="Bearer"))

    assert issuer.forms[0]["token_type"] == ["bearer"]
    assert api_auth_headers(rsps) == ["Bearer tok-1"]


@pytest.mark.parametrize(
    ("elapsed", "expected_header", "tokens"),
    [
        pytest.param(0.0, "JWT tok-1", 1, id="fresh"),
        pytest.param(3569.0, "JWT tok-1", 1, id="just-before-margin"),
        pytest.param(3570.0, "JWT tok-2", 2, id="at-expiry-minus-margin"),
        pytest.param(3600.0, "JWT tok-2", 2, id="at-expiry"),
        pytest.param(86400.0, "JWT tok-2", 2, id="long-expired"),
    ],
)
def test_token_refreshed_when_clock_passes_expiry_minus_margin(
    rsps: Any, clock: FakeClock, elapsed: float, expected_header: str, tokens: int
) -> None:
    rsps.add_callback(responses.POST, TOKEN_URL, callback=TokenIssuer(expires_in=3600))
    rsps.add(responses.GET, API, json={})
    auth = provider(clock=clock, refresh_margin=30.0)
    client = http()

    client.get_json(API, auth=auth)
    clock.advance(elapsed)
    client.get_json(API, auth=auth)

    assert api_auth_headers(rsps) == ["JWT tok-1", expected_header]
    assert auth.tokens_fetched == tokens
    assert token_calls(rsps) == tokens


@pytest.mark.parametrize(
    "expires_in",
    [pytest.param(None, id="missing"), pytest.param(0, id="zero"), pytest.param("", id="empty")],
)
def test_missing_expires_in_defaults_to_300_seconds(
    rsps: Any, clock: FakeClock, expires_in: Any
) -> None:
    rsps.add_callback(responses.POST, TOKEN_URL, callback=TokenIssuer(expires_in=expires_in))
    rsps.add(responses.GET, API, json={})
    auth = provider(clock=clock, refresh_margin=30.0)
    client = http()

    client.get_json(API, auth=auth)
    clock.advance(269.0)
    client.get_json(API, auth=auth)
    clock.advance(1.0)
    client.get_json(API, auth=auth)

    assert api_auth_headers(rsps) == ["JWT tok-1", "JWT tok-1", "JWT tok-2"]


def test_expires_in_as_a_string_is_accepted(rsps: Any, clock: FakeClock) -> None:
    rsps.add_callback(responses.POST, TOKEN_URL, callback=TokenIssuer(expires_in="600"))
    rsps.add(responses.GET, API, json={})
    auth = provider(clock=clock, refresh_margin=30.0)
    client = http()
    client.get_json(API, auth=auth)
    clock.advance(500.0)
    client.get_json(API, auth=auth)
    assert auth.tokens_fetched == 1


def test_401_fetches_exactly_one_new_token_and_retries(ordered: Any) -> None:
    ordered.add(responses.POST, TOKEN_URL, json=token_body("tok-1"))
    ordered.add(responses.GET, API, status=401, json={"detail": "Token has expired."})
    ordered.add(responses.POST, TOKEN_URL, json=token_body("tok-2"))
    ordered.add(responses.GET, API, json={"results": ["course"]})
    auth = provider()

    assert http().get_json(API, auth=auth) == {"results": ["course"]}

    assert len(ordered.calls) == 4
    assert api_auth_headers(ordered) == ["JWT tok-1", "JWT tok-2"]
    assert auth.tokens_fetched == 2


def test_second_401_after_refresh_raises_instead_of_looping(ordered: Any) -> None:
    ordered.add(responses.POST, TOKEN_URL, json=token_body("tok-1"))
    ordered.add(responses.GET, API, status=401, json={"detail": "Invalid token."})
    ordered.add(responses.POST, TOKEN_URL, json=token_body("tok-2"))
    ordered.add(responses.GET, API, status=401, json={"detail": "Invalid token."})
    auth = provider()

    with pytest.raises(HttpStatusError) as info:
        http().get_json(API, auth=auth)

    assert info.value.status == 401
    assert "Invalid token." in str(info.value)
    assert f"feed {FEED}" in str(info.value)
    assert len(ordered.calls) == 4
    assert auth.tokens_fetched == 2
    assert SENTINEL not in all_text(info.value)


def test_invalidate_forces_a_new_token(rsps: Any) -> None:
    rsps.add_callback(responses.POST, TOKEN_URL, callback=TokenIssuer())
    auth = provider()
    client = http()

    assert auth.headers(client) == {"Authorization": "JWT tok-1"}
    assert auth.headers(client) == {"Authorization": "JWT tok-1"}
    auth.invalidate()
    assert auth.headers(client) == {"Authorization": "JWT tok-2"}
    assert token_calls(rsps) == 2


def test_token_not_sent_to_another_origin_after_redirect(rsps: Any) -> None:
    rsps.add_callback(responses.POST, TOKEN_URL, callback=TokenIssuer())
    rsps.add(responses.GET, API, status=302, headers={"Location": "https://cdn.test/courses.json"})
    rsps.add(responses.GET, "https://cdn.test/courses.json", json={"results": []})

    http().get_json(API, auth=provider())

    cdn = [c.request for c in rsps.calls if c.request.url.startswith("https://cdn.test")]
    assert len(cdn) == 1
    assert "Authorization" not in cdn[0].headers


# -- token endpoint failures --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [
        pytest.param(401, "invalid_client", id="401-invalid_client"),
        pytest.param(400, "invalid_client", id="400-invalid_client"),
        pytest.param(400, "unsupported_grant_type", id="400-unsupported_grant_type"),
        pytest.param(403, "access_denied", id="403"),
    ],
)
def test_bad_credentials_raise_auth_error_naming_token_url_and_feed(
    rsps: Any, status: int, error: str
) -> None:
    rsps.add(responses.POST, TOKEN_URL, status=status, json={"error": error})
    rsps.add(responses.GET, API, json={})
    rsps.assert_all_requests_are_fired = False

    with pytest.raises(AuthError) as info:
        http().get_json(API, auth=provider())

    message = str(info.value)
    assert TOKEN_URL in message
    assert f"feed {FEED}" in message
    assert f"HTTP {status}" in message
    assert info.value.status == status
    assert info.value.url == TOKEN_URL
    assert isinstance(info.value, FatalFeedError)
    assert token_calls(rsps) == 1  # a refusal is not retried
    assert api_auth_headers(rsps) == []  # the API is never called without a token
    assert SENTINEL not in all_text(info.value)


@pytest.mark.parametrize(
    ("answer", "needle"),
    [
        pytest.param(
            {"body": "<html><title>Sign in</title></html>", "content_type": "text/html"},
            "did not answer with an access_token",
            id="html-page",
        ),
        pytest.param(
            {"json": {"token_type": "JWT", "expires_in": 3600}},
            "did not answer with an access_token",
            id="no-access_token",
        ),
        pytest.param({"json": ["tok"]}, "did not answer with an access_token", id="json-list"),
        pytest.param(
            {"json": {"access_token": "t", "expires_in": "soon"}},
            "did not answer with an access_token",
            id="bad-expires_in",
        ),
        pytest.param({"json": {"access_token": ""}}, "empty access_token", id="empty-token"),
        pytest.param({"json": {"access_token": 12345}}, "empty access_token", id="number-token"),
        pytest.param({"body": b"\xff\xfe{"}, "did not answer with an access_token", id="binary"),
    ],
)
def test_token_endpoint_without_a_usable_token(
    rsps: Any, answer: dict[str, Any], needle: str
) -> None:
    rsps.add(responses.POST, TOKEN_URL, **answer)
    auth = provider()

    with pytest.raises(AuthError) as info:
        auth.headers(http())

    assert needle in str(info.value)
    assert TOKEN_URL in str(info.value)
    assert f"feed {FEED}" in str(info.value)
    assert auth.tokens_fetched == 0
    assert SENTINEL not in all_text(info.value)


def test_token_endpoint_down_is_retried_then_a_transient_error_not_bad_credentials(
    rsps: Any,
) -> None:
    rsps.add(responses.POST, TOKEN_URL, status=503, json={"detail": "Service Unavailable"})
    rsps.add(responses.GET, API, json={})
    rsps.assert_all_requests_are_fired = False

    with pytest.raises(RetriesExhausted) as info:
        http(max_retries=2).get_json(API, auth=provider())

    assert token_calls(rsps) == 3  # the token POST got the client's usual retries
    message = str(info.value)
    assert "could not get a token" in message
    assert "HTTP 503" in message
    assert TOKEN_URL in message
    assert SENTINEL not in all_text(info.value)


def test_token_endpoint_unreachable(rsps: Any) -> None:
    import requests

    rsps.add(responses.POST, TOKEN_URL, body=requests.ConnectionError("connection refused"))
    with pytest.raises(RetriesExhausted, match="could not get a token") as info:
        provider().headers(http(max_retries=1))
    assert SENTINEL not in all_text(info.value)


# -- no secret in logs, even urllib3's DEBUG lines (real sockets) -------------------------------


def test_secret_absent_from_debug_logs_and_errors_on_real_sockets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with LoopbackServer() as server:
        server.route("/oauth2/access_token", Reply.json(token_body("tok-live", 3600)))
        server.route("/api/courses/v1/courses/", Reply.json({"results": ["c1"]}))
        auth = provider(server.url("/oauth2/access_token"))
        client = http()

        assert client.get_json(server.url("/api/courses/v1/courses/"), auth=auth) == {
            "results": ["c1"]
        }
        assert client.get_json(server.url("/api/courses/v1/courses/"), auth=auth) == {
            "results": ["c1"]
        }
        token_posts = [r for r in server.requests if r.path == "/oauth2/access_token"]
        api_calls = [r for r in server.requests if r.path == "/api/courses/v1/courses/"]

    # The secret really went over the wire, once, in the form body: the test could see it.
    assert len(token_posts) == 1
    assert parse_qs(token_posts[0].body.decode())["client_secret"] == [SENTINEL]
    assert [r.header("Authorization") for r in api_calls] == ["JWT tok-live"] * 2

    assert any(r.name.startswith("urllib3") for r in caplog.records)  # DEBUG really captured
    assert any(r.name == "connectors.auth" for r in caplog.records)
    leaking = [r for r in caplog.records if SENTINEL in r.getMessage()]
    assert leaking == []
    assert SENTINEL not in caplog.text
    assert SENTINEL not in repr(auth)


def test_secret_absent_when_credentials_are_refused_on_real_sockets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with LoopbackServer() as server:
        server.route(
            "/oauth2/access_token",
            Reply.json(
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                status=401,
            ),
        )
        token_url = server.url("/oauth2/access_token")

        with pytest.raises(AuthError) as info:
            http().get_json(server.url("/api/courses/v1/courses/"), auth=provider(token_url))

        assert server.hits("/oauth2/access_token") == 1
        assert server.hits("/api/courses/v1/courses/") == 0

    assert token_url in str(info.value)
    assert f"feed {FEED}" in str(info.value)
    assert any(r.name.startswith("urllib3") for r in caplog.records)
    assert SENTINEL not in caplog.text
    assert SENTINEL not in all_text(info.value)
    assert isinstance(info.value, FeedError)
