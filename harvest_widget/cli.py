"""The `harvest-widget` command line: the same local-first engine as the tray, for terminals and scripts.

Every changing command is applied to the local cache and outbox first, then synced once with a
bounded wait: when Harvest cannot be reached (offline, throttled) the change stays queued and the
command says "saved locally" with its own exit code instead of waiting. Errors are one line on stderr;
the traceback of anything unexpected goes to the log file only. No Qt is imported here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import logging
import os
import re
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn, TextIO, TypeVar

from harvest_widget import __version__
from harvest_widget.api.api_detection import HARVEST_V2_URL, CredentialKind, detect_api
from harvest_widget.api.errors import AuthError, HarvestError, NetworkError, NotFoundError
from harvest_widget.api.harvest_id import HarvestIdClient, identity_url_for
from harvest_widget.api.oauth_loopback import BrowserOpener, sign_in_with_harvest_id
from harvest_widget.api.v2_codec import HarvestAccount
from harvest_widget.connection import ConnectionSetupError, NotSignedInError, open_engine, sign_in, sign_out
from harvest_widget.core.account import HoursFormat, WhoAmI
from harvest_widget.core.durations import (
    DurationError,
    format_seconds,
    hours_to_seconds,
    parse_duration,
    seconds_to_hours,
)
from harvest_widget.core.timesheet import EntryChanges, EntryDraft, Project, Task
from harvest_widget.credentials import CredentialStore, KeyringUnavailableError, Secrets
from harvest_widget.log import setup_logging
from harvest_widget.paths import AppPaths, app_paths
from harvest_widget.settings import SettingsError, load_settings
from harvest_widget.store.database import StoreError
from harvest_widget.sync import DaySnapshot, Engine, LocalEntry, PendingOp, SyncReport, SyncStatus
from harvest_widget.sync.engine import EngineError, UnknownEntryError

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SAVED_LOCALLY = 3
EXIT_AUTH = 4
EXIT_NOT_FOUND = 5
EXIT_KEYRING = 6
EXIT_REFUSED = 7
EXIT_UNREACHABLE = 8

EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}  done (and, for changes, synced to Harvest)
  {EXIT_ERROR}  unexpected error (details in the log file)
  {EXIT_USAGE}  usage error: bad arguments, date, duration, or an ambiguous project/task
  {EXIT_SAVED_LOCALLY}  saved locally, not yet synced (offline or throttled); the next command or the tray sends it
  {EXIT_AUTH}  not signed in, or Harvest rejected the credentials
  {EXIT_NOT_FOUND}  no such entry, project or task (or no running timer to stop)
  {EXIT_KEYRING}  no usable system keyring to keep the password in
  {EXIT_REFUSED}  Harvest refused the change (it is kept; see `status`)
  {EXIT_UNREACHABLE}  Harvest could not be reached for a command that needs it (login)
"""


class CliError(Exception):
    """A failure the user can act on: one line for stderr and the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# -- parsing what people type -----------------------------------------------------------------------

_RELATIVE_DAY = re.compile(r"^[+-]\d{1,4}$")
_NAMED_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}


def parse_day(text: str, today: dt.date) -> dt.date:
    """YYYY-MM-DD, "today", "yesterday", "tomorrow", or days from today ("-1", "+2")."""
    cleaned = text.strip().lower()
    if cleaned in _NAMED_DAYS:
        return today + dt.timedelta(days=_NAMED_DAYS[cleaned])
    if _RELATIVE_DAY.match(cleaned):
        return today + dt.timedelta(days=int(cleaned))
    try:
        return dt.date.fromisoformat(cleaned)
    except ValueError:
        raise CliError(
            f"“{text}” is not a date; use YYYY-MM-DD, today, yesterday or -N (days ago).", EXIT_USAGE
        ) from None


def parse_hours(text: str) -> Decimal:
    """Typed duration ("1.5", "1:30", "90m", "1h30") as Harvest decimal hours."""
    try:
        return seconds_to_hours(parse_duration(text))
    except DurationError as error:
        raise CliError(str(error), EXIT_USAGE) from None


_Named = TypeVar("_Named")


def _best(query: str, candidates: Sequence[_Named], names: Callable[[_Named], Sequence[str]]) -> list[_Named]:
    """Candidates any of whose `names` equals `query`, else those whose names hold every word of it."""
    wanted = query.strip().casefold()
    exact = [c for c in candidates if wanted in (n.casefold() for n in names(c) if n)]
    if exact:
        return exact
    words = wanted.split()
    return [c for c in candidates if all(w in " ".join(names(c)).casefold() for w in words)]


def project_label(project: Project) -> str:
    code = f"[{project.code}] " if project.code else ""
    client = f" ({project.client_name})" if project.client_name else ""
    return f"{code}{project.name}{client}"


def match_project(projects: Sequence[Project], query: str) -> Project:
    """The one project whose name, code or client matches `query` (case-insensitive substrings).

    An exact name or code wins over substrings; a number matches the project id too. Raises
    `CliError` naming the candidates when several match, or saying none does.
    """
    found: list[Project] = _best(
        query, projects, lambda p: (p.name, p.code, p.client_name, f"{p.client_name} {p.name}", str(p.id))
    )
    if len(found) == 1:
        return found[0]
    if not found:
        raise CliError(f"No project matches “{query}”; `harvest-widget projects` lists them.", EXIT_NOT_FOUND)
    listed = "; ".join(project_label(p) for p in found)
    raise CliError(f"“{query}” matches {len(found)} projects: {listed}.", EXIT_USAGE)


def match_task(project: Project, query: str | None) -> Task:
    """The project's task named by `query`, or its only task when `query` is None."""
    if query is None:
        if len(project.tasks) == 1:
            return project.tasks[0]
        listed = "; ".join(t.name for t in project.tasks)
        raise CliError(f"Name a task of {project.name}: {listed}.", EXIT_USAGE)
    found: list[Task] = _best(query, project.tasks, lambda t: (t.name, str(t.id)))
    if len(found) == 1:
        return found[0]
    if not found:
        listed = "; ".join(t.name for t in project.tasks) or "none"
        raise CliError(f"No task of {project.name} matches “{query}” (tasks: {listed}).", EXIT_NOT_FOUND)
    listed = "; ".join(t.name for t in found)
    raise CliError(f"“{query}” matches {len(found)} tasks of {project.name}: {listed}.", EXIT_USAGE)


