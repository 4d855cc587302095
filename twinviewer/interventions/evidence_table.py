"""The evidence table: published acute effects of each intervention, as data, and a runner
that checks the model against every row.

One JSON file per intervention lives in ``twinviewer/interventions/evidence/``. A row names the
virtual patient that stands in for the study population (a preset plus overrides), the
scenario steps, every variable the source reports with its change, the source and the
tolerance accepted. The runner simulates the patient (point estimate), applies the scenario
(warm-started, spread settings at zero) and judges each variable:

``relative``  before → after reported; the model's relative change must have the same sign and
              lie within ``tolerance`` × |reported relative change| of it (default ±35 %).
``absolute``  the same on the absolute change (used where the baseline itself is the point,
              e.g. a gradient rise of 1.5 mmHg).
``value``     only the value after is reported (e.g. a prosthesis's mean gradient); the
              model's value must lie within ``tolerance`` × the reported value of it.
``unchanged`` reported as "~=": the relative change must stay within ± ``band``.
``up``/``down`` reported as a direction only: the relative change must exceed ``band``
              (default 1 %) in that direction.
``at_most``/``at_least`` a bound on the value after.
``per_step``  a ramp (``ramp``: setting, from, to, step): the mean absolute change per step.
              In a ramp row every other kind compares the last step with the first (a
              ramp study reports "~=" across the ramp, not against the patient without the
              device).

A variable with ``"role": "input"`` was used to set the intervention's magnitude; it is shown
but does not decide the row (it would pass by construction). A row whose checked variables were
themselves used to fit UNSOURCED magnitudes names them in ``"fitted"``: it passes as a
consistency check, not as an independent prediction, and is reported so. A row whose ``source`` is
``UNSOURCED`` is run and shown but never counts as validated. A row whose virtual patient does
not reach a periodic state fails with its name and the engine's message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from twinviewer.core.format import change_unit, number, relative
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.baroreflex import check_mode, regulate
from twinviewer.interventions.failure_reasons import why_failing
from twinviewer.interventions.intervention import InterventionError
from twinviewer.interventions.scenario import apply_scenario, held_parameters, lvef_of
from twinviewer.physiology import ModelError, Results, get_preset, simulate

EVIDENCE_DIR = Path(__file__).with_name("evidence")
#: Virtual patients that are a preset plus overrides (not rows).
PATIENTS_FILE = "patients.json"
#: Default tolerance: each change within ±35 % of the reported change (issue 12).
DEFAULT_TOLERANCE = 0.35
UNSOURCED = "UNSOURCED"
#: Scale of a miss in direction-only variables (:func:`miss`): 10 % the wrong way.
DIRECTION_SCALE = 0.10
#: Key of a virtual patient's heart-size factor ``s`` in its overrides (``patients.json``): every
#: parameter is scaled by ``s`` to the power of its unit's exponent, as the calibration's size
#: coordinate does (:mod:`twinviewer.personalize.heart_size`, a sibling layer this module may not
#: import; a test checks that the two tables agree). Pressures, timing and EF stay; volumes and
#: flows scale by ``s``: a smaller patient with the same haemodynamics.
HEART_SIZE = "heart size"
_SIZE_EXPONENT = {"mL": 1, "mL/mmHg": 1, "cm^2": 1, "mmHg/mL": -1, "1/mL": -1,
                  "mmHg*s/mL": -1, "mmHg*s^2/mL": -1}
KINDS = ("relative", "absolute", "value", "unchanged", "up", "down", "at_most", "at_least",
         "per_step")


class EvidenceError(ValueError):
    """An evidence file or row that cannot be read or run."""


@dataclass(frozen=True)
class Variable:
    """One reported variable of a row."""

    metric: str
    kind: str
    before: float | None = None
    after: float | None = None
    band: float | None = None
    reported_as: str = ""
    unit: str = ""
    role: str = "check"


@dataclass(frozen=True)
class Row:
    """One published effect and the virtual patient that stands in for its population."""

    id: str
    intervention: str
    title: str
    patient: str
    overrides: dict[str, float]
    steps: tuple[InterventionStep, ...]
    variables: tuple[Variable, ...]
    source: str
    tolerance: float = DEFAULT_TOLERANCE
    regulation: str = "acute"
    ramp: dict | None = None
    notes: str = ""
    file: str = ""
    fitted: str = ""
    #: How the expectations were made when the source does not report this setting itself
    #: (e.g. "between the study's 4 and 8 µg/kg/min steps"); said beside the row everywhere.
    interpolated: str = ""

    @property
    def sourced(self) -> bool:
        return bool(self.source.strip()) and not self.source.strip().upper().startswith(
            UNSOURCED)


@dataclass
class VariableResult:
    """A variable judged: what the source reports, what the model gives."""

    variable: Variable
    expected: str
    got: str
    passed: bool
    got_value: float = float("nan")
    #: The same as numbers, for a script (``validate --json``): ``expected`` and ``got``, each
    #: ``{"before", "after", "change"}`` where the source or the model gives them (None
    #: otherwise), ``change_kind`` ('relative': a fraction, 'absolute': in ``unit``,
    #: 'per_step', or None), ``unit`` (the source's) and ``got_unit`` (the model's).
    numbers: dict = field(default_factory=dict)


@dataclass
class RowResult:
    """A row run against the model."""

    row: Row
    status: str  # 'pass', 'fail', 'unsourced'
    variables: list[VariableResult] = field(default_factory=list)
    message: str = ""
    #: Why a failing row fails, as measured (:mod:`twinviewer.interventions.failure_reasons`);
    #: empty for a row that passes.
    why: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_dict(self) -> dict:
        return {"id": self.row.id, "intervention": self.row.intervention,
                "title": self.row.title, "patient": self.row.patient,
                "source": self.row.source, "status": self.status, "message": self.message,
                "tolerance": self.row.tolerance, "regulation": self.row.regulation,
                "fitted": self.row.fitted,
                "variables": [{"metric": v.variable.metric,
                               "reported_as": v.variable.reported_as or v.variable.metric,
                               "kind": v.variable.kind, "role": v.variable.role,
                               "expected": v.expected, "got": v.got, "passed": v.passed,
                               **v.numbers}
                              for v in self.variables],
                "interpolated": self.row.interpolated or None, "why": self.why or None}


# ------------------------------------------------------------------ loading
def _float(path: str, what: str, value) -> float | None:
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise EvidenceError(f"{path}: {what} = {value!r} is not a number") from None
    if not np.isfinite(x):
        raise EvidenceError(f"{path}: {what} = {value!r} is not finite")
    return x


def _variable(where: str, d: dict) -> Variable:
    if not isinstance(d, dict) or "metric" not in d or "kind" not in d:
        raise EvidenceError(f"{where}: each variable needs 'metric' and 'kind'")
    kind = d["kind"]
    if kind not in KINDS:
        raise EvidenceError(f"{where}: variable {d['metric']!r} has unknown kind {kind!r}; "
                            f"one of {', '.join(KINDS)}")
    v = Variable(str(d["metric"]), kind, _float(where, "before", d.get("before")),
                 _float(where, "after", d.get("after")), _float(where, "band", d.get("band")),
                 str(d.get("reported_as", "")), str(d.get("unit", "")),
                 str(d.get("role", "check")))
    need = {"relative": ("before", "after"), "absolute": ("before", "after"),
            "value": ("after",), "at_most": ("after",), "at_least": ("after",),
            "per_step": ("after",), "unchanged": ("band",)}.get(kind, ())
    for key in need:
        if getattr(v, key) is None:
            raise EvidenceError(f"{where}: variable {v.metric!r} of kind {kind!r} needs "
                                f"{key!r}")
    if kind == "relative" and v.before == 0:
        raise EvidenceError(f"{where}: variable {v.metric!r}: a relative change needs a "
                            f"non-zero 'before'")
    return v


def load_file(path: Path) -> list[Row]:
    """The rows of one evidence file; raises :class:`EvidenceError` naming the file and the
    problem.

    Examples
    --------
    >>> rows = load_file(EVIDENCE_DIR / "inotrope.json")
    >>> rows[0].intervention
    'inotrope'
    """
    name = Path(path).name
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"{name}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise EvidenceError(f"{name}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise EvidenceError(f"{name}: expected an object with a list 'rows'")
    intervention = str(data.get("intervention", Path(path).stem))
    rows = []
    for k, d in enumerate(data["rows"]):
        where = f"{name} row {k + 1}"
        if not isinstance(d, dict) or "id" not in d:
            raise EvidenceError(f"{where}: a row needs an 'id'")
        where = f"{name} row {d['id']!r}"
        for key in ("patient", "steps", "variables"):
            if key not in d:
                raise EvidenceError(f"{where}: missing {key!r}")
        try:
            steps = tuple(InterventionStep(str(s["name"]),
                                           {k2: float(v) for k2, v in
                                            s.get("settings", {}).items()})
                          for s in d["steps"])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise EvidenceError(f"{where}: each step needs a 'name' and numeric "
                                f"'settings'") from None
        variables = tuple(_variable(where, v) for v in d["variables"])
        if not variables:
            raise EvidenceError(f"{where}: no variable to check")
        ramp = d.get("ramp")
        if ramp is not None and not {"setting", "from", "to", "step"} <= set(ramp):
            raise EvidenceError(f"{where}: 'ramp' needs setting, from, to, step")
        if ramp is not None:
            _check_ramp(where, steps, ramp)
        overrides = {k2: _float(where, k2, v) for k2, v in d.get("overrides", {}).items()}
        rows.append(Row(str(d["id"]), str(d.get("intervention", intervention)),
                        str(d.get("title", d["id"])), str(d["patient"]), overrides, steps,
                        variables, str(d.get("source", "")),
                        _float(where, "tolerance", d.get("tolerance", DEFAULT_TOLERANCE)),
                        str(d.get("regulation", "acute")), ramp, str(d.get("notes", "")),
                        name, str(d.get("fitted", "")), str(d.get("interpolated", ""))))
    return rows


def load_rows(directory: Path | None = None) -> list[Row]:
    """Every row of every evidence file (sorted by file name)."""
    folder = directory or EVIDENCE_DIR
    rows: list[Row] = []
    for path in sorted(Path(folder).glob("*.json")):
        if path.name != PATIENTS_FILE:
            rows += load_file(path)
    ids = [r.id for r in rows]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise EvidenceError(f"duplicate evidence row ids: {', '.join(dup)}")
    return rows


# ------------------------------------------------------------------ running
def derived_metrics(r: Results) -> dict[str, float]:
    """Metrics of a one-member result plus quantities studies report that the engine does
    not: systemic vascular resistance (MAP − CVP)/CO in mmHg·min/L and LV dP/dtmax in
    mmHg/s."""
    m = {k: float(v[0]) for k, v in r.metrics.items()}
    with np.errstate(divide="ignore", invalid="ignore"):
        m["SVR"] = (m["MAP"] - m["CVP"]) / m["CO"]
    p = r.series["p_LV"][0]
    dt = float(r.time[0, 1] - r.time[0, 0])
    m["dPdt_max"] = float(np.max(np.diff(np.append(p, p[0]))) / dt)
    return m


def _simulate(model, P, warm, what: str, regulated_on: Results | None = None,
              held: tuple[str, ...] = ()) -> tuple[Results, dict[str, float]]:
    r = simulate(model, P, warm_start=warm)
    if regulated_on is not None and r.ok[0]:
        r = regulate(model, P, regulated_on, acute=r, held=held).results
    if not r.ok[0]:
        raise EvidenceError(f"{what}: no periodic state ({'; '.join(r.errors()) or 'failed'})")
    return r, derived_metrics(r)


def _got_as(v: Variable) -> tuple[str, str]:
    """(prefix, unit suffix) of a "got" value: the model quantity's label where the source
    reported another one (CI, SVI given as CO, SV), and always the model's unit, so a got
    column never reads as the reported quantity in another unit."""
    from twinviewer.core.format import unit
    from twinviewer.physiology import METRIC_BY_NAME

    meta = METRIC_BY_NAME.get(v.metric)
    if meta is None:
        return "", ""
    said = (v.reported_as or v.metric).split()[0]
    same = said in (v.metric, "PCWP" if v.metric == "LAP" else v.metric)
    u = unit(meta.unit)
    return ("" if same else f"{meta.label} "), (f" {u}" if u else "")


def _numbers(v: Variable, b: float, a: float, got_change: float | None, kind: str | None,
             unit_text: str) -> dict:
    """A judged variable's numbers (see :attr:`VariableResult.numbers`)."""
    def num(x) -> float | None:
        return None if x is None or not np.isfinite(x) else float(x)

    exp_change = None
    if v.kind == "relative" and v.before:
        exp_change = v.after / v.before - 1.0
    elif v.kind == "absolute" and v.before is not None and v.after is not None:
        exp_change = v.after - v.before
    elif v.kind == "per_step":
        exp_change = v.after
    before, after = v.before, v.after
    if v.kind in ("value", "at_most", "at_least", "per_step"):
        before = None
    # a source that reports only the change (stored from 0, or as an index from 100): its
    # before and after are not values of the quantity
    if (v.kind == "absolute" and v.before == 0) or (
            v.kind == "relative" and v.before == 100 and v.unit != "%"):
        before = after = None
    return {"change_kind": kind, "unit": v.unit or None, "got_unit": unit_text.strip() or None,
            "expected_values": {"before": num(before), "after": num(after),
                                "change": num(exp_change)},
            "got_values": {"before": num(b), "after": num(a), "change": num(got_change)}}


