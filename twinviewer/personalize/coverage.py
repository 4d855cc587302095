"""The coverage harness: calibrate synthetic patients and check the intervals against the truth.

For each patient of a setting (:mod:`~twinviewer.personalize.synthetic`) the healthy twin is
calibrated to the patient's noisy standard measurements, and the posterior predictive of
every unmeasured output (ensemble ⊕ the model-discrepancy term of
:mod:`~twinviewer.personalize.discrepancy`) is compared with the patient's true value.
:func:`coverage_table` gives, per setting and output, how often the 90 % interval contains
the truth and how wide it is against the prior predictive's interval.

Commands (``python -m twinviewer.personalize.coverage ...``):

``learn [--jobs 2] [--records DIR]``
    calibrate the training patients (:data:`~twinviewer.personalize.discrepancy.TRAIN_SEEDS`,
    every setting, standard set and volume curves), learn the discrepancy terms, print the
    leave-one-seed-out and leave-one-setting-out tables, rewrite the shipped terms file
    with the model's equation hash, then calibrate the fresh patients
    (:data:`~twinviewer.personalize.discrepancy.TEST_SEED`, as ``table``) and print their
    coverage table with the new terms — the one step to repeat after any change of the
    model's equations (``--from-records DIR`` re-learns from kept records,
    ``--test-records DIR`` scores kept fresh records, ``--no-table`` skips the fresh table);
``table [--jobs 2]``
    the coverage table on fresh patients (:data:`~twinviewer.personalize.discrepancy.TEST_SEED`);
``run --seed S --settings own,wide --out F.pkl``
    one seed's standard-set records (the same as without a command).

A patient the calibrator refuses (its measurements cannot be reproduced, or are invalid) is
not scored, but it is not dropped silently either: it is kept as a :class:`Refused` with its
reason, and the table counts it per setting ("n refused").

>>> recs = run_setting("own", 2, seed=5, members=32)
>>> sorted(recs[0].posterior)[:2]
['CO', 'LAP']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from twinviewer.personalize.calibrate import CalibrationError, calibrate
from twinviewer.personalize.discrepancy import Discrepancy, default_discrepancy
from twinviewer.personalize.measurements import MeasurementError
from twinviewer.personalize.synthetic import ECHO_KINDS, UNMEASURED, patients
from twinviewer.twins import twin_from_preset


@dataclass
class Record:
    """One calibrated synthetic patient: truths and ensemble predictions of unmeasured outputs
    (raw ensemble values, before any discrepancy term)."""

    setting: str
    structure: str
    truth: dict[str, float]
    posterior: dict[str, np.ndarray]
    prior: dict[str, np.ndarray]
    flagged: int  # fit-table rows flagged (|z| > 2)
    atypicality: float = 1.0
    misfit: float = float("nan")  # mean z² of the posterior predictive over the data used
    data: str = "standard"  # the data calibrated on: "standard" clinical set or "curves"
    seed: int = -1  # the seed of the synthetic patients

    @property
    def label(self) -> str:
        """The row label of the coverage table: the setting, and the data if not standard."""
        return self.setting if self.data == "standard" else f"{self.setting}/{self.data}"


@dataclass(frozen=True)
class Refused:
    """A synthetic patient the calibrator refused: not scored, but counted in the table."""

    setting: str
    patient: int
    reason: str
    data: str = "standard"
    seed: int = -1

    @property
    def label(self) -> str:
        """The row label of the coverage table it is counted in (as :attr:`Record.label`)."""
        return self.setting if self.data == "standard" else f"{self.setting}/{self.data}"


def run_setting(setting: str, k: int, seed: int, *, members: int = 48,
                progress: Callable[[str], None] | None = None,
                sink: Callable[[Record], None] | None = None,
                refused: list[Refused] | None = None, data: str = "standard"
                ) -> list[Record]:
    """Calibrate ``k`` synthetic patients of ``setting``; a patient whose calibration fails
    (the calibrator refuses it, with its reason) is skipped, said so through ``progress`` and
    appended to ``refused`` as a :class:`Refused`. ``sink`` receives each record as soon as it
    exists (to save a long run as it goes).

    ``data``: ``"standard"`` (cuff BP, HR, echo LV volumes) or an echo kind of
    :data:`~twinviewer.personalize.synthetic.ECHO_KINDS` — the same patients and the very
    same standard data, plus their echo Doppler data (noise from a generator of their own,
    so the standard data do not move); a patient whose beat has no such datum (no A wave)
    is refused with that reason."""
    say = progress or (lambda text: None)
    truth = patients(setting, k, seed)
    twin = twin_from_preset("healthy", n=1)
    rng = np.random.default_rng([seed, 99])
    echo = ECHO_KINDS[data] if data != "standard" else ()
    rng_echo = np.random.default_rng([seed, 98])
    out = []
    for i in range(truth.results.n):
        ms = truth.measurements(i, rng)
        try:
            ms += truth.echo_measurements(i, echo, rng_echo)
            r = calibrate(twin, ms, n=members, seed=seed * 1000 + i, point_estimate=False)
        except (CalibrationError, MeasurementError) as exc:
            say(f"{setting} patient {i}: skipped ({exc})")
            if refused is not None:
                refused.append(Refused(setting, i, str(exc)[:200], data, seed))
            continue
        post = {o: np.asarray(r.results.metrics[o])[r.results.ok] for o in UNMEASURED}
        prior = {o: np.asarray(r.prior_results.metrics[o])[r.prior_results.ok]
                 for o in UNMEASURED}
        out.append(Record(setting, truth.structure[i],
                          {o: truth.truth(o, i) for o in UNMEASURED}, post, prior,
                          len(r.flagged), r.atypicality, r.misfit, data, seed))
        if sink is not None:
            sink(out[-1])
        say(f"{setting} patient {i + 1}/{truth.results.n}")
    return out


@dataclass(frozen=True)
class CoverageRow:
    """Coverage of one output in one setting."""

    setting: str
    output: str
    patients: int
    coverage: float
    width_ratio: float  # median posterior-predictive / prior-predictive 90 % width (both ⊕ δ)
    raw_coverage: float  # the ensemble alone, without the discrepancy term
    raw_prior_ratio: float = float("nan")  # posterior-predictive ⊕ δ / bare prior ensemble
    refused: int = 0  # patients of the setting the calibrator refused (not scored)


def _interval(samples: np.ndarray, name: str, disc: Discrepancy | None, seed: int,
              atypicality: float = 1.0, misfit: float = 1.0,
              prior: np.ndarray | None = None) -> tuple[float, float]:
    x = disc.predictive_samples(name, samples, seed, atypicality, misfit, prior) \
        if disc is not None else samples
    lo, hi = np.quantile(x, [0.05, 0.95])
    return float(lo), float(hi)


def coverage_table(records: Sequence[Record], disc: Discrepancy | None = None,
                   outputs: Sequence[str] = UNMEASURED, terms: dict | None = None,
                   refused: Sequence[Refused] = ()) -> list[CoverageRow]:
    """Per setting (and data kind) and output: coverage of the 90 % intervals and width ratio
    to the prior; ``disc`` defaults to the learned term of each record's data kind (from the
    terms document ``terms``, default the shipped one). ``refused`` are the patients the
    calibrator refused: each row counts those of its setting."""
    from twinviewer.personalize.discrepancy import from_document

    n_refused = {}
    for x in refused:
        n_refused[x.label] = n_refused.get(x.label, 0) + 1
    rows = []
    for label in dict.fromkeys(r.label for r in records):
        recs = [r for r in records if r.label == label]
        d = disc if disc is not None else (
            default_discrepancy(recs[0].data) if terms is None
            else from_document(terms, recs[0].data))
        for o in outputs:
            hit, raw, ratio, ratio0 = [], [], [], []
            for i, r in enumerate(recs):
                t = r.truth[o]
                lo, hi = _interval(r.posterior[o], o, d, i, r.atypicality, r.misfit, r.prior[o])
                rlo, rhi = _interval(r.posterior[o], o, None, i)
                plo, phi = _interval(r.prior[o], o, d, i, r.atypicality, r.misfit, r.prior[o])
                hit.append(lo <= t <= hi)
                raw.append(rlo <= t <= rhi)
                ratio.append((hi - lo) / (phi - plo) if phi > plo else np.nan)
                qlo, qhi = _interval(r.prior[o], o, None, i)
                ratio0.append((hi - lo) / (qhi - qlo) if qhi > qlo else np.nan)
            rows.append(CoverageRow(label, o, len(recs), float(np.mean(hit)),
                                    float(np.nanmedian(ratio)), float(np.mean(raw)),
                                    float(np.nanmedian(ratio0)),
                                    n_refused.get(label, 0)))
    return rows


def cross_fitted_table(records: Sequence[Record], outputs: Sequence[str] = UNMEASURED,
                       folds: int = 2, by: str = "seed", grids: dict | None = None,
                       scales: Sequence[tuple[float, float]] | None = None,
                       evidence_cap: float = float("inf"),
                       log_sd_cap: dict[str, float] | None = None,
                       inflation_cap: dict[str, float] | None = None,
                       objective: dict | None = None
                       ) -> tuple[list[CoverageRow], list[Discrepancy]]:
    """Coverage when each patient is scored with a discrepancy term learned on the *other*
    folds, and the terms per fold. Patients of several seeds are folded by seed (each seed
    scored with the term learned on the others: new patients, as in use); patients of one
    seed are dealt to ``folds`` folds in turn within each setting. With ``by="setting"``
    each setting is scored with the term learned on the other settings alone
    (leave-one-setting-out: a structure no term was fitted to).

    The honest score of a term learned on these very records (see
    :mod:`~twinviewer.personalize.discrepancy`); width ratios are averaged over the folds;
    ``objective``: the learner's keyword arguments
    (:func:`~twinviewer.personalize.discrepancy.objective`).
    Records of one data kind. Each fold also chooses its heavy-tailed prior among
    ``scales`` (default :data:`~twinviewer.personalize.discrepancy.SCALE_GRID`); ``grids``
    (scale → :func:`~twinviewer.personalize.discrepancy.candidate_grids` of ``records``
    in the order given) saves re-scoring the candidates; ``evidence_cap`` is the cap
    (:func:`~twinviewer.personalize.discrepancy.evidence_cap`) and ``log_sd_cap``
    (:func:`~twinviewer.personalize.discrepancy.log_sd_caps`) and ``inflation_cap``
    (:func:`~twinviewer.personalize.discrepancy.inflation_caps`) they are scored with.
    """
    from twinviewer.personalize.discrepancy import (
        SCALE_GRID,
        candidate_grids,
        learn_with_prior_scale,
    )

    seeds = list(dict.fromkeys(r.seed for r in records))
    if by == "setting":
        parts = [[r for r in records if r.setting == s]
                 for s in dict.fromkeys(r.setting for r in records)]
    elif len(seeds) > 1:
        parts = [[r for r in records if r.seed == s] for s in seeds]
    else:
        parts = [[] for _ in range(folds)]
        for setting in dict.fromkeys(r.setting for r in records):
            for i, r in enumerate(r for r in records if r.setting == setting):
                parts[i % folds].append(r)
    order = {id(r): i for i, r in enumerate(records)}
    records = [r for p in parts for r in p]
    scales = list(scales or SCALE_GRID)
    if grids is None:  # every candidate scored once
        grids = {sc: candidate_grids(records, list(outputs), prior_scale=sc,
                                     evidence_cap=evidence_cap, log_sd_cap=log_sd_cap,
                                     inflation_cap=inflation_cap)
                 for sc in scales}
    else:  # the caller's grids are in the caller's order: the folds' order is another
        perm = np.array([order[id(r)] for r in records])
        grids = {sc: {o: _reordered(g, perm) for o, g in grids[sc].items()} for sc in scales}
    fold = np.concatenate([np.full(len(p), k) for k, p in enumerate(parts)])
    tables, terms = [], []
    for k, part in enumerate(parts):
        sc, learned = learn_with_prior_scale(records, list(outputs), subset=fold != k,
                                             grids=grids, scales=scales,
                                             objective=objective)
        terms.append(Discrepancy(learned, prior_scale=sc, evidence_cap=evidence_cap,
                                 log_sd_cap=dict(log_sd_cap or {}),
                                 inflation_cap=dict(inflation_cap or {})))
        tables.append(coverage_table(part, terms[-1], outputs))
    if by == "setting":  # one setting per part: its rows as they are
        return [row for t in tables for row in t], terms
    rows = []
    for cells in zip(*tables, strict=True):
        n = sum(c.patients for c in cells)

        def mean(attr: str, cells=cells, n=n) -> float:
            return float(sum(getattr(c, attr) * c.patients for c in cells) / n)

        rows.append(CoverageRow(cells[0].setting, cells[0].output, n, mean("coverage"),
                                float(np.nanmean([c.width_ratio for c in cells])),
                                mean("raw_coverage"),
                                float(np.nanmean([c.raw_prior_ratio for c in cells]))))
    return rows, terms


def _reordered(grid, perm: np.ndarray):
    """``grid`` (a :func:`~twinviewer.personalize.discrepancy.candidate_grids` entry) with
    its records taken in the order ``perm``."""
    import copy

    out = copy.copy(grid)
    out.hits = grid.hits[:, perm]
    if hasattr(grid, "log_width"):
        out.log_width = grid.log_width[:, perm]
    if hasattr(grid, "top"):
        out.top = grid.top[:, perm]
    return out


def overall(rows: Sequence[CoverageRow], setting: str) -> float:
    """Coverage over every output of ``setting`` (outputs weighted by their patients)."""
    sel = [r for r in rows if r.setting == setting]
    return float(sum(r.coverage * r.patients for r in sel) / sum(r.patients for r in sel))


def format_table(rows: Sequence[CoverageRow]) -> str:
    """The coverage table as Markdown: per setting and output, coverage with the discrepancy
    term (raw: the bare ensemble; w: median 90 % width of the posterior predictive over the
    prior predictive with the same term / over the bare prior ensemble); "n refused": the
    setting's patients the calibrator refused, not scored.

    >>> print(format_table([CoverageRow("own", "LAP", 9, 0.9, 0.5, 0.8, 0.6, refused=1)]))
    | setting | patients | n refused | LAP | all outputs |
    |---|---|---|---|---|
    | own | 9 | 1 | 90% (raw 80%; w 0.50 / 0.60) | 90.0% |
    """
    outputs = list(dict.fromkeys(r.output for r in rows))
    head = ("| setting | patients | n refused | " + " | ".join(outputs) + " | all outputs |\n|"
            + "---|" * (len(outputs) + 4))
    lines = [head]
    for setting in dict.fromkeys(r.setting for r in rows):
        sel = {r.output: r for r in rows if r.setting == setting}
        cells = [f"{sel[o].coverage:.0%} (raw {sel[o].raw_coverage:.0%}; w {sel[o].width_ratio:.2f}"
                 f" / {sel[o].raw_prior_ratio:.2f})" for o in outputs]
        first = next(iter(sel.values()))
        lines.append(f"| {setting} | {first.patients} | {first.refused} | " + " | ".join(cells)
                     + f" | {overall(rows, setting):.1%} |")
    return "\n".join(lines)


def _load_pickled(paths: Sequence[str]) -> list:
    import pickle
    from pathlib import Path

    files = [f for p in map(Path, paths)
             for f in (sorted(p.glob("*.pkl")) if p.is_dir() else [p])]
    out: list = []
    for f in files:
        with open(f, "rb") as fh:
            out += pickle.load(fh)
    return out


def load_records(paths: Sequence[str]) -> list[Record]:
    """The records pickled by ``run`` / ``learn --records DIR`` (files or directories)."""
    return [r for r in _load_pickled(paths) if isinstance(r, Record)]


def load_refused(paths: Sequence[str]) -> list[Refused]:
    """The refused patients kept with the records by ``run`` / ``learn --records DIR``."""
    return [r for r in _load_pickled(paths) if isinstance(r, Refused)]


def _run_job(job: tuple[str, str, int, int, int, str | None]
             ) -> tuple[list[Record], float, list[Refused]]:
    """One (data kind, setting, patients, seed, members, record file) in a worker process:
    its records, its CPU seconds and the patients the calibrator refused (kept in the record
    file with the records)."""
    import pickle
    import time

    from twinviewer.personalize import curve_check

    data, setting, k, seed, members, path = job
    t0 = time.process_time()
    refused: list[Refused] = []
    if data != "curves":
        recs = run_setting(setting, k, seed, members=members, refused=refused, data=data)
    else:
        check = curve_check.check(setting, k, seed, members)
        recs = check.records
        for r in recs:
            r.seed = seed
        refused = [Refused(setting, int(text.split(":")[0].split()[-1]), text, "curves", seed)
                   for text in check.refused]
    if path:
        with open(path, "wb") as f:
            pickle.dump([*recs, *refused], f)
    return recs, time.process_time() - t0, refused


def collect(seeds: Sequence[int], patients_per_setting: int, curve_patients: int, *,
            members: int = 48, jobs: int = 2, out_dir: str | None = None,
            say: Callable[[str], None] = print,
            refused: list[Refused] | None = None) -> tuple[list[Record], float]:
    """Records of every setting and seed, standard set and (``curve_patients`` > 0) volume
    curves, calibrated in ``jobs`` worker processes; returns them and the CPU seconds spent
    in the workers. The patients the calibrator refused are appended to ``refused``."""
    from concurrent.futures import ProcessPoolExecutor
    from pathlib import Path

    from twinviewer.personalize.synthetic import SETTINGS

    todo = [(d, s, k, seed, members,
             str(Path(out_dir) / f"{d}_{s}_{seed}.pkl") if out_dir else None)
            for seed in seeds for d, k in (("standard", patients_per_setting),
                                           ("curves", curve_patients)) if k > 0
            for s in SETTINGS]
    if out_dir:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    records: list[Record] = []
    cpu = 0.0
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        for job, (recs, c, no) in zip(todo, pool.map(_run_job, todo), strict=True):
            records += recs
            cpu += c
            if refused is not None:
                refused += no
            say(f"{job[0]} {job[1]} seed {job[3]}: {len(recs)} patients, {len(no)} refused, "
                f"CPU {c:.0f} s")
    return records, cpu


def learn_and_write(records: Sequence[Record], path=None, cpu_s: float = float("nan"),
                    outputs: Sequence[str] = UNMEASURED,
                    kinds: Sequence[str] | None = None) -> tuple[dict, str]:
    """Learn the terms of every data kind on ``records``, write them with the model they
    belong to (and the leave-one-seed-out coverage) to ``path`` (default: the shipped
    :data:`~twinviewer.personalize.discrepancy.TERMS_FILE`); returns the document and the
    tables as text.

    ``kinds``: learn only these data kinds (e.g. ``["echo"]``) and carry every other kind's
    terms over unchanged from the shipped file — which must belong to the same model and
    prior (else ``ValueError``: relearn every kind)."""
    import datetime
    import json

    from twinviewer.personalize import discrepancy
    from twinviewer.physiology.presets import get_preset

    model = get_preset("healthy").model
    from twinviewer.personalize.synthetic import prior_fingerprint

    doc: dict = {"model": {"name": model.name, "version": model.version,
                           "equation_hash": model.equation_hash},
                 "prior": {"fingerprint": prior_fingerprint()},
                 "terms": {}, "learned": {}}
    if kinds is not None:  # the other kinds' terms as shipped
        reason = discrepancy.stale_reason(model)
        if reason:
            raise ValueError(f"cannot learn only {', '.join(kinds)}: the shipped terms are "
                             f"stale ({reason})")
        shipped = discrepancy._load()
        for key in ("terms", "learned", "evidence_cap", "log_sd_cap", "inflation_cap",
                    "prior_scale"):
            for kind, value in shipped.get(key, {}).items():
                if kind not in kinds and kind not in ("cpu_s", "date"):
                    doc.setdefault(key, {})[kind] = value
    text = []
    for kind in (discrepancy.DATA_KINDS if kinds is None else kinds):
        recs = [r for r in records if r.data == kind]
        if not recs:
            raise ValueError(f"no records of {kind} data to learn from")
        cap = discrepancy.evidence_cap(recs)
        sd_cap = discrepancy.log_sd_caps(recs, list(outputs))
        i_cap = discrepancy.inflation_caps(recs, list(outputs))
        grids = {sc: discrepancy.candidate_grids(recs, list(outputs), prior_scale=sc,
                                                 evidence_cap=cap, log_sd_cap=sd_cap,
                                                 inflation_cap=i_cap,
                                                 w_grid=discrepancy.w_grid(kind),
                                                 p_grid=discrepancy.p_grid(kind))
                 for sc in discrepancy.scale_grid(kind)}  # every candidate scored once
        aim = discrepancy.objective(kind)
        rows, _ = cross_fitted_table(recs, outputs, grids=grids, scales=list(grids),
                                     evidence_cap=cap, log_sd_cap=sd_cap, inflation_cap=i_cap,
                                     objective=aim)
        loso, _ = cross_fitted_table(recs, outputs, by="setting", grids=grids,
                                     scales=list(grids), evidence_cap=cap, log_sd_cap=sd_cap,
                                     inflation_cap=i_cap, objective=aim)
        scale, terms = discrepancy.learn_with_prior_scale(recs, list(outputs), grids=grids,
                                                          scales=list(grids), objective=aim)
        doc["terms"][kind] = {o: list(t) for o, t in terms.items()}
        doc.setdefault("evidence_cap", {})[kind] = round(cap, 4)
        doc.setdefault("log_sd_cap", {})[kind] = {o: round(v, 4) for o, v in sd_cap.items()}
        doc.setdefault("inflation_cap", {})[kind] = {o: round(v, 4) for o, v in i_cap.items()}
        # ν = ∞ (no mixture) as JSON null
        doc.setdefault("prior_scale", {})[kind] = [
            scale[0] if np.isfinite(scale[0]) else None, scale[1]]
        seeds = sorted({r.seed for r in recs})
        doc["learned"][kind] = {
            "seeds": seeds, "patients": {s: sum(r.label == s for r in recs)
                                         for s in dict.fromkeys(r.label for r in recs)},
            "cross_fitted_coverage": {s: round(overall(rows, s), 4)
                                      for s in dict.fromkeys(r.setting for r in rows)},
            "leave_one_setting_out_coverage": {s: round(overall(loso, s), 4)
                                               for s in dict.fromkeys(r.setting for r in loso)}}
        text.append(f"{kind} data — each seed scored with the term learned on the other "
                    f"seeds ({seeds}):\n{format_table(rows)}\n\n{kind} data — each setting "
                    "scored with the term learned on the other settings alone (a structure "
                    f"no term saw):\n{format_table(loso)}\n\n{kind} data — heavy-tailed "
                    f"prior (ν, n) = {scale}")
    # CPU of the calibrations (None when re-learned from kept records): strict JSON
    doc["learned"]["cpu_s"] = round(cpu_s, 1) if np.isfinite(cpu_s) else None
    doc["learned"]["date"] = datetime.date.today().isoformat()
    with open(path or discrepancy.TERMS_FILE, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return doc, "\n\n".join(text)


_COMMANDS = ("run", "learn", "table")


def _parser():
    """The command line: ``run`` (the default when no command is given), ``learn``, ``table``;
    ``--help`` lists the three, ``COMMAND --help`` each one's options."""
    import argparse

    from twinviewer.personalize import discrepancy
    from twinviewer.personalize.synthetic import SETTINGS

    top = argparse.ArgumentParser(
        prog="python -m twinviewer.personalize.coverage", description=__doc__.splitlines()[0],
        epilog="Without a command: run. 'COMMAND --help' gives each command's options.")
    sub = top.add_subparsers(dest="command", metavar="{run,learn,table}")
    helps = {"run": "one seed's standard-set records, pickled (--out), and their raw table",
             "learn": "calibrate the training seeds, learn and write the discrepancy terms, "
                      "then score the fresh seed",
             "table": "the coverage table on fresh (test-seed) patients"}
    for command in _COMMANDS:
        p = sub.add_parser(command, help=helps[command], description=helps[command])
        p.add_argument("--members", type=int, default=48)
        if command == "run":  # one seed, standard set: records for later learning or scoring
            p.add_argument("--patients", type=int, default=100)
            p.add_argument("--seed", type=int, default=discrepancy.TRAIN_SEEDS[0])
            p.add_argument("--settings", default=",".join(SETTINGS))
            p.add_argument("--out", required=True)
            p.add_argument("--data", default="standard", choices=("standard", *ECHO_KINDS),
                           help="the data calibrated on: the standard set, or it plus echo "
                                "Doppler data (echo: E/A; echo_tr: E/A and TR velocity)")
            continue
        p.add_argument("--patients", type=int, default=50 if command == "learn" else 100,
                       help="standard-set patients per setting and seed")
        p.add_argument("--curve-patients", type=int, default=40 if command == "learn" else 50,
                       help="volume-curve patients per setting and seed (0: none)")
        p.add_argument("--seeds", default=",".join(
            map(str, discrepancy.TRAIN_SEEDS if command == "learn" else
                (discrepancy.TEST_SEED,))))
        p.add_argument("--jobs", type=int, default=2, help="worker processes")
        p.add_argument("--records", help="keep the records in this directory")
        p.add_argument("--from-records", nargs="+", help="use these record files/directories "
                       "instead of calibrating")
        if command == "learn":
            p.add_argument("--out", help="write the terms here instead of the shipped file")
            p.add_argument("--kinds", help="learn only these data kinds (comma-separated, "
                           "e.g. echo), carrying the others over from the shipped file")
            p.add_argument("--no-table", action="store_true",
                           help="do not calibrate and score the fresh (test-seed) patients")
            p.add_argument("--test-records", nargs="+", help="score these kept fresh-seed "
                           "record files/directories instead of calibrating them")
    return top


