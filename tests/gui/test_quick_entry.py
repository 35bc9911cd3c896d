from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

from harvest_widget.core.account import TimerMode
from harvest_widget.gui.quick_entry import QuickEntry
from harvest_widget.gui.style import ERROR_COLOR
from tests.gui.factories import DAY, PROJECTS


@pytest.fixture
def quick(qtbot):
    widget = QuickEntry()
    qtbot.addWidget(widget)
    widget.set_projects(PROJECTS)
    widget.set_day(DAY)
    return widget


@pytest.mark.parametrize("typed", ["1.5", "1:30", "90m", "1h30"])
def test_enter_saves_hours_typed_in_any_accepted_form(qtbot, quick, typed):
    quick.picker.set_choice(1, 12)
    qtbot.keyClicks(quick.notes, "Build the header")
    qtbot.keyClicks(quick.hours, typed)
    with qtbot.waitSignal(quick.submitted) as blocker:
        qtbot.keyClick(quick.hours, Qt.Key.Key_Return)
    draft = blocker.args[0]
    assert (draft.project_id, draft.task_id, draft.spent_on) == (1, 12, DAY)
    assert draft.hours == Decimal("1.50")
    assert draft.notes == "Build the header"
    assert quick.notes.text() == ""


def test_blank_hours_start_a_timer(qtbot, quick):
    quick.picker.set_choice(2, 21)
    assert quick.save_button.text() == "Start timer"
    with qtbot.waitSignal(quick.submitted) as blocker:
        qtbot.keyClick(quick.notes, Qt.Key.Key_Return)
    assert blocker.args[0].starts_timer


def test_bad_hours_keep_the_input_and_say_what_is_accepted(qtbot, quick):
    quick.picker.set_choice(1, 11)
    qtbot.keyClicks(quick.notes, "keep me")
    qtbot.keyClicks(quick.hours, "a while")
    with qtbot.assertNotEmitted(quick.submitted):
        quick.submit()
    assert "1:30" in quick.error.text()
    assert quick.error.palette().color(quick.error.foregroundRole()) == ERROR_COLOR
    assert quick.notes.text() == "keep me"


def test_missing_project_is_explained(qtbot, quick):
    with qtbot.assertNotEmitted(quick.submitted):
        quick.submit()
    assert "Pick a project" in quick.error.text()


def test_timestamp_accounts_take_start_and_end_times(qtbot, quick):
    quick.set_timer_mode(TimerMode.TIMESTAMP)
    quick.picker.set_choice(1, 11)
    qtbot.keyClicks(quick.started_at, "9:00am")
    qtbot.keyClicks(quick.ended_at, "10:30am")
    with qtbot.waitSignal(quick.submitted) as blocker:
        qtbot.keyClick(quick.ended_at, Qt.Key.Key_Return)
    draft = blocker.args[0]
    assert (draft.started_at, draft.ended_at, draft.hours) == ("9:00am", "10:30am", None)
