"""cov14: an exact (importance-sampled) reference posterior for the model's own patients.

The model's own synthetic patients (setting ``own``) are drawn from a known prior
(:func:`twinviewer.personalize.synthetic.prior_draws`, the plausibility filter of
:func:`~twinviewer.personalize.synthetic.patients`) and measured with known Gaussian noise
(:data:`~twinviewer.personalize.synthetic.NOISE`). Their exact Bayes posterior is therefore
available without the ensemble Kalman approximation: self-normalised importance sampling of
one large shared sample of prior draws, each weighed by the likelihood of a patient's data.
By construction its 90 % intervals cover the truth of such patients 90 % of the time.

``sample``: N prior draws, simulated once, cached (``CACHE/prior.npz``).
``score``: per own patient of a seed (the same patients and noisy data as
:func:`twinviewer.personalize.coverage.run_setting`: generator seeds ``[seed, 99]``), the
reference 90 % intervals of LVEDP, LAP, PASP, SW, CO under

* ``exact``: the generating noise (the data's SD alone), and
* ``calnoise``: the calibration's likelihood SD, SD ⊕ the quantity's model-error SD
  (:meth:`~twinviewer.personalize.quantities.Quantity.model_sd`),

their coverage, the effective sample size, and, where the kept coverage record of the same
patient exists (matched by its true LAP), the shipped ensemble's interval width over the
reference's. Convergence: the same intervals from the two halves of the prior sample.

Run: ``PYTHONPATH=$PWD python docs/notes/cov14_reference.py sample CACHE N`` then
``... score CACHE SEED K [RECORDS.pkl]``.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np

OUT = ("LVEDP", "LAP", "PASP", "SW", "CO")
DATA = ("HR", "SBP", "DBP", "LVEDV", "LVESV")


def sample(cache: Path, n: int, chunk: int = 4000) -> None:
    """``n`` prior draws of the ``own`` setting, simulated, usable ones kept."""
    from twinviewer.personalize.synthetic import _plausible, prior_draws
    from twinviewer.physiology import simulate
    from twinviewer.physiology.presets import get_preset

    preset = get_preset("healthy")
    rng = np.random.default_rng(20261207)
    keep: dict[str, list[np.ndarray]] = {k: [] for k in DATA + OUT}
    for _ in range(0, n, chunk):
        res = simulate(preset.model, prior_draws(preset.model, preset.vector(), chunk, rng))
        good = res.ok & _plausible(res)
        for k in DATA + OUT:
            keep[k].append(np.asarray(res.metrics[k], float)[good])
        print(f"{sum(len(v) for v in keep['HR'])} draws", flush=True)
    np.savez(cache / "prior.npz", **{k: np.concatenate(v) for k, v in keep.items()})


def wquantile(x: np.ndarray, w: np.ndarray, q) -> np.ndarray:
    """Weighted quantiles (the weighted empirical CDF, interpolated)."""
    o = np.argsort(x)
    c = np.cumsum(w[o])
    c = (c - 0.5 * w[o]) / c[-1]
    return np.interp(q, c, x[o])


def sds(kind: str, value: float, name: str) -> float:
    from twinviewer.personalize.quantities import QUANTITY_BY_NAME
    from twinviewer.personalize.synthetic import NOISE

    sd = NOISE[name][0]
    if kind == "calnoise":
        return float(np.hypot(sd, QUANTITY_BY_NAME[name].model_sd(value)))
    return sd


def score(cache: Path, seed: int, k: int, records: Path | None) -> list[dict]:
    """The reference intervals of ``k`` own patients of ``seed`` (module docstring)."""
    from twinviewer.personalize.synthetic import patients

    P = dict(np.load(cache / "prior.npz"))
    N = len(P["HR"])
    data = patients("own", k, seed)
    rng = np.random.default_rng([seed, 99])
    recs = pickle.loads(records.read_bytes()) if records else []
    by_lap = {round(r.truth["LAP"], 9): r for r in recs
              if hasattr(r, "posterior")}
    rows = []
    for i in range(data.results.n):
        ms = {m.name: m.value for m in data.measurements(i, rng)}
        row = {"i": i, "truth": {o: data.truth(o, i) for o in OUT}}
        for kind in ("exact", "calnoise"):
            ll = np.zeros(N)
            for name in DATA:
                s = sds(kind, ms[name], name)
                ll -= 0.5 * ((P[name] - ms[name]) / s) ** 2
            w = np.exp(ll - ll.max())
            row[f"ess_{kind}"] = float(w.sum() ** 2 / (w**2).sum())
            halves = (np.arange(N) % 2 == 0, np.arange(N) % 2 == 1)
            for o in OUT:
                row[(kind, o)] = wquantile(P[o], w, [0.05, 0.5, 0.95])
                row[(kind, o, "halves")] = [wquantile(P[o][h], w[h], [0.05, 0.95])
                                            for h in halves]
        r = by_lap.get(round(row["truth"]["LAP"], 9))
        if r is not None:
            row["ens"] = {o: np.quantile(r.posterior[o][np.isfinite(r.posterior[o])],
                                         [0.05, 0.5, 0.95]) for o in OUT}
        rows.append(row)
    return rows


def report(rows: list[dict]) -> None:
    for kind in ("exact", "calnoise"):
        cov = {o: np.mean([r[(kind, o)][0] <= r["truth"][o] <= r[(kind, o)][2] for r in rows])
               for o in OUT}
        pooled = np.mean(list(cov.values()))
        ess = np.median([r[f"ess_{kind}"] for r in rows])
        print(f"{kind:9s} coverage " + " / ".join(f"{o} {100 * c:.0f}" for o, c in cov.items())
              + f"; pooled {100 * pooled:.1f} %; median ESS {ess:.0f} (min "
              f"{min(r[f'ess_{kind}'] for r in rows):.0f}); n {len(rows)}")
        # convergence: the two halves' log widths
        d = [abs(np.log((h[0][1] - h[0][0]) / (h[1][1] - h[1][0])))
             for r in rows for o in OUT for h in [r[(kind, o, "halves")]]]
        print(f"          halves: median |log width ratio| {np.median(d):.3f}, 90th pct "
              f"{np.quantile(d, 0.9):.3f}")
    matched = [r for r in rows if "ens" in r]
    if not matched:
        return
    print(f"shipped ensemble (records) vs reference, {len(matched)} matched patients:")
    for o in OUT:
        ens_cov = np.mean([r["ens"][o][0] <= r["truth"][o] <= r["ens"][o][2] for r in matched])
        we = np.array([r["ens"][o][2] - r["ens"][o][0] for r in matched])
        wx = np.array([r[("exact", o)][2] - r[("exact", o)][0] for r in matched])
        wc = np.array([r[("calnoise", o)][2] - r[("calnoise", o)][0] for r in matched])
        me = np.array([np.log(r["ens"][o][1] / r[("exact", o)][1]) for r in matched])
        hx = np.array([np.log(r[("exact", o)][2] / r[("exact", o)][0]) / 2 for r in matched])
        print(f"  {o:5s} ens cov {100 * ens_cov:.0f} %; width ens/exact median "
              f"{np.median(we / wx):.2f} (IQR {np.quantile(we / wx, 0.25):.2f}–"
              f"{np.quantile(we / wx, 0.75):.2f}); calnoise/exact {np.median(wc / wx):.2f}; "
              f"ens/calnoise {np.median(we / wc):.2f}; median shift ens vs exact "
              f"{np.median(me):+.3f} (log), |shift|/exact log half-width "
              f"{np.median(np.abs(me) / hx):.2f}")


if __name__ == "__main__":
    cmd, cache = sys.argv[1], Path(sys.argv[2])
    cache.mkdir(parents=True, exist_ok=True)
    if cmd == "sample":
        sample(cache, int(sys.argv[3]))
    else:
        seed, k = int(sys.argv[3]), int(sys.argv[4])
        rows = score(cache, seed, k, Path(sys.argv[5]) if len(sys.argv) > 5 else None)
        (cache / f"ref_own_{seed}.pkl").write_bytes(pickle.dumps(rows))
        report(rows)
