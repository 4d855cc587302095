"""The Segment step's editor on a generated contrast CT phantom with known volumes.

Seeds are placed by clicking on the slice panes (real mouse events through pyqtgraph's
scene), the segmentation runs as a background job, the preview is drawn on the slices and in
3D, a brush stroke corrects it, and Accept puts meshes whose volumes match the phantom's
(voxel-exact truth, not produced by the segmentation) within 5 % into the twin.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from scipy import ndimage

from twinviewer.core.anatomy import Anatomy, ImageVolume
from twinviewer.gui.segment_panel import SegmentPanel, label_outline_rgba
from twinviewer.gui.slice_view import SliceView
from twinviewer.gui.state import TwinState
from twinviewer.imaging.cine_phantom import CineHeart
from twinviewer.imaging.coverage import BASE_INSIDE
from twinviewer.imaging.measure import structure_volumes
from twinviewer.imaging.partial_volume import with_partial_volumes
from twinviewer.imaging.phantom import (
    LABEL_VALUES,
    ct_hounsfield,
    grid_affine,
    make_labels,
    volumes_ml,
)
from twinviewer.twins import twin_from_preset

from .conftest import wait_jobs

SHAPE, SPACING = (90, 160, 160), (1.8, 1.0, 1.0)
POOLS = ("lv_blood", "rv_blood", "la", "ra", "aorta", "pulmonary_artery")
RIGHT_THIN_WALLED = ("rv_blood", "pulmonary_artery")


@pytest.fixture(scope="module")
def phantom():
    truth = make_labels(SHAPE, SPACING, "ED")
    hu = ct_hounsfield(truth, SPACING, rng=np.random.default_rng(0))
    return ImageVolume(hu, grid_affine(SHAPE, SPACING), SPACING, modality="CT"), truth


def deepest(truth: np.ndarray, key: str) -> tuple[int, int, int]:
    """Where a user clicks: the pool's deepest point."""
    d = ndimage.distance_transform_edt(truth == LABEL_VALUES[key], sampling=SPACING)
    return tuple(int(v) for v in np.unravel_index(int(np.argmax(d)), d.shape))


@pytest.fixture()
def editor(qtbot, phantom):
    img, _ = phantom
    twin = twin_from_preset("healthy", n=8, anatomy=Anatomy("phantom", image=img))
    state = TwinState()
    state.session.open_twin(twin)
    slices = SliceView(state)
    panel = SegmentPanel(state, slices=slices)
    for w in (slices, panel):
        qtbot.addWidget(w)
    slices.resize(900, 350)
    slices.show()
    panel.show()
    qtbot.waitExposed(slices)
    yield state, slices, panel
    state.close()


def click_voxel(qtbot, slices: SliceView, kji) -> None:
    """A real left click on the axial pane at voxel ``kji`` (the pane moved to its slice)."""
    pane = slices.panes["axial"]
    pane.slider.setValue(int(kji[0]))
    sp = np.asarray(SPACING)
    scene = pane.box.mapViewToScene(QPointF(kji[2] * sp[2], kji[1] * sp[1]))
    pos = pane.glw.mapFromScene(scene)
    qtbot.mouseClick(pane.glw.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(pos))


def test_outline_overlay_marks_edges():
    lab = np.zeros((6, 6), np.uint8)
    lab[1:5, 1:5] = 2
    rgba = label_outline_rgba(lab, {2: (0.0, 1.0, 0.0)})
    assert rgba[1, 1, 3] == 230 and rgba[2, 2, 3] == 50 and rgba[0, 0, 3] == 0
    assert tuple(rgba[1, 1, :3]) == (0, 255, 0)


