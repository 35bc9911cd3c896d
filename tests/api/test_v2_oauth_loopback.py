"""Harvest ID sign-in end to end against the sandbox: a scripted browser, the loopback redirect,
the code exchange, refresh (before expiry and after a 401) and account selection."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator

import pytest
import requests

from harvest_widget.api.errors import AuthError, NetworkError
from harvest_widget.api.harvest_id import HarvestIdClient, HarvestIdToken
from harvest_widget.api.oauth_loopback import LoopbackRedirect, authorize_in_browser, sign_in_with_harvest_id
from harvest_widget.api.v2 import connect_v2
from harvest_widget.sandbox import ManualClock, Sandbox

START = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def manual(clock: ManualClock) -> Iterator[Sandbox]:
    with Sandbox(clock=clock) as server:
        yield server


def harvest_id(sandbox: Sandbox) -> HarvestIdClient:
    client = sandbox.oauth_client
    return HarvestIdClient(client.client_id, client.client_secret, identity_url=sandbox.url)


class ScriptedBrowser:
    """Plays the user's browser: opens the authorize URL signed in as `login`, follows the redirect."""

    def __init__(self, login: tuple[str, str] | None = None) -> None:
        self.login = login
        self.opened: list[str] = []
        self.pages: list[requests.Response] = []

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        approval = requests.get(url, auth=self.login, allow_redirects=False, timeout=10)
        assert approval.status_code == 302
        self.pages.append(requests.get(approval.headers["Location"], timeout=10))
        return True


def test_sign_in_exchanges_the_code_and_lists_harvest_accounts(manual: Sandbox) -> None:
    member = manual.users["member"]
    browser = ScriptedBrowser(login=(member.email, member.password))
    signed_in = sign_in_with_harvest_id(harvest_id(manual), open_browser=browser, timeout=10)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(browser.opened[0]).query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["sandbox-client-id"]
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:")
    assert len(query["state"][0]) >= 32
    assert browser.pages[0].status_code == 200 and "Signed in" in browser.pages[0].text
    assert [(a.id, a.product) for a in signed_in.accounts] == [(member.company.id, "harvest")]
    assert signed_in.scope == f"harvest:{member.company.id}"
    assert signed_in.token.refresh_token and signed_in.token.expires_at is not None
    backend = connect_v2(signed_in.token, signed_in.accounts[0].id, base_url=manual.url)
    assert backend.whoami().user_id == member.id
    exchange = next(r for r in manual.requests if r.path == "/api/v2/oauth2/token")
    assert b"grant_type=authorization_code" in exchange.body and "user-agent" in exchange.headers


def test_token_is_renewed_shortly_before_it_expires(manual: Sandbox) -> None:
    renewed: list[tuple[str, str | None]] = []
    now = [1_000_000.0]
    signed_in = sign_in_with_harvest_id(
        harvest_id(manual),
        open_browser=ScriptedBrowser(),
        timeout=10,
        on_refresh=lambda access, refresh: renewed.append((access, refresh)),
        clock=lambda: now[0],
    )
    token = signed_in.token
    backend = connect_v2(token, signed_in.accounts[0].id, base_url=manual.url)
    backend.whoami()
    old_access = token.access_token
    assert token.expires_at is not None
    now[0] = token.expires_at - 60  # inside the renewal margin, not yet expired
    manual.clear_requests()
    backend.whoami()
    paths = [r.path for r in manual.requests]
    assert paths[0] == "/api/v2/oauth2/token" and paths[1:] == ["/v2/users/me", "/v2/company"]
    assert b"grant_type=refresh_token" in manual.requests[0].body
    assert token.access_token != old_access and renewed == [(token.access_token, token.refresh_token)]
    assert all(r.status == 200 for r in manual.requests)


def test_expired_token_is_refreshed_after_a_401_and_the_call_retried(
    manual: Sandbox, clock: ManualClock
) -> None:
    admin = manual.users["admin"]
    token = HarvestIdToken(admin.access_token, admin.refresh_token, harvest_id(manual))  # expiry unknown
    backend = connect_v2(token, admin.company.id, base_url=manual.url)
    clock.advance(19 * 3600)  # the sandbox's access tokens live 18 hours
    manual.clear_requests()
    assert backend.whoami().user_id == admin.id
    assert [(r.path, r.status) for r in manual.requests][:3] == [
        ("/v2/users/me", 401),
        ("/api/v2/oauth2/token", 200),
        ("/v2/users/me", 200),
    ]


def test_refused_refresh_means_sign_in_again(manual: Sandbox, clock: ManualClock) -> None:
    admin = manual.users["admin"]
    token = HarvestIdToken(admin.access_token, "not-a-refresh-token", harvest_id(manual))
    clock.advance(19 * 3600)
    with pytest.raises(AuthError, match="sign in again"):
        connect_v2(token, admin.company.id, base_url=manual.url).whoami()


def test_redirect_with_a_foreign_state_is_refused_and_the_real_one_still_works(manual: Sandbox) -> None:
    client = harvest_id(manual)
    outcome: list[object] = []
    with LoopbackRedirect() as redirect:
        forged = requests.get(redirect.redirect_uri, params={"code": "evil", "state": "guess"}, timeout=10)
        assert forged.status_code == 400
        url = redirect.authorize_url(client.identity_url, client.client_id)
        waiter = threading.Thread(target=lambda: outcome.append(redirect.wait(10)))
        waiter.start()
        ScriptedBrowser()(url)
        waiter.join(10)
    grant = outcome[0]
    assert getattr(grant, "code", "evil") != "evil"


def test_denied_authorization_is_an_auth_error() -> None:
    def deny(url: str) -> bool:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        callback = query["redirect_uri"][0]
        requests.get(callback, params={"error": "access_denied", "state": query["state"][0]}, timeout=10)
        return True

    with pytest.raises(AuthError, match="access_denied"):
        authorize_in_browser("https://id.example.com", "client", open_browser=deny, timeout=10)


def test_no_redirect_in_time_is_a_network_error_and_no_browser_is_an_auth_error() -> None:
    with pytest.raises(NetworkError, match="did not finish in time"):
        authorize_in_browser("https://id.example.com", "client", open_browser=lambda url: True, timeout=0.2)
    with pytest.raises(AuthError, match="Could not open a web browser"):
        authorize_in_browser("https://id.example.com", "client", open_browser=lambda url: False, timeout=0.2)


def test_without_a_browser_the_shown_address_still_completes_the_sign_in(manual: Sandbox) -> None:
    by_hand = ScriptedBrowser()  # the user pastes the printed address into a browser elsewhere
    signed_in = sign_in_with_harvest_id(
        harvest_id(manual), open_browser=lambda url: False, show_url=by_hand, timeout=10
    )
    assert signed_in.accounts and by_hand.pages[0].status_code == 200


def test_wrong_client_secret_is_refused(manual: Sandbox) -> None:
    client = HarvestIdClient("sandbox-client-id", "wrong-secret", identity_url=manual.url)
    with pytest.raises(AuthError):
        sign_in_with_harvest_id(client, open_browser=ScriptedBrowser(), timeout=10)


def test_a_signed_in_session_does_without_the_browser_sign_in_code():
    """The loopback HTTP server and the browser modules load only to sign in (~1 MB less held)."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, harvest_widget.connection; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert {"harvest_widget.api.oauth_loopback", "http.server", "webbrowser"}.isdisjoint(loaded)
