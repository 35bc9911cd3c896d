"""The real window against the real sandbox, through the real engine and worker thread."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCalendarWidget, QDateEdit, QLineEdit, QTableView, QWidget

from harvest_widget.gui.entry_table_model import COL_HOURS, COL_NOTES, COL_TIMER
from tests.gui.conftest import wait_view


def server_entries(sandbox, day=None):
    entries = sandbox.entries("admin")
    return [e for e in entries if day is None or e.spent_at == day]


def click_cell(qtbot, window, row, column):
    table = window.table
    rect = table.visualRect(table.model().index(row, column))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_window_shows_todays_entries_and_week(shell, sandbox):
    view = shell.window.current_view()
    today_on_server = server_entries(sandbox, view.today.date)
    assert shell.window.model.rowCount() == len(today_on_server) > 0
    assert shell.window.day_label.text().startswith("Today")
    assert len(view.week) == 7
    assert "Week" in shell.window.week_total_label.text()


def test_quick_entry_adds_an_entry_that_reaches_harvest(qtbot, shell, sandbox):
    window = shell.window
    before = window.model.rowCount()
    qtbot.keyClicks(window.quick_entry.picker, "mobile dev")
    qtbot.keyClicks(window.quick_entry.notes, "Quick entry from the keyboard")
    qtbot.keyClicks(window.quick_entry.hours, "1h30")
    qtbot.keyClick(window.quick_entry.hours, Qt.Key.Key_Return)
    wait_view(qtbot, shell, lambda v: len(v.shown.entries) == before + 1)
    qtbot.waitUntil(
        lambda: any(
            e.notes == "Quick entry from the keyboard" and e.hours == Decimal("1.50")
            for e in server_entries(sandbox)
        ),
        timeout=10_000,
    )
    wait_view(qtbot, shell, lambda v: v.shown.status.pending_ops == 0)


def test_inline_edit_of_notes_and_hours(qtbot, shell, sandbox):
    window = shell.window
    target = window.model.local_entry(0).entry

    def edit(column, text):
        index = window.model.index(window.model.row_of(target.id), column)
        window.table.setCurrentIndex(index)
        window.table.edit(index)
        editor = window.table.viewport().findChild(QLineEdit)
        assert editor is not None
        editor.selectAll()
        qtbot.keyClicks(editor, text)
        qtbot.keyClick(editor, Qt.Key.Key_Return)

    edit(COL_NOTES, "Edited inline")
    wait_view(
        qtbot,
        shell,
        lambda v: v.shown.entry(target.id) and v.shown.entry(target.id).entry.notes == "Edited inline",
    )
    if not target.is_running:
        edit(COL_HOURS, "2:15")
        qtbot.waitUntil(
            lambda: any(e.id == target.id and e.hours == Decimal("2.25") for e in server_entries(sandbox)),
            timeout=10_000,
        )
    qtbot.waitUntil(
        lambda: any(e.id == target.id and e.notes == "Edited inline" for e in server_entries(sandbox)),
        timeout=10_000,
    )


def test_start_switch_and_stop_timers_from_the_table(qtbot, shell, sandbox):
    window = shell.window
    view = wait_view(qtbot, shell, lambda v: len(v.shown.entries) >= 2)
    first, second = view.shown.entries[0].entry.id, view.shown.entries[1].entry.id

    def running_id():
        running = [e for e in server_entries(sandbox) if e.running]
        return running[0].id if running else None

    if window.model.local_entry(0).entry.is_running:
        click_cell(qtbot, window, 0, COL_TIMER)
        wait_view(qtbot, shell, lambda v: v.today.running is None)
    click_cell(qtbot, window, window.model.row_of(first), COL_TIMER)
    wait_view(qtbot, shell, lambda v: v.today.running is not None and v.today.running.entry.id == first)
    qtbot.waitUntil(lambda: running_id() == first, timeout=10_000)
    assert window.model.data(window.model.index(window.model.row_of(first), COL_TIMER)) == "Stop"

    click_cell(qtbot, window, window.model.row_of(second), COL_TIMER)  # switch
    wait_view(qtbot, shell, lambda v: v.today.running is not None and v.today.running.entry.id == second)
    qtbot.waitUntil(lambda: running_id() == second, timeout=10_000)

    window.table.selectRow(window.model.row_of(second))
    window.toggle_action.trigger()  # Ctrl+Space
    wait_view(qtbot, shell, lambda v: v.today.running is None)
    qtbot.waitUntil(lambda: running_id() is None, timeout=10_000)


def test_delete_then_undo_brings_the_entry_back(qtbot, shell, sandbox):
    window = shell.window
    local = window.model.local_entry(0)
    notes = local.entry.notes
    count = window.model.rowCount()
    window.table.selectRow(0)
    window.delete_action.trigger()
    wait_view(qtbot, shell, lambda v: len(v.shown.entries) == count - 1)
    assert window.undo_banner.isVisible()
    qtbot.waitUntil(lambda: all(e.id != local.entry.id for e in server_entries(sandbox)), timeout=10_000)

    window.undo_button.click()
    wait_view(qtbot, shell, lambda v: len(v.shown.entries) == count)
    assert not window.undo_banner.isVisible()
    qtbot.waitUntil(
        lambda: any(
            e.notes == notes and e.hours == local.entry.hours
            for e in server_entries(sandbox, local.entry.spent_on)
        ),
        timeout=10_000,
    )


def calendar_cell(calendar, day):
    """Where `day` (the 15th to the 21st: once in any month's grid) is drawn in the calendar."""
    grid = calendar.findChild(QTableView)
    first_column = (
        0 if calendar.verticalHeaderFormat() == calendar.VerticalHeaderFormat.NoVerticalHeader else 1
    )
    cells = [
        grid.model().index(row, column)
        for row in range(1, grid.model().rowCount())  # row 0 names the weekdays
        for column in range(first_column, grid.model().columnCount())
    ]
    (cell,) = [index for index in cells if index.data() == day.day]
    return grid.viewport(), grid.visualRect(cell).center()


def open_date_picker_with_ctrl_g(qtbot, window):
    # Offscreen Qt leaves a closed popup as the active window; a window manager gives it back.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.table, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    calendar = window.date_button.calendar()
    qtbot.waitUntil(lambda: calendar is not None and calendar.isVisible())
    keyboard = QApplication.focusWidget()
    assert keyboard is not None and calendar.isAncestorOf(keyboard)
    return calendar, keyboard


def test_day_navigation_previous_next_today_and_date_picker(qtbot, shell):
    window = shell.window
    today = window.current_view().today.date
    window.prev_action.trigger()
    wait_view(qtbot, shell, lambda v: v.shown.date == today - dt.timedelta(days=1))
    assert not window.day_label.text().startswith("Today")
    assert window.today_button.isEnabled()
    window.next_action.trigger()
    wait_view(qtbot, shell, lambda v: v.shown.date == today)

    # The date button opens a calendar on the shown day; arrow keys move, Enter shows the day.
    assert window.date_button.toolTip() == "Choose a date (Ctrl+G)"
    assert window.date_button.text().startswith(f"{today:%a} {today.day} {today:%b %Y}")
    qtbot.mouseClick(window.date_button, Qt.MouseButton.LeftButton)
    calendar = window.date_button.calendar()
    qtbot.waitUntil(calendar.isVisible)
    assert calendar.selectedDate().toPython() == today
    keyboard = QApplication.focusWidget()
    assert calendar.isAncestorOf(keyboard)
    for _ in range(3):
        qtbot.keyClick(keyboard, Qt.Key.Key_Left)
    qtbot.keyClick(keyboard, Qt.Key.Key_Return)
    picked = today - dt.timedelta(days=3)
    wait_view(qtbot, shell, lambda v: v.shown.date == picked)
    assert not calendar.isVisible()
    assert window.date_button.text().startswith(f"{picked:%a} {picked.day} {picked:%b %Y}")
    checked = [b for b in window.day_buttons if b.isChecked()]
    assert len(checked) == 1 and checked[0].property("day") == picked.isoformat()

    # Ctrl+G opens it on the shown day with the keyboard in it; Escape closes it and changes nothing.
    calendar, keyboard = open_date_picker_with_ctrl_g(qtbot, window)
    assert calendar.selectedDate().toPython() == picked
    qtbot.keyClick(keyboard, Qt.Key.Key_Down)
    qtbot.keyClick(keyboard, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not calendar.isVisible())
    assert window.current_view().shown.date == picked

    # A click on a day shows it.
    clicked = picked.replace(day=18 if picked.day != 18 else 19)
    calendar, _ = open_date_picker_with_ctrl_g(qtbot, window)
    grid, position = calendar_cell(calendar, clicked)
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=position)
    wait_view(qtbot, shell, lambda v: v.shown.date == clicked)
    assert not calendar.isVisible()

    window.today_action.trigger()
    wait_view(qtbot, shell, lambda v: v.shown.date == today)


