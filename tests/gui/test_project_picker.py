from __future__ import annotations

from PySide6.QtCore import Qt

from harvest_widget.gui.project_picker import ProjectPicker, choices_of, rank_choices
from tests.gui.factories import PROJECTS


def labels(query: str) -> list[str]:
    return [c.label for c in rank_choices(choices_of(PROJECTS), query)]


def test_words_match_client_project_task_and_code_in_any_order():
    assert labels("design acme")[0] == "Acme Corp · Website Redesign [WEB] - Design"
    assert labels("mob")[0] == "Globex · Mobile App [MOB] - Design"
    assert labels("meet")[0] == "Internal - Meetings"


def test_every_word_must_match():
    assert labels("acme meetings") == []


def test_word_starts_rank_before_matches_inside_words():
    ranked = labels("des")
    assert all("Design" in label for label in ranked[:2])


def test_empty_query_lists_every_project_task_pair():
    assert len(labels("")) == 5


def test_enter_takes_the_best_match(qtbot):
    picker = ProjectPicker()
    qtbot.addWidget(picker)
    picker.set_projects(PROJECTS)
    qtbot.keyClicks(picker, "glob")
    choice = picker.accept_best_match()
    assert choice is not None
    assert (choice.project.id, choice.task.id) == (3, 31)
    assert picker.text() == choice.label


def test_typing_after_a_choice_forgets_it(qtbot):
    picker = ProjectPicker()
    qtbot.addWidget(picker)
    picker.set_projects(PROJECTS)
    assert picker.set_choice(2, 21)
    qtbot.keyClick(picker, Qt.Key.Key_Backspace)
    assert picker.current_choice() is None
