"""Headless pipeline on saved twins: create a .twin from DICOM, calibrate it, add what-ifs.

Each step reads the twin file, does its work through the same functions as the viewer
(:func:`~twinviewer.imaging.study.import_study`,
:func:`~twinviewer.personalize.calibrate.calibrate`,
:func:`~twinviewer.interventions.compare.run_scenarios`), records what it did in the twin's
audit trail and writes the file back atomically (an encrypted twin stays encrypted, with
the passphrase from ``TWINVIEWER_PASSPHRASE``). A failed step leaves the file as it was.

Commands: ``twinviewer twin create`` (here), ``twinviewer calibrate PATIENT.twin`` and
``twinviewer whatif PATIENT.twin`` (their CLIs call :func:`calibrate_file` and
:func:`whatif_file`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twinviewer import RESEARCH_USE
from twinviewer.core.twin import Scenario, Twin

PASSPHRASE_ENV = "TWINVIEWER_PASSPHRASE"


class PipelineError(ValueError):
    """Bad input to a pipeline step; the message names the file or value."""


@dataclass
class StepResult:
    """What a pipeline step did (for the ``--json`` output)."""

    path: Path
    twin: Twin
    summary: dict = field(default_factory=dict)
    text: list[str] = field(default_factory=list)


# -- files -------------------------------------------------------------------------------

def _passphrase_for(path: Path) -> str | None:
    from twinviewer.io import crypto

    with open(path, "rb") as fh:
        if not crypto.is_encrypted(fh.read(len(crypto.MAGIC))):
            return None
    secret = os.environ.get(PASSPHRASE_ENV)
    if not secret:
        raise PipelineError(f"{path.name} is encrypted: set {PASSPHRASE_ENV} to its passphrase")
    return secret


def read_twin(path: Path | str):
    """Load a .twin file for a pipeline step: (document, passphrase or None)."""
    from twinviewer.io.errors import TwinFileError
    from twinviewer.io.twinfile import load_twin

    path = Path(path)
    if path.suffix != ".twin":
        raise PipelineError(f"{path.name}: expected a .twin file")
    if not path.is_file():
        raise PipelineError(f"{path.name}: no such twin file")
    secret = _passphrase_for(path)
    try:
        return load_twin(path, passphrase=secret), secret
    except TwinFileError as exc:
        raise PipelineError(str(exc)) from None


def _results_cache(doc_results: dict, keep: Sequence[str] = ()) -> dict:
    return {k: v for k, v in doc_results.items() if k in keep}


# -- create ------------------------------------------------------------------------------

def _graft_meshes(anatomy, folder: Path, mapping: Path | None) -> int:
    """Add the surface meshes of ``folder`` to structures the labels did not mesh."""
    from twinviewer.core.anatomy import Structure
    from twinviewer.core.measurement import Measurement
    from twinviewer.imaging.errors import ImagingError
    from twinviewer.imaging.segmentation import MESH_SUFFIXES, display, mapping_from, read_mesh

    files = sorted(p for p in folder.rglob("*") if p.name.lower().endswith(MESH_SUFFIXES))
    if not files:
        raise PipelineError("--meshes: the folder given holds no mesh files "
                            "(VTP/VTK/STL/OBJ/PLY)")
    user_map = mapping_from(mapping)
    phase = anatomy.image.ed_index if anatomy.image is not None else 0
    added = 0
    for p in files:
        try:
            key, mesh = read_mesh(p, mapping=user_map, notes=anatomy.notes)
        except ImagingError as exc:  # name the file, not the folder it sits in
            text = str(exc).replace(str(folder) + os.sep, "").replace(str(folder), "")
            raise PipelineError(f"--meshes: {text}") from None
        name, color = display(key)
        s = anatomy.structures.setdefault(key, Structure(key, name, color))
        if phase in s.meshes:
            anatomy.notes.append(f"{p.name}: {key} already meshed from labels; not used")
            continue
        s.meshes[phase] = mesh
        s.volumes[phase] = Measurement(f"{key} volume", mesh.volume_ml(), "mL", 0.0,
                                       "imported mesh")
        added += 1
    return added


def create_twin(dicom: Path, output: Path, *, meshes: Path | None = None,
                mapping: Path | None = None, measurements: Path | None = None,
                preset: str | None = None, members: int = 200, seed: int = 0,
                accept_misfit: bool = False) -> StepResult:
    """Import a DICOM study, calibrate a twin to it and save it.

    Parameters
    ----------
    dicom
        Study folder (DICOM images and any SEG/NIfTI/meshes inside).
    output
        The ``.twin`` file to write (refused if it exists: nothing the user made is lost).
    meshes, mapping
        Extra surface meshes and a segment-name mapping JSON.
    measurements
        Clinical measurements (``twinviewer.measurements/1``); the image-derived volumes are
        used as well. Without any measurement the twin keeps its prior ensemble.
    preset
        The virtual patient the prior is centred on (one of
        :data:`~twinviewer.personalize.disease.DISEASE_PRIORS`); None (default) chooses it
        from the measurements (:func:`~twinviewer.personalize.disease.choose_prior`:
        healthy if none points to a disease). The choice and its reason are in
        ``summary["calibration"]["prior"]``.
    accept_misfit
        Keep the calibrated twin although a fitted measurement is not reproduced (missed by
        |z| > 3, :data:`~twinviewer.personalize.calibrate.Z_REFUSE`; refused with
        :class:`~twinviewer.personalize.calibrate.MisfitError` otherwise); every miss by
        |z| > 2 stays flagged in the fit's status and the file.

    Examples
    --------
    >>> create_twin(Path("study"), Path("patient.twin"))  # doctest: +SKIP
    """
    from twinviewer.imaging.errors import ImagingError
    from twinviewer.imaging.study import import_study
    from twinviewer.io import audit_log
    from twinviewer.io.measurement_audit import record_twin_measurements
    from twinviewer.io.verified_save import save_twin_verified
    from twinviewer.personalize.calibrate import calibrate, calibration_record, updated_twin
    from twinviewer.personalize.disease import AUTO, DISEASE_PRIORS
    from twinviewer.personalize.measurements import load_measurements
    from twinviewer.personalize.predictive_width import (
        format_widths,
        unmeasured_widths,
        widths_dict,
    )
    from twinviewer.twins import simulate_twin, twin_from_preset

    output = Path(output)
    if output.suffix != ".twin":
        raise PipelineError(f"-o {output.name}: the output must be a .twin file")
    if output.exists():
        raise PipelineError(f"-o {output.name}: exists; choose another name (it is never "
                            f"overwritten by 'twin create')")
    if not output.parent.is_dir():
        raise PipelineError(f"-o {output.name}: its folder does not exist")
    # folders are not named in messages: a study folder's name may identify the patient
    if not Path(dicom).is_dir():
        raise PipelineError("--dicom: the folder given does not exist")
    if meshes is not None and not Path(meshes).is_dir():
        raise PipelineError("--meshes: the folder given does not exist")
    if mapping is not None and not Path(mapping).is_file():
        raise PipelineError(f"--mapping: file {Path(mapping).name!r} not found")
    if members < 2:
        raise PipelineError(f"--members {members}: need at least 2")
    if preset is not None and preset not in DISEASE_PRIORS:
        # another preset would be calibrated under a prior named after the healthy one
        raise PipelineError(f"--preset {preset}: the prior of an imported twin is one of "
                            f"{', '.join(DISEASE_PRIORS)}; leave --preset out to choose it "
                            "from the measurements")
    ms = load_measurements(measurements) if measurements is not None else []
    try:
        anatomy = import_study(Path(dicom), mapping=mapping)
    except ImagingError as exc:
        raise PipelineError(f"--dicom: {exc}") from None
    grafted = _graft_meshes(anatomy, Path(meshes), mapping) if meshes is not None else 0
    twin = twin_from_preset(preset or "healthy", n=members, seed=seed, anatomy=anatomy,
                            pseudonym=anatomy.pseudonym)
    twin.origin = "import"
    log = audit_log(twin)
    log.record(twin, "import", {
        "structures": sorted(anatomy.structures),
        "measurements": [m.name for m in anatomy.measurements],
        "phases": anatomy.image.n_phases if anatomy.image is not None else 0,
        "meshes_added": grafted, "preset": preset or AUTO, "command": "twin create"})
    text = [f"imported {anatomy.pseudonym}: {len(anatomy.structures)} structures, "
            f"{len(anatomy.measurements)} image measurements"]
    summary: dict = {"pseudonym": anatomy.pseudonym, "structures": sorted(anatomy.structures),
                     "image_measurements": [m.name for m in anatomy.measurements],
                     "notes": list(anatomy.notes)}
    if ms or anatomy.measurements:
        result = calibrate(twin, ms, n=members, seed=seed, prior=preset or AUTO)
        new = updated_twin(twin, result, accept_misfit=accept_misfit)
        rows = unmeasured_widths(result)  # F21: how much the data narrowed each prediction
        widths = widths_dict(rows)
        # each measurement given is its own event, before the calibration that used it
        record_twin_measurements(twin, new, command="twin create")
        audit_log(new).record(new, "calibration",
                              calibration_record(result, command="twin create",
                                                 unmeasured_informed=widths))
        twin, results = new, result.results
        summary["calibration"] = {"calibrated": list(result.calibrated),
                                  "measurements": [m.name for m in result.measurements],
                                  "flagged": [r.name for r in result.flagged],
                                  "converged": bool(result.convergence.converged),
                                  "volume_curves": [c.to_dict() for c in result.curve_fit],
                                  "prior": result.to_dict()["prior"],
                                  "unmeasured_informed": widths}
        text.append(f"prior: {result.prior_choice.describe()}")
        # the one account `info`, the PDF and the Calibrate step print, read from the record
        # just written (review9b #4, review13 #9: this said "12 of 12", they "6 of 12")
        from twinviewer.io.measurement_use import measurement_counts
        from twinviewer.personalize.parameter_count import counts_text

        given = measurement_counts(twin, audit_log(twin).entries)
        summary["calibration"]["account"] = given.calibration_text()
        text.append(f"{given.text()} ({members} posterior members); parameters: "
                    f"{counts_text(result.provenance, result.parameter_names)}")
        text.append(f"fit: {result.status_line()}")  # misfit is never silent
        text += [f"poor fit: {m}" for m in result.misfits]
        summary["calibration"]["status"] = result.status_line()
        summary["calibration"]["misfits"] = list(result.misfits)
        text += [f"fitted the whole {c.text()}" for c in result.curve_fit]
        text += format_widths(rows).splitlines()
        # e.g. image-derived LVEF left out because its volumes were replaced: say so
        summary["calibration"]["warnings"] = list(result.warnings)
        text += [f"warning: {w}" for w in result.warnings]
    else:
        results = simulate_twin(twin)
        text.append(f"no measurements: the twin keeps its {preset or 'healthy'} prior ensemble "
                    "(not calibrated)")
    save_twin_verified(output, twin, results={"baseline": results})
    return StepResult(output, twin, summary, text)


# -- calibrate a saved twin -----------------------------------------------------------------

def calibrate_file(path: Path | str, measurements: Path | str | None, *, n: int | None = None,
                   seed: int = 0, iterations: int = 20, day: int | None = None,
                   volume_curve: str = "auto", prior: str = "auto",
                   accept_misfit: bool = False):
    """Calibrate the twin in ``path`` to a measurement file and write it back (audited).

    A twin already calibrated starts from its posterior; on the day of its last visit (a
    re-calibration) from the prior that visit started from, and the visit is replaced (see
    :mod:`twinviewer.personalize.revisit`), so the same data are never counted twice.
    ``day`` is the visit's day offset from the first visit; default: the last visit's day
    (a re-calibration of that visit, so no time gap feeds the drift prior), 0 for a twin
    never calibrated. The random-walk drift of the prior follows the gap
    (:func:`~twinviewer.personalize.timeline.drift_for`).
    ``measurements`` None uses the twin's stored and image-derived measurements.
    ``volume_curve``: 'auto' (the whole LV/RV volume curves of the twin's 4D images at its
    first calibration), 'on' (required: refused if the twin has none) or 'off'.
    ``prior``: the prior's centre at a first calibration ('auto': chosen from the
    measurements; see :func:`~twinviewer.personalize.calibrate.calibrate`; the heart's size
    is a parameter of that prior, :mod:`~twinviewer.personalize.heart_size`).

    The twin's stored scenarios keep their definitions; their results, computed on the old
    ensemble, are recomputed on the new posterior (:func:`_rerun_scenarios`). A scenario that
    cannot be recomputed loses its result, and the step says which and why.
    ``StepResult.text`` holds those lines; ``summary["scenario_results"]`` the lists.
    Returns (StepResult, CalibrationResult).
    """
    from twinviewer.io import audit_log
    from twinviewer.io.measurement_audit import record_twin_measurements
    from twinviewer.io.verified_save import save_twin_verified
    from twinviewer.personalize.calibrate import calibrate, calibration_record, updated_twin
    from twinviewer.personalize.measurements import load_measurements
    from twinviewer.personalize.predictive_width import unmeasured_widths, widths_dict
    from twinviewer.personalize.revisit import before_last_visit
    from twinviewer.personalize.timeline import drift_for
    from twinviewer.personalize.volume_curve import curves_of

    path = Path(path)
    ms = load_measurements(measurements) if measurements is not None else None
    from twinviewer.io.disk_stamp import DiskStamp

    read_at = DiskStamp.of(path)  # another writer meanwhile is never overwritten
    doc, secret = read_twin(path)
    twin = doc.twin
    curves = {"auto": "auto", "off": None}.get(volume_curve)
    if volume_curve == "on":
        curves = curves_of(twin.anatomy)
        if not curves:
            raise PipelineError(f"--volume-curve: {path.name} holds no timed volume curve (a 4D "
                                "segmentation or mesh series of ≥ 3 phases with a known R-R)")
    n = n or int(twin.ensemble.shape[0])
    last = twin.visits[-1].day if twin.visits else None
    if day is None:
        day = 0 if last is None else last
    if last is not None and day < last:
        raise PipelineError(f"--day {day} is before the last visit (day {last}); visits are "
                            "kept in time order")
    redo = last is not None and day == last
    note = ""
    replaced = None
    if redo:
        # the same day again: re-do that visit from the prior it started from, replacing it,
        # never fit the same data a second time on top of its own posterior
        replaced = twin.visits[-1]
        try:
            twin, visit_ms, note = before_last_visit(twin)
        except ValueError as exc:
            raise PipelineError(f"{path.name}: {exc}") from None
        if ms is not None:  # this visit's earlier data stay unless the file re-measures them
            given = {m.name for m in ms}
            ms = [m for m in visit_ms if m.name not in given] + list(ms)
        last = twin.visits[-1].day if twin.visits else None
    drift = 0.5 if last is None else drift_for(day - last)
    result = calibrate(twin, ms, n=n, seed=seed, max_iterations=iterations, drift=drift,
                       volume_curves=curves, prior=prior)
    if note:
        result.warnings.insert(0, note)
    label = (f"re-calibration of day {day}" if redo
             else f"calibration {len(twin.visits) + 1}")
    new = updated_twin(twin, result, day=day, label=label, accept_misfit=accept_misfit)
    from twinviewer.personalize.revisit import kept_visit_records
    from twinviewer.personalize.timeline import record_check

    # a later visit is prediction-checked and keeps its predictions, as `visit add` and the
    # GUI's Calibrate do (one path; a first or re-done visit has nothing to check against)
    record_check(twin, result, new)
    new = kept_visit_records(replaced, new)  # a re-done visit keeps its items/context/series
    # the cached scenario results belonged to the old ensemble: recompute them on the new one
    rerun, removed = _rerun_scenarios(new, result.results, doc.results)
    stale = {"recomputed": sorted(rerun), "removed": removed}
    record_twin_measurements(doc.twin, new, command="calibrate")
    audit_log(new).record(new, "calibration",
                          calibration_record(result, command="calibrate", day=day, drift=drift,
                                             replaces_visit=redo, scenario_results=stale,
                                             unmeasured_informed=widths_dict(
                                                 unmeasured_widths(result))))
    from twinviewer.interventions.constants_digest import with_digests
    from twinviewer.io.result_series import scenario_series

    save_twin_verified(path, new, results=with_digests({"baseline": result.results, **rerun},
                                                       new.scenarios),
                       series=scenario_series(rerun, {s.name for s in new.scenarios}),
                       passphrase=secret, unchanged_since=read_at)
    return StepResult(path, new, {"visits": len(new.visits), "scenario_results": stale},
                      _scenario_lines(path, rerun, removed)), result


def _rerun_scenarios(twin: Twin, baseline, cached: dict) -> tuple[dict, dict[str, str]]:
    """Results of ``twin``'s scenarios that had a cached result, simulated on ``baseline``
    (the new posterior): (name → Results, name → why its result was removed)."""
    from twinviewer.interventions.compare import run_scenarios
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.physiology import ModelError
    from twinviewer.twins import model_of

    stale = [s for s in twin.scenarios if s.name in cached]
    if not stale:
        return {}, {}
    try:
        return run_scenarios(model_of(twin), baseline, stale), {}
    except (InterventionError, ModelError, ValueError) as exc:
        return {}, {s.name: f"{type(exc).__name__}: {exc}" for s in stale}


def _scenario_lines(path: Path, rerun: dict, removed: dict[str, str]) -> list[str]:
    """What happened to the stored scenario results, for the calibrate output."""
    def results(n: int) -> str:
        return f"{n} scenario result{'s' if n > 1 else ''}", "were" if n > 1 else "was"

    lines = []
    if rerun:
        what, verb = results(len(rerun))
        lines.append(f"{what} computed on the previous calibration {verb} recomputed on the "
                     "new posterior: " + ", ".join(sorted(rerun)))
    if removed:
        what, verb = results(len(removed))
        lines.append(f"{what} computed on the previous calibration could not be recomputed "
                     f"and {verb} removed (the scenarios are kept): " + "; ".join(
                         f"{k} ({v})" for k, v in removed.items())
                     + f"; run `twinviewer whatif {path.name} -i …` to recompute them")
    return lines


# -- what-ifs on a saved twin ---------------------------------------------------------------

def whatif_file(path: Path | str, scenarios: Sequence[Scenario], metrics: Sequence[str], *,
                level: float = 0.9, goal=None, failed: dict[str, str] | None = None,
                hide_irrelevant: bool = False):
    """Run scenarios on the twin in ``path`` and write them and their results back (audited).
    ``hide_irrelevant``: leave out of the table a lesion's rows that no member has, baseline
    or what-if, and that were not measured (the default metric list; review15b #7).

    Scenarios of the same name are replaced. A ``goal``
    (:class:`~twinviewer.interventions.ranking.Goal`) the user ranks them by is kept in the
    file too (audited), so its report prints the ranking. Returns (StepResult,
    ScenarioTable, baseline, results). Given ``failed``, a scenario that is refused (e.g. too
    few members within the plausible range) is left out and ``failed[name]`` says why, the
    others are computed and written; if none can run, nothing is written.
    """
    from twinviewer.interventions.compare import run_scenarios, scenario_table
    from twinviewer.interventions.scenario import unique_name, untagged
    from twinviewer.io import audit_log
    from twinviewer.io.verified_save import save_twin_verified
    from twinviewer.twins import model_of, simulate_twin, with_stored_metrics

    path = Path(path)
    from twinviewer.io.disk_stamp import DiskStamp

    read_at = DiskStamp.of(path)  # another writer meanwhile is never overwritten
    doc, secret = read_twin(path)
    twin = doc.twin
    model = model_of(twin)
    # the same steps in the other response mode keep their own entry (the mode names them
    # apart); the same steps and mode replace the file's entry, also one stored under an old
    # tagged name ("… [baroreflex regulated]")
    scenarios = [unique_name(s, [e for e in twin.scenarios if e.regulation != s.regulation])
                 for s in scenarios]
    from twinviewer.explain.evidence_flags import scenario_evidence
    from twinviewer.personalize.shown import context_of_twin

    # the baseline the calibration summarised (the file's), members re-run for warm starts
    baseline = with_stored_metrics(simulate_twin(twin), doc.results.get("baseline"))
    # a model of another structure (a plug-in's) lacks some outputs: the default list drops
    # them (the caller names them), an explicit one is refused before any what-if is run
    absent = [m for m in metrics if m not in baseline.metrics]
    if absent and not hide_irrelevant:
        raise PipelineError(f"model {model.name!r} does not provide {', '.join(absent)}; "
                            f"it provides: {', '.join(baseline.metrics)}")
    metrics = [m for m in metrics if m not in absent]
    results = run_scenarios(model, baseline, scenarios, failed=failed)
    if failed:  # one refused scenario never costs the others theirs
        scenarios = [s for s in scenarios if s.name in results]
        if not scenarios:
            raise PipelineError("; ".join(failed.values()))  # nothing written
    # the one shown interval (model discrepancy on unmeasured outputs) and the failing
    # evidence rows of the interventions used, next to the result
    if hide_irrelevant:  # the default list: a lesion's rows only where a member has it
        from twinviewer.io.measurement_use import in_force
        from twinviewer.physiology.metrics import irrelevant_names

        hidden = irrelevant_names(model.parameter_names,
                                  [baseline.params, *(r.params for r in results.values())],
                                  in_force(twin))
        metrics = [m for m in metrics if m not in hidden]
    table = scenario_table(baseline, results, metrics, level=level,
                           predictive=context_of_twin(twin),
                           evidence=scenario_evidence(scenarios, baseline=baseline))
    from twinviewer.explain.validity import negative_atrial
    from twinviewer.interventions.compare import with_atrial

    # a mean LAP/CVP below 0 mmHg, with why (as the What-if panel and the report)
    table.flags = with_atrial(table.flags, baseline, results, negative_atrial)
    names = {s.name for s in scenarios} | {
        e.name for e in twin.scenarios for s in scenarios
        if e.regulation == s.regulation and untagged(e.name) == s.name}
    twin.scenarios = [s for s in twin.scenarios if s.name not in names] + list(scenarios)
    for sc in scenarios:
        audit_log(twin).record(twin, "scenario", {**sc.to_dict(), "regulation": sc.regulation,
                                                  "members": baseline.n, "command": "whatif"})
    if goal is not None and str(goal) != twin.goal:
        twin.goal = str(goal)
        audit_log(twin).record(twin, "scenario", {"goal": twin.goal, "command": "whatif"})
    cache = {k: v for k, v in doc.results.items() if k not in names and k != "baseline"}
    cache.update({"baseline": baseline, **results})
    from twinviewer.interventions.constants_digest import with_digests
    from twinviewer.io.result_series import scenario_series

    # the loops kept as the GUI keeps them, so the GUI draws them on open (review13 #4)
    save_twin_verified(path, twin, results=with_digests(cache, twin.scenarios),
                       series=scenario_series(results, {s.name for s in twin.scenarios},
                                              {k: v for k, v in doc.series.items()
                                               if k not in names}),
                       passphrase=secret, unchanged_since=read_at)
    return StepResult(path, twin, {"scenarios": sorted(names)}), table, baseline, results


# -- the ``twin`` command -------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``twinviewer twin create …``."""
    sub = parser.add_subparsers(dest="twin_command", metavar="create")
    c = sub.add_parser("create", help="import a DICOM study, calibrate, save a .twin")
    c.add_argument("--dicom", required=True, metavar="DIR", help="DICOM study folder")
    c.add_argument("--meshes", metavar="DIR", help="extra surface meshes (VTP/STL/…)")
    c.add_argument("--mapping", metavar="FILE", help="segment name mapping (JSON)")
    c.add_argument("--measurements", metavar="FILE",
                   help="clinical measurements (twinviewer.measurements/1 JSON)")
    c.add_argument("--preset", default=None, metavar="PRESET",
                   help="virtual patient the prior is centred on, one of healthy, "
                        "moderate_as, severe_as, severe_mr, hfref (default: chosen from the "
                        "measurements, healthy if none points to a disease; the choice and "
                        "its reason are printed and in --json)")
    c.add_argument("--members", type=int, default=200, help="ensemble size (default 200)")
    c.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    c.add_argument("-o", "--output", required=True, metavar="PATIENT.twin")
    c.add_argument("--accept-misfit", dest="accept_misfit", action="store_true",
                   help="write the twin although the calibration cannot reproduce a "
                        "measurement (|z| > 3; refused otherwise); every miss by |z| > 2 "
                        "stays flagged")
    c.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(twin_command=None)


def _json_safe(x):
    if isinstance(x, float):
        return x if np.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    return x


def run_twin_command(args: argparse.Namespace) -> int:
    """Run ``twinviewer twin create``; 0 ok, 1 calibration failed, 2 bad input."""
    from twinviewer.imaging.errors import ImagingError
    from twinviewer.io.errors import PrivacyError, TwinFileError
    from twinviewer.personalize.calibrate import CalibrationError
    from twinviewer.personalize.measurements import MeasurementError
    from twinviewer.physiology import ModelError

    if args.twin_command != "create":
        print("twinviewer twin: error: use 'twin create --dicom DIR -o PATIENT.twin'",
              file=sys.stderr)
        return 2
    opt = {k: Path(v) if v else None for k, v in
           (("meshes", args.meshes), ("mapping", args.mapping),
            ("measurements", args.measurements))}
    try:
        step = create_twin(Path(args.dicom), Path(args.output), preset=args.preset,
                           members=args.members, seed=args.seed,
                           accept_misfit=args.accept_misfit, **opt)
    except (PipelineError, MeasurementError, ModelError, ImagingError, TwinFileError,
            PrivacyError, OSError) as exc:
        print(f"twinviewer twin create: error: {exc}", file=sys.stderr)
        return 2
    except CalibrationError as exc:
        from twinviewer.personalize.cli import refusal_text

        print(f"twinviewer twin create: calibration failed, nothing written: "
              f"{refusal_text(exc, args)}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(_json_safe({"notice": RESEARCH_USE, "output": str(step.path),
                                     **step.summary}), indent=1, ensure_ascii=False))
    else:
        print(RESEARCH_USE)
        print("\n".join(step.text))
        print(f"wrote {step.path}")
    return 0


