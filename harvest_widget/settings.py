"""Non-secret settings: which Harvest to talk to, as whom, and the user's preferences.

One JSON object in `AppPaths.settings_file`. Passwords and tokens never come here (see
`credentials`). Loading tolerates missing keys (defaults) and keys it does not know (kept on save,
so an older version does not erase what a newer one wrote); a file that is not JSON, or a value of the
wrong kind, raises `SettingsError` with a sentence that names the file and what to do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from harvest_widget.core.account import HoursFormat
from harvest_widget.paths import AppPaths

log = logging.getLogger(__name__)

ApiVersion = Literal["v1", "v2"]
DataFormat = Literal["json", "xml"]
AuthKind = Literal["basic", "oauth", "pat"]

MIN_REFRESH_SECONDS = 60


class SettingsError(Exception):
    """The settings file cannot be used; `message` is one sentence for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app remembers between runs except secrets.

    `hours_format=None` shows hours as the Harvest account does; `account_id` is the Harvest account
    (v2's `Harvest-Account-Id`), `user_id` the signed-in user (from who_am_i).
    """

    server_url: str = ""
    api_version: ApiVersion = "v1"
    data_format: DataFormat = "json"
    auth_kind: AuthKind = "basic"
    email: str = ""
    account_id: int | None = None
    user_id: int | None = None
    oauth_client_id: str = ""
    hours_format: HoursFormat | None = None
    refresh_interval_seconds: int = 300
    notifications: bool = True
    start_at_login: bool = False
    start_hidden: bool = False

    @property
    def is_signed_in(self) -> bool:
        return bool(self.server_url and self.email)

    @property
    def account_key(self) -> str:
        """Names this Harvest login everywhere: keyring entry, cache rows, shared throttle budget."""
        return f"{self.auth_kind}:{self.email.strip().lower()}@{self.server_url.rstrip('/')}"

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes` applied, validated like a loaded file."""
        return settings_from_dict({**settings_to_dict(self), **_jsonable(changes)}, source="")


_CHOICES: dict[str, tuple[str, ...]] = {
    "api_version": get_args(ApiVersion),
    "data_format": get_args(DataFormat),
    "auth_kind": get_args(AuthKind),
}
_DEFAULTS = Settings()
_FIELDS = {f.name for f in dataclasses.fields(Settings)}


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, HoursFormat) else v) for k, v in values.items()}


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    return _jsonable({f: getattr(settings, f) for f in sorted(_FIELDS)})


def _invalid(source: str, key: str, value: object, expected: str) -> SettingsError:
    where = f" in {source}" if source else ""
    return SettingsError(f"Setting “{key}”{where} is {value!r}, expected {expected}; fix or remove it.")


def settings_from_dict(data: dict[str, Any], *, source: str) -> Settings:
    """Build `Settings` from a JSON object; unknown keys are ignored, missing keys take defaults."""
    return Settings(**{key: _checked(key, value, source) for key, value in data.items() if key in _FIELDS})


def _checked(key: str, value: Any, source: str) -> Any:
    """`value` as the field `key` holds it, or SettingsError saying what was expected."""
    default = getattr(_DEFAULTS, key)
    if key in _CHOICES:
        if value not in _CHOICES[key]:
            raise _invalid(source, key, value, " or ".join(_CHOICES[key]))
    elif key == "hours_format":
        if value is None:
            return None
        try:
            return HoursFormat(value)
        except ValueError:
            choices = " or ".join(f.value for f in HoursFormat)
            raise _invalid(source, key, value, f"null, {choices}") from None
    elif key in ("account_id", "user_id"):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise _invalid(source, key, value, "a whole number or null")
    elif key == "refresh_interval_seconds":
        if not isinstance(value, int) or isinstance(value, bool) or value < MIN_REFRESH_SECONDS:
            raise _invalid(source, key, value, f"a whole number of seconds, at least {MIN_REFRESH_SECONDS}")
    elif isinstance(default, bool):
        if not isinstance(value, bool):
            raise _invalid(source, key, value, "true or false")
    elif isinstance(default, str) and not isinstance(value, str):
        raise _invalid(source, key, value, "text")
    return value


def load_settings(paths: AppPaths) -> Settings:
    """The saved settings, or the defaults when there is no file yet."""
    file = paths.settings_file
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as error:
        raise SettingsError(f"Cannot read the settings file {file} ({error.strerror}).") from error
    data = _parse(text, file)
    ignored = sorted(set(data) - _FIELDS)
    if ignored:
        log.info("settings: keeping keys this version does not use: %s", ", ".join(ignored))
    return settings_from_dict(data, source=str(file))


def _parse(text: str, file: Path) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise SettingsError(f"The settings file {file} is damaged (not a JSON object); fix or delete it.")
    return data


def save_settings(paths: AppPaths, settings: Settings) -> None:
    """Write atomically (temp file + rename), owner-only, keeping keys this version does not know."""
    file = paths.settings_file
    file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    kept: dict[str, Any] = {}
    # No file yet, or a damaged one that this write replaces: nothing to keep.
    with contextlib.suppress(OSError, SettingsError):
        kept = {k: v for k, v in _parse(file.read_text(encoding="utf-8"), file).items() if k not in _FIELDS}
    text = json.dumps({**kept, **settings_to_dict(settings)}, indent=2, sort_keys=True) + "\n"
    fd, temp_name = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=file.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as temp:
            temp.write(text)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, file)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
