#!/usr/bin/env bash
# Build dist/Extractdesk-<version>.dmg on macOS (12+, on the architecture to ship: the
# bundle is native, arm64 or x86_64):
#
#   CODESIGN_IDENTITY="Developer ID Application: NAME (TEAMID)" NOTARY_PROFILE=extractdesk \
#     packaging/macos/build_dmg.sh
#
# 1. PyInstaller builds dist/Extractdesk.app from packaging/pyinstaller/extractdesk.spec
#    (BUNDLE: Info.plist with the version, CFBundleDocumentTypes for "Open with", the .icns).
#    With EXTRACTDESK_CODESIGN_IDENTITY set, PyInstaller signs every binary inside with the
#    hardened runtime and entitlements.plist.
# 2. codesign --options runtime: the app bundle itself, then codesign --verify --strict.
# 3. hdiutil: a compressed dmg with the app and a link to /Applications; codesign the dmg.
# 4. xcrun notarytool submit --wait, then xcrun stapler staple (so it opens offline too).
#
# NOTARY_PROFILE is a keychain profile stored once with
#   xcrun notarytool store-credentials extractdesk --apple-id ID --team-id TEAMID --password APP_PASSWORD
# Without CODESIGN_IDENTITY the app is ad-hoc signed and not notarised (for this Mac only).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(uname -s)" = Darwin ] || { echo "build_dmg.sh runs on macOS" >&2; exit 1; }
IDENTITY="${CODESIGN_IDENTITY:-}"
ENTITLEMENTS="packaging/macos/entitlements.plist"
VERSION="$(awk -F'"' '/^\[/{p=($0=="[project]")} p && /^version *=/{print $2; exit}' pyproject.toml)"
APP="dist/Extractdesk.app"
DMG="dist/Extractdesk-$VERSION.dmg"

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e . -r packaging/requirements.txt
EXTRACTDESK_CODESIGN_IDENTITY="$IDENTITY" .venv/bin/pyinstaller --noconfirm --clean \
  --distpath dist --workpath build/pyinstaller packaging/pyinstaller/extractdesk.spec

# the frozen app must work before it is shipped: version, then window + engine + workers
[ "$("$APP/Contents/MacOS/extractdesk" --version)" = "extractdesk $VERSION" ]
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/extractdesk" --smoke-test resources/samples/welcome.pdf

if [ -n "$IDENTITY" ]; then
  codesign --force --options runtime --timestamp --entitlements "$ENTITLEMENTS" \
    --sign "$IDENTITY" "$APP"
fi
codesign --verify --deep --strict --verbose=2 "$APP"

STAGE="build/dmg"
rm -rf "$STAGE" "$DMG"
mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "Extractdesk $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"

if [ -n "$IDENTITY" ]; then
  codesign --force --timestamp --sign "$IDENTITY" "$DMG"
  if [ -n "${NOTARY_PROFILE:-}" ]; then
    xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
    xcrun stapler staple "$DMG"
    xcrun stapler validate "$DMG"
    spctl --assess --type open --context context:primary-signature --verbose "$DMG"
  else
    echo "NOTARY_PROFILE is not set: the dmg is signed but not notarised" >&2
  fi
else
  echo "CODESIGN_IDENTITY is not set: ad-hoc signed, not notarised (Gatekeeper will refuse it elsewhere)" >&2
fi
echo "$DMG"
