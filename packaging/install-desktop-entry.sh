#!/usr/bin/env bash
# Register Dubline with the desktop (Linux, per user): menu entry, icon, .dubline file type.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/scalable/apps"
mime="${XDG_DATA_HOME:-$HOME/.local/share}/mime"
mkdir -p "$apps" "$icons" "$mime/packages"
sed "s|^Exec=dubline|Exec=$root/.venv/bin/dubline|" "$here/dubline.desktop" > "$apps/dubline.desktop"
cp "$root/resources/icons/dubline.svg" "$icons/dubline.svg"
cp "$here/dubline-mime.xml" "$mime/packages/dubline.xml"
command -v update-mime-database >/dev/null && update-mime-database "$mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$apps" || true
echo "Dubline registered: $apps/dubline.desktop"