def _decimals(x: float, limits: Iterable[float] = (), start: int = 0) -> int:
    """The fewest decimals (at least ``start``, at most 4) at which ``x`` rounded lies on the
    same side of every limit as ``x`` itself, so a printed value shows why it passes or fails
    (review15b #8: a −10.05 % change printed "−10 %" beside a ±10 % band, marked FAIL).

    Examples
    --------
    >>> _decimals(-10.048, (-10.0, 10.0)), _decimals(-9.4, (-10.0, 10.0))
    (2, 0)
    """
    limits = [float(v) for v in limits if v is not None and np.isfinite(v)]
    for d in range(start, 5):
        r = round(x, d)
        if all(np.sign(r - v) == np.sign(x - v) for v in limits):
            return d
    return 4


def _places(text: str) -> int:
    """Decimals of a printed number (``'16.8'`` → 1, ``'92'`` → 0)."""
    m = re.search(r"\.(\d+)", text)
    return len(m.group(1)) if m else 0


def _num(x: float, limits: Iterable[float] = (), like: float | None = None,
         signed: bool = False) -> str:
    """A got value with the decimals of the value it is read beside (``like``, the source's)
    and as many more as it takes to show its side of ``limits`` (:func:`_decimals`).

    Examples
    --------
    >>> _num(23.49, like=23.5), _num(0.202, (0.104, 0.216), like=0.16, signed=True)
    ('23.5', '+0.20')
    """
    text = number(x, signed=signed)
    if x is None or not np.isfinite(x) or abs(x) < 5e-4:
        return text
    start = max(_places(text), _places(f"{like:g}") if like is not None else 0)
    d = _decimals(float(x), limits, start)
    return f"{x:+.{d}f}" if signed else f"{x:.{d}f}"


