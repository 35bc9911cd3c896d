"""The transport over real HTTP against the sandbox: headers, https rule, error taxonomy, retries,
Harvest's throttle lockout (Retry-After in seconds, as an HTTP date, missing) and OAuth refresh."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import threading
import time
from collections.abc import Iterator

import pytest

from harvest_widget import PROJECT_URL, __version__
from harvest_widget.api.auth import BasicAuth, OAuthToken
from harvest_widget.api.errors import (
    AuthError,
    ForbiddenError,
    HarvestError,
    NetworkError,
    NotFoundError,
    ServerError,
    ThrottledError,
    ValidationError,
)
from harvest_widget.api.rate_limiter import SlidingWindowLimiter
from harvest_widget.api.transport import InsecureURLError, Transport
from harvest_widget.sandbox import Fault, ManualClock, Sandbox


def _basic(sandbox: Sandbox, **kwargs: object) -> Transport:
    admin = sandbox.users["admin"]
    return Transport(sandbox.url, BasicAuth(admin.email, admin.password), **kwargs)  # type: ignore[arg-type]


class Naps:
    """A `sleep` for backoff that records instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


# ---- what every call carries -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data_format", "media_type"), [("json", "application/json"), ("xml", "application/xml")]
)
def test_every_call_names_the_app_and_the_format(sandbox: Sandbox, data_format: str, media_type: str) -> None:
    transport = _basic(sandbox, data_format=data_format)
    transport.request("GET", "/daily")
    (logged,) = sandbox.requests
    assert logged.headers["user-agent"] == f"harvest-widget/{__version__} ({PROJECT_URL})"
    assert logged.headers["accept"] == media_type
    assert logged.headers["authorization"].startswith("Basic ")
    assert "content-type" not in logged.headers  # no body, no Content-Type


def test_a_body_is_sent_with_the_format_content_type(sandbox: Sandbox) -> None:
    transport = _basic(sandbox, data_format="xml")
    with pytest.raises(ValidationError):
        transport.request("POST", "/daily/add", body=b"<request><notes>x</notes></request>")
    assert sandbox.requests[-1].headers["content-type"] == "application/xml"


@pytest.mark.parametrize(
    "url", ["http://example.com", "http://10.0.0.5:8080", "ftp://127.0.0.1", "example.com"]
)
def test_plain_http_is_refused_except_to_this_computer(url: str) -> None:
    with pytest.raises(InsecureURLError) as caught:
        Transport(url, BasicAuth("e", "p"))
    assert "https://" in caught.value.message


@pytest.mark.parametrize(
    "url", ["https://x.harvestapp.com", "http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"]
)
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    Transport(url, BasicAuth("e", "p"))


# ---- error taxonomy -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "content_type", "body", "error_type", "message_part"),
    [
        (403, "text", "This entry is locked.", ForbiddenError, "locked"),
        (404, "html", None, NotFoundError, "could not find"),
        (400, "text", "Unknown project.", ValidationError, "Harvest refused the change: Unknown project."),
        (422, "json", '{"message": "Task is archived"}', ValidationError, "Task is archived."),
        (400, "html", None, ValidationError, "check the project, task, date and hours"),
        (400, "text", "x" * 500, ValidationError, "check the project, task, date and hours"),
        (500, "html", None, ServerError, "HTTP 500"),
    ],
)
def test_error_statuses_map_to_one_user_ready_sentence_and_keep_the_raw_body(
    sandbox: Sandbox,
    status: int,
    content_type: str,
    body: str | None,
    error_type: type[HarvestError],
    message_part: str,
) -> None:
    sandbox.faults.add(Fault("status", status=status, content_type=content_type, body=body))  # type: ignore[arg-type]
    with pytest.raises(error_type) as caught:
        _basic(sandbox, retries=0).request("POST", "/daily/add", body=b"{}")
    error = caught.value
    assert message_part in error.message and error.message.endswith(".") and "\n" not in error.message
    assert error.status == status and error.raw  # the raw body, HTML or not, is kept for the log


