"""docs/screenshots/segment_step.png: the Segment step on the CT phantom, after seeds → preview.

    xvfb-run -a -s "-screen 0 1920x1200x24" /work/main/.venv/bin/python notes/segui_screenshot.py
"""

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from scipy import ndimage

from twinviewer.core.anatomy import Anatomy, ImageVolume
from twinviewer.gui.app import grab_window
from twinviewer.gui.main_window import MainWindow
from twinviewer.imaging.phantom import LABEL_VALUES, ct_hounsfield, grid_affine, make_labels
from twinviewer.twins import twin_from_preset

SHAPE, SPACING = (90, 160, 160), (1.8, 1.0, 1.0)
out = sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots/segment_step.png"
app = QApplication.instance() or QApplication([])
truth = make_labels(SHAPE, SPACING, "ED")
img = ImageVolume(ct_hounsfield(truth, SPACING, rng=np.random.default_rng(0)),
                  grid_affine(SHAPE, SPACING), SPACING, modality="CT")
with tempfile.TemporaryDirectory() as tmp:
    w = MainWindow(settings=QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat),
                   load_demo=False)
    w.resize(1600, 1000)
    w.show()
    w.state.session.open_twin(twin_from_preset("healthy", n=8,
                                               anatomy=Anatomy("phantom", image=img)))
    w.show_step("Segment")
    panel = w.panels["Segmentation editor"]
    for key in ("lv_blood", "rv_blood", "la", "ra", "aorta", "pulmonary_artery"):
        d = ndimage.distance_transform_edt(truth == LABEL_VALUES[key], sampling=SPACING)
        panel.add_seed(key, np.unravel_index(int(np.argmax(d)), d.shape))
    lv = panel.seeds["lv_blood"][0]
    w.slices.set_cursor(np.asarray(lv, float))
    panel.run()
    while w.state.jobs:
        app.processEvents()
        time.sleep(0.05)
    panel.set_mode("Brush")
    for _ in range(20):
        app.processEvents()
        time.sleep(0.05)
    w.view3d.plotter.render()
    grab_window(w, out)
    print(panel.status.text())
    w.state.session.dirty = False
    w.close()
