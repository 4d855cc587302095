"""Virtual patients matched to the baseline their study reports.

An evidence row is judged on a virtual patient that stands for the study population. Where
the source reports the population's baseline (e.g. Cusick 1998: LVEF 18 %, RAP 12, PCWP 23
mmHg, CI 1.9 L/min/m², SVR 1809 dyn·s/cm⁵), the patient is the nearest evidence patient
(``based_on`` in ``evidence/patients.json``; or a preset, ``preset``) with a few named
parameters (``fitted``) solved so that its untreated state reproduces that baseline. The
reported values and the tolerance accepted for each are stored with the patient
(``baseline``), so that the match is data, checked by a test (:func:`check`) and redone by
one command when the model changes::

    python -m twinviewer.interventions.study_patients            # check every such patient
    python -m twinviewer.interventions.study_patients --fit NAME # solve it again and print
    python -m twinviewer.interventions.study_patients --fit NAME --write

Method: least squares (scipy ``least_squares``, trust region) on the logarithm of the fitted
parameters, each residual being (model − reported) / tolerance. A deterministic point fit
rather than the twin calibrator (:mod:`twinviewer.personalize`): a study reports a cohort
mean, not one patient's measurements with their errors, and the row is run on the point
estimate. The patient's drug response is *not* an input of the fit: a row run on it stays a
prediction, unless its ``fitted`` field says otherwise.

``fitted`` may name the patient's heart size (``"heart size"``,
:data:`~twinviewer.interventions.evidence_table.HEART_SIZE`) instead of parameters: one factor
on every volume, compliance, area, elastance and resistance (a smaller or larger patient with
the same pressures, timing and EF), as for a cohort whose flow is known but whose heart is not.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from twinviewer.interventions.evidence_table import (
    EVIDENCE_DIR,
    HEART_SIZE,
    PATIENTS_FILE,
    EvidenceError,
    derived_metrics,
    patient_values,
    sized,
    virtual_patients,
)
from twinviewer.physiology import simulate


@dataclass(frozen=True)
class BaselineCheck:
    """One reported baseline value against the patient's untreated state."""

    metric: str
    reported: float
    got: float
    tolerance: float
    said: str

    @property
    def ok(self) -> bool:
        return bool(abs(self.got - self.reported) <= self.tolerance)


def matched_patients(directory: Path | None = None) -> list[str]:
    """Names of the evidence patients matched to a reported baseline.

    Examples
    --------
    >>> "cusick_severe_hf" in matched_patients()
    True
    """
    return [n for n, d in virtual_patients(directory).items() if d.get("baseline")]


def _spec(name: str, directory: Path | None) -> dict:
    d = virtual_patients(directory).get(name)
    if d is None or not d.get("baseline") or not d.get("fitted"):
        raise EvidenceError(f"{PATIENTS_FILE}: {name!r} is not a patient with a 'baseline' "
                            f"and the parameters 'fitted' to it")
    for metric, b in d["baseline"].items():
        if not isinstance(b, dict) or "value" not in b or "tolerance" not in b:
            raise EvidenceError(f"{PATIENTS_FILE}: {name!r} baseline {metric!r} needs "
                                f"'value' and 'tolerance'")
        if not float(b["tolerance"]) > 0:
            raise EvidenceError(f"{PATIENTS_FILE}: {name!r} baseline {metric!r}: the "
                                f"tolerance must be positive")
    return d


def untreated(name: str, directory: Path | None = None) -> dict[str, float]:
    """The untreated state of a virtual patient: metrics of its periodic state (as the
    evidence table computes them, SVR in mmHg·min/L included)."""
    preset, values = patient_values(name, directory)
    r = simulate(preset.model, preset.model.vector(values))
    if not r.ok[0]:
        raise EvidenceError(f"virtual patient {name!r}: no periodic state "
                            f"({'; '.join(r.errors()) or 'failed'})")
    return derived_metrics(r)


def check(name: str, directory: Path | None = None) -> list[BaselineCheck]:
    """Each reported baseline value of a matched patient against its untreated state.

    Examples
    --------
    >>> all(c.ok for c in check("cusick_severe_hf"))
    True
    """
    spec = _spec(name, directory)
    got = untreated(name, directory)
    return [BaselineCheck(m, float(b["value"]), float(got[m]), float(b["tolerance"]),
                          str(b.get("reported", m)))
            for m, b in spec["baseline"].items()]


def fit(name: str, directory: Path | None = None) -> dict[str, float]:
    """Solve the patient's ``fitted`` parameters for its reported baseline, starting from
    the patient it is based on (or its preset); returns its new overrides (4 significant
    digits)."""
    spec = _spec(name, directory)
    base = spec.get("based_on", spec.get("preset"))
    if base is None:
        raise EvidenceError(f"{PATIENTS_FILE}: {name!r} needs 'based_on' (or 'preset') to "
                            f"be refitted")
    preset, v0 = patient_values(str(base), directory)
    keep = {k: float(v) for k, v in spec.get("overrides", {}).items()
            if k not in spec["fitted"]}
    v0.update(keep)
    free = list(spec["fitted"])
    if HEART_SIZE in free:  # a size factor, not a parameter: it starts at the base's size
        v0[HEART_SIZE] = 1.0
    defaults = {q.name: q.default for q in preset.model.parameters}
    for k in free:  # a parameter the base patient leaves at the model default starts there
        if k not in v0 and k in defaults:
            v0[k] = float(defaults[k])
    targets = [(m, float(b["value"]), float(b["tolerance"]))
               for m, b in spec["baseline"].items()]

    def residuals(x: np.ndarray) -> np.ndarray:
        v = dict(v0)
        v.update(dict(zip(free, np.exp(x), strict=True)))
        r = simulate(preset.model, preset.model.vector(sized(preset.model, v)))
        if not r.ok[0]:
            return np.full(len(targets), 1e3)
        m = derived_metrics(r)
        return np.array([(m[k] - t) / s for k, t, s in targets])

    sol = least_squares(residuals, np.log([v0[k] for k in free]), diff_step=1e-3,
                        xtol=1e-4)
    out = dict(keep)
    out.update({k: float(f"{x:.4g}") for k, x in zip(free, np.exp(sol.x), strict=True)})
    return out


def write_overrides(name: str, overrides: dict[str, float],
                    directory: Path | None = None) -> None:
    """Store a patient's overrides in ``patients.json`` (the rest of the file unchanged)."""
    path = Path(directory or EVIDENCE_DIR) / PATIENTS_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    data["patients"][name]["overrides"] = overrides
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: check every matched patient, or refit one (``--fit``, ``--write``)."""
    ap = argparse.ArgumentParser(prog="python -m twinviewer.interventions.study_patients",
                                 description="Virtual patients matched to their study's "
                                 "reported baseline.")
    ap.add_argument("--fit", metavar="NAME", help="solve this patient's fitted parameters")
    ap.add_argument("--write", action="store_true", help="store the fit in patients.json")
    args = ap.parse_args(argv)
    if args.fit:
        ov = fit(args.fit)
        print(f"{args.fit}: {json.dumps(ov)}")
        if args.write:
            write_overrides(args.fit, ov)
    bad = 0
    for name in ([args.fit] if args.fit and args.write else matched_patients()):
        for c in check(name):
            bad += not c.ok
            print(f"{name}: {c.said}: reported {c.reported:g}, model {c.got:.3g} "
                  f"(±{c.tolerance:g}) {'ok' if c.ok else 'MISSED'}")
    return 1 if bad else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