def parse_entry_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CliError(
            f"“{text}” is not an entry id; `harvest-widget day` shows the ids.", EXIT_USAGE
        ) from None


# -- showing results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntryView:
    """One entry as the CLI shows it: hours include the running timer up to now."""

    id: int
    spent_on: dt.date
    project_id: int
    project: str
    client: str
    task_id: int
    task: str
    notes: str
    seconds: int
    running: bool
    state: str
    message: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "local": self.id < 0,
            "date": self.spent_on.isoformat(),
            "project_id": self.project_id,
            "project": self.project,
            "client": self.client,
            "task_id": self.task_id,
            "task": self.task,
            "notes": self.notes,
            "hours": str(seconds_to_hours(self.seconds)),
            "running": self.running,
            "state": self.state,
            "message": self.message,
        }


def render_entries(entries: Sequence[EntryView], style: HoursFormat) -> list[str]:
    """Aligned lines: id, hours, project / task, notes, and a marker for running or unsynced."""
    if not entries:
        return ["  (no entries)"]
    id_width = max(len(str(e.id)) for e in entries)
    labels = [f"{e.project}{f' ({e.client})' if e.client else ''} / {e.task}" for e in entries]
    label_width = min(max(len(label) for label in labels), 48)
    lines = []
    for entry, label in zip(entries, labels, strict=True):
        marks = []
        if entry.running:
            marks.append("running")
        if entry.state != "synced":
            marks.append(entry.state + (f": {entry.message}" if entry.message else ""))
        suffix = f"  [{', '.join(marks)}]" if marks else ""
        notes = f"  {entry.notes}" if entry.notes else ""
        hours = format_seconds(entry.seconds, style)
        lines.append(f"  {entry.id:>{id_width}}  {hours:>6}  {label:<{label_width}}{notes}{suffix}".rstrip())
    return lines


def render_projects(projects: Sequence[Project]) -> list[str]:
    if not projects:
        return ["(no projects; sign in, or run `harvest-widget sync`)"]
    lines = []
    for project in projects:
        lines.append(project_label(project))
        lines.extend(f"    {task.name}" for task in project.tasks)
    return lines


def project_json(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "code": project.code,
        "client": project.client_name,
        "client_id": project.client_id,
        "billable": project.billable,
        "tasks": [{"id": t.id, "name": t.name, "billable": t.billable} for t in project.tasks],
    }


def whoami_json(whoami: WhoAmI | None) -> dict[str, Any] | None:
    if whoami is None:
        return None
    return {
        "user_id": whoami.user_id,
        "email": whoami.email,
        "name": whoami.display_name,
        "company": whoami.company_name,
        "time_zone": whoami.time_zone,
        "timer_mode": whoami.timer_mode.value,
        "hours_format": whoami.hours_format.value,
    }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def print_json(value: object, out: TextIO) -> None:
    out.write(json.dumps(value, indent=2, sort_keys=True) + "\n")


