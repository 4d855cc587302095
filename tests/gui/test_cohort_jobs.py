"""Cohorts and large Sobol studies as GUI background jobs: job bar, Cancel, resume, outcome
in the document (a Sobol study saved in the .twin), and no Dask at GUI start."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("dask.distributed")

from PySide6.QtWidgets import QLabel  # noqa: E402

import twinviewer.cohort.jobs as cohort_jobs  # noqa: E402
from twinviewer.cohort.runner import read_results, run_cohort  # noqa: E402
from twinviewer.cohort.spec import load_spec  # noqa: E402
from twinviewer.document import Document  # noqa: E402
from twinviewer.gui.cohort_view import CohortView  # noqa: E402
from twinviewer.gui.explain_panel import ExplainPanel  # noqa: E402
from twinviewer.gui.job_bar import JobBar  # noqa: E402
from twinviewer.gui.state import TwinState  # noqa: E402
from twinviewer.twins import simulate_twin, twin_from_preset  # noqa: E402

SPEC = """\
population: {preset: severe_as, n: 6, seed: 7}
members: 3
chunk: 2
scenarios:
  - name: tavi
    steps: ["tavi_sapien3:size=26"]
metrics: [AV_mean_gradient, LVEDP, CO]
"""


@pytest.fixture
def state(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("TWINVIEWER_CACHE_DIR", str(tmp_path))
    st = TwinState()
    st.distributed = cohort_jobs
    yield st
    st.close()


class _CancelAfterFirstChunk:
    """The real jobs, but the run is cancelled (as the job bar's Cancel does: the job's
    event) as soon as its first chunk is persisted."""

    def __init__(self, state: TwinState) -> None:
        self.state = state

    def run_cohort_job(self, spec, out, progress, is_cancelled, **kw):
        job = self.state.jobs[-1]

        def progress_then_cancel(fraction: float, text: str) -> None:
            progress(fraction, text)
            if fraction > 0:
                job.cancel()

        return cohort_jobs.run_cohort_job(spec, out, progress_then_cancel, is_cancelled, **kw)


@pytest.mark.slow  # ~50 s at load 20 (three cohort runs and the plots)
def test_cohort_job_in_the_job_bar_cancel_resume_and_view(qtbot, state, tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "tiny.parquet"
    bar = JobBar(state)
    view = CohortView(state, in_process=True)
    qtbot.addWidget(bar)
    qtbot.addWidget(view)
    # 1. cancelled after the first of three chunks: the view says so, nothing in the document
    state.distributed = _CancelAfterFirstChunk(state)
    job = view.start(spec, out)
    assert job is not None and state.jobs == [job] and not bar.isHidden()
    assert bar.label.text().startswith("Cohort tiny.yaml")
    qtbot.waitUntil(lambda: job.finished, timeout=60000)
    assert job.cancelled and "Cancelled" in view.status.text()
    assert state.session.cohort is None and view.resume_button.isEnabled()
    assert bar.isHidden()
    # 2. resume with the real jobs: the persisted chunk is reused, the rest computed
    state.distributed = cohort_jobs
    seen: list[float] = []
    state.jobProgress.connect(lambda j, f, t: seen.append(f))
    view.resume_button.click()
    job2 = view.job
    qtbot.waitUntil(lambda: job2.finished, timeout=60000)
    outcome = state.session.cohort
    assert outcome is not None and outcome["chunks"] == 3 and outcome["chunks_reused"] == 1
    assert seen and max(seen) == 1.0
    # the table equals an in-process run of the same spec from scratch
    table, meta = read_results(out)
    ref = run_cohort(load_spec(spec), tmp_path / "ref.parquet", in_process=True).table
    assert table.equals(ref)
    # the view shows one row per scenario × metric, the responder lines and the PNG plots
    assert view.table.rowCount() == 3
    cells = [view.table.item(i, 2).text() for i in range(3)]
    assert cells[0].endswith("mmHg") and cells[0].startswith("-")  # TAVI lowers the gradient
    assert "%" in view.table.item(0, 4).text()
    assert "6 patients × 3 members" in view.status.text()
    labels = view.plots.findChildren(QLabel)
    assert len(labels) == len(outcome["plots"]) >= 1
    assert all(lab.pixmap() is not None and not lab.pixmap().isNull() for lab in labels)
    assert all(os.path.exists(p) for p in outcome["plots"])


def test_cohort_on_dask_in_the_background_and_bad_spec(qtbot, state, tmp_path):
    """On a (thread) LocalCluster of 2 workers; a broken spec is named, the app goes on."""
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    view = CohortView(state, workers=2, processes=False)
    qtbot.addWidget(view)
    job = view.start(spec, tmp_path / "dask.parquet")
    qtbot.waitUntil(lambda: job.finished, timeout=120000)
    assert state.session.cohort["workers"] == 2 and state.session.cohort["rows"] == 6
    assert not state.session.dirty  # a cohort belongs to no twin
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.replace("members: 3", "members: -1"))
    errors: list[str] = []
    state.message.connect(lambda level, text: errors.append(text) if level == "error" else 0)
    job = view.start(bad, tmp_path / "bad.parquet")
    qtbot.waitUntil(lambda: job.finished, timeout=30000)
    assert "bad.yaml" in view.status.text() and "members" in view.status.text()
    assert errors and "bad.yaml" in errors[-1]
    assert view.run_button.isEnabled()


def _load(state, n=8):
    twin = twin_from_preset("regazzoni2022", n=n)
    state.session.set_twin(twin)
    state.session.set_results(simulate_twin(twin))
    return twin


@pytest.mark.slow
def test_large_sobol_on_dask_lands_in_the_twin_file(qtbot, state, tmp_path):
    panel = ExplainPanel(state)
    panel.sobol_job_options = {"workers": 2, "processes": False, "store": tmp_path / "blocks"}
    qtbot.addWidget(panel)
    _load(state)
    qtbot.waitUntil(lambda: panel.sobol_button.isEnabled(), timeout=60000)
    panel.dask_box.setChecked(True)
    panel.n_base.setValue(32)
    panel.sobol_button.click()
    assert panel.sobol_job.title.endswith("on Dask")
    qtbot.waitUntil(lambda: panel.sobol_table.rowCount() > 0, timeout=120000)
    (rec,) = state.session.sensitivity
    assert rec["metric"] == "MAP" and rec["ci_threshold"] == 0.01 and rec["workers"] == 2
    assert rec["n_runs"] == 32 * (len(panel.explanation.screened) + 2)
    assert 0.0 <= rec["converged_share"] <= 1.0 and not rec["converged"]  # N = 32 is small
    assert "% of the indices have a 95 % CI half-width ≤ 0.01" in panel.sobol_status.text()
    assert not (tmp_path / "blocks").exists() or not any((tmp_path / "blocks").iterdir())
    # saved in the .twin and shown again when it is reopened
    assert state.session.dirty
    path = state.session.save(tmp_path / "p.twin")
    doc = Document()
    doc.open_file(path)
    assert doc.sensitivity == [rec]
    state2 = TwinState(doc)
    panel2 = ExplainPanel(state2)
    qtbot.addWidget(panel2)
    doc.set_results(simulate_twin(doc.twin))
    qtbot.waitUntil(lambda: panel2.explanation is not None, timeout=60000)
    assert panel2.sobol_status.text().startswith("Saved with the twin: saltelli, N = 32")
    assert panel2.sobol_table.rowCount() == len(rec["indices"])
    state2.close()


def test_dask_study_without_the_engine_is_refused_clearly(qtbot, state):
    state.distributed = None
    panel = ExplainPanel(state)
    qtbot.addWidget(panel)
    view = CohortView(state)
    qtbot.addWidget(view)
    errors: list[str] = []
    state.message.connect(lambda level, text: errors.append(text))
    assert view.start("x.yaml", "x.parquet") is None
    assert "twinviewer gui" in errors[-1]


def test_gui_start_imports_no_dask():
    """The GUI gets the jobs lazily from the twinviewer command: building the windows that
    offer them loads nothing of Dask."""
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from twinviewer.cli import LazyModule\n"
        "from twinviewer.gui.state import TwinState\n"
        "from twinviewer.gui.cohort_view import CohortView\n"
        "from twinviewer.gui.explain_panel import ExplainPanel\n"
        "from twinviewer.gui.job_bar import JobBar\n"
        "s = TwinState(); s.distributed = LazyModule('twinviewer.cohort.jobs')\n"
        "w = [CohortView(s), ExplainPanel(s), JobBar(s)]\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]\n"
        "assert not bad, bad\n"
        "s.distributed.run_cohort_job  # first use imports the cohort jobs\n"
        "print('cohort' in sys.modules.get('twinviewer.cohort.jobs').__name__)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().endswith("True")
