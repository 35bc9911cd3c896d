#!/usr/bin/env bash
# Build this OS's PyInstaller bundle from packaging/harvest-widget.spec, then run the bundle's
# --self-test (the whole app, offscreen, against its built-in sandbox) so a bundle that misses a
# module or a Qt plugin fails here, not on a user's machine.
#
#   scripts/build_bundle.sh [--archive] # Linux: dist/harvest-widget/ (+ with --archive,
#                                      #   dist/harvest-widget-<v>-linux-<arch>.tar.gz)
#                                      # Windows: dist/harvest-widget/harvest-widget.exe (then packaging/windows/*.iss)
#                                      # macOS: dist/Harvest Widget.app (then packaging/macos/build_dmg.sh)
# PYTHON=... picks the interpreter (default: the project's .venv). Needs no display.
set -euo pipefail
cd "$(dirname "$0")/.."
archive=false
[ "${1:-}" = --archive ] && archive=true

if [ -n "${PYTHON:-}" ]; then python=$PYTHON
elif [ -x .venv/bin/python ]; then python=.venv/bin/python
elif [ -x .venv/Scripts/python.exe ]; then python=.venv/Scripts/python.exe
else python=python3
fi

"$python" -m pip install -q -e '.[build]'
version=$("$python" -c 'import harvest_widget; print(harvest_widget.__version__)')

start=$(date +%s)
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/harvest-widget.spec
echo "build: $(( $(date +%s) - start )) s"

case "$(uname -s)" in
  Darwin) executable="dist/Harvest Widget.app/Contents/MacOS/harvest-widget"; bundle="dist/Harvest Widget.app" ;;
  MINGW*|MSYS*|CYGWIN*) executable=dist/harvest-widget/harvest-widget.exe; bundle=dist/harvest-widget ;;
  *) executable=dist/harvest-widget/harvest-widget; bundle=dist/harvest-widget
     cp packaging/linux/harvest-widget.desktop packaging/linux/install.sh "$bundle/"
     cp resources/generated/app-256.png "$bundle/harvest-widget.png" ;;
esac
echo "bundle: $bundle, $(du -sh "$bundle" | cut -f1)"

# The self-test's own home is a throwaway folder; it never touches the user's profile. A GUI binary
# that hangs must not hang the build: limit it (macOS has no `timeout` unless coreutils is there).
limit=()
if command -v timeout >/dev/null; then limit=(timeout 120)
elif command -v gtimeout >/dev/null; then limit=(gtimeout 120)
fi
start=$(date +%s)
QT_QPA_PLATFORM=offscreen "${limit[@]}" "$executable" --self-test
echo "self-test: $(( $(date +%s) - start )) s"

if $archive && [ "$(uname -s)" = Linux ]; then
  tarball="dist/harvest-widget-$version-linux-$(uname -m).tar.gz"
  tar -C dist -czf "$tarball" harvest-widget
  echo "archive: $tarball, $(du -sh "$tarball" | cut -f1)"
fi