def test_seeds_preview_brush_accept(qtbot, editor, phantom):
    state, slices, panel = editor
    _, truth = phantom
    panel.set_mode("Place seeds")
    for n, key in enumerate(POOLS):
        panel.structures.setCurrentRow(n)
        click_voxel(qtbot, slices, deepest(truth, key))
    for key in POOLS:  # each click landed on its voxel (± rounding of the mapping)
        assert len(panel.seeds[key]) == 1, key
        assert np.abs(np.subtract(panel.seeds[key][0], deepest(truth, key))).max() <= 1
        assert truth[panel.seeds[key][0]] == LABEL_VALUES[key]
    assert slices.cursor is not None and panel.labels is None

    panel.run()
    assert panel.job is not None
    wait_jobs(qtbot, state)
    assert panel.labels is not None and set(panel.meshes) >= set(POOLS)
    assert state.twin.anatomy.structures == {}  # nothing in the twin before Accept
    # preview on the slices: the axial pane shows the LV outline on the seed's slice
    k, j, i = panel.seeds["lv_blood"][0]
    rgba = panel._overlay(slices.panes["axial"], k)
    lv_rgb = tuple(int(255 * c) for c in panel._colours[LABEL_VALUES["lv_blood"]])
    assert (np.all(rgba[..., :3] == lv_rgb, axis=-1) & (rgba[..., 3] == 230)).sum() > 50

    # brush: a stroke of LA label in a far corner, then the eraser takes it back off
    panel.set_mode("Brush")
    panel.structures.setCurrentRow(POOLS.index("la"))
    before = panel.labels.copy()
    corner = np.array([k, 5.0, 5.0])
    slices.tool(corner, "drag", slices.panes["axial"])
    slices.tool(corner, "end", slices.panes["axial"])
    assert (panel.labels != before).sum() > 10 and panel.edits == 1
    panel.set_mode("Eraser")
    slices.tool(corner, "drag", slices.panes["axial"])
    slices.tool(corner, "end", slices.panes["axial"])
    assert (panel.labels[before == 0] == 0).all() and panel.edits == 2
    panel.undo()  # the eraser stroke taken back: the LA blob is there again
    assert (panel.labels != before).sum() > 10 and panel.edits == 1
    panel.undo()
    assert (panel.labels == before).all() and not panel.b_undo.isEnabled()
    panel.set_mode("Brush")
    slices.tool(corner, "click", slices.panes["axial"])  # a click is a one-point stroke
    assert (panel.labels != before).sum() > 10 and panel.edits == 1
    slices.tool(np.array([k, 2.0, 2.0]), "drag", slices.panes["axial"])
    slices.tool(np.array([k, -50.0, 2.0]), "end", slices.panes["axial"])  # ends off-image
    assert panel.edits == 2 and not panel._stroke
    panel.undo()
    panel.undo()
    assert (panel.labels == before).all()

    audit_before = len(state.twin.audit)
    panel.accept()
    wait_jobs(qtbot, state)
    anatomy = state.twin.anatomy
    true_ml = volumes_ml(truth, SPACING)
    for key in POOLS:
        mesh_ml = anatomy.structures[key].meshes[0].volume_ml()
        vox = anatomy.structures[key].volumes[0]
        print(f"{key}: mesh {mesh_ml:.1f} mL, voxels {vox.value:.1f} ± {vox.uncertainty:.1f} "
              f"mL, truth {true_ml[key]:.1f} mL ({100 * (mesh_ml / true_ml[key] - 1):+.1f} %)")
        # the measured volumes (label voxels) of every pool are within the 5 % bar
        assert vox.value == pytest.approx(true_ml[key], rel=0.05), key
        # meshes: within 5 % except the thin-walled right-heart pools, where segmentation
        # (-4 %) and surface smoothing of a thin tube (-1 to -4 %) add up (docs/notes/segui.md)
        tol = 0.09 if key in RIGHT_THIN_WALLED else 0.05
        assert mesh_ml == pytest.approx(true_ml[key], rel=tol), key
        assert vox.unit == "mL" and vox.uncertainty > 0
    assert 0 in anatomy.labels and "lv_myocardium" in anatomy.structures
    assert len(state.twin.audit) == audit_before + 1
    assert state.session.dirty
    assert panel.labels is None and slices.overlay is None


def test_missing_seed_is_named_and_nothing_is_lost(qtbot, editor, phantom):
    state, slices, panel = editor
    _, truth = phantom
    messages = []
    state.message.connect(lambda level, text: messages.append((level, text)))
    panel.add_seed("lv_blood", deepest(truth, "lv_blood"))
    twin = state.twin
    panel.run()
    assert panel.job is None and not state.jobs
    assert messages and messages[-1][0] == "error"
    assert "no seed for RV blood pool" in messages[-1][1]
    assert panel.seeds["lv_blood"] and state.twin is twin  # seeds and twin kept


