"""Teaching extras of the single-ventricle plugin: a 3D overlay, a writer and a sample twin.

* ``WALL_MOTION``: how far each surface point has moved since end-diastole (mm), on any
  moving anatomy (the demo heart, a cine study): where the heart contracts, and how much.
* ``write_pv_loop_csv``: the twin's predicted LV pressure–volume loop over one beat as CSV,
  the ensemble's 5th, 50th and 95th percentiles at each sample (predicted, never measured).
* ``make_sample``: a teaching twin of the single-ventricle model, opened from
  File → Open sample twin.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from twinviewer.plugins.outputs import Overlay, OverlayContext

#: Colour range of the wall-motion overlay (mm): normal systolic excursions reach about
#: 10 mm at the mitral annulus (MAPSE) and 17–25 mm at the tricuspid annulus (TAPSE ≥ 17 mm
#: is normal, Lang et al., JASE 2015), so 20 mm keeps a normal heart within the scale.
WALL_MOTION_RANGE_MM = (0.0, 20.0)
PERCENTILES = (5.0, 50.0, 95.0)
SAMPLE_MEMBERS = 50


def wall_motion(ctx: OverlayContext) -> np.ndarray | None:
    """Distance (mm) of each point from where it was at end-diastole; None on a surface
    that does not move (no end-diastolic positions to compare with).

    Examples
    --------
    >>> ctx = OverlayContext("lv_blood", np.array([[3.0, 4.0, 0.0]]), np.zeros((1, 3)))
    >>> wall_motion(ctx).tolist()
    [5.0]
    """
    if ctx.reference_points is None:
        return None
    return np.linalg.norm(np.asarray(ctx.points, float) - np.asarray(ctx.reference_points,
                                                                       float), axis=1)


WALL_MOTION = Overlay("Wall motion from end-diastole", "mm", wall_motion,
                      limits=WALL_MOTION_RANGE_MM)


def write_pv_loop_csv(doc, path: str | Path) -> None:
    """Write the twin's predicted LV pressure–volume loop (one beat) as CSV.

    Columns: time (s) and, for LV volume (mL) and LV pressure (mmHg), the 5th, 50th and 95th
    percentiles over the periodic members of the twin's ensemble. The header names the model
    and the member count; nothing about the patient (not even the pseudonym) is written.

    Raises
    ------
    ValueError
        When the twin's model has no LV volume or pressure, or no member is periodic.
    """
    from twinviewer.twins import model_of, simulate_twin

    twin = doc.twin
    model = model_of(twin)
    v_name, p_name = model.role("V_LV"), model.role("p_LV")
    if v_name is None or p_name is None:
        raise ValueError(f"model {model.name!r} has no LV volume and pressure roles: no PV "
                         "loop to write")
    r = simulate_twin(twin)
    ok = r.ok
    if not ok.any():
        raise ValueError("no member of the twin's ensemble reached a periodic state")
    t = np.median(r.time[ok], axis=0)
    v = np.percentile(r.series[v_name][ok], PERCENTILES, axis=0)
    p = np.percentile(r.series[p_name][ok], PERCENTILES, axis=0)
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        fh.write(f"# predicted LV pressure-volume loop, model {model.name} "
                 f"{model.version}, {int(ok.sum())} periodic members; p5/p50/p95 = ensemble "
                 "percentiles (a 90 % interval around the median)\n")
        w = csv.writer(fh)
        w.writerow(["t_s", "V_LV_p5_mL", "V_LV_p50_mL", "V_LV_p95_mL",
                    "p_LV_p5_mmHg", "p_LV_p50_mmHg", "p_LV_p95_mmHg"])
        for i in range(len(t)):
            w.writerow([f"{t[i]:.4f}", *(f"{x:.3f}" for x in v[:, i]),
                        *(f"{x:.3f}" for x in p[:, i])])
    tmp.replace(path)


def make_sample():
    """A teaching twin of the single ventricle: its preset with a 50-member prior ensemble.

    Examples
    --------
    >>> make_sample().model_name  # doctest: +SKIP
    'single_ventricle'
    """
    from twinviewer.twins import twin_from_preset

    return twin_from_preset("teaching_single_ventricle", n=SAMPLE_MEMBERS,
                            pseudonym="virtual-single-ventricle-sample")
