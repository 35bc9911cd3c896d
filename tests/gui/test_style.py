"""The shared looks are palette and font settings that can be undone (no style sheets)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QLabel, QWidget

from harvest_widget.gui.style import show_as_error, show_as_hint, show_as_waiting


@pytest.fixture
def label(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    yield QLabel("Harvest asked us to wait 12 s", parent)  # the parent lives as long as the test


def painted_color(label: QLabel) -> QColor:
    return label.palette().color(label.foregroundRole())


def test_an_error_is_red_until_it_is_shown_as_normal_text_again(label):
    normal = painted_color(label)
    show_as_error(label)
    assert painted_color(label) == QColor("#b3261e") != normal
    show_as_error(label, False)
    assert painted_color(label) == normal
    assert not label.testAttribute(Qt.WidgetAttribute.WA_SetPalette)  # follows the theme again
    assert label.styleSheet() == ""


def test_waiting_is_amber_and_semibold_until_it_is_turned_off(label):
    normal = painted_color(label), label.font().weight()
    show_as_waiting(label)
    assert painted_color(label) == QColor("#9a4a00")
    assert label.font().weight() == QFont.Weight.DemiBold
    assert label.font().pointSizeF() == label.parentWidget().font().pointSizeF()
    show_as_waiting(label, False)
    assert (painted_color(label), label.font().weight()) == normal
    assert not label.testAttribute(Qt.WidgetAttribute.WA_SetFont)
    assert label.styleSheet() == ""


def test_a_hint_is_placeholder_grey_with_room_around_it(label):
    show_as_hint(label)
    assert painted_color(label) == label.parentWidget().palette().color(QPalette.ColorRole.PlaceholderText)
    assert label.margin() == 18
    assert label.styleSheet() == ""