def test_in_the_main_window_preview_cancel_discard(qtbot, make_twin_window, phantom):
    """Registered in the Segment step, wired to the window's slices and 3D view; the 3D
    preview shows structure colours and Discard gives back the twin's anatomy untouched."""
    img, truth = phantom
    w = make_twin_window(load_demo=False)
    twin = twin_from_preset("healthy", n=8, anatomy=Anatomy("phantom", image=img))
    w.state.session.open_twin(twin)
    w.show_step("Segment")
    panel = w.panels["Segmentation editor"]
    assert panel.slices is w.slices and panel.view3d is w.view3d
    for n in range(panel.structures.count()):
        key = panel.structures.item(n).data(Qt.ItemDataRole.UserRole)
        if key not in ("lv_blood", "aorta"):
            panel.structures.item(n).setCheckState(Qt.CheckState.Unchecked)
    for key in ("lv_blood", "aorta"):
        panel.add_seed(key, deepest(truth, key))

    panel.run()  # cancelled: the result is dropped, nothing changes
    panel.cancel()
    wait_jobs(qtbot, w.state)
    assert panel.labels is None and panel.job is None and panel.b_run.isEnabled()

    overlay = w.view3d.overlay
    panel.run()
    wait_jobs(qtbot, w.state)
    assert set(w.view3d.anatomy.structures) == {"lv_blood", "aorta", "lv_myocardium"}
    assert w.view3d.overlay == "none" and w.state.twin is twin
    panel.discard()
    assert w.view3d.anatomy is twin.anatomy and w.view3d.overlay == overlay
    assert w.state.twin is twin and not twin.anatomy.structures and panel.seeds["aorta"]


def test_seed_outside_contrast_is_refused_with_its_value(qtbot, editor, phantom):
    state, slices, panel = editor
    _, truth = phantom
    for n in range(1, panel.structures.count()):
        panel.structures.item(n).setCheckState(Qt.CheckState.Unchecked)
    panel.add_seed("lv_blood", (2, 2, 2))  # air outside the body
    panel.run()
    wait_jobs(qtbot, state)
    assert "not in contrast-filled blood" in panel.status.text()
    assert panel.labels is None and panel.seeds["lv_blood"] == [(2, 2, 2)]
    assert not state.twin.anatomy.structures and panel.b_run.isEnabled()


@pytest.fixture(scope="module")
def cine():
    from twinviewer.imaging.cine_phantom import sa_stack

    return sa_stack(n_phases=5)  # noise, coil field, partial volume, trabeculation texture


def cine_editor(qtbot, img):
    """A twin on cine image ``img``, its slice view and the segmentation editor."""
    state = TwinState()
    state.session.open_twin(twin_from_preset("healthy", n=8,
                                             anatomy=Anatomy("phantom", image=img)))
    slices = SliceView(state)
    panel = SegmentPanel(state, slices=slices)
    qtbot.addWidget(slices)
    qtbot.addWidget(panel)
    return state, slices, panel


