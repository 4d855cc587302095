"""The coverage harness: calibrate synthetic patients and check the intervals against the truth.

For each patient of a setting (:mod:`~twinviewer.personalize.synthetic`) the healthy twin is
calibrated to the patient's noisy standard measurements, and the posterior predictive of
every unmeasured output (ensemble ⊕ the model-discrepancy term of
:mod:`~twinviewer.personalize.discrepancy`) is compared with the patient's true value.
:func:`coverage_table` gives, per setting and output, how often the 90 % interval contains
the truth and how wide it is against the prior predictive's interval.

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
from twinviewer.personalize.synthetic import UNMEASURED, patients
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


def run_setting(setting: str, k: int, seed: int, *, members: int = 48,
                progress: Callable[[str], None] | None = None,
                sink: Callable[[Record], None] | None = None) -> list[Record]:
    """Calibrate ``k`` synthetic patients of ``setting``; a patient whose calibration fails
    (the calibrator refuses it, with its reason) is skipped and said so through ``progress``.
    ``sink`` receives each record as soon as it exists (to save a long run as it goes)."""
    say = progress or (lambda text: None)
    data = patients(setting, k, seed)
    twin = twin_from_preset("healthy", n=1)
    rng = np.random.default_rng([seed, 99])
    out = []
    for i in range(data.results.n):
        ms = data.measurements(i, rng)
        try:
            r = calibrate(twin, ms, n=members, seed=seed * 1000 + i, point_estimate=False)
        except (CalibrationError, MeasurementError) as exc:
            say(f"{setting} patient {i}: skipped ({exc})")
            continue
        post = {o: np.asarray(r.results.metrics[o])[r.results.ok] for o in UNMEASURED}
        prior = {o: np.asarray(r.prior_results.metrics[o])[r.prior_results.ok]
                 for o in UNMEASURED}
        z = np.array([f.z for f in r.fit if f.used and np.isfinite(f.z)])
        out.append(Record(setting, data.structure[i],
                          {o: data.truth(o, i) for o in UNMEASURED}, post, prior,
                          len(r.flagged), r.atypicality,
                          float(np.mean(z**2)) if z.size else float("nan")))
        if sink is not None:
            sink(out[-1])
        say(f"{setting} patient {i + 1}/{data.results.n}")
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


def _interval(samples: np.ndarray, name: str, disc: Discrepancy | None, seed: int,
              atypicality: float = 1.0) -> tuple[float, float]:
    x = disc.predictive_samples(name, samples, seed, atypicality) if disc is not None \
        else samples
    lo, hi = np.quantile(x, [0.05, 0.95])
    return float(lo), float(hi)


def coverage_table(records: Sequence[Record], disc: Discrepancy | None = None,
                   outputs: Sequence[str] = UNMEASURED) -> list[CoverageRow]:
    """Per setting and output: coverage of the 90 % intervals and width ratio to the prior."""
    disc = disc if disc is not None else default_discrepancy()
    rows = []
    for setting in dict.fromkeys(r.setting for r in records):
        recs = [r for r in records if r.setting == setting]
        for o in outputs:
            hit, raw, ratio, ratio0 = [], [], [], []
            for i, r in enumerate(recs):
                t = r.truth[o]
                lo, hi = _interval(r.posterior[o], o, disc, i, r.atypicality)
                rlo, rhi = _interval(r.posterior[o], o, None, i)
                plo, phi = _interval(r.prior[o], o, disc, i, r.atypicality)
                hit.append(lo <= t <= hi)
                raw.append(rlo <= t <= rhi)
                ratio.append((hi - lo) / (phi - plo) if phi > plo else np.nan)
                qlo, qhi = _interval(r.prior[o], o, None, i)
                ratio0.append((hi - lo) / (qhi - qlo) if qhi > qlo else np.nan)
            rows.append(CoverageRow(setting, o, len(recs), float(np.mean(hit)),
                                    float(np.nanmedian(ratio)), float(np.mean(raw)),
                                    float(np.nanmedian(ratio0))))
    return rows


def cross_fitted_table(records: Sequence[Record], outputs: Sequence[str] = UNMEASURED,
                       folds: int = 2) -> tuple[list[CoverageRow], list[dict]]:
    """Coverage when each patient is scored with a discrepancy term learned on the *other*
    folds (patients of every setting dealt to the folds in turn), and the terms per fold.

    The honest score of a term learned on these very records (see
    :mod:`~twinviewer.personalize.discrepancy`); width ratios are averaged over the folds.
    """
    from twinviewer.personalize.discrepancy import learn

    parts: list[list[Record]] = [[] for _ in range(folds)]
    for setting in dict.fromkeys(r.setting for r in records):
        for i, r in enumerate(r for r in records if r.setting == setting):
            parts[i % folds].append(r)
    tables, terms = [], []
    for k in range(folds):
        train = [r for j, p in enumerate(parts) if j != k for r in p]
        terms.append(learn(train, list(outputs)))
        tables.append(coverage_table(parts[k], Discrepancy(terms[-1]), outputs))
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


def overall(rows: Sequence[CoverageRow], setting: str) -> float:
    """Coverage over every output of ``setting`` (outputs weighted by their patients)."""
    sel = [r for r in rows if r.setting == setting]
    return float(sum(r.coverage * r.patients for r in sel) / sum(r.patients for r in sel))


def format_table(rows: Sequence[CoverageRow]) -> str:
    """The coverage table as Markdown: per setting and output, coverage with the discrepancy
    term (raw: the bare ensemble; w: median 90 % width of the posterior predictive over the
    prior predictive with the same term / over the bare prior ensemble)."""
    outputs = list(dict.fromkeys(r.output for r in rows))
    head = ("| setting | patients | " + " | ".join(outputs) + " | all outputs |\n|"
            + "---|" * (len(outputs) + 3))
    lines = [head]
    for setting in dict.fromkeys(r.setting for r in rows):
        sel = {r.output: r for r in rows if r.setting == setting}
        cells = [f"{sel[o].coverage:.0%} (raw {sel[o].raw_coverage:.0%}; w {sel[o].width_ratio:.2f}"
                 f" / {sel[o].raw_prior_ratio:.2f})" for o in outputs]
        n = next(iter(sel.values())).patients
        lines.append(f"| {setting} | {n} | " + " | ".join(cells)
                     + f" | {overall(rows, setting):.1%} |")
    return "\n".join(lines)


def _main(argv: Sequence[str] | None = None) -> int:
    """``python -m twinviewer.personalize.coverage``: run settings, save the records."""
    import argparse
    import pickle
    import sys

    # records pickled from the importable module, not from __main__
    from twinviewer.personalize import coverage as this
    from twinviewer.personalize.synthetic import SETTINGS

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--patients", type=int, default=100)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--members", type=int, default=48)
    p.add_argument("--settings", default=",".join(SETTINGS))
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    records: list[Record] = []

    def save(rec: Record) -> None:  # after every patient: a long run interrupted keeps its work
        records.append(rec)
        with open(a.out, "wb") as f:
            pickle.dump(records, f)

    for s in a.settings.split(","):
        this.run_setting(s, a.patients, a.seed, members=a.members, sink=save,
                         progress=lambda t: print(t, file=sys.stderr, flush=True))
    print(format_table(coverage_table(records, Discrepancy({}))))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
