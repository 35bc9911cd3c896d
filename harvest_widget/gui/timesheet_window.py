"""The daily timesheet: day header and week strip, quick entry, the entries table, a status line.

Everything the user does becomes a command on the `WorkerHandle`; what is shown comes only from
the worker's `DayView`s. Closing the window hides it (the tray keeps running).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QDate,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QColor, QFont, QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCalendarWidget,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from harvest_widget.core.account import HoursFormat, TimerMode, WhoAmI
from harvest_widget.core.durations import format_hours, format_seconds
from harvest_widget.core.timesheet import Entry
from harvest_widget.gui.entry_table_model import (
    COL_HOURS,
    COL_NOTES,
    COL_PROJECT,
    COL_TASK,
    COL_TIMER,
    ENTRY_ROLE,
    EntryTableModel,
)
from harvest_widget.gui.quick_entry import QuickEntry
from harvest_widget.gui.status_line import StatusLine
from harvest_widget.gui.style import show_as_hint
from harvest_widget.gui.tray_icons import app_icon
from harvest_widget.gui.worker import DayView, WorkerHandle

if TYPE_CHECKING:  # the sync package is loaded on the worker thread, after the first paint
    from harvest_widget.sync.snapshots import LocalEntry

UNDO_SECONDS = 15
NOT_READ = "\u2013"  # an en dash: this day has not been read from Harvest yet
RUNNING_BUTTON = QColor(196, 78, 0)


class TimerButtonDelegate(QStyledItemDelegate):
    """Paints the Start/Stop column as a push button; a click on it is handled by the window."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        local: LocalEntry | None = index.data(ENTRY_ROLE)
        if local is None or local.entry.is_locked:
            super().paint(painter, option, index)
            return
        button = QStyleOptionButton()
        rect: QRect = option.rect
        button.rect = rect.adjusted(6, 4, -6, -4)
        button.text = str(index.data(Qt.ItemDataRole.DisplayRole))
        button.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Raised
        if local.entry.is_running:
            palette = QPalette(option.palette)
            palette.setColor(QPalette.ColorRole.Button, RUNNING_BUTTON)
            palette.setColor(QPalette.ColorRole.ButtonText, QColor("white"))
            button.palette = palette
        style = QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_PushButton, button, painter)


class DateButton(QToolButton):
    """The shown day ("Sat 28 Nov 2026"); a click opens a calendar on it, and picking a day (click or
    Enter) emits `picked(date)`. Escape or a click elsewhere closes the calendar.

    Not a QDateEdit: building one sets up Qt's locale machinery, ~6 ms before the window's first
    paint. The date is written by Python and the calendar is built the first time it is opened.
    """

    picked = Signal(object)  # dt.date

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._calendar: QCalendarWidget | None = None
        self.setToolTip("Choose a date (Ctrl+G)")
        self.clicked.connect(self.open_calendar)
        self.set_date(dt.date.today())

    def set_date(self, day: dt.date) -> None:
        self._date = day
        self.setText(f"{day:%a} {day.day} {day:%b %Y} \u25be")  # a small down-pointing triangle

    def calendar(self) -> QCalendarWidget | None:
        """The calendar, once it has been opened."""
        return self._calendar

    def open_calendar(self) -> None:
        calendar = self._calendar or self._build_calendar()
        calendar.setSelectedDate(QDate(self._date.year, self._date.month, self._date.day))
        size = calendar.sizeHint()
        screen = self.screen().availableGeometry()
        below = self.mapToGlobal(QPoint(self.width() - size.width(), self.height()))
        x = max(screen.left(), min(below.x(), screen.right() + 1 - size.width()))
        y = (
            below.y()
            if below.y() + size.height() <= screen.bottom() + 1
            else below.y() - self.height() - size.height()
        )
        calendar.setGeometry(x, y, size.width(), size.height())
        calendar.show()
        calendar.setFocus(Qt.FocusReason.PopupFocusReason)

    def _build_calendar(self) -> QCalendarWidget:
        calendar = QCalendarWidget(self)
        calendar.setWindowFlags(Qt.WindowType.Popup)
        calendar.clicked.connect(self._pick)
        calendar.activated.connect(self._pick)  # Enter
        self._calendar = calendar
        return calendar

    def _pick(self, value: QDate) -> None:
        if self._calendar is not None:
            self._calendar.hide()
        self.picked.emit(value.toPython())


