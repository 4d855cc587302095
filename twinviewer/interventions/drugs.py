"""Acute drug effects as parameter changes, scaled by dose.

Magnitudes are anchored to the acute haemodynamic studies collected in
``shared/INTERVENTIONS.md`` §4. Those studies report heart rate, cardiac output, pressures and
resistances; translating them into model parameters (contractility EA, stressed volume) is
marked UNSOURCED where no source gives the parameter itself. Effects scale linearly with dose
between the anchors (Emax for the ACE inhibitor and milrinone) and are refused above the
dose range.
Magnitudes fitted to evidence rows (each named below and in the rows' ``"fitted"`` field) are
refitted with ``python -m twinviewer.interventions.refit`` (groups and rows in
:data:`twinviewer.interventions.refit.GROUPS`).
"""

from __future__ import annotations

import numpy as np

from twinviewer.interventions.intervention import (
    Context,
    Intervention,
    InterventionError,
    Setting,
    interp_levels,
    scale,
)

LEVELS = {0.0: "none", 1.0: "low", 2.0: "medium", 3.0: "high"}
_NO_RAUTOREG = ("Run 'acute' the response is the unregulated one (e.g. no reflex "
                "tachycardia after a vasodilator); run 'regulated' the steady-state arterial "
                "baroreflex acts; the magnitudes were fitted to the evidence rows run "
                "regulated. No renal or humoral regulation.")
_NEGATIVE = "a dose cannot be negative"

#: Loop blood volume (V_total, mL) of the virtual patient the venodilation magnitudes below
#: were fitted on (``hfref_decompensated`` in evidence/patients.json, regulated mode).
FIT_V_TOTAL_ML = 1886.0


def _venodilate(ctx: Context, P: np.ndarray, ml_at_fit: np.ndarray | float) -> None:
    """Shift stressed into unstressed volume as a *fraction* of each member's loop volume.

    The drug magnitudes were fitted as mL on a congested patient (V_total 1889 mL); the same
    absolute shift on a less congested twin (hfref preset: 1327 mL) removed 40 % of its
    loop volume and collapsed MAP and CO. Venous capacitance rises in proportion to the
    venous pool, so the fitted shift is applied as the same fraction of V_total (identical on
    the fitted patient, so the evidence rows are unchanged). The fraction is of the member's
    loop volume *before the scenario* (:meth:`Context.before`): the venous pool the drug
    widens is the patient's, so a diuretic's loss and this shift add up in either order
    (two independent actions on the stressed volume; drugs17, 46 mL apart by order before).
    """
    j = ctx.col("V_total")
    P[:, j] -= np.asarray(ml_at_fit, dtype=float) * ctx.before(P, "V_total") / FIT_V_TOTAL_ML


#: Largest fall of the resistance to venous return by β-stimulation: isoproterenol 1 µg/kg/min
#: raised venous return 1.62 → 2.40 L/min at a fixed right atrial pressure, compliances
#: unchanged (Green, Am J Physiol 1977;232:H152), so RVR fell 1 − 1.62/2.40 = 32 %. It bounds
#: the fitted venous-resistance magnitude of the β-blocker (refit.GROUPS). Tried for
#: dobutamine too (drugs9): its least-squares fit to the two dobutamine rows puts the fall at
#: 0, because a lower RVR moves volume into the heart and lungs and the sources report the
#: filling pressures falling (docs/notes/drugs9.md).
RVEN_DROP_BETA_MAX = 1.0 - 1.62 / 2.40


