"""The model layers never import Qt (import-linter contract) and stay importable headless."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contract_is_kept():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    proc = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_engine_imports_without_qt():
    code = ("import sys, twinviewer.physiology, twinviewer.twins, twinviewer.session; "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'pyvistaqt', 'pyqtgraph', 'vtkmodules')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_plain_numpy_engine_without_numba():
    code = ("from twinviewer.physiology import get_preset, simulate; "
            "from twinviewer.physiology.jit import HAVE_NUMBA; assert not HAVE_NUMBA; "
            "p = get_preset('regazzoni2022'); r = simulate(p.model, p.vector()); "
            "assert abs(r.metrics['LVEDV'][0] - 136.8) < 0.5, r.metrics['LVEDV']")
    env = {"TWINVIEWER_NUMBA": "0", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)


def test_layers_contract_has_no_exceptions():
    import tomllib

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = conf["tool"]["importlinter"]["contracts"]
    layers = [c for c in contracts if c["type"] == "layers"]
    assert layers, "a layers contract keeps each layer importing only downward"
    order = [x.strip() for x in layers[0]["layers"]]
    for upper, lower in (("twinviewer.report", "twinviewer.explain"),
                         ("twinviewer.explain", "twinviewer.interventions | "
                                                "twinviewer.personalize"),
                         ("twinviewer.gui", "twinviewer.document")):
        assert order.index(upper) < order.index(lower)
    assert not any("ignore_imports" in c for c in contracts)
    assert not (ROOT / "twinviewer" / "io" / "report.py").exists()


def test_document_imports_without_qt():
    code = ("import sys, twinviewer.document, twinviewer.report; "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'pyvistaqt', 'pyqtgraph')]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
