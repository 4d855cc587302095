"""pydicom is imported whole by one module, so two threads never see it half-made (review15 #1:
a window's demo job importing ``segmentation`` while the GUI thread read the autosave key
through ``deid`` failed with "partially initialized module 'pydicom.dataset'" 8 times in 8)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import twinviewer

PACKAGE = Path(twinviewer.__file__).parent
# The build-time demo writer (one thread; imports highdicom, which imports pydicom, at its top)
ALLOWED = {"imaging/dicom_stack.py", "imaging/demo.py"}


def _dicom_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):  # in functions too: a late import races as a first one did
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        found += [n for n in names if n.split(".")[0] in ("pydicom", "highdicom")]
    return found


def test_only_the_stack_imports_pydicom():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel not in ALLOWED and (names := _dicom_imports(path)):
            offenders[rel] = names
    assert not offenders, f"import pydicom through twinviewer.imaging.dicom_stack: {offenders}"


RACE = """
import sys, threading, time
errors = []
def load(name):
    try:
        __import__(name)
    except Exception as exc:
        errors.append(f"{name}: {exc!r}")
t = threading.Thread(target=load, args=(sys.argv[1],))
t.start()
time.sleep(float(sys.argv[3]))
load(sys.argv[2])
t.join()
print("\\n".join(errors) or "ok")
"""


@pytest.mark.parametrize("delay", [0.0, 0.03])
@pytest.mark.parametrize("first,second", [
    ("twinviewer.imaging.segmentation", "twinviewer.imaging.deid"),
    ("twinviewer.imaging.deid", "twinviewer.imaging.series"),
    ("twinviewer.imaging.volume", "twinviewer.imaging.segmentation"),
])
def test_two_threads_import_dicom_modules_at_once(first, second, delay):
    out = subprocess.run([sys.executable, "-c", RACE, first, second, str(delay)],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stdout + out.stderr


LATE = """
import sys, threading, time
import twinviewer.imaging.dicom_stack as stack
errors = []
def load(what):
    try:
        getattr(stack, what)()
    except Exception as exc:
        errors.append(f"{what}: {exc!r}")
t = threading.Thread(target=load, args=("highdicom",))
t.start()
time.sleep(float(sys.argv[1]))
load("sr_codes")
t.join()
print("\\n".join(errors) or "ok")
"""


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.05])
def test_late_tables_and_highdicom_are_imported_one_thread_at_a_time(delay):
    """final15 #5: ``pydicom.sr.codedict`` imported late by ``deidentify`` raced a first
    ``import highdicom`` in another thread (2 of 6 timings failed)."""
    out = subprocess.run([sys.executable, "-c", LATE, str(delay)], capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stdout + out.stderr