def test_the_window_starts_without_style_sheets_or_a_date_editor(qtbot, shell):
    """Both slow the first paint: a style sheet installs Qt's style-sheet engine, a QDateEdit sets
    up the locale machinery. The calendar is built when the user first opens the date picker."""
    window = shell.window
    widgets = [window, *window.findChildren(QWidget)]
    assert [w for w in widgets if w.styleSheet()] == []
    assert QApplication.instance().styleSheet() == ""
    assert {w.style().metaObject().className() for w in widgets}.isdisjoint({"QStyleSheetStyle"})
    assert window.findChildren(QDateEdit) == [] and window.findChildren(QCalendarWidget) == []
    assert window.date_button.calendar() is None

    qtbot.mouseClick(window.date_button, Qt.MouseButton.LeftButton)
    assert window.findChildren(QCalendarWidget) == [window.date_button.calendar()]
    assert window.date_button.calendar().isVisible()


def test_locked_entries_are_read_only_and_say_why(qtbot, shell, sandbox):
    window = shell.window
    today = window.current_view().today.date
    admin = sandbox.world.user_by_name("admin")
    sandbox.world.lock_days(admin, [today])  # the timesheet was approved on the web
    window.sync_action.trigger()  # F5
    wait_view(qtbot, shell, lambda v: v.shown.entries and all(e.entry.is_locked for e in v.shown.entries))
    index = window.model.index(0, COL_NOTES)
    assert not window.model.flags(index) & Qt.ItemFlag.ItemIsEditable
    assert "Locked" in window.model.data(index, Qt.ItemDataRole.ToolTipRole)
    click_cell(qtbot, window, 0, COL_TIMER)
    assert "locked" in window.status_line.error.text().lower()
    window.table.selectRow(0)
    assert not window.delete_action.isEnabled()


