"""Render the SVG icon sources into every size and format the platforms need.

Writes into `resources/generated/` (committed, so packaging needs no render step):
- `app-<N>.png` for N in 16..1024 (Linux hicolor theme, window icon, macOS/Windows sources),
- `app.ico` (Windows: BMP entries up to 128 px, PNG-compressed 256 px entry, as Windows expects),
- `app.icns` (macOS: PNG entries 16..1024 including @2x types),
- `tray-<state>[-dark]-<N>.png` at each tray size the app loads (`TRAY_ICON_SIZES`): the widget
  shows these bitmaps, not the SVGs (see harvest_widget/gui/tray_icons.py).

Qt renders the SVGs offscreen (QSvgRenderer), so the only tool needed is the project's venv.
The ICO and ICNS containers are written here from the PNGs: both are simple formats, and this
way a Linux machine produces the same files `iconutil` would need a Mac for.

Usage: python scripts/render_icons.py [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path
from typing import cast

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
from PySide6.QtSvg import QSvgRenderer

from harvest_widget.gui.tray_icons import APP_ICON_SIZES, TRAY_ICON_SIZES, TrayState

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
APP_PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS entry type -> pixel size. PNG payloads are valid for all of these since macOS 10.7.
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)
TRAY_STATES = tuple(state.value for state in TrayState)
assert set(APP_ICON_SIZES) <= set(APP_PNG_SIZES)


def render(svg: Path, size: int) -> QImage:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"png"))
    if not writer.write(image):
        raise SystemExit(f"Qt could not encode a PNG: {writer.errorString()}")
    return bytes(data.data())


def dib_bytes(image: QImage) -> bytes:
    """A 32-bit BGRA device-independent bitmap as ICO stores it: bottom-up, plus a 1-bit AND mask."""
    size = image.width()
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    rows = []
    for y in reversed(range(size)):
        # ARGB32 is BGRA in memory on little-endian machines, which is what a DIB wants.
        line = cast(memoryview, image.constScanLine(y))
        rows.append(line.tobytes()[: size * 4])
    mask_row = b"\x00" * (((size + 31) // 32) * 4)  # all opaque: alpha channel does the work
    return header + b"".join(rows) + mask_row * size


def ico_bytes(images: dict[int, QImage]) -> bytes:
    entries = []
    for size in sorted(images):
        payload = png_bytes(images[size]) if size >= 256 else dib_bytes(images[size])
        entries.append((size, payload))
    offset = 6 + 16 * len(entries)
    directory = struct.pack("<HHH", 0, 1, len(entries))
    blobs = b""
    for size, payload in entries:
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO directory
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(payload), offset)
        offset += len(payload)
        blobs += payload
    return directory + blobs


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {len(data):>7} bytes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "generated")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    _app = QGuiApplication.instance() or QGuiApplication([])

    app_svg = ICONS / "app.svg"
    sizes = sorted(set(APP_PNG_SIZES) | set(ICO_SIZES) | {size for _, size in ICNS_TYPES})
    images = {size: render(app_svg, size) for size in sizes}
    pngs = {size: png_bytes(image) for size, image in images.items()}
    for size in APP_PNG_SIZES:
        write(out / f"app-{size}.png", pngs[size])
    write(out / "app.ico", ico_bytes({size: images[size] for size in ICO_SIZES}))
    write(out / "app.icns", icns_bytes(pngs))

    for state in TRAY_STATES:
        for suffix in ("", "-dark"):
            svg = ICONS / f"tray-{state}{suffix}.svg"
            for size in TRAY_ICON_SIZES:
                write(out / f"tray-{state}{suffix}-{size}.png", png_bytes(render(svg, size)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
