"""The project's validation checks, run and recorded for model cards.

Four groups:

* ``regazzoni2022``: the published Regazzoni et al. 2022 limit cycle and one what-if
  (REFERENCE.md), reproduced by the engine within stated tolerances;
* ``presets``: every preset graded against the clinical criteria it claims
  (ESC/EACTS, ASE; normal adult ranges);
* ``svzerod import``: the svZeroDSolver reference cases reproduced by the importer
  (when :mod:`twinviewer.physiology.svzerod` and the reference data are present);
* ``evidence``: every row of the intervention evidence table
  (:mod:`twinviewer.interventions.evidence_table`) whose virtual patient uses this model;
  UNSOURCED rows are shown as skipped, never as passed.

Results take seconds, so they are cached as JSON under the user cache directory, keyed by
the model's name and equation hash (and the checks' own version).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twinviewer.core.atomic import atomic_write_bytes
from twinviewer.physiology import PRESETS, ModelSpec, simulate
from twinviewer.physiology.virtual_hearts import criteria_table

if TYPE_CHECKING:
    from twinviewer.interventions.evidence_table import RowResult

#: Bump when the checks change, so old cached results are not reused.
CHECKS_VERSION = 7  # 3: every model's report carries the regazzoni2022 reference; 4: evidence
#: checks carry their variables structured; 5: and their title and interpolation note; 6: a
#: twin of an earlier version of its model is judged on that version (3.0 beside 3.1); 7: a
#: failed evidence row carries why it fails

#: (metric or series extreme, published value, tolerance, unit). Two independent
#: implementations agree to 0.1 mL / 0.1 mmHg; the tolerance allows the integrator's step.
REGAZZONI_TABLE: tuple[tuple[str, float, float, str], ...] = (
    ("LVEDV", 136.8, 0.2, "mL"), ("LVESV", 67.0, 0.2, "mL"), ("LVSV", 69.9, 0.2, "mL"),
    ("LVEF", 51.0, 0.2, "%"), ("CO", 5.24, 0.02, "L/min"),
    ("min p_LV", 10.0, 0.2, "mmHg"), ("max p_LV", 119.8, 0.2, "mmHg"),
    ("SBP", 118.8, 0.2, "mmHg"), ("DBP", 79.9, 0.2, "mmHg"), ("MAP", 99.9, 0.2, "mmHg"),
    ("RVEDV", 181.5, 0.2, "mL"), ("RVESV", 111.7, 0.2, "mL"),
    ("min p_AR_PUL", 18.5, 0.2, "mmHg"), ("max p_AR_PUL", 21.4, 0.2, "mmHg"),
    ("min p_LA", 13.7, 0.2, "mmHg"), ("max p_LA", 18.2, 0.2, "mmHg"),
)
#: LV EA +30 % on the same model (REFERENCE.md "sanity what-ifs").
REGAZZONI_WHATIF: tuple[tuple[str, float, float, str], ...] = (
    ("LVEF", 53.9, 0.2, "%"), ("CO", 5.43, 0.02, "L/min"), ("SBP", 122.8, 0.2, "mmHg"),
)

#: Preset → (metric, low, high) criteria it must meet (None: unbounded side).
PRESET_CRITERIA: dict[str, tuple[tuple[str, float | None, float | None], ...]] = {
    "healthy": (("HR", 60, 80), ("SBP", 110, 130), ("DBP", 70, 85), ("MAP", 90, 100),
                ("LVEDV", 120, 150), ("LVESV", 40, 60), ("LVEF", 55, 70), ("LVSV", 60, 100),
                ("CO", 4, 8), ("LVEDP", 5, 12), ("CVP", 2, 6), ("PASP", 15, 30),
                ("PADP", 4, 12), ("LAP", 6, 12)),
    "regazzoni2022": (("LVEF", 50.8, 51.2),),
    "moderate_as": (("AV.EOA", 1.0, 1.5), ("AV_mean_gradient", 20, 40)),
    "severe_as": (("AV.EOA", None, 1.0), ("AV_mean_gradient", 40, None),
                  ("AV_peak_velocity", 4.0, None)),
}
# The virtual-heart library declares its own grading (ESC/ASE; Qp:Qs for shunts), and for
# severe_mr and hfref their blood pressure too (fix15d: a copy here without it won).
PRESET_CRITERIA.update({k: v for k, v in criteria_table().items() if k not in PRESET_CRITERIA})


@dataclass(frozen=True)
class Check:
    """One validation check."""

    group: str
    name: str
    passed: bool | None  # None: skipped
    detail: str
    #: An evidence row's variables as judged, structured (so a reader never splits
    #: ``detail``, whose source text may hold "; " or "): "): each a dict with
    #: ``variable`` (as the source reports it), ``expected``, ``got`` and ``passed``.
    variables: list[dict] = field(default_factory=list)
    #: The check in words for a reader (an evidence row's title; ``name`` is its id).
    title: str = ""
    #: Said beside the result: how the expectations were made when the source does not
    #: report the setting itself (an interpolation between two of its steps).
    note: str = ""
    #: Why a failed evidence row fails, as measured (empty otherwise).
    why: str = ""

    @property
    def shown(self) -> str:
        """The check's name as a reader sees it: its title, else its name.

        Examples
        --------
        >>> Check("evidence", "savr_perimount-19", False, "", title="Perimount 19 mm").shown
        'Perimount 19 mm'
        """
        return self.title or self.name


@dataclass
class ValidationReport:
    """All checks that apply to one model."""

    model_name: str
    equation_hash: str
    checks: list[Check] = field(default_factory=list)
    ran_at: str = ""
    seconds: float = 0.0
    from_cache: bool = False

    @property
    def n_passed(self) -> int:
        return sum(c.passed is True for c in self.checks)

    @property
    def n_failed(self) -> int:
        return sum(c.passed is False for c in self.checks)

    @property
    def n_skipped(self) -> int:
        return sum(c.passed is None for c in self.checks)

    def groups(self) -> dict[str, tuple[int, int, int]]:
        """Group → (passed, failed, skipped)."""
        out: dict[str, list[int]] = {}
        for c in self.checks:
            g = out.setdefault(c.group, [0, 0, 0])
            g[0 if c.passed is True else 1 if c.passed is False else 2] += 1
        return {k: tuple(v) for k, v in out.items()}

    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.passed is False]

    def to_dict(self) -> dict:
        return {"model_name": self.model_name, "equation_hash": self.equation_hash,
                "checks_version": CHECKS_VERSION, "ran_at": self.ran_at,
                "seconds": self.seconds, "checks": [asdict(c) for c in self.checks]}

    @classmethod
    def from_dict(cls, d: dict) -> ValidationReport:
        return cls(d["model_name"], d["equation_hash"],
                   [Check(**c) for c in d["checks"]], d.get("ran_at", ""),
                   float(d.get("seconds", 0.0)), True)


def _value(results, key: str) -> float:
    if key.startswith(("min ", "max ")):
        series = results.series[key[4:]][0]
        return float(np.min(series) if key.startswith("min") else np.max(series))
    return float(results.metrics[key][0])


def _table_checks(group: str, results, table, label: str) -> list[Check]:
    out = []
    for key, ref, tol, unit in table:
        got = _value(results, key)
        ok = bool(np.isfinite(got) and abs(got - ref) <= tol)
        out.append(Check(group, f"{label}{key}", ok,
                         f"{got:.2f} vs published {ref} {unit} (tolerance ±{tol})"))
    return out


def regazzoni_checks(model: ModelSpec) -> list[Check]:
    """The published limit cycle and the LV EA +30 % what-if."""
    base = model.default_vector()
    res = simulate(model, base)
    checks = _table_checks("regazzoni2022", res, REGAZZONI_TABLE, "")
    whatif = base.copy()
    whatif[model.index("LV.EA")] *= 1.3
    res2 = simulate(model, whatif, warm_start=res.final_state)
    checks += _table_checks("regazzoni2022", res2, REGAZZONI_WHATIF, "LV EA +30 %: ")
    return checks


def preset_checks(model: ModelSpec) -> list[Check]:
    """Each preset of this model against its clinical criteria."""
    out = []
    for name, preset in PRESETS.items():
        if preset.model.name != model.name:
            continue
        crit = PRESET_CRITERIA.get(name)
        if crit is None:
            out.append(Check("presets", name, None, "no grading criteria declared"))
            continue
        vec = preset.vector()
        res = simulate(model, vec)
        fails, parts = [], []
        for key, lo, hi in crit:
            v = (float(vec[model.index(key)]) if key in model.parameter_names
                 else float(res.metrics[key][0]))
            ok = np.isfinite(v) and (lo is None or v >= lo) and (hi is None or v <= hi)
            rng = f"{'' if lo is None else lo}–{'' if hi is None else hi}"
            parts.append(f"{key} {v:.3g} ({rng})")
            if not ok:
                fails.append(key)
        detail = ", ".join(parts)
        if fails:
            detail = f"outside criteria: {', '.join(fails)}; " + detail
        out.append(Check("presets", f"{name} graded as {preset.title.lower()}", not fails,
                         detail))
    return out


def svzerod_data_dir() -> Path | None:
    """The svZeroDSolver reference cases shipped with the repository's tests, if present."""
    env = os.environ.get("TWINVIEWER_SVZEROD_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[2] / "tests" / "data" / "svzerodsolver"
    return here if here.is_dir() else None


def svzerod_checks() -> list[Check]:
    """The importer against svZeroDSolver's stored results (|Δ| ≤ 1e-6·range + 1e-10)."""
    try:
        from twinviewer.physiology import svzerod
    except ImportError:
        return []
    data = svzerod_data_dir()
    if data is None or not (data / "cases").is_dir():
        return [Check("svzerod import", "reference cases", None,
                      "svZeroDSolver reference data not installed")]
    out = []
    for case in sorted((data / "cases").glob("*.json")):
        ref_file = data / "results" / f"result_{case.stem}.json"
        if not ref_file.is_file():
            out.append(Check("svzerod import", case.stem, None, "no stored result"))
            continue
        ref = json.loads(ref_file.read_text())
        try:
            got = svzerod.simulate(case)
        except Exception as exc:  # noqa: BLE001 - a failing case is a failed check
            out.append(Check("svzerod import", case.stem, False, f"failed to run: {exc}"))
            continue
        vessel = ref["columns"] != ["y"]
        worst, ok = 0.0, True
        for name, cols in ref["values"].items():
            for col, expected in cols.items():
                key = f"{col}:{name}" if vessel else name
                expected = np.asarray(expected)
                if key not in got:
                    ok = False
                    continue
                bound = 1e-6 * np.ptp(expected) + 1e-10
                err = float(np.max(np.abs(got[key] - expected)))
                worst = max(worst, err / bound)
                ok &= err <= bound
        out.append(Check("svzerod import", case.stem, bool(ok),
                         f"largest error {worst:.2g} × tolerance"))
    return out


def evidence_checks(model: ModelSpec) -> list[Check]:
    """The evidence-table rows whose virtual patient runs on ``model``: passed, failed, or
    skipped (None) when UNSOURCED."""
    from twinviewer.interventions.evidence_table import (
        EvidenceError,
        load_rows,
        patient_values,
        run_row,
    )

    try:
        rows = load_rows()
    except EvidenceError as exc:
        return [Check("evidence", "evidence table", False, str(exc))]
    import contextlib

    from twinviewer.physiology.presets import VALVE_MODELS, valve_model

    # a twin of an earlier version (3.0 beside the default 3.1: one model name) is judged on
    # its own equations: its rows' patients are built on that version (review9b #2)
    kind = next((k for k, m in VALVE_MODELS.items()
                 if m.equation_hash == model.equation_hash), None)
    out = []
    with valve_model(kind) if kind is not None else contextlib.nullcontext():
        for row in rows:
            try:
                preset, _ = patient_values(row.patient)
            except EvidenceError as exc:
                out.append(Check("evidence", row.id, False, str(exc)))
                continue
            if preset.model.equation_hash != model.equation_hash:
                continue
            out.append(row_check(run_row(row)))
    return out


def row_check(res: RowResult) -> Check:
    """An evidence row's result as a validation check: its text for the CLI, and its
    variables structured for readers that show only what failed (the PDF model card).

    Examples
    --------
    >>> from twinviewer.interventions.evidence_table import load_rows, run_row
    >>> row = next(r for r in load_rows() if r.id == "dobutamine-8-postop")
    >>> [v["variable"] for v in row_check(run_row(row)).variables][:2]
    ['CI', 'HR']
    """
    row = res.row
    parts = [f"{v.variable.reported_as or v.variable.metric}: expected {v.expected}, got "
             f"{v.got}{'' if v.passed else ' ✗'}" for v in res.variables]
    detail = f"{row.title} ({row.source}): " + "; ".join(parts)
    if res.message:
        detail = f"{res.message}; {detail}"
    if row.fitted:
        detail += f"; consistency, not prediction (fitted to this row: {row.fitted})"
    passed = None if res.status == "unsourced" else res.status == "pass"
    judged = [{"variable": v.variable.reported_as or v.variable.metric,
               "expected": v.expected, "got": v.got, "passed": bool(v.passed)}
              for v in res.variables]
    note = f"expectations interpolated {row.interpolated}" if row.interpolated else ""
    if note:
        detail += f"; {note}"
    if res.why:
        detail += f"; why: {res.why}"
    return Check("evidence", row.id, passed, detail, judged, row.title, note, res.why)


def evidence_digest() -> str:
    """Hash of the evidence files and of the intervention code that runs them (drug
    magnitudes, baroreflex), so cached results follow edits of either."""
    import hashlib

    from twinviewer.interventions.evidence_table import EVIDENCE_DIR

    h = hashlib.sha256()
    files = sorted(EVIDENCE_DIR.glob("*.json")) + sorted(EVIDENCE_DIR.parent.glob("*.py"))
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def run_validation(model: ModelSpec, progress: Callable[[float, str], None] | None = None,
                   *, evidence: bool = False) -> ValidationReport:
    """Run the reference checks that apply to ``model`` (no cache); with ``evidence`` also
    the evidence table (as :func:`validation_report` does)."""
    t0 = time.perf_counter()
    from twinviewer.physiology import MODELS

    # The engine reproducing the published Regazzoni 2022 loop is part of every model's
    # validation (the engine and solver are shared), so every summary line names it.
    reference = model if model.name == "regazzoni2022" else MODELS.get("regazzoni2022")
    steps: list[tuple[str, Callable[[], list[Check]]]] = []
    if reference is not None:
        steps.append(("Regazzoni 2022 table", lambda: regazzoni_checks(reference)))
    steps += [("presets", lambda: preset_checks(model)), ("svZeroDSolver cases", svzerod_checks)]
    if evidence:
        steps.append(("evidence table", lambda: evidence_checks(model)))
    checks: list[Check] = []
    for k, (label, fn) in enumerate(steps):
        if progress is not None:
            progress(k / len(steps), f"validation: {label}")
        checks += fn()
    return ValidationReport(model.name, model.equation_hash, checks,
                            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                            time.perf_counter() - t0)


def cache_dir() -> Path:
    """Where validation results are cached (``TWINVIEWER_CACHE_DIR`` overrides)."""
    env = os.environ.get("TWINVIEWER_CACHE_DIR")
    if env:
        return Path(env) / "validation"
    import platformdirs

    return Path(platformdirs.user_cache_dir("twinviewer")) / "validation"


def cache_path(model: ModelSpec, directory: Path | None = None, evidence: bool = True) -> Path:
    d = directory if directory is not None else cache_dir()
    tail = evidence_digest() if evidence else "reference"
    return d / f"{model.name}-{model.equation_hash}-v{CHECKS_VERSION}-{tail}.json"


def validation_report(model: ModelSpec, *, directory: Path | None = None,
                      refresh: bool = False,
                      progress: Callable[[float, str], None] | None = None,
                      evidence: bool = True) -> ValidationReport:
    """Cached validation results of ``model``, the evidence table included: run once per
    equation hash and evidence-table version.

    A cache file that cannot be read (corrupt, wrong model) is ignored and rewritten.
    """
    path = cache_path(model, directory, evidence)
    if not refresh and path.is_file():
        try:
            rep = ValidationReport.from_dict(json.loads(path.read_text()))
            if rep.model_name == model.name and rep.equation_hash == model.equation_hash:
                return rep
        except (ValueError, KeyError, TypeError):
            pass
    rep = run_validation(model, progress)
    if evidence:
        rep.checks += evidence_checks(model)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, json.dumps(rep.to_dict(), indent=1).encode("utf-8"))
    except OSError:
        pass  # a read-only cache only costs a re-run next time
    return rep
