"""Shared looks of the widgets: one colour for every error sentence, readable on light and dark."""

ERROR_STYLE = "color: #b3261e;"