def test_cine_mr_proposed_seeds_all_phases_accept(qtbot, cine):
    """Cine MR stack: proposed seeds → every phase segmented → accepted with EDV/ESV."""
    img, truth = cine
    state, slices, panel = cine_editor(qtbot, img)
    assert panel.is_cine and panel.b_propose.isEnabled()
    hidden = {panel.structures.item(n).data(Qt.ItemDataRole.UserRole)
              for n in range(panel.structures.count()) if panel.structures.item(n).isHidden()}
    assert hidden == {"la", "ra", "aorta", "pulmonary_artery"}
    panel.propose()
    (k, j, i), = panel.seeds["lv_blood"]
    assert truth[img.ed_index, k, j, i] == LABEL_VALUES["lv_blood"]
    assert truth[img.ed_index, *panel.seeds["rv_blood"][0]] == LABEL_VALUES["rv_blood"]
    # a seed clicked on a later phase becomes a correction from that phase on
    panel.seeds["lv_blood"].append((k, j, i))
    panel.seed_phase["lv_blood"].append(3)
    first, corrections = panel._cine_seeds(["lv_blood", "rv_blood"])
    assert first.phase == img.ed_index and set(corrections) == {3}
    assert corrections[3].rv is None
    panel.seeds["lv_blood"].pop()
    panel.seed_phase["lv_blood"].pop()

    # slices chosen by the user: nothing labelled outside them
    panel.basal.setValue(k)        # 1-based: slices k-1 .. k+1 (0-based)
    panel.apical.setValue(k + 2)
    panel.run()
    wait_jobs(qtbot, state)
    lab = panel.maps[img.ed_index]
    assert lab[k - 1:k + 2].any() and not lab[:k - 1].any() and not lab[k + 2:].any()
    panel.apical.setValue(0)  # only one end given: refused by name, preview kept
    messages = []
    state.message.connect(lambda level, text: messages.append(text))
    panel.run()
    assert "basal and the apical" in messages[-1] and panel.maps
    panel.basal.setValue(0)

    panel.run()
    wait_jobs(qtbot, state)
    assert sorted(panel.maps) == list(range(img.n_phases)) and panel.meshes
    panel.accept()
    wait_jobs(qtbot, state)
    anatomy = state.twin.anatomy
    voxel_ml = float(np.prod(img.spacing)) / 1000
    h = CineHeart()
    for key in ("lv_blood", "rv_blood"):
        s = anatomy.structures[key]
        assert sorted(s.meshes) == list(range(img.n_phases))
        for p in (img.ed_index, img.es_index):
            t = p / img.n_phases
            exact = h.lv_volume_ml(t) if key == "lv_blood" else h.volumes_on_grid(t, 1.5)[3]
            true_ml = float((truth[p] == LABEL_VALUES[key]).sum()) * voxel_ml
            # the pool inside the stack as measured (LV border by partial voxels) against
            # the slab-majority truth; the accepted volume against the phantom's own: the
            # stack's first slab reaches 2 mm beyond the base, and Accept cuts it at the
            # plane its signal gives instead of adding a gap beyond it (phantom10: it was
            # LV +6.5 to +7.7 %, RV +8 %)
            lab = anatomy.labels[p]
            raw = structure_volumes(lab, img.spacing, LABEL_VALUES, "MR segmentation")
            in_stack = with_partial_volumes({p: raw}, img, {p: lab})[p][key].value
            print(f"{key} phase {p}: in the stack {in_stack:.1f} mL, accepted "
                  f"{s.volumes[p].value:.1f} mL, mesh {s.meshes[p].volume_ml():.1f} mL, truth "
                  f"{true_ml:.1f} mL, exact {exact:.1f} mL")
            assert in_stack == pytest.approx(true_ml, rel=0.05), (key, p)
            assert s.volumes[p].value == pytest.approx(exact, rel=0.05), (key, p)
            assert BASE_INSIDE in s.volumes[p].source, s.volumes[p].source
    edv = anatomy.measurement("LVEDV")
    assert edv.unit == "mL" and edv.uncertainty > 0 and edv.source.startswith("MR segm")
    state.close()


def test_left_drag_paints_instead_of_panning(qtbot):
    """The slice view's drag hook: with an edit tool a left-drag reaches it as voxel indices
    of the pane's slice; without one, the view pans as before."""
    from twinviewer.gui.slice_view import SlicePane

    pane = SlicePane("axial")
    qtbot.addWidget(pane)
    pane.spacing = np.array([2.0, 1.0, 1.0])
    pane.slider.setRange(0, 9)
    pane.slider.setValue(4)
    got = []
    pane.dragged.connect(lambda kji, end: got.append((kji, end)))

    class Drag:  # the parts of pyqtgraph's MouseDragEvent the hook reads
        def __init__(self, finish):
            self.finish, self.accepted = finish, False

        def button(self):
            return Qt.MouseButton.LeftButton

        def pos(self):
            return pane.box.mapFromView(QPointF(7.0, 3.0))

        def isFinish(self):  # noqa: N802 - pyqtgraph naming
            return self.finish

        def accept(self):
            self.accepted = True

    pane.set_drag_tool(True)
    ev = Drag(True)
    pane.box.mouseDragEvent(ev)
    assert ev.accepted and len(got) == 1 and got[0][1] is True
    assert np.allclose(got[0][0], [4, 3, 7], atol=1e-6)
    pane.set_drag_tool(False)
    assert pane.box.drag_hook is None


