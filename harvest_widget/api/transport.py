"""The one place that sends HTTP to Harvest.

Every call: `User-Agent` naming the app, `Accept`/`Content-Type` for the account's data format,
(connect, read) timeouts, TLS verification, https only (plain http only to this computer), the
account's rate limiter before sending, and a mapping of every outcome to `api.errors`:

- 503 (v1) / 429 (v2): Harvest's throttle. Nothing is sent to the account until `Retry-After` has
  passed (seconds or an HTTP date; `default_retry_after` when missing), because calls during a
  lockout prolong it. The lockout goes into the limiter so every caller waits; then the call is
  retried (at most `throttle_retries` times, and only while the wait fits `max_wait`).
- Network errors and other 5xx: exponential backoff with jitter, capped, a few times. A request that
  changes data (not idempotent) and may have reached Harvest is never sent again automatically:
  `NetworkError(maybe_applied=True)` / `ServerError` let the engine look before it retries.
- 401 with a refreshable OAuth token: refresh once, then retry the call once.

The raw body of every failed reply is logged (redacted); callers only ever see `HarvestError`s.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import ipaddress
import json
import logging
import math
import random
import threading
import time
import urllib.parse
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from harvest_widget import APP_NAME, PROJECT_URL, __version__
from harvest_widget.api.auth import Auth
from harvest_widget.api.errors import (
    AuthError,
    ForbiddenError,
    HarvestError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    ServerError,
    ThrottledError,
    ValidationError,
)
from harvest_widget.api.rate_limiter import SlidingWindowLimiter
from harvest_widget.api.v1_codec import MEDIA_TYPES, DataFormat
from harvest_widget.log import redact

log = logging.getLogger(__name__)

USER_AGENT = f"{APP_NAME}/{__version__} ({PROJECT_URL})"
THROTTLE_STATUSES = frozenset({429, 503})
# Network failures (and 5xx) retried by a call after a backoff. The widget's worker can afford them;
# a terminal command passes fewer (its change is queued anyway, so it need not wait for a network).
DEFAULT_RETRIES = 2
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"})
_LOGGED_BODY_CHARS = 2000
_SHORT_MESSAGE_CHARS = 200
# One lock per credential object, whichever transports share it, so they renew it once, not each.
_refresh_locks: weakref.WeakKeyDictionary[Auth, threading.Lock] = weakref.WeakKeyDictionary()
_refresh_locks_guard = threading.Lock()


@dataclass(frozen=True, slots=True)
class Reply:
    """A 2xx answer: status, headers (case-insensitive mapping) and the body bytes."""

    status: int
    headers: Mapping[str, str]
    content: bytes


class InsecureURLError(HarvestError):
    """The server address would send credentials in clear text."""


def require_secure_url(url: str) -> None:
    """Raise InsecureURLError unless `url` is https, or http to this computer (the sandbox)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return
    raise InsecureURLError(
        f"“{url}” is not a secure Harvest address; use https:// (plain http only works for this computer)."
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Transport:
    def __init__(
        self,
        base_url: str,
        auth: Auth,
        *,
        data_format: DataFormat = "json",
        session: requests.Session | None = None,
        limiter: SlidingWindowLimiter | None = None,
        timeouts: tuple[float, float] = (5.0, 30.0),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        headers: Mapping[str, str] | None = None,
        retries: int = DEFAULT_RETRIES,
        throttle_retries: int = 3,
        default_retry_after: float = 16.0,
        backoff_seconds: float = 0.5,
        backoff_cap: float = 8.0,
        max_wait: float | None = 120.0,
    ) -> None:
        """`max_wait`: the longest a call may block for the throttle before ThrottledError instead."""
        require_secure_url(base_url)
        self.base_url = base_url.rstrip("/")
        self.data_format: DataFormat = data_format
        self.limiter = limiter if limiter is not None else SlidingWindowLimiter(clock=clock)
        self._auth = auth
        self._session = session if session is not None else requests.Session()
        self._timeouts = timeouts
        self._sleep = sleep
        self._clock = clock
        self._headers = {"User-Agent": USER_AGENT, "Accept": MEDIA_TYPES[data_format], **(headers or {})}
        self._retries = retries
        self._throttle_retries = throttle_retries
        self._default_retry_after = default_retry_after
        self._backoff_seconds = backoff_seconds
        self._backoff_cap = backoff_cap
        self._max_wait = max_wait

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: bytes | None = None,
        idempotent: bool | None = None,
        max_wait: float | None = None,
    ) -> Reply:
        """Send `method path` (path below the base URL) and return the 2xx reply or raise.

        `idempotent` defaults from the method; pass False for GETs that change state (v1's toggle).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS
        wait_limit = self._max_wait if max_wait is None else max_wait
        headers = dict(self._headers)
        if body is not None:
            headers["Content-Type"] = MEDIA_TYPES[self.data_format]
        url = self.base_url + path
        failures = throttles = 0
        refreshed = False
        while True:
            authorization = self._auth.authorization()
            try:
                reply = self._send(
                    method,
                    url,
                    params=params,
                    body=body,
                    headers={**headers, "Authorization": authorization},
                    idempotent=idempotent,
                    max_wait=wait_limit,
                )
            except NetworkError as error:
                if error.maybe_applied or failures >= self._retries:
                    raise
                self._back_off(failures, error.message)
                failures += 1
                continue
            status = reply.status
            if 200 <= status < 300:
                return reply
            self._log_failure(method, path, reply)
            if status in THROTTLE_STATUSES:
                throttles += 1
                retry_at = self._lock_out(reply)
                if throttles > self._throttle_retries or (
                    wait_limit is not None and retry_at - self._clock() > wait_limit
                ):
                    raise _throttled(retry_at, status, reply)
                continue
            if status == 401 and not refreshed and self._auth.can_refresh:
                refreshed = True
                self._refresh(authorization, wait_limit)
                continue
            if status >= 500 and idempotent and failures < self._retries:
                self._back_off(failures, f"HTTP {status}")
                failures += 1
                continue
            raise self._error(reply)

    # ---- sending -------------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None,
        body: bytes | None,
        headers: Mapping[str, str],
        idempotent: bool,
        max_wait: float | None,
    ) -> Reply:
        """One attempt through the limiter; network failures become NetworkError."""
        slot = self.limiter.acquire(max_wait)
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                url,
                params=params,
                data=body,
                headers=headers,
                timeout=self._timeouts,
                verify=True,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            error = _network_error(exc, idempotent)
            log.warning("%s %s failed: %s (%s)", method, redact(url), error.message, redact(repr(exc)))
            raise error from exc
        finally:
            self.limiter.release(slot)
        log.debug(
            "%s %s -> %d in %.0f ms",
            method,
            redact(url),
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return Reply(status=response.status_code, headers=response.headers, content=response.content)

    def _back_off(self, failures: int, reason: str) -> None:
        """Exponential backoff with jitter: half the step fixed, half random, capped."""
        step = min(self._backoff_cap, self._backoff_seconds * 2**failures)
        delay = step / 2 + random.uniform(0, step / 2)  # jitter, not cryptography
        log.info("retrying in %.1f s after: %s", delay, reason)
        self._sleep(delay)

    # ---- throttle ----------------------------------------------------------------------------------

    def _lock_out(self, reply: Reply) -> float:
        """Record the lockout Harvest announced (for every caller) and return when it ends."""
        received = self._clock()
        delay = self._retry_after_seconds(reply)
        retry_at = received + delay
        self.limiter.lock_out_until(dt.datetime.fromtimestamp(retry_at, dt.UTC))
        log.warning("Harvest throttled this account: nothing is sent for %.1f s", delay)
        return retry_at

    def _retry_after_seconds(self, reply: Reply) -> float:
        value = reply.headers.get("Retry-After", "").strip()
        delay: float | None = None
        if value:
            try:
                delay = float(value)
            except ValueError:
                delay = _seconds_until_http_date(value, reply.headers.get("Date"), self._clock())
        if delay is None or not math.isfinite(delay):
            return self._default_retry_after
        # Never retry at once: a call during the lockout would only prolong it.
        return max(delay, 1.0)

    # ---- auth ------------------------------------------------------------------------------------

    def refresh_auth(self, max_wait: float | None = None) -> None:
        """Renew the credential now (an OAuth token about to expire; v2's code exchange), the same
        way as after a 401."""
        self._refresh(self._auth.authorization(), self._max_wait if max_wait is None else max_wait)

    def _refresh(self, stale_authorization: str, max_wait: float | None) -> None:
        """Renew the OAuth token once, unless another caller already did since our call was sent."""
        with _refresh_lock(self._auth):
            if self._auth.authorization() != stale_authorization:
                return
            token_url, form = self._auth.refresh_request()
            require_secure_url(token_url)
            reply = self._send(
                "POST",
                token_url,
                params=None,
                body=urllib.parse.urlencode(form).encode("ascii"),
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "application/json",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                idempotent=False,
                max_wait=max_wait,
            )
            if not 200 <= reply.status < 300:
                self._log_failure("POST", urllib.parse.urlsplit(token_url).path, reply)
                raise AuthError(self._auth.rejected_message, status=reply.status, raw=_text(reply))
            try:
                self._auth.accept_refresh(json.loads(reply.content))
            except (ValueError, AttributeError) as exc:
                raise ProtocolError(
                    "Harvest sent a sign-in renewal the widget could not read.", raw=_text(reply)
                ) from exc
            log.info("renewed the OAuth access token")

    # ---- errors ----------------------------------------------------------------------------------

    def _log_failure(self, method: str, path: str, reply: Reply) -> None:
        log.warning(
            "%s %s -> HTTP %d; body: %s",
            method,
            path,
            reply.status,
            redact(_text(reply)[:_LOGGED_BODY_CHARS]),
        )

    def _error(self, reply: Reply) -> HarvestError:
        status, raw = reply.status, _text(reply)
        if status == 401:
            return AuthError(self._auth.rejected_message, status=status, raw=raw)
        if status == 403:
            return ForbiddenError(
                "Harvest does not allow this: the entry is locked or your account lacks permission.",
                status=status,
                raw=raw,
            )
        if status == 404:
            return NotFoundError(
                "Harvest could not find this entry; it may have been deleted.", status=status, raw=raw
            )
        if status in (400, 422):
            detail = _short_message(raw)
            message = (
                f"Harvest refused the change: {detail.rstrip('.')}."
                if detail
                else "Harvest refused the change; check the project, task, date and hours."
            )
            return ValidationError(message, status=status, raw=raw)
        if status >= 500:
            return ServerError(
                f"Harvest is unavailable right now (HTTP {status}); try again later.", status=status, raw=raw
            )
        return ProtocolError(f"Harvest gave an unexpected answer (HTTP {status}).", status=status, raw=raw)


def _refresh_lock(auth: Auth) -> threading.Lock:
    with _refresh_locks_guard:
        return _refresh_locks.setdefault(auth, threading.Lock())


def _throttled(retry_at: float, status: int, reply: Reply) -> ThrottledError:
    moment = dt.datetime.fromtimestamp(retry_at, dt.UTC)
    return ThrottledError(
        f"Harvest is limiting calls from this account until {moment:%H:%M:%S} UTC.",
        retry_at=moment,
        status=status,
        raw=_text(reply),
    )


def _seconds_until_http_date(value: str, date_header: str | None, now: float) -> float | None:
    """Seconds until an HTTP-date, measured against the reply's own `Date` when it has one, so a
    difference between Harvest's clock and ours does not shorten or stretch the wait."""
    try:
        until = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    reference = now
    if date_header:
        try:
            reference = email.utils.parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError, IndexError):
            reference = now
    return until - reference