def _rel(f: float, limits: Iterable[float] = (), u: str = "") -> str:
    """A relative change in whole percent, with the decimals it takes to show its side of
    ``limits`` (fractions): ``'-10.05 %'`` against a −10 % limit (:func:`relative`'s form).

    Examples
    --------
    >>> _rel(-0.10048, (-0.1, 0.1)), _rel(0.123), _rel(-0.104, (), "%")
    ('-10.05 %', '+12 %', '-10 % relative')
    """
    if not np.isfinite(f):
        return relative(f, u)
    d = _decimals(100 * f, [100 * v for v in limits])
    text = f"{100 * f:+.{d}f} %"
    if float(text[:-2]) == 0:
        text = f"{0:.{d}f} %"
    return f"{text} relative" if u == "%" else text


def _band(exp: float, tol: float) -> tuple[float, float, float]:
    """The limits a change ``exp`` ± ``tol`` of it is judged on (and 0, its sign)."""
    return exp - tol * abs(exp), exp + tol * abs(exp), 0.0


def _judge(v: Variable, base: dict[str, float], after: dict[str, float], tol: float,
           per_step: float | None) -> VariableResult:
    if v.metric not in after:
        raise EvidenceError(f"unknown metric {v.metric!r}")
    b, a = base[v.metric], after[v.metric]
    rel = a / b - 1.0 if b != 0 else float("nan")
    u = f" {v.unit}" if v.unit else ""
    pre, mu = _got_as(v)
    mu = mu or u  # a quantity only the evidence table derives (dP/dtmax): the row's unit
    # a change of a percentage (LVEF) is said as relative or in %-points (review14 #3)
    pu = "%" if mu.strip() == "%" else ""

    def result(expected: str, got: str, ok, got_change: float | None,
               kind: str | None) -> VariableResult:
        return VariableResult(v, expected, got, bool(ok), a,
                              _numbers(v, b, a, got_change, kind, mu))

    if v.kind in ("relative", "absolute"):
        exp = v.after / v.before - 1.0 if v.kind == "relative" else v.after - v.before
        got = rel if v.kind == "relative" else a - b
        ok = np.sign(got) == np.sign(exp) and abs(got - exp) <= tol * abs(exp)
        if v.kind == "relative":
            # a source that reports only the change is stored as an index from 100: its
            # numbers are not in the metric's unit (a reviewer read "SVR 100 → 115 mmHg·min/L")
            said = (f"index 100 → {v.after:g}" if v.before == 100 and v.unit != "%"
                    else f"{v.before:g} → {v.after:g}{u}")
            return result(f"{said} ({relative(exp, pu)})",
                          f"{pre}{_num(b, like=v.before)} → {_num(a, like=v.after)}{mu} "
                          f"({_rel(got, _band(exp, tol), pu)})", ok, got, "relative")
        # a source that reports only the change is stored from 0: "0 → -15 mmHg" would
        # read as a pressure of 0, so the change is said as a change
        cu, cmu = (f" {change_unit(x.strip())}" if x else "" for x in (u, mu))
        said = (f"change {_signed(exp)}{cu}" if v.before == 0
                else f"{v.before:g} → {v.after:g}{u} (change {_signed(exp)}{cu})")
        shown = _signed(got)  # 3 significant digits, more where the verdict needs them
        if np.isfinite(got):
            d = _decimals(got, _band(exp, tol), max(_places(shown), _places(f"{exp:g}")))
            shown = f"{got:+.{d}f}".replace("-", "−") if d > _places(shown) else shown
        return result(said, f"{pre}{_num(b, like=v.before)} → {_num(a, like=v.after)}{mu} "
                      f"(change {shown}{cmu})", ok, got, "absolute")
    if v.kind == "value":
        ok = abs(a - v.after) <= tol * abs(v.after)
        lim = (v.after - tol * abs(v.after), v.after + tol * abs(v.after))
        return result(f"{v.after:g}{u} (±{100 * tol:.0f} %)",
                      f"{pre}{_num(a, lim, like=v.after)}{mu}", ok, None, None)
    if v.kind == "unchanged":
        ok = abs(rel) <= v.band
        return result(f"~= (within ±{100 * v.band:.0f} %)",
                      f"{pre}{number(b)} → {number(a)}{mu} "
                      f"({_rel(rel, (-v.band, v.band), pu)})", ok, rel, "relative")
    if v.kind in ("up", "down"):
        band = 0.01 if v.band is None else v.band
        ok = rel > band if v.kind == "up" else rel < -band
        arrow = "↑" if v.kind == "up" else "↓"
        return result(f"{arrow} (by more than {100 * band:.0f} %)",
                      f"{pre}{number(b)} → {number(a)}{mu} "
                      f"({_rel(rel, (-band, band), pu)})", ok, rel, "relative")
    if v.kind in ("at_most", "at_least"):
        ok = a <= v.after if v.kind == "at_most" else a >= v.after
        sign = "≤" if v.kind == "at_most" else "≥"
        return result(f"{sign} {v.after:g}{u}", f"{pre}{_num(a, (v.after,), like=v.after)}{mu}",
                      ok, None, None)
    # per_step
    exp = v.after
    got = per_step if per_step is not None else float("nan")
    ok = np.sign(got) == np.sign(exp) and abs(got - exp) <= tol * abs(exp)
    shown = _num(got, _band(exp, tol), like=exp, signed=True)
    return result(f"{exp:+g}{u} per step", f"{pre}{shown}{mu} per step", ok, got, "per_step")


