"""The icon set: rendered containers Qt can read back, tray states that differ at 16 px, dark variants."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtGui import QImage, QImageReader
from pytestqt.qtbot import QtBot

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def render_icons() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_icons", ROOT / "scripts" / "render_icons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_all(path: Path) -> list[QImage]:
    reader = QImageReader(str(path))
    images = []
    for index in range(reader.imageCount()):
        assert reader.jumpToImage(index)
        images.append(reader.read())
    return images


def coverage_and_lightness(image: QImage) -> tuple[float, float]:
    """Share of visible pixels, and their mean lightness (0 black .. 255 white)."""
    visible = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    inked = [color for color in visible if color.alpha() > 128]
    return len(inked) / len(visible), sum(c.lightness() for c in inked) / max(1, len(inked))


def test_renders_every_format_and_the_containers_read_back(
    qtbot: QtBot, render_icons: ModuleType, tmp_path: Path
) -> None:
    assert render_icons.main(["--out", str(tmp_path)]) == 0
    for state, suffix, size in itertools.product(
        render_icons.TRAY_STATES, ("", "-dark"), render_icons.TRAY_ICON_SIZES
    ):
        assert QImage(str(tmp_path / f"tray-{state}{suffix}-{size}.png")).width() == size
    ico = read_all(tmp_path / "app.ico")
    assert sorted(image.width() for image in ico) == sorted(render_icons.ICO_SIZES)
    icns = read_all(tmp_path / "app.icns")
    assert sorted(image.width() for image in icns) == sorted(size for _, size in render_icons.ICNS_TYPES)
    for size in render_icons.APP_PNG_SIZES:
        png = QImage(str(tmp_path / f"app-{size}.png"))
        assert (png.width(), png.height()) == (size, size)
    # The BMP entries of the ICO hold the same picture as the PNG (orientation and colour order).
    ico_32 = next(image for image in ico if image.width() == 32).convertToFormat(QImage.Format.Format_ARGB32)
    png_32 = QImage(str(tmp_path / "app-32.png")).convertToFormat(QImage.Format.Format_ARGB32)
    assert ico_32 == png_32


def test_tray_states_are_distinct_at_16_px_and_dark_variants_are_light(
    qtbot: QtBot, render_icons: ModuleType
) -> None:
    icons = ROOT / "resources" / "icons"
    images = {}
    for state in render_icons.TRAY_STATES:
        light = render_icons.render(icons / f"tray-{state}.svg", 16)
        dark = render_icons.render(icons / f"tray-{state}-dark.svg", 16)
        light_coverage, light_lightness = coverage_and_lightness(light)
        dark_coverage, dark_lightness = coverage_and_lightness(dark)
        assert 0.15 < light_coverage < 0.8, state  # a glyph, neither a speck nor a filled square
        assert light_lightness < 60 < 200 < dark_lightness, state
        assert abs(light_coverage - dark_coverage) < 0.01, state  # same shape, other ink
        images[state] = light
    for (a, image_a), (b, image_b) in itertools.combinations(images.items(), 2):
        differing = sum(
            abs(image_a.pixelColor(x, y).alpha() - image_b.pixelColor(x, y).alpha()) > 96
            for x in range(16)
            for y in range(16)
        )
        assert differing >= 8, f"{a} and {b} look alike at 16 px"
