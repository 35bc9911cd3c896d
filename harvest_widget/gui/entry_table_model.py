"""The day's entries as a table: one row per entry, the running row's hours ticking once a second.

The model never changes data itself. Edits made in the view are parsed here and announced with
`edit_requested`; the engine applies them and the next snapshot (via `set_rows`) shows the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap

from harvest_widget.core.account import HoursFormat
from harvest_widget.core.durations import (
    DurationError,
    format_seconds,
    hours_to_seconds,
    parse_duration,
    seconds_to_hours,
)
from harvest_widget.core.timesheet import EntryChanges

if TYPE_CHECKING:  # the sync package is loaded on the worker thread, after the first paint
    from harvest_widget.sync.snapshots import LocalEntry

COL_PROJECT = 0
COL_TASK = 1
COL_NOTES = 2
COL_HOURS = 3
COL_TIMER = 4
COLUMN_TITLES = ("Project", "Task", "Notes", "Hours", "")

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
"""`data(index, ENTRY_ROLE)` is the row's `LocalEntry`."""

RUNNING_BACKGROUND = QColor(255, 243, 224)  # a warm tint for the running row, readable in light themes
PENDING_COLOR = QColor(224, 145, 20)
CONFLICT_COLOR = QColor(200, 40, 40)

_Index = QModelIndex | QPersistentModelIndex


