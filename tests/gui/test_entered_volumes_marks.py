"""review16 #1, the screens: an entered LVEDV/LVESV that replaces the images' one is the
"measured" EDV/ESV of the PV plot (was: the dotted marks stood at the images' 179/72 mL beside
a table giving LVEDV measured 118), and the Measurements step says that the images' curve
goes with it."""

from __future__ import annotations

from twinviewer.core.measurement import Measurement as M
from twinviewer.gui.measurements_panel import _replaced_text
from twinviewer.gui.plots import PVLoopPanel
from twinviewer.imaging.curves import VolumeCurve

MESH = "biv-me fitted mesh"


def _curve():
    return VolumeCurve("LV", [0, 300, 600], [179.0, 72.0, 120.0], [8.5, 5.1, 6.0], 860.0,
                       MESH)


def test_the_pv_marks_say_the_entered_volumes():
    entered = {"EDV": M("LVEDV", 118, "mL", 8, "CT segmentation"),
               "ESV": M("LVESV", 45, "mL", 5, "CT segmentation")}
    text = PVLoopPanel._measured_text("LV", _curve(), entered)
    assert "118 / 45 mL" in text and "179 / 72 mL" in text
    assert "(LVEDV and LVESV entered, CT segmentation; they replace the images' 179 / 72 mL" in text
    assert PVLoopPanel._measured_text("LV", _curve()).endswith("± 1 SD, 179 / 72 mL")


def test_the_replaced_note_says_the_curve_goes_too():
    image = M("LVEDV", 179, "mL", 8.5, f"{MESH}, 25-phase volume curve")
    text = _replaced_text(image, M("LVEDV", 118, "mL", 8, "CT segmentation"))
    assert text.endswith("a calibration uses the entered value, and leaves the images' LV "
                         "volume curve out (with the volumes computed from it)")
    ef = _replaced_text(M("LVEF", 60, "%", 3, f"{MESH}, 25-phase volume curve"),
                        M("LVEF", 55, "%", 5, "echo"))
    assert ef.endswith("a calibration uses the entered value")