def _network_error(exc: requests.RequestException, idempotent: bool) -> NetworkError:
    if isinstance(exc, requests.exceptions.SSLError):
        return NetworkError("Could not make a secure connection to Harvest (certificate problem).")
    if _never_sent(exc):
        return NetworkError("Could not reach Harvest; check the internet connection.")
    maybe_applied = not idempotent
    if isinstance(exc, requests.Timeout):
        message = (
            "Harvest did not answer in time, so the change may or may not have been saved."
            if maybe_applied
            else "Harvest did not answer in time; try again later."
        )
    else:
        message = (
            "The connection to Harvest broke before it answered, so the change may or may not have been saved."
            if maybe_applied
            else "The connection to Harvest broke before it answered; try again later."
        )
    return NetworkError(message, maybe_applied=maybe_applied)


def _never_sent(exc: requests.RequestException) -> bool:
    """True when no byte of the request can have reached the server (refused, DNS, connect timeout)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = exc.args[0].reason if isinstance(exc.args[0], MaxRetryError) else exc.args[0]
        return isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return False


def _text(reply: Reply) -> str:
    return reply.content.decode("utf-8", errors="replace")


def _short_message(raw: str) -> str | None:
    """A short plain-text (or JSON `message`/`error`) body worth showing; None for HTML and essays."""
    text = raw.strip()
    if text.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        found = (
            next((data[k] for k in ("message", "error_description", "error") if k in data), None)
            if isinstance(data, dict)
            else None
        )
        text = found.strip() if isinstance(found, str) else ""
    if not text or len(text) > _SHORT_MESSAGE_CHARS or "\n" in text or "<" in text:
        return None
    return text