def test_another_image_drops_seeds_and_preview_not_the_twin(qtbot, editor, phantom):
    state, slices, panel = editor
    img, truth = phantom
    panel.add_seed("lv_blood", deepest(truth, "lv_blood"))
    panel.paint(np.array([40, 80, 80]), 0)
    assert panel.maps and panel.seeds["lv_blood"]
    other = ImageVolume(img.array.copy(), img.affine, img.spacing, modality="CT")
    state.session.open_twin(twin_from_preset("healthy", n=8,
                                             anatomy=Anatomy("other", image=other)))
    assert not panel.maps and not any(panel.seeds.values()) and slices.overlay is None


def test_ct_proposed_seeds_are_drawn_apart_moved_and_accepted(qtbot, editor, phantom):
    """Propose seeds on the CT → drawn as ✕ and marked '(proposed)'; Segment waits for
    acceptance; a click moves one; Accept proposed seeds → segment → volumes within 5 %."""
    state, slices, panel = editor
    _, truth = phantom
    messages = []
    state.message.connect(lambda level, text: messages.append((level, text)))
    assert panel.b_propose.isEnabled() and not panel.b_accept_seeds.isEnabled()
    qtbot.mouseClick(panel.b_propose, Qt.MouseButton.LeftButton)
    assert set(panel.proposed) == set(POOLS)
    for key in POOLS:  # each proposal lies in its own structure (phantom truth)
        assert truth[panel.seeds[key][0]] == LABEL_VALUES[key], key
    assert "(proposed)" in panel.structures.item(0).text()
    # drawn as a diagonal cross: the pixel one step along the diagonal is coloured,
    # the one straight beside the centre is not
    k, j, i = panel.seeds["lv_blood"][0]
    rgba = panel._overlay(slices.panes["axial"], k)
    pane = slices.panes["axial"]
    u, v = (j, i) if (pane.h, pane.v) == (1, 2) else (i, j)
    assert rgba[u + 2, v + 2, 3] == 255 and rgba[u + 2, v, 3] == 0
    # Segment is refused while proposals are pending; nothing starts, nothing is lost
    panel.run()
    assert panel.job is None and messages[-1][0] == "error"
    assert "not yet accepted" in messages[-1][1]
    # a click inside the RV moves its proposal (and makes that one the user's)
    panel.set_mode("Place seeds")
    panel.structures.setCurrentRow(POOLS.index("rv_blood"))
    click_voxel(qtbot, slices, deepest(truth, "rv_blood"))
    assert len(panel.seeds["rv_blood"]) == 1 and "rv_blood" not in panel.proposed
    assert np.abs(np.subtract(panel.seeds["rv_blood"][0], deepest(truth, "rv_blood"))).max() <= 1
    qtbot.mouseClick(panel.b_accept_seeds, Qt.MouseButton.LeftButton)
    assert not any(panel.proposed.values()) and "(proposed)" not in panel.structures.item(0).text()
    panel.run()
    wait_jobs(qtbot, state)
    true_ml = volumes_ml(truth, SPACING)
    for key in POOLS:
        n = (panel.labels == LABEL_VALUES[key]).sum() * np.prod(SPACING) / 1000.0
        assert n == pytest.approx(true_ml[key], rel=0.05), key


def test_cine_correction_keeps_the_coverage_step(qtbot):
    """A cine stack short of apex and base (six 12 mm slices 12–72 mm, LV 95 mm long),
    segmented and corrected with the eraser: Accept measures as import does — the pool and
    LV wall beyond the stack added, SD widened, provenance and notes saying so — and the
    90 % intervals of LVEDV / LVESV hold the phantom's exact volumes."""
    from twinviewer.imaging.cine_phantom import sa_stack
    from twinviewer.imaging.coverage import EXTRAPOLATED, MYO_EXTRAPOLATED

    n = 3
    img, _ = sa_stack(n_phases=n, positions_mm=(12, 24, 36, 48, 60, 72), rows=96, cols=96,
                      pixel_mm=2.0)
    state, slices, panel = cine_editor(qtbot, img)
    panel.propose()
    panel.run()
    wait_jobs(qtbot, state)
    ed, es = img.ed_index, img.es_index
    (k, j, i), = panel.seeds["lv_blood"]
    assert panel.shown_phase == ed
    before = int((panel.maps[ed] == LABEL_VALUES["lv_blood"]).sum())
    panel.radius.setValue(4.0)
    panel.set_mode("Eraser")
    panel._tool(np.array([k, j, i]), "click", slices.panes["axial"])  # one eraser dab
    assert panel.edits == 1
    assert 0 < int((panel.maps[ed] == LABEL_VALUES["lv_blood"]).sum()) < before
    panel.accept()
    wait_jobs(qtbot, state)
    a = state.twin.anatomy
    raw = structure_volumes(a.labels[ed], img.spacing, {"lv_blood": 1})["lv_blood"]
    lv = a.structures["lv_blood"].volumes
    assert lv[ed].value > raw.value + 5.0 and lv[ed].uncertainty > raw.uncertainty
    assert all(EXTRAPOLATED in v.source and "corrected in the editor" in v.source
               for v in lv.values())
    assert MYO_EXTRAPOLATED in a.measurement("LVmass").source
    assert a.notes[0].startswith(("LV base not covered", "LV apex not covered"))
    assert sum(t.startswith("LV base not covered") for t in a.notes) == 1
    assert any(t.startswith("LV myocardium beyond the stack at the apex") for t in a.notes)
    h = CineHeart()
    for name, p in (("LVEDV", ed), ("LVESV", es)):
        m, truth = a.measurement(name), h.lv_volume_ml(p / n)
        assert abs(m.value - truth) <= 1.645 * m.uncertainty, (m, truth)  # 90 % interval
    state.close()


