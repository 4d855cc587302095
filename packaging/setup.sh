#!/usr/bin/env bash
# Set up TwinViewer on a fresh Debian/Ubuntu machine: system libraries, a virtual
# environment in .venv, the package with its test tools, and the compiled model kernels
# (numba caches them on disk, so the first start does not wait for them).
# Safe to run again, and in either order with packaging/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-system-deps.sh
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q -U pip
.venv/bin/python -m pip install -q -e '.[test]'
# the example plugins (each its own package, found through its entry point)
for plugin in plugins/tv-*/; do .venv/bin/python -m pip install -q --no-deps -e "$plugin"; done
.venv/bin/python -m twinviewer.warmup || echo "setup: kernels will compile at the first start"
echo "TwinViewer is installed in $(pwd)/.venv"
