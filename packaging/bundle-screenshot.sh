#!/usr/bin/env bash
# Start the built bundle under a virtual X server and take a screenshot of its main window on
# the demo heart; prints the wall time from launch to the PNG written.
#   bash packaging/bundle-screenshot.sh [out.png]
set -euo pipefail
cd "$(dirname "$0")/.."
APP="build/bundle/dist/twinviewer/twinviewer"
OUT="${1:-build/bundle/bundle_screenshot.png}"
[ -x "$APP" ] || { echo "no bundle at $APP: run packaging/build-bundle.sh first" >&2; exit 2; }
start=$(date +%s%N)
xvfb-run -a -s "-screen 0 1600x1000x24" "$APP" screenshot -o "$OUT"
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
echo "screenshot: $OUT; launch to PNG: $(( ms / 1000 )).$(( (ms % 1000) / 100 )) s"
