#!/usr/bin/env bash
# The test command: style, architecture contract, then the test suite under a virtual X server.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-xcb}"
.venv/bin/ruff check .
.venv/bin/lint-imports
# pytest-xvfb starts Xvfb for the GUI tests; benchmarks are not part of the gate.
.venv/bin/python -m pytest -q -p no:cacheprovider --ignore=tests/benchmarks "$@"