# ------------------------------------------------------------------ beta-blocker
#: Metoprolol IV reference dose (mg) and its effects (Dell'Italia AJC 1989): HR 90 → 74.
BB_REF_MG = 12.0
BB_HR_DROP = 1.0 - 74.0 / 90.0
#: Contractility drop the β-blocker sets itself, at the reference dose: 0. In healthy men
#: IV metoprolol left the LV volumes unchanged at rest, the output falling only with the rate
#: (Scand J Clin Lab Invest 1991;51:161): the normal heart at rest does not lean on
#: sympathetic support. What β-blockade costs a failing heart (Ees −27 % in CHF, Haber et al.,
#: Circulation 1993;88:1610) is the withdrawal of its resting sympathetic support, which grows
#: as LVEF falls: that needs the member's baseline LVEF, so the scenario applies it after
#: this transform, acute and regulated alike
#: (:func:`twinviewer.interventions.baroreflex.withdraw_support`, physio12/12b). Until physio12
#: this was one fitted constant for every heart (0.22, drugs10 0.209, drugs11 0.189) and the
#: metoprolol and esmolol rows needed it on either side of one value (≤ 0.185 and ≥ 0.214).
BB_EA_DROP = 0.0
#: Rise of the resistance to venous return (SYS.R_VEN) at the reference dose. Direction
#: sourced: the venous resistance carries a β-mediated dilator and an α-mediated constrictor
#: component, and propranolol turned noradrenaline's rise of venous return into a fall
#: (Imai, Satoh & Taira 1978, dogs): β-blockade leaves the α-constriction unopposed. The
#: magnitude for metoprolol is not published: fitted with BB_EA_DROP (UNSOURCED), bounded by
#: undoing the largest β-agonist fall (:data:`RVEN_DROP_BETA_MAX`, Green 1977):
#: 1/(1 − 0.32) − 1 = +48 %. The fit sits at that bound (drugs9): on model 3.0 it passes the
#: metoprolol row and turns esmolol's PCWP rise into a fall, so the refit guard keeps 0; on
#: model 3.1 it is kept (both rows fail either way; squared miss 15.0 → 5.0). Since physio12
#: it is fitted to the metoprolol row alone (its least squares stays at the bound, 0.481), so
#: the esmolol row is a prediction; that row passes for any value from 0 to the bound.
BB_RVEN_RISE = 0.481
#: β1-blockade blocks the baroreflex's inotropic arm (ventricular contractility is raised by
#: β1 receptors only); its heart-rate arm keeps the vagal part, and resistance and venous
#: tone are α-mediated, so those stay. The block follows the dose (:func:`bb_block`).
BB_BLOCKED_REFLEX = ("LV.EA", "RV.EA")
#: Dose giving half the maximal β-blocker effect, metoprolol-IV-equivalent mg (review16b #1:
#: the effects were linear in dose and the support withdrawal a step at any dose > 0). An
#: Emax (receptor-occupancy) form E(d) = Emax·d/(d + ED50) through the two esmolol dose steps
#: of INTERVENTIONS.md §4 (Iskandrian et al., JACC 1986): HR fall 91 → 83 (8 bpm) at 4 mg/min
#: and 91 → 79 (12 bpm) at the maximal 16 mg/min gives 12/8 = [16/(16+ED50)]/[4/(4+ED50)],
#: ED50 = 3.2 mg/min = 0.2 of the maximal dose (Emax 14.4 bpm). The esmolol row takes 16
#: mg/min as the 12 mg metoprolol equivalent (that equivalence is UNSOURCED), so ED50 = 0.2 ×
#: 12 = 2.4 mg. Using one HR dose–response for every β1 effect (contractility support, reflex
#: block, venous resistance, relaxation) is UNSOURCED: one receptor occupancy drives them all.
BB_ED50_MG = 12.0 * 3.2 / 16.0


def bb_effect(dose: float) -> float:
    """Fraction of the reference-dose (12 mg) β-blocker effect at ``dose`` (mg metoprolol IV
    equivalent): the Emax occupancy d/(d + :data:`BB_ED50_MG`) over its value at 12 mg, so the
    evidence rows at 12 mg are unchanged; slightly above 1 above 12 mg.

    Examples
    --------
    >>> [round(bb_effect(d), 3) for d in (0.0, 0.5, 2.4, 5.0, 12.0, 15.0)]
    [0.0, 0.207, 0.6, 0.811, 1.0, 1.034]
    """
    d = max(float(dose), 0.0)
    return (d / (d + BB_ED50_MG)) / (BB_REF_MG / (BB_REF_MG + BB_ED50_MG))


def bb_block(settings: dict[str, float]) -> float:
    """Fraction of full β1-blockade at the step's settings (its dose): :func:`bb_effect`
    capped at 1 — the withdrawal of the resting sympathetic support and the block of the
    reflex's inotropic arm were measured at full blockade (Haber 1993: 0.1 mg/kg propranolol
    or metoprolol 15 mg IV), so they do not grow past it.

    Examples
    --------
    >>> [round(bb_block({"dose": d}), 3) for d in (0.5, 5.0, 12.0, 15.0)]
    [0.207, 0.811, 1.0, 1.0]
    """
    return min(1.0, bb_effect(settings.get("dose", BB_REF_MG)))
#: Slower LV relaxation at the reference dose: the isovolumic relaxation time constant rose
#: 59 → 72 ms (+22 %) after metoprolol 12 ± 4 mg IV (Dell'Italia & Walsh, Am J Cardiol
#: 1989, PMID 2909996, the metoprolol row's own study: "despite impaired LV relaxation").
#: Applied as the same fractional rise of the LV relaxation duration (LV.TR) of the
#: activation curve, with the dose as :func:`bb_effect`: that translation of τ is UNSOURCED.
#: Its effect on the rows is small (metoprolol EDV +3.4 → +3.0 %, ESV +13.5 → +13.0 %, drugs11).
BB_TAU_RISE = 72.0 / 59.0 - 1.0


