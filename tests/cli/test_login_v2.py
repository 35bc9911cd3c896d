"""`login` for Harvest API v2 end to end against the sandbox: Harvest ID in a scripted browser (the
authorize redirect, the loopback callback, the code exchange, the account), renewal before expiry
after a restart, and the API detected from the address and the credential."""

from __future__ import annotations

import io
import json
import time

import pytest

from harvest_widget.cli import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, main
from harvest_widget.credentials import CredentialStore
from harvest_widget.sandbox import Sandbox
from harvest_widget.settings import load_settings
from tests.api.test_v2_oauth_loopback import ScriptedBrowser
from tests.cli.conftest import Cli, Result
from tests.memory_keyring import MemoryKeyring


def harvest_id_login(cli: Cli, browser: ScriptedBrowser, *extra: str, answer: str = "") -> Result:
    """`login --harvest-id` with the client secret on stdin's first line and `answer` on the next."""
    client = cli.sandbox.oauth_client
    cli.capsys.readouterr()
    code = main(
        ["login", "--url", cli.sandbox.url, "--harvest-id", "--client-id", client.client_id,
         "--client-secret-stdin", "--timeout", "10", *extra],
        stdin=io.StringIO(f"{client.client_secret}\n{answer}"),
        open_browser=browser,
    )  # fmt: skip
    captured = cli.capsys.readouterr()
    cli.outputs.extend((captured.out, captured.err))
    return Result(code, captured.out, captured.err)


def test_harvest_id_login_signs_in_through_the_browser_and_keeps_tokens_only_in_the_keyring(
    cli: Cli, memory_keyring: MemoryKeyring
) -> None:
    member = cli.sandbox.users["member"]
    browser = ScriptedBrowser(login=(member.email, member.password))
    result = harvest_id_login(cli, browser)
    assert result.code == EXIT_OK, result.err
    assert "Signed in as Milo Member" in result.out
    assert browser.opened and browser.opened[0] in result.err  # the address is shown too
    assert browser.pages[0].status_code == 200
    settings = load_settings(cli.home)
    assert (settings.api_version, settings.auth_kind, settings.account_id) == (
        "v2",
        "oauth",
        member.company.id,
    )
    assert settings.oauth_client_id == cli.sandbox.oauth_client.client_id
    kept = CredentialStore().get(settings.account_key)
    assert (
        kept is not None
        and kept.refresh_token
        and kept.client_secret == cli.sandbox.oauth_client.client_secret
    )
    assert kept.expires_at is not None and kept.expires_at > time.time() + 3600
    text = cli.home.settings_file.read_text()
    assert kept.client_secret not in text and kept.access_token not in text  # type: ignore[operator]
    assert cli("add", "website", "design", "0.5", "--notes", "via harvest id").code == EXIT_OK
    assert [e.notes for e in cli.sandbox.entries("member")].count("via harvest id") == 1


def test_a_token_near_its_saved_expiry_is_renewed_before_the_first_call_after_a_restart(
    cli: Cli, memory_keyring: MemoryKeyring
) -> None:
    assert harvest_id_login(cli, ScriptedBrowser()).code == EXIT_OK
    settings = load_settings(cli.home)
    key = next(iter(memory_keyring.store))
    stored = json.loads(memory_keyring.store[key])
    stored["expires_at"] = time.time() + 60  # inside the renewal margin, not yet expired
    memory_keyring.store[key] = json.dumps(stored)
    cli.sandbox.clear_requests()
    assert cli("day").code == EXIT_OK  # a new process would read the same keyring entry
    paths = [r.path for r in cli.sandbox.requests]
    assert paths[0] == "/api/v2/oauth2/token" and 401 not in [r.status for r in cli.sandbox.requests]
    renewed = CredentialStore().get(settings.account_key)
    assert renewed is not None and renewed.access_token != stored["access_token"]
    assert renewed.expires_at is not None and renewed.expires_at > time.time() + 3600


def test_harvest_id_login_with_an_account_it_does_not_have_saves_nothing(
    cli: Cli, memory_keyring: MemoryKeyring
) -> None:
    result = harvest_id_login(cli, ScriptedBrowser(), "--account-id", "424242")
    assert result.code == EXIT_NOT_FOUND and "no Harvest account 424242" in result.err
    assert "--account-id" in result.err and memory_keyring.store == {}
    assert not cli.home.settings_file.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--harvest-id", "--client-id", "x"], "--client-secret-stdin"),
        (["--harvest-id", "--api", "v1", "--client-id", "x", "--client-secret-stdin"], "for API v2"),
        (["--password-stdin", "--email", "a@b.c", "--api", "v2"], "no password sign-in"),
        (["--token-stdin", "--client-id", "x"], "go with --harvest-id"),
    ],
)
def test_harvest_id_usage_errors_are_one_line(cli: Cli, argv: list[str], message: str) -> None:
    result = cli("login", "--url", cli.sandbox.url, *argv, stdin="secret\n")
    assert result.code == EXIT_USAGE and message in result.err and result.err.count("\n") == 1
    assert cli.sandbox.requests == []


def test_a_token_with_an_account_id_is_detected_as_v2(cli: Cli, sandbox: Sandbox) -> None:
    admin = sandbox.users["admin"]
    result = cli(
        "login", "--url", sandbox.url, "--account-id", str(admin.company.id), "--token-stdin",
        stdin=admin.access_token,
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    assert load_settings(cli.home).api_version == "v2"
    assert any(r.path == "/v2/users/me" for r in sandbox.requests)


@pytest.mark.parametrize("answer", ["1\n", ""])
def test_with_several_harvest_accounts_login_asks_which_one_or_names_the_choices(
    cli: Cli, memory_keyring: MemoryKeyring, answer: str
) -> None:
    admin = cli.sandbox.users["admin"]
    cli.sandbox.harvest_id.other_accounts.append({"id": 777, "name": "Other Studio", "product": "harvest"})
    result = harvest_id_login(cli, ScriptedBrowser(), answer=answer)
    assert "Other Studio (--account-id 777)" in result.err and admin.company.name in result.err
    if answer:
        assert result.code == EXIT_OK, result.err
        assert load_settings(cli.home).account_id == admin.company.id
    else:  # nobody answered (a script): name the choices, save nothing
        assert result.code == EXIT_USAGE and "choose one with --account-id" in result.err
        assert memory_keyring.store == {}
    picked = harvest_id_login(cli, ScriptedBrowser(), "--account-id", str(admin.company.id))
    assert picked.code == EXIT_OK and "Which one?" not in picked.err