# -- the parser -------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (CliError) instead of exiting by itself."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see `{self.prog} --help`)", EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="harvest-widget",
        description="Track Harvest time from the terminal: the tray widget's engine, offline-first.",
        epilog=EXIT_CODES_HELP + "\nDATE: YYYY-MM-DD, today, yesterday, tomorrow or -N (N days ago).\n"
        "HOURS: 1.5, 1:30, 90m or 1h30.  ID: the entry id `day` shows (negative until synced).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"harvest-widget {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    def command(name: str, help_text: str, *, reading: bool = False) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--json", action="store_true", help="print JSON for scripts (stable keys)")
        if reading:
            sub.add_argument(
                "--cached", action="store_true", help="show the local cache without asking Harvest"
            )
        return sub

    login = commands.add_parser(
        "login",
        help="sign in and keep the password or token in the system keyring",
        description="Sign in (checked with Harvest); the secret goes to the system keyring. "
        "API v2 (today's Harvest): --token-stdin with --account-id (a Personal Access Token), or "
        "--harvest-id (the browser). Legacy API v1: --url https://ACCOUNT.harvestapp.com --email "
        "EMAIL --password-stdin. Without --api, the API follows from the address and the credential.",
    )
    login.add_argument(
        "--url",
        help="v1: your account's address, e.g. https://acme.harvestapp.com; "
        f"v2: {HARVEST_V2_URL} (the default)",
    )
    secret = login.add_mutually_exclusive_group(required=True)
    secret.add_argument("--password-stdin", action="store_true", help="v1: read the password from stdin")
    secret.add_argument(
        "--token-stdin",
        action="store_true",
        help="read a token from stdin: v2 Personal Access Token (with --account-id) or v1 OAuth token",
    )
    secret.add_argument(
        "--harvest-id",
        action="store_true",
        help="v2: sign in with Harvest ID in the browser (needs --client-id and --client-secret-stdin)",
    )
    login.add_argument("--email", help="your Harvest email (needed with --password-stdin)")
    login.add_argument("--format", choices=("json", "xml"), default="json", help="v1 data format")
    login.add_argument("--api", choices=("v1", "v2"), help="Harvest API version (default: detected)")
    login.add_argument("--account-id", type=int, help="v2: the Harvest account id")
    login.add_argument("--client-id", help="--harvest-id: your OAuth2 application's client id")
    login.add_argument(
        "--client-secret-stdin",
        action="store_true",
        help="--harvest-id: read the OAuth2 application's client secret from stdin (first line)",
    )
    login.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="--harvest-id: how long to wait for the browser sign-in (default 300)",
    )

    logout = commands.add_parser(
        "logout",
        help="forget the credentials (refuses while changes are not on Harvest yet)",
        description="Forget the credentials. Queued changes are sent first; if some cannot be, "
        "logout refuses unless told what to do with them: --force keeps them queued (sent when you "
        "sign in again as the same user), --discard drops them for good.",
    )
    unsent = logout.add_mutually_exclusive_group()
    unsent.add_argument(
        "--force",
        action="store_true",
        help="sign out even with changes not yet on Harvest (they stay queued)",
    )
    unsent.add_argument(
        "--discard",
        action="store_true",
        help="sign out and drop the changes that could not be sent to Harvest (they are lost)",
    )

    command("status", "who is signed in, the running timer, today's total and the sync state", reading=True)
    day = command("day", "the entries of one day (default today)", reading=True)
    day.add_argument("date", nargs="?", default="today", metavar="DATE")
    command("projects", "the projects and tasks you can track to", reading=True)

    start = command("start", "start a timer: on a new entry, or again on an existing one")
    start.add_argument("project", nargs="?", metavar="PROJECT")
    start.add_argument("task", nargs="?", metavar="TASK")
    start.add_argument("--notes", "-n", default="", help="notes for a new entry")
    start.add_argument("--entry", "-e", metavar="ID", help="restart this entry instead")

    command("stop", "stop the running timer")

    add = command("add", "add an entry with hours")
    add.add_argument("project", metavar="PROJECT")
    add.add_argument("task", metavar="TASK")
    add.add_argument("hours", metavar="HOURS")
    add.add_argument("--notes", "-n", default="")
    add.add_argument("--date", "-d", default="today", metavar="DATE")

    edit = command("edit", "change an entry")
    edit.add_argument("entry", metavar="ID")
    edit.add_argument("--notes", "-n")
    edit.add_argument("--hours", metavar="HOURS")
    edit.add_argument("--project", "-p", metavar="PROJECT")
    edit.add_argument("--task", "-t", metavar="TASK")
    edit.add_argument("--date", "-d", metavar="DATE")

    rm = command("rm", "delete an entry")
    rm.add_argument("entry", metavar="ID")

    command("sync", "send queued changes to Harvest and refresh today")

    resolve = command("resolve", "settle a change Harvest refused (`status` lists them)")
    resolve.add_argument("op_id", type=int, metavar="OP")
    resolve.add_argument(
        "action",
        choices=("retry", "recreate", "discard"),
        help="retry: send it again; recreate: create the entry anew (it was deleted elsewhere); "
        "discard: drop the local change",
    )
    return parser


# -- running commands -------------------------------------------------------------------------------

SYNC_WAIT_SECONDS = 20.0
CALL_MAX_WAIT = 3.0  # the longest one call waits for the throttle before the change stays queued
# A call that fails on the network is not retried: the change is queued either way, and a terminal
# should not sit through backoffs while offline (the tray's worker keeps the transport's retries).
CALL_NETWORK_RETRIES = 0


class Session:
    """One command's world: where files are, the settings, the keyring and (lazily) the engine."""

    def __init__(
        self, paths: AppPaths, out: TextIO, *, stdin: TextIO, open_browser: BrowserOpener = webbrowser.open
    ) -> None:
        self.paths = paths
        self.out = out
        self.stdin = stdin
        self.open_browser = open_browser
        self.settings = load_settings(paths)
        self.credentials = CredentialStore()
        self._engine: Engine | None = None

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = open_engine(
                self.paths,
                self.settings,
                self.credentials,
                max_wait=CALL_MAX_WAIT,
                retries=CALL_NETWORK_RETRIES,
            )
        return self._engine

    def style(self, engine: Engine) -> HoursFormat:
        if self.settings.hours_format is not None:
            return self.settings.hours_format
        whoami = engine.whoami()
        return whoami.hours_format if whoami else HoursFormat.DECIMAL

    def say(self, text: str) -> None:
        self.out.write(text + "\n")


def changes(count: int) -> str:
    """ "1 change is" / "3 changes are": the subject of a sentence about queued changes."""
    return "1 change is" if count == 1 else f"{count} changes are"


def _note(text: str) -> None:
    sys.stderr.write(f"harvest-widget: {text}\n")


