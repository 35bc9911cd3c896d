"""Shared looks of the widgets: error sentences, the status line's "waiting" emphasis, quiet hints.

Set through palettes and fonts, never style sheets: the first `setStyleSheet` makes Qt install its
style-sheet engine (QStyleSheetStyle), about 1 MB and a millisecond or two before the first paint.
The colours read well on light and dark themes.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QLabel

ERROR_COLOR = QColor("#b3261e")
WAITING_COLOR = QColor("#9a4a00")
HINT_MARGIN = 18


def _set_text_color(label: QLabel, color: QColor | None) -> None:
    """Paint the label's text in `color`, or give it back the theme's own colour (None)."""
    palette = QPalette()  # nothing set yet: every role not set here comes from the label's parents
    if color is not None:
        palette.setColor(QPalette.ColorRole.WindowText, color)
    label.setPalette(palette)


def show_as_error(label: QLabel, on: bool = True) -> None:
    """Error red for a sentence saying what went wrong; `on=False` restores the normal text colour."""
    _set_text_color(label, ERROR_COLOR if on else None)


def show_as_waiting(label: QLabel, on: bool = True) -> None:
    """Amber and semi-bold while changes wait (throttled, offline, signed out); `on=False` restores."""
    _set_text_color(label, WAITING_COLOR if on else None)
    font = QFont()  # likewise: only the weight is set, the rest follows the label's parents
    if on:
        font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)


def show_as_hint(label: QLabel) -> None:
    """A quiet, roomy hint such as "No time on this day yet": placeholder grey with a margin."""
    _set_text_color(label, label.palette().color(QPalette.ColorRole.PlaceholderText))
    label.setMargin(HINT_MARGIN)
