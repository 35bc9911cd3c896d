"""The command line over the real sandbox: entries found by id on any day, `logout --discard`, and
offline commands that do not sit through network retries."""

from __future__ import annotations

from harvest_widget.cli import EXIT_OK, EXIT_SAVED_LOCALLY, EXIT_USAGE
from tests.cli.conftest import Cli


def _on_server(cli: Cli, notes: str) -> list[int]:
    return [e.id for e in cli.sandbox.entries("admin") if e.notes == notes]


def test_an_entry_400_days_old_can_be_edited_restarted_and_removed_by_id(signed_in: Cli) -> None:
    assert (
        signed_in("add", "website", "design", "1", "--notes", "cli-ancient", "--date", "-400").code == EXIT_OK
    )
    [entry_id] = _on_server(signed_in, "cli-ancient")

    edited = signed_in("edit", str(entry_id), "--notes", "cli-ancient-edited")
    assert edited.code == EXIT_OK, edited.err
    assert _on_server(signed_in, "cli-ancient-edited") == [entry_id]

    restarted = signed_in("start", "--entry", str(entry_id))
    assert restarted.code == EXIT_OK, restarted.err
    assert [e.notes for e in signed_in.sandbox.entries("admin") if e.running] == ["cli-ancient-edited"]

    removed = signed_in("rm", str(entry_id))
    assert removed.code == EXIT_OK, removed.err
    assert _on_server(signed_in, "cli-ancient-edited") == []


def test_logout_discard_drops_unsent_changes_for_good(signed_in: Cli) -> None:
    sandbox = signed_in.sandbox
    sandbox.stop()
    assert signed_in("add", "website", "design", "1", "--notes", "cli-discarded").code == EXIT_SAVED_LOCALLY
    refused = signed_in("logout")
    assert refused.code == EXIT_SAVED_LOCALLY and "--discard" in refused.err and "--force" in refused.err
    assert signed_in("logout", "--force", "--discard").code == EXIT_USAGE

    discarded = signed_in("logout", "--discard")
    assert discarded.code == EXIT_OK, discarded.err
    assert "Discarded 1 change" in discarded.err

    sandbox.start()
    assert signed_in.login().code == EXIT_OK
    assert signed_in("sync").code == EXIT_OK
    assert _on_server(signed_in, "cli-discarded") == []
    assert not [r for r in sandbox.requests if r.method == "POST" and r.path == "/daily/add"]


def test_logout_help_says_what_force_and_discard_do_with_unsent_changes(cli: Cli) -> None:
    shown = cli("logout", "--help")
    assert shown.code == EXIT_OK
    assert "--force" in shown.out and "stay queued" in shown.out
    assert "--discard" in shown.out and "lost" in shown.out


def test_an_offline_change_is_queued_without_network_retries(signed_in: Cli) -> None:
    signed_in.sandbox.stop()
    added = signed_in("add", "website", "design", "1", "--notes", "cli-offline-fast")
    assert added.code == EXIT_SAVED_LOCALLY
    log = signed_in.home.log_file.read_text()
    assert "failed" in log  # the refused connection was logged once...
    assert "retrying in" not in log  # ...and not retried after a backoff
