"""The virtual hearts' anatomy cache (Qt-free): built once, then read back from disk with the
same meshes; keyed by heart and base; bad files rebuilt."""

from __future__ import annotations

import numpy as np
import pytest

from twinviewer.core.anatomy import Anatomy, Structure
from twinviewer.gui import heart_anatomy as ha
from twinviewer.imaging.disease_anatomy import shell_mesh, sphere_mesh
from twinviewer.physiology import simulate
from twinviewer.teaching.hearts import heart


def _base() -> Anatomy:
    # a small two-phase base with the standard keys (a real heart costs seconds)
    a = Anatomy("virtual-heart", rr_ms=800.0)
    for key, r, dx in (("lv_blood", 30.0, 0.0), ("rv_blood", 25.0, 70.0),
                       ("la", 18.0, 0.0), ("ra", 18.0, 70.0)):
        s = Structure(key, key, (1.0, 0.0, 0.0))
        for p, f in ((0, 1.0), (1, 0.8)):
            m = sphere_mesh(r * f, 12)
            m.points = m.points + np.array([dx, 0.0, 60.0 if key in ("la", "ra") else 0.0])
            s.meshes[p] = m
        a.structures[key] = s
    myo = Structure("lv_myocardium", "LV wall", (0.8, 0.2, 0.2))
    myo.meshes = {0: shell_mesh(30.0, 39.0, 12), 1: shell_mesh(24.0, 35.0, 12)}
    a.structures["lv_myocardium"] = myo
    return a


@pytest.mark.slow  # a simulation and two deformations with pushing: ~6 s
def test_built_once_then_read_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(ha, "_MEMORY", {})
    h = heart("severe_as")
    results = simulate(h.model, h.vector()[None, :])
    built = []
    a = ha.heart_anatomy("severe_as", lambda: built.append(1) or results,
                         base=_base, cache=tmp_path, base_tag="test")
    assert built == [1] and a.pseudonym == "virtual-severe_as"
    assert ha.remembered("severe_as") is a
    files = list(tmp_path.glob("heart_anatomy_*.npz"))
    assert len(files) == 1 and files[0] == ha.cache_path("severe_as", tmp_path, "test")
    assert "severe" not in files[0].name  # a file name must not give a hidden heart away
    lv = results.series["V_LV"][0]
    vols = [m.volume_ml() for m in a.structures["lv_blood"].meshes.values()]
    assert max(vols) == pytest.approx(lv.max(), rel=0.02)  # ED = the model's EDV
    assert min(vols) == pytest.approx(lv.min(), rel=0.02)

    monkeypatch.setattr(ha, "_MEMORY", {})  # a new process: read from disk, not built
    b = ha.heart_anatomy("severe_as", lambda: pytest.fail("rebuilt"), base=_base,
                         cache=tmp_path, base_tag="test")
    assert b.pseudonym == "virtual-severe_as"
    for key in a.structures:
        for p, m in a.structures[key].meshes.items():
            np.testing.assert_allclose(b.structures[key].meshes[p].points, m.points)
    # another heart or another base is another file
    assert ha.cache_path("hfref", tmp_path, "test") != files[0]
    assert ha.cache_path("severe_as", tmp_path, "other") != files[0]

    # a damaged file is rebuilt (and said so in the log), not fatal
    files[0].write_bytes(b"not an npz")
    monkeypatch.setattr(ha, "_MEMORY", {})
    built.clear()
    c = ha.heart_anatomy("severe_as", lambda: built.append(1) or results, base=_base,
                         cache=tmp_path, base_tag="test")
    assert built == [1] and c.pseudonym == "virtual-severe_as"


def test_median_curves_leave_failed_members_out():
    from types import SimpleNamespace

    v = np.array([[100.0, 50.0], [120.0, 40.0], [np.nan, np.nan], [140.0, 60.0]])
    r = SimpleNamespace(series={"V_LV": v, "V_RA": v}, ok=np.array([True, True, False, True]))
    out = ha.median_curves(r)
    np.testing.assert_allclose(out["lv_blood"], [120.0, 50.0])
    assert set(out) == {"lv_blood", "ra"}


