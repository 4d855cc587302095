"""car16: the fit table's SBP/DBP (and the worst other datum) with the arterial compliance
left to the localisation mask (old) and opened to the cuff pressures (new): the severe-AS
example, the four lesson hearts (their own preset's HR, SBP, DBP, LVEDV, LVESV, + AVA / LVEF),
a normotensive and an isolated-systolic-hypertension patient; a healthy twin, prior 'auto',
200 members. ``CAR_SD`` sets the compliance prior's log-SD (candidate B), ``MODES`` ("01":
old and new), ``ONLY`` a ';'-separated list of cases.

Run: ``PYTHONPATH=$PWD python docs/notes/car16_fits.py 0,1,2 OUT.json``
"""

import importlib
import json
import os
import sys

import numpy as np

from twinviewer.core.measurement import Measurement as M
from twinviewer.personalize.measurements import load_measurements
from twinviewer.personalize.quantities import predict
from twinviewer.physiology import simulate
from twinviewer.physiology.presets import get_preset
from twinviewer.twins import twin_from_preset

cal = importlib.import_module("twinviewer.personalize.calibrate")
SD = {"HR": 2, "SBP": 7, "DBP": 6, "LVEDV": 8, "LVESV": 6, "AVA": 0.1, "LVEF": 4}
UNIT = {"HR": "bpm", "LVEDV": "mL", "LVESV": "mL", "AVA": "cm^2", "LVEF": "%"}


def preset_ms(name: str, extra: tuple[str, ...]) -> list[M]:
    p = get_preset(name)
    res = simulate(p.model, p.vector()[None])
    return [M(n, round(float(predict(n, res)[0]), 2 if n == "AVA" else 1), UNIT.get(n, "mmHg"),
              SD[n], f"{name} preset")
            for n in ("HR", "SBP", "DBP", "LVEDV", "LVESV", *extra)]


def simple(hr, sbp, dbp, edv, esv, src) -> list[M]:
    return [M("HR", hr, "bpm", 2, src), M("SBP", sbp, "mmHg", 7, src),
            M("DBP", dbp, "mmHg", 6, src), M("LVEDV", edv, "mL", 8, src),
            M("LVESV", esv, "mL", 6, src)]


CASES = {
    "severe-AS example": lambda: load_measurements(
        "assets/examples/severe_as_measurements.json"),
    "lesson healthy": lambda: preset_ms("healthy", ()),
    "lesson severe_as": lambda: preset_ms("severe_as", ("AVA",)),
    "lesson severe_mr": lambda: preset_ms("severe_mr", ()),
    "lesson hfref": lambda: preset_ms("hfref", ("LVEF",)),
    "normotensive 120/80": lambda: simple(68, 120, 80, 125, 50, "normotensive example"),
    "ISH 160/70": lambda: simple(70, 160, 70, 120, 48, "isolated systolic hypertension"),
}


def _pressure(f) -> str:
    return (f"{f.name} {f.measured:.0f}->{f.median:.1f} ({f.lo:.0f}-{f.hi:.0f}) "
            f"z{f.z:+.2f}{'!' if f.flag else ''}")


def main(seeds: list[int], out: str) -> None:
    if os.environ.get("CAR_SD"):
        for nm in ("healthy", "severe_as", "hfref", "severe_mr"):
            pr = get_preset(nm).model.parameter("SYS.C_AR").prior
            object.__setattr__(pr, "scale", float(os.environ["CAR_SD"]))
    modes = [m == "1" for m in os.environ.get("MODES", "01")]
    only = os.environ.get("ONLY")
    cases = {k: v for k, v in CASES.items() if not only or k in only.split(";")}
    rows = []
    for case, make in cases.items():
        ms = make()
        for mode in modes:
            cal.CALIBRATE_ARTERIAL_COMPLIANCE = mode
            for seed in seeds:
                r = cal.calibrate(twin_from_preset("healthy", n=1), ms, n=200, seed=seed)
                f = {x.name: x for x in r.fit}
                worst = max((x for x in r.fit if x.name not in ("SBP", "DBP") and x.used),
                            key=lambda x: abs(x.z))
                j = r.parameter_names.index("SYS.C_AR")
                q = np.quantile(r.ensemble[:, j], [0.05, 0.5, 0.95])
                rows.append(dict(
                    case=case, new=mode, seed=seed, prior=r.prior_choice.preset,
                    **{n: [f[n].measured, f[n].median, f[n].lo, f[n].hi, f[n].z, f[n].flag]
                       for n in ("SBP", "DBP")},
                    worst=[worst.name, worst.z, worst.flag],
                    flagged=[x.name for x in r.flagged], C_AR=q.round(3).tolist(),
                    calibrated="SYS.C_AR" in r.calibrated))
                print(f"{case:20s} {'new' if mode else 'old'} s{seed} {_pressure(f['SBP'])} "
                      f"{_pressure(f['DBP'])} worst {worst.name} z{worst.z:+.2f}"
                      f"{'!' if worst.flag else ''} C_AR {q[1]:.2f} ({q[0]:.2f}-{q[2]:.2f}) "
                      f"cal={rows[-1]['calibrated']} flagged={rows[-1]['flagged']}", flush=True)
    with open(out, "w") as fh:
        json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main([int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "0,1,2").split(",")],
         sys.argv[2] if len(sys.argv) > 2 else "car16_fits.json")
