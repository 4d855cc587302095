"""Valve interventions: aortic valve replacement (TAVI, SAVR) and mitral edge-to-edge repair."""

from __future__ import annotations

import numpy as np

from twinviewer.interventions.intervention import (
    Context,
    Intervention,
    InterventionError,
    Setting,
)
from twinviewer.interventions.prostheses import PROSTHESES, Prosthesis, annulus_area

#: Largest EOA a replacement may be given (cm²): a normal native aortic valve is 3–4 cm²
#: (ACC/AHA 2006, INTERVENTIONS.md §1) and the largest tabulated prosthesis (Evolut R 34 mm)
#: has 2.60 ± 0.75 cm².
MAX_PROSTHESIS_EOA = 3.5
#: Smallest EOA a drawn member may get (cm²): below it the prosthesis itself would be
#: critically stenotic (< 0.75 cm² is critical AS, INTERVENTIONS.md §1).
MIN_DRAWN_EOA = 0.75
#: Paravalvular leak grade → regurgitant orifice (cm²): none/trace, mild, moderate, severe at
#: mid-class values of the native aortic-regurgitation EROA classes (mild < 0.10, moderate
#: 0.10–0.29, severe ≥ 0.30 cm²; ASE 2017 regurgitation guideline, not in INTERVENTIONS.md).
#: Using native-AR classes for a paravalvular jet is UNSOURCED.
PVL_GRADES = (0.0, 1.0, 2.0, 3.0)
PVL_EROA = (0.0, 0.05, 0.20, 0.40)
PVL_LABELS = {0.0: "none/trace", 1.0: "mild", 2.0: "moderate", 3.0: "severe"}

_PVL = Setting(
    "pvl", "grade", 0.0, (0.0, 3.0),
    "paravalvular leak grade 0 none/trace, 1 mild, 2 moderate, 3 severe (half grades "
    "interpolate); sets AV.EROA to 0 / 0.05 / 0.20 / 0.40 cm² (native-AR EROA classes, "
    "mapping UNSOURCED). PARTNER II S3 30 d: none/trace 55.7 %, mild 32.6 %, ≥ moderate 3.5 %",
    label="Paravalvular leak", choices=PVL_LABELS,
    reason_high="grade 3 (severe) is the highest grade")
_ANNULUS = Setting(
    "annulus", "mm", 0.0, (0.0, 35.0),
    "native annulus diameter if measured (0: unknown); the prosthesis EOA must fit inside "
    "the annulus area", label="Annulus diameter", unknown="not measured (enter mm)",
    reason_high="larger than any annulus treated with the tabulated prostheses")
_SEED = Setting("seed", "1", 0.0, (0.0, 2.0**31), "seed of the per-member EOA draw (paired "
                "and reproducible across runs)", label="Seed")


def pvl_eroa(grade: float) -> float:
    """Regurgitant orifice (cm²) for a paravalvular leak ``grade`` (0–3)."""
    return float(np.interp(grade, PVL_GRADES, PVL_EROA))


def draw_eoa(n: int, mean: float, sd: float, upper: float, seed: float) -> np.ndarray:
    """Per-member EOA (cm²): a seeded normal(mean, sd) draw, truncated to
    [max(0.75, mean − 2.5 sd), min(upper, mean + 2.5 sd)]; member i always gets the i-th
    draw, so runs pair up member by member."""
    if sd <= 0:
        return np.full(n, mean)
    lo, hi = max(MIN_DRAWN_EOA, mean - 2.5 * sd), min(upper, mean + 2.5 * sd)
    u = np.random.default_rng(int(seed)).random(n)
    from scipy import stats  # here: scipy.stats costs ~1 s to import at start-up

    return stats.truncnorm.ppf(u, (lo - mean) / sd, (hi - mean) / sd, loc=mean, scale=sd)


def _cap(owner: str, eoa: float, annulus: float) -> float:
    """Largest EOA allowed; raises if ``eoa`` does not fit the annulus."""
    if annulus <= 0:
        return MAX_PROSTHESIS_EOA
    area = annulus_area(annulus)
    if eoa > area:
        raise InterventionError(
            f"{owner}: EOA {eoa:.2f} cm² is above the native annulus area {area:.2f} cm² "
            f"(diameter {annulus:g} mm): a prosthesis cannot open wider than its annulus")
    return min(MAX_PROSTHESIS_EOA, area)


def _replace_valve(ctx: Context, P: np.ndarray, eoa: float, sd: float, s: dict) -> np.ndarray:
    upper = _cap(ctx.owner, eoa, s["annulus"])
    P[:, ctx.col("AV.EOA")] = draw_eoa(P.shape[0], eoa, sd, upper, s["seed"])
    P[:, ctx.col("AV.EROA")] = pvl_eroa(s["pvl"])
    return P


