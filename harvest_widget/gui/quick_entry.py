"""Quick entry: project/task, notes, hours (or start/end times), Enter saves; blank hours start a timer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from harvest_widget.core.account import TimerMode
from harvest_widget.core.durations import DurationError, parse_duration, seconds_to_hours
from harvest_widget.core.timesheet import EntryDraft, Project
from harvest_widget.gui.project_picker import ProjectPicker
from harvest_widget.gui.style import show_as_error


class QuickEntry(QWidget):
    """Emits `submitted(EntryDraft)` when the user presses Enter (or the button) on valid input."""

    submitted = Signal(object)  # EntryDraft
    notes_prefix_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._day = dt.date.today()
        self._timer_mode = TimerMode.DURATION
        self.picker = ProjectPicker(self)
        self.notes = QLineEdit(self)
        self.notes.setPlaceholderText("Notes")
        self._note_list = QStringListModel(self)
        note_completer = QCompleter(self._note_list, self)
        note_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        note_completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.notes.setCompleter(note_completer)
        self.notes.textEdited.connect(self.notes_prefix_changed)
        self.hours = QLineEdit(self)
        self.hours.setPlaceholderText("0:00")
        self.hours.setToolTip("1.5, 1:30, 90m or 1h30; leave blank to start a timer")
        self.hours.setMaximumWidth(90)
        self.started_at = QLineEdit(self)
        self.started_at.setPlaceholderText("Start")
        self.started_at.setMaximumWidth(80)
        self.ended_at = QLineEdit(self)
        self.ended_at.setPlaceholderText("End")
        self.ended_at.setToolTip("Leave the end blank to start a timer")
        self.ended_at.setMaximumWidth(80)
        self.save_button = QPushButton("Start timer", self)
        self.save_button.setDefault(True)
        self.save_button.setToolTip("Save the entry (Enter); with no hours it starts a timer")
        self.error = QLabel(self)
        self.error.setObjectName("quickEntryError")
        show_as_error(self.error)
        self.error.setWordWrap(True)
        self.error.hide()

        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.picker, 3)
        row.addWidget(self.notes, 3)
        row.addWidget(self.hours)
        row.addWidget(self.started_at)
        row.addWidget(self.ended_at)
        row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.error)

        for field in (self.picker, self.notes, self.hours, self.started_at, self.ended_at):
            field.returnPressed.connect(self._on_return_pressed)
        self.hours.textChanged.connect(self._update_button)
        self.ended_at.textChanged.connect(self._update_button)
        self.save_button.clicked.connect(self.submit)
        self.set_timer_mode(TimerMode.DURATION)

    def set_day(self, day: dt.date) -> None:
        self._day = day

    def set_projects(self, projects: Sequence[Project]) -> None:
        self.picker.set_projects(projects)

    def set_note_suggestions(self, notes: Sequence[str]) -> None:
        self._note_list.setStringList(list(notes))

    def set_timer_mode(self, mode: TimerMode) -> None:
        self._timer_mode = mode
        timestamps = mode is TimerMode.TIMESTAMP
        self.hours.setVisible(not timestamps)
        self.started_at.setVisible(timestamps)
        self.ended_at.setVisible(timestamps)
        self._update_button()

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _update_button(self) -> None:
        blank = not (
            self.ended_at.text() if self._timer_mode is TimerMode.TIMESTAMP else self.hours.text()
        ).strip()
        self.save_button.setText("Start timer" if blank else "Save entry")

    def _on_return_pressed(self) -> None:
        # WORKAROUND: Enter that picks a completion in a popup must not also save (toggldesktop #2473).
        completer = self.picker.completer()
        popup = completer.popup() if completer is not None else None
        if self.sender() is self.picker and popup is not None and popup.isVisible():
            return
        if popup is not None:
            popup.hide()
        self.submit()

    def submit(self) -> None:
        draft = self._draft()
        if draft is None:
            return
        self.show_error("")
        self.submitted.emit(draft)
        self.picker.clear_choice()
        self.notes.clear()
        self.hours.clear()
        self.started_at.clear()
        self.ended_at.clear()
        self.picker.setFocus()

    def _draft(self) -> EntryDraft | None:
        choice = self.picker.accept_best_match()
        if choice is None:
            self.show_error("Pick a project and task first: type part of a client, project or task name.")
            self.picker.setFocus()
            return None
        hours = None
        started_at = ended_at = None
        if self._timer_mode is TimerMode.TIMESTAMP:
            started_at = self.started_at.text().strip() or None
            ended_at = self.ended_at.text().strip() or None
        elif self.hours.text().strip():
            try:
                hours = seconds_to_hours(parse_duration(self.hours.text()))
            except DurationError as error:
                self.show_error(str(error))
                self.hours.setFocus()
                return None
        return EntryDraft(
            project_id=choice.project.id,
            task_id=choice.task.id,
            spent_on=self._day,
            notes=self.notes.text().strip(),
            hours=hours,
            started_at=started_at,
            ended_at=ended_at,
        )
