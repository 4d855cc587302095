"""docs/notes/imaging_proposed_seeds.png: the Segment step on the CT phantom right after
'Propose seeds' (six proposals drawn as ✕, listed as '(proposed)').

    xvfb-run -a -s "-screen 0 1920x1200x24" python docs/notes/imaging_proposed_seeds_shot.py
"""

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from twinviewer.core.anatomy import Anatomy, ImageVolume
from twinviewer.gui.app import grab_window
from twinviewer.gui.main_window import MainWindow
from twinviewer.imaging.phantom import ct_hounsfield, grid_affine, make_labels
from twinviewer.twins import twin_from_preset

SHAPE, SPACING = (90, 160, 160), (1.8, 1.0, 1.0)
out = sys.argv[1] if len(sys.argv) > 1 else "docs/notes/imaging_proposed_seeds.png"
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
    panel.propose()
    w.slices.set_cursor(np.asarray(panel.seeds["lv_blood"][0], float))
    for _ in range(20):
        app.processEvents()
        time.sleep(0.05)
    grab_window(w, out)
    print(panel.status.text())
    w.state.session.dirty = False
    w.close()