def _signed(x: float) -> str:
    """A change with its sign and a true minus: ``'−15'``, ``'+2.5'``.

    Examples
    --------
    >>> _signed(-15.0), _signed(2.5)
    ('−15', '+2.5')
    """
    return f"{x:+.3g}".replace("-", "−")


def run_row(row: Row, regulation: str | None = None) -> RowResult:
    """Run one row (in its own regulation mode unless ``regulation`` is given); never raises
    for a row that cannot be run (it fails, named)."""
    own = row.regulation
    if regulation is not None:
        row = replace(row, regulation=check_mode(regulation))
    try:
        res = _run_row(row)
    except (EvidenceError, InterventionError, ModelError, KeyError) as exc:
        msg = exc.args[0] if exc.args else str(exc)
        return RowResult(row, "fail", [], f"{row.id}: {msg}")
    if res.status == "fail":
        model = patient_values(row.patient)[0].model
        res.why = why_failing(row.id, f"{model.name} {model.version}", row.regulation, own)
    return res


def virtual_patients(directory: Path | None = None) -> dict[str, dict]:
    """Named virtual patients beyond the presets: name → {preset (or based_on: another named
    patient), overrides, description, and for a patient matched to its study's reported
    baseline, baseline (the reported values it reproduces) and fitted (the parameters solved
    for them; :mod:`twinviewer.interventions.study_patients`)}."""
    path = Path(directory or EVIDENCE_DIR) / PATIENTS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["patients"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EvidenceError(f"{PATIENTS_FILE}: cannot be read ({exc})") from None
    return data


def patient_values(name: str, directory: Path | None = None):
    """(preset, parameter values) of a virtual patient: a preset or a named patient.

    Examples
    --------
    >>> preset, values = patient_values("hfref_decompensated")
    >>> preset.name, values["HR"]
    ('hfref', 95.0)
    """
    extra = virtual_patients(directory)
    if name in extra:
        d = extra[name]
        if "based_on" in d:  # a patient of a study matched on another evidence patient
            base = str(d["based_on"])
            if base == name or base not in extra:
                raise EvidenceError(f"{PATIENTS_FILE}: patient {name!r} is based on "
                                    f"{base!r}, which is not another patient of the file")
            preset, values = patient_values(base, directory)
        else:
            preset = get_preset(str(d["preset"]))
            values = dict(preset.values)
        values.update({k: float(v) for k, v in d.get("overrides", {}).items()})
        return preset, sized(preset.model, values)
    try:
        preset = get_preset(name)
    except ModelError:
        raise EvidenceError(f"unknown virtual patient {name!r}: neither a preset nor in "
                            f"{PATIENTS_FILE}") from None
    return preset, dict(preset.values)


def sized(model, values: dict[str, float]) -> dict[str, float]:
    """``values`` with its :data:`HEART_SIZE` entry (if any) applied to every parameter and
    removed.

    Examples
    --------
    >>> preset = get_preset("healthy")
    >>> m, x = preset.model, preset.vector()
    >>> v = sized(m, {**preset.values, HEART_SIZE: 0.5})
    >>> ratio = float(v["V_total"] / x[m.index("V_total")])
    >>> HEART_SIZE in v, ratio, bool(v["HR"] == x[m.index("HR")])
    (False, 0.5, True)
    """
    out = dict(values)
    s = out.pop(HEART_SIZE, None)
    if s is None:
        return out
    if not (np.isfinite(s) and s > 0):
        raise EvidenceError(f"{PATIENTS_FILE}: {HEART_SIZE!r} must be a positive number, "
                            f"not {s!r}")
    x = model.vector(out)  # every parameter, the model's defaults included
    return {p.name: float(x[i]) * float(s) ** _SIZE_EXPONENT.get(p.unit, 0)
            for i, p in enumerate(model.parameters)}


def _check_ramp(where: str, steps: tuple[InterventionStep, ...], ramp: dict) -> None:
    """A pump-speed ramp stays on the pump curve the model is fitted to: a row judged on
    extrapolated pump behaviour would check the extrapolation, not the model."""
    from twinviewer.interventions.devices import PUMP_CURVE_RPM

    try:
        r0, r1, dr = (float(ramp[k]) for k in ("from", "to", "step"))
    except (TypeError, ValueError):
        raise EvidenceError(f"{where}: 'ramp' from, to and step must be numbers") from None
    if not (dr > 0 and r1 > r0):
        raise EvidenceError(f"{where}: 'ramp' must rise (from {r0:g} to {r1:g} by {dr:g})")
    lo, hi = PUMP_CURVE_RPM
    if ramp["setting"] == "speed" and any(s.name == "lvad" for s in steps) and not (
            lo <= r0 and r1 <= hi):
        raise EvidenceError(f"{where}: ramp {r0:g}–{r1:g} rpm leaves the pump curve the "
                            f"model is fitted to ({lo:g}–{hi:g} rpm)")


def row_metrics(row: Row) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """(before, after, per-step change) metrics of one row run against the model, as the
    row is judged: for a ramp row, before and after are the first and the last speed.
    Raises :class:`EvidenceError` (or the engine's error) when it cannot be run.

    Examples
    --------
    >>> row = next(r for r in load_rows() if r.id == "dobutamine-10")
    >>> before, after, _ = row_metrics(row)
    >>> bool(after["CO"] > before["CO"])
    True
    """
    preset, values = patient_values(row.patient)
    model = preset.model
    values.update(row.overrides)
    try:
        p0 = model.vector(values)
    except ModelError as exc:
        raise EvidenceError(f"virtual patient {row.patient!r}: {exc}") from None
    base_r, base = _simulate(model, p0, None, f"virtual patient {row.patient!r}")
    reg = base_r if check_mode(row.regulation) == "regulated" else None
    held = held_parameters(Scenario(row.id, row.steps))
    per_step: dict[str, float] = {}
    lvef = lvef_of(base_r)  # the resting sympathetic support of a β-blocked member
    if row.ramp is None:
        P = apply_scenario(model, p0, Scenario(row.id, row.steps), point=True,
                           baseline_lvef=lvef)
        _, after = _simulate(model, P, base_r.final_state,
                             f"virtual patient {row.patient!r} after {row.title}", reg, held)
    else:
        r0, r1, dr = (float(row.ramp[k]) for k in ("from", "to", "step"))
        speeds = np.arange(r0, r1 + 0.5 * dr, dr)
        runs, warm = [], base_r.final_state
        for sp in speeds:
            steps = tuple(InterventionStep(s.name, {**s.settings, row.ramp["setting"]: sp})
                          for s in row.steps)
            P = apply_scenario(model, p0, Scenario(row.id, steps), point=True,
                               baseline_lvef=lvef)
            r, m = _simulate(model, P, warm, f"virtual patient {row.patient!r} at "
                             f"{row.ramp['setting']} = {sp:g}", reg, held)
            warm = r.final_state
            runs.append(m)
        after = runs[-1]
        base = runs[0]
        for key in after:
            per_step[key] = (after[key] - base[key]) / (len(speeds) - 1)
    return base, after, per_step


def miss(v: Variable, before: dict[str, float], after: dict[str, float], tolerance: float,
         per_step: float | None = None) -> float:
    """How far a variable lies from its source, in units of its tolerance: within it
    (the variable passes) when ``abs(miss) <= 1``. The least-squares refit of fitted
    magnitudes (:mod:`twinviewer.interventions.refit`) minimises the sum of its squares.

    Examples
    --------
    >>> v = Variable("CO", "relative", before=3.1, after=5.6)
    >>> round(miss(v, {"CO": 3.0}, {"CO": 5.4}, 0.35), 2)  # +80 % for a reported +81 %
    -0.02
    """
    b, a = before[v.metric], after[v.metric]
    rel = a / b - 1.0 if b != 0 else float("nan")
    if v.kind in ("relative", "absolute", "per_step"):
        exp = (v.after / v.before - 1.0 if v.kind == "relative"
               else v.after - v.before if v.kind == "absolute" else v.after)
        got = (rel if v.kind == "relative" else a - b if v.kind == "absolute"
               else per_step if per_step is not None else float("nan"))
        return (got - exp) / (tolerance * abs(exp))
    if v.kind == "value":
        return (a - v.after) / (tolerance * abs(v.after))
    if v.kind == "unchanged":
        return rel / v.band
    band = 0.01 if v.band is None else v.band
    if v.kind in ("up", "down"):
        # A direction has no reported size: a relative change of DIRECTION_SCALE the wrong
        # way counts as one tolerance.
        short = band - rel if v.kind == "up" else rel + band  # > 0: not far enough
        return max(short, 0.0) / DIRECTION_SCALE
    over = a - v.after if v.kind == "at_most" else v.after - a
    return max(over, 0.0) / abs(v.after)


def _run_row(row: Row) -> RowResult:
    base, after, per_step = row_metrics(row)
    results = [_judge(v, base, after, row.tolerance, per_step.get(v.metric))
               for v in row.variables]
    decisive = [x for x in results if x.variable.role != "input"]
    if not decisive:
        raise EvidenceError("every variable is an input: nothing is checked")
    ok = all(x.passed for x in decisive)
    failed = [x.variable.reported_as or x.variable.metric for x in decisive if not x.passed]
    status = ("unsourced" if not row.sourced else "pass" if ok else "fail")
    msg = "" if ok else f"outside tolerance: {', '.join(failed)}"
    return RowResult(row, status, results, msg)


def run_evidence(rows: Iterable[Row] | None = None,
                 progress: Callable[[float, str], None] | None = None,
                 regulation: str | None = None) -> list[RowResult]:
    """Run every row (all files by default), each in its own regulation mode unless
    ``regulation`` ('acute' or 'regulated') is given."""
    rows = list(load_rows() if rows is None else rows)
    out = []
    for k, row in enumerate(rows):
        if progress is not None:
            progress(k / max(len(rows), 1), f"evidence row {row.id}")
        out.append(run_row(row, regulation))
    return out


def consistency_passes(results: Iterable[RowResult]) -> int:
    """Passing rows whose checked variables were used to fit the magnitudes they check
    (``fitted``): consistency, not independent prediction."""
    return sum(r.status == "pass" and bool(r.row.fitted) for r in results)


def pass_rate(results: Iterable[RowResult]) -> tuple[int, int, int]:
    """(passed, failed, unsourced) rows."""
    results = list(results)
    return (sum(r.status == "pass" for r in results), sum(r.status == "fail" for r in results),
            sum(r.status == "unsourced" for r in results))
