"""The command worker: local operations, cache reads, sign-in and settings, on their own thread.

The GUI talks to it only through `WorkerHandle`: its methods emit queued signals that run the
worker's slots on the worker thread; the worker answers with immutable values (`DayView`, `WhoAmI`,
`Settings`) and user-ready sentences. Its engine is created on the worker thread (the queued "open"
command), so no SQLite handle, keyring call or socket ever lives on the GUI thread.

Syncing runs on a second thread (`sync_runner.SyncRunner`, with its own engine and SQLite
connection), so a local operation shows at once even while a slow sync is in flight. The worker
decides when to sync: after every local operation, on a jittered timer, when a window or menu
opens, on wake (a wall-clock jump the monotonic clock did not see) and while offline with back-off.
Requests are coalesced: however many arrive while a sync runs, one more sync follows.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from harvest_widget.api.errors import AuthError, HarvestError
from harvest_widget.core.account import WhoAmI
from harvest_widget.core.calendar import week_of
from harvest_widget.core.timesheet import Entry, EntryChanges, EntryDraft
from harvest_widget.gui.sync_runner import SyncRunner
from harvest_widget.settings import Settings

if TYPE_CHECKING:  # the sync package is loaded on the worker thread, after the first paint
    from harvest_widget.sync.engine import Engine
    from harvest_widget.sync.snapshots import DaySnapshot, RecentCombination, SyncReport

log = logging.getLogger(__name__)

LOCAL_SYNC_DELAY_MS = 300  # batch a burst of edits into one drain
WAKE_CHECK_MS = 20_000
WAKE_GAP_SECONDS = 30.0
OFFLINE_RETRY_FIRST_S = 15.0
REFRESH_ON_OPEN_MIN_AGE_S = 30.0
SHUTDOWN_WAIT_MS = 3_000  # per thread; a hung Harvest call must not hold up Quit for long


@dataclass(frozen=True, slots=True)
class SignInRequest:
    """What the sign-in dialog collected; exactly one of `password` and `token` is set.
    `server_url` is where the chosen API lives (v2 on Harvest: https://api.harvestapp.com)."""

    server_url: str
    email: str = ""
    password: str | None = None
    token: str | None = None
    data_format: str = "json"
    api_version: str = "v1"  # "v2": `token` is a Personal Access Token for `account_id`
    account_id: int | None = None
    client_id: str = ""  # set: sign in through Harvest ID in the browser (v2 OAuth)
    client_secret: str = ""


@dataclass(frozen=True, slots=True)
class DayView:
    """Everything the window and the tray show, from one moment of the cache."""

    shown: DaySnapshot
    today: DaySnapshot
    week: tuple[tuple[dt.date, Decimal | None], ...]  # None: not read from Harvest yet
    recent: tuple[RecentCombination, ...]
    syncing: bool = False


class EngineSource(Protocol):
    """Where the worker gets its engines from (settings + keyring + connection); runs on the worker."""

    def open_cached(self) -> Engine | None:
        """The worker's engine: the saved sign-in's cache and outbox, never the network (no keyring
        either); None without a sign-in or a cache."""
        ...

    def open(self) -> Engine | None:
        """A networked engine for the saved sign-in (the sync thread's), or None when nobody is
        signed in."""
        ...

    def sign_in(self, request: SignInRequest) -> Engine:
        """Verify the credentials with Harvest, then save settings and secrets; raises on failure."""
        ...

    def sign_out(self) -> None:
        """Forget the secrets and the sign-in (the cache stays until the next sign-in)."""
        ...

    def close(self) -> None:
        """Release the worker engine's store."""
        ...

    def settings(self) -> Settings: ...

    def save_settings(self, settings: Settings) -> Settings: ...


def user_message(error: BaseException) -> str:
    """One sentence for the user; tracebacks go to the log and the details view, never here."""
    if isinstance(error, AuthError):
        return "Harvest did not accept the email and password (or token); check them and sign in again."
    message = getattr(error, "message", None)
    if isinstance(message, str) and message:
        return message
    return f"Something went wrong ({type(error).__name__}: {error}); the details are in the log."


class EngineWorker(QObject):
    """Lives on its own thread; every slot runs there. Never call its slots directly from the GUI."""

    view_ready = Signal(object)  # DayView
    signed_in = Signal(object)  # WhoAmI
    sign_in_failed = Signal(str)
    signed_out = Signal()
    needs_sign_in = Signal()
    settings_loaded = Signal(object)  # Settings
    notes_found = Signal(str, object)  # prefix, tuple[str, ...]
    failed = Signal(str, str)  # sentence, details
    syncing_changed = Signal(bool)
    sync_finished = Signal(object)  # SyncReport
    closed = Signal()
    _sync_adopt = Signal(object)  # to the sync thread: Engine | None
    _sync_run = Signal(object)  # to the sync thread: tuple[dt.date, ...]

    def __init__(
        self,
        source: EngineSource,
        *,
        wall_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        offline_retry_s: float = OFFLINE_RETRY_FIRST_S,
    ) -> None:
        super().__init__()
        self._offline_retry_first_s = offline_retry_s
        self._source = source
        self._engine: Engine | None = None  # local operations and reads only
        self._connected = False  # the sync thread has a networked engine
        self._online_pending = False  # the cached day is shown; `go_online` opens the keyring and HTTP
        self.sync_runner = SyncRunner()  # moved to its own thread by `WorkerHandle`
        self._sync_adopt.connect(self.sync_runner.adopt)
        self._sync_run.connect(self.sync_runner.run)
        self.sync_runner.finished.connect(self._on_sync_finished)
        self._wall_clock = wall_clock
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self._shown_day: dt.date | None = None
        self._read_days: set[dt.date] = set()  # days refreshed from Harvest in this session
        self._want_week = False
        self._refresh_interval_s = 300.0
        self._syncing = False
        self._sync_again = False
        self._last_sync_done: float | None = None
        self._offline_retry_s = offline_retry_s
        # Children move with the worker to its thread, so these timers fire there.
        self._sync_timer = QTimer(self)
        self._sync_timer.setSingleShot(True)
        self._sync_timer.timeout.connect(self._run_sync)
        self._wake_timer = QTimer(self)
        self._wake_timer.setInterval(WAKE_CHECK_MS)
        self._wake_timer.timeout.connect(self._check_wake)
        self._wake_marks = (wall_clock(), monotonic())

    # ---- lifecycle --------------------------------------------------------------------------
    @Slot(object)
    def open(self, sign_in: SignInRequest | None = None) -> None:
        """Open the saved sign-in, or sign in with `sign_in` (the demo) instead."""
        if sign_in is not None:
            self._wake_timer.start()
            self.sign_in(sign_in)
            return
        with self._reporting("opening the timesheet"):
            settings = self._source.settings()
            self._apply_settings(settings)
            self.settings_loaded.emit(settings)
            if self._show_cache_first():
                self._online_pending = True
                return
            self._open_networked(shown=False)

    @Slot()
    def go_online(self) -> None:
        """The GUI has painted the cached day: now load the keyring and the HTTP client and sync.
        (Importing them takes ~100 ms of the interpreter lock, which would have delayed that paint.)"""
        if not self._online_pending:
            return
        self._online_pending = False
        with self._reporting("opening the timesheet"):
            self._open_networked(shown=True)

    def _open_networked(self, *, shown: bool) -> None:
        networked = self._source.open()
        self._wake_marks = (self._wall_clock(), self._monotonic())
        self._wake_timer.start()
        if networked is None:
            self._engine = None
            self._source.close()
            self.needs_sign_in.emit()
            return
        self._connect(networked)
        if not shown and self._engine is not None:
            whoami = self._engine.whoami()
            if whoami is not None:
                self.signed_in.emit(whoami)
            self._emit_view()
        self._request_sync(0)

    def _show_cache_first(self) -> bool:
        """Paint the cached day before the keyring and the network are touched (they can be slow);
        True when there was a cache to paint."""
        self._engine = self._source.open_cached()
        if self._engine is None:
            return False
        whoami = self._engine.whoami()
        if whoami is not None:
            self.signed_in.emit(whoami)
        self._emit_view()
        return True

    def _connect(self, networked: Engine) -> None:
        """Hand `networked` to the sync thread; open the worker's own engine if it has none yet."""
        self._sync_adopt.emit(networked)
        self._connected = True
        if self._engine is None:
            self._engine = self._source.open_cached()

    def _disconnect(self) -> None:
        """The sync thread forgets its engine (after the sync it may be running)."""
        self._online_pending = False
        self._sync_timer.stop()
        self._connected = False
        self._sync_adopt.emit(None)

    @Slot()
    def close(self) -> None:
        self._disconnect()
        self._wake_timer.stop()
        with self._reporting("closing the cache"):
            self._engine = None
            self._source.close()
        self.closed.emit()

    @Slot(object)
    def sign_in(self, request: SignInRequest) -> None:
        try:
            self._disconnect()
            self._source.close()
            self._engine = None
            networked = self._source.sign_in(request)
            whoami = networked.whoami()
            self._connect(networked)
        except Exception as error:
            log.warning(
                "sign-in failed: %s", type(error).__name__, exc_info=not isinstance(error, HarvestError)
            )
            self.sign_in_failed.emit(user_message(error))
            return
        self.settings_loaded.emit(self._source.settings())
        if whoami is not None:
            self.signed_in.emit(whoami)
        self._shown_day = None
        self._emit_view()
        self._request_sync(0)

    @Slot(bool)
    def sign_out(self, discard_unsynced: bool = False) -> None:
        """Sign out; `discard_unsynced` first drops the changes not on Harvest yet (the user chose
        to lose them), else they stay in the cache for the next sign-in to this account."""
        with self._reporting("signing out"):
            self._disconnect()
            if discard_unsynced and self._engine is not None:
                self._engine.discard_unsynced()
            self._engine = None
            self._source.close()
            self._source.sign_out()
            self.signed_out.emit()
            self.needs_sign_in.emit()

    @Slot(object)
    def save_settings(self, settings: Settings) -> None:
        with self._reporting("saving the settings"):
            before = self._source.settings()
            reconnect = before.data_format != settings.data_format
            saved = self._source.save_settings(settings)
            if before.start_at_login != saved.start_at_login:
                from harvest_widget.autostart import apply_start_at_login, autostart_for_platform

                apply_start_at_login(saved.start_at_login, autostart_for_platform())
            self._apply_settings(saved)
            self.settings_loaded.emit(saved)
            if reconnect and self._connected:
                # The data format lives in the backend: talk to Harvest anew in the chosen one.
                self._disconnect()
                networked = self._source.open()
                if networked is None:
                    self.needs_sign_in.emit()
                    return
                self._connect(networked)
            self._schedule_next()

    # ---- navigation and reads -----------------------------------------------------------------
    @Slot(object)
    def show_day(self, day: dt.date | None) -> None:
        """Show `day` (None: today in the user's Harvest zone); refresh it from Harvest too."""
        self._shown_day = day
        if self._engine is None:
            return
        with self._reporting("reading the day"):
            self._emit_view()
        self._request_sync(0)

    @Slot(bool)
    def refresh(self, whole_week: bool = False) -> None:
        """A window (`whole_week`: its week strip too) or menu opened: refresh unless a sync just
        finished; days of the shown week never read in this session are read once."""
        self._want_week = self._want_week or whole_week
        recent = (
            self._last_sync_done is not None
            and self._monotonic() - self._last_sync_done < REFRESH_ON_OPEN_MIN_AGE_S
        )
        if not recent or (whole_week and self._unread_week_days()):
            self._request_sync(0)

    @Slot()
    def sync_now(self) -> None:
        self._request_sync(0)

    @Slot(str)
    def suggest_notes(self, prefix: str) -> None:
        if self._engine is None:
            return
        with self._reporting("looking up earlier notes"):
            self.notes_found.emit(prefix, self._engine.note_suggestions(prefix))

    # ---- local operations ----------------------------------------------------------------------
    @Slot(object)
    def create(self, draft: EntryDraft) -> None:
        self._local("saving the entry", lambda engine: engine.create(draft))

    @Slot(int)
    def start(self, entry_id: int) -> None:
        self._local("starting the timer", lambda engine: engine.start(entry_id))

    @Slot(object, str)
    def start_recent(self, project_task: tuple[int, int], notes: str) -> None:
        """Continue a recent project/task/notes combination: a new running entry today."""

        def act(engine: Engine) -> DaySnapshot:
            project_id, task_id = project_task
            return engine.start_new(
                EntryDraft(project_id=project_id, task_id=task_id, spent_on=engine.today(), notes=notes)
            )

        self._local("starting the timer", act)

    @Slot(int)
    def stop(self, entry_id: int) -> None:
        self._local("stopping the timer", lambda engine: engine.stop(entry_id))

    @Slot(int, object)
    def edit(self, entry_id: int, changes: EntryChanges) -> None:
        self._local("changing the entry", lambda engine: engine.edit(entry_id, changes))

    @Slot(int)
    def delete(self, entry_id: int) -> None:
        self._local("deleting the entry", lambda engine: engine.delete(entry_id))

    @Slot(object)
    def restore(self, entry: Entry) -> None:
        """Undo a delete: the entry comes back as a new one with the same fields."""
        draft = EntryDraft.copy_of(entry)
        self._local("restoring the entry", lambda engine: engine.create(draft))

    @Slot(int, str)
    def resolve(self, op_id: int, action: str) -> None:
        if action not in ("retry", "recreate", "discard"):
            raise ValueError(f"unknown conflict action {action!r}")
        self._local("resolving the conflict", lambda engine: engine.resolve_conflict(op_id, action))  # type: ignore[arg-type]

    def _local(self, doing: str, operation: Callable[[Engine], DaySnapshot]) -> None:
        if self._engine is None:
            self.failed.emit("Sign in first: there is no Harvest account to save this to.", "")
            return
        with self._reporting(doing):
            operation(self._engine)
            self._emit_view()
            self._request_sync(LOCAL_SYNC_DELAY_MS)

    # ---- syncing ------------------------------------------------------------------------------
    def _request_sync(self, delay_ms: int) -> None:
        """Coalesce: an armed timer that fires sooner already covers this request."""
        if not self._connected:
            return
        if self._sync_timer.isActive() and self._sync_timer.remainingTime() <= delay_ms:
            return
        self._sync_timer.start(delay_ms)

    def _run_sync(self) -> None:
        """Ask the sync thread for one sync (one more after it, when one is running)."""
        engine = self._engine
        if engine is None or not self._connected:
            return
        if self._syncing:
            self._sync_again = True
            return
        with self._reporting("syncing with Harvest"):
            wanted = [
                engine.today(),
                self._shown_day,
                *(self._unread_week_days() if self._want_week else ()),
            ]
            days = tuple(dict.fromkeys(d for d in wanted if d is not None))
            self._syncing = True
            self.syncing_changed.emit(True)
            self._sync_run.emit(days)

    @Slot(object, object)
    def _on_sync_finished(self, report: SyncReport | None, error: Exception | None) -> None:
        self._syncing = False
        self._last_sync_done = self._monotonic()
        with self._reporting("syncing with Harvest"):
            if error is not None:
                raise error
            if report is not None:
                self._read_days.update(report.refreshed)
                self.sync_finished.emit(report)
                if report.status.auth_failed:
                    self.failed.emit(user_message(AuthError("")), report.status.last_error or "")
        self.syncing_changed.emit(False)
        if self._engine is None:
            return
        with self._reporting("reading the day"):
            self._emit_view()
        if self._sync_again:
            self._sync_again = False
            self._request_sync(0)
        else:
            self._schedule_next()

    def _schedule_next(self) -> None:
        """Arm the next sync: after a throttle lifts, with back-off while offline, else jittered."""
        if self._engine is None or self._syncing:
            return
        status = self._engine.status()
        if status.auth_failed:
            self._sync_timer.stop()
            return
        if status.throttled_until is not None:
            wait_s = (status.throttled_until - dt.datetime.now(dt.UTC)).total_seconds() + 0.5
            self._offline_retry_s = self._offline_retry_first_s
        elif status.offline:
            wait_s = self._offline_retry_s
            self._offline_retry_s = min(self._offline_retry_s * 2, self._refresh_interval_s)
        else:
            self._offline_retry_s = self._offline_retry_first_s
            wait_s = self._refresh_interval_s * self._rng.uniform(0.9, 1.1)
        if self._sync_timer.isActive() and self._sync_timer.remainingTime() <= wait_s * 1000:
            return
        self._sync_timer.start(max(0, int(wait_s * 1000)))

    def _check_wake(self) -> None:
        wall, mono = self._wall_clock(), self._monotonic()
        last_wall, last_mono = self._wake_marks
        self._wake_marks = (wall, mono)
        if (wall - last_wall) - (mono - last_mono) > WAKE_GAP_SECONDS:
            log.info(
                "clock gap of %.0f s: the machine slept; refreshing", (wall - last_wall) - (mono - last_mono)
            )
            self._request_sync(0)

    def _apply_settings(self, settings: Settings) -> None:
        self._refresh_interval_s = float(settings.refresh_interval_seconds)

    # ---- output -------------------------------------------------------------------------------
    def _emit_view(self) -> None:
        engine = self._engine
        if engine is None:
            return
        today_date = engine.today()
        shown_date = self._shown_day or today_date
        today = engine.snapshot(today_date)
        shown = today if shown_date == today_date else engine.snapshot(shown_date)
        week = tuple((day, self._day_total(day, shown)) for day in self._week(shown_date))
        self.view_ready.emit(DayView(shown, today, week, engine.recent_combinations(5), self._syncing))

    def _week(self, day: dt.date) -> tuple[dt.date, ...]:
        whoami: WhoAmI | None = self._engine.whoami() if self._engine else None
        return week_of(day, whoami.week_start_day if whoami else "Monday")

    def _unread_week_days(self) -> list[dt.date]:
        if self._engine is None:
            return []
        today = self._engine.today()
        shown = self._shown_day or today
        return [d for d in self._week(shown) if d <= today and d not in self._read_days]

    def _day_total(self, day: dt.date, shown: DaySnapshot) -> Decimal | None:
        """The day's cached total; None when the cache has nothing and Harvest was not asked yet."""
        snapshot = shown if day == shown.date else self._engine.snapshot(day) if self._engine else None
        if snapshot is None or (not snapshot.entries and day not in self._read_days):
            return None
        return snapshot.total_hours

    @contextmanager
    def _reporting(self, doing: str) -> Iterator[None]:
        """Turn any failure into `failed(sentence, details)`; never swallow it silently."""
        try:
            yield
        except Exception as error:
            log.exception("failed while %s", doing)
            details = "".join(traceback.format_exception(error))
            self.failed.emit(f"Failed while {doing}: {user_message(error)}", details)


class WorkerHandle(QObject):
    """The GUI thread's side: owns the worker's and the sync runner's threads, forwards commands as
    queued signals.

    Every public method returns at once; answers come from `worker`'s signals (connect to them
    before calling `start`).
    """

    _open = Signal(object)
    _go_online = Signal()
    _close = Signal()
    _show_day = Signal(object)
    _refresh = Signal(bool)
    _sync_now = Signal()
    _suggest_notes = Signal(str)
    _create = Signal(object)
    _start = Signal(int)
    _start_recent = Signal(object, str)
    _stop = Signal(int)
    _edit = Signal(int, object)
    _delete = Signal(int)
    _restore = Signal(object)
    _resolve = Signal(int, str)
    _sign_in = Signal(object)
    _sign_out = Signal(bool)
    _save_settings = Signal(object)

    def __init__(self, worker: EngineWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self._thread = QThread()
        self._thread.setObjectName("engine-worker")
        worker.moveToThread(self._thread)
        for name in (
            "open", "go_online", "close", "show_day", "refresh", "sync_now", "suggest_notes", "create", "start",
            "start_recent", "stop", "edit", "delete", "restore", "resolve", "sign_in", "sign_out",
            "save_settings",
        ):  # fmt: skip
            getattr(self, f"_{name}").connect(getattr(worker, name))
        self._thread.finished.connect(worker.deleteLater)
        self._sync_thread = QThread()
        self._sync_thread.setObjectName("sync-runner")
        worker.sync_runner.moveToThread(self._sync_thread)
        self._sync_thread.finished.connect(worker.sync_runner.deleteLater)
        self._closed = False
        self._ended = True

    def start(self, sign_in: SignInRequest | None = None) -> None:
        """Start the thread and open the engine there (signing in with `sign_in` when given)."""
        self._sync_thread.start()
        self._thread.start()
        self._open.emit(sign_in)

    def go_online(self) -> None:
        """Call once the first view is painted: the worker then connects to Harvest."""
        self._go_online.emit()

    def shutdown(self, timeout_ms: int = SHUTDOWN_WAIT_MS) -> bool:
        """Close the engines, stop both threads and wait for them, at most `timeout_ms` each; True
        when both ended. False means a Harvest call still hangs: the process should exit anyway
        (the outbox is in SQLite; an operation caught mid-send is checked before it is resent)."""
        if self._closed:
            return self._ended
        self._closed = True
        if self._thread.isRunning():
            self._close.emit()
        ended = True
        for thread in (self._thread, self._sync_thread):
            thread.quit()
            if thread.isRunning() and not thread.wait(timeout_ms):
                log.error(
                    "the %s thread did not stop within %d ms (a Harvest call is still waiting)",
                    thread.objectName(),
                    timeout_ms,
                )
                ended = False
        self._ended = ended
        return ended

    def show_day(self, day: dt.date | None) -> None:
        self._show_day.emit(day)

    def refresh(self, whole_week: bool = False) -> None:
        self._refresh.emit(whole_week)

    def sync_now(self) -> None:
        self._sync_now.emit()

    def suggest_notes(self, prefix: str) -> None:
        self._suggest_notes.emit(prefix)

    def create(self, draft: EntryDraft) -> None:
        self._create.emit(draft)

    def start_timer(self, entry_id: int) -> None:
        self._start.emit(entry_id)

    def start_recent(self, project_id: int, task_id: int, notes: str) -> None:
        self._start_recent.emit((project_id, task_id), notes)

    def stop_timer(self, entry_id: int) -> None:
        self._stop.emit(entry_id)

    def edit(self, entry_id: int, changes: EntryChanges) -> None:
        self._edit.emit(entry_id, changes)

    def delete(self, entry_id: int) -> None:
        self._delete.emit(entry_id)

    def restore(self, entry: Entry) -> None:
        self._restore.emit(entry)

    def resolve(self, op_id: int, action: str) -> None:
        self._resolve.emit(op_id, action)

    def sign_in(self, request: SignInRequest) -> None:
        self._sign_in.emit(request)

    def sign_out(self, discard_unsynced: bool = False) -> None:
        self._sign_out.emit(discard_unsynced)

    def save_settings(self, settings: Settings) -> None:
        self._save_settings.emit(settings)
