"""Guards against a Qt binding that breaks a long-running tray app."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    happened = Signal(object)


def test_emitting_a_signal_keeps_reference_counts(qapp):
    # PySide6 6.12.0 drops a reference to True on every emit(): after a few thousand emits (a running
    # timer ticks once a second) the process aborts in bool_dealloc. pyproject.toml excludes it.
    emitter = Emitter()
    emitter.happened.connect(lambda _value: None)
    before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(50):
        emitter.happened.emit(None)
    assert (sys.getrefcount(True), sys.getrefcount(None)) == before
