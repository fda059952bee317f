#!/usr/bin/env bash
# Build the Debian package from the PyInstaller onedir bundle.
#
#   packaging/linux/build_deb.sh [BUNDLE_DIR] [OUT_DIR]     (defaults: dist/extractdesk dist)
#
# Layout: /opt/extractdesk/ (the bundle), /usr/bin/extractdesk -> /opt/extractdesk/extractdesk,
# /usr/share/applications/extractdesk.desktop ("Open with" for PDF, images, office files),
# /usr/share/icons/hicolor/{16..512}/apps/extractdesk.png and scalable/apps/extractdesk.svg,
# /usr/share/doc/extractdesk/copyright. Compressed with zstd (xz takes minutes on 2 cores).
# Prints the path of the .deb on the last line.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUNDLE="$(realpath "${1:-$ROOT/dist/extractdesk}")"
OUT="$(realpath -m "${2:-$ROOT/dist}")"
MAINTAINER="${DEB_MAINTAINER:-Extractdesk developers <packaging@extractdesk.invalid>}"

[ -x "$BUNDLE/extractdesk" ] || { echo "no bundle at $BUNDLE (run PyInstaller first)" >&2; exit 1; }
if find "$BUNDLE" -name 'libgtk*' -o -name 'libgdk-*' | grep -q .; then
  echo "the bundle carries the build machine's GTK libraries; see extractdesk.spec" >&2
  exit 1
fi
VERSION="$(awk -F'"' '/^\[/{p=($0=="[project]")} p && /^version *=/{print $2; exit}' "$ROOT/pyproject.toml")"
[ -n "$VERSION" ] || { echo "no [project] version in pyproject.toml" >&2; exit 1; }
ARCH="$(dpkg --print-architecture)"
STAGE="$ROOT/build/deb/extractdesk_${VERSION}_${ARCH}"
DEB="$OUT/extractdesk_${VERSION}_${ARCH}.deb"

rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
         "$STAGE/usr/share/doc/extractdesk" "$OUT"
cp -a "$BUNDLE" "$STAGE/opt/extractdesk"
ln -s /opt/extractdesk/extractdesk "$STAGE/usr/bin/extractdesk"

# .desktop entry, MimeType from mime-types.txt
MIME_TYPES="$(grep -v '^\s*#' "$HERE/mime-types.txt" | awk 'NF {printf "%s;", $1}')"
sed "s|@MIME_TYPES@|$MIME_TYPES|" "$HERE/extractdesk.desktop" \
  > "$STAGE/usr/share/applications/extractdesk.desktop"
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$STAGE/usr/share/applications/extractdesk.desktop"
else
  echo "note: desktop-file-validate not found (apt-get install desktop-file-utils); not validated" >&2
fi

# icons: every size the UI renders, plus the SVG
ICONS="$ROOT/resources/icons"
for png in "$ICONS"/png/extractdesk-*.png; do
  size="$(basename "$png" .png)"; size="${size##*-}"
  install -D -m 644 "$png" "$STAGE/usr/share/icons/hicolor/${size}x${size}/apps/extractdesk.png"
done
install -D -m 644 "$ICONS/extractdesk.svg" "$STAGE/usr/share/icons/hicolor/scalable/apps/extractdesk.svg"

cat > "$STAGE/usr/share/doc/extractdesk/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: extractdesk

Files: *
Copyright: Extractdesk developers
License: Apache-2.0
 On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.
 /opt/extractdesk/_internal also contains Python, Qt (LGPLv3), PySide6 (LGPLv3), PDFium,
 OpenCV, ONNX Runtime, RapidOCR and their models, each under its own licence.
EOF

# permissions as dpkg expects them: no group/world-writable files, everything readable
chmod -R u+rwX,go+rX,go-w "$STAGE"
find "$STAGE/usr/share" -type f -exec chmod 644 {} +

install -m 755 "$HERE/postinst" "$HERE/postrm" "$STAGE/DEBIAN/"
INSTALLED_KB="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
# What the bundle needs from the system (extractdesk.spec bundles none of the build
# machine's libraries; .ci/package checks every library resolves in a clean Debian root).
# "A | B" pairs: the first is the name since Debian 13 / Ubuntu 24.04 (64-bit time_t).
DEPENDS=(
  "libc6 (>= 2.36)" libstdc++6 libgcc-s1 zlib1g libzstd1 libbz2-1.0 liblzma5 libffi8
  libsqlite3-0 libuuid1 "libssl3t64 | libssl3" "libglib2.0-0t64 | libglib2.0-0"
  libgl1 libegl1 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0
  libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-render0 libxcb-shape0
  libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1 libxkbcommon-x11-0
  libwayland-client0 libwayland-cursor0 libwayland-egl1
  # QtNetwork (the local socket a second start talks to the open window through)
  libgssapi-krb5-2 libbrotli1
  # without a font every glyph is an empty box (fontconfig-config: the default config)
  fontconfig-config "fonts-dejavu-core | fonts-liberation2 | fonts-noto-core"
)
{
  echo "Package: extractdesk"
  echo "Version: $VERSION"
  echo "Architecture: $ARCH"
  echo "Maintainer: $MAINTAINER"
  echo "Installed-Size: $INSTALLED_KB"
  echo "Depends: $(IFS=,; echo "${DEPENDS[*]}" | sed 's/,/, /g')"
  echo "Recommends: xdg-utils"
  echo "Section: utils"
  echo "Priority: optional"
  echo "Description: turn PDFs, scans, photos and office files into text, tables and figures"
  echo " Extractdesk sends documents to a document-extraction service and shows each"
  echo " file's progress. The default service is the local engine, which runs offline"
  echo " on this computer (PDF text and tables, OCR for scans and photos, Word, Excel,"
  echo " PowerPoint). Results are written as Markdown and JSON."
} > "$STAGE/DEBIAN/control"

rm -f "$DEB"
# zstd level 9: 4 s and 187 MB here (level 3: 2.5 s, 202 MB; 19: 114 s, 168 MB)
dpkg-deb --root-owner-group -Zzstd -z"${DEB_ZSTD_LEVEL:-9}" --build "$STAGE" "$DEB" >/dev/null
rm -rf "$STAGE"  # a second copy of the bundle
echo "$DEB"
