"""OAuth 2.0 as Harvest v1 did it: authorization code and refresh grants, 18-hour access tokens.

`/oauth2/authorize` approves at once (there is no login page in a sandbox): as the user whose
Basic credentials came with the request, else as the demo admin. It redirects to `redirect_uri`
with `code` and `state` (or, for `response_type=token`, a fragment with the token).
`/oauth2/token` takes form-encoded grants and answers JSON; failures are
`{"error": "invalid_grant", "error_description": ...}` (400) or `invalid_client` (401).
Refresh tokens do not expire ("Refresh token is forever"); refreshing issues a new pair and leaves
the old refresh token usable.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from harvest_widget.sandbox.clock import Clock
from harvest_widget.sandbox.messages import Request, Response
from harvest_widget.sandbox.world import SandboxUser, World

ACCESS_TOKEN_SECONDS = 64799  # one second under 18 hours, as Harvest said
CODE_SECONDS = 600


@dataclass(frozen=True, slots=True)
class OAuthClient:
    client_id: str
    client_secret: str


DEMO_CLIENT = OAuthClient("sandbox-client-id", "sandbox-client-secret")


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class _Code:
    user_id: int
    client_id: str
    redirect_uri: str
    expires_at: dt.datetime


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class Authority:
    """Issues and checks tokens; the users' pre-issued tokens are valid from construction."""

    def __init__(self, world: World, clock: Clock, clients: tuple[OAuthClient, ...] = (DEMO_CLIENT,)) -> None:
        self._world = world
        self._clock = clock
        self._clients = {c.client_id: c for c in clients}
        self._lock = threading.Lock()
        self._access: dict[str, tuple[int, dt.datetime]] = {}
        self._refresh: dict[str, int] = {}
        self._codes: dict[str, _Code] = {}
        expires = clock.now() + dt.timedelta(seconds=ACCESS_TOKEN_SECONDS)
        for user in world.users:
            self._access[user.access_token] = (user.id, expires)
            self._refresh[user.refresh_token] = user.id

    def user_for_token(self, token: str) -> SandboxUser | None:
        with self._lock:
            found = self._access.get(token)
        if found is None or self._clock.now() >= found[1]:
            return None
        return self._world.user(found[0])

    def issue_code(self, user: SandboxUser, client_id: str, redirect_uri: str) -> str:
        self._client(client_id, None, check_secret=False)
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = _Code(
                user.id, client_id, redirect_uri, self._clock.now() + dt.timedelta(seconds=CODE_SECONDS)
            )
        return code

    def issue_tokens(self, user: SandboxUser) -> TokenPair:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        with self._lock:
            self._access[access] = (user.id, self._clock.now() + dt.timedelta(seconds=ACCESS_TOKEN_SECONDS))
            self._refresh[refresh] = user.id
        return TokenPair(access, refresh, ACCESS_TOKEN_SECONDS)

    def exchange_code(self, code: str, client_id: str, client_secret: str, redirect_uri: str) -> TokenPair:
        self._client(client_id, client_secret)
        with self._lock:
            grant = self._codes.pop(code, None)
        if grant is None or self._clock.now() >= grant.expires_at:
            raise OAuthError("invalid_grant", "The authorization code is unknown, used or expired.")
        if grant.client_id != client_id or grant.redirect_uri != redirect_uri:
            raise OAuthError("invalid_grant", "The code was issued to another client or redirect_uri.")
        return self._pair_for(grant.user_id)

    def refresh(self, refresh_token: str, client_id: str, client_secret: str) -> TokenPair:
        self._client(client_id, client_secret)
        with self._lock:
            user_id = self._refresh.get(refresh_token)
        if user_id is None:
            raise OAuthError("invalid_grant", "The refresh token is unknown.")
        return self._pair_for(user_id)

    def _pair_for(self, user_id: int) -> TokenPair:
        user = self._world.user(user_id)
        if user is None:
            raise OAuthError("invalid_grant", "The user no longer exists.")
        return self.issue_tokens(user)

    def _client(self, client_id: str, client_secret: str | None, *, check_secret: bool = True) -> None:
        client = self._clients.get(client_id)
        if client is None or (check_secret and client.client_secret != client_secret):
            raise OAuthError("invalid_client", "Unknown client_id or wrong client_secret.", status=401)


class OAuthRoutes:
    prefixes: tuple[str, ...] = ("/oauth2",)
    is_control: bool = False

    def __init__(self, world: World, authority: Authority) -> None:
        self._world = world
        self._authority = authority

    def handle(self, request: Request) -> Response:
        if request.path == "/oauth2/authorize" and request.method == "GET":
            return self._authorize(request)
        if request.path == "/oauth2/token" and request.method == "POST":
            return self._token(request)
        return Response.text(404, "Not found.")

    def _authorize(self, request: Request) -> Response:
        query = request.query
        redirect_uri = query.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")):
            return Response.text(400, "redirect_uri must be an http(s) URL.")
        user = self._approving_user(request)
        response_type = query.get("response_type", "code")
        try:
            if response_type == "code":
                code = self._authority.issue_code(user, query.get("client_id", ""), redirect_uri)
                # Harvest ID (v2) also names the access granted; v1 clients ignore it.
                params = {
                    "code": code,
                    "state": query.get("state", ""),
                    "scope": f"harvest:{user.company.id}",
                }
                return _redirect(_with_query(redirect_uri, params))
            if response_type == "token":
                self._authority.issue_code(user, query.get("client_id", ""), redirect_uri)  # checks client
                pair = self._authority.issue_tokens(user)
                fragment = urlencode(
                    {
                        "access_token": pair.access_token,
                        "expires_in": pair.expires_in,
                        "state": query.get("state", ""),
                        "token_type": "bearer",
                    }
                )
                return _redirect(f"{redirect_uri}#{fragment}")
        except OAuthError as error:
            return Response.text(400, error.description)
        return Response.text(400, "response_type must be code or token.")

    def _approving_user(self, request: Request) -> SandboxUser:
        scheme, _, value = request.header("authorization").partition(" ")
        if scheme.lower() == "basic":
            try:
                email, _, password = base64.b64decode(value, validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                email = password = ""
            user = self._world.authenticate(email, password)
            if user is not None:
                return user
        return self._world.user_by_name("admin")

    def _token(self, request: Request) -> Response:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        grant_type = form.get("grant_type", "")
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        try:
            if grant_type == "authorization_code":
                pair = self._authority.exchange_code(
                    form.get("code", ""), client_id, client_secret, form.get("redirect_uri", "")
                )
            elif grant_type == "refresh_token":
                pair = self._authority.refresh(form.get("refresh_token", ""), client_id, client_secret)
            else:
                raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")
        except OAuthError as error:
            return Response.json(error.status, {"error": error.error, "error_description": error.description})
        return Response.json(
            200,
            {
                "token_type": "bearer",
                "expires_in": pair.expires_in,
                "access_token": pair.access_token,
                "refresh_token": pair.refresh_token,
            },
        )


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(filter(None, (parts.query, urlencode(params))))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _redirect(location: str) -> Response:
    return Response.text(302, "Redirecting.", {"Location": location})
