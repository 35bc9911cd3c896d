"""Move an entry to another project, task or day (notes and hours are edited inline in the table)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from harvest_widget.core.timesheet import Entry, EntryChanges, Project
from harvest_widget.gui.project_picker import ProjectPicker
from harvest_widget.gui.style import show_as_error


class EntryDialog(QDialog):
    def __init__(self, entry: Entry, projects: Sequence[Project], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Change project, task or date")
        self._entry = entry
        self.picker = ProjectPicker(self)
        self.picker.set_projects(projects)
        self.picker.set_choice(entry.project_id, entry.task_id)
        self.picker.setMinimumWidth(360)
        self.date = QDateEdit(QDate(entry.spent_on.year, entry.spent_on.month, entry.spent_on.day), self)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("ddd d MMM yyyy")
        self.error = QLabel(self)
        show_as_error(self.error)
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._on_save)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Project and task", self.picker)
        form.addRow("Date", self.date)
        form.addRow(self.error)
        form.addRow(buttons)

    def changes(self) -> EntryChanges:
        """What differs from the entry (empty when nothing changed)."""
        choice = self.picker.current_choice()
        day = self.date.date().toPython()
        project_id = choice.project.id if choice else self._entry.project_id
        task_id = choice.task.id if choice else self._entry.task_id
        moved = (project_id, task_id) != (self._entry.project_id, self._entry.task_id)
        return EntryChanges(
            project_id=project_id if moved else None,
            task_id=task_id if moved else None,
            spent_on=day if day != self._entry.spent_on else None,  # type: ignore[arg-type]
        )

    def _on_save(self) -> None:
        if self.picker.accept_best_match() is None:
            self.error.setText("Pick a project and task from the list.")
            self.error.show()
            return
        self.accept()