def run_calibrate_file(args: argparse.Namespace, out=None) -> int:
    """``twinviewer calibrate PATIENT.twin --measurements FILE``: 0 ok, 1 failed, 2 bad input."""
    from twinviewer.io.errors import PrivacyError, TwinFileError
    from twinviewer.personalize.calibrate import CalibrationError
    from twinviewer.personalize.cli import print_result
    from twinviewer.personalize.measurements import MeasurementError
    from twinviewer.physiology import ModelError

    out = out or sys.stdout
    try:
        if args.n < 2:
            raise PipelineError(f"-n {args.n}: need at least 2 posterior members")
        step, result = calibrate_file(args.twin, args.measurements, n=args.n, seed=args.seed,
                                      iterations=getattr(args, "iterations", 20),
                                      day=getattr(args, "day", None),
                                      volume_curve=getattr(args, "volume_curve", "auto"),
                                      prior=getattr(args, "prior", "auto"),
                                      accept_misfit=getattr(args, "accept_misfit", False))
    except (PipelineError, MeasurementError, ModelError, TwinFileError, PrivacyError,
            ValueError, OSError) as exc:
        print(f"twinviewer calibrate: {exc}", file=sys.stderr)
        return 2
    except CalibrationError as exc:
        from twinviewer.personalize.cli import refusal_text

        print(f"twinviewer calibrate: {Path(args.twin).name} is unchanged: "
              f"{refusal_text(exc, args)}", file=sys.stderr)
        return 1
    v = step.twin.visits[-1]
    print_result(result, args.json, out, {
        "twin": str(step.path), "written": True,
        "visit": {"number": len(step.twin.visits), "day": v.day, "label": v.label},
        "scenario_results": step.summary["scenario_results"]},
        after=[*step.text, f"wrote the calibrated twin back to {step.path} (visit "
               f"{len(step.twin.visits)}, day {v.day}: {v.label}; set the day with --day)"])
    return 0


