"""Every command against the real sandbox over HTTP: online, offline, throttled, wrong credentials."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from decimal import Decimal
from typing import Literal

import keyring
import keyring.backends.fail
import pytest

from harvest_widget import cli as cli_module
from harvest_widget.cli import (
    EXIT_AUTH,
    EXIT_ERROR,
    EXIT_KEYRING,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_SAVED_LOCALLY,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
)
from harvest_widget.credentials import SERVICE
from harvest_widget.sandbox import Fault, SandboxEntry
from tests.cli.conftest import Cli
from tests.memory_keyring import MemoryKeyring
from tests.sync.harvest import WHO_AM_I


def server_entries(cli: Cli, notes: str) -> list[SandboxEntry]:
    return [e for e in cli.sandbox.entries("admin") if e.notes == notes]


def one_line_error(text: str) -> bool:
    return text.count("\n") == 1 and text.startswith("harvest-widget: ") and "Traceback" not in text


# -- login / logout -----------------------------------------------------------------------------------


def test_login_checks_with_harvest_and_keeps_the_password_only_in_the_keyring(
    cli: Cli, memory_keyring: MemoryKeyring
) -> None:
    result = cli.login()
    assert result.code == EXIT_OK, result.err
    assert "Signed in as Dana Demo" in result.out
    assert any(r.path.endswith("who_am_i") for r in cli.sandbox.requests)
    settings = json.loads(cli.home.settings_file.read_text())
    assert settings["email"] == cli.sandbox.users["admin"].email
    assert cli.sandbox.users["admin"].password not in cli.home.settings_file.read_text()
    assert [key[0] for key in memory_keyring.store] == [SERVICE]


def test_login_with_a_wrong_password_is_one_line_and_saves_nothing(
    cli: Cli, memory_keyring: MemoryKeyring
) -> None:
    person = cli.sandbox.users["admin"]
    result = cli(
        "login", "--url", cli.sandbox.url, "--email", person.email, "--password-stdin", stdin="wrong-pass\n"
    )
    assert result.code == EXIT_AUTH
    assert one_line_error(result.err)
    assert "did not accept that email and password" in result.err
    assert memory_keyring.store == {}
    assert not cli.home.settings_file.exists()


def test_login_with_an_oauth_token_and_xml(cli: Cli) -> None:
    token = cli.sandbox.users["member"].access_token
    result = cli("login", "--url", cli.sandbox.url, "--token-stdin", "--format", "xml", stdin=token)
    assert result.code == EXIT_OK, result.err
    assert "Milo Member" in result.out
    status = cli("status", "--json", "--cached").json()
    assert status["data_format"] == "xml"
    assert status["user"]["email"] == cli.sandbox.users["member"].email


def test_login_to_an_unreachable_server_says_so(cli: Cli) -> None:
    url = cli.sandbox.url
    cli.sandbox.stop()
    result = cli("login", "--url", url, "--email", "a@b.c", "--password-stdin", stdin="pw-1234")
    assert result.code == EXIT_UNREACHABLE
    assert one_line_error(result.err)


def test_login_without_a_usable_keyring_is_one_line_before_any_call(cli: Cli) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        result = cli.login()
    finally:
        keyring.set_keyring(previous)
    assert result.code == EXIT_KEYRING
    assert one_line_error(result.err)
    assert "keyring" in result.err
    assert cli.sandbox.requests == []


def test_commands_need_a_keyring_once_signed_in(signed_in: Cli) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        result = signed_in("day")
    finally:
        keyring.set_keyring(previous)
    assert result.code == EXIT_KEYRING
    assert one_line_error(result.err)


def test_not_signed_in_is_an_auth_error(cli: Cli) -> None:
    result = cli("status")
    assert result.code == EXIT_AUTH
    assert one_line_error(result.err)
    assert "login" in result.err


def test_logout_forgets_the_secret(signed_in: Cli, memory_keyring: MemoryKeyring) -> None:
    result = signed_in("logout")
    assert result.code == EXIT_OK, result.err
    assert memory_keyring.store == {}
    assert signed_in("status").code == EXIT_AUTH


def test_logout_refuses_while_changes_are_unsynced_unless_forced(signed_in: Cli) -> None:
    signed_in.sandbox.stop()
    assert (
        signed_in("add", "website", "design", "1", "--notes", "offline-before-logout").code
        == EXIT_SAVED_LOCALLY
    )
    refused = signed_in("logout")
    assert refused.code == EXIT_SAVED_LOCALLY
    assert one_line_error(refused.err)
    assert "--force" in refused.err
    forced = signed_in("logout", "--force")
    assert forced.code == EXIT_OK
    assert "still queued" in forced.err


# -- reading ------------------------------------------------------------------------------------------


def test_projects_lists_projects_and_tasks_as_text_and_json(signed_in: Cli) -> None:
    text = signed_in("projects")
    assert text.code == EXIT_OK
    assert "[ACME-01] Website Redesign (Acme" in text.out
    projects = signed_in("projects", "--json").json()
    website = next(p for p in projects if p["code"] == "ACME-01")
    assert set(website) == {"id", "name", "code", "client", "client_id", "billable", "tasks"}
    assert {t["name"] for t in website["tasks"]} >= {"Design", "Development"}


def test_day_shows_the_servers_entries_with_ids_and_hours(signed_in: Cli) -> None:
    sandbox = signed_in.sandbox
    user = sandbox.users["admin"]
    today = sandbox.world.today(user)
    on_server = [e for e in sandbox.entries("admin") if e.spent_at == today]
    day = signed_in("day", "--json").json()
    assert day["date"] == today.isoformat()
    assert {e["id"] for e in day["entries"]} == {e.id for e in on_server}
    assert set(day) == {"date", "total_hours", "entries", "sync"}
    text = signed_in("day", "today")
    assert text.code == EXIT_OK
    for entry in on_server:
        assert str(entry.id) in text.out


def test_day_accepts_relative_and_iso_dates(signed_in: Cli) -> None:
    today = signed_in.sandbox.world.today(signed_in.sandbox.users["admin"])
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert signed_in("day", "-1", "--json").json()["date"] == yesterday
    assert signed_in("day", yesterday, "--json").json()["date"] == yesterday
    bad = signed_in("day", "someday")
    assert bad.code == EXIT_USAGE and one_line_error(bad.err)


def test_status_reports_user_running_timer_and_sync_state(signed_in: Cli) -> None:
    status = signed_in("status", "--json").json()
    assert status["signed_in"] is True
    assert status["user"]["name"] == "Dana Demo"
    assert status["sync"]["pending"] == 0
    assert set(status) >= {"server_url", "api_version", "today", "today_hours", "running", "sync"}
    text = signed_in("status")
    assert text.code == EXIT_OK
    assert "All changes are on Harvest" in text.out


# -- changing, online ---------------------------------------------------------------------------------


def test_add_reaches_harvest_once_and_shows_in_day(signed_in: Cli) -> None:
    result = signed_in("add", "website", "design", "1:30", "--notes", "cli-add")
    assert result.code == EXIT_OK, result.err
    [entry] = server_entries(signed_in, "cli-add")
    assert entry.hours == Decimal("1.50")
    assert entry.project.code == "ACME-01" and entry.task.name == "Design"
    assert f"Added: {entry.id}" in result.out
    day = signed_in("day", "--json", "--cached").json()
    assert any(e["id"] == entry.id and e["state"] == "synced" for e in day["entries"])


def test_add_on_another_date_with_decimal_hours(signed_in: Cli) -> None:
    result = signed_in("add", "ACME-02", "dev", "0.75", "--notes", "cli-yesterday", "--date", "yesterday")
    assert result.code == EXIT_OK, result.err
    [entry] = server_entries(signed_in, "cli-yesterday")
    today = signed_in.sandbox.world.today(signed_in.sandbox.users["admin"])
    assert entry.spent_at == today - dt.timedelta(days=1)
    assert entry.hours == Decimal("0.75")


def test_ambiguous_or_unknown_project_changes_nothing(signed_in: Cli) -> None:
    before = len(signed_in.sandbox.entries("admin"))
    ambiguous = signed_in("add", "acme", "design", "1")
    assert ambiguous.code == EXIT_USAGE
    assert one_line_error(ambiguous.err)
    assert "Website Redesign" in ambiguous.err and "Mobile App" in ambiguous.err
    unknown = signed_in("add", "moonbase", "design", "1")
    assert unknown.code == EXIT_NOT_FOUND
    bad_hours = signed_in("add", "website", "design", "lots")
    assert bad_hours.code == EXIT_USAGE
    assert len(signed_in.sandbox.entries("admin")) == before


def test_start_and_stop_a_new_timer(signed_in: Cli) -> None:
    started = signed_in("start", "internal", "admin", "--notes", "cli-timer", "--json")
    assert started.code == EXIT_OK, started.err
    [entry] = server_entries(signed_in, "cli-timer")
    assert entry.running
    assert started.json()["entry"]["running"] is True
    assert signed_in("status", "--json").json()["running"]["id"] == entry.id
    stopped = signed_in("stop")
    assert stopped.code == EXIT_OK, stopped.err
    [entry] = server_entries(signed_in, "cli-timer")
    assert not entry.running
    again = signed_in("stop")
    assert again.code == EXIT_NOT_FOUND and one_line_error(again.err)


def test_start_entry_restarts_an_existing_entry(signed_in: Cli) -> None:
    assert signed_in("add", "website", "meetings", "0.5", "--notes", "cli-restart").code == EXIT_OK
    [entry] = server_entries(signed_in, "cli-restart")
    result = signed_in("start", "--entry", str(entry.id))
    assert result.code == EXIT_OK, result.err
    running = [e for e in signed_in.sandbox.entries("admin") if e.running]
    assert [e.notes for e in running] == ["cli-restart"]
    signed_in("stop")


def test_edit_changes_notes_hours_project_task_and_date(signed_in: Cli) -> None:
    assert signed_in("add", "website", "design", "1", "--notes", "cli-edit").code == EXIT_OK
    [entry] = server_entries(signed_in, "cli-edit")
    result = signed_in(
        "edit", str(entry.id), "--notes", "cli-edited", "--hours", "2h15", "--project", "annual", "--task",
        "research", "--date", "-1",
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    [edited] = server_entries(signed_in, "cli-edited")
    assert edited.id == entry.id
    assert edited.hours == Decimal("2.25")
    assert edited.project.name == "Annual Report" and edited.task.name == "Research"
    assert edited.spent_at == entry.spent_at - dt.timedelta(days=1)
    nothing = signed_in("edit", str(entry.id))
    assert nothing.code == EXIT_USAGE


def test_rm_deletes_on_harvest(signed_in: Cli) -> None:
    assert signed_in("add", "internal", "admin", "0.25", "--notes", "cli-rm").code == EXIT_OK
    [entry] = server_entries(signed_in, "cli-rm")
    result = signed_in("rm", str(entry.id))
    assert result.code == EXIT_OK, result.err
    assert server_entries(signed_in, "cli-rm") == []
    missing = signed_in("rm", "999999999")
    assert missing.code == EXIT_NOT_FOUND and one_line_error(missing.err)


def test_sync_with_nothing_queued_is_done(signed_in: Cli) -> None:
    result = signed_in("sync")
    assert result.code == EXIT_OK, result.err
    assert "Sent 0 changes" in result.out


# -- offline, throttled, wrong credentials ------------------------------------------------------------


def test_offline_changes_are_saved_locally_then_reach_harvest_exactly_once(signed_in: Cli) -> None:
    sandbox = signed_in.sandbox
    sandbox.stop()
    added = signed_in("add", "website", "design", "1", "--notes", "cli-offline", "--json")
    assert added.code == EXIT_SAVED_LOCALLY
    assert one_line_error(added.err) and "saved locally" in added.err
    local_id = next(
        e["id"]
        for e in signed_in("day", "--json", "--cached").json()["entries"]
        if e["notes"] == "cli-offline"
    )
    assert local_id < 0
    edited = signed_in("edit", str(local_id), "--notes", "cli-offline-edited")
    assert edited.code == EXIT_SAVED_LOCALLY
    day = signed_in("day")
    assert day.code == EXIT_OK and "pending" in day.out and str(local_id) in day.out
    assert "showing the local cache" in day.err

    sandbox.start()
    synced = signed_in("sync")
    assert synced.code == EXIT_OK, synced.err
    assert server_entries(signed_in, "cli-offline") == []
    [entry] = server_entries(signed_in, "cli-offline-edited")
    assert entry.hours == Decimal("1.00")
    assert signed_in.creates() == 1
    # The local id still names the entry after sync.
    assert signed_in("rm", str(local_id)).code == EXIT_OK
    assert server_entries(signed_in, "cli-offline-edited") == []


def test_throttled_change_is_saved_locally_without_waiting(signed_in: Cli) -> None:
    sandbox = signed_in.sandbox
    sandbox.faults.add(signed_in.throttle(4, method="POST"))
    began = time.monotonic()
    result = signed_in("add", "website", "design", "1", "--notes", "cli-throttled")
    assert time.monotonic() - began < 10
    assert result.code == EXIT_SAVED_LOCALLY
    assert one_line_error(result.err) and "throttling" in result.err
    assert server_entries(signed_in, "cli-throttled") == []
    deadline = time.monotonic() + 10
    while (code := signed_in("sync").code) != EXIT_OK and time.monotonic() < deadline:
        time.sleep(0.2)
    assert code == EXIT_OK
    assert len(server_entries(signed_in, "cli-throttled")) == 1


def test_rejected_credentials_keep_the_change_and_say_login(
    signed_in: Cli, memory_keyring: MemoryKeyring
) -> None:
    key = next(iter(memory_keyring.store))
    memory_keyring.store[key] = signed_in.stale_secret()
    result = signed_in("add", "website", "design", "1", "--notes", "cli-auth")
    assert result.code == EXIT_AUTH
    assert one_line_error(result.err) and "login" in result.err
    assert server_entries(signed_in, "cli-auth") == []
    assert signed_in.login().code == EXIT_OK
    assert signed_in("sync").code == EXIT_OK
    assert len(server_entries(signed_in, "cli-auth")) == 1


def test_unexpected_failure_is_one_line_and_the_traceback_goes_to_the_log(signed_in: Cli) -> None:
    cache = signed_in.home.cache_db
    for path in cache.parent.glob(cache.name + "*"):
        path.unlink()
    cache.mkdir()  # the cache path is a folder: nothing the command line expects
    result = signed_in("day")
    assert result.code == EXIT_ERROR
    assert one_line_error(result.err)
    assert str(signed_in.home.log_file) in result.err
    assert "Traceback" in signed_in.home.log_file.read_text()


def test_damaged_settings_are_one_line(cli: Cli) -> None:
    cli.home.settings_file.write_text("{oops")
    result = cli("status")
    assert result.code == EXIT_ERROR
    assert one_line_error(result.err) and "settings" in result.err


# -- secrets ------------------------------------------------------------------------------------------


def test_no_secret_reaches_output_settings_cache_or_logs(signed_in: Cli) -> None:
    sandbox = signed_in.sandbox
    password = signed_in.secret()
    token = sandbox.users["member"].access_token
    signed_in("add", "website", "design", "1", "--notes", "cli-secret")
    signed_in("login", "--url", sandbox.url, "--email", "x@y.z", "--password-stdin", stdin="wrong-secret-pw")
    signed_in("login", "--url", sandbox.url, "--token-stdin", stdin=token)
    signed_in("day", "--json")
    sandbox.stop()
    signed_in("add", "website", "design", "1", "--notes", "cli-secret-offline")
    signed_in("status")
    signed_in("logout", "--force")
    secrets = (password, token, "wrong-secret-pw")
    for text in signed_in.outputs:
        assert not any(s in text for s in secrets)
    files = [p for p in signed_in.home.config_dir.parent.rglob("*") if p.is_file()]
    assert len(files) >= 3  # settings, cache, log at least
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret!r} found in {path}"


def test_every_kind_of_change_made_offline_reaches_harvest_exactly_once(signed_in: Cli) -> None:
    sandbox = signed_in.sandbox
    assert signed_in("add", "website", "design", "1", "--notes", "seq-base").code == EXIT_OK
    assert signed_in("add", "internal", "admin", "0.5", "--notes", "seq-doomed").code == EXIT_OK
    [base] = server_entries(signed_in, "seq-base")
    [doomed] = server_entries(signed_in, "seq-doomed")
    sandbox.stop()
    offline = [
        ("start", "internal", "meetings", "--notes", "seq-timer"),
        ("stop",),
        ("edit", str(base.id), "--notes", "seq-base-edited", "--hours", "2"),
        ("add", "mobile", "design", "0:45", "--notes", "seq-new"),
        ("rm", str(doomed.id)),
        ("start", "--entry", str(base.id)),
        ("stop",),
    ]
    for argv in offline:
        result = signed_in(*argv)
        assert result.code == EXIT_SAVED_LOCALLY, (argv, result.err)
        assert one_line_error(result.err)
    sandbox.clear_requests()
    sandbox.start()
    assert signed_in("sync").code == EXIT_OK
    assert [e.running for e in server_entries(signed_in, "seq-timer")] == [False]
    [edited] = server_entries(signed_in, "seq-base-edited")
    assert edited.id == base.id and not edited.running and edited.hours == Decimal("2.00")
    assert [e.hours for e in server_entries(signed_in, "seq-new")] == [Decimal("0.75")]
    assert server_entries(signed_in, "seq-doomed") == []
    assert signed_in.creates() == 2
    assert signed_in("status", "--json").json()["sync"]["pending"] == 0


def test_the_real_throttle_is_respected_and_nothing_is_lost(signed_in: Cli) -> None:
    sandbox = signed_in.sandbox
    sandbox.set_throttle(3, 4.0)  # lockout = 4 s, longer than a command waits
    sandbox.clear_requests()
    codes = []
    for n in range(3):
        began = time.monotonic()
        codes.append(signed_in("add", "website", "design", "0.25", "--notes", f"throttle-{n}").code)
        assert time.monotonic() - began < 5
    assert set(codes) <= {EXIT_OK, EXIT_SAVED_LOCALLY}
    assert EXIT_SAVED_LOCALLY in codes
    deadline = time.monotonic() + 15
    while signed_in("sync").code != EXIT_OK:
        assert time.monotonic() < deadline
        time.sleep(0.25)
    for n in range(3):
        assert len(server_entries(signed_in, f"throttle-{n}")) == 1
    # Nothing was sent while the lockout lasted: each lockout was met by exactly one refused call.
    refused = [r for r in sandbox.requests if r.status == signed_in.throttle_status]
    assert 1 <= len(refused) <= 2


def test_a_slow_harvest_does_not_hold_the_terminal_and_the_change_lands_once(
    signed_in: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_module, "SYNC_WAIT_SECONDS", 0.5)
    signed_in.sandbox.faults.add(Fault("latency", seconds=2.0, method="POST", times=1))
    began = time.monotonic()
    result = signed_in("add", "website", "design", "1", "--notes", "cli-slow", "--json")
    assert time.monotonic() - began < 2.0
    assert result.code == EXIT_SAVED_LOCALLY
    assert "slow to answer" in result.err
    assert result.json()["synced"] is False
    deadline = time.monotonic() + 10
    while signed_in("sync").code != EXIT_OK:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert len(server_entries(signed_in, "cli-slow")) == 1


def test_login_asks_harvest_who_the_user_is_once(cli: Cli, api: Literal["v1", "v2"]) -> None:
    cli.api = api
    assert cli.login().code == EXIT_OK
    asked = Counter(r.path for r in cli.sandbox.requests if r.path in WHO_AM_I[api])
    assert asked == Counter(WHO_AM_I[api])


def test_login_over_api_v2_with_a_personal_access_token(cli: Cli) -> None:
    admin = cli.sandbox.users["admin"]
    refused = cli("login", "--url", cli.sandbox.url, "--api", "v2", "--token-stdin", stdin=admin.access_token)
    assert refused.code == EXIT_USAGE and "--account-id" in refused.err
    result = cli(
        "login", "--url", cli.sandbox.url, "--api", "v2", "--account-id", str(admin.company.id), "--token-stdin",
        stdin=admin.access_token,
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    assert cli("add", "website", "design", "0.5", "--notes", "cli-v2").code == EXIT_OK
    assert [e.hours for e in server_entries(cli, "cli-v2")] == [Decimal("0.50")]
    assert cli("status", "--json").json()["api_version"] == "v2"


def test_a_change_to_an_entry_deleted_elsewhere_is_kept_as_a_conflict(signed_in: Cli) -> None:
    sandbox = signed_in.sandbox
    assert signed_in("add", "website", "design", "1", "--notes", "cli-gone").code == EXIT_OK
    [entry] = server_entries(signed_in, "cli-gone")
    admin = sandbox.world.user_by_name("admin")
    sandbox.world.delete(admin, admin, entry.id)  # someone deleted it in the web app
    result = signed_in("edit", str(entry.id), "--notes", "cli-gone-edited")
    assert result.code == EXIT_REFUSED
    assert one_line_error(result.err) and "refused" in result.err
    status = signed_in("status", "--json", "--cached").json()
    assert status["sync"]["conflicts"] == 1
    [op] = status["attention"]
    assert op["entry_id"] == entry.id and op["state"] == "conflict" and op["message"]
    text = signed_in("status", "--cached")
    assert f"#{op['op_id']} conflict:" in text.out


def test_resolve_recreates_or_discards_a_refused_change(signed_in: Cli) -> None:
    sandbox = signed_in.sandbox
    admin = sandbox.world.user_by_name("admin")
    for notes in ("cli-recreate", "cli-discard"):
        assert signed_in("add", "website", "design", "1", "--notes", notes).code == EXIT_OK
        [entry] = server_entries(signed_in, notes)
        sandbox.world.delete(admin, admin, entry.id)
        assert signed_in("edit", str(entry.id), "--notes", f"{notes}-edited").code == EXIT_REFUSED
    ops = {op["summary"]: op["op_id"] for op in signed_in("status", "--json").json()["attention"]}
    assert len(ops) == 2
    recreate = next(op_id for summary, op_id in ops.items() if "cli-recreate" in summary)
    discard = next(op_id for summary, op_id in ops.items() if "cli-discard" in summary)
    result = signed_in("resolve", str(recreate), "recreate")
    assert result.code == EXIT_OK, result.err
    assert [e.notes for e in sandbox.entries("admin") if e.notes.startswith("cli-recreate")] == [
        "cli-recreate-edited"
    ]
    assert signed_in("resolve", str(discard), "discard").code == EXIT_OK
    assert signed_in("status", "--json").json()["attention"] == []
    assert signed_in("resolve", str(discard), "retry").code == EXIT_NOT_FOUND


def test_changing_the_hours_of_a_running_timer_is_a_clear_refusal(signed_in: Cli) -> None:
    assert signed_in("start", "internal", "admin", "--notes", "cli-running").code == EXIT_OK
    [entry] = server_entries(signed_in, "cli-running")
    result = signed_in("edit", str(entry.id), "--hours", "1")
    assert result.code == EXIT_USAGE
    assert one_line_error(result.err) and "Stop the timer" in result.err
    signed_in("stop")


def test_a_project_assigned_since_the_last_read_is_found(cli: Cli) -> None:
    assert cli.login("member").code == EXIT_OK
    assert "Mobile App" not in cli("projects", "--cached").out
    member = cli.sandbox.users["member"]
    # An admin assigns the member to another project in the web app.
    cli.sandbox.world.catalog.assignments[member.id] = (2001, 2004, 2002)
    result = cli("add", "mobile", "design", "0.5", "--notes", "cli-new-project")
    assert result.code == EXIT_OK, result.err
    assert [e.project.name for e in cli.sandbox.entries("member") if e.notes == "cli-new-project"] == [
        "Mobile App"
    ]
