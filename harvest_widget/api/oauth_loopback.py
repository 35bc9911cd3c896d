"""Sign in through Harvest ID (OAuth 2.0 authorization code) with the system browser.

The flow a desktop app can do without a web server of its own (RFC 8252):
1. listen on 127.0.0.1 on a random port for exactly one redirect;
2. open `{identity}/oauth2/authorize?client_id=..&response_type=code&state=..&redirect_uri=..` in the
   browser; the user signs in to Harvest ID and approves;
3. Harvest ID redirects to `http://127.0.0.1:{port}/callback?code=..&state=..&scope=..`; a `state`
   that is not ours is refused (a page from elsewhere cannot inject a code);
4. exchange the code at `{identity}/api/v2/oauth2/token` and list the accounts the token may use
   (`GET {identity}/api/v2/accounts`, Harvest products only); the caller picks one when there are
   several and saves the token pair in the keyring.

Harvest ID only accepts a `redirect_uri` that starts with the redirect URL registered for the OAuth
client, so the client must be registered with the redirect URL `http://127.0.0.1`.
The client and its renewing token, which every session needs, are in `harvest_id.py`; this module
(the browser and the loopback server) loads only to sign in. All HTTP goes through `transport.Transport` (token grants via its refresh path, so the code, the
tokens and the client secret are redacted from logs like every other credential).
"""

from __future__ import annotations

import http.server
import logging
import secrets
import threading
import time
import urllib.parse
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harvest_widget.api.auth import OAuthToken
from harvest_widget.api.errors import AuthError, NetworkError
from harvest_widget.api.harvest_id import HarvestIdClient, HarvestIdToken
from harvest_widget.api.transport import Transport
from harvest_widget.api.v2_codec import HarvestAccount, parse_accounts, parse_json
from harvest_widget.log import redact_value

log = logging.getLogger(__name__)

ACCOUNTS_PATH = "/api/v2/accounts"
CALLBACK_PATH = "/callback"

BrowserOpener = Callable[[str], object]

_DONE_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>harvest-widget</title></head>"
    "<body style='font-family:sans-serif'><h1>{title}</h1><p>{text}</p></body></html>"
)


@dataclass(frozen=True, slots=True)
class AuthorizationGrant:
    """What Harvest ID sent back to the loopback redirect."""

    code: str
    scope: str
    redirect_uri: str


class LoopbackRedirect:
    """A one-shot HTTP listener on 127.0.0.1 that waits for Harvest ID's redirect.

    Use as a context manager; `authorize_url(...)` builds the URL to open, `wait()` blocks until the
    redirect with our `state` arrives (or the timeout passes) and returns the grant.
    """

    def __init__(self, *, state: str | None = None) -> None:
        self.state = state or secrets.token_urlsafe(32)
        self._done = threading.Event()
        self._grant: AuthorizationGrant | None = None
        self._error: str | None = None
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="oauth-loopback", daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{CALLBACK_PATH}"

    def authorize_url(self, identity_url: str, client_id: str) -> str:
        query = urllib.parse.urlencode(
            {
                "client_id": client_id,
                "response_type": "code",
                "state": self.state,
                "redirect_uri": self.redirect_uri,
            }
        )
        return f"{identity_url.rstrip('/')}/oauth2/authorize?{query}"

    def __enter__(self) -> LoopbackRedirect:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait(self, timeout: float) -> AuthorizationGrant:
        """The grant, or AuthError (denied, wrong state) / NetworkError (no redirect in time)."""
        if not self._done.wait(timeout):
            raise NetworkError("Harvest ID sign-in did not finish in time; please try again.")
        if self._grant is None:
            raise AuthError(self._error or "Harvest ID sign-in failed; please try again.")
        return self._grant

    def _on_callback(self, query: dict[str, list[str]]) -> tuple[int, str, str]:
        """Judge one redirect; returns (status, title, text) for the browser page."""

        def first(name: str) -> str:
            return query.get(name, [""])[0]

        if not secrets.compare_digest(first("state"), self.state):
            # Not our redirect (a stale tab or a forged link): refuse it and keep waiting.
            log.warning("OAuth redirect with an unexpected state was refused")
            return 400, "Sign-in refused", "This sign-in link is not the one harvest-widget started."
        if self._done.is_set():
            return 409, "Already signed in", "harvest-widget already received this sign-in."
        if first("error") or not first("code"):
            reason = first("error_description") or first("error") or "no authorization code"
            self._error = f"Harvest ID did not authorize harvest-widget ({reason})."
            self._done.set()
            return 400, "Sign-in cancelled", "You can close this window and try again from harvest-widget."
        self._grant = AuthorizationGrant(
            code=first("code"), scope=first("scope"), redirect_uri=self.redirect_uri
        )
        self._done.set()
        return 200, "Signed in", "You can close this window and return to harvest-widget."

    def _handler_class(self) -> type[http.server.BaseHTTPRequestHandler]:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                if url.path != CALLBACK_PATH:
                    status, title, text = 404, "Not found", "Nothing here."
                else:
                    status, title, text = owner._on_callback(urllib.parse.parse_qs(url.query))
                page = _DONE_PAGE.format(title=title, text=text).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: object) -> None:
                # The default writes to stderr, with the code in the query: never log the request line.
                pass

        return Handler


