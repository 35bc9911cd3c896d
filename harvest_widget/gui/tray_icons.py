"""Tray icons per state, from PNGs rendered at each size a panel asks for, or drawn when missing.

The PNGs in `resources/generated/` are rendered from the SVG sources in `resources/icons/` by
`scripts/render_icons.py`. Bitmaps, not the SVGs, at run time: Qt's SVG icon engine costs ~2 MB
and its plugin load before the first paint, and a bitmap drawn for each size is as crisp.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:  # the sync package is loaded on the worker thread, after the first paint
    from harvest_widget.sync.snapshots import SyncStatus


# Tray icon sizes: 16/20/24/32/40/48 are Windows at 100-300 % scaling, 22/44 the Linux panels,
# 16/32 the macOS menu bar (1x/2x); Qt picks the nearest size for anything else.
TRAY_ICON_SIZES = (16, 20, 22, 24, 32, 40, 44, 48, 64)
APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


class TrayState(Enum):
    IDLE = "idle"
    RUNNING = "running"
    PENDING = "pending"
    OFFLINE = "offline"
    THROTTLED = "throttled"


def tray_state(status: SyncStatus, running: bool, *, throttled: bool) -> TrayState:
    """The one state the icon shows; trouble first, because that is what needs attention."""
    if status.offline or status.auth_failed or status.conflicts:
        return TrayState.OFFLINE
    if throttled:
        return TrayState.THROTTLED
    if running:
        return TrayState.RUNNING
    if status.pending_ops:
        return TrayState.PENDING
    return TrayState.IDLE


def icons_dir() -> Path:
    """`resources/generated` beside the package, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle else Path(__file__).resolve().parents[2]
    return root / "resources" / "generated"


def app_icon() -> QIcon:
    return _icon_from_files("app-{size}.png", APP_ICON_SIZES) or _drawn_icon(
        TrayState.IDLE, QColor(250, 93, 0)
    )


def prefers_dark_icons() -> bool:
    """A dark panel wants light (`-dark` variant) icons; judged from the palette's window colour."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return False
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def tray_icon(state: TrayState, *, dark: bool = False) -> QIcon:
    suffix = "-dark" if dark else ""
    icon = _icon_from_files(f"tray-{state.value}{suffix}-{{size}}.png", TRAY_ICON_SIZES) or _drawn_icon(
        state, QColor(235, 235, 235) if dark else QColor(40, 40, 40)
    )
    if sys.platform == "darwin":
        icon.setIsMask(True)  # macOS recolours template icons for light and dark menu bars
    return icon


def _icon_from_files(pattern: str, sizes: tuple[int, ...]) -> QIcon | None:
    """One icon holding `pattern` at each size, or None when the rendered files are missing."""
    folder = icons_dir()
    paths = [folder / pattern.format(size=size) for size in sizes]
    if not all(path.exists() for path in paths):
        return None
    icon = QIcon()
    for path, size in zip(paths, sizes, strict=True):
        icon.addFile(str(path), QSize(size, size))
    return icon


def _drawn_icon(state: TrayState, ink: QColor) -> QIcon:
    icon = QIcon()
    for size in (16, 22, 32, 64):
        icon.addPixmap(_draw(state, ink, size))
    return icon


def _draw(state: TrayState, ink: QColor, size: int) -> QPixmap:
    """A stopwatch face; a play mark when running, a dot/bar/cross badge for the other states."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    unit = size / 16
    pen = QPen(ink, 1.6 * unit)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    face = QRectF(2 * unit, 3 * unit, 12 * unit, 12 * unit)
    painter.drawEllipse(face)
    painter.drawLine(QPointF(6.5 * unit, 1.2 * unit), QPointF(9.5 * unit, 1.2 * unit))
    center = face.center()
    if state is TrayState.RUNNING:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ink)
        painter.drawPolygon(
            QPolygonF(
                [
                    QPointF(center.x() - 2.2 * unit, center.y() - 3 * unit),
                    QPointF(center.x() - 2.2 * unit, center.y() + 3 * unit),
                    QPointF(center.x() + 3.2 * unit, center.y()),
                ]
            )
        )
    else:
        painter.drawLine(center, QPointF(center.x(), center.y() - 3.5 * unit))
        painter.drawLine(center, QPointF(center.x() + 2.5 * unit, center.y()))
    badge = {
        TrayState.PENDING: QColor(224, 145, 20),
        TrayState.OFFLINE: QColor(200, 40, 40),
        TrayState.THROTTLED: QColor(60, 110, 220),
    }.get(state)
    if badge is not None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(badge)
        painter.drawEllipse(QRectF(9.5 * unit, 9.5 * unit, 6.5 * unit, 6.5 * unit))
    painter.end()
    return pixmap