def _dot_icon(color: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawEllipse(2, 2, 8, 8)
    painter.end()
    return QIcon(pixmap)


def entry_title(local: LocalEntry) -> str:
    entry = local.entry
    project = entry.project_name or f"Project {entry.project_id}"
    return f"{project} ({entry.client_name})" if entry.client_name else project


class EntryTableModel(QAbstractTableModel):
    """Rows of `LocalEntry` from a `DaySnapshot`.

    `monotonic` must be the clock the snapshot's `monotonic_at` was taken with: running time shown is
    the server's hours at the last answer plus the monotonic time since (never accumulated ticks).
    """

    edit_requested = Signal(int, object)  # entry id, EntryChanges
    input_rejected = Signal(str)  # a user-ready sentence
    ticked = Signal()

    def __init__(self, monotonic: Callable[[], float] = time.monotonic, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: tuple[LocalEntry, ...] = ()
        self._snapshot_at = monotonic()
        self._monotonic = monotonic
        self._hours_format = HoursFormat.DECIMAL
        self._ticking_enabled = False
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._on_tick)
        self._icons: dict[str, QIcon] = {}

    # ---- feeding -------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[LocalEntry], snapshot_at: float) -> None:
        self.beginResetModel()
        self._rows = tuple(rows)
        self._snapshot_at = snapshot_at
        self.endResetModel()
        self._update_tick()

    def set_hours_format(self, style: HoursFormat) -> None:
        if style is not self._hours_format:
            self._hours_format = style
            if self._rows:
                self.dataChanged.emit(self.index(0, COL_HOURS), self.index(len(self._rows) - 1, COL_HOURS))

    def set_ticking(self, enabled: bool) -> None:
        """Tick only while someone can see it (the window is visible)."""
        self._ticking_enabled = enabled
        self._update_tick()

    @property
    def hours_format(self) -> HoursFormat:
        return self._hours_format

    def running_row(self) -> int | None:
        return next((i for i, row in enumerate(self._rows) if row.entry.is_running), None)

    def row_of(self, entry_id: int) -> int | None:
        return next((i for i, row in enumerate(self._rows) if row.entry.id == entry_id), None)

    def local_entry(self, row: int) -> LocalEntry:
        return self._rows[row]

    def elapsed_seconds(self, local: LocalEntry) -> int:
        """The entry's time now: server hours plus, while running, the monotonic time since."""
        seconds = hours_to_seconds(local.entry.hours)
        if local.entry.is_running:
            seconds += max(0, round(self._monotonic() - self._snapshot_at))
        return seconds

    def total_seconds(self) -> int:
        return sum(self.elapsed_seconds(row) for row in self._rows)

    def _update_tick(self) -> None:
        should = self._ticking_enabled and self.running_row() is not None
        if should and not self._tick.isActive():
            self._tick.start()
        elif not should and self._tick.isActive():
            self._tick.stop()

    def _on_tick(self) -> None:
        row = self.running_row()
        if row is None:
            self._tick.stop()
            return
        cell = self.index(row, COL_HOURS)
        self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.DisplayRole])
        self.ticked.emit()

    # ---- Qt model API --------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMN_TITLES)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMN_TITLES):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMN_TITLES[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section == COL_HOURS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        entry = self._rows[index.row()].entry
        if entry.is_locked:
            return base
        if index.column() == COL_NOTES or (index.column() == COL_HOURS and not entry.is_running):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        local = self._rows[index.row()]
        entry = local.entry
        column = index.column()
        if role == ENTRY_ROLE:
            return local
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(local, column)
        if role == Qt.ItemDataRole.EditRole:
            if column == COL_NOTES:
                return entry.notes
            if column == COL_HOURS:
                return format_seconds(self.elapsed_seconds(local), self._hours_format)
            return self._display(local, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(local, column)
        if role == Qt.ItemDataRole.DecorationRole and column == COL_PROJECT:
            if local.state == "pending":
                return self._marker("pending", PENDING_COLOR)
            if local.state in ("conflict", "failed"):
                return self._marker("conflict", CONFLICT_COLOR)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (COL_HOURS, COL_TIMER):
            align = Qt.AlignmentFlag.AlignRight if column == COL_HOURS else Qt.AlignmentFlag.AlignHCenter
            return int(align | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and entry.is_running:
            return QBrush(RUNNING_BACKGROUND)
        if role == Qt.ItemDataRole.ForegroundRole and entry.is_locked:
            return QBrush(QColor(120, 120, 120))
        if role == Qt.ItemDataRole.FontRole and column == COL_HOURS and entry.is_running:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _marker(self, name: str, color: QColor) -> QIcon:
        if name not in self._icons:
            self._icons[name] = _dot_icon(color)
        return self._icons[name]

    def _display(self, local: LocalEntry, column: int) -> str:
        entry = local.entry
        if column == COL_PROJECT:
            return entry_title(local)
        if column == COL_TASK:
            return entry.task_name or f"Task {entry.task_id}"
        if column == COL_NOTES:
            return entry.notes.replace("\n", " ⏎ ")
        if column == COL_HOURS:
            return format_seconds(self.elapsed_seconds(local), self._hours_format)
        if column == COL_TIMER:
            if entry.is_locked:
                return "Locked"
            return "Stop" if entry.is_running else "Start"
        return ""

    def _tooltip(self, local: LocalEntry, column: int) -> str | None:
        entry = local.entry
        lines: list[str] = []
        if entry.is_locked:
            lines.append(f"Locked: {entry.locked_reason or 'this entry can no longer be changed.'}")
        if local.state == "pending":
            lines.append("Waiting to sync with Harvest.")
        elif local.state in ("conflict", "failed"):
            lines.append(local.message or "Harvest refused this change.")
            lines.append("Right-click to retry, re-create or discard.")
        if column == COL_NOTES and entry.notes:
            lines.insert(0, entry.notes)
        if column == COL_TIMER and not entry.is_locked:
            lines.append(
                "Stop this timer (Ctrl+Space)"
                if entry.is_running
                else "Start this entry's timer (Ctrl+Space)"
            )
        if entry.started_at and column == COL_HOURS:
            lines.append(f"{entry.started_at} - {entry.ended_at or 'now'}")
        return "\n".join(lines) or None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not (self.flags(index) & Qt.ItemFlag.ItemIsEditable):
            return False
        entry = self._rows[index.row()].entry
        text = str(value)
        if index.column() == COL_NOTES:
            if text == entry.notes:
                return False
            self.edit_requested.emit(entry.id, EntryChanges(notes=text))
            return True
        if index.column() == COL_HOURS:
            try:
                hours = seconds_to_hours(parse_duration(text))
            except DurationError as error:
                self.input_rejected.emit(str(error))
                return False
            if hours == entry.hours:
                return False
            self.edit_requested.emit(entry.id, EntryChanges(hours=hours))
            return True
        return False
