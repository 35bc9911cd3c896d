"""The command line's pure parts: dates, durations, project/task matching, rendering, usage errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from harvest_widget.cli import (
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    EntryView,
    main,
    match_project,
    match_task,
    parse_day,
    parse_hours,
    render_entries,
)
from harvest_widget.core.account import HoursFormat
from harvest_widget.core.timesheet import Project, Task

TODAY = dt.date(2026, 3, 2)

DESIGN = Task(1, "Design")
DEVELOPMENT = Task(2, "Development")
DESIGN_REVIEW = Task(3, "Design Review")
WEBSITE = Project(10, "Website", code="WEB", client_name="Acme", tasks=(DESIGN, DEVELOPMENT, DESIGN_REVIEW))
WEBSHOP = Project(11, "Webshop", code="SHOP", client_name="Globex", tasks=(DEVELOPMENT,))
INTERNAL = Project(12, "Internal", code="", client_name="", tasks=(Task(4, "Admin"),))
PROJECTS = (WEBSITE, WEBSHOP, INTERNAL)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", TODAY),
        ("Yesterday", TODAY - dt.timedelta(days=1)),
        ("tomorrow", TODAY + dt.timedelta(days=1)),
        ("-1", dt.date(2026, 3, 1)),
        ("-3", dt.date(2026, 2, 27)),
        ("+2", dt.date(2026, 3, 4)),
        ("2025-12-31", dt.date(2025, 12, 31)),
    ],
)
def test_day_accepts_iso_names_and_offsets(text: str, expected: dt.date) -> None:
    assert parse_day(text, TODAY) == expected


@pytest.mark.parametrize("text", ["last week", "2026-13-01", "03/02/2026", ""])
def test_bad_day_is_a_usage_error_that_says_what_works(text: str) -> None:
    with pytest.raises(CliError) as caught:
        parse_day(text, TODAY)
    assert caught.value.code == EXIT_USAGE
    assert "YYYY-MM-DD" in caught.value.message


@pytest.mark.parametrize(
    ("text", "hours"),
    [("1.5", "1.50"), ("1:30", "1.50"), ("90m", "1.50"), ("1h30", "1.50"), ("0:20", "0.33")],
)
def test_hours_accept_every_typed_form(text: str, hours: str) -> None:
    assert parse_hours(text) == Decimal(hours)


def test_bad_hours_are_a_usage_error() -> None:
    with pytest.raises(CliError) as caught:
        parse_hours("lots")
    assert caught.value.code == EXIT_USAGE
    assert "1:30" in caught.value.message


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("website", WEBSITE),
        ("WEB", WEBSITE),  # exact code wins over "Webshop" containing "web"
        ("shop", WEBSHOP),
        ("globex", WEBSHOP),  # client name
        ("acme site", WEBSITE),  # words may come from client and name
        ("intern", INTERNAL),
        ("12", INTERNAL),  # project id
    ],
)
def test_project_matches_name_code_or_client_case_insensitively(query: str, expected: Project) -> None:
    assert match_project(PROJECTS, query) == expected


def test_ambiguous_project_lists_the_candidates() -> None:
    with pytest.raises(CliError) as caught:
        match_project(PROJECTS, "we")
    assert caught.value.code == EXIT_USAGE
    assert "[WEB] Website (Acme)" in caught.value.message
    assert "[SHOP] Webshop (Globex)" in caught.value.message
    assert "\n" not in caught.value.message


def test_unknown_project_is_not_found() -> None:
    with pytest.raises(CliError) as caught:
        match_project(PROJECTS, "moonbase")
    assert caught.value.code == EXIT_NOT_FOUND


def test_task_matching_prefers_exact_name_and_lists_ambiguity() -> None:
    assert match_task(WEBSITE, "design") == DESIGN  # exact beats "Design Review"
    assert match_task(WEBSITE, "dev") == DEVELOPMENT
    assert match_task(WEBSITE, "review") == DESIGN_REVIEW
    with pytest.raises(CliError, match="Design; Design Review") as caught:
        match_task(WEBSITE, "des")
    assert caught.value.code == EXIT_USAGE


def test_task_may_be_left_out_only_when_the_project_has_one() -> None:
    assert match_task(WEBSHOP, None) == DEVELOPMENT
    with pytest.raises(CliError, match="Name a task of Website"):
        match_task(WEBSITE, None)


def view(entry_id: int, seconds: int, *, running: bool = False, state: str = "synced") -> EntryView:
    return EntryView(
        id=entry_id,
        spent_on=TODAY,
        project_id=10,
        project="Website",
        client="Acme",
        task_id=1,
        task="Design",
        notes="mockups",
        seconds=seconds,
        running=running,
        state=state,
        message=None,
    )


def test_entries_render_in_the_accounts_hours_format() -> None:
    entries = [view(123456, 5400), view(-2, 1200, running=True, state="pending")]
    decimal = render_entries(entries, HoursFormat.DECIMAL)
    clock = render_entries(entries, HoursFormat.HOURS_MINUTES)
    assert decimal[0].split()[:2] == ["123456", "1.50"]
    assert clock[0].split()[:2] == ["123456", "1:30"]
    assert clock[1].split()[:2] == ["-2", "0:20"]
    assert clock[1].endswith("[running, pending]")


def test_entry_json_has_stable_keys() -> None:
    assert set(view(-2, 1200).to_json()) == {
        "id", "local", "date", "project_id", "project", "client", "task_id", "task",
        "notes", "hours", "running", "state", "message",
    }  # fmt: skip
    assert view(-2, 1200).to_json()["hours"] == "0.33"
    assert view(-2, 1200).to_json()["local"] is True


def test_help_documents_every_command_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == EXIT_OK
    text = capsys.readouterr().out
    for name in (
        "login",
        "logout",
        "status",
        "day",
        "projects",
        "start",
        "stop",
        "add",
        "edit",
        "rm",
        "sync",
    ):
        assert name in text
    assert "exit codes:" in text
    assert "saved locally, not yet synced" in text


@pytest.mark.parametrize(
    "argv",
    [[], ["frobnicate"], ["add", "web"], ["login", "--url", "x"], ["day", "--bogus"]],
)
def test_usage_errors_are_one_line_with_exit_code_2(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main(argv) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("harvest-widget: ")