def authorize_in_browser(
    identity_url: str,
    client_id: str,
    *,
    open_browser: BrowserOpener = webbrowser.open,
    show_url: Callable[[str], object] | None = None,
    timeout: float = 300.0,
) -> AuthorizationGrant:
    """Steps 1-3: open the browser at Harvest ID and wait for the loopback redirect.

    `show_url(url)`, when given, shows the address too (the command line prints it), so the user
    can open it by hand when no browser opens; without it, a failed `open_browser` is an AuthError.
    """
    with LoopbackRedirect() as redirect:
        url = redirect.authorize_url(identity_url, client_id)
        if show_url is not None:
            show_url(url)
        log.info("Opening the browser for Harvest ID sign-in")
        if open_browser(url) is False and show_url is None:
            raise AuthError("Could not open a web browser for Harvest ID sign-in.")
        return redirect.wait(timeout)


class _CodeGrant:
    """The authorization-code grant as an `Auth` whose one "refresh" is the code exchange, so it
    goes through the transport's token path (form body, secure URL, redaction, error mapping)."""

    rejected_message = "Harvest ID did not accept the sign-in; please try again."
    can_refresh = True

    def __init__(self, client: HarvestIdClient, grant: AuthorizationGrant) -> None:
        redact_value(grant.code)
        redact_value(client.client_secret)
        self._client = client
        self._grant = grant
        self.reply: Mapping[str, Any] | None = None

    def authorization(self) -> str:
        return ""

    def refresh_request(self) -> tuple[str, dict[str, str]]:
        return self._client.token_url, {
            "grant_type": "authorization_code",
            "code": self._grant.code,
            "client_id": self._client.client_id,
            "client_secret": self._client.client_secret,
            "redirect_uri": self._grant.redirect_uri,
        }

    def accept_refresh(self, reply: Mapping[str, Any]) -> None:
        self.reply = reply


@dataclass(frozen=True, slots=True)
class HarvestIdSignIn:
    """A finished Harvest ID sign-in: the token and the Harvest accounts it may act on."""

    token: HarvestIdToken
    accounts: tuple[HarvestAccount, ...]
    scope: str = ""


def exchange_code(
    client: HarvestIdClient,
    grant: AuthorizationGrant,
    *,
    on_refresh: Callable[[str, str | None], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> HarvestIdToken:
    """Step 4a: trade the authorization code for an access and refresh token."""
    exchange = _CodeGrant(client, grant)
    Transport(client.identity_url, exchange).refresh_auth()
    reply = exchange.reply or {}
    access, refresh = reply.get("access_token"), reply.get("refresh_token")
    if not isinstance(access, str) or not access:
        raise AuthError("Harvest ID sent no access token; please sign in again.", raw=str(reply)[:200])
    token = HarvestIdToken(
        access, refresh if isinstance(refresh, str) else None, client, on_refresh=on_refresh, clock=clock
    )
    expires_in = reply.get("expires_in")
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        token.expires_at = clock() + expires_in
    return token


def harvest_accounts(client: HarvestIdClient, token: OAuthToken) -> tuple[HarvestAccount, ...]:
    """Step 4b: the Harvest accounts (not Forecast ones) this token may use."""
    reply = Transport(client.identity_url, token).request("GET", ACCOUNTS_PATH)
    return parse_accounts(parse_json(reply.content.decode("utf-8", "replace")))


def sign_in_with_harvest_id(
    client: HarvestIdClient,
    *,
    open_browser: BrowserOpener = webbrowser.open,
    show_url: Callable[[str], object] | None = None,
    timeout: float = 300.0,
    on_refresh: Callable[[str, str | None], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> HarvestIdSignIn:
    """The whole browser sign-in. With no Harvest account at all this raises AuthError; with
    several, `accounts` lists them and the caller asks the user which one to use.
    `on_refresh(access, refresh)` is called whenever the token is renewed later (store it)."""
    grant = authorize_in_browser(
        client.identity_url, client.client_id, open_browser=open_browser, show_url=show_url, timeout=timeout
    )
    token = exchange_code(client, grant, on_refresh=on_refresh, clock=clock)
    accounts = harvest_accounts(client, token)
    if not accounts:
        raise AuthError("This Harvest ID has no Harvest account (only Forecast); sign in with another one.")
    return HarvestIdSignIn(token=token, accounts=accounts, scope=grant.scope)
