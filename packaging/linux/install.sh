#!/usr/bin/env bash
# Install the unpacked Linux bundle for the current user (no root): the program under
# ~/.local/opt/harvest-widget, the `harvest-widget` command in ~/.local/bin, a menu entry and its icon.
#   ./install.sh              install or update (run from the unpacked harvest-widget folder)
#   ./install.sh --uninstall  remove them again (your settings, cache and logs stay; see the README)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
target=$HOME/.local/opt/harvest-widget
command_link=$HOME/.local/bin/harvest-widget
menu_entry=$data_home/applications/harvest-widget.desktop
icon=$data_home/icons/hicolor/256x256/apps/harvest-widget.png

if [ "${1:-}" = --uninstall ]; then
  rm -rf "$target"
  rm -f "$command_link" "$menu_entry" "$icon"
  echo "Harvest Widget removed."
  exit 0
fi

[ -x "$here/harvest-widget" ] || { echo "Run this from the unpacked harvest-widget folder." >&2; exit 1; }
if [ "$here" != "$target" ]; then
  rm -rf "$target"
  mkdir -p "$(dirname "$target")"
  cp -a "$here" "$target"
fi
mkdir -p "$(dirname "$command_link")" "$(dirname "$menu_entry")" "$(dirname "$icon")"
ln -sf "$target/harvest-widget" "$command_link"
cp "$target/harvest-widget.png" "$icon"
sed "s|^Exec=harvest-widget$|Exec=\"$target/harvest-widget\"|" "$target/harvest-widget.desktop" > "$menu_entry"
echo "Installed: $target"
echo "Start it from the menu (Harvest Widget) or run: harvest-widget"
