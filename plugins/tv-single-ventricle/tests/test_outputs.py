"""The plugin's overlay, writer and sample meet their contracts (twinviewer.testing)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from tv_single_ventricle.outputs import WALL_MOTION, make_sample, write_pv_loop_csv

from twinviewer.testing import (  # noqa: F401 (fixtures, as a plugin author uses them)
    assert_overlay,
    assert_sample,
    assert_writer,
    plugin_config,
    plugin_registry,
    sphere_contexts,
)

IDENTIFYING = ("Doe^Jane", "PAT-12345", "St Elsewhere")


def test_wall_motion_overlay():
    """One finite value (mm) per point; a sphere contracted by 20 % moved 0.2 × its radius
    everywhere; a surface without end-diastolic positions is not coloured."""
    assert_overlay(WALL_MOTION)
    rest, moved, still = sphere_contexts(radius_mm=30.0)
    assert np.allclose(WALL_MOTION.values(rest), 0.0)
    assert np.allclose(WALL_MOTION.values(moved), 6.0)
    assert WALL_MOTION.values(still) is None
    assert WALL_MOTION.label == "Wall motion from end-diastole (mm)"


@pytest.mark.slow
def test_pv_loop_writer(plugin_registry, tmp_path):  # noqa: F811
    """The CSV holds the ensemble's PV loop with its 90 % interval and nothing identifying
    planted in the twin (a measurement's source); its end-diastolic volume is the LVEDV the
    simulation reports."""
    from dataclasses import replace

    from twinviewer.core.measurement import Measurement
    from twinviewer.io.twinfile import load_twin, save_twin
    from twinviewer.twins import simulate_twin

    plugin_registry()
    twin = make_sample()
    twin = replace(twin, ensemble=twin.ensemble[:12], measurements=[
        Measurement("SBP", 118.0, "mmHg", 6.0, "Doe^Jane PAT-12345, St Elsewhere clinic")])
    save_twin(tmp_path / "t.twin", twin)
    doc = load_twin(tmp_path / "t.twin")
    out = tmp_path / "loop.csv"
    assert_writer(write_pv_loop_csv, doc, out, IDENTIFYING + (twin.pseudonym,))
    lines = out.read_text().splitlines()
    assert lines[0].startswith("# predicted LV pressure-volume loop, model single_ventricle")
    rows = list(csv.DictReader(lines[1:]))
    v = np.array([[float(r[f"V_LV_p{q}_mL"]) for q in (5, 50, 95)] for r in rows])
    p = np.array([[float(r[f"p_LV_p{q}_mmHg"]) for q in (5, 50, 95)] for r in rows])
    assert np.all(v[:, 0] <= v[:, 1]) and np.all(v[:, 1] <= v[:, 2])
    assert np.all(p[:, 0] <= p[:, 1]) and np.all(p[:, 1] <= p[:, 2])
    lvedv = simulate_twin(doc.twin).summary("LVEDV")[0]
    assert v[:, 1].max() == pytest.approx(lvedv, rel=0.03)


@pytest.mark.slow
def test_sample_opens(plugin_registry, tmp_path):  # noqa: F811
    plugin_registry()
    assert_sample(make_sample, tmp_path)
    assert make_sample().model_name == "single_ventricle"
