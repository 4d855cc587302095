"""cov13a: does the patient's own evidence of fit tell where the bare ensemble misses?

Recalibrates the standard-set synthetic patients exactly as
:func:`twinviewer.personalize.coverage.run_setting` does (same seeds, so the posteriors are
those of the kept coverage records, checked bit for bit) and keeps, per patient, what the
calibration says about its own fit: the signed posterior-predictive z of every datum
(SBP, DBP, LVEDV, LVESV), the misfit ``M`` (their mean z²), the atypicality ``D``, the largest
|z|, the robust prior's wide weight, the EKI iterations, the calibrated parameters' moves
(mean squared and largest shift of the posterior median, in prior SDs) and contraction
(posterior / prior SD), the share of members within 1 % of a plausible bound, and the
heart-size factor. Then prints, pooled over the four settings (own, perturbed,
regazzoni2022, 2x wide) of the training seeds:

* each feature's median per setting and its ROC area against the model's own patients;
* the ROC area of each feature for "truth outside the bare ensemble's 90 % interval", per
  output (pooled) and within each setting (pooled over outputs);
* the Spearman correlation of the signed standardised log error with the signed features,
  per setting;
* within tertiles of ``D`` and ``M``, each setting's 90 % quantile of the standardised error;
* leave-one-seed-out coverage of split-conformal intervals on the standardised log error
  |log(truth/median)| / (raw 90 % log half-width), pooled over the settings: one quantile
  for everyone, a quantile per bin of a feature (Mondrian conformal: the scale a step
  function of the feature), and a ridge location/scale model of the error on the features
  (locally weighted conformal, Lei et al. 2018; conformalised regression, Romano et al. 2019).

With ``--fresh`` the representative chosen on the training seeds (Mondrian on ``M``, 3 bins,
and the one-quantile reference), learned on both training seeds, is scored once on seed 23.

Run: ``PYTHONPATH=$PWD python docs/notes/cov13a_misfit.py CACHE_DIR [--fresh]`` (≈ 2 min CPU
per 400 patients to calibrate; the calibrated evidence is cached in CACHE_DIR).
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
from scipy.stats import rankdata, spearmanr

OUT = ("LVEDP", "LAP", "PASP", "SW", "CO")
SETTINGS = ("own", "perturbed", "regazzoni", "wide")
DATA = ("SBP", "DBP", "LVEDV", "LVESV")


def calibrate_setting(setting: str, k: int, seed: int) -> list[dict]:
    """The evidence of fit of ``k`` standard-set patients of ``setting`` (as run_setting)."""
    from twinviewer.personalize.calibrate import CalibrationError, calibrate
    from twinviewer.personalize.measurements import MeasurementError
    from twinviewer.personalize.synthetic import UNMEASURED, patients
    from twinviewer.physiology.presets import get_preset
    from twinviewer.twins import twin_from_preset

    data = patients(setting, k, seed)
    twin = twin_from_preset("healthy", n=1)
    model = get_preset("healthy").model
    # log scale; a bound at 0 (V0, EROA: a prior that reaches it, never "pushed" there, as
    # explain.validity judges) is at −inf, never near
    with np.errstate(divide="ignore", invalid="ignore"):
        bounds = np.log(np.array([p.plausible for p in model.parameters], dtype=float))
    rng = np.random.default_rng([seed, 99])
    out = []
    for i in range(data.results.n):
        ms = data.measurements(i, rng)
        try:
            r = calibrate(twin, ms, n=48, seed=seed * 1000 + i, point_estimate=False)
        except (CalibrationError, MeasurementError):
            continue
        cal = [model.index(n) for n in r.calibrated]
        E = np.log(np.maximum(r.ensemble[:, cal], 1e-300))
        P = np.log(np.maximum(r.prior_ensemble[:, cal], 1e-300))
        psd = np.where(P.std(0) > 0, P.std(0), 1.0)
        shift = (np.median(E, 0) - np.median(P, 0)) / psd
        near = (np.abs(E - bounds[cal, 0]) < 0.01) | (np.abs(E - bounds[cal, 1]) < 0.01)
        out.append(dict(
            setting=setting, seed=seed, truth={o: data.truth(o, i) for o in UNMEASURED},
            post={o: np.asarray(r.results.metrics[o])[r.results.ok] for o in UNMEASURED},
            z={f.name: f.z for f in r.fit if f.used}, M=r.misfit, D=r.atypicality,
            wide=r.wide_weight, iters=r.convergence.iterations,
            shift2=float(np.mean(shift**2)), maxshift=float(np.max(np.abs(shift))),
            contr=float(np.mean(E.std(0) / psd)), at_bound=float(near.mean()),
            size=float(np.log(r.size_factor[0])) if r.size_factor else 0.0))
    return out


def load(cache: Path, seeds: tuple[int, ...], k: int) -> list[dict]:
    """The evidence of every setting and seed, calibrated once and cached."""
    recs = []
    for seed in seeds:
        for s in SETTINGS:
            f = cache / f"fit_{s}_{seed}.pkl"
            if not f.exists():
                f.write_bytes(pickle.dumps(calibrate_setting(s, k, seed)))
            recs += pickle.loads(f.read_bytes())
    return recs


def features(d: dict) -> dict[str, float]:
    """The per-patient evidence of fit (module docstring)."""
    f = {f"z_{k}": d["z"].get(k, np.nan) for k in DATA}
    z = np.array([v for v in d["z"].values() if np.isfinite(v)])
    f.update({k: d[k] for k in ("M", "D", "wide", "iters", "shift2", "maxshift", "contr",
                                "at_bound", "size")})
    f["max|z|"] = float(np.max(np.abs(z))) if z.size else np.nan
    f["|size|"] = abs(d["size"])
    return f


def errors(d: dict) -> dict[str, tuple[float, bool]]:
    """Per output: the signed log error over the raw 90 % log half-width, and the raw miss."""
    out = {}
    for o in OUT:
        p = np.log(d["post"][o][np.isfinite(d["post"][o])])
        lo, m, hi = np.quantile(p, [0.05, 0.5, 0.95])
        t = np.log(d["truth"][o])
        out[o] = ((t - m) / ((hi - lo) / 2), not lo <= t <= hi)
    return out


def auc(y, v) -> float:
    """ROC area of ``v`` for the positives ``y`` (ties half; non-finite dropped)."""
    y, v = np.asarray(y, bool), np.asarray(v, float)
    ok = np.isfinite(v)
    y, v = y[ok], v[ok]
    r, n1, n0 = rankdata(v), y.sum(), (~y).sum()
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def separation(recs: list[dict]) -> None:
    """Step 1: the features per setting and how well they predict the bare ensemble's miss."""
    F = [features(d) for d in recs]
    T = [errors(d) for d in recs]
    st = np.array([d["setting"] for d in recs])
    print(f"{len(recs)} patients. feature: median own/pert/reg/wide | AUC vs own pert/reg/wide"
          " | AUC of raw miss per output (pooled) LVEDP/LAP/PASP/SW/CO | within-setting AUC"
          " of raw miss own/pert/reg/wide")
    for n in F[0]:
        v = np.array([f[n] for f in F], float)
        med = "/".join(f"{np.nanmedian(v[st == s]):.2f}" for s in SETTINGS)
        sep = "/".join(f"{auc(st[np.isin(st, ['own', s])] == s, v[np.isin(st, ['own', s])]):.2f}"
                       for s in SETTINGS[1:])
        miss = "/".join(f"{auc([t[o][1] for t in T], v):.2f}" for o in OUT)
        within = []
        for s in SETTINGS:
            idx = np.flatnonzero(st == s)
            y = [T[i][o][1] for o in OUT for i in idx]
            within.append(f"{auc(y, [v[i] for o in OUT for i in idx]):.2f}")
        within = "/".join(within)
        print(f"{n:9s} {med:24s} | {sep:14s} | {miss} | {within}")
    print("Spearman of the signed error with a feature, per setting (LVEDP LAP PASP SW CO):")
    for n in ("z_SBP", "z_LVEDV", "z_LVESV", "size", "M", "D"):
        v = np.array([f[n] for f in F], float)
        cells = []
        for s in SETTINGS:
            i = np.flatnonzero(st == s)
            cells.append(s[:4] + " " + " ".join(
                f"{spearmanr(v[i], [T[j][o][0] for j in i])[0]:+.2f}" for o in OUT))
        print(f"  {n:8s}", " | ".join(cells))


