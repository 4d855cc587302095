"""The Segment step's editor: seeds on the slices → blood pools → brush/eraser → accept.

For a contrast CT without a segmentation the user ticks the structures to segment, clicks a
seed inside each on any slice pane, and runs the seeded segmentation
(:func:`twinviewer.imaging.ct_seg.segment_ct`: threshold, connected components, seeded
watershed split at valve planes, LV myocardium shell) as a background job. The label map is
previewed as outlines on the slices and as meshes in the 3D view; the brush and eraser
correct it slice by slice. Nothing reaches the document until **Accept**: the label maps
are meshed, their volumes measured as on import (a cine stack's pool and LV wall beyond the
stack added), and the anatomy replaced in one audited edit. **Discard** (or simply not
accepting) leaves the twin as it was.

Examples
--------
>>> panel = SegmentPanel(state, slices=slice_view, view3d=view)  # doctest: +SKIP
>>> panel.add_seed("lv_blood", (40, 60, 70))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from twinviewer.core.anatomy import Anatomy, Structure, SurfaceMesh
from twinviewer.gui.flow_layout import FlowLayout
from twinviewer.gui.state import JobCancelled, TwinState
from twinviewer.imaging.cine_seg import CineSeeds, propose_seeds, segment_cine
from twinviewer.imaging.correction import carried_seeds, propagate_correction
from twinviewer.imaging.coverage import (
    SOURCE_SUFFIXES,
    complete_volumes,
    coverage_notes,
    is_cine_stack,
    is_coverage_note,
)
from twinviewer.imaging.ct_seeds import propose_ct_seeds
from twinviewer.imaging.ct_seg import segment_ct
from twinviewer.imaging.curves import rate_measurements
from twinviewer.imaging.errors import ImagingError
from twinviewer.imaging.measure import clinical_measurements, structure_volumes
from twinviewer.imaging.meshing import label_map_to_meshes
from twinviewer.imaging.partial_volume import PARTIAL_VOXELS
from twinviewer.imaging.segmentation import LABEL_VALUES, display

#: Blood pools a seed can be placed in (the LV myocardium is derived from the LV pool).
POOLS: tuple[str, ...] = ("lv_blood", "rv_blood", "la", "ra", "aorta", "pulmonary_artery")
MODES: tuple[str, ...] = ("Cursor", "Place seeds", "Brush", "Eraser")
SOURCE = "{modality} segmentation (seeded, corrected in the editor)"  # provenance template
PHASE_ONLY_KEY = "segment/phase_only"  # settings key: keep brush/eraser strokes on one phase


def label_outline_rgba(plane: np.ndarray, colours: dict[int, tuple[float, float, float]]
                       ) -> np.ndarray:
    """RGBA overlay of a 2D label plane: faint fill, opaque one-pixel outline per label.

    Examples
    --------
    >>> lab = np.zeros((5, 5), np.uint8); lab[1:4, 1:4] = 1
    >>> rgba = label_outline_rgba(lab, {1: (1.0, 0.0, 0.0)})
    >>> int(rgba[2, 2, 3]), int(rgba[1, 1, 3]), int(rgba[0, 0, 3])   # fill, edge, outside
    (50, 230, 0)
    """
    rgba = np.zeros((*plane.shape, 4), np.uint8)
    edge = np.zeros(plane.shape, bool)
    edge[1:, :] |= plane[1:, :] != plane[:-1, :]
    edge[:-1, :] |= plane[:-1, :] != plane[1:, :]
    edge[:, 1:] |= plane[:, 1:] != plane[:, :-1]
    edge[:, :-1] |= plane[:, :-1] != plane[:, 1:]
    for value, rgb in colours.items():
        m = plane == value
        if not m.any():
            continue
        rgba[m, :3] = [int(255 * c) for c in rgb]
        rgba[m, 3] = np.where(edge[m], 230, 50)
    return rgba


def _raw_source(anatomy: Anatomy, phase: int, default: str) -> str:
    """The source a phase's label volumes were measured with, without a coverage suffix (or
    the partial-voxel one: those phases are counted by their labels again)."""
    for key in LABEL_VALUES:
        s = anatomy.structures.get(key)
        if s is not None and phase in s.volumes and s.volumes[phase].source:
            src = s.volumes[phase].source
            for suffix in (*SOURCE_SUFFIXES, PARTIAL_VOXELS):
                src = src.replace(f", {suffix}", "")
            return src
    return default


def accepted_anatomy(anatomy: Anatomy, labels: dict[int, np.ndarray],
                     meshes: dict[int, dict[str, SurfaceMesh]], notes: list[str],
                     mitral: dict | None = None) -> Anatomy:
    """A copy of ``anatomy`` whose phases in ``labels`` are described by those label maps
    and ``meshes``.

    Label-derived meshes of those phases replace any earlier ones; other phases are kept.
    The volumes of every labelled phase are measured again as on import: for a short-axis
    cine stack the pool and LV wall beyond the stack are added
    (:func:`~twinviewer.imaging.coverage.complete_volumes`, with its notes first), as on
    import (label counts: imaging/study.py). With
    both ED and ES labelled, the clinical volumes (EDV, ESV, SV, EF, LV mass) and the
    peak ejection and filling rates are recomputed. ``mitral`` (phase → the mitral annulus
    plane the cine segmentation found in the long-axis views) measures the LV base as on
    import.
    """
    img = anatomy.image
    source = SOURCE.format(modality=img.modality or "image")
    all_labels = {**(anatomy.labels or {}), **labels}
    volumes = {p: structure_volumes(lab, img.spacing, LABEL_VALUES, source if p in labels
                                    else _raw_source(anatomy, p, f"{img.modality} segmentation"))
               for p, lab in all_labels.items()}
    gaps: dict = {}
    if is_cine_stack(img):
        # as on import: label counts, the basal gap assumed (partial voxels not used yet,
        # imaging/study.py)
        volumes, gaps = complete_volumes(volumes, all_labels, img.spacing, LABEL_VALUES,
                                         image=img, mitral=mitral,
                                         views=[pl.view for pl in anatomy.planes or ()])
    structures: dict[str, Structure] = {}
    for key, s in anatomy.structures.items():
        ours = key in LABEL_VALUES
        kept_m = {p: m for p, m in s.meshes.items() if p not in labels or not ours}
        kept_v = {p: v for p, v in s.volumes.items() if p not in all_labels or not ours}
        if kept_m or kept_v:
            structures[key] = Structure(key, s.name, s.color, kept_m, kept_v)
    for key in LABEL_VALUES:
        for p in sorted(all_labels):
            mesh = meshes.get(p, {}).get(key)
            vol = volumes[p].get(key)
            if mesh is None and vol is None:
                continue
            name, colour = display(key)
            s = structures.setdefault(key, Structure(key, name, colour))
            if mesh is not None:
                s.meshes[p] = mesh
            if vol is not None:
                s.volumes[p] = vol
    new = dataclasses.replace(anatomy, structures=structures, labels=all_labels,
                              label_values=dict(LABEL_VALUES))
    measurements = list(anatomy.measurements)
    ed, es = img.ed_index, img.es_index
    if ed in all_labels and es in all_labels and ed != es:
        fresh = clinical_measurements(volumes, ed, es, source) + rate_measurements(new)
        names = {m.name for m in fresh}
        measurements = [m for m in measurements if m.name not in names] + fresh
    kept = [n for n in anatomy.notes if not is_coverage_note(n)]
    return dataclasses.replace(new, measurements=measurements,
                               notes=[*coverage_notes(gaps, ed), *kept, *notes])


def _ranges(phases: list[int]) -> str:
    """Sorted phase numbers as runs: ``[0, 1, 2, 5]`` → ``'0–2, 5'``.

    Examples
    --------
    >>> _ranges([0, 1, 2, 5, 7, 8])
    '0–2, 5, 7–8'
    """
    runs: list[list[int]] = []
    for p in phases:
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs)


class SegmentPanel(QWidget):
    """Seeds, seeded segmentation, brush/eraser corrections and accept, on the slice views."""

    title = "Segmentation editor"
    step = "Segment"

    def __init__(self, state: TwinState, parent: QWidget | None = None, *,
                 slices=None, view3d=None, settings=None) -> None:
        super().__init__(parent)
        # the window's settings remember "this phase only"; without them it is not stored
        self.settings = settings if settings is not None else getattr(parent, "qsettings", None)
        self.state = state
        self.slices = slices if slices is not None else getattr(parent, "slices", None)
        self.view3d = view3d if view3d is not None else getattr(parent, "view3d", None)
        self.seeds: dict[str, list[tuple[int, int, int]]] = {k: [] for k in POOLS}
        self.seed_phase: dict[str, list[int]] = {k: [] for k in POOLS}  # image phase of each
        self.proposed: dict[str, set[tuple[int, int, int]]] = {}  # proposals not yet accepted
        self.maps: dict[int, np.ndarray] = {}   # phase -> label map: the preview, never the
        self.phase: int | None = None           # document's; phase of the 3D preview meshes
        self.meshes: dict[str, SurfaceMesh] = {}
        self.mitral: dict = {}  # cine: phase → mitral annulus plane the preview was cut at
        self.edits = 0
        # per stroke: phase -> map before it (None: no map), every phase it changed
        self._undo: list[dict[int, np.ndarray | None]] = []
        self.corrections: list[dict] = []  # audit of the strokes kept (one per undo entry)
        self._stroke = False  # a brush/eraser drag is under way
        self.job = None
        self._image = None  # the image the seeds and preview were made on
        self._overlay_before: str | None = None  # the 3D view's colouring before the preview
        self._colours = {LABEL_VALUES[k]: display(k)[1] for k in LABEL_VALUES}

        self.help = QLabel()
        self.help.setWordWrap(True)
        self.structures = QListWidget()
        self.structures.setObjectName("segment_structures")
        for key in POOLS:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.structures.addItem(item)
        self.structures.setCurrentRow(0)
        self.structures.setMaximumHeight(150)
        modes = QGridLayout()
        self.mode_group = QButtonGroup(self)
        for n, name in enumerate(MODES):
            b = QRadioButton(name)
            b.setObjectName(f"mode_{name.split()[-1].lower()}")
            self.mode_group.addButton(b, n)
            modes.addWidget(b, n // 2, n % 2)
        self.mode_group.button(0).setChecked(True)
        self.mode_group.idClicked.connect(lambda _: self._apply_hooks())
        # cine MR: basal and apical slice (1-based; 0 = proposed by the segmentation)
        self.slice_range = QWidget()
        rr = QHBoxLayout(self.slice_range)
        rr.setContentsMargins(0, 0, 0, 0)
        self.basal, self.apical = QSpinBox(), QSpinBox()
        for box, name in ((self.basal, "basal"), (self.apical, "apical")):
            box.setObjectName(f"segment_{name}")
            box.setSpecialValueText("proposed")
            box.setToolTip(f"{name.capitalize()} slice to segment (1 = first of the stack)")
        rr.addWidget(QLabel("Slices: basal"))
        rr.addWidget(self.basal)
        rr.addWidget(QLabel("apical"))
        rr.addWidget(self.apical)
        rr.addStretch(1)
        self.radius = QDoubleSpinBox()
        self.radius.setRange(0.5, 30.0)
        self.radius.setValue(4.0)
        self.radius.setSuffix(" mm")
        self.radius.setToolTip("Brush and eraser radius")
        self.phase_only = QCheckBox("This phase only")
        self.phase_only.setObjectName("segment_phase_only")
        self.phase_only.setToolTip("Keep brush/eraser strokes on the phase on show. Unticked, "
                                   "a stroke is carried to the other phases with the motion "
                                   "between them, where the image looks alike")
        if self.settings is not None:
            self.phase_only.setChecked(str(self.settings.value(PHASE_ONLY_KEY, "false"))
                                       .lower() == "true")
        self.phase_only.toggled.connect(self._remember_phase_only)
        self.b_propose = QPushButton("Propose seeds")
        self.b_propose.setToolTip("Seeds from the image (CT: six blood pools; cine MR: LV and "
                                  "RV), drawn as ✕ until accepted or moved")
        self.b_accept_seeds = QPushButton("Accept proposed seeds")
        self.b_accept_seeds.setToolTip("Take the proposed seeds as they are (or click in a "
                                       "structure to move its seed)")
        self.b_accept_seeds.clicked.connect(self.accept_proposals)
        self.b_clear = QPushButton("Clear seeds")
        self.b_run = QPushButton("Segment")
        self.b_cancel = QPushButton("Cancel")
        self.b_preview = QPushButton("Update 3D preview")
        self.b_undo = QPushButton("Undo stroke")
        self.b_accept = QPushButton("Accept")
        self.b_discard = QPushButton("Discard")
        for b, slot in ((self.b_propose, self.propose), (self.b_clear, self.clear_seeds),
                        (self.b_run, self.run),
                        (self.b_cancel, self.cancel), (self.b_preview, self.update_preview),
                        (self.b_accept, self.accept), (self.b_discard, self.discard),
                        (self.b_undo, self.undo)):
            b.setObjectName(f"segment_{b.text().split()[0].lower()}")
            b.clicked.connect(slot)
        self.status = QLabel("")
        self.status.setWordWrap(True)

        lay = QVBoxLayout(self)
        lay.addWidget(self.help)
        hint = QLabel("Structures (tick to segment; the selected one gets seeds and brush "
                      "strokes)")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        lay.addWidget(self.structures)
        lay.addLayout(modes)
        row = QHBoxLayout()
        row.addWidget(QLabel("Brush radius"))
        row.addWidget(self.radius)
        row.addWidget(self.phase_only)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.slice_range)
        for pair in ((self.b_propose, self.b_accept_seeds, self.b_clear),
                     (self.b_run, self.b_cancel),
                     (self.b_undo, self.b_discard),
                     (self.b_preview, self.b_accept)):
            r = FlowLayout()  # wraps in a narrow step column (1280×720)
            for b in pair:
                r.addWidget(b)
            lay.addLayout(r)
        lay.addWidget(self.status)
        lay.addStretch(1)
        state.twinChanged.connect(self._on_twin)
        state.jobFinished.connect(self._on_job_finished)
        self._on_twin(state.twin)

    # -- state -----------------------------------------------------------------------------
    @property
    def image(self):
        twin = self.state.twin
        return getattr(getattr(twin, "anatomy", None), "image", None)

    @property
    def labels(self) -> np.ndarray | None:
        """The preview label map of the image phase on show (None if it has none)."""
        return self.maps.get(self.shown_phase)

    @property
    def shown_phase(self) -> int:
        img = self.image
        if self.slices is not None and self.slices.image is img:
            return int(self.slices.phase)
        return img.ed_index if img is not None else 0

    @property
    def is_cine(self) -> bool:
        img = self.image
        return img is not None and img.modality.upper() == "MR"

    @property
    def current(self) -> str:
        item = self.structures.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else POOLS[0]

    def _on_twin(self, twin) -> None:
        img = self.image
        if img is None:
            self.help.setText("Open a study with an image to segment it.")
        elif self.is_cine:
            self.help.setText("Cine MR short-axis stack: Propose seeds (or click an LV and an RV "
                              "seed on one phase), Segment: every phase is segmented, seeds "
                              "propagated. A seed on another phase corrects from that phase on. "
                              "A brush/eraser stroke is carried to the other phases with the "
                              "motion (unless 'This phase only'). Accept to keep.")
        elif img.modality.upper() != "CT":
            self.help.setText(f"This editor segments contrast CT and cine MR; the "
                              f"{img.modality or 'image'} on show is neither.")
        else:
            self.help.setText("Tick the structures, choose one, and click a seed inside it on "
                              "any slice (mode 'Place seeds'). Segment, correct with the brush "
                              "and eraser, then Accept. Nothing changes the twin before Accept.")
        if img is not self._image:  # another image: seeds and preview do not belong to it
            self._reset()
            self._image = img
            if self._overlay_before is not None:  # a 3D preview of the old image is on show
                self._end_preview()
            self._apply_hooks()
        for n in range(self.structures.count()):  # cine MR: LV (+ myocardium) and RV only
            item = self.structures.item(n)
            item.setHidden(self.is_cine and item.data(Qt.ItemDataRole.UserRole)
                           not in ("lv_blood", "rv_blood"))
        self.slice_range.setVisible(self.is_cine)
        self.phase_only.setVisible(img is not None and img.array.shape[0] > 1)
        if self.is_cine:
            for box in (self.basal, self.apical):
                box.setRange(0, img.shape[0])
                box.setValue(0)
        self._update_list()
        self._update_buttons()

    def _reset(self) -> None:
        self.seeds = {k: [] for k in POOLS}
        self.seed_phase = {k: [] for k in POOLS}
        self.proposed = {}
        self.maps, self.phase, self.meshes, self.edits = {}, None, {}, 0
        self.mitral = {}
        self._undo, self._stroke, self.corrections = [], False, []

    def _update_list(self) -> None:
        for n in range(self.structures.count()):
            item = self.structures.item(n)
            key = item.data(Qt.ItemDataRole.UserRole)
            k = len(self.seeds[key])
            mark = " (proposed)" if self.proposed.get(key) else ""
            item.setText(f"{display(key)[0]} — {k} seed{'s' if k != 1 else ''}{mark}")

    def _update_buttons(self) -> None:
        ok = self.image is not None and (self.image.modality.upper() == "CT" or self.is_cine)
        busy = self.job is not None
        self.b_run.setEnabled(ok and not busy)
        self.b_propose.setEnabled(ok and not busy)
        self.b_accept_seeds.setEnabled(any(self.proposed.values()) and not busy)
        self.b_cancel.setEnabled(busy)
        self.b_preview.setEnabled(self.labels is not None and not busy)
        self.b_accept.setEnabled(bool(self.maps) and not busy)
        self.b_discard.setEnabled(bool(self.maps) and not busy)
        self.b_undo.setEnabled(bool(self._undo) and not busy)

    def _apply_hooks(self) -> None:
        if self.slices is None:
            return
        mode = self.mode_group.checkedId()
        show = bool(self.maps) or any(self.seeds.values())
        self.slices.set_edit_hooks(self._tool if mode > 0 else None,
                                   self._overlay if show else None)

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt naming
        # leaving the step gives the slices back their cursor click and panning
        self.mode_group.button(0).setChecked(True)
        self._apply_hooks()
        super().hideEvent(event)

    # -- seeds, brush, eraser --------------------------------------------------------------
    def set_mode(self, name: str) -> None:
        """Choose the slice tool: one of :data:`MODES`."""
        self.mode_group.button(MODES.index(name)).setChecked(True)
        self._apply_hooks()

    def add_seed(self, key: str, kji) -> None:
        """A seed for blood pool ``key`` at voxel ``(k, j, i)`` (moves a proposed one)."""
        for q in self.proposed.pop(key, set()):
            n = self.seeds[key].index(q)
            del self.seeds[key][n], self.seed_phase[key][n]
        self.seeds[key].append(tuple(int(round(v)) for v in kji))
        self.seed_phase[key].append(self.shown_phase)
        self._update_list()
        self._update_buttons()
        self._apply_hooks()

    def accept_proposals(self) -> None:
        """The proposed seeds become the user's (as if clicked there)."""
        n = sum(len(v) for v in self.proposed.values())
        self.proposed = {}
        self._update_list()
        self._update_buttons()
        self._apply_hooks()
        self.status.setText(f"{n} proposed seed{'s' if n != 1 else ''} accepted.")

    def clear_seeds(self) -> None:
        self.seeds = {k: [] for k in POOLS}
        self.seed_phase = {k: [] for k in POOLS}
        self.proposed = {}
        self._update_list()
        self._apply_hooks()

    def _tool(self, kji: np.ndarray, event: str, pane) -> None:
        img = self.image
        if img is None:
            return
        mode = MODES[self.mode_group.checkedId()]
        if mode in ("Brush", "Eraser") and event == "click":  # a dab: a one-point stroke
            self._tool(kji, "drag", pane)
            event = "end"
        if event == "end" and self._stroke:  # also when the stroke ends off the image
            self._stroke = False
            self.edits += 1
            self._end_stroke(mode)
            self._update_buttons()
            return
        q = np.round(np.asarray(kji, float)).astype(int)
        if np.any(q < 0) or np.any(q >= np.array(img.shape)):
            return
        if mode == "Place seeds" and event == "click":
            self.add_seed(self.current, q)
        elif mode in ("Brush", "Eraser") and event == "drag":
            if not self._stroke:  # the first point of a stroke: keep what it changes
                self._stroke = True
                ph = self.shown_phase
                old = self.maps.get(ph)
                self._undo = [*self._undo[-19:], {ph: None if old is None else old.copy()}]
            self.paint(q, pane.axis, erase=mode == "Eraser")
            self.slices.refresh(only=pane.name)

    def paint(self, kji, axis: int, *, erase: bool = False) -> None:
        """Brush (or erase) a disk of the set radius in the slice through ``kji`` normal to
        index ``axis``: the selected structure's label, or background."""
        img = self.image
        if self.labels is None:
            self.maps[self.shown_phase] = np.zeros(img.shape, np.uint8)
        sp = np.asarray(img.spacing, float)
        r = self.radius.value()
        lo = [max(0, int(np.floor(kji[a] - r / sp[a]))) if a != axis else int(kji[a])
              for a in range(3)]
        hi = [min(img.shape[a], int(np.ceil(kji[a] + r / sp[a])) + 1) if a != axis
              else int(kji[a]) + 1 for a in range(3)]
        grid = np.meshgrid(*[np.arange(lo[a], hi[a]) for a in range(3)], indexing="ij")
        d2 = sum(((g - kji[a]) * sp[a]) ** 2 for a, g in enumerate(grid) if a != axis)
        box = tuple(slice(lo[a], hi[a]) for a in range(3))
        value = 0 if erase else LABEL_VALUES[self.current]
        self.labels[box][d2 <= r * r] = value
        if self.phase == self.shown_phase:
            self.meshes = {}

    def _remember_phase_only(self, on: bool) -> None:
        if self.settings is not None:
            self.settings.setValue(PHASE_ONLY_KEY, "true" if on else "false")

    def _end_stroke(self, mode: str) -> None:
        """Carry the stroke just ended to the other phases (unless 'This phase only') and
        note it for the audit and the status line."""
        ph, before = next(iter(self._undo[-1].items()))
        after = self.maps.get(ph)
        if before is None:
            before = np.zeros_like(after)
        changed = int((before != after).sum())
        rec = {"phase": ph, "tool": mode.lower(), "structure": self.current,
               "voxels": changed, "propagated": {}}
        text = f"{mode} on phase {ph} ({changed} voxels)"
        if not self.phase_only.isChecked() and len(self.maps) > 1 and changed:
            res = propagate_correction(self.image, self.maps, ph, before)
            for p, lab in res.maps.items():
                self._undo[-1][p] = self.maps[p]
                self.maps[p] = lab
            rec["propagated"] = {str(p): n for p, n in sorted(res.voxels.items())}
            if res.maps:
                text += (f" carried to phases {_ranges(sorted(res.maps))} "
                         f"({sum(res.voxels.values())} voxels)")
            else:
                text += ", not carried: no other phase has it where the image looks alike"
            if res.stopped:
                text += f"; stopped at phase(s) {_ranges(sorted(res.stopped))}"
            text += "; Undo stroke takes it back on all"
        elif changed:
            text += ", this phase only"
        self.corrections.append(rec)
        if self.phase in self._undo[-1]:
            self.meshes = {}
        self.status.setText(f"{text}. {self.edits} correction(s); 'Update 3D preview' to "
                            "re-mesh.")

    def undo(self) -> None:
        """Take back the last brush or eraser stroke (up to 20), on every phase it was
        carried to."""
        if not self._undo or self.job is not None:
            return
        olds = self._undo.pop()
        if self.corrections:  # the undo entries are the latest strokes
            self.corrections.pop()
        for ph, old in olds.items():
            if old is None:
                self.maps.pop(ph, None)
            else:
                self.maps[ph] = old
        self.edits = max(0, self.edits - 1)
        if self.phase in olds:
            self.meshes = {}
        self.status.setText(f"Stroke taken back on {len(olds)} phase(s).")
        self._update_buttons()
        self._apply_hooks()

    def _overlay(self, pane, c: int) -> np.ndarray | None:
        img = self.image
        if img is None:
            return None
        rest = [a for a in (0, 1, 2) if a != pane.axis]
        order = (rest.index(pane.h), rest.index(pane.v))
        if self.labels is not None:
            plane = np.transpose(np.take(self.labels, c, axis=pane.axis), order)
            rgba = label_outline_rgba(plane, self._colours)
        else:
            rgba = np.zeros((img.shape[pane.h], img.shape[pane.v], 4), np.uint8)
        for key, pts in self.seeds.items():
            rgb = [int(255 * x) for x in display(key)[1]]
            for p, ph in zip(pts, self.seed_phase[key], strict=True):
                if abs(p[pane.axis] - c) > 1 or (self.is_cine and ph != self.shown_phase):
                    continue
                u, v = p[pane.h], p[pane.v]
                # a user's seed is a "+", a proposed one an "✕" (not yet accepted)
                shape = ((0, 0), (-1, -1), (1, 1), (-1, 1), (1, -1), (-2, -2), (2, 2),
                         (-2, 2), (2, -2), (-3, -3), (3, 3), (-3, 3), (3, -3)) \
                    if p in self.proposed.get(key, ()) else \
                    ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1), (-2, 0), (2, 0), (0, -2), (0, 2))
                for du, dv in shape:
                    if 0 <= u + du < rgba.shape[0] and 0 <= v + dv < rgba.shape[1]:
                        rgba[u + du, v + dv] = [*rgb, 255]
        return rgba

    # -- segmentation and meshing jobs -----------------------------------------------------
    def _ticked(self) -> list[str]:
        return [self.structures.item(n).data(Qt.ItemDataRole.UserRole)
                for n in range(self.structures.count())
                if self.structures.item(n).checkState() == Qt.CheckState.Checked]

    def run(self) -> None:
        """Segment the ticked structures from their seeds (background job)."""
        img = self.image
        if img is None or not (img.modality.upper() == "CT" or self.is_cine):
            self.state.error("Segment: there is no contrast CT or cine MR image open.")
            return
        ticked = [k for k in self._ticked()
                  if not self.is_cine or k in ("lv_blood", "rv_blood")]
        if not ticked:
            self.state.error("Segment: no structure is ticked; tick at least one blood pool.")
            return
        pending = [display(k)[0] for k in ticked if self.proposed.get(k)]
        if pending:
            self.state.error(f"Segment: the proposed seeds of {', '.join(pending)} are not yet "
                             "accepted. 'Accept proposed seeds', or click in each structure to "
                             "move its seed. Seeds, preview and twin are unchanged.")
            return
        missing = [display(k)[0] for k in ticked if not self.seeds[k]]
        if missing:
            self.state.error(f"Segment: no seed for {', '.join(missing)}. Click inside "
                             f"{'it' if len(missing) == 1 else 'each'} on a slice in 'Place "
                             "seeds' mode, or untick it. Seeds, preview and twin are "
                             "unchanged.")
            return
        phase = self.shown_phase
        spacing, affine = img.spacing, img.affine
        if self.is_cine:
            try:
                first, corrections = self._cine_seeds(ticked)
            except ImagingError as exc:
                self.state.error(f"Segment: {exc}")
                return

            planes = tuple(getattr(self.state.twin.anatomy, "planes", None) or ())

            def segment(progress):
                progress(0.05, "segmenting every phase from the seeds")
                res = segment_cine(img, first, corrections, planes=planes)
                mitral.update(res.mitral)
                return res.labels
        else:
            seeds = {k: list(self.seeds[k]) for k in ticked}
            # a gated CT: the phase on show, and ED and ES so that one Accept gives EDV/ESV
            phases = list(dict.fromkeys((phase, img.ed_index, img.es_index)))

            def segment(progress):
                out = {}
                for n, p in enumerate(phases):
                    progress(0.05 + 0.5 * n / len(phases),
                             f"segmenting blood pools on phase {p} from the seeds")
                    at = seeds if p == phase else carried_seeds(
                        img, out[phase], phase, p, seeds, LABEL_VALUES)
                    try:
                        out[p] = segment_ct(img, at, p)
                    except ImagingError as exc:
                        if p == phase:
                            raise
                        skipped[p] = str(exc)
                return out
        skipped: dict[int, str] = {}  # CT phase -> why the seeds did not segment it
        mitral: dict = {}  # cine: phase → mitral annulus plane from the long-axis views

        def work(progress, cancelled):
            maps = segment(progress)
            if cancelled():
                raise JobCancelled
            progress(0.6, "meshing the preview")
            meshes = label_map_to_meshes(maps[phase], affine, LABEL_VALUES,
                                         slice_thickness_mm=img.slice_thickness_mm) \
                if phase in maps else {}
            progress(1.0, "segmentation ready")
            return maps, meshes

        def done(result) -> None:
            self.job = None
            self.maps, self.meshes = result
            self.mitral = dict(mitral)  # brush edits leave the long-axis views' planes valid
            self.phase, self.edits = phase, 0
            self._undo, self.corrections = [], []
            vols = structure_volumes(self.maps[phase], spacing, LABEL_VALUES) \
                if phase in self.maps else {}
            miss = "".join(f" Phase {p} not segmented: {why}" for p, why in skipped.items())
            self.status.setText(
                f"Preview (not yet in the twin), {len(self.maps)} phase(s) "
                f"({_ranges(sorted(self.maps))}); phase {phase}: "
                + ", ".join(f"{display(k)[0]} {v.value:.1f} ± {v.uncertainty:.1f} mL"
                            for k, v in vols.items()) + "." + miss)
            self._show_preview()

        self._start("Segmentation", work, done)

    def _cine_seeds(self, ticked: list[str]) -> tuple[CineSeeds, dict[int, CineSeeds]]:
        """LV (and RV) seeds per phase → the first phase's seeds and later corrections."""
        by_phase: dict[int, dict[str, tuple[int, int, int]]] = {}
        for key in ticked:
            for kji, ph in zip(self.seeds[key], self.seed_phase[key], strict=True):
                by_phase.setdefault(ph, {})[key] = kji  # the last click on a phase wins
        out = {}
        for ph, got in sorted(by_phase.items()):
            if "lv_blood" not in got:
                raise ImagingError(f"phase {ph} has an RV seed but no LV seed; the LV seed "
                                   "fixes the slice")
            k, j, i = got["lv_blood"]
            rv = got.get("rv_blood")
            out[ph] = CineSeeds(ph, k, (float(j), float(i)),
                                (float(rv[1]), float(rv[2])) if rv is not None else None)
        first = out.pop(min(out))
        a, b = self.basal.value(), self.apical.value()
        if a and b:
            first = dataclasses.replace(first, slices=(min(a, b) - 1, max(a, b) - 1))
        elif a or b:
            raise ImagingError("give both the basal and the apical slice, or neither "
                               "(proposed)")
        return first, out

    def propose(self) -> None:
        """Seeds a user would accept on the phase on show: six blood pools of a contrast CT
        (:func:`twinviewer.imaging.ct_seeds.propose_ct_seeds`), LV and RV of a cine MR."""
        img = self.image
        if img is not None and not self.is_cine and img.modality.upper() == "CT":
            try:
                seeds = propose_ct_seeds(img, self.shown_phase)
            except ImagingError as exc:
                self.state.error(f"Propose seeds: {exc}")
                return
            for key, pts in seeds.items():
                self.seeds[key] = list(pts)
                self.seed_phase[key] = [self.shown_phase] * len(pts)
                self.proposed[key] = set(pts)
            self._update_list()
            self._update_buttons()
            self._apply_hooks()
            self.status.setText(f"{len(seeds)} seeds proposed on phase {self.shown_phase} (✕): "
                                "check each, click in a structure to move its seed, then "
                                "'Accept proposed seeds'.")
            return
        if not self.is_cine:
            return
        try:
            s = propose_seeds(img, self.shown_phase)
        except ImagingError as exc:
            self.state.error(f"Propose seeds: {exc}")
            return
        for key, px in (("lv_blood", s.lv), ("rv_blood", s.rv)):
            if px is not None:
                self.seeds[key] = [(s.slice, int(round(px[0])), int(round(px[1])))]
                self.seed_phase[key] = [s.phase]
        self._update_list()
        self._apply_hooks()
        self.status.setText(f"Seeds proposed on slice {s.slice + 1} of phase {s.phase}: "
                            "check them, move by clicking, then Segment.")

    def _start(self, title, work, done) -> None:
        def failed(exc) -> None:
            self.job = None
            if isinstance(exc, ImagingError):
                self.status.setText(f"Not segmented: {exc}")
            self._update_buttons()

        self.job = self.state.run_job(title, work, done, failed)
        self._update_buttons()

    def cancel(self) -> None:
        """Stop the running job; its result is dropped (segmentation itself is one library
        call, so the stop takes effect when it returns, before meshing)."""
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Cancelling…")

    def _on_job_finished(self, job) -> None:
        if job is self.job:  # also when cancelled: then neither callback runs
            self.job = None
            if job.is_cancelled():
                self.status.setText("Cancelled; seeds and preview are as they were.")
            self._update_buttons()

    def _mesh_job(self, title: str, maps: dict[int, np.ndarray], then) -> None:
        maps, img = {p: m.copy() for p, m in maps.items()}, self.image

        def work(progress, cancelled):
            out = {}
            for n, (p, lab) in enumerate(sorted(maps.items())):
                if cancelled():
                    raise JobCancelled
                progress(n / len(maps), f"meshing phase {p}")
                out[p] = label_map_to_meshes(lab, img.affine, LABEL_VALUES,
                                             slice_thickness_mm=img.slice_thickness_mm)
            return out

        def done(meshes) -> None:
            self.job = None
            then(maps, meshes)
            self._update_buttons()

        self._start(title, work, done)

    def update_preview(self) -> None:
        """Re-mesh the corrected label map of the phase on show for the 3D preview."""
        if self.labels is None:
            return
        phase = self.shown_phase

        def show(_maps, meshes) -> None:
            self.meshes, self.phase = meshes[phase], phase
            self._show_preview()

        self._mesh_job("Segmentation preview", {phase: self.labels}, show)

    def _show_preview(self) -> None:
        self._update_buttons()
        self._apply_hooks()
        if self.view3d is None or not self.meshes or self.state.twin is None:
            return
        anatomy = self.state.twin.anatomy
        structures = {}
        for k, m in self.meshes.items():
            name, colour = display(k)
            structures[k] = Structure(k, f"{name} (preview)", colour, {self.phase: m})
        if self._overlay_before is None:  # model colours on a preview would mislead
            self._overlay_before = self.view3d.overlay
            self.view3d.set_overlay("none")
        self.view3d.set_anatomy(dataclasses.replace(anatomy, structures=structures))

    def _end_preview(self) -> None:
        """Give the 3D view back the twin's anatomy and the colouring the user had."""
        if self.view3d is None:
            return
        if self.state.twin is not None:
            self.view3d.set_anatomy(self.state.twin.anatomy)
        if self._overlay_before is not None:
            self.view3d.set_overlay(self._overlay_before)
            self._overlay_before = None

    # -- accept / discard ------------------------------------------------------------------
    def accept(self) -> None:
        """Mesh the label maps and put them into the twin's anatomy (one audited edit)."""
        if not self.maps:
            self.state.error("Accept: there is no segmentation to accept; run Segment first.")
            return
        seeds = {k: len(v) for k, v in self.seeds.items() if v}
        edits = self.edits
        corrections = [dict(c) for c in self.corrections]

        def put(maps, meshes) -> None:
            twin = self.state.twin
            if twin is None or twin.anatomy is None or twin.anatomy.image is None:
                self.state.error("Accept: the twin was closed; the segmentation was not kept.")
                return
            notes = [f"phase {p}: segmented in the editor from seeds ({seeds}), "
                     f"{edits} brush/eraser correction(s)" for p in sorted(maps)]
            anatomy = accepted_anatomy(twin.anatomy, maps, meshes, notes,
                                       mitral=self.mitral)
            img = anatomy.image
            shown = [p for p in dict.fromkeys((img.ed_index, img.es_index)) if p in maps] \
                or [min(maps)]
            self.state.session.set_twin(dataclasses.replace(twin, anatomy=anatomy))
            # the audit vocabulary has no "segmentation" action: it is part of the import
            self.state.session.record("import", {
                "step": "segmentation accepted in the editor", "phases": len(maps),
                "seeds": seeds, "corrections": edits, "strokes": corrections,
                "volumes_ml": {str(p): {k: round(s.volumes[p].value, 2)
                                        for k, s in anatomy.structures.items()
                                        if p in s.volumes} for p in shown}})
            self._reset()
            self._end_preview()
            self._update_list()
            self._apply_hooks()
            self.status.setText(f"Accepted: meshes and volumes of {len(maps)} phase(s) "
                                f"({_ranges(sorted(maps))}) are in the twin.")

        self._mesh_job("Accept segmentation", self.maps, put)

    def discard(self) -> None:
        """Drop the preview (seeds are kept); the twin is untouched."""
        self.maps, self.meshes, self.edits = {}, {}, 0
        self._undo, self._stroke, self.corrections = [], False, []
        self._end_preview()
        self.status.setText("Preview discarded; the twin is unchanged.")
        self._update_buttons()
        self._apply_hooks()
