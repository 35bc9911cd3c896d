"""Which Harvest API a sign-in speaks, from the address and the kind of credential the user gave.

No network and no Qt: the command line and the sign-in dialog both call `detect_api`. The rules, in
order (Harvest's facts: v2 lives at api.harvestapp.com and signs in only with a Personal Access
Token + account id or a Harvest ID OAuth token; v1 lives at the account's own
`https://ACCOUNT.harvestapp.com` and took email + password or a v1 OAuth token):

1. Harvest ID (browser) sign-in, a token the user calls a personal access token (`personal_token`:
   those exist only in v2), or a token with an account id -> v2.
2. Email + password -> v1 (v2 has no password sign-in).
3. A token without an account id: v2 when the address is Harvest's v2 or Harvest ID host (the account
   id is then still needed), else v1 (a v1 OAuth token at the account's address).
4. Nothing said about the credential: the address decides (`api.harvestapp.com` / `id.getharvest.com`
   -> v2, any other `*.harvestapp.com` -> v1), else unknown (None).

For v2 on Harvest's own hosts the address to use is always `https://api.harvestapp.com`, so a user
who pastes their account address (`https://acme.harvestapp.com`) or Harvest ID's still reaches v2.
Other hosts (a local sandbox, a proxy) are kept as given.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Literal

ApiVersion = Literal["v1", "v2"]
CredentialKind = Literal["password", "token", "personal_token", "harvest_id"]

HARVEST_V2_URL = "https://api.harvestapp.com"
_V2_HOSTS = ("api.harvestapp.com", "id.getharvest.com")
_V2_ONLY: dict[str, str] = {"harvest_id": "Harvest ID sign-in", "personal_token": "a personal access token"}


@dataclass(frozen=True, slots=True)
class ApiChoice:
    """The API to speak and the address to speak it at; `reason` says why, for messages and logs."""

    version: ApiVersion
    url: str
    reason: str

    @property
    def address(self) -> str:
        """`url` without its scheme, for sentences ("api.harvestapp.com")."""
        return self.url.split("://", 1)[-1]


def _host(url: str) -> str:
    return (urllib.parse.urlsplit(url if "://" in url else f"https://{url}").hostname or "").lower()


def is_harvest_host(url: str) -> bool:
    host = _host(url)
    return host == "harvestapp.com" or host.endswith((".harvestapp.com", ".getharvest.com"))


def detect_api(
    url: str | None, credential: CredentialKind | None = None, *, account_id: int | None = None
) -> ApiChoice | None:
    """The API a sign-in at `url` with `credential` speaks (see the module rules), or None when
    neither says. `url` None means "Harvest's own service" (only v2 has one address for everyone)."""
    given = (url or "").strip().rstrip("/")
    if given and "://" not in given:
        given = f"https://{given}"
    on_v2_host = _host(given) in _V2_HOSTS if given else True
    if credential in _V2_ONLY or (credential == "token" and account_id is not None):
        why = _V2_ONLY.get(credential or "", "a token with an account id")
        return ApiChoice("v2", _v2_url(given), f"{why} speaks API v2")
    if credential == "password":
        if not given or on_v2_host:
            return None  # a password needs the account's own v1 address
        return ApiChoice("v1", given, "email and password sign in to API v1")
    if credential == "token":
        if on_v2_host:
            return ApiChoice("v2", HARVEST_V2_URL, f"{_host(given) or 'Harvest'} serves API v2")
        return ApiChoice("v1", given, "a token without an account id is a v1 OAuth token")
    if not given:
        return None
    if on_v2_host:
        return ApiChoice("v2", HARVEST_V2_URL, f"{_host(given)} serves API v2")
    if is_harvest_host(given):
        return ApiChoice("v1", given, "an account address (*.harvestapp.com) serves API v1")
    return None


def _v2_url(given: str) -> str:
    return HARVEST_V2_URL if not given or is_harvest_host(given) else given