def sync_once(engine: Engine, refresh: tuple[dt.date, ...] | None = None) -> SyncReport | None:
    """One `engine.sync()`, waiting at most SYNC_WAIT_SECONDS; None when it did not finish in time.

    WORKAROUND: the wait is bounded by a helper thread because a slow server (read timeout 30 s) must
    not hold a terminal; an unfinished sync is safe to abandon (the outbox is claimed and replayed).
    """
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["report"] = engine.sync(refresh)
        except BaseException as error:  # re-raised on the calling thread
            outcome["error"] = error

    worker = threading.Thread(target=work, name="cli-sync", daemon=True)
    worker.start()
    worker.join(SYNC_WAIT_SECONDS)
    if worker.is_alive():
        log.warning("sync did not finish within %.0f s; leaving it queued", SYNC_WAIT_SECONDS)
        return None
    if "error" in outcome:
        raise outcome["error"]
    report: SyncReport = outcome["report"]
    return report


def _why_not_synced(status: SyncStatus | None) -> str:
    if status is None:
        return "Harvest is slow to answer"
    if status.throttled_until is not None:
        until = status.throttled_until.astimezone().strftime("%H:%M:%S")
        return f"Harvest is throttling requests until {until}"
    if status.offline:
        return "Harvest cannot be reached"
    if status.last_error:
        return status.last_error.rstrip(".")
    return "it is still queued"


def view_of(local: LocalEntry, snapshot: DaySnapshot, now: float) -> EntryView:
    entry = local.entry
    project = next((p for p in snapshot.projects if p.id == entry.project_id), None)
    task = project.task(entry.task_id) if project else None
    seconds = hours_to_seconds(entry.hours)
    if snapshot.running is not None and snapshot.running.entry.id == entry.id:
        seconds = snapshot.running_seconds(now) or seconds
    return EntryView(
        id=entry.id,
        spent_on=entry.spent_on,
        project_id=entry.project_id,
        project=entry.project_name or (project.name if project else str(entry.project_id)),
        client=entry.client_name or (project.client_name if project else ""),
        task_id=entry.task_id,
        task=entry.task_name or (task.name if task else str(entry.task_id)),
        notes=entry.notes,
        seconds=seconds,
        running=entry.is_running,
        state=local.state,
        message=local.message,
    )


def op_json(op: PendingOp) -> dict[str, Any]:
    return {
        "op_id": op.op_id,
        "kind": op.kind,
        "entry_id": op.entry_id,
        "state": op.state,
        "summary": op.summary,
        "message": op.last_error,
    }


def status_json(status: SyncStatus) -> dict[str, Any]:
    return {
        "pending": status.pending_ops,
        "conflicts": status.conflicts,
        "failed": status.failed_ops,
        "last_sync_at": _iso(status.last_sync_at),
        "throttled_until": _iso(status.throttled_until),
        "offline": status.offline,
        "auth_failed": status.auth_failed,
        "last_error": status.last_error,
    }


def _refresh_for_reading(session: Session, args: argparse.Namespace, day: dt.date | None) -> Engine:
    engine = session.engine()
    if not args.cached:
        report = sync_once(engine, (day,) if day else None)
        status = report.status if report else None
        if status is None or status.offline or status.throttled_until or status.auth_failed:
            reason = (
                "Harvest rejected the credentials"
                if status and status.auth_failed
                else _why_not_synced(status)
            )
            _note(f"showing the local cache: {reason}.")
    return engine


def cmd_status(session: Session, args: argparse.Namespace) -> int:
    engine = _refresh_for_reading(session, args, None)
    today = engine.today()
    snapshot = engine.snapshot(today)
    now = time.monotonic()
    running = view_of(snapshot.running, snapshot, now) if snapshot.running else None
    attention = [op for op in engine.outbox() if op.state in ("conflict", "failed")]
    settings = session.settings
    if args.json:
        print_json(
            {
                "signed_in": settings.is_signed_in,
                "server_url": settings.server_url,
                "api_version": settings.api_version,
                "data_format": settings.data_format,
                "user": whoami_json(engine.whoami()),
                "today": today.isoformat(),
                "today_hours": str(seconds_to_hours(snapshot.total_seconds_at(now))),
                "running": running.to_json() if running else None,
                "sync": status_json(snapshot.status),
                "attention": [op_json(op) for op in attention],
            },
            session.out,
        )
        return EXIT_OK
    style = session.style(engine)
    whoami = engine.whoami()
    who = f"{whoami.display_name} <{whoami.email}>" if whoami else settings.email
    session.say(f"Signed in as {who} at {settings.server_url} (API {settings.api_version}).")
    if running:
        session.say(f"Running: {running.project} / {running.task} {format_seconds(running.seconds, style)}")
    else:
        session.say("No timer running.")
    session.say(f"Today ({today.isoformat()}): {format_seconds(snapshot.total_seconds_at(now), style)}")
    status = snapshot.status
    if status.is_clean:
        when = status.last_sync_at.astimezone().strftime("%Y-%m-%d %H:%M") if status.last_sync_at else "never"
        session.say(f"All changes are on Harvest (last sync {when}).")
    else:
        session.say(
            f"Not yet on Harvest: {status.pending_ops} pending, {status.conflicts} in conflict, "
            f"{status.failed_ops} refused ({_why_not_synced(status)})."
        )
    for op in attention:
        session.say(f"  #{op.op_id} {op.state}: {op.summary}: {op.last_error or 'refused by Harvest'}")
    return EXIT_OK


