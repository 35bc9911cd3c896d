from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt

from harvest_widget.core.account import HoursFormat
from harvest_widget.core.timesheet import EntryChanges
from harvest_widget.gui.entry_table_model import (
    COL_HOURS,
    COL_NOTES,
    COL_PROJECT,
    COL_TIMER,
    ENTRY_ROLE,
    EntryTableModel,
)
from tests.gui.factories import local_entry


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_model(*rows, clock=None):
    clock = clock or FakeMonotonic()
    model = EntryTableModel(monotonic=clock)
    model.set_rows(rows, clock())
    return model, clock


def test_model_passes_qt_model_tester(qapp, qtmodeltester):
    model, _ = make_model(local_entry(1), local_entry(2, running=True), local_entry(3, locked=True))
    qtmodeltester.check(model, force_py=True)


def test_running_row_shows_server_hours_plus_monotonic_time_since_snapshot():
    model, clock = make_model(local_entry(1, hours="1.00", running=True))
    model.set_hours_format(HoursFormat.HOURS_MINUTES)
    assert model.data(model.index(0, COL_HOURS)) == "1:00"
    clock.now += 30 * 60
    assert model.data(model.index(0, COL_HOURS)) == "1:30"
    assert model.data(model.index(0, COL_TIMER)) == "Stop"


def test_tick_changes_only_the_running_hours_cell(qtbot):
    model, _ = make_model(local_entry(1), local_entry(2, running=True), local_entry(3))
    model.set_ticking(True)
    with qtbot.waitSignal(model.dataChanged, timeout=2000) as blocker:
        pass
    top_left, bottom_right = blocker.args[0], blocker.args[1]
    assert (top_left.row(), top_left.column()) == (1, COL_HOURS)
    assert (bottom_right.row(), bottom_right.column()) == (1, COL_HOURS)
    model.set_ticking(False)
    with qtbot.assertNotEmitted(model.dataChanged, wait=1200):
        pass


def test_no_tick_without_a_running_entry(qtbot):
    model, _ = make_model(local_entry(1))
    model.set_ticking(True)
    with qtbot.assertNotEmitted(model.dataChanged, wait=1200):
        pass


def test_locked_row_is_read_only_and_says_why():
    model, _ = make_model(local_entry(1, locked=True))
    assert not model.flags(model.index(0, COL_NOTES)) & Qt.ItemFlag.ItemIsEditable
    assert "Approved timesheet" in model.data(model.index(0, COL_NOTES), Qt.ItemDataRole.ToolTipRole)
    assert model.setData(model.index(0, COL_NOTES), "changed") is False


def test_running_hours_are_not_editable_but_notes_are():
    model, _ = make_model(local_entry(1, running=True))
    assert not model.flags(model.index(0, COL_HOURS)) & Qt.ItemFlag.ItemIsEditable
    assert model.flags(model.index(0, COL_NOTES)) & Qt.ItemFlag.ItemIsEditable


def test_edit_of_hours_parses_the_typed_duration(qtbot):
    model, _ = make_model(local_entry(5, hours="1.00"))
    with qtbot.waitSignal(model.edit_requested) as blocker:
        assert model.setData(model.index(0, COL_HOURS), "1h30")
    assert blocker.args == [5, EntryChanges(hours=Decimal("1.50"))]


def test_bad_hours_are_rejected_with_a_sentence(qtbot):
    model, _ = make_model(local_entry(5))
    with qtbot.waitSignal(model.input_rejected) as blocker:
        assert model.setData(model.index(0, COL_HOURS), "soon") is False
    assert "not a duration" in blocker.args[0]


def test_edit_of_notes_requests_the_change(qtbot):
    model, _ = make_model(local_entry(5, notes="old"))
    with qtbot.waitSignal(model.edit_requested) as blocker:
        model.setData(model.index(0, COL_NOTES), "new notes")
    assert blocker.args == [5, EntryChanges(notes="new notes")]


def test_pending_and_conflict_rows_are_marked(qapp):
    model, _ = make_model(
        local_entry(1, state="pending"),
        local_entry(2, state="conflict", message="The entry was deleted in Harvest."),
    )
    assert model.data(model.index(0, COL_PROJECT), Qt.ItemDataRole.DecorationRole) is not None
    assert "Waiting to sync" in model.data(model.index(0, COL_PROJECT), Qt.ItemDataRole.ToolTipRole)
    assert "deleted in Harvest" in model.data(model.index(1, COL_PROJECT), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(1, COL_PROJECT), ENTRY_ROLE).op_id == 7


def test_hours_display_follows_the_format():
    model, _ = make_model(local_entry(1, hours="1.75"))
    assert model.data(model.index(0, COL_HOURS)) == "1.75"
    model.set_hours_format(HoursFormat.HOURS_MINUTES)
    assert model.data(model.index(0, COL_HOURS)) == "1:45"