class TimesheetWindow(QMainWindow):
    """`visibility_changed(bool)` lets the shell refresh on open and stop ticking when hidden."""

    visibility_changed = Signal(bool)
    settings_requested = Signal()
    sign_out_requested = Signal()
    quit_requested = Signal()

    def __init__(self, worker: WorkerHandle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._view: DayView | None = None
        self._whoami: WhoAmI | None = None
        self._hours_override: HoursFormat | None = None
        self._deleted: Entry | None = None
        self.setWindowTitle("Harvest timesheet")
        self.setWindowIcon(app_icon())
        self.resize(860, 560)

        self.status_line = StatusLine(self)
        self.model = EntryTableModel(parent=self)
        self.model.edit_requested.connect(worker.edit)
        self.model.input_rejected.connect(lambda message: self.status_line.show_error(message, ""))
        self.model.ticked.connect(self._update_totals)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(14, 12, 14, 10)
        layout.setSpacing(10)
        layout.addLayout(self._build_header())
        layout.addWidget(self._build_week_strip())
        self.quick_entry = QuickEntry(self)
        self.quick_entry.submitted.connect(worker.create)
        self.quick_entry.notes_prefix_changed.connect(worker.suggest_notes)
        layout.addWidget(self.quick_entry)
        layout.addWidget(self._build_table(), 1)
        self.empty_label = QLabel(
            "No time on this day yet. Pick a project above and press Enter to start a timer.", self
        )
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        show_as_hint(self.empty_label)
        layout.addWidget(self.empty_label)
        layout.addWidget(self._build_undo_banner())
        footer = QHBoxLayout()
        footer.addWidget(self.status_line, 1)
        self.total_label = QLabel(self)
        total_font = QFont(self.font())
        total_font.setBold(True)
        total_font.setPointSizeF(total_font.pointSizeF() * 1.1)
        self.total_label.setFont(total_font)
        footer.addWidget(self.total_label)
        layout.addLayout(footer)
        self.setCentralWidget(central)
        self._build_actions()
        self._update_selection_actions()
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.timeout.connect(self._forget_deleted)

    # ---- building -----------------------------------------------------------------------------
    def _build_header(self) -> QHBoxLayout:
        header = QHBoxLayout()
        header.setSpacing(6)
        self.prev_button = QToolButton(self)
        self.prev_button.setText("◀")
        self.today_button = QPushButton("Today", self)
        self.next_button = QToolButton(self)
        self.next_button.setText("▶")
        self.day_label = QLabel(self)
        self.day_label.setObjectName("dayLabel")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.day_label.setFont(font)
        self.date_button = DateButton(self)
        self.date_button.picked.connect(self.show_date)
        self.sync_button = QToolButton(self)
        self.sync_button.setText("Sync now")
        for widget in (self.prev_button, self.today_button, self.next_button):
            header.addWidget(widget)
        header.addSpacing(10)
        header.addWidget(self.day_label, 1)
        header.addWidget(self.date_button)
        header.addWidget(self.sync_button)
        return header

    def _build_week_strip(self) -> QWidget:
        strip = QFrame(self)
        strip.setObjectName("weekStrip")
        layout = QHBoxLayout(strip)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.day_buttons: list[QToolButton] = []
        for _ in range(7):
            button = QToolButton(strip)
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(
                button.sizePolicy().horizontalPolicy().Expanding, button.sizePolicy().verticalPolicy()
            )
            button.setMinimumHeight(40)
            button.clicked.connect(lambda _=False, b=button: self._on_week_day_clicked(b))
            layout.addWidget(button, 1)
            self.day_buttons.append(button)
        self.week_total_label = QLabel(strip)
        self.week_total_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.week_total_label.setMinimumWidth(90)
        layout.addWidget(self.week_total_label)
        return strip

    def _build_table(self) -> QTableView:
        table = QTableView(self)
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(34)
        header = table.horizontalHeader()
        header.setSectionResizeMode(COL_PROJECT, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_TASK, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_NOTES, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_HOURS, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(COL_TIMER, QHeaderView.ResizeMode.Fixed)
        table.setColumnWidth(COL_PROJECT, 220)
        table.setColumnWidth(COL_TASK, 130)
        table.setColumnWidth(COL_HOURS, 70)
        table.setColumnWidth(COL_TIMER, 84)
        table.setItemDelegateForColumn(COL_TIMER, TimerButtonDelegate(table))
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._on_table_context_menu)
        table.clicked.connect(self._on_table_clicked)
        self.model.modelReset.connect(self._update_selection_actions)
        self.table = table
        selection = table.selectionModel()
        selection.selectionChanged.connect(self._update_selection_actions)
        return table

    def _build_undo_banner(self) -> QFrame:
        banner = QFrame(self)
        banner.setObjectName("undoBanner")
        banner.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(banner)
        layout.setContentsMargins(10, 4, 6, 4)
        self.undo_label = QLabel(banner)
        self.undo_button = QPushButton("Undo", banner)
        self.undo_button.setToolTip("Bring the deleted entry back (Ctrl+Z)")
        self.undo_button.clicked.connect(self.undo_delete)
        layout.addWidget(self.undo_label, 1)
        layout.addWidget(self.undo_button)
        banner.hide()
        self.undo_banner = banner
        return banner

    def _action(
        self,
        text: str,
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None,
        slot: Callable[[], Any],
        tip: str,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            tip = f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.new_action = self._action(
            "&New entry", QKeySequence.StandardKey.New, self.focus_quick_entry, "Type a new entry"
        )
        self.toggle_action = self._action(
            "&Start/stop timer",
            "Ctrl+Space",
            self.toggle_selected,
            "Start or stop the selected entry's timer",
        )
        self.edit_notes_action = self._action(
            "Edit &notes", "F2", self._edit_selected_notes, "Edit the selected entry's notes"
        )
        self.edit_hours_action = self._action(
            "Edit &hours", "Ctrl+H", self._edit_selected_hours, "Edit the selected entry's hours"
        )
        self.move_action = self._action(
            "Change project, task or &date…", "Ctrl+E", self.move_selected, "Move the selected entry"
        )
        self.delete_action = self._action(
            "&Delete entry", "Ctrl+Delete", self.delete_selected, "Delete the selected entry"
        )
        self.undo_action = self._action(
            "&Undo delete", QKeySequence.StandardKey.Undo, self.undo_delete, "Bring the deleted entry back"
        )
        self.retry_action = self._action(
            "&Retry change", "Ctrl+R", lambda: self._resolve("retry"), "Send the refused change again"
        )
        self.recreate_action = self._action(
            "Re-&create entry", None, lambda: self._resolve("recreate"), "Create the entry again in Harvest"
        )
        self.discard_action = self._action(
            "D&iscard change",
            None,
            lambda: self._resolve("discard"),
            "Drop the local change; Harvest's version wins",
        )
        self.prev_action = self._action(
            "&Previous day", "Alt+Left", lambda: self.step_day(-1), "Previous day"
        )
        self.next_action = self._action("Ne&xt day", "Alt+Right", lambda: self.step_day(1), "Next day")
        self.today_action = self._action("&Today", "Alt+Home", self.go_today, "Back to today")
        self.pick_date_action = self._action(
            "&Go to date…", "Ctrl+G", self.date_button.open_calendar, "Choose a date"
        )
        self.sync_action = self._action(
            "S&ync now", QKeySequence.StandardKey.Refresh, self._worker.sync_now, "Sync with Harvest now"
        )
        self.settings_action = self._action(
            "S&ettings…", "Ctrl+,", self.settings_requested.emit, "Preferences and sign out"
        )
        self.sign_out_action = self._action(
            "Sign &out…", None, self.sign_out_requested.emit, "Sign out of Harvest"
        )
        self.close_action = self._action(
            "&Close window",
            QKeySequence.StandardKey.Close,
            self.hide,
            "Hide the window (the timer keeps running)",
        )
        self.quit_action = self._action(
            "&Quit", QKeySequence.StandardKey.Quit, self.quit_requested.emit, "Quit the widget"
        )
        # Delete and the timer toggle act on the table's selection: only there, so text fields keep their keys.
        for action in (self.delete_action, self.toggle_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

        bar = self.menuBar()
        entry_menu = bar.addMenu("&Entry")
        for action in (
            self.new_action,
            self.toggle_action,
            self.edit_notes_action,
            self.edit_hours_action,
            self.move_action,
        ):
            entry_menu.addAction(action)
        entry_menu.addSeparator()
        entry_menu.addAction(self.delete_action)
        entry_menu.addAction(self.undo_action)
        entry_menu.addSeparator()
        for action in (self.retry_action, self.recreate_action, self.discard_action):
            entry_menu.addAction(action)
        day_menu = bar.addMenu("&Day")
        for action in (self.prev_action, self.next_action, self.today_action, self.pick_date_action):
            day_menu.addAction(action)
        day_menu.addSeparator()
        day_menu.addAction(self.sync_action)
        account_menu = bar.addMenu("&Harvest")
        for action in (self.settings_action, self.sign_out_action, self.close_action, self.quit_action):
            account_menu.addAction(action)

        self.prev_button.setDefaultAction(self.prev_action)
        self.prev_button.setText("◀")
        self.next_button.setDefaultAction(self.next_action)
        self.next_button.setText("▶")
        self.today_button.clicked.connect(self.go_today)
        self.today_button.setToolTip(self.today_action.toolTip())
        self.sync_button.setDefaultAction(self.sync_action)
        self.sync_button.setText("Sync now")

    # ---- showing a DayView --------------------------------------------------------------------
    def set_whoami(self, whoami: WhoAmI) -> None:
        self._whoami = whoami
        self.quick_entry.set_timer_mode(whoami.timer_mode)
        title = f"Harvest timesheet · {whoami.company_name}" if whoami.company_name else "Harvest timesheet"
        self.setWindowTitle(title)
        self._apply_hours_format()

    def set_hours_override(self, style: HoursFormat | None) -> None:
        self._hours_override = style
        self._apply_hours_format()

    def hours_format(self) -> HoursFormat:
        if self._hours_override is not None:
            return self._hours_override
        return self._whoami.hours_format if self._whoami else HoursFormat.DECIMAL

    def _apply_hours_format(self) -> None:
        self.model.set_hours_format(self.hours_format())
        if self._view is not None:
            self.show_view(self._view)

    def current_view(self) -> DayView | None:
        return self._view

    def show_view(self, view: DayView) -> None:
        selected = self.selected_entry()
        self._view = view
        shown = view.shown
        self.model.set_rows(shown.entries, shown.monotonic_at)
        if selected is not None and (row := self.model.row_of(selected.entry.id)) is not None:
            self.table.selectRow(row)
        self.empty_label.setVisible(not shown.entries)
        self.quick_entry.set_day(shown.date)
        self.quick_entry.set_projects(shown.projects)
        if shown.whoami is not None and shown.whoami != self._whoami:
            self.set_whoami(shown.whoami)
        is_today = shown.date == view.today.date
        self.day_label.setText(
            ("Today, " if is_today else "") + f"{shown.date:%A} {shown.date.day} {shown.date:%B %Y}"
        )
        self.today_button.setEnabled(not is_today)
        self.date_button.set_date(shown.date)
        style = self.hours_format()
        for button, (day, hours) in zip(self.day_buttons, view.week, strict=True):
            button.setText(f"{day:%a} {day.day}\n{NOT_READ if hours is None else format_hours(hours, style)}")
            button.setProperty("day", day.isoformat())
            button.setChecked(day == shown.date)
            button.setToolTip(f"{day:%A} {day.day} {day:%B}" + (" (today)" if day == view.today.date else ""))
        self.week_total_label.setText(
            f"Week\n{format_hours(sum((h for _, h in view.week if h is not None), Decimal(0)), style)}"
        )
        self.status_line.set_status(shown.status)
        self._update_totals()
        self._update_selection_actions()

    def _update_totals(self) -> None:
        if self._view is None:
            self.total_label.setText("")
            return
        seconds = self.model.total_seconds()
        self.total_label.setText(f"Total {format_seconds(seconds, self.hours_format())}")

    # ---- selection and actions ----------------------------------------------------------------
    def selected_entry(self) -> LocalEntry | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.local_entry(rows[0].row()) if rows else None

    def _update_selection_actions(self) -> None:
        local = self.selected_entry()
        editable = local is not None and not local.entry.is_locked
        for action in (self.toggle_action, self.edit_notes_action, self.move_action, self.delete_action):
            action.setEnabled(editable)
        self.edit_hours_action.setEnabled(editable and local is not None and not local.entry.is_running)
        troubled = local is not None and local.state in ("conflict", "failed") and local.op_id is not None
        for action in (self.retry_action, self.recreate_action, self.discard_action):
            action.setEnabled(troubled)
        self.undo_action.setEnabled(self._deleted is not None)
        if local is not None:
            self.toggle_action.setText("&Stop timer" if local.entry.is_running else "&Start timer")

    def select_entry(self, entry_id: int) -> bool:
        row = self.model.row_of(entry_id)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def focus_quick_entry(self) -> None:
        self.quick_entry.picker.setFocus()
        self.quick_entry.picker.selectAll()

    def toggle_selected(self) -> None:
        local = self.selected_entry()
        if local is not None:
            self.toggle_entry(local)

    def toggle_entry(self, local: LocalEntry) -> None:
        if local.entry.is_locked:
            self.status_line.show_error(
                f"This entry is locked: {local.entry.locked_reason or 'it can no longer be changed'}.", ""
            )
            return
        if local.entry.is_running:
            self._worker.stop_timer(local.entry.id)
        else:
            self._worker.start_timer(local.entry.id)

    def _edit_selected_notes(self) -> None:
        self._edit_selected(COL_NOTES)

    def _edit_selected_hours(self) -> None:
        self._edit_selected(COL_HOURS)

    def _edit_selected(self, column: int) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            index = self.model.index(rows[0].row(), column)
            self.table.setCurrentIndex(index)
            self.table.edit(index)

    def move_selected(self) -> None:
        local = self.selected_entry()
        if local is None or local.entry.is_locked or self._view is None:
            return
        from harvest_widget.gui.entry_dialog import EntryDialog  # first use only: a faster start-up

        dialog = EntryDialog(local.entry, self._view.shown.projects, self)

        def on_accepted() -> None:
            changes = dialog.changes()
            if not changes.is_empty():
                self._worker.edit(local.entry.id, changes)

        dialog.accepted.connect(on_accepted)
        dialog.open()

    def delete_selected(self) -> None:
        local = self.selected_entry()
        if local is None or local.entry.is_locked:
            return
        entry = local.entry
        self._worker.delete(entry.id)
        self._deleted = entry
        what = " - ".join(part for part in (entry.project_name, entry.task_name) if part) or "the entry"
        self.undo_label.setText(f"Deleted {what}{f' ({entry.notes})' if entry.notes else ''}.")
        self.undo_banner.show()
        self._undo_timer.start(UNDO_SECONDS * 1000)
        self._update_selection_actions()

    def undo_delete(self) -> None:
        if self._deleted is None:
            return
        self._worker.restore(self._deleted)
        self._forget_deleted()

    def _forget_deleted(self) -> None:
        self._deleted = None
        self.undo_banner.hide()
        self._update_selection_actions()

    def _resolve(self, action: str) -> None:
        local = self.selected_entry()
        if local is not None and local.op_id is not None:
            self._worker.resolve(local.op_id, action)

    def _on_table_clicked(self, index: QModelIndex) -> None:
        if index.column() == COL_TIMER:
            self.toggle_entry(self.model.local_entry(index.row()))

    def _on_table_context_menu(self, position: Any) -> None:
        index = self.table.indexAt(position)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        menu = QMenu(self)
        for action in (
            self.toggle_action,
            self.edit_notes_action,
            self.edit_hours_action,
            self.move_action,
            self.delete_action,
        ):
            menu.addAction(action)
        if self.retry_action.isEnabled():
            menu.addSeparator()
            for action in (self.retry_action, self.recreate_action, self.discard_action):
                menu.addAction(action)
        menu.popup(self.table.viewport().mapToGlobal(position))

    # ---- navigation ---------------------------------------------------------------------------
    def shown_date(self) -> dt.date | None:
        return self._view.shown.date if self._view else None

    def step_day(self, days: int) -> None:
        current = self.shown_date()
        if current is not None:
            self.show_date(current + dt.timedelta(days=days))

    def go_today(self) -> None:
        self._worker.show_day(None)

    def show_date(self, day: dt.date) -> None:
        if self._view is not None and day == self._view.today.date:
            self._worker.show_day(None)
        else:
            self._worker.show_day(day)

    def _on_week_day_clicked(self, button: QToolButton) -> None:
        day = button.property("day")
        if day:
            self.show_date(dt.date.fromisoformat(day))

    # ---- window behaviour ---------------------------------------------------------------------
    def bring_forward(self) -> None:
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closing hides to the tray; Quit is in the menus.
        event.ignore()
        self.hide()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show:
            self.model.set_ticking(True)
            self.visibility_changed.emit(True)
        elif event.type() == QEvent.Type.Hide:
            self.model.set_ticking(False)
            self.visibility_changed.emit(False)
        return super().event(event)

    def timer_mode(self) -> TimerMode:
        return self._whoami.timer_mode if self._whoami else TimerMode.DURATION