def cmd_day(session: Session, args: argparse.Namespace) -> int:
    engine = session.engine()
    day = parse_day(args.date, engine.today())
    _refresh_for_reading(session, args, day)
    snapshot = engine.snapshot(day)
    now = time.monotonic()
    views = [view_of(e, snapshot, now) for e in snapshot.entries]
    if args.json:
        print_json(
            {
                "date": day.isoformat(),
                "total_hours": str(seconds_to_hours(snapshot.total_seconds_at(now))),
                "entries": [v.to_json() for v in views],
                "sync": status_json(snapshot.status),
            },
            session.out,
        )
        return EXIT_OK
    style = session.style(engine)
    session.say(f"{day.strftime('%A')} {day.isoformat()}")
    for line in render_entries(views, style):
        session.say(line)
    session.say(f"Total {format_seconds(snapshot.total_seconds_at(now), style)}")
    return EXIT_OK


def cmd_projects(session: Session, args: argparse.Namespace) -> int:
    engine = session.engine()
    _refresh_for_reading(session, args, engine.today())
    projects = engine.projects()
    if args.json:
        print_json([project_json(p) for p in projects], session.out)
    else:
        for line in render_projects(projects):
            session.say(line)
    return EXIT_OK


def _project_named(engine: Engine, query: str) -> Project:
    """The cached project `query` names; when none does, today's list is read again once (the
    project may have been assigned since)."""
    try:
        return match_project(engine.projects(), query)
    except CliError as error:
        if error.code != EXIT_NOT_FOUND:
            raise
        try:
            engine.refresh_day(engine.today())
        except HarvestError as failure:
            log.info("could not re-read the project list: %s", failure.message)
            if not engine.projects():
                raise CliError(
                    "No projects are cached yet; run `harvest-widget sync` while online.", EXIT_NOT_FOUND
                ) from None
            raise error from None
    return match_project(engine.projects(), query)


def _find_entry(engine: Engine, entry_id: int) -> LocalEntry:
    """The cached entry with this id (local or server), on any day."""
    found = engine.entry(entry_id)
    if found is not None:
        return found
    raise CliError(
        f"No entry {entry_id} in the local cache; `harvest-widget day DATE` lists a day's ids.",
        EXIT_NOT_FOUND,
    )


def _finish_change(
    session: Session, args: argparse.Namespace, *, entry_id: int, day: dt.date, verb: str
) -> int:
    """Sync once, then say what happened to the change on `entry_id` and return the exit code."""
    engine = session.engine()
    report = sync_once(engine, (day,))
    if report is None:
        # The sync thread may still be using the engine: report without touching it again.
        if args.json:
            print_json({"entry": None, "id": entry_id, "synced": False, "sync": None}, session.out)
        _note(
            f"{verb} and saved locally; not synced yet: {_why_not_synced(None)}. It syncs on the next command."
        )
        return EXIT_SAVED_LOCALLY
    server_id = engine.server_id(entry_id)
    ours = [op for op in engine.outbox() if op.entry_id in (entry_id, server_id)]
    snapshot = engine.snapshot(day)
    local = snapshot.entry(server_id)
    if args.json:
        now = time.monotonic()
        print_json(
            {
                "entry": view_of(local, snapshot, now).to_json() if local else None,
                "id": server_id,
                "synced": not ours,
                "sync": status_json(report.status),
            },
            session.out,
        )
    refused = [op for op in ours if op.state in ("conflict", "failed")]
    if refused:
        reason = (refused[0].last_error or "it needs your attention").rstrip(".")
        _note(f"{verb} locally, but Harvest refused it: {reason}. It is kept; see `harvest-widget status`.")
        return EXIT_REFUSED
    if ours:
        if report.status.auth_failed:
            _note(
                f"{verb} and saved locally, but Harvest rejected the credentials; run `harvest-widget login`."
            )
            return EXIT_AUTH
        _note(
            f"{verb} and saved locally; not synced yet: {_why_not_synced(report.status)}. It syncs on the next command."
        )
        return EXIT_SAVED_LOCALLY
    if not args.json:
        style = session.style(engine)
        if local is not None:
            view = view_of(local, snapshot, time.monotonic())
            session.say(
                f"{verb}: {view.id}  {format_seconds(view.seconds, style)}  {view.project} / {view.task}"
                + (f"  {view.notes}" if view.notes else "")
            )
        else:
            session.say(f"{verb}: {server_id}")
    if not report.status.is_clean:
        _note(
            f"other changes still wait: {report.status.pending_ops} pending, {report.status.conflicts} in conflict, {report.status.failed_ops} refused."
        )
    return EXIT_OK


def _new_local_id(before: DaySnapshot, after: DaySnapshot) -> int:
    known = {e.entry.id for e in before.entries}
    fresh = [e.entry.id for e in after.entries if e.entry.id not in known]
    if not fresh:
        raise RuntimeError("the engine created no entry")
    return fresh[0]


def cmd_start(session: Session, args: argparse.Namespace) -> int:
    engine = session.engine()
    today = engine.today()
    if args.entry is not None:
        if args.project or args.task:
            raise CliError("Give either PROJECT [TASK] or --entry ID, not both.", EXIT_USAGE)
        snapshot = engine.start(_find_entry(engine, parse_entry_id(args.entry)).entry.id)
    elif args.project is not None:
        project = _project_named(engine, args.project)
        task = match_task(project, args.task)
        snapshot = engine.start_new(EntryDraft(project.id, task.id, today, notes=args.notes))
    else:
        latest = [e for e in engine.snapshot(today).entries if not e.entry.is_running]
        if latest:
            snapshot = engine.start(latest[-1].entry.id)
        else:
            recent = engine.recent_combinations(1)
            if not recent:
                raise CliError(
                    "Name a PROJECT and TASK to start; `harvest-widget projects` lists them.", EXIT_USAGE
                )
            last = recent[0]
            draft = EntryDraft(last.project_id, last.task_id, today, notes=args.notes or last.notes)
            snapshot = engine.start_new(draft)
    if snapshot.running is None:
        raise RuntimeError("the engine started no timer")
    return _finish_change(
        session, args, entry_id=snapshot.running.entry.id, day=snapshot.running.entry.spent_on, verb="Started"
    )


