"""The cohort dialog at its 980-px size: every column and every histogram in view, changes in
the app's one number format, and patient counts on integer ticks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout

from twinviewer.gui.cohort_view import CohortView, summary_rows
from twinviewer.gui.state import TwinState


def _outcome(tmp_path) -> dict:
    wide = QPixmap(1200, 300)  # the cohort figure: three histograms side by side
    wide.fill(QColor("steelblue"))
    png = tmp_path / "hist.png"
    wide.save(str(png))
    rows = [{"scenario": "Beta-blocker 5 mg + TAVI 26 mm", "metric": m, "unit": u,
             "diff_median": d, "diff_lo": d - 0.01, "diff_hi": d + 0.02,
             "improved_median": 0.5, "patients_improving": 0.4}
            for m, u, d in (("AV mean gradient", "mmHg", -0.0298), ("CO", "L/min", 0.41),
                            ("LVEF", "%", 1.234))]
    return {"summary": rows, "patients": 6, "members": 3, "rows": 18,
            "output": str(tmp_path / "t.parquet"), "chunks": 3, "chunks_reused": 0,
            "elapsed_s": 1.0, "workers": 0, "level": 0.9, "responder_lines": [],
            "plots": [str(png)]}


def test_changes_use_the_one_formatter():
    rows = summary_rows({"summary": [{"scenario": "s", "metric": "MAP", "unit": "mmHg",
                                      "diff_median": -0.0298, "diff_lo": -0.0004,
                                      "diff_hi": 0.012, "improved_median": None,
                                      "patients_improving": None}]})
    assert rows[0][2] == "-0.03 mmHg"  # not '-0.0298 mmHg'
    assert rows[0][3] == "-0.0004 to +0.012 mmHg"  # the one formatter keeps small values (fixes11)


def test_cohort_dialog_shows_every_column_and_histogram(qtbot, tmp_path):
    state = TwinState()
    dlg = QDialog()
    qtbot.addWidget(dlg)
    dlg.resize(980, 760)
    view = CohortView(state, dlg)
    QVBoxLayout(dlg).addWidget(view)
    dlg.show()
    qtbot.waitExposed(dlg)
    view.show_outcome(_outcome(tmp_path))
    qtbot.wait(20)
    t = view.table
    h = t.horizontalHeader()
    assert t.horizontalScrollBar().maximum() == 0
    assert sum(h.sectionSize(i) for i in range(t.columnCount())) <= t.viewport().width()
    assert t.item(0, 2).text() == "-0.03 mmHg"
    (label,) = view.plots.findChildren(QLabel)
    assert label.pixmap().width() <= view.plot_scroll.viewport().width()
    assert view.plot_scroll.horizontalScrollBar().maximum() == 0
    state.close()


def test_patient_histograms_count_in_whole_patients(tmp_path):
    pytest.importorskip("matplotlib")
    from twinviewer.cohort import plots

    table = pd.DataFrame({"scenario": ["tavi"] * 3, "MAP:diff_median": [-1.0, 0.5, 2.0],
                          "MAP:improved": [0.2, 0.6, 0.9]})
    meta = {"units": {"MAP:diff_median": "mmHg"}, "spec": {"metrics": ["MAP"]}}
    fig = plots.cohort_figures(table, meta, [])[0]
    ax = fig.axes[0]
    fig.canvas.draw() if hasattr(fig.canvas, "draw") else None
    ticks = ax.get_yticks()
    assert np.allclose(ticks, np.round(ticks))