def test_cine_stroke_is_carried_to_every_phase_undone_and_audited(qtbot, cine, tmp_path):
    """An eraser dab in the LV pool on one cine phase is carried to the other phases (no
    notch in the LV volume curve), said so in the status line, taken back on every phase
    by one undo, kept local with 'This phase only' (remembered in the settings), and
    recorded stroke by stroke in the audit, which survives save and reopen."""
    from PySide6.QtCore import QSettings

    from twinviewer.io.twinfile import load_twin, save_twin

    img, _truth = cine
    state, slices, panel = cine_editor(qtbot, img)
    panel.propose()
    panel.run()
    wait_jobs(qtbot, state)
    n = img.array.shape[0]
    assert sorted(panel.maps) == list(range(n))
    lv = LABEL_VALUES["lv_blood"]
    (k, j, i), = panel.seeds["lv_blood"]
    slices.phase = 2
    assert panel.shown_phase == 2
    seg = {p: m.copy() for p, m in panel.maps.items()}
    panel.radius.setValue(6.0)
    panel.set_mode("Eraser")
    panel._tool(np.array([k, j, i]), "click", slices.panes["axial"])
    # no notch in the curve: every phase loses about the share of its pool on that slice
    # that phase 2 lost (the pool is larger in diastole, so is the carried dab)
    lost = {p: float(((seg[p][k] == lv) & (panel.maps[p][k] != lv)).sum()
                     / (seg[p][k] == lv).sum()) for p in range(n)}
    assert lost[2] > 0.05 and all(0.6 < lost[p] / lost[2] < 1.6 for p in range(n)), lost
    assert "carried to phases 0–1, 3–4" in panel.status.text()
    assert panel.corrections[-1]["phase"] == 2 and len(panel.corrections[-1]["propagated"]) == 4
    panel.undo()  # one undo takes the stroke back on every phase
    assert all((panel.maps[p] == seg[p]).all() for p in range(n)) and not panel.corrections

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    panel.settings = settings
    panel.phase_only.setChecked(True)
    panel._tool(np.array([k, j, i]), "click", slices.panes["axial"])
    assert all((panel.maps[p] == seg[p]).all() for p in range(n) if p != 2)
    assert "this phase only" in panel.status.text()
    again = SegmentPanel(state, slices=slices, settings=settings)
    qtbot.addWidget(again)
    assert again.phase_only.isChecked()
    panel.undo()
    panel.phase_only.setChecked(False)
    panel._tool(np.array([k, j, i]), "click", slices.panes["axial"])

    panel.accept()
    wait_jobs(qtbot, state)
    rec = state.twin.audit[-1].details
    assert rec["corrections"] == 1 and rec["strokes"][0]["tool"] == "eraser"
    assert rec["strokes"][0]["propagated"].keys() == {"0", "1", "3", "4"}
    path = save_twin(tmp_path / "c.twin", state.twin, keep_identifiers=True)
    back = load_twin(path).audit.entries[-1].details
    assert back["strokes"] == rec["strokes"]
    state.close()


