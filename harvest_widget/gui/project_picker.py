"""A keyboard-first project/task picker: type words from the client, project, task or code.

Matching is word-based and order-free ("acme des" finds "Acme Corp · Website (WEB) - Design"), the
best matches first: words that start a word beat words found inside one, shorter labels win ties.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from harvest_widget.core.timesheet import Project, Task


@dataclass(frozen=True, slots=True)
class ProjectTaskChoice:
    project: Project
    task: Task

    @property
    def label(self) -> str:
        project = self.project.name
        if self.project.code:
            project = f"{project} [{self.project.code}]"
        client = f"{self.project.client_name} · " if self.project.client_name else ""
        return f"{client}{project} - {self.task.name}"


def choices_of(projects: Sequence[Project]) -> list[ProjectTaskChoice]:
    return [ProjectTaskChoice(project, task) for project in projects for task in project.tasks]


def _score(choice: ProjectTaskChoice, words: Sequence[str]) -> int | None:
    haystack_words = [
        word
        for part in (choice.project.client_name, choice.project.name, choice.project.code, choice.task.name)
        for word in part.lower().replace("-", " ").replace("/", " ").split()
    ]
    haystack = " ".join(haystack_words)
    score = 0
    for word in words:
        if any(w.startswith(word) for w in haystack_words):
            score += 2
        elif word in haystack:
            score += 1
        else:
            return None
    return score


def rank_choices(choices: Sequence[ProjectTaskChoice], query: str) -> list[ProjectTaskChoice]:
    """The choices matching every word of `query`, best first; all of them for an empty query."""
    words = query.lower().split()
    scored = [(s, c) for c in choices if (s := _score(c, words)) is not None]
    scored.sort(key=lambda pair: (-pair[0], len(pair[1].label), pair[1].label))
    return [choice for _, choice in scored]


class ProjectPicker(QLineEdit):
    """A line edit whose popup lists matching project/task pairs; `chosen` says which was taken."""

    chosen = Signal(object)  # ProjectTaskChoice | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("Project or task: type a client, project, task or code")
        self._choices: list[ProjectTaskChoice] = []
        self._shown: list[ProjectTaskChoice] = []
        self._current: ProjectTaskChoice | None = None
        self._list = QStringListModel(self)
        self._completer = QCompleter(self._list, self)
        # We filter ourselves (word-based); the completer only shows what we give it.
        self._completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._completer.setMaxVisibleItems(10)
        self.setCompleter(self._completer)
        self._completer.activated[str].connect(self._on_completer_activated)  # type: ignore[index]
        self.textEdited.connect(self._on_text_edited)

    def set_projects(self, projects: Sequence[Project]) -> None:
        self._choices = choices_of(projects)
        if self._current is not None and not any(c == self._current for c in self._choices):
            self._current = None
        self._refill(self.text() if self._current is None else "")

    def current_choice(self) -> ProjectTaskChoice | None:
        return self._current

    def set_choice(self, project_id: int, task_id: int) -> bool:
        for choice in self._choices:
            if choice.project.id == project_id and choice.task.id == task_id:
                self._take(choice)
                return True
        return False

    def clear_choice(self) -> None:
        self._current = None
        self.clear()

    def accept_best_match(self) -> ProjectTaskChoice | None:
        """Take the best match for the typed text (what Enter does when nothing was picked)."""
        if self._current is None and self.text().strip():
            ranked = rank_choices(self._choices, self.text())
            if ranked:
                self._take(ranked[0])
        return self._current

    def _take(self, choice: ProjectTaskChoice) -> None:
        self._current = choice
        self.setText(choice.label)
        self.setToolTip(choice.label)
        self.chosen.emit(choice)

    def _refill(self, query: str) -> None:
        self._shown = rank_choices(self._choices, query)[:50]
        self._list.setStringList([c.label for c in self._shown])

    def _on_text_edited(self, text: str) -> None:
        if self._current is not None:
            self._current = None
            self.chosen.emit(None)
        self._refill(text)
        if text.strip():
            self._completer.complete()

    def _on_completer_activated(self, label: str) -> None:
        choice = next((c for c in self._shown if c.label == label), None)
        if choice is not None:
            self._take(choice)

    def keyPressEvent(self, event: Any) -> None:
        popup = self._completer.popup()
        if event.key() == Qt.Key.Key_Down and popup is not None and not popup.isVisible():
            self._refill("" if self._current else self.text())
            self._completer.complete()
            return
        super().keyPressEvent(event)