def tertiles(recs: list[dict]) -> None:
    """Within tertiles of ``D`` and ``M``: each setting's 90 % quantile of |s| (the half-width,
    in raw half-widths, a 90 % interval of that setting would need there)."""
    st = np.array([d["setting"] for d in recs])
    for feat in ("D", "M"):
        v = np.array([features(d)[feat] for d in recs], float)
        b = np.digitize(v, np.quantile(v, [1 / 3, 2 / 3]))
        print(f"90 % quantile of |s| within tertiles of {feat} (own/pert/reg/wide per tertile):")
        for o in OUT:
            e = np.abs([errors(d)[o][0] for d in recs])
            print(f"  {o:6s}", " | ".join("/".join(
                f"{np.quantile(e[(st == s) & (b == k)], 0.9):.2f}" for s in SETTINGS)
                for k in range(3)))


def _bins(train_f: np.ndarray, nb: int) -> np.ndarray:
    return np.unique(np.quantile(train_f, np.linspace(0, 1, nb + 1))[1:-1])


def mondrian(train: list[dict], test: list[dict], feat: str | None, nb: int):
    """Coverage per (setting, output) of split-conformal intervals whose quantile of the
    standardised |log error| is taken within bins of ``feat`` (``None``: one quantile)."""
    def fv(recs):
        v = np.array([features(d)[feat] if feat else 0.0 for d in recs], float)
        return np.where(np.isfinite(v), v, 1.0)
    edges = _bins(fv(train), nb) if feat else np.array([])
    btr, bte = np.digitize(fv(train), edges), np.digitize(fv(test), edges)
    st = np.array([d["setting"] for d in test])
    cov = {}
    for o in OUT:
        etr = np.abs([errors(d)[o][0] for d in train])
        ete = np.abs([errors(d)[o][0] for d in test])
        q = np.array([np.quantile(etr[btr == b], min(1.0, 0.9 * (1 + 1 / np.sum(btr == b))))
                      for b in range(len(edges) + 1)])
        hit = ete <= q[bte]
        for s in SETTINGS:
            cov[s, o] = float(hit[st == s].mean())
    return cov


