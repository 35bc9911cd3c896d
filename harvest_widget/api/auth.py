"""Credentials as the transport sends them: HTTP Basic, or an OAuth 2.0 bearer token.

These objects never send anything themselves: `transport.Transport` asks them for the
`Authorization` value and, after a 401, for the refresh request to send (the transport is the one
place that talks HTTP). Every secret is registered with the log redactor as soon as it is known.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from harvest_widget.log import redact_value


class Auth(Protocol):
    @property
    def rejected_message(self) -> str:
        """What to tell the user when Harvest answers 401."""
        ...

    @property
    def can_refresh(self) -> bool: ...

    def authorization(self) -> str:
        """The `Authorization` header value for the next request."""
        ...

    def refresh_request(self) -> tuple[str, dict[str, str]]:
        """The token URL and form fields that renew the credential (only when `can_refresh`)."""
        ...

    def accept_refresh(self, reply: Mapping[str, Any]) -> None:
        """Take the new tokens from the token endpoint's JSON reply."""
        ...


class BasicAuth:
    """Email and Harvest password (v1 only; v2 dropped Basic auth)."""

    rejected_message = "Harvest did not accept this email and password."
    can_refresh = False

    def __init__(self, email: str, password: str) -> None:
        redact_value(password)
        token = base64.b64encode(f"{email}:{password}".encode()).decode("ascii")
        redact_value(token)
        self._header = f"Basic {token}"

    def authorization(self) -> str:
        return self._header

    def refresh_request(self) -> tuple[str, dict[str, str]]:
        raise RuntimeError("HTTP Basic credentials cannot be refreshed")

    def accept_refresh(self, reply: Mapping[str, Any]) -> None:
        raise RuntimeError("HTTP Basic credentials cannot be refreshed")


class OAuthToken:
    """An OAuth 2.0 access token, sent as `Authorization: Bearer`.

    With a refresh token and a token URL it renews itself after a 401 (`grant_type=refresh_token`);
    `on_refresh(access_token, refresh_token)` lets the owner store the new pair in the keyring.
    """

    rejected_message = "Harvest did not accept the saved sign-in; please sign in again."

    def __init__(
        self,
        access_token: str,
        *,
        refresh_token: str | None = None,
        token_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        on_refresh: Callable[[str, str | None], None] | None = None,
    ) -> None:
        for secret in (access_token, refresh_token, client_secret):
            redact_value(secret)
        self._lock = threading.Lock()
        self._access_token = access_token
        self._refresh_token = refresh_token
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self._on_refresh = on_refresh

    @property
    def access_token(self) -> str:
        return self._access_token

    @property
    def refresh_token(self) -> str | None:
        return self._refresh_token

    @property
    def can_refresh(self) -> bool:
        return bool(self._refresh_token and self.token_url)

    def authorization(self) -> str:
        return f"Bearer {self._access_token}"

    def refresh_request(self) -> tuple[str, dict[str, str]]:
        if not (self._refresh_token and self.token_url):
            raise RuntimeError("this token has no refresh token or token URL")
        form = {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
        if self.client_id:
            form["client_id"] = self.client_id
        if self._client_secret:
            form["client_secret"] = self._client_secret
        return self.token_url, form

    def accept_refresh(self, reply: Mapping[str, Any]) -> None:
        access = reply.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("the token reply has no access_token")
        refresh = reply.get("refresh_token")
        with self._lock:
            self._access_token = access
            if isinstance(refresh, str) and refresh:
                self._refresh_token = refresh
            redact_value(self._access_token)
            redact_value(self._refresh_token)
            pair = (self._access_token, self._refresh_token)
        if self._on_refresh is not None:
            self._on_refresh(*pair)