def cmd_stop(session: Session, args: argparse.Namespace) -> int:
    engine = session.engine()
    try:
        engine.refresh_running()  # it may have been started or stopped elsewhere
    except HarvestError as error:
        log.info("could not ask Harvest for the running timer: %s", error.message)
    running = engine.snapshot(engine.today()).running
    if running is None:
        raise CliError("No timer is running.", EXIT_NOT_FOUND)
    engine.stop(running.entry.id)
    return _finish_change(
        session, args, entry_id=running.entry.id, day=running.entry.spent_on, verb="Stopped"
    )


def cmd_add(session: Session, args: argparse.Namespace) -> int:
    engine = session.engine()
    day = parse_day(args.date, engine.today())
    hours = parse_hours(args.hours)
    project = _project_named(engine, args.project)
    task = match_task(project, args.task)
    before = engine.snapshot(day)
    after = engine.create(EntryDraft(project.id, task.id, day, notes=args.notes, hours=hours))
    return _finish_change(session, args, entry_id=_new_local_id(before, after), day=day, verb="Added")


def cmd_edit(session: Session, args: argparse.Namespace) -> int:
    engine = session.engine()
    entry = _find_entry(engine, parse_entry_id(args.entry)).entry
    project_id: int | None = None
    task_id: int | None = None
    if args.project is not None or args.task is not None:
        if args.project is not None:
            project = _project_named(engine, args.project)
        else:
            current = next((p for p in engine.projects() if p.id == entry.project_id), None)
            if current is None:
                raise CliError(
                    f"Entry {entry.id}'s project is not in your project list; give --project too.",
                    EXIT_NOT_FOUND,
                )
            project = current
        if args.task is not None:
            task = match_task(project, args.task)
        else:
            task = project.task(entry.task_id) or match_task(project, None)
        project_id = project.id if project.id != entry.project_id else None
        task_id = task.id if task.id != entry.task_id or project_id is not None else None
    changes = EntryChanges(
        notes=args.notes,
        hours=parse_hours(args.hours) if args.hours is not None else None,
        project_id=project_id,
        task_id=task_id,
        spent_on=parse_day(args.date, engine.today()) if args.date is not None else None,
    )
    if changes.is_empty():
        raise CliError("Nothing to change; give --notes, --hours, --project, --task or --date.", EXIT_USAGE)
    snapshot = engine.edit(entry.id, changes)
    return _finish_change(session, args, entry_id=entry.id, day=snapshot.date, verb="Changed")


def cmd_rm(session: Session, args: argparse.Namespace) -> int:
    engine = session.engine()
    local = _find_entry(engine, parse_entry_id(args.entry))
    engine.delete(local.entry.id)
    return _finish_change(session, args, entry_id=local.entry.id, day=local.entry.spent_on, verb="Deleted")


def cmd_sync(session: Session, args: argparse.Namespace) -> int:
    engine = session.engine()
    report = sync_once(engine)
    status = report.status if report else None
    if args.json:
        print_json(
            {
                "sent": report.sent if report else 0,
                "complete": bool(report and report.complete),
                "sync": status_json(status) if status else None,
            },
            session.out,
        )
    elif report is not None and (report.sent or report.complete):
        session.say(f"Sent {report.sent} change{'' if report.sent == 1 else 's'} to Harvest.")
    if report is not None and report.complete and not (status and (status.offline or status.throttled_until)):
        return EXIT_OK
    if status is not None and status.auth_failed:
        _note("Harvest rejected the credentials; run `harvest-widget login`.")
        return EXIT_AUTH
    if report is not None and (report.conflicts or report.failed):
        _note(f"{changes(report.conflicts + report.failed)} refused by Harvest; see `harvest-widget status`.")
        return EXIT_REFUSED
    waiting = changes(report.pending) if report else "Changes are"
    _note(f"{waiting} not synced yet: {_why_not_synced(status)}.")
    return EXIT_SAVED_LOCALLY


def cmd_resolve(session: Session, args: argparse.Namespace) -> int:
    engine = session.engine()
    op = next((op for op in engine.outbox() if op.op_id == args.op_id), None)
    if op is None:
        raise CliError(f"No queued change {args.op_id}; `harvest-widget status` lists them.", EXIT_NOT_FOUND)
    if args.action == "discard":
        engine.resolve_conflict(op.op_id, "discard")
        session.say(f"Discarded: {op.summary}")
        return EXIT_OK
    if args.action == "retry":
        after = engine.resolve_conflict(op.op_id, "retry")
        return _finish_change(session, args, entry_id=op.entry_id, day=after.date, verb="Sent again")
    before = engine.snapshot(_find_entry(engine, op.entry_id).entry.spent_on)
    after = engine.resolve_conflict(op.op_id, "recreate")
    return _finish_change(
        session, args, entry_id=_new_local_id(before, after), day=after.date, verb="Re-created"
    )


def _read_secret(stdin: TextIO, what: str) -> str:
    secret = stdin.read().strip()
    if not secret:
        raise CliError(
            f"No {what} on stdin; pipe it in, e.g. `pass show harvest | harvest-widget login ...`.",
            EXIT_USAGE,
        )
    return secret


