from __future__ import annotations

import datetime as dt

import pytest

from harvest_widget.gui import tray_icons
from harvest_widget.gui.tray_icons import TrayState, tray_icon, tray_state
from harvest_widget.sync.snapshots import SyncStatus


def test_trouble_wins_over_a_running_timer():
    assert tray_state(SyncStatus(offline=True), True, throttled=False) is TrayState.OFFLINE
    assert tray_state(SyncStatus(conflicts=1), False, throttled=False) is TrayState.OFFLINE
    assert tray_state(SyncStatus(pending_ops=2), True, throttled=True) is TrayState.THROTTLED
    assert tray_state(SyncStatus(pending_ops=2), True, throttled=False) is TrayState.RUNNING
    assert tray_state(SyncStatus(pending_ops=2), False, throttled=False) is TrayState.PENDING
    assert (
        tray_state(SyncStatus(last_sync_at=dt.datetime.now(dt.UTC)), False, throttled=False) is TrayState.IDLE
    )


@pytest.mark.parametrize("state", list(TrayState))
@pytest.mark.parametrize("dark", [False, True])
def test_every_state_has_a_rendered_bitmap_at_each_tray_size(qapp, state, dark):
    icon = tray_icon(state, dark=dark)
    sizes = {(size.width(), size.height()) for size in icon.availableSizes()}
    assert sizes == {(size, size) for size in tray_icons.TRAY_ICON_SIZES}
    assert not icon.pixmap(16, 16).isNull()


def test_the_app_icon_comes_in_every_size_from_16_to_256_px(qapp):
    sizes = {size.width() for size in tray_icons.app_icon().availableSizes()}
    assert sizes == set(tray_icons.APP_ICON_SIZES)


def test_missing_bitmaps_fall_back_to_a_drawn_icon(qapp, monkeypatch, tmp_path):
    monkeypatch.setattr(tray_icons, "icons_dir", lambda: tmp_path)
    image = tray_icon(TrayState.RUNNING).pixmap(16, 16).toImage()
    assert any(image.pixelColor(x, y).alpha() > 0 for x in range(16) for y in range(16))