def test_the_image_is_stored_as_tissue_classes_and_made_again(tmp_path):
    """The cache keeps the synthetic CT as its tissue classes (uint8, compressed) and float32
    points: the image made again on loading is the one rendered when building."""
    from twinviewer.core.measurement import Measurement
    from twinviewer.gui.demo_heart import ct_labels, render_ct

    a = _base()
    a.phase_times_ms = [0.0, 300.0]
    a.structures["lv_blood"].volumes = {p: Measurement("v", m.volume_ml(), "mL", 0.0, "mesh")
                                        for p, m in a.structures["lv_blood"].meshes.items()}
    labels = ct_labels(a)
    img = render_ct(a)
    np.testing.assert_array_equal(render_ct(a, labels=labels).array, img.array)
    assert labels[0].dtype == np.uint8 and set(np.unique(labels[0])) <= {0, 1, 2}
    a.ct_labels = labels
    path = tmp_path / "h.npz"
    ha._save(path, a)
    b = ha._load(path, "severe_as")
    np.testing.assert_array_equal(b.image.array, img.array)
    assert b.pseudonym == "virtual-severe_as" and not b.structures["lv_blood"].volumes
    for key, s in a.structures.items():
        for p, m in s.meshes.items():
            np.testing.assert_allclose(b.structures[key].meshes[p].points, m.points, atol=1e-4)
    assert path.stat().st_size < 0.1 * img.array.nbytes


def test_a_virtual_hearts_volumes_are_never_a_measured_curve():
    """Its own meshes hold the model's volumes (a prediction); the demo heart standing in
    for it holds the demo's. Neither becomes a measured curve or measurement (gui4, teach4
    saw "measured (segmentation)" circles under virtual hearts)."""
    from twinviewer.core.measurement import Measurement
    from twinviewer.gui.demo_heart import DEMO_PSEUDONYM
    from twinviewer.gui.plots import measured_curve
    from twinviewer.imaging.curves import volume_curve

    own = _base()
    for p in (2, 3):  # a curve needs 3 phases
        own.structures["lv_blood"].meshes[p] = own.structures["lv_blood"].meshes[p % 2]
    assert volume_curve(own, "LV") is not None  # meshes alone make a curve ...
    ha._finish(own, None)
    assert own.predicted and volume_curve(own, "LV") is None  # ... not a virtual heart's
    assert Anatomy.from_dict(own.to_dict()).predicted  # saved in a .twin and read back

    demo = _base()
    demo.pseudonym = DEMO_PSEUDONYM
    demo.structures["lv_blood"].volumes = {p: Measurement("lv_blood volume", v, "mL", 3.0,
                                                          "biv-me fitted mesh")
                                           for p, v in enumerate((120.0, 60.0, 90.0))}
    demo.measurements = [Measurement("LVEDV", 120.0, "mL", 3.0, "biv-me fitted mesh")]
    assert measured_curve(demo, "LV") is not None
    shown = ha.initial_anatomy("a-heart-not-in-memory", demo)
    assert shown.predicted and shown.measurements == [] and measured_curve(shown, "LV") is None
    assert shown.structures["lv_blood"].meshes is demo.structures["lv_blood"].meshes
    assert len(demo.structures["lv_blood"].volumes) == 3 and demo.measurements  # untouched
    ha.remember_base(shown)  # a stand-in is never kept as the base
    assert ha.remembered_base() is not shown


def test_a_retuned_heart_is_another_file(tmp_path, monkeypatch):
    """fix15d retuned severe_mr's parameters: its anatomy cached for the old values would
    show the old volumes, so the values are part of the file's key."""
    before = ha.cache_path("severe_mr", tmp_path, "test")
    h = heart("severe_mr")
    monkeypatch.setitem(h.values, "V_total", h.values["V_total"] + 50.0)
    assert ha.cache_path("severe_mr", tmp_path, "test") != before
