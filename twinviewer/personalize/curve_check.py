"""Does a twin fitted to a patient's volume curve stay honest? Synthetic patients with known V(t).

Patients come from :func:`~twinviewer.personalize.synthetic.patients` (e.g. the structurally
different ``regazzoni2022`` loop). Each is "segmented" into LV and RV volume curves of 25
frames with correlated errors (:func:`~twinviewer.personalize.volume_curve.synthetic_curve`)
and measured with cuff SBP/DBP; the default twin is calibrated to the curves (used whole) and
the cuff pressures. Judged: how often the posterior predictive 90 % band of V(t) covers the
*true* volume at each frame, and how often the 90 % intervals of the unmeasured outputs
(LVEDP, LAP, PASP, SW, CO) cover their truth.

``python -m twinviewer.personalize.curve_check --setting regazzoni --patients 40`` prints
the table (``--setting own,regazzoni --out F.pkl`` runs several and keeps the records).

>>> r = check("own", 1, seed=3, members=24)  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from twinviewer.core.measurement import Measurement
from twinviewer.personalize.calibrate import CalibrationError, calibrate
from twinviewer.personalize.coverage import Record
from twinviewer.personalize.measurements import MeasurementError
from twinviewer.personalize.synthetic import NOISE, UNMEASURED, patients
from twinviewer.personalize.volume_curve import calibration_data, synthetic_curve

#: Cuff pressures measured beside the curves (the curves give volumes and the R-R).
CUFF = ("SBP", "DBP")


@dataclass
class CurveCheck:
    """Coverage of one setting: per-frame V(t) and per-output unmeasured intervals."""

    setting: str
    frames: dict[str, list[bool]] = field(default_factory=dict)
    outputs: dict[str, list[bool]] = field(default_factory=dict)
    rms_z: dict[str, list[float]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    cpu_s: float = 0.0
    records: list[Record] = field(default_factory=list)  # raw ensembles, for the learner

    def coverage(self) -> dict[str, float]:
        out = {f"V_{c}(t)": float(np.mean(v)) for c, v in self.frames.items()}
        out.update({k: float(np.mean(v)) for k, v in self.outputs.items()})
        return out

    def table(self) -> str:
        n = len(next(iter(self.rms_z.values()), []))
        lines = [f"setting {self.setting}: {n} patients ({len(self.refused)} refused), "
                 f"CPU {self.cpu_s:.0f} s"]
        for k, v in self.coverage().items():
            lines.append(f"  {k:<10} 90 % band covers truth {v:6.1%}")
        for c, z in self.rms_z.items():
            lines.append(f"  {c} curve RMS z: median {np.median(z):.2f}, max {np.max(z):.2f}")
        lines += [f"  refused: {r}" for r in self.refused]
        return "\n".join(lines)


def check(setting: str, k: int, seed: int = 2026, members: int = 48,
          chambers: tuple[str, ...] = ("LV", "RV"),
          sink: Callable[[Record], None] | None = None) -> CurveCheck:
    """Calibrate the default twin to ``k`` synthetic patients' curves and score coverage.

    Each calibrated patient is also kept as a :class:`~twinviewer.personalize.coverage.Record`
    (``data="curves"``: raw ensembles, before any discrepancy term) in ``records`` and passed
    to ``sink`` as soon as it exists, so that the discrepancy learner can use it."""
    from twinviewer.twins import twin_from_preset

    t0 = time.process_time()
    truth = patients(setting, k, seed)
    rng = np.random.default_rng([seed, 13])
    out = CurveCheck(setting)
    # ``patients`` may return fewer than k when redrawing runs out (a wide prior's draws are
    # often implausible): score the patients there are
    for i in range(truth.results.n):
        curves, truths = [], {}
        for c in chambers:
            curve, tv = synthetic_curve(truth.results, i, c, rng)
            curves.append(calibration_data(curve))
            truths[c] = tv[np.argsort((curve.times_ms - curve.times_ms[curve.ed_index])
                                      % curve.rr_ms, kind="stable")]
        ms = [Measurement(n, truth.truth(n, i) + NOISE[n][0] * rng.standard_normal(),
                          NOISE[n][1], NOISE[n][0], "synthetic cuff") for n in CUFF]
        twin = twin_from_preset("healthy", n=1)
        try:
            res = calibrate(twin, ms, n=members, seed=i, point_estimate=False,
                            volume_curves=curves, prior=None)
        except (CalibrationError, MeasurementError) as exc:
            out.refused.append(f"patient {i}: {exc}"[:200])
            continue
        for cf in res.curve_fit:
            tv = truths[cf.chamber]
            inside = (tv >= cf.pred_lo) & (tv <= cf.pred_hi)
            out.frames.setdefault(cf.chamber, []).extend(inside.tolist())
            out.rms_z.setdefault(cf.chamber, []).append(cf.rms_z)
        for name in UNMEASURED:
            _, lo, hi = res.predictive(name)
            x = truth.truth(name, i)
            out.outputs.setdefault(name, []).append(bool(lo <= x <= hi))
        ok, ok0 = res.results.ok, res.prior_results.ok
        out.records.append(Record(
            setting, truth.structure[i], {o: truth.truth(o, i) for o in UNMEASURED},
            {o: np.asarray(res.results.metrics[o])[ok] for o in UNMEASURED},
            {o: np.asarray(res.prior_results.metrics[o])[ok0] for o in UNMEASURED},
            len(res.flagged), res.atypicality, res.misfit,
            data="curves"))
        if sink is not None:
            sink(out.records[-1])
    out.cpu_s = time.process_time() - t0
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--setting", default="regazzoni")
    p.add_argument("--patients", type=int, default=40)
    p.add_argument("--members", type=int, default=48)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--out", help="pickle the records here after every patient (settings may "
                                 "be comma-separated)")
    a = p.parse_args(argv)
    records: list[Record] = []

    def save(rec: Record) -> None:
        records.append(rec)
        if a.out:
            with open(a.out, "wb") as f:
                pickle.dump(records, f)

    for s in a.setting.split(","):
        print(check(s, a.patients, a.seed, a.members, sink=save).table(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
