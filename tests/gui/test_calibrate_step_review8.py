"""Review 8 #3 and #4, through the window's Calibrate and Measurements steps as a user takes
them: a twin with CT-derived measurements and an echo LVEF, calibrated with the button.

#4: the parameter-interval plot was unreadable (labels as axis ticks filled the width, bars a
10-px strip, axis title clipped; empty axes before any calibration).
#3: the Measurements "From" column said "image; used in the last calibration" where the
calibration record (``twinviewer info``, the report, the fit table) said "not used: computed
from …" or "replaced by LVEF … (echo biplane)"; RVSV and LV mass were not listed; a warning
said "LVEF is given more than once; the last value is used".
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings, Qt

from twinviewer.core.anatomy import Anatomy
from twinviewer.core.measurement import Measurement as M
from twinviewer.gui.main_window import MainWindow
from twinviewer.twins import simulate_twin, twin_from_preset

CT = "CT segmentation"
SHOTS = Path("/tmp/fixgui8")


def _twin():
    """The reviewer's j.twin in small: CT volumes from the images, cuff BP, ECG HR and an
    echo LVEF beside the CT one."""
    t = twin_from_preset("healthy", n=8, pseudonym="virtual-8")
    images = [M("LVEDV", 129.0, "mL", 6.5, CT), M("LVESV", 48.0, "mL", 3.7, CT),
              M("LVSV", 81.0, "mL", 7.5, CT), M("LVEF", 62.8, "%", 3.0, CT),
              M("RVSV", 83.0, "mL", 7.8, CT), M("LVmass", 137.0, "g", 10.0, CT)]
    given = [M("HR", 72, "bpm", 2, "ECG"), M("SBP", 130, "mmHg", 7, "cuff"),
             M("DBP", 80, "mmHg", 6, "cuff"), M("LVEF", 58, "%", 5, "echo biplane")]
    return replace(t, measurements=given, anatomy=Anatomy("virtual-8", measurements=images))


@pytest.fixture()
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=qs, load_demo=False)
    qtbot.addWidget(w)
    twin = _twin()
    w.show_twin(twin, results=simulate_twin(twin))
    yield w
    w.state.session.dirty = False  # no prompt on teardown
    w.close()


def _calibrate(w, qtbot):
    """Calibrate step → 32 members → the Calibrate button; wait for the calibrated twin."""
    w.show_step("Calibrate")
    panel = w.panels["Calibration"]
    panel.members.setValue(32)
    qtbot.mouseClick(panel.calibrate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.state.session.calibration is not None and not w.state.jobs,
                    timeout=180_000)
    qtbot.wait(100)
    return panel


def _shown(w, qtbot, size):
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    w._default_sizes()
    qtbot.wait(50)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_interval_plot_is_readable(window, qtbot, size):
    w = window
    _shown(w, qtbot, size)
    w.show_step("Calibrate")
    panel = w.panels["Calibration"]
    qtbot.wait(50)
    # before any calibration: no empty axes, a plain "not computed yet"
    assert not panel.plot.isVisible() and panel.plot_status.isVisible()
    assert "not computed yet" in panel.plot_status.text()
    panel = _calibrate(w, qtbot)
    w.step_pages["Calibrate"].ensureWidgetVisible(panel.plot)
    qtbot.wait(100)
    assert panel.plot.isVisible() and not panel.plot_status.isVisible()
    plot = panel.plot.getPlotItem()
    area = plot.getViewBox().sceneBoundingRect()
    labels = [i for i in plot.items if isinstance(i, pg.TextItem)]
    n = len(panel.result.parameter_intervals())
    assert n >= 3 and len(labels) == n
    # the bars get the plot's width, each parameter a readable row
    assert area.width() >= 0.85 * panel.plot.width() and area.width() >= 250, area.width()
    assert area.height() >= 28 * n, (area.height(), n)
    # no label runs past the plot's edges, none overlaps another
    rects = [t.sceneBoundingRect() for t in labels]
    for t, r in zip(labels, rects, strict=True):
        assert area.adjusted(-1, -1, 1, 1).contains(r), (t.toPlainText(), r, area)
    for a, b in zip(rects, rects[1:], strict=False):
        assert not a.intersects(b.adjusted(0, 1, 0, -1)), (a, b)
    # the axis title fits under the plot
    bottom = plot.getAxis("bottom")
    assert bottom.label.boundingRect().width() <= bottom.width(), bottom.labelText
    assert "(x" not in bottom.labelString()  # no SI-prefix scale on the log10 ratios
    assert len(bottom._tickLevels[0]) >= 3  # ratios to read the bars against
    assert not any("prior median (" in t.toPlainText() for t in labels)
    SHOTS.mkdir(exist_ok=True)
    w.grab().save(str(SHOTS / f"calibrate_{size[0]}.png"))


def test_measurements_step_says_what_the_calibration_record_says(window, qtbot, tmp_path,
                                                                 capsys):
    from twinviewer.gui.measurements_panel import COLUMNS
    from twinviewer.io import audit_log
    from twinviewer.io.cli import run_info
    from twinviewer.io.twinfile import save_twin

    w = window
    _shown(w, qtbot, (1280, 720))
    w.show_step("Measurements")
    panel = w.panels["Measurements"]
    said = panel.messages.text()
    # the calibration takes the entered LVEF instead of the images' one: said so, as such
    assert "given more than once" not in said
    assert "LVEF 63 % (CT segmentation, from the images) is replaced by the entered " \
           "LVEF 58 % (echo biplane)" in said

    _calibrate(w, qtbot)
    w.show_step("Measurements")
    qtbot.wait(50)
    t = panel.table
    col = {c: i for i, c in enumerate(COLUMNS)}
    rows = {(t.item(r, 0).text(), t.item(r, col["Source"]).text()):
            panel.use_text(r) for r in range(t.rowCount())}  # the From text in full
    # every measurement the report lists, RVSV and LV mass included
    assert ("RVSV", CT) in rows and ("LVmass", CT) in rows
    assert rows["LVEF", CT] == "image; replaced by LVEF 58 % (echo biplane)"
    assert rows["LVEF", "echo biplane"] == "entered; used"
    assert rows["LVSV", CT].startswith("image; not used: computed from LVEDV and LVESV")
    assert rows["LVEDV", CT] == "image; used"
    assert rows["HR", "ECG"] == "entered; used: set the parameter directly"
    # the same words as `twinviewer info` on the saved twin
    path = save_twin(tmp_path / "j.twin", w.state.twin)
    assert audit_log(w.state.twin).entries[-1].action == "calibration"
    assert run_info(path) == 0
    info = capsys.readouterr().out
    for (name, source), text in rows.items():
        use = text.split("; ", 1)[1]
        assert any(line.strip().startswith(name) and f"({source}, " in line
                   and line.rstrip().endswith(use) for line in info.splitlines()), \
            (name, source, use)
    # and the fit table's note for the measurement left out
    fit = w.panels["Calibration"].fit_table
    notes = {fit.item(r, 0).text(): fit.item(r, 5).text() for r in range(fit.rowCount())}
    sv_note = next(v for k, v in notes.items() if "stroke volume" in k.lower())
    assert "computed from LVEDV and LVESV" in sv_note
    SHOTS.mkdir(exist_ok=True)
    w.grab().save(str(SHOTS / "measurements_1280.png"))
