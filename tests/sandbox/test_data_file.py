"""Persistence: a demo keeps its entries between runs, written atomically, never silently lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvest_widget.sandbox import ManualClock, Sandbox
from harvest_widget.sandbox.data_file import DataFileError
from tests.sandbox.helpers import call


def test_entries_survive_a_restart_with_the_same_data_file(clock: ManualClock, tmp_path: Path) -> None:
    data = tmp_path / "sandbox.json"
    with Sandbox(clock=clock, data_file=data) as first:
        added = call(first, "POST", "/daily/add", body={"project_id": 2001, "task_id": 3001, "notes": "kept"})
        entry_id = added.json()["id"]
        deleted = first.entries("admin")[0].id
        call(first, "DELETE", f"/daily/delete/{deleted}")
        expected = first.entries("admin")
    assert data.exists()
    clock.advance(3 * 24 * 3600)  # days later: the stored entries come back, not a new seed
    with Sandbox(clock=clock, data_file=data) as second:
        after = second.entries("admin")
        assert [e.id for e in after] == [e.id for e in expected]
        running = next(e for e in after if e.id == entry_id)
        assert running.running and running.notes == "kept"
        assert deleted not in {e.id for e in after}
        new = call(second, "POST", "/daily/add", body={"project_id": 2001, "task_id": 3001, "hours": 1})
        assert new.json()["id"] > entry_id


def test_locked_days_are_kept_too(clock: ManualClock, tmp_path: Path) -> None:
    data = tmp_path / "sandbox.json"
    first = Sandbox(clock=clock, data_file=data)
    locked = {e.id for e in first.entries("member") if e.is_locked}
    clock.advance(14 * 24 * 3600)
    second = Sandbox(clock=clock, data_file=data)
    assert locked and {e.id for e in second.entries("member") if e.is_locked} == locked


def test_a_fresh_file_is_written_at_start_and_no_temporary_files_remain(
    clock: ManualClock, tmp_path: Path
) -> None:
    data = tmp_path / "nested" / "sandbox.json"
    with Sandbox(clock=clock, data_file=data) as server:
        call(server, "POST", "/daily/add", body={"project_id": 2001, "task_id": 3001, "hours": 1})
    assert [p.name for p in data.parent.iterdir()] == ["sandbox.json"]


def test_an_unreadable_data_file_is_an_error_not_a_silent_reset(tmp_path: Path) -> None:
    data = tmp_path / "sandbox.json"
    data.write_text("{ this is not json")
    with pytest.raises(DataFileError, match=r"sandbox\.json"):
        Sandbox(data_file=data)
    assert data.read_text() == "{ this is not json"
    data.write_text('{"format": 1}')
    with pytest.raises(DataFileError, match="not a sandbox data file"):
        Sandbox(data_file=data)
