"""Harvest ID (id.getharvest.com): the OAuth client the user registered and its renewing token.

Every v2 session that signed in through Harvest ID needs these; the browser sign-in that first
gets the token is in `oauth_loopback.py`, loaded only to sign in (its HTTP server and browser
modules are ~1 MB the running widget does without).
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harvest_widget.api.auth import OAuthToken

DEFAULT_IDENTITY_URL = "https://id.getharvest.com"
TOKEN_PATH = "/api/v2/oauth2/token"
RENEW_BEFORE_EXPIRY_SECONDS = 300.0


def identity_url_for(api_url: str) -> str:
    """Harvest ID's address for an API address: Harvest's own for harvestapp.com, else the same host
    (the sandbox serves the API and the identity endpoints together)."""
    host = (urllib.parse.urlsplit(api_url).hostname or "").lower()
    if host == "harvestapp.com" or host.endswith(".harvestapp.com"):
        return DEFAULT_IDENTITY_URL
    return api_url.rstrip("/")


@dataclass(frozen=True, slots=True)
class HarvestIdClient:
    """The OAuth client the user registered in Harvest ID (Developers -> OAuth2 applications)."""

    client_id: str
    client_secret: str
    identity_url: str = DEFAULT_IDENTITY_URL

    @property
    def token_url(self) -> str:
        return self.identity_url.rstrip("/") + TOKEN_PATH


class HarvestIdToken(OAuthToken):
    """A Harvest ID access token that knows when it expires.

    It renews at the identity host (`grant_type=refresh_token`) after a 401 (the transport asks) and
    shortly before `expires_at` (`V2Backend` asks, through `Transport.refresh_auth`). A refresh reply
    without a new refresh token keeps the old one (whether Harvest rotates it is not documented).
    """

    def __init__(
        self,
        access_token: str,
        refresh_token: str | None,
        client: HarvestIdClient,
        *,
        expires_at: float | None = None,
        on_refresh: Callable[[str, str | None], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            access_token,
            refresh_token=refresh_token,
            token_url=client.token_url,
            client_id=client.client_id,
            client_secret=client.client_secret,
            on_refresh=on_refresh,
        )
        self.expires_at = expires_at
        self._clock = clock

    def expires_soon(self) -> bool:
        return (
            self.can_refresh
            and self.expires_at is not None
            and self._clock() >= self.expires_at - RENEW_BEFORE_EXPIRY_SECONDS
        )

    def accept_refresh(self, reply: Mapping[str, Any]) -> None:
        """Take the renewed pair; the new expiry is set first, so `on_refresh` can store it too."""
        expires_in = reply.get("expires_in")
        valid_for = (
            expires_in if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) else None
        )
        previous = self.expires_at
        self.expires_at = self._clock() + valid_for if valid_for is not None else None
        try:
            super().accept_refresh(reply)
        except ValueError:
            self.expires_at = previous  # a reply without a token changes nothing
            raise
