"""From saved settings and keyring secrets to a working `Engine`; used by the CLI and the GUI alike.

`open_engine` is the one place that decides which backend talks to Harvest (v1 or v2, in
`build_backend`), where the cache lives (`AppPaths.cache_db`) and which throttle budget calls draw on:
one SQLite-backed sliding window per account in the data folder, shared by every process on this
home, because Harvest counts calls per account, not per process.
"""

from __future__ import annotations

import logging
from pathlib import Path

from harvest_widget.api.auth import BasicAuth, OAuthToken
from harvest_widget.api.backend import Backend
from harvest_widget.api.harvest_id import HarvestIdClient, HarvestIdToken, identity_url_for
from harvest_widget.api.rate_limiter import SlidingWindowLimiter, SqliteWindowStore
from harvest_widget.api.transport import DEFAULT_RETRIES
from harvest_widget.api.v1 import connect_v1
from harvest_widget.api.v2 import connect_v2
from harvest_widget.core.account import WhoAmI
from harvest_widget.credentials import CredentialStore, Secrets
from harvest_widget.log import redact_value
from harvest_widget.paths import AppPaths
from harvest_widget.settings import Settings, load_settings, save_settings
from harvest_widget.store.database import Store
from harvest_widget.sync.engine import Engine

log = logging.getLogger(__name__)

THROTTLE_DB_NAME = "throttle.sqlite3"
DEFAULT_MAX_WAIT = 120.0


class ConnectionSetupError(Exception):
    """The settings or secrets cannot make a connection; `message` is one sentence for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotSignedInError(ConnectionSetupError):
    pass


def throttle_db(paths: AppPaths) -> Path:
    return paths.data_dir / THROTTLE_DB_NAME


def shared_limiter(paths: AppPaths, settings: Settings) -> SlidingWindowLimiter:
    """The account's call budget (100 calls / 15 s by default), shared across processes."""
    paths.ensure()
    return SlidingWindowLimiter(store=SqliteWindowStore(throttle_db(paths), settings.account_key))


def build_backend(
    settings: Settings,
    secrets: Secrets,
    *,
    limiter: SlidingWindowLimiter,
    credentials: CredentialStore | None = None,
    max_wait: float | None = DEFAULT_MAX_WAIT,
    retries: int = DEFAULT_RETRIES,
) -> Backend:
    """The backend for the configured API version, carrying the login's secret.

    `max_wait` is the longest one call may wait for the throttle before it fails as throttled (the
    command line passes a few seconds; the tray's worker can afford to wait). `retries` is how often
    a call that failed on the network is sent again after a backoff (the command line passes 0: its
    change is queued anyway). A renewed OAuth token is written back to `credentials` (when given) so
    the next run uses it.
    """
    auth = _auth(settings, secrets, credentials)
    if settings.api_version == "v1":
        return connect_v1(
            settings.server_url,
            auth,
            data_format=settings.data_format,
            limiter=limiter,
            max_wait=max_wait,
            retries=retries,
        )
    if settings.account_id is None:
        raise NotSignedInError("No Harvest account id is saved for this login; sign in again with it.")
    return connect_v2(
        auth,
        settings.account_id,
        base_url=settings.server_url,
        limiter=limiter,
        max_wait=max_wait,
        retries=retries,
    )


def _auth(
    settings: Settings, secrets: Secrets, credentials: CredentialStore | None
) -> BasicAuth | OAuthToken:
    if settings.auth_kind == "basic":
        if not secrets.password:
            raise NotSignedInError("No password is stored for this login; run `harvest-widget login`.")
        return BasicAuth(settings.email, secrets.password)
    if not secrets.access_token:
        raise NotSignedInError("No token is stored for this login; run `harvest-widget login`.")
    if settings.api_version == "v2" and settings.auth_kind == "oauth":
        return _harvest_id_token(settings, secrets, secrets.access_token, credentials)

    def keep_renewed(access_token: str, refresh_token: str | None) -> None:
        if credentials is not None:
            renewed = Secrets(
                access_token=access_token, refresh_token=refresh_token, client_secret=secrets.client_secret
            )
            credentials.set(settings.account_key, renewed)

    return OAuthToken(
        secrets.access_token,
        refresh_token=secrets.refresh_token,
        client_id=settings.oauth_client_id or None,
        client_secret=secrets.client_secret,
        on_refresh=keep_renewed,
    )