def test_gated_ct_one_accept_gives_ed_and_es(qtbot):
    """A gated CT (ED and ES) without a segmentation: seeds on ED, one Segment → Accept
    segments both phases, says so, and gives LVEDV, LVESV, LVSV and LVEF within 5 % of the
    label volumes the image was made from (the demo study's own SEG)."""
    ed, es = make_labels(SHAPE, SPACING, "ED"), make_labels(SHAPE, SPACING, "ES")
    rng = np.random.default_rng(1)
    hu = np.stack([ct_hounsfield(t, SPACING, rng=rng) for t in (ed, es)])
    img = ImageVolume(hu, grid_affine(SHAPE, SPACING), SPACING, [0.0, 344.0], 0, 1, "CT")
    state = TwinState()
    state.session.open_twin(twin_from_preset("healthy", n=8,
                                             anatomy=Anatomy("phantom", image=img)))
    slices = SliceView(state)
    panel = SegmentPanel(state, slices=slices)
    for w in (slices, panel):
        qtbot.addWidget(w)
    assert panel.shown_phase == 0
    panel.propose()
    panel.accept_proposals()
    panel.run()
    wait_jobs(qtbot, state)
    assert sorted(panel.maps) == [0, 1], panel.status.text()
    assert "2 phase(s) (0–1)" in panel.status.text()
    panel.accept()
    wait_jobs(qtbot, state)
    assert "(0–1)" in panel.status.text()
    a = state.twin.anatomy
    truth = {p: volumes_ml(t, SPACING)["lv_blood"] for p, t in ((0, ed), (1, es))}
    for name, want in (("LVEDV", truth[0]), ("LVESV", truth[1]),
                       ("LVSV", truth[0] - truth[1]),
                       ("LVEF", 100.0 * (truth[0] - truth[1]) / truth[0])):
        got = a.measurement(name).value
        assert abs(got - want) <= 0.05 * want, (name, got, want)
    state.close()


def test_accept_without_edits_keeps_sources_and_values_with_an_end_slice_missing():
    """final14 #6: on a stack whose basal series was left out (missing_slabs (1, 0)), each
    Accept re-measured the phases not relabelled from their stored source and appended the
    'one end slice missing' suffix again, so the source grew with every Accept. Accepting
    twice without an edit leaves every volume's source and value as imported."""
    from twinviewer.core.anatomy import Structure
    from twinviewer.gui.segment_panel import _raw_source, accepted_anatomy
    from twinviewer.imaging.cine_phantom import sa_stack
    from twinviewer.imaging.coverage import (
        END_MISSING,
        EXTRAPOLATED,
        complete_volumes,
        is_cine_stack,
    )
    from twinviewer.imaging.segmentation import LABEL_VALUES, display

    full, lab = sa_stack(n_phases=4, positions_mm=tuple(np.arange(2.0, 75.0, 8.0)), rows=48,
                         cols=48, pixel_mm=3.0)
    img = ImageVolume(full.array[:, 1:], full.affine, full.spacing, full.phase_times_ms,
                      full.ed_index, full.es_index, "MR", "stack without its basal slice",
                      full.slice_thickness_mm, missing_slabs=(1, 0))
    assert is_cine_stack(img)
    labels = {p: lab[p, 1:] for p in range(lab.shape[0])}
    raw = {p: structure_volumes(v, img.spacing, LABEL_VALUES, "MR segmentation")
           for p, v in labels.items()}
    volumes, _ = complete_volumes(raw, labels, img.spacing, LABEL_VALUES, image=img)
    structures = {}
    for p, vols in volumes.items():
        for key, m in vols.items():
            name, colour = display(key)
            structures.setdefault(key, Structure(key, name, colour)).volumes[p] = m
    imported = Anatomy("TW-0123456789", structures, img, labels, dict(LABEL_VALUES))
    src = imported.structures["lv_blood"].volumes[0].source
    assert src.endswith(END_MISSING) and EXTRAPOLATED in src  # the case of the finding
    assert _raw_source(imported, 0, "x") == "MR segmentation"
    again = accepted_anatomy(accepted_anatomy(imported, {}, {}, []), {}, {}, [])
    for key, s in imported.structures.items():
        for p, m in s.volumes.items():
            got = again.structures[key].volumes[p]
            assert got.source == m.source, (key, p)
            assert got.value == pytest.approx(m.value) and \
                got.uncertainty == pytest.approx(m.uncertainty), (key, p)
