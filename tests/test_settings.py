from __future__ import annotations

import json
import os
import stat

import pytest

from harvest_widget.core.account import HoursFormat
from harvest_widget.paths import AppPaths
from harvest_widget.settings import Settings, SettingsError, load_settings, save_settings


def test_missing_file_gives_defaults(home: AppPaths) -> None:
    assert load_settings(home) == Settings()
    assert not Settings().is_signed_in


def test_save_then_load_round_trips_every_field(home: AppPaths) -> None:
    settings = Settings(
        server_url="https://acme.harvestapp.com",
        api_version="v2",
        data_format="xml",
        auth_kind="oauth",
        email="ada@example.com",
        account_id=12345,
        user_id=7,
        oauth_client_id="client-abc",
        hours_format=HoursFormat.HOURS_MINUTES,
        refresh_interval_seconds=600,
        notifications=False,
        start_at_login=True,
        start_hidden=True,
    )
    save_settings(home, settings)
    assert load_settings(home) == settings


def test_file_is_owner_only_and_no_temp_file_is_left(home: AppPaths) -> None:
    save_settings(home, Settings(email="a@b.c"))
    mode = stat.S_IMODE(os.stat(home.settings_file).st_mode)
    assert mode == 0o600
    assert [p.name for p in home.config_dir.iterdir()] == ["settings.json"]


def test_missing_keys_take_defaults_and_unknown_keys_survive_a_save(home: AppPaths) -> None:
    home.settings_file.write_text(json.dumps({"email": "a@b.c", "from_the_future": [1, 2]}))
    loaded = load_settings(home)
    assert loaded == Settings(email="a@b.c")
    save_settings(home, loaded.replace(notifications=False))
    on_disk = json.loads(home.settings_file.read_text())
    assert on_disk["from_the_future"] == [1, 2]
    assert on_disk["notifications"] is False


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "", "null"])
def test_damaged_file_is_a_clear_error_naming_the_file(home: AppPaths, content: str) -> None:
    home.settings_file.write_text(content)
    with pytest.raises(SettingsError) as caught:
        load_settings(home)
    assert str(home.settings_file) in caught.value.message
    assert "fix or delete" in caught.value.message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("api_version", "v3"),
        ("data_format", "yaml"),
        ("auth_kind", "magic"),
        ("hours_format", "roman"),
        ("account_id", "12"),
        ("refresh_interval_seconds", 5),
        ("notifications", "yes"),
        ("email", 42),
    ],
)
def test_value_of_the_wrong_kind_is_a_clear_error_naming_the_key(
    home: AppPaths, key: str, value: object
) -> None:
    home.settings_file.write_text(json.dumps({key: value}))
    with pytest.raises(SettingsError, match=key):
        load_settings(home)


def test_saving_over_a_damaged_file_replaces_it(home: AppPaths) -> None:
    home.settings_file.write_text("{garbage")
    save_settings(home, Settings(email="a@b.c"))
    assert load_settings(home).email == "a@b.c"


def test_account_key_ignores_email_case_and_trailing_slash() -> None:
    one = Settings(server_url="https://x.harvestapp.com/", email="Ada@Example.com")
    two = Settings(server_url="https://x.harvestapp.com", email="ada@example.com")
    assert one.account_key == two.account_key
    assert one.is_signed_in
