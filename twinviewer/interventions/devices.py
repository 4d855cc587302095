"""Device interventions: pacing and a continuous-flow left ventricular assist device."""

from __future__ import annotations

import numpy as np

from twinviewer.interventions.intervention import (
    Context,
    Intervention,
    InterventionError,
    Setting,
)

#: Largest AV delay as a fraction of the RR interval: the atria must contract within the
#: beat they belong to (UNSOURCED bound; optimal AV delays are 0.1–0.2 s, INTERVENTIONS.md §5).
MAX_AVD_FRACTION_OF_RR = 0.5


def _pacing_check(ctx: Context, P: np.ndarray, s: dict) -> None:
    rr_ms = 60000.0 / s["rate"]
    if s["av_delay"] > MAX_AVD_FRACTION_OF_RR * rr_ms:
        raise InterventionError(
            f"pacing: setting 'av_delay' = {s['av_delay']:g} ms is longer than half the RR "
            f"interval ({rr_ms:.0f} ms at {s['rate']:g} bpm): atrial contraction would fall "
            f"into the previous beat; shorten the AV delay or lower the rate")


def _pacing(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
    # The set rate is a lower rate: a DDD pacemaker paces a heart whose own rate is below it
    # and tracks a faster sinus rhythm (review14b #1: at 70 bpm it slowed members of 67–100).
    hr = ctx.col("HR")
    P[:, hr] = np.maximum(P[:, hr], s["rate"])
    P[:, ctx.col("AVD")] = s["av_delay"] / 1000.0
    return P


PACING = Intervention(
    name="pacing",
    title="Dual-chamber (DDD) pacing: rate and AV delay",
    settings=(
        Setting("rate", "bpm", 70.0, (30.0, 220.0),
                "lower (paced) rate: a member whose own rate is below it is paced at it, a "
                "member beating faster keeps its own rate (tracked, not slowed); DDD 70 → 110 "
                "bpm: CO unchanged if EF < 50 %, 6.4 → 9.1 L/min if EF ≥ 50 % (PMID 14643273)",
                label="Rate",
                reason_low="below the lowest programmable rate (30 bpm)",
                reason_high="beyond 220 bpm no heart fills; the model's context of use ends "
                "at 180 bpm"),
        Setting("av_delay", "ms", 150.0, (20.0, 400.0),
                "atrioventricular delay (sets AVD); optimal 116–190 ms (Porciani; Melzer "
                "2004)", label="AV delay",
                reason_low="shorter than the model's 20 ms minimum AV delay",
                reason_high="longer than any programmable AV delay (400 ms)"),
    ),
    description="Sets the atrioventricular delay (AVD) of every member and raises the heart "
    "rate (HR) of each member whose own rate is below the set rate to it; a member beating "
    "faster keeps its own rate (a DDD pacemaker's rate is a lower rate: it never slows a "
    "faster intrinsic rhythm).",
    evidence=("Normal hearts: CI constant, SV falls with paced HR (scilit).",
              "DDD 70 → 110 bpm: EF < 50 % CO unchanged, EF ≥ 50 % CO 6.4 → 9.1 (PMID 14643273).",
              "Optimal AV delay 148 ± 36 ms (CO, Porciani); 180–190 ms (Melzer 2004)."),
    assumptions=("Paced activation has the same sequence and duration as sinus activation.",
                 "Each member's rate is the larger of its own and the set rate; the AV delay "
                 "applies to every member (paced and tracked beats alike).",
                 "Given with drugs, the pacemaker acts last whatever the order of the "
                 "steps: the drugs change the heart's own rate (a β-blocker slows it, "
                 "dobutamine speeds it) and the pacemaker paces a member whose rate is then "
                 "below the set rate, so no drug takes a paced heart below it; the AV delay "
                 "is the pacemaker's whatever a drug does to AV conduction.",
                 "The pacemaker holds the rate: run regulated, the baroreflex acts on "
                 "contractility, resistance and venous tone but not on HR, also in a member "
                 "tracked above the set rate, whose own rate stays as it was (UNSOURCED "
                 "simplification)."),
    transform=_pacing,
    parameters=("HR", "AVD"),
    main_setting="rate",
    check=_pacing_check,
    holds=("HR",),
    persists=True,
)


#: HeartMate 3 head–flow points, speed (rpm) → ((flow L/min, head mmHg), ...), digitised from
#: the pump curves of the HeartMate 3 instructions for use (Abbott, fig. 1.3) in the
#: matthiaszeller/VAD-0D-DNN notebook N1 (INTERVENTIONS.md §6). physiology/elements.py
#: PUMP_A and PUMP_B are the least-squares fit to them (H = a·ω² − b·Q², 3.62 mmHg/krpm² and
#: 1.75 mmHg/(L/min)²). The fit meets every point's head within 8 mmHg (6 at flows up to
#: 5 L/min) and its flow within 0.6 L/min (tests/interventions/test_pump_curve.py).
HM3_HEAD_FLOW: dict[float, tuple[tuple[float, float], ...]] = {
    4000.0: ((0.0, 58.0), (3.0, 41.0), (4.5, 16.0)),
    5000.0: ((0.0, 90.0), (2.0, 80.0), (4.0, 63.0), (6.0, 19.0)),
    6000.0: ((0.0, 131.0), (4.0, 105.0), (6.0, 70.0), (7.0, 36.0)),
    7000.0: ((0.0, 177.0), (4.0, 150.0), (8.0, 63.0)),
    8000.0: ((0.0, 232.0), (5.0, 191.0), (8.0, 126.0)),
}

#: Speeds (rpm) of the HeartMate 3 head–flow points the pump curve is fitted to: outside them
#: the model extrapolates.
PUMP_CURVE_RPM = (min(HM3_HEAD_FLOW), max(HM3_HEAD_FLOW))

#: The ramp protocol of Uriel et al., JACC Heart Fail 2016;4:208–217 (35 patients), pump →
#: (first speed, step) in rpm: HeartMate II from 8000 rpm in 400-rpm steps (21 patients),
#: HVAD from 2300 rpm in 100-rpm steps (14).
URIEL_RAMPS = {"HeartMate II": (8000.0, 400.0), "HVAD": (2300.0, 100.0)}
#: "Data were recorded at up to 9 speed settings"; the reported totals over the per-step
#: changes give 8.0 steps (CO 1.28/0.16, PCWP 9.9/1.23).
URIEL_SPEEDS = 9


def equivalent_ramp(first_rpm: float, step_rpm: float, speeds: int = URIEL_SPEEDS,
                    hm3_first_rpm: float = PUMP_CURVE_RPM[0]) -> tuple[float, float, float]:
    """(from, to, step) in HeartMate 3 rpm of a ramp run on another rotary pump, with the
    same relative speed at every step.

    A speed step is not a pump-independent quantity: 400 rpm is a small step for a
    HeartMate II (8000–12000 rpm) and a large one for a HeartMate 3 (3000–9000). By the
    affinity laws of a rotary pump (head ∝ speed², flow ∝ speed), a step that raises the
    speed by the same fraction raises the head the pump generates by the same fraction, so
    the HeartMate 3 ramp is the source's ramp scaled by ``hm3_first_rpm / first_rpm``.
    That the two first speeds give the same support (the source's lowest protocol speed,
    the lowest speed of the fitted HeartMate 3 curve) is UNSOURCED.

    Examples
    --------
    >>> equivalent_ramp(8000.0, 400.0)   # Uriel's HeartMate II ramp, 9 speeds
    (4000.0, 5600.0, 200.0)
    """
    if not (first_rpm > 0 and step_rpm > 0 and speeds >= 2):
        raise ValueError(f"a ramp needs a positive first speed and step and at least two "
                         f"speeds (got {first_rpm:g} rpm, {step_rpm:g} rpm, {speeds})")
    scale = hm3_first_rpm / first_rpm
    step = scale * step_rpm
    return hm3_first_rpm, hm3_first_rpm + step * (speeds - 1), step


def _lvad(ctx: Context, P: np.ndarray, s: dict) -> np.ndarray:
    P[:, ctx.col("VAD.speed")] = s["speed"] / 1000.0
    return P


LVAD = Intervention(
    name="lvad",
    title="Left ventricular assist device (HeartMate 3-like)",
    settings=(Setting(
        "speed", "rpm", 5500.0, (3000.0, 9000.0),
        "pump speed; HeartMate 3 range 3000–9000 rpm (Abbott), typical 5000–6000 "
        "(UNSOURCED); the model's head–flow curve is fitted to the IFU curves 4000–8000 rpm",
        label="Pump speed", reason_low="below the HeartMate 3 pump curve (3000–9000 rpm)",
        reason_high="above the HeartMate 3 pump curve (3000–9000 rpm)"),),
    description="Sets the LVAD speed (VAD.speed, krpm); reports LV suction and whether the "
    "aortic valve still opens.",
    evidence=("HM3 speed 3000–9000 rpm, low-flow alarm < 2.5 L/min (Abbott pump-parameter "
              "sheet).",
              "HM3 H–Q curves 4000–8000 rpm (digitised IFU via VAD-0D-DNN).",
              "Ramp: per step CO +0.16 L/min, PCWP −1.23 mmHg; intermittent AV opening is a "
              "target (Uriel JACC HF 2016).",
              "Suction stops upward titration in 31 % (Hayward ASAIO 2011)."),
    assumptions=("Outflow graft to the ascending aorta, inflow at the LV apex; no artificial "
                 "pulse.",
                 "At low speed the pump regurgitates in diastole when aortic pressure exceeds "
                 "its shut-off head (58 mmHg at 4000 rpm), as a real continuous-flow pump does.",
                 "Suction is flagged from the LV collapsing to its unstressed volume or LV "
                 "pressure below −2 mmHg; echo criteria are not modelled."),
    transform=_lvad,
    parameters=("VAD.speed",),
    flags=("LV_suction", "AV_opening"),
    main_setting="speed",
)