def _harvest_id_token(
    settings: Settings, secrets: Secrets, access_token: str, credentials: CredentialStore | None
) -> HarvestIdToken:
    """A Harvest ID token that renews itself at Harvest ID shortly before the saved expiry (so also
    right after a restart) or after a 401, and writes each renewed pair and its expiry back."""
    client = HarvestIdClient(
        settings.oauth_client_id, secrets.client_secret or "", identity_url_for(settings.server_url)
    )
    saved = secrets.expires_at
    expires_at = float(saved) if isinstance(saved, int | float) and not isinstance(saved, bool) else None

    def keep_renewed(access: str, refresh: str | None) -> None:
        if credentials is not None:
            renewed = Secrets(
                access_token=access,
                refresh_token=refresh,
                client_secret=secrets.client_secret,
                expires_at=token.expires_at,
            )
            credentials.set(settings.account_key, renewed)

    token = HarvestIdToken(
        access_token, secrets.refresh_token, client, expires_at=expires_at, on_refresh=keep_renewed
    )
    return token


def sign_in(
    paths: AppPaths,
    settings: Settings,
    secrets: Secrets,
    credentials: CredentialStore | None = None,
    *,
    max_wait: float | None = DEFAULT_MAX_WAIT,
) -> tuple[Settings, WhoAmI]:
    """Check the credentials with who_am_i, then keep the secret in the keyring and save the settings.

    Nothing is saved when Harvest refuses them (`api.errors.AuthError`) or cannot be reached. The
    keyring is probed before any call, so a missing keyring fails fast (`KeyringUnavailableError`).
    Returns the saved settings (email and user id as Harvest knows them) and the user.
    """
    for value in secrets.values():
        redact_value(value)
    store = credentials or CredentialStore()
    store.get(settings.account_key)
    limiter = shared_limiter(paths, settings)
    whoami = build_backend(settings, secrets, limiter=limiter, max_wait=max_wait).whoami()
    settings = settings.replace(email=whoami.email or settings.email, user_id=whoami.user_id)
    store.set(settings.account_key, secrets)
    save_settings(paths, settings)
    log.info("signed in as user %s at %s", whoami.user_id, settings.server_url)
    return settings, whoami


def sign_out(paths: AppPaths, settings: Settings, credentials: CredentialStore | None = None) -> Settings:
    """Forget the login's secret and who it was (the server address and preferences stay)."""
    (credentials or CredentialStore()).delete(settings.account_key)
    signed_out = settings.replace(email="", user_id=None, account_id=None)
    save_settings(paths, signed_out)
    log.info("signed out of %s", settings.server_url)
    return signed_out


def open_engine(
    paths: AppPaths,
    settings: Settings | None = None,
    credentials: CredentialStore | None = None,
    *,
    secrets: Secrets | None = None,
    max_wait: float | None = DEFAULT_MAX_WAIT,
    retries: int = DEFAULT_RETRIES,
) -> Engine:
    """The engine for the signed-in login: cache in the data folder, backend from settings + keyring.

    Raises `NotSignedInError` when no login is configured or its secret is missing from the keyring,
    and `credentials.KeyringUnavailableError` when the keyring cannot be read.
    """
    settings = settings if settings is not None else load_settings(paths)
    if not settings.is_signed_in:
        raise NotSignedInError(
            "Not signed in; run `harvest-widget login --url URL --email EMAIL --password-stdin`."
        )
    credentials = credentials or CredentialStore()
    if secrets is None:
        secrets = credentials.get(settings.account_key)
        if secrets is None:
            raise NotSignedInError(
                "No password or token is stored for this login; run `harvest-widget login`."
            )
    limiter = shared_limiter(paths, settings)
    backend = build_backend(
        settings, secrets, limiter=limiter, credentials=credentials, max_wait=max_wait, retries=retries
    )
    paths.ensure()
    return Engine(Store(paths.cache_db), backend, account_key=settings.account_key)