def _main(argv: Sequence[str] | None = None) -> int:
    """``python -m twinviewer.personalize.coverage [run|learn|table] ...`` (see --help)."""
    import pickle
    import sys

    # records pickled from the importable module, not from __main__
    from twinviewer.personalize import coverage as this
    from twinviewer.personalize import discrepancy

    # under ``python -m`` this module is __main__: its classes are not the pickled ones
    Record = this.Record  # noqa: N806
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in (*_COMMANDS, "-h", "--help"):
        argv.insert(0, "run")
    a = _parser().parse_args(argv)
    refused: list[Refused] = []
    if a.command == "run":
        records: list[Record] = []

        def save(rec: Record | Refused) -> None:  # after every patient: an interrupted run
            if isinstance(rec, Record):           # keeps its work
                records.append(rec)
            with open(a.out, "wb") as f:
                pickle.dump([*records, *refused], f)

        for s in a.settings.split(","):
            n = len(refused)
            this.run_setting(s, a.patients, a.seed, members=a.members, sink=save,
                             refused=refused, data=a.data,
                             progress=lambda t: print(t, file=sys.stderr, flush=True))
            if len(refused) > n:
                save(refused[-1])
        print(format_table(this.coverage_table(records, Discrepancy({}), refused=refused)))
        return 0
    if a.from_records:
        records, cpu = this.load_records(a.from_records), float("nan")
        refused = this.load_refused(a.from_records)
    else:
        records, cpu = this.collect([int(s) for s in a.seeds.split(",")], a.patients,
                                    a.curve_patients, members=a.members, jobs=a.jobs,
                                    out_dir=a.records, refused=refused)
    doc = None
    if a.command == "learn":
        doc, text = learn_and_write(records, a.out, cpu,
                                    kinds=a.kinds.split(",") if a.kinds else None)
        print(text)
        print(f"terms written to {a.out or discrepancy.TERMS_FILE} (model "
              f"{doc['model']['name']} {doc['model']['equation_hash']}); calibrations "
              f"{cpu:.0f} s CPU; learned on seeds {sorted({r.seed for r in records})}, "
              f"{len(refused)} training patients refused by the calibrator", flush=True)
        if a.no_table:
            return 0
        print(f"\nfresh patients (seed {discrepancy.TEST_SEED}, no term saw them), the new "
              "terms:")
        refused = []
        if a.test_records:
            records, cpu = this.load_records(a.test_records), float("nan")
            refused = this.load_refused(a.test_records)
        else:
            records, cpu = this.collect(
                [discrepancy.TEST_SEED], 100, 50, members=a.members, jobs=a.jobs,
                out_dir=None if a.records is None else f"{a.records}/test_seed",
                refused=refused)
    rows = this.coverage_table(records, terms=doc, refused=refused)
    print(format_table(rows))
    for label in dict.fromkeys(r.setting for r in rows):
        print(f"{label}: {overall(rows, label):.1%}")
    print(f"calibrations {cpu:.0f} s CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
