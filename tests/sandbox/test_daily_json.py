from __future__ import annotations

from harvest_widget.sandbox import Sandbox
from tests.sandbox.helpers import call


def test_daily_lists_todays_demo_entries_and_projects(sandbox: Sandbox) -> None:
    response = call(sandbox, "GET", "/daily")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    admin = sandbox.users["admin"]
    assert body["for_day"] == sandbox.world.today(admin).isoformat()
    assert len(body["day_entries"]) == 2
    entry = body["day_entries"][0]
    assert isinstance(entry["project_id"], str) and isinstance(entry["task_id"], str)
    assert isinstance(entry["id"], int) and entry["user_id"] == admin.id
    assert "timer_started_at" not in entry
    assert {p["id"] for p in body["projects"]} == {2001, 2002, 2003, 2004}