def run_whatif_file(args: argparse.Namespace, scenarios: Sequence[Scenario],
                    metrics: Sequence[str], goal) -> int:
    """``twinviewer whatif PATIENT.twin -i … -s …``: 0 ok, 1 some scenarios refused (the
    others computed and written), 2 bad input."""
    from twinviewer.core.units import UnitError
    from twinviewer.interventions.cli import scenario_dicts
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.interventions.ranking import rank
    from twinviewer.interventions.scenario import shown_name
    from twinviewer.io.errors import PrivacyError, TwinFileError
    from twinviewer.physiology import ModelError

    refused: dict[str, str] = {}
    try:
        from twinviewer.interventions.compare import DEFAULT_METRICS

        step, table, baseline, results = whatif_file(
            args.twin, scenarios, metrics, level=args.level, goal=goal, failed=refused,
            hide_irrelevant=getattr(args, "metrics", None) == ",".join(DEFAULT_METRICS))
        scenarios = [s for s in scenarios if s.name not in refused]
        from twinviewer.explain.evidence_flags import checked_changes, unsourced_changes
        from twinviewer.personalize.shown import context_of_twin

        unsourced = unsourced_changes(scenarios, baseline, results, context_of_twin(step.twin))
        checked = checked_changes(scenarios, baseline, results,  # this heart vs its source
                                  context_of_twin(step.twin))
        ranking = rank(baseline, results, goal, evidence=table.evidence,
                       unsourced=unsourced, scenarios=scenarios) if goal else None
    except (PipelineError, InterventionError, ModelError, UnitError, TwinFileError,
            PrivacyError, OSError) as exc:
        print(f"twinviewer whatif: error: {exc}", file=sys.stderr)
        return 2
    absent = [m for m in metrics if m not in baseline.metrics]  # another structure's
    if args.json:
        doc = {"notice": RESEARCH_USE, "twin": str(step.path), "members": baseline.n,
               "scenarios": scenario_dicts(scenarios), "table": table.to_dict(),
               "ranking": ranking.to_dict() if ranking else None,
               "unsourced_changes": unsourced, "checked_changes": checked, "written": True,
               "not_provided": absent, "refused": refused}
        print(json.dumps(_json_safe(doc), indent=2, ensure_ascii=False))
    else:
        shown = {s.name: shown_name(s) for s in scenarios}
        print(f"{RESEARCH_USE}\n{step.path.name}: {baseline.n} members")
        print(table.format_text(shown))
        if absent:  # the default list on a model of another structure (final16 #6)
            print(f"Not provided by this model ({len(absent)}): {', '.join(absent)}")
        for name, lines in unsourced.items():  # a large change no source reports
            print("\n".join(f"! {shown.get(name, name)}: {line}" for line in lines))
        for name, lines in checked.items():
            print("\n".join(f"{'!' if 'CAUTION' in x else '-'} {shown.get(name, name)}: {x}"
                            for x in lines))
        if ranking:
            print(ranking.format_text(shown))
        print(f"wrote {len(scenarios)} scenario(s) and their results back to {step.path}")
    for name, why in refused.items():
        print(f"twinviewer whatif: not run: {name}: {why}", file=sys.stderr)
    return 1 if refused else 0


def run_report_json(path: Path | str, output: Path | str | None = None) -> int:
    """``twinviewer report PATIENT.twin -o R.pdf --json``: the report as today, and a JSON
    line saying what was written (0 ok, 2 unreadable twin or unwritable PDF)."""
    from twinviewer.io.errors import TwinFileError
    from twinviewer.report.pdf import write_report

    path = Path(path)
    output = Path(output) if output is not None else path.with_suffix(".pdf")
    try:
        doc, _ = read_twin(path)
        info = write_report(doc, output)
    except (PipelineError, TwinFileError, OSError) as exc:
        print(f"twinviewer report: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"notice": RESEARCH_USE, "output": str(info.path), "pages": info.pages,
                      "notes": list(info.notes)}, ensure_ascii=False))
    return 0