def ridge(train: list[dict], test: list[dict], names: list[str], loc: bool, scale: bool):
    """As :func:`mondrian` with a ridge location and log-scale model of the signed error on
    the features (the conformal quantile of the normalised score pooled over the settings)."""
    def design(recs, mu=None, sd=None):
        X = np.array([[features(d)[n] for n in names] for d in recs], float)
        X = np.where(np.isfinite(X), X, 0.0)
        mu = X.mean(0) if mu is None else mu
        sd = X.std(0) + 1e-9 if sd is None else sd
        return np.c_[np.ones(len(X)), (X - mu) / sd], mu, sd
    Ztr, mu, sd = design(train)
    Zte, _, _ = design(test, mu, sd)
    pen = np.diag([0.0] + [1.0] * len(names))
    st = np.array([d["setting"] for d in test])
    cov = {}
    for o in OUT:
        s = np.array([errors(d)[o][0] for d in train])
        b = np.linalg.solve(Ztr.T @ Ztr + pen, Ztr.T @ s) if loc else np.zeros(Ztr.shape[1])
        lr = np.log(np.abs(s - Ztr @ b) + 1e-3)
        g = np.linalg.solve(Ztr.T @ Ztr + pen, Ztr.T @ lr) if scale else \
            np.r_[lr.mean(), np.zeros(len(names))]
        q = np.quantile(np.abs(s - Ztr @ b) / np.exp(Ztr @ g), 0.9)
        ste = np.array([errors(d)[o][0] for d in test])
        hit = np.abs(ste - Zte @ b) / np.exp(Zte @ g) <= q
        for st_ in SETTINGS:
            cov[st_, o] = float(hit[st == st_].mean())
    return cov


def summary(label: str, cov: dict) -> str:
    pooled = [np.mean([cov[s, o] for o in OUT]) for s in SETTINGS]
    worst = max(abs(p - 0.9) for p in pooled)
    cells = "  ".join("/".join(f"{100 * cov[s, o]:.0f}" for o in OUT) for s in SETTINGS)
    inside = sum(0.85 <= v <= 0.95 for v in cov.values())
    return (f"{label:26s} " + " / ".join(f"{100 * p:.1f}" for p in pooled)
            + f"  worst {100 * worst:.1f}  lowest cell {100 * min(cov.values()):.0f}"
            f"  cells in {inside}/20 | {cells}")


def loso(recs: list[dict]) -> None:
    """Step 2 probe: leave-one-seed-out coverage of conformal intervals conditioned on the
    evidence (pooled per setting own / perturbed / regazzoni / wide)."""
    a = [d for d in recs if d["seed"] == 2026]
    b = [d for d in recs if d["seed"] == 11]
    print("leave-one-seed-out, pooled own / perturbed / regazzoni / wide, cells per output:")
    variants = [("one quantile", None, 1)] + [
        (f"Mondrian {f}, {nb} bins", f, nb)
        for f in ("M", "D", "max|z|", "wide", "contr", "shift2") for nb in (3, 5)]
    for label, f, nb in variants:
        c1, c2 = mondrian(a, b, f, nb), mondrian(b, a, f, nb)
        print(summary(label, {k: (c1[k] + c2[k]) / 2 for k in c1}))
    fit = ["D", "M", "max|z|", "iters", "wide", "shift2", "contr", "|size|"]
    signed = [f"z_{k}" for k in DATA] + ["size"]
    for label, names in (("D, M", ["D", "M"]), ("fit", fit), ("signed z", signed),
                         ("all", fit + signed)):
        for loc, scale in ((True, False), (False, True), (True, True)):
            c1, c2 = ridge(a, b, names, loc, scale), ridge(b, a, names, loc, scale)
            tag = f"ridge {label} {'loc' if loc else ''}{'+' if loc and scale else ''}" \
                  f"{'scale' if scale else ''}"
            print(summary(tag, {k: (c1[k] + c2[k]) / 2 for k in c1}))


def fresh(train: list[dict], test: list[dict]) -> None:
    """The representative variants, learned on both training seeds, scored once on seed 23."""
    print(f"fresh seed 23 ({len(test)} patients), learned on the training seeds:")
    print(summary("one quantile", mondrian(train, test, None, 1)))
    print(summary("Mondrian M, 3 bins", mondrian(train, test, "M", 3)))


def main(argv: list[str]) -> int:
    cache = Path(argv[0])
    cache.mkdir(parents=True, exist_ok=True)
    train = load(cache, (2026, 11), 50)
    separation(train)
    tertiles(train)
    loso(train)
    if "--fresh" in argv:
        fresh(train, load(cache, (23,), 100))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
