#!/usr/bin/env bash
# Sign, package, notarize and smoke-test the macOS app. Run on a Mac after scripts/build_bundle.sh.
#
#   CODESIGN_IDENTITY="Developer ID Application: Name (TEAMID)" \
#   NOTARY_PROFILE=harvest-widget \
#   packaging/macos/build_dmg.sh
#
# CODESIGN_IDENTITY unset: ad-hoc signature (runs on this Mac; Gatekeeper will warn elsewhere).
# NOTARY_PROFILE: a keychain profile made once with
#   xcrun notarytool store-credentials harvest-widget --apple-id ... --team-id ... --password <app-specific>
# unset: notarization and stapling are skipped.
# Output: dist/harvest-widget-<version>-macos.dmg (create-dmg when installed, else hdiutil).
set -euo pipefail
cd "$(dirname "$0")/../.."

app="dist/Harvest Widget.app"
[ -d "$app" ] || { echo "No $app: run scripts/build_bundle.sh on this Mac first." >&2; exit 1; }
for tool in codesign hdiutil; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: this script needs macOS." >&2; exit 1; }
done
version=$(/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$app/Contents/Info.plist")
dmg="dist/harvest-widget-$version-macos.dmg"
identity=${CODESIGN_IDENTITY:--}

sign() {
  if [ "$identity" = "-" ]; then
    codesign --force --sign - "$@"
  else
    codesign --force --timestamp --options runtime \
      --entitlements packaging/macos/entitlements.plist --sign "$identity" "$@"
  fi
}

# Sign inside out: every nested library and framework first, then the app itself.
while IFS= read -r -d '' file; do sign "$file"; done \
  < <(find "$app/Contents" -type f \( -name "*.dylib" -o -name "*.so" \) -print0)
while IFS= read -r -d '' framework; do sign "$framework"; done \
  < <(find "$app/Contents" -type d -name "*.framework" -print0)
sign "$app"
codesign --verify --strict --deep --verbose=2 "$app"

rm -f "$dmg"
if command -v create-dmg >/dev/null; then
  create-dmg --volname "Harvest Widget" --window-size 540 300 --icon-size 96 \
    --icon "Harvest Widget.app" 140 130 --app-drop-link 400 130 --hide-extension "Harvest Widget.app" \
    "$dmg" "$app"
else
  staging=$(mktemp -d)
  cp -R "$app" "$staging/"
  ln -s /Applications "$staging/Applications"
  hdiutil create -volname "Harvest Widget" -srcfolder "$staging" -ov -format UDZO "$dmg"
  rm -rf "$staging"
fi
[ "$identity" = "-" ] || codesign --force --timestamp --sign "$identity" "$dmg"

if [ -n "${NOTARY_PROFILE:-}" ]; then
  xcrun notarytool submit "$dmg" --keychain-profile "$NOTARY_PROFILE" --wait
  xcrun stapler staple "$dmg"
  xcrun stapler validate "$dmg"
  spctl --assess --type open --context context:primary-signature --verbose "$dmg"
fi

# Smoke test the app as users get it: from the mounted image.
mount=$(mktemp -d)
hdiutil attach -nobrowse -readonly -mountpoint "$mount" "$dmg" >/dev/null
trap 'hdiutil detach "$mount" >/dev/null || true' EXIT
QT_QPA_PLATFORM=offscreen "$mount/Harvest Widget.app/Contents/MacOS/harvest-widget" --self-test
echo "dmg: $dmg ($(du -h "$dmg" | cut -f1))"