_AVR_ASSUMPTIONS = (
    "The native valve is replaced outright: its EOA and any native regurgitation are "
    "discarded; the prosthesis EOA is a fixed orifice (Doppler-like gradients, no pressure "
    "recovery, so catheter gradients would be lower: BE 11.0 vs 3.2 mmHg, Biersmith 2022).",
    "Per-member EOA is drawn from the size's mean ± SD (truncated normal, seeded), so the "
    "scenario's interval includes prosthesis variability as well as the twin's.",
    "Acute haemodynamics only: no LV remodelling, no change in contractility.",
    "In a native valve that is neither stenotic (AVA > 1.5 cm² and mean gradient < 20 mmHg) "
    "nor more than mildly regurgitant (EROA < 0.10 cm²) the replacement treats nothing: it "
    "is computed as asked, not refused, and flagged when added and with its results.",
)


def _tavi_generic(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
    return _replace_valve(ctx, P, s["eoa"], s["eoa_sd"], s)


TAVI = Intervention(
    name="tavi",
    title="Aortic valve replacement, prosthesis given by its EOA",
    settings=(
        Setting("eoa", "cm^2", 1.8, (0.75, MAX_PROSTHESIS_EOA),
                "expected Doppler EOA of the prosthesis; TAVI typically 1.5–2.0 cm² "
                "(REFERENCE.md); tabulated sizes span 1.09–2.60 cm² (INTERVENTIONS.md §2)",
                label="Prosthesis EOA", reason_low="a prosthesis below 0.75 cm² would "
                "leave critical stenosis (INTERVENTIONS.md §1)",
                reason_high="above a sensible maximum: a normal native aortic valve is "
                "3–4 cm² and the largest tabulated prosthesis (Evolut R 34) 2.60 ± 0.75 cm²"),
        Setting("eoa_sd", "cm^2", 0.35, (0.0, 0.8),
                "between-patient SD of the EOA; 0.35 cm² is typical of the tabulated sizes "
                "(0.22–0.75 cm², INTERVENTIONS.md §2)", label="EOA SD", spread=True,
                reason_high="larger than any tabulated size's SD (0.75 cm²)"),
        _PVL, _ANNULUS, _SEED,
    ),
    description="Sets AV.EOA to the prosthesis EOA (drawn per member from mean ± SD) and "
    "AV.EROA from the paravalvular leak grade (mapping UNSOURCED).",
    evidence=(
        "TAVI EOA 1.5–2.0 cm², mean gradient ~8–12 mmHg (REFERENCE.md).",
        "Prosthesis EOA by size: ASE 2024 tables via parameterz/avr-mvr (INTERVENTIONS.md §2).",
        "PVL frequency: Pibarot JAMA Cardiol 2017 (PARTNER II S3).",
    ),
    assumptions=_AVR_ASSUMPTIONS,
    transform=_tavi_generic,
    parameters=("AV.EOA", "AV.EROA"),
    main_setting="eoa",
)


def _sized(prosthesis: Prosthesis, name: str, title: str) -> Intervention:
    default = prosthesis.sizes[len(prosthesis.sizes) // 2].size_mm

    def transform(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
        size = prosthesis.size(s["size"])
        return _replace_valve(ctx, P, size.eoa, size.eoa_sd * s["sd_scale"], s)

    sizes = ", ".join(f"{z.size_mm:g} mm {z.eoa:.2f}±{z.eoa_sd:.2f} cm² (MG {z.mean_gradient})"
                      for z in prosthesis.sizes)
    return Intervention(
        name=name,
        title=title,
        settings=(
            Setting("size", "mm", default, (prosthesis.sizes[0].size_mm,
                                            prosthesis.sizes[-1].size_mm),
                    f"label size of the {prosthesis.title}: {sizes}", label="Label size",
                    choices=prosthesis.size_labels, only_choices=True,
                    reason_low="smaller than the smallest size made",
                    reason_high="larger than the largest size made"),
            Setting("sd_scale", "1", 1.0, (0.0, 2.0),
                    "multiplier of the tabulated EOA SD (1: as published; 0: every member "
                    "gets the mean)", label="Spread ×", spread=True),
            _PVL, _ANNULUS, _SEED,
        ),
        description=f"{prosthesis.title}: AV.EOA from the size's Doppler EOA mean ± SD "
        f"(per member, seeded) and AV.EROA from the paravalvular leak grade "
        f"(mapping UNSOURCED).",
        evidence=(prosthesis.source,
                  "MG after TAVI by size: STS/ACC TVT; Jin J Invasive Cardiol 2022 "
                  "(INTERVENTIONS.md §2).",
                  "PVL frequency: Pibarot JAMA Cardiol 2017 (PARTNER II S3)."),
        assumptions=_AVR_ASSUMPTIONS,
        transform=transform,
        parameters=("AV.EOA", "AV.EROA"),
        main_setting="size",
    )


TAVI_SAPIEN3 = _sized(PROSTHESES["sapien3"], "tavi_sapien3", "TAVI with SAPIEN 3 by size")
TAVI_EVOLUT_R = _sized(PROSTHESES["evolut_r"], "tavi_evolut_r", "TAVI with Evolut R by size "
                       "(Evolut PRO/PRO+/FX assumed similar, UNSOURCED)")
SAVR_PERIMOUNT = _sized(PROSTHESES["perimount"], "savr_perimount",
                        "Surgical AVR with Perimount by size")


# ------------------------------------------------------------------------ mitral repair
def _teer_check(ctx: Context, P: np.ndarray, s: dict) -> None:
    eroa = P[:, ctx.col("MV.EROA")]
    med = float(np.median(eroa))
    if med <= s["residual_eroa"]:
        raise InterventionError(
            f"mitral_teer: the twin's mitral EROA (median {med:.2f} cm²) is not larger than "
            f"the residual EROA {s['residual_eroa']:.2f} cm²: there is no regurgitation to "
            f"repair")


def _teer(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
    j = ctx.col("MV.EROA")
    # A clip never enlarges the regurgitant orifice: a member whose own EROA is already
    # below the residual keeps it.
    P[:, j] = np.minimum(P[:, j], s["residual_eroa"])
    P[:, ctx.col("MV.EOA")] *= 1.0 - s["mva_reduction"] / 100.0
    return P


MITRAL_TEER = Intervention(
    name="mitral_teer",
    title="Mitral transcatheter edge-to-edge repair (MitraClip-type)",
    settings=(
        Setting("residual_eroa", "cm^2", 0.1, (0.0, 0.3),
                "regurgitant orifice left after the clip; residual MR ≤ 2+ in 98 % "
                "(PMC6662353); 3D vena-contracta area 0.99 → 0.22 cm² (Dietl 2018); a "
                "pooled post-clip EROA is UNSOURCED", label="Residual EROA",
                reason_high="a residual EROA ≥ 0.3 cm² is moderate-to-severe MR (severe ≥ "
                "0.40 cm², ACC/AHA 2020), not a successful repair"),
        # refitted on model 3.1 with the 4v² Doppler gradient (num17): 56 %, fitted on 3.0
        # (+1.46 there), gave +1.25 mmHg on 3.1; 57.5 % gives +1.50 (57 %: +1.42, 58 %: +1.58)
        Setting("mva_reduction", "%", 57.5, (0.0, 60.0),
                "reduction of the forward mitral EOA by the clip's double orifice; 57.5 % is "
                "fitted (UNSOURCED) so that on the severe_mr patient the Doppler mean "
                "gradient rises by the reported 1.5 mmHg (1.6 → 3.1, PMC6662353; model "
                "3.1: 2.97 → 4.47 mmHg, +1.50); evidence row teer-gradient-rf is marked "
                "fitted to it",
                label="Mitral area reduction",
                reason_high="a larger reduction creates iatrogenic mitral stenosis (mean "
                "gradient > 5 mmHg carries a mortality HR 1.91, INTERVENTIONS.md §3)"),
    ),
    description="Sets MV.EROA to the residual EROA (never above the member's own) and "
    "reduces MV.EOA by the iatrogenic area loss (57.5 % by default, UNSOURCED, fitted to the "
    "published +1.5 mmHg gradient rise, so that rise is a consistency check, not a "
    "prediction).",
    evidence=(
        "Residual MR ≤ 2+ in 98.4 %; MV gradient 1.6 → 3.1 mmHg (JAHA PMC6662353).",
        "Mean gradient > 5 mmHg in 26 %, mortality HR 1.91 (Oguz, Mayo Clinic).",
        "3D vena-contracta area 0.99 → 0.22 cm² (Dietl 2018).",
    ),
    assumptions=(
        "The double orifice is one effective orifice of reduced area.",
        "Acute effect only: no reverse remodelling of LV or LA.",
    ),
    transform=_teer,
    parameters=("MV.EROA", "MV.EOA"),
    main_setting="residual_eroa",
    check=_teer_check,
)
