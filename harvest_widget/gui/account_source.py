"""The worker's way to an engine: saved settings + keyring secrets through `connection`.

Runs on the worker thread only (it reads the keyring and opens SQLite). The engine, the cache, the
HTTP client and the keyring are imported here, on first use, so the GUI thread paints its first
frame without waiting for them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from harvest_widget.gui.worker import SignInRequest
from harvest_widget.paths import AppPaths
from harvest_widget.settings import Settings, load_settings, save_settings

if TYPE_CHECKING:
    from harvest_widget.api.backend import Backend
    from harvest_widget.credentials import CredentialStore, Secrets
    from harvest_widget.store.database import Store
    from harvest_widget.sync.engine import Engine

log = logging.getLogger(__name__)

# A sync must end soon (Quit waits for it): a throttle longer than this is not waited out inside a
# call; the engine records it, the window counts it down and the next sync follows it.
THROTTLE_MAX_WAIT_S = 1.0


class _NotConnected:
    """The backend of the worker's local engine (the sync thread's engine talks to Harvest): any
    call means a bug, so it fails loudly."""

    def __getattr__(self, name: str) -> Any:
        from harvest_widget.api.errors import NetworkError

        raise NetworkError(f"The worker's engine does not talk to Harvest (called {name}).")


class AccountSource:
    """Implements `worker.EngineSource` for this home (`paths`) and keyring (`credentials`)."""

    def __init__(
        self,
        paths: AppPaths,
        credentials: CredentialStore | None = None,
        *,
        open_browser: Callable[[str], object] | None = None,  # None: the system browser
    ) -> None:
        self._paths = paths
        self._open_browser = open_browser
        self._given_credentials = credentials
        self._cache_store: Store | None = None

    @property
    def _credentials(self) -> CredentialStore:
        if self._given_credentials is None:
            from harvest_widget.credentials import CredentialStore

            self._given_credentials = CredentialStore()
        return self._given_credentials

    def settings(self) -> Settings:
        return load_settings(self._paths)

    def save_settings(self, settings: Settings) -> Settings:
        save_settings(self._paths, settings)
        return settings

    def open_cached(self) -> Engine | None:
        """The saved sign-in's cache and outbox on a connection of its own, usable before the
        keyring and the network are touched; it never talks to Harvest."""
        from harvest_widget.store.database import Store
        from harvest_widget.sync.engine import Engine

        self._close_cache()
        settings = self.settings()
        if not settings.is_signed_in or not self._paths.cache_db.exists():
            return None
        self._cache_store = Store(self._paths.cache_db)
        return Engine(self._cache_store, cast("Backend", _NotConnected()), account_key=settings.account_key)

    def open(self) -> Engine | None:
        from harvest_widget import connection

        settings = self.settings()
        if not settings.is_signed_in:
            return None
        try:
            return connection.open_engine(
                self._paths, settings, self._credentials, max_wait=THROTTLE_MAX_WAIT_S
            )
        except connection.NotSignedInError:
            log.info("saved sign-in has no secret in the keyring; asking to sign in")
            return None

    def sign_in(self, request: SignInRequest) -> Engine:
        from harvest_widget.credentials import Secrets

        if request.client_id:
            return self._sign_in_with_harvest_id(request)
        token = request.token is not None
        v2 = request.api_version == "v2"
        settings = self.settings().replace(
            server_url=request.server_url,
            email=request.email,
            auth_kind=("pat" if v2 else "oauth") if token else "basic",
            data_format="json" if v2 else request.data_format,
            api_version=request.api_version,
            account_id=request.account_id if v2 else None,
        )
        secrets = Secrets(access_token=request.token) if token else Secrets(password=request.password)
        return self._verified(settings, secrets)

    def _sign_in_with_harvest_id(self, request: SignInRequest) -> Engine:
        """Harvest ID in the system browser (blocks this worker until the redirect or 5 minutes)."""
        from harvest_widget.api.harvest_id import HarvestIdClient, identity_url_for
        from harvest_widget.api.oauth_loopback import sign_in_with_harvest_id
        from harvest_widget.connection import ConnectionSetupError
        from harvest_widget.credentials import Secrets

        api_url = request.server_url
        client = HarvestIdClient(
            request.client_id, request.client_secret, identity_url=identity_url_for(api_url)
        )
        if self._open_browser is None:
            import webbrowser

            self._open_browser = webbrowser.open
        signed = sign_in_with_harvest_id(client, open_browser=self._open_browser)
        ids = [account.id for account in signed.accounts]
        account_id = request.account_id or (ids[0] if len(ids) == 1 else None)
        if account_id not in ids:
            choices = ", ".join(f"{account.name} ({account.id})" for account in signed.accounts)
            raise ConnectionSetupError(
                f"This Harvest ID can use several accounts: {choices}; enter the account ID to use and sign in again."
            )
        settings = self.settings().replace(
            server_url=api_url,
            email="",
            auth_kind="oauth",
            api_version="v2",
            data_format="json",
            account_id=account_id,
            oauth_client_id=request.client_id,
        )
        token = signed.token
        secrets = Secrets(
            access_token=token.access_token,
            refresh_token=token.refresh_token,
            client_secret=request.client_secret,
            expires_at=token.expires_at,
        )
        return self._verified(settings, secrets)

    def _verified(self, settings: Settings, secrets: Secrets) -> Engine:
        """Check with Harvest, keep the secret and the settings, open the engine and cache the user."""
        from harvest_widget import connection

        saved, whoami = connection.sign_in(
            self._paths, settings, secrets, self._credentials, max_wait=THROTTLE_MAX_WAIT_S
        )
        engine = connection.open_engine(
            self._paths, saved, self._credentials, secrets=secrets, max_wait=THROTTLE_MAX_WAIT_S
        )
        engine.sign_in(whoami)
        return engine

    def sign_out(self) -> None:
        from harvest_widget import connection

        connection.sign_out(self._paths, self.settings(), self._credentials)

    def close(self) -> None:
        self._close_cache()

    def _close_cache(self) -> None:
        if self._cache_store is not None:
            self._cache_store.close()
            self._cache_store = None