def test_wrong_password_is_an_auth_error(sandbox: Sandbox) -> None:
    transport = Transport(sandbox.url, BasicAuth("demo-email", "wrong-password"))
    with pytest.raises(AuthError) as caught:
        transport.request("GET", "/account/who_am_i")
    assert caught.value.message == "Harvest did not accept this email and password."
    assert len(sandbox.requests) == 1


def test_failed_reply_bodies_are_logged_with_secrets_redacted(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    token = sandbox.users["admin"].access_token
    sandbox.faults.add(
        Fault("status", status=400, content_type="html", body=f"<p>bad access_token={token}</p>")
    )
    transport = Transport(sandbox.url, OAuthToken(token))
    with caplog.at_level(logging.DEBUG, logger="harvest_widget.api"), pytest.raises(ValidationError):
        transport.request("GET", "/daily")
    assert "HTTP 400" in caplog.text and "<p>bad access_token=" in caplog.text
    assert token not in caplog.text


# ---- retries ----------------------------------------------------------------------------------------


def test_server_errors_on_reads_back_off_exponentially_then_succeed(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", status=502, content_type="html", path="^/daily$", times=2))
    naps = Naps()
    reply = _basic(sandbox, sleep=naps, retries=2, backoff_seconds=0.5).request("GET", "/daily")
    assert reply.status == 200
    assert [r.status for r in sandbox.requests] == [502, 502, 200]
    assert 0.25 <= naps.delays[0] <= 0.5 and 0.5 <= naps.delays[1] <= 1.0


def test_backoff_is_capped_and_retries_are_bounded(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", status=500, content_type="html"))
    naps = Naps()
    with pytest.raises(ServerError):
        _basic(sandbox, sleep=naps, retries=5, backoff_seconds=0.5, backoff_cap=1.0).request("GET", "/daily")
    assert len(sandbox.requests) == 6
    assert max(naps.delays) <= 1.0 and naps.delays[-1] >= 0.5


def test_a_server_error_on_a_change_is_not_sent_again(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", status=502, content_type="html", method="POST"))
    with pytest.raises(ServerError):
        _basic(sandbox, sleep=Naps()).request("POST", "/daily/add", body=b"{}")
    assert len(sandbox.requests) == 1


def test_a_change_whose_reply_is_lost_is_reported_as_maybe_applied_and_not_resent(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("drop_after_commit", method="POST"))
    before = len(sandbox.entries("admin"))
    body = b'{"project_id": 2001, "task_id": 3001, "hours": 1}'
    with pytest.raises(NetworkError) as caught:
        _basic(sandbox, sleep=Naps()).request("POST", "/daily/add", body=body)
    assert caught.value.maybe_applied
    assert len(sandbox.requests) == 1 and len(sandbox.entries("admin")) == before + 1


def test_a_toggle_whose_connection_breaks_is_not_resent(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("reset", path="^/daily/timer/"))
    entry_id = sandbox.entries("admin")[0].id
    with pytest.raises(NetworkError) as caught:
        _basic(sandbox, sleep=Naps()).request("GET", f"/daily/timer/{entry_id}", idempotent=False)
    assert caught.value.maybe_applied and len(sandbox.requests) == 1


def test_a_broken_read_is_retried(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("reset", times=1))
    naps = Naps()
    assert _basic(sandbox, sleep=naps).request("GET", "/daily").status == 200
    assert len(sandbox.requests) == 2 and len(naps.delays) == 1


def test_a_truncated_reply_is_a_network_error_not_a_bare_exception(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("truncated"))
    with pytest.raises(NetworkError):
        _basic(sandbox, sleep=Naps(), retries=1).request("GET", "/daily")


def test_a_slow_server_times_out_on_the_read_timeout(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("latency", seconds=1.0, method="POST"))
    with pytest.raises(NetworkError) as caught:
        _basic(sandbox, timeouts=(2.0, 0.2)).request("POST", "/daily/add", body=b"{}")
    assert caught.value.maybe_applied and "did not answer in time" in caught.value.message


def test_an_unreachable_server_is_a_network_error_that_was_never_applied(sandbox: Sandbox) -> None:
    transport = _basic(sandbox, sleep=Naps(), retries=1)
    sandbox.stop()
    with pytest.raises(NetworkError) as caught:
        transport.request("POST", "/daily/add", body=b"{}")
    assert not caught.value.maybe_applied
    assert caught.value.message == "Could not reach Harvest; check the internet connection."


# ---- Harvest's throttle -----------------------------------------------------------------------------------


def _arrivals_after(sandbox: Sandbox, moment: dt.datetime) -> list[dt.datetime]:
    return [r.time for r in sandbox.requests if r.time > moment]


@pytest.fixture
def second_caller() -> Iterator[list[threading.Thread]]:
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join(timeout=30)


def _call_when_locked_out(transport: Transport, threads: list[threading.Thread], results: list[int]) -> None:
    """Another caller of the same account, which tries to call as soon as the lockout is known."""

    def run() -> None:
        deadline = time.monotonic() + 10
        while transport.limiter.locked_until() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        results.append(transport.request("GET", "/account/who_am_i").status)

    thread = threading.Thread(target=run)
    thread.start()
    threads.append(thread)


@pytest.mark.parametrize("header", ["seconds", "http-date", "missing"])
def test_after_a_503_nothing_reaches_harvest_before_the_lockout_ends_then_the_call_succeeds(
    sandbox: Sandbox, second_caller: list[threading.Thread], header: str
) -> None:
    expected_wait = 3.0
    headers: dict[str, str] = {}
    if header == "seconds":
        headers["Retry-After"] = "3"
    elif header == "http-date":
        not_before = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
        headers["Retry-After"] = email.utils.format_datetime(not_before, usegmt=True)
        expected_wait = 2.0  # HTTP dates have whole seconds: the lockout ends at that second
    else:
        expected_wait = 1.5  # the default, shortened for the test (production waits 16 s)
    sandbox.faults.add(Fault("status", status=503, content_type="text", headers=headers, times=1))
    limiter = SlidingWindowLimiter()
    transport = _basic(sandbox, limiter=limiter, default_retry_after=1.5)
    other = _basic(sandbox, limiter=limiter)
    results: list[int] = []
    _call_when_locked_out(other, second_caller, results)

    reply = transport.request("GET", "/daily")
    second_caller[0].join(timeout=30)

    assert reply.status == 200 and results == [200]
    throttled = sandbox.requests[0]
    assert throttled.status == 503
    later = _arrivals_after(sandbox, throttled.time)
    assert len(later) == 2
    ends = throttled.time + dt.timedelta(seconds=expected_wait)
    if header == "http-date":
        ends = max(ends, email.utils.parsedate_to_datetime(headers["Retry-After"]))
    assert all(moment >= ends for moment in later), f"a call arrived before {ends:%T.%f}: {later}"


def test_a_lockout_longer_than_the_callers_patience_raises_throttled_at_once(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", status=503, content_type="text", headers={"Retry-After": "600"}))
    transport = _basic(sandbox, max_wait=30.0)
    started = time.monotonic()
    with pytest.raises(ThrottledError) as caught:
        transport.request("GET", "/daily")
    assert time.monotonic() - started < 5
    assert caught.value.retry_at > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=590)
    assert "limiting calls" in caught.value.message
    with pytest.raises(ThrottledError):  # the lockout holds for every later call too, sending nothing
        transport.request("GET", "/account/who_am_i")
    assert len(sandbox.requests) == 1


def test_throttle_retries_are_capped(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", status=429, content_type="json", headers={"Retry-After": "1"}))
    with pytest.raises(ThrottledError):
        _basic(sandbox, throttle_retries=1).request("GET", "/daily")
    assert [r.status for r in sandbox.requests] == [429, 429]


def test_a_real_throttle_lockout_is_waited_out(sandbox: Sandbox) -> None:
    sandbox.set_throttle(3, 1.0)  # the client does not know: its limiter allows 100 / 15 s
    transport = _basic(sandbox)
    statuses = [transport.request("GET", "/account/who_am_i").status for _ in range(5)]
    assert statuses == [200] * 5
    log = sandbox.requests
    assert [r.status for r in log].count(503) == 1
    locked = next(r for r in log if r.status == 503)
    after = _arrivals_after(sandbox, locked.time)
    assert after and min(after) >= locked.time + dt.timedelta(seconds=1)


# ---- OAuth ------------------------------------------------------------------------------------------


def test_bearer_token_is_sent_in_the_header_not_the_url(sandbox: Sandbox) -> None:
    user = sandbox.users["member"]
    Transport(sandbox.url, OAuthToken(user.access_token)).request("GET", "/account/who_am_i")
    (logged,) = sandbox.requests
    assert logged.headers["authorization"] == f"Bearer {user.access_token}"
    assert "access_token" not in logged.query


@pytest.fixture
def manual_clock() -> ManualClock:
    return ManualClock(dt.datetime.now(dt.UTC))


@pytest.fixture
def manual_sandbox(manual_clock: ManualClock) -> Iterator[Sandbox]:
    with Sandbox(clock=manual_clock) as server:
        yield server


def test_an_expired_token_is_refreshed_once_and_the_call_retried(
    manual_sandbox: Sandbox, manual_clock: ManualClock
) -> None:
    sandbox = manual_sandbox
    user = sandbox.users["admin"]
    saved: list[tuple[str, str | None]] = []
    token = OAuthToken(
        user.access_token,
        refresh_token=user.refresh_token,
        token_url=sandbox.url + "/oauth2/token",
        client_id=sandbox.oauth_client.client_id,
        client_secret=sandbox.oauth_client.client_secret,
        on_refresh=lambda access, refresh: saved.append((access, refresh)),
    )
    transport = Transport(sandbox.url, token)
    assert transport.request("GET", "/account/who_am_i").status == 200
    manual_clock.advance(64800)  # 18 hours: the access token expires
    assert transport.request("GET", "/account/who_am_i").status == 200
    assert [(r.method, r.path, r.status) for r in sandbox.requests[1:]] == [
        ("GET", "/account/who_am_i", 401),
        ("POST", "/oauth2/token", 200),
        ("GET", "/account/who_am_i", 200),
    ]
    assert saved == [(token.access_token, token.refresh_token)] and token.access_token != user.access_token


def test_a_refused_refresh_is_an_auth_error(manual_sandbox: Sandbox, manual_clock: ManualClock) -> None:
    sandbox = manual_sandbox
    user = sandbox.users["admin"]
    token = OAuthToken(
        user.access_token, refresh_token="revoked", token_url=sandbox.url + "/oauth2/token", client_id="x"
    )
    manual_clock.advance(64800)
    with pytest.raises(AuthError) as caught:
        Transport(sandbox.url, token).request("GET", "/daily")
    assert "sign in again" in caught.value.message
    assert [r.status for r in sandbox.requests] == [401, 401]


def test_an_expired_token_without_refresh_token_is_an_auth_error(
    manual_sandbox: Sandbox, manual_clock: ManualClock
) -> None:
    sandbox = manual_sandbox
    manual_clock.advance(64800)
    with pytest.raises(AuthError):
        Transport(sandbox.url, OAuthToken(sandbox.users["admin"].access_token)).request("GET", "/daily")
    assert len(sandbox.requests) == 1


def test_callers_that_meet_an_expired_token_together_refresh_it_once(
    manual_sandbox: Sandbox, manual_clock: ManualClock
) -> None:
    sandbox = manual_sandbox
    user = sandbox.users["admin"]
    token = OAuthToken(
        user.access_token,
        refresh_token=user.refresh_token,
        token_url=sandbox.url + "/oauth2/token",
        client_id=sandbox.oauth_client.client_id,
        client_secret=sandbox.oauth_client.client_secret,
    )
    manual_clock.advance(64800)
    statuses: list[int] = []
    start = threading.Barrier(4)

    def call() -> None:
        transport = Transport(sandbox.url, token)
        start.wait()
        statuses.append(transport.request("GET", "/account/who_am_i").status)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200] * 4
    assert [r.path for r in sandbox.requests].count("/oauth2/token") == 1