def test_an_entry_deleted_in_harvest_becomes_a_conflict_the_user_can_recreate(qtbot, shell, sandbox):
    window = shell.window
    view = window.current_view()
    local = next(e for e in view.shown.entries if not e.entry.is_running)
    admin = sandbox.world.user_by_name("admin")
    sandbox.world.delete(admin, admin, local.entry.id)  # someone deleted it on the web
    window.model.setData(
        window.model.index(window.model.row_of(local.entry.id), COL_NOTES), "Changed after the delete"
    )
    view = wait_view(
        qtbot,
        shell,
        lambda v: any(e.state in ("conflict", "failed") for e in v.shown.entries),
        timeout=15_000,
    )
    troubled = next(e for e in view.shown.entries if e.state in ("conflict", "failed"))
    assert window.select_entry(troubled.entry.id)
    assert window.recreate_action.isEnabled()
    assert "attention" in window.status_line.text.text()
    window.recreate_action.trigger()
    wait_view(qtbot, shell, lambda v: all(e.state == "synced" for e in v.shown.entries), timeout=15_000)
    qtbot.waitUntil(
        lambda: any(
            e.notes == "Changed after the delete" for e in server_entries(sandbox, local.entry.spent_on)
        ),
        timeout=10_000,
    )


def test_closing_the_window_hides_it(qtbot, shell):
    assert shell.window.isVisible()
    shell.window.close()
    assert not shell.window.isVisible()
    shell.tray.toggle_window_requested.emit()
    assert shell.window.isVisible()


def test_notes_completion_offers_earlier_notes(qtbot, shell):
    window = shell.window
    earlier = window.current_view().shown.entries[0].entry.notes
    qtbot.keyClicks(window.quick_entry.notes, earlier[:3])
    completer_model = window.quick_entry.notes.completer().model()
    qtbot.waitUntil(lambda: earlier in completer_model.stringList(), timeout=10_000)


def test_midnight_rolls_today_over_without_a_restart(qtbot, shell):
    today = shell.window.current_view().today.date
    shell._today = today - dt.timedelta(days=1)  # as if the clock just passed midnight
    shell.window.show_date(today - dt.timedelta(days=1))
    wait_view(qtbot, shell, lambda v: v.shown.date == today - dt.timedelta(days=1))
    shell.check_rollover()
    wait_view(qtbot, shell, lambda v: v.shown.date == today)
    assert shell.window.day_label.text().startswith("Today")
