"""Tray icons per state: SHIP's SVGs under `resources/icons/`, or a drawn fallback when missing."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:  # the sync package is loaded on the worker thread, after the first paint
    from harvest_widget.sync.snapshots import SyncStatus


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
    """`resources/icons` beside the package, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle else Path(__file__).resolve().parents[2]
    return root / "resources" / "icons"


def app_icon() -> QIcon:
    path = icons_dir() / "app.svg"
    return QIcon(str(path)) if path.exists() else _drawn_icon(TrayState.IDLE, QColor(250, 93, 0))


def prefers_dark_icons() -> bool:
    """A dark panel wants light (`-dark` variant) icons; judged from the palette's window colour."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return False
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def tray_icon(state: TrayState, *, dark: bool = False) -> QIcon:
    suffix = "-dark" if dark else ""
    path = icons_dir() / f"tray-{state.value}{suffix}.svg"
    if path.exists():
        icon = QIcon(str(path))
    else:
        icon = _drawn_icon(state, QColor(235, 235, 235) if dark else QColor(40, 40, 40))
    if sys.platform == "darwin":
        icon.setIsMask(True)  # macOS recolours template icons for light and dark menu bars
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