def _login_api(args: argparse.Namespace) -> tuple[str, str]:
    """The API version and address to sign in at: as given, else detected (`api_detection`)."""
    if args.password_stdin and not args.email:
        raise CliError("--password-stdin needs --email.", EXIT_USAGE)
    if not args.harvest_id and (args.client_id or args.client_secret_stdin):
        raise CliError("--client-id and --client-secret-stdin go with --harvest-id.", EXIT_USAGE)
    credential: CredentialKind = (
        "harvest_id" if args.harvest_id else "password" if args.password_stdin else "token"
    )
    choice = detect_api(args.url, credential, account_id=args.account_id)
    api = args.api or (choice.version if choice else None)
    if api is None:
        raise CliError(
            "Give --url: your Harvest account's address, e.g. https://acme.harvestapp.com.", EXIT_USAGE
        )
    if api == "v2" and args.password_stdin:
        raise CliError(
            "Harvest API v2 has no password sign-in; use --token-stdin with --account-id, or --harvest-id.",
            EXIT_USAGE,
        )
    if api == "v1" and args.harvest_id:
        raise CliError("Harvest ID sign-in is for API v2; leave out --api v1.", EXIT_USAGE)
    if api == "v2" and args.token_stdin and args.account_id is None:
        raise CliError(
            "Harvest API v2 signs in with --token-stdin (a Personal Access Token) and --account-id.",
            EXIT_USAGE,
        )
    url = choice.url if choice is not None and choice.version == api else (args.url or HARVEST_V2_URL)
    return api, url.strip().rstrip("/")


def _choose_account(
    session: Session, accounts: Sequence[HarvestAccount], wanted: int | None
) -> HarvestAccount:
    """The account `--account-id` names, the only one, or the one the user picks when asked."""
    listed = "; ".join(f"{n}) {a.name} (--account-id {a.id})" for n, a in enumerate(accounts, 1))
    if wanted is not None:
        chosen = next((a for a in accounts if a.id == wanted), None)
        if chosen is None:
            raise CliError(
                f"This Harvest ID has no Harvest account {wanted}; it has: {listed}.", EXIT_NOT_FOUND
            )
        return chosen
    if len(accounts) == 1:
        return accounts[0]
    sys.stderr.write(
        f"This Harvest ID has several Harvest accounts: {listed}. Which one? [1-{len(accounts)}] "
    )
    sys.stderr.flush()
    answer = session.stdin.readline().strip()
    if answer.isdigit() and 1 <= int(answer) <= len(accounts):
        return accounts[int(answer) - 1]
    if not answer:
        sys.stderr.write("\n")  # nobody answered (stdin ended): end the question's line
    raise CliError(f"Several Harvest accounts; choose one with --account-id: {listed}.", EXIT_USAGE)


def _harvest_id_secrets(session: Session, args: argparse.Namespace, url: str) -> tuple[Secrets, int]:
    """The browser sign-in through Harvest ID: the token pair (with its expiry) and the account id."""
    if not args.client_id or not args.client_secret_stdin:
        raise CliError(
            "--harvest-id needs --client-id and --client-secret-stdin (your Harvest ID OAuth2 application).",
            EXIT_USAGE,
        )
    client_secret = session.stdin.readline().strip()
    if not client_secret:
        raise CliError("No client secret on stdin; pipe it in as the first line.", EXIT_USAGE)
    client = HarvestIdClient(args.client_id, client_secret, identity_url_for(url))

    def show(address: str) -> None:
        _note(f"sign in with Harvest ID in your browser (waiting up to {args.timeout:.0f} s): {address}")

    try:
        signed = sign_in_with_harvest_id(
            client, open_browser=session.open_browser, show_url=show, timeout=args.timeout
        )
    except AuthError as error:
        raise CliError(f"Harvest ID sign-in failed: {error.message}", EXIT_AUTH) from None
    except NetworkError as error:
        raise CliError(error.message, EXIT_UNREACHABLE) from None
    account = _choose_account(session, signed.accounts, args.account_id)
    token = signed.token
    secrets = Secrets(
        access_token=token.access_token,
        refresh_token=token.refresh_token,
        client_secret=client_secret,
        expires_at=token.expires_at,
    )
    return secrets, account.id


def cmd_login(session: Session, args: argparse.Namespace) -> int:
    api, url = _login_api(args)
    account_id = args.account_id
    if args.harvest_id:
        secrets, account_id = _harvest_id_secrets(session, args, url)
        auth_kind = "oauth"
    elif args.password_stdin:
        secrets = Secrets(password=_read_secret(session.stdin, "password"))
        auth_kind = "basic"
    else:
        secrets = Secrets(access_token=_read_secret(session.stdin, "token"))
        auth_kind = "pat" if api == "v2" else "oauth"
    settings = session.settings.replace(
        server_url=url,
        api_version=api,
        data_format=args.format if api == "v1" else "json",
        auth_kind=auth_kind,
        email=args.email or "",
        account_id=account_id if api == "v2" else None,
        oauth_client_id=args.client_id or "",
    )
    try:
        settings, whoami = sign_in(
            session.paths, settings, secrets, session.credentials, max_wait=CALL_MAX_WAIT
        )
    except AuthError:
        what = "email and password" if secrets.password else "token"
        raise CliError(f"Harvest did not accept that {what}.", EXIT_AUTH) from None
    except NetworkError as error:
        raise CliError(f"Cannot reach {settings.server_url}: {error.message}", EXIT_UNREACHABLE) from None
    session.settings = settings
    engine = session.engine()
    engine.sign_in(whoami)
    sync_once(engine, (engine.today(),))
    session.say(f"Signed in as {whoami.display_name} <{whoami.email}> at {settings.server_url}.")
    return EXIT_OK


