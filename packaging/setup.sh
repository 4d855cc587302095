#!/usr/bin/env bash
# Set up TwinViewer on a fresh Debian/Ubuntu machine: system libraries, a virtual
# environment in .venv, the package with its test tools, and the compiled model kernels
# (numba caches them on disk, so the first start does not wait for them). The kernels, the
# demo's files and the lesson hearts' anatomies are also staged in
# .venv/share/twinviewer/prepared_cache, which every other account's first start copies into
# its own cache (twinviewer/prepared_cache.py).
# Safe to run again, and in either order with packaging/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-system-deps.sh
# Python 3.11 or newer (pyproject's requires-python): Debian 12+, Ubuntu 23.04+. Said at once,
# not after the venv and a long pip run.
python=""
# 3.11 first where there is one: a plug-in that catches its stop is held only on 3.11
# (twinviewer/plugins/budget.py). TWINVIEWER_PYTHON names one (an install for several
# accounts wants one they can all run, e.g. /usr/bin/python3.11, not one under /root).
candidates=(python3.11 python3 python3.13 python3.12)
if [ -n "${TWINVIEWER_PYTHON:-}" ]; then candidates=("$TWINVIEWER_PYTHON"); fi
for candidate in "${candidates[@]}"; do
  if command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python="$candidate"; break
  fi
done
if [ -z "$python" ] && [ -n "${TWINVIEWER_PYTHON:-}" ]; then
  echo "setup: TWINVIEWER_PYTHON=$TWINVIEWER_PYTHON is not a Python 3.11 or newer" \
       "($("$TWINVIEWER_PYTHON" --version 2>&1 || echo not found))" >&2
  exit 1
fi
if [ -z "$python" ]; then
  echo "setup: TwinViewer needs Python 3.11 or newer; this machine's python3 is" \
       "$(python3 --version 2>&1 || echo missing) (Debian 12+ and Ubuntu 23.04+ have it)" >&2
  exit 1
fi
if [ -x .venv/bin/python ] && ! .venv/bin/python -c \
    'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: .venv holds an older Python; making it again with $python"
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q -U pip
.venv/bin/python -m pip install -q -e '.[test]'
# the example plugins (each its own package, found through its entry point)
for plugin in plugins/tv-*/; do .venv/bin/python -m pip install -q --no-deps -e "$plugin"; done
.venv/bin/python -m twinviewer.warmup --stage \
  || echo "setup: kernels will compile at the first start"
echo "TwinViewer is installed in $(pwd)/.venv"
# an install other accounts cannot run says so (README: "For several accounts")
if ! closed=$(bash packaging/others-can-run.sh .venv/bin/python .venv/bin/twinviewer \
                pyproject.toml); then
  echo "setup: only accounts that can read these can run it: $closed." \
       "To install for several accounts see the README (Start: for several accounts)."
fi