def _beta_blocker(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
    f = bb_effect(s["dose"])
    scale(ctx, P, ["HR"], 1.0 - BB_HR_DROP * f)
    if BB_EA_DROP:
        scale(ctx, P, ["LV.EA", "RV.EA"], 1.0 - BB_EA_DROP * f)
    if BB_RVEN_RISE and ctx.has("SYS.R_VEN"):  # optional: imported models may lack it
        scale(ctx, P, ["SYS.R_VEN"], 1.0 + BB_RVEN_RISE * f)
    if BB_TAU_RISE and ctx.has("LV.TR"):
        scale(ctx, P, ["LV.TR"], 1.0 + BB_TAU_RISE * f)
    return P


BETA_BLOCKER = Intervention(
    name="beta_blocker",
    title="Beta-blocker (metoprolol IV equivalent)",
    settings=(Setting(
        "dose", "mg", 10.0, (0.0, 15.0),
        "metoprolol IV dose; at 12 mg HR −18 % (90 → 74 bpm, Dell'Italia 1989) and LV/RV "
        "contractility loses the heart's resting sympathetic support, 0 at LVEF ≥ 50 % to "
        "−27 % at LVEF ≤ 25 % (Haber 1993)"
        + (f", resistance to venous return SYS.R_VEN +{100 * BB_RVEN_RISE:.0f} % (β-blockade "
           "unmasks α-venoconstriction, Imai 1978; size fitted, UNSOURCED)"
           if BB_RVEN_RISE else "")
        + (f", LV relaxation duration LV.TR +{100 * BB_TAU_RISE:.0f} % (τ 59 → 72 ms, "
           "Dell'Italia 1989)" if BB_TAU_RISE else "")
        + f"; every effect follows the dose as d/(d + {BB_ED50_MG:g} mg) (Emax, ED50 from "
        "the esmolol dose steps, Iskandrian 1986), scaled to 1 at 12 mg: 0.5 mg gives "
        f"{100 * bb_effect(0.5):.0f} %, 5 mg {100 * bb_effect(5.0):.0f} %",
        label="Metoprolol IV", reason_low=_NEGATIVE,
        reason_high="above the usual cumulative IV loading dose of 15 mg (3 × 5 mg)"),),
    description="Lowers HR, raises the resistance to venous return (SYS.R_VEN) and slows LV "
    "relaxation (LV.TR) with a saturating (Emax) dose–response; withdraws the failing "
    "heart's resting sympathetic support of LV/RV active elastance (EA), from the member's "
    "baseline LVEF; run regulated, it also blocks the reflex's inotropic arm.",
    evidence=("Metoprolol IV ~12 mg: HR 90 → 74, dP/dtmax −28 %, EF 48 → 43, relaxation "
              "time constant 59 → 72 ms (Dell'Italia AJC 1989).",
              "Esmolol in LV dysfunction: HR 91 → 83, CO ↓, PCWP ↑ (Iskandrian JACC 1986).",
              "IV metoprolol or propranolol in congestive heart failure: Ees 0.88 → 0.64 "
              "mmHg/mL (Haber, Circulation 1993;88:1610); in healthy men LV volumes unchanged "
              "at rest (Scand J Clin Lab Invest 1991;51:161).",
              "Venous resistance: β-mediated dilator and α-mediated constrictor components; "
              "propranolol reversed noradrenaline's rise of venous return (Imai, Satoh & Taira "
              "1978, dogs); isoproterenol lowered splanchnic venous resistance 42 % and raised "
              "venous return 48 % (Green 1977, dogs)."),
    assumptions=(_NO_RAUTOREG, "The β-blocker withdraws the resting sympathetic support of "
                 "contractility, acute or regulated: at full blockade (12 mg and above) it "
                 "grows linearly from 0 at baseline LVEF 50 % to 27 % at LVEF 25 % (the "
                 "ramp's shape is UNSOURCED). Run regulated, it also blocks the reflex's "
                 "inotropic arm (β1-mediated); HR (vagal part), resistance and venous tone "
                 "still respond. Below 12 mg the withdrawal and the block are the fraction "
                 "d/(d + 2.4 mg) of full blockade scaled to 1 at 12 mg (ED50 from the esmolol "
                 "HR dose steps, Iskandrian 1986; one occupancy for every β1 effect, and the "
                 "esmolol–metoprolol equivalence, UNSOURCED).",
                 "The rise of the resistance to venous return is applied only to a model with "
                 "a lumped systemic venous resistance (not to an imported svZeroD model "
                 "without one), the slower relaxation only to one with an LV relaxation "
                 "duration."),
    transform=_beta_blocker,
    parameters=("HR", "LV.EA", "RV.EA"),
    main_setting="dose",
    holds=BB_BLOCKED_REFLEX,
    hold_fraction=bb_block,
    optional=("SYS.R_VEN", "LV.TR"),
    cumulative="dose",
)

# ------------------------------------------------------------------ arterial vasodilator
#: Direct systemic arteriolar resistance fall per level. The hydralazine studies report the
#: *net* SVR change (−39 to −42 %) in patients whose reflexes act; high = −50 % direct gives
#: the net −39 % when run regulated on the evidence patient (the heart-failure-blunted reflex
#: takes back a fifth). The low and medium steps are UNSOURCED thirds.
VASO_HIGH_R_DROP = 0.51
#: Rise of arterial compliance per level: UNSOURCED.
VASO_C_RISE = (0.0, 0.05, 0.10, 0.15)


def _vasodilator(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
    lv = s["level"]
    drops = (0.0, VASO_HIGH_R_DROP / 3.0, 2.0 * VASO_HIGH_R_DROP / 3.0, VASO_HIGH_R_DROP)
    scale(ctx, P, ["SYS.R_AR"], 1.0 - interp_levels(lv, list(LEVELS), drops))
    scale(ctx, P, ["SYS.C_AR"], 1.0 + interp_levels(lv, list(LEVELS), VASO_C_RISE))
    return P


VASODILATOR = Intervention(
    name="vasodilator",
    title="Arterial vasodilator (hydralazine / nitroprusside-like)",
    settings=(Setting(
        "level", "level", 2.0, (0.0, 3.0),
        "dose level 1 low, 2 medium, 3 high: SYS.R_AR −17 / −33 / −50 % direct (high: net "
        "SVR −39 % with the reflex, the hydralazine −39 to −42 %; lower steps UNSOURCED) "
        "and SYS.C_AR +5 / +10 / +15 % (UNSOURCED)",
        label="Dose level", choices=LEVELS, reason_low=_NEGATIVE,
        reason_high="level 3 (high) is the top of the studied range"),),
    description="Lowers systemic arterial resistance and raises arterial compliance.",
    evidence=("Oral hydralazine: SVR −39 to −42 %, CI +56–70 %, MAP −5 % (INTERVENTIONS.md §4).",
              "Nitroprusside: PCWP 32 → 17, CO 3.0 → 5.2, MAP −15 (Guiha NEJM 1974)."),
    assumptions=(_NO_RAUTOREG, "Venodilation (nitroprusside's preload fall) is not included; "
                 "combine with a diuretic step to represent it."),
    transform=_vasodilator,
    parameters=("SYS.R_AR", "SYS.C_AR"),
    main_setting="level",
    cumulative="level",
)

# ------------------------------------------------------------------ ACE inhibitor
#: Captopril 25 mg: SVR 27.3 → 17.5 mmHg·min/L (−36 %) at 60 min (post-MI LVF, scilit).
ACE_REF_MG = 25.0
ACE_REF_DROP = 1.0 - 17.5 / 27.3
#: Emax dose–response with ED50 12.5 mg: UNSOURCED shape through the 25 mg anchor.
ACE_ED50 = 12.5
#: The reported SVR fall is the *net* one, with the patients' reflexes acting: the direct
#: fall is 1.35× larger (−49 % at 25 mg), so that the regulated net fall on the evidence
#: patient is the reported −34…−36 % (fitted to that input, UNSOURCED).
ACE_DIRECT = 1.4


def _ace_drop(dose: float) -> float:
    # Emax read at call time from ACE_DIRECT, so that a refit of ACE_DIRECT takes effect.
    emax = ACE_DIRECT * ACE_REF_DROP * (ACE_ED50 + ACE_REF_MG) / ACE_REF_MG
    return emax * dose / (ACE_ED50 + dose)


#: Venodilation (stressed → unstressed volume, mL) at 25 mg: UNSOURCED, behind the reported
#: PCWP fall 23.5 → 16.8 mmHg (least-squares fit to the captopril row run regulated);
#: scales with the resistance effect.
ACE_VOLUME_ML = 435.0


def _ace(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
    drop = _ace_drop(s["dose"])
    scale(ctx, P, ["SYS.R_AR"], 1.0 - drop)
    # Compliance gain proportional to the resistance fall, +10 % at 25 mg: UNSOURCED.
    ref = ACE_DIRECT * ACE_REF_DROP  # the direct fall at 25 mg
    scale(ctx, P, ["SYS.C_AR"], 1.0 + 0.10 * drop / ref)
    _venodilate(ctx, P, ACE_VOLUME_ML * drop / ref)
    return P


ACE_INHIBITOR = Intervention(
    name="ace_inhibitor",
    title="ACE inhibitor (captopril equivalent, acute)",
    settings=(Setting(
        "dose", "mg", 25.0, (0.0, 50.0),
        f"captopril oral dose; 25 mg gives SYS.R_AR −{100 * _ace_drop(25.0):.0f} % direct, "
        "the reported net SVR −36 % "
        "(27.3 → 17.5, post-MI LVF) with the reflex acting; Emax curve with ED50 12.5 mg "
        f"(UNSOURCED) so 50 mg gives −{100 * _ace_drop(50.0):.0f} % direct; SYS.C_AR +10 % "
        f"and {ACE_VOLUME_ML:.0f} mL of stressed "
        "volume venodilated at 25 mg (UNSOURCED)", label="Captopril",
        reason_low=_NEGATIVE,
        reason_high="above the usual maximum single dose of 50 mg"),),
    description="Lowers systemic arterial resistance (Emax in dose) and raises compliance.",
    evidence=("Captopril 25 mg post-MI LVF: SVR 27.3 → 17.5 mmHg·min/L, CO 3.24 → 4.05, PCWP "
              "23.5 → 16.8, MAP 90 → 76 (INTERVENTIONS.md §4).",),
    assumptions=(_NO_RAUTOREG, "The venous (preload) effect behind the published PCWP fall "
                 "is a stressed-volume shift fitted to that fall (UNSOURCED)."),
    transform=_ace,
    parameters=("SYS.R_AR", "SYS.C_AR", "V_total"),
    main_setting="dose",
    cumulative="dose",
)

# ------------------------------------------------------------------ diuretic
#: Loop volume removed per level (mL): UNSOURCED. Furosemide 1.3 mg/kg IV gave ~2.1 L
#: diuresis and LVFP 28 → 22 mmHg at 3.5 h (Francis 1985), but how much of the urine leaves
#: the stressed blood volume is not published, and this model has no baroreflex to hold the
#: arterial pressure, so the steps are kept small (≈ −1.2 mmHg LAP per 100 mL in hfref).
DIURETIC_ML = (0.0, 100.0, 200.0, 300.0)
#: The loop must keep at least this fraction of its volume.
DIURETIC_MAX_FRACTION = 0.4


def _diuretic(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
    P[:, ctx.col("V_total")] -= interp_levels(s["level"], list(LEVELS), DIURETIC_ML)
    return P


def _diuretic_check(ctx: Context, P: np.ndarray, s: dict) -> None:
    dv = interp_levels(s["level"], list(LEVELS), DIURETIC_ML)
    # the loss against the patient's own loop volume, not what a venodilator before it left
    # in the stressed pool: the same refusal in either order
    v = ctx.before(P, "V_total")
    if dv > DIURETIC_MAX_FRACTION * float(v.min()):
        raise InterventionError(
            f"diuretic: level {s['level']:g} removes {dv:.0f} mL, more than "
            f"{100 * DIURETIC_MAX_FRACTION:.0f} % of the smallest member's loop volume "
            f"({v.min():.0f} mL): hypovolaemic shock, outside the model's context of use")


DIURETIC = Intervention(
    name="diuretic",
    title="Loop diuretic (furosemide-like, hours)",
    settings=(Setting(
        "level", "level", 2.0, (0.0, 3.0),
        "dose level 1 low, 2 medium, 3 high: loop volume (V_total) −100 / −200 / −300 mL; "
        "UNSOURCED mapping of diuresis (~2.1 L at 3.5 h after 1.3 mg/kg, LVFP 28 → 22, "
        "Francis 1985) to stressed volume", label="Dose level", choices=LEVELS,
        reason_low=_NEGATIVE, reason_high="level 3 (high) is the top of the studied range"),),
    description="Removes blood volume held by the loop (stressed volume).",
    evidence=("Furosemide IV 1.3 mg/kg: 20 min SVR +15 %, LVFP 28 → 33; 3.5 h diuresis ~2.1 L, "
              "LVFP 28 → 22 (Francis Ann Intern Med 1985).",
              "Diuresis −1–2 L stressed volume: UNSOURCED estimate (INTERVENTIONS.md §4)."),
    assumptions=("The hours-scale effect after diuresis; the early vasoconstriction "
                 "(SVR +15 % at 20 min) is not modelled.", _NO_RAUTOREG),
    transform=_diuretic,
    parameters=("V_total",),
    main_setting="level",
    check=_diuretic_check,
    cumulative="level",
)

# ------------------------------------------------------------------ inotrope
#: Dobutamine 10 µg/kg/min: HR 98 → 105 (Akhtar/Cohn AJC 1975) is the *net* change; the
#: direct chronotropic effect is a little larger because the (heart-failure blunted)
#: baroreflex slows the heart as pressure rises. Since physio13 the contractility and heart-rate
#: magnitudes are the *non-failing* heart's: the scenario scales them per member by its
#: β-receptor responsiveness (× 0.365 at LVEF ≤ 25 %, Bristow 1982;
#: baroreflex.beta_responsiveness), the resistance fall is not scaled. The three magnitudes
#: are UNSOURCED translations, fitted by least squares to the heart-failure row (dobutamine-10,
#: EF 15 %) alone, run regulated (`refit --group inotrope`); the two post-operative rows
#: (Sakamoto, EF 41 %) are predictions. Until physio13 one response for every heart, fitted to
#: the dobutamine 5 and 10 rows (HR 0.08, EA 0.31, R 0.49), passed neither.
#: Linear in dose above the reference up to the setting's 20 µg/kg/min: contractility indices
#: rose linearly over 5–20 µg/kg/min in conscious dogs (Hinds & Hawthorne, Am J Cardiol
#: 1975;36:894), so no saturating form was adopted (physio13b; the human Ees at 20 stays
#: UNSOURCED). A heart that would leave LV.EA's plausible range is refused by name.
INO_REF = 10.0
INO_HR_RISE = 0.194
#: Contractility gain of a non-failing heart at the reference dose (fitted, see above; × 0.365
#: at LVEF ≤ 25 %: +48 %).
INO_EA_RISE = 1.32
#: Systemic resistance fall at the reference dose (fitted; Akhtar's CO +80 % with MAP
#: unchanged implies SVR −44 %).
INO_R_DROP = 0.539


#: The dobutamine effects that act through cardiac β receptors: scaled per member by its
#: β-receptor responsiveness (baroreflex.beta_responsiveness, physio13); the resistance fall
#: is not (vascular, and fitted to the heart-failure row as it is).
INO_BETA = ("LV.EA", "RV.EA", "HR")


def _inotrope(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
    f = s["dose"] / INO_REF
    scale(ctx, P, ["LV.EA", "RV.EA"], 1.0 + INO_EA_RISE * f)
    scale(ctx, P, ["HR"], 1.0 + INO_HR_RISE * f)
    # The vasodilation is not extrapolated beyond the studied 10 µg/kg/min (a linear fall
    # of 49 % per 10 µg/kg/min would remove all resistance at 20).
    scale(ctx, P, ["SYS.R_AR"], 1.0 - INO_R_DROP * min(f, 1.0))
    return P


INOTROPE = Intervention(
    name="inotrope",
    title="Inotrope (dobutamine)",
    settings=(Setting(
        "dose", "ug/kg/min", 5.0, (0.0, 20.0),
        "dobutamine infusion; at 10 µg/kg/min direct HR +19 %, LV/RV EA +132 % in a "
        "non-failing heart, scaled by its β-receptor responsiveness (× 0.37 at LVEF ≤ 25 %, "
        "Bristow 1982), and SYS.R_AR −54 % (UNSOURCED, fitted to Akhtar 1975 run "
        "with the baroreflex: net HR 98 → 105, CO 3.1 → 5.6, MAP ~=); linear in dose, "
        "extrapolated (UNSOURCED) above 10 except the resistance fall, held at its 10 µg/kg/min "
        "value", label="Dobutamine", reason_low=_NEGATIVE,
        reason_high="above the usual maximum infusion rate of 20 µg/kg/min"),),
    description="Raises LV/RV contractility and HR, lowers systemic resistance slightly.",
    evidence=("Dobutamine 10 µg/kg/min: CO 3.1 → 5.6, HR 98 → 105, MAP ~=, PCWP 27 → 21 "
              "(Akhtar/Cohn AJC 1975).",
              "Dobutamine 4 → 8 µg/kg/min post-op: CI 2.54 → 3.11 → 3.50, HR 88 → 96 → 109."),
    assumptions=(_NO_RAUTOREG, "No force–frequency or energetic limit: contractility rises "
                 "linearly with dose.",
                 "The cardiac response falls with the heart's baseline LVEF (β-receptor "
                 "loss in heart failure, Bristow 1982: × 0.37 at LVEF ≤ 25 %, linear from "
                 "50 %: the ramp's shape and the in-vitro → in-vivo step are UNSOURCED)."),
    transform=_inotrope,
    parameters=("LV.EA", "RV.EA", "HR", "SYS.R_AR"),
    main_setting="dose",
    beta_agonist=INO_BETA,
    cumulative="dose",
)

# ------------------------------------------------------------------ milrinone
#: Milrinone 50 µg/kg load + 0.5 µg/kg/min (reference infusion): inodilator.
MIL_REF = 0.5
#: Contractility gain and systemic resistance fall at the reference infusion: UNSOURCED
#: translation of the reported CI +38 % with SVR about −50 % (Cusick 1998: 1809 → 891).
MIL_EA_RISE = 0.43
MIL_R_DROP = 0.53
#: Venodilation moves stressed into unstressed volume (mL at the reference infusion):
#: UNSOURCED. The three milrinone magnitudes are least-squares fits to the two milrinone
#: evidence rows run regulated (evidence/milrinone.json). Both rows are at this infusion
#: rate; Cusick's (CI +79 %) rate is not in its abstract, and the 1991 row (CI +38 %) agrees
#: with a dose-ranging study's largest bolus (Fitzpatrick 1987: 75 µg/kg, CI +37 %, PCWP
#: −28 %): the refit passes one row or the other, never both (docs/notes/drugs10.md).
MIL_VOLUME_ML = 530.0
#: Emax dose-response (physio13b), ED50 in units of the reference dose. Fitzpatrick et al.,
#: Am Heart J 1987;114:97 (dose-ranging boluses in NYHA III-IV heart failure): CI +12 % after
#: 12.5 µg/kg and +37 % after 75 µg/kg; E = Emax·d/(ED50 + d) through both gives ED50 53.6
#: µg/kg (Emax +63 %). The label pairs the 50 µg/kg load with the 0.5 µg/kg/min reference
#: infusion; equating bolus and infusion in those units (ED50 = 53.6/50 of the reference) and
#: giving every milrinone effect the CI's shape are UNSOURCED. At the reference the effect is
#: the fitted one; at the labelled maximum 0.75 it is × 1.21 (linear: × 1.5, which took
#: SYS.R_AR below its plausible range on most presets: SVR −80 %).
_FITZ_UG_KG = (12.5, 75.0)  # boluses
_FITZ_CI_RISE = (12.0, 37.0)  # % at those boluses
_q = _FITZ_CI_RISE[1] / _FITZ_CI_RISE[0]
MIL_ED50 = ((_q - 1.0) * _FITZ_UG_KG[0] * _FITZ_UG_KG[1]
            / (_FITZ_UG_KG[1] - _q * _FITZ_UG_KG[0]) / 50.0)


def _mil_emax(f: float) -> float:
    """Effect at ``f`` × the reference dose, as a multiple of the reference effect.

    Examples
    --------
    >>> _mil_emax(0.0), _mil_emax(1.0), round(_mil_emax(1.5), 2)
    (0.0, 1.0, 1.21)
    """
    return f * (1.0 + MIL_ED50) / (MIL_ED50 + f)


def _milrinone(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
    g = _mil_emax(s["dose"] / MIL_REF)
    scale(ctx, P, ["LV.EA", "RV.EA"], 1.0 + MIL_EA_RISE * g)
    scale(ctx, P, ["SYS.R_AR"], 1.0 - MIL_R_DROP * g)
    _venodilate(ctx, P, MIL_VOLUME_ML * g)
    return P


MILRINONE = Intervention(
    name="milrinone",
    title="Milrinone (inodilator, 50 µg/kg load + infusion)",
    settings=(Setting(
        "dose", "ug/kg/min", 0.5, (0.0, 0.75),
        "milrinone infusion after a 50 µg/kg load; at 0.5 µg/kg/min LV/RV EA +43 %, SYS.R_AR "
        "−53 % and 530 mL of stressed volume venodilated (UNSOURCED translations fitted to "
        "CI +38 %, PCWP −28 %, SVR 1809 → 891); Emax in dose, ED50 1.07 × 0.5 µg/kg/min "
        "(Fitzpatrick 1987's bolus dose-response)", label="Milrinone",
        reason_low=_NEGATIVE, reason_high="above the labelled maximum of 0.75 µg/kg/min"),),
    description="Raises LV/RV contractility, lowers systemic resistance and stressed volume.",
    evidence=("Milrinone 50 µg/kg + 0.5 µg/kg/min, 15 min: PCWP −28 %, CI +38 %, SVI +34 % "
              "(Can J Cardiol 1991).",
              "SVR 1809 → 891 dyn·s/cm⁵, CI 1.9 → 3.4, PCWP 23 → 15 (Cusick AJC 1998)."),
    assumptions=("Acute effect at 15 min; no arrhythmia.",),
    transform=_milrinone,
    parameters=("LV.EA", "RV.EA", "SYS.R_AR", "V_total"),
    main_setting="dose",
    cumulative="dose",
)

# ------------------------------------------------------------------ nitroprusside
#: Reference infusion (µg/kg/min) for the Guiha 1974 effect: UNSOURCED (mid titration range).
NTP_REF = 1.0
#: Arteriolar resistance fall at the reference dose: UNSOURCED translation of CO 3.0 → 5.2
#: with MAP −15 mmHg (SVR about −45 %).
NTP_R_DROP = 0.55
#: Venodilation (stressed → unstressed volume, mL) at the reference dose: UNSOURCED. Both
#: magnitudes are least-squares fits to the Guiha row run regulated (heart-failure blunted
#: reflex), the resistance fall capped at 55 % (Guiha's CO +73 % with MAP −15 mmHg implies SVR
#: about −50 %); the row still fails (CO rises too little: see docs/notes/physio.md). Larger
#: volumes (469 mL in session 9, 522 mL on the Guiha-matched patient in drugs10) drop the
#: hfref what-if's SBP below the validated range: the refit refuses them (plausibility.py).
NTP_VOLUME_ML = 390.0


def _nitroprusside(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
    f = s["dose"] / NTP_REF
    scale(ctx, P, ["SYS.R_AR"], 1.0 - NTP_R_DROP * f / (0.25 + 0.75 * f))
    scale(ctx, P, ["SYS.C_AR"], 1.0 + 0.10 * f / (0.25 + 0.75 * f))
    _venodilate(ctx, P, NTP_VOLUME_ML * f / (0.25 + 0.75 * f))
    return P


NITROPRUSSIDE = Intervention(
    name="nitroprusside",
    title="Sodium nitroprusside (balanced arterial and venous dilator)",
    settings=(Setting(
        "dose", "ug/kg/min", 1.0, (0.0, 5.0),
        "infusion rate; at 1 µg/kg/min SYS.R_AR −55 %, SYS.C_AR +10 % and 390 mL of stressed "
        "volume venodilated (UNSOURCED translations of Guiha 1974: PCWP 32 → 17, CO 3.0 → "
        "5.2, MAP −15); saturating above", label="Nitroprusside", reason_low=_NEGATIVE,
        reason_high="above 5 µg/kg/min cyanide toxicity limits the infusion"),),
    description="Lowers systemic resistance and stressed volume (venodilation).",
    evidence=("Nitroprusside: PCWP 32 → 17, CO 3.0 → 5.2, MAP −15, HR slight ↓ (Guiha NEJM "
              "1974).",),
    assumptions=("Acute effect during a steady infusion.",),
    transform=_nitroprusside,
    parameters=("SYS.R_AR", "SYS.C_AR", "V_total"),
    main_setting="dose",
    cumulative="dose",
)

# ------------------------------------------------------------------ furosemide, time course
#: Early (neurohumoral) vasoconstriction: the *net* SVR +15 % at 20 min (Francis 1985) is
#: reproduced with the (heart-failure blunted) baroreflex acting, which needs a direct rise of
#: 28 %; fading with a time constant of 1 h (UNSOURCED).
FURO_R_RISE = 0.277
FURO_EARLY_TAU_H = 1.0
#: Early venoconstriction adds stressed volume (mL on the fitted patient, scaled with each
#: member's V_total): UNSOURCED, behind the reported LVFP rise 28 → 33 mmHg and SVI fall at
#: 20 min. The three furosemide magnitudes (this, FURO_R_RISE and FURO_DIURESIS_ML) are
#: least-squares fits to the two furosemide rows run regulated (evidence/diuretic.json), so
#: those rows check consistency, not an independent prediction.
FURO_EARLY_ML = 644.0
#: Stressed volume lost by 3.5 h: 470 mL, 22 % of the ~2.1 L diuresis (the fraction that is
#: not refilled from the interstitium is UNSOURCED); reached with a 1.5 h time constant.
FURO_DIURESIS_ML = 459.0
FURO_DIURESIS_TAU_H = 1.5
FURO_REF_MG_KG = 1.3


def _furosemide(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
    f = s["dose"] / FURO_REF_MG_KG
    t = s["hours"]
    early = np.exp(-t / FURO_EARLY_TAU_H)
    late = (1.0 - np.exp(-t / FURO_DIURESIS_TAU_H)) / (1.0 - np.exp(-3.5 / FURO_DIURESIS_TAU_H))
    scale(ctx, P, ["SYS.R_AR"], 1.0 + FURO_R_RISE * f * early / np.exp(-1.0 / 3.0))
    j = ctx.col("V_total")
    # a fraction of the member's loop volume before the scenario, as a venodilator's
    # (_venodilate): the two add up in either order
    P[:, j] += (f * (FURO_EARLY_ML * early - FURO_DIURESIS_ML * late)
                * ctx.before(P, "V_total") / FIT_V_TOTAL_ML)
    return P


FUROSEMIDE = Intervention(
    name="furosemide",
    title="Furosemide IV, time course (early vasoconstriction, then diuresis)",
    settings=(
        Setting("dose", "mg/kg", 1.3, (0.0, 2.0),
                "IV dose; effects scale linearly from the studied 1.3 mg/kg (Francis 1985)",
                label="Dose", reason_low=_NEGATIVE,
                reason_high="above the studied range (1.3 mg/kg)"),
        Setting("hours", "h", 3.5, (0.1, 6.0),
                "time after the dose: at 20 min SVR +15 % net (direct +28 %) and stressed "
                "volume +32 % of the loop volume (UNSOURCED, fitted to LVFP 28 → 33); by "
                "3.5 h 25 % of the loop volume lost (470 mL of ~2.1 L diuresis on the fitted "
                "patient, UNSOURCED)", label="Hours after dose",
                reason_low="the first minutes are not modelled",
                reason_high="beyond 6 h other compensation dominates"),
    ),
    description="Early systemic vasoconstriction and venoconstriction, then loss of stressed "
    "volume by diuresis, as a function of time after the dose.",
    evidence=("Furosemide IV 1.3 mg/kg: 20 min SVR +15 %, LVFP 28 → 33, SVI 27 → 24; 3.5 h "
              "diuresis ~2.1 L, LVFP 28 → 22 (Francis Ann Intern Med 1985).",),
    assumptions=("Time constants of the early and the diuretic phase (1 h, 1.5 h) are "
                 "UNSOURCED.",),
    transform=_furosemide,
    parameters=("SYS.R_AR", "V_total"),
    main_setting="hours",
    cumulative="dose",
)