def cmd_logout(session: Session, args: argparse.Namespace) -> int:
    settings = session.settings
    if not settings.is_signed_in:
        session.say("Not signed in.")
        return EXIT_OK
    try:
        engine = session.engine()
    except NotSignedInError:
        # No secret left to sync or to protect: forget the login; queued changes wait for the next one.
        sign_out(session.paths, settings, session.credentials)
        session.say(f"Signed out of {settings.server_url}.")
        return EXIT_OK
    unsynced = engine.outbox()
    if unsynced:
        sync_once(engine)
        unsynced = engine.outbox()
    if unsynced and not (args.force or args.discard):
        question = f"{changes(len(unsynced))} not on Harvest yet. Sign out and keep them queued? [y/N] "
        if not (session.stdin.isatty() and _ask(question, session.stdin)):
            raise CliError(
                f"{changes(len(unsynced))} not on Harvest yet; run `harvest-widget sync` when online, "
                "`harvest-widget logout --force` to sign out and keep them queued, or "
                "`harvest-widget logout --discard` to drop them.",
                EXIT_SAVED_LOCALLY,
            )
    if unsynced and args.discard:
        dropped = engine.discard_unsynced()
        unsynced = ()
        _note(f"Discarded {dropped} change{'' if dropped == 1 else 's'} that had not reached Harvest.")
    sign_out(session.paths, settings, session.credentials)
    session.say(f"Signed out of {settings.server_url}.")
    if unsynced:
        # Never lose tracked time: the changes stay queued for this login, not in anyone else's way.
        _note(f"{changes(len(unsynced))} still queued; sent if you sign in again as {settings.email}.")
    return EXIT_OK


def _ask(question: str, stdin: TextIO) -> bool:
    sys.stderr.write(question)
    sys.stderr.flush()
    return stdin.readline().strip().lower() in ("y", "yes")


COMMANDS: dict[str, Callable[[Session, argparse.Namespace], int]] = {
    "login": cmd_login,
    "logout": cmd_logout,
    "status": cmd_status,
    "day": cmd_day,
    "projects": cmd_projects,
    "start": cmd_start,
    "stop": cmd_stop,
    "add": cmd_add,
    "edit": cmd_edit,
    "rm": cmd_rm,
    "sync": cmd_sync,
    "resolve": cmd_resolve,
}


# Failures with a user-ready message, most specific first: (type, exit code).
_FAILURE_CODES: tuple[tuple[type[Exception], int], ...] = (
    (KeyringUnavailableError, EXIT_KEYRING),
    (NotSignedInError, EXIT_AUTH),
    (ConnectionSetupError, EXIT_ERROR),
    (SettingsError, EXIT_ERROR),
    (StoreError, EXIT_ERROR),
    (UnknownEntryError, EXIT_NOT_FOUND),
    (EngineError, EXIT_USAGE),
    (AuthError, EXIT_AUTH),
    (NotFoundError, EXIT_NOT_FOUND),
    (NetworkError, EXIT_UNREACHABLE),
    (HarvestError, EXIT_REFUSED),
)
KNOWN_FAILURES = tuple(kind for kind, _ in _FAILURE_CODES)


def known_failure(error: Exception) -> tuple[int, str]:
    """The exit code and the one line to print for an error that carries a user-ready message."""
    code = next(code for kind, code in _FAILURE_CODES if isinstance(error, kind))
    message = str(getattr(error, "message", "") or error)
    if isinstance(error, AuthError):
        message = f"{message.rstrip('.')}; run `harvest-widget login` again."
    return code, message


def _tolerate_unencodable_output() -> None:
    """Windows writes redirected output in the ANSI code page (cp1252 and the like), which cannot
    encode every note or project name: such a character is printed as "?", not a failed command."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    stdin: TextIO | None = None,
    open_browser: BrowserOpener = webbrowser.open,
) -> int:
    """Run one command; returns the exit code (see `EXIT_CODES_HELP`). `open_browser` opens the
    Harvest ID sign-in page (the system browser)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    _tolerate_unencodable_output()
    paths = app_paths()
    handler: logging.Handler | None = None
    try:
        args = build_parser().parse_args(args_list)
        paths.ensure()
        handler = setup_logging(paths.log_file)
        session = Session(paths, out or sys.stdout, stdin=stdin or sys.stdin, open_browser=open_browser)
        return COMMANDS[args.command](session, args)
    except CliError as error:
        _note(error.message)
        return error.code
    except SystemExit as leaving:  # --help and --version exit through argparse
        return leaving.code if isinstance(leaving.code, int) else EXIT_OK
    except KNOWN_FAILURES as error:
        code, message = known_failure(error)
        _note(message)
        return code
    except KeyboardInterrupt:
        _note("Interrupted.")
        return 130
    except BrokenPipeError:
        # The reader (`| head`) left: nothing is wrong and nobody is listening.
        _detach_stdout()
        return EXIT_OK
    except Exception:
        log.exception("command %s failed", args_list[:1])
        _note(f"Something went wrong; the details are in {paths.log_file}.")
        return EXIT_ERROR
    finally:
        if handler is not None:
            logging.getLogger().removeHandler(handler)
            handler.close()


def _detach_stdout() -> None:
    """Point stdout at the null device so the interpreter's final flush cannot fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (captured output)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
