"""Calibrate a twin to its patient's measurements, with a posterior ensemble.

Method
------
1. **Measurements** are checked and put in canonical names and units
   (:mod:`~twinviewer.personalize.measurements`). Those that *are* model parameters (HR, AVA →
   ``AV.EOA``, EROA → ``MV.EROA``) set the parameter directly: its ensemble column is drawn
   from the measurement's own N(value, SD) (provenance *measured*). The others are data
   ``y`` with total SD ``σ = √(SD² + model_error²)`` (model error: see
   :mod:`~twinviewer.personalize.quantities`). A measurement that follows from others
   (LVEF and LVSV when LVEDV and LVESV are given) is shown but not counted twice.
2. **Prior ensemble**: every other parameter with a proper prior is free; members are drawn
   from the model priors centred on the preset of the patient's disease, chosen from the
   measurements (:mod:`~twinviewer.personalize.disease`; the user may override it) or on the
   twin's own values (scrambled Sobol' through the prior
   quantiles, :func:`~twinviewer.physiology.sample_prior`), or — for a later visit of a
   living twin — taken from the previous visit's posterior with a random-walk *drift* of
   ``drift`` prior SDs (parameters may change between visits).
3. **Point estimate (MAP)**: :func:`scipy.optimize.least_squares` over the parameters the
   measurements inform, in whitened log space (:mod:`~twinviewer.personalize.space`), starting
   at the twin's values, minimising ‖(G(z) − y)/σ‖² + ‖z − μ₀‖²_Σ₀ (prior term, so poorly
   informed parameters stay at the prior). The Jacobian is a forward difference computed
   for all parameters in one ensemble simulation.
4. **Posterior ensemble**: tempered ensemble Kalman inversion (:mod:`~twinviewer.personalize.eki`).
   Chosen because it is derivative-free, needs 5–15 iterations each of which is *one*
   ``simulate`` call over the whole ensemble (the engine's strength: 200 members ≈ 0.3 s,
   warm-started from the previous iteration's limit cycles), and with Σ 1/α = 1 it samples
   the exact posterior for linear-Gaussian problems, so its spread reflects measurement
   uncertainty and priors rather than collapsing as plain iterated EKI does. SMC or MCMC
   would need 10–100× more model runs; ABC would need a tolerance that biases the spread.
   Its limitation: for strongly non-linear, multi-modal posteriors it is an approximation
   (the honesty test in ``tests/personalize`` measures its coverage).
5. **Report**: fit table (measured beside predicted median and 90 % interval; a measurement
   the posterior predictive misses by |z| > 2 is flagged, by |z| > 3 it is *not reproduced*
   and :func:`updated_twin` refuses to apply the calibration unless the misfit is accepted),
   unmeasured predictions with the learned model discrepancy
   (:mod:`~twinviewer.personalize.discrepancy`), identifiability (posterior/prior 90 % width
   ratio, correlations, parameters left at the prior, the unmeasured measurements expected
   to reduce posterior variance most), convergence, and provenance for every parameter.

The input twin is never modified; :func:`updated_twin` returns a new one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import stats
from scipy.optimize import least_squares

from twinviewer.core.format import interval, number, percent, span, unit
from twinviewer.core.format import unit as _u
from twinviewer.core.measurement import Measurement, is_assumed, measurement_fields
from twinviewer.core.parameter import Prior
from twinviewer.core.provenance import TO_IMAGE_VOLUMES, Provenance, Source
from twinviewer.core.twin import Twin, Visit
from twinviewer.personalize import eki, robust_prior
from twinviewer.personalize.discrepancy import (
    Discrepancy,
    default_discrepancy,
    stale_reason,
)
from twinviewer.personalize.disease import (
    AUTO,
    PREVIOUS,
    TAG,
    PriorChoice,
    last_prior,
    preset_of,
    visit_prior,
)
from twinviewer.personalize.heart_size import SIZE_LOG_SD, SIZE_NAME, draw_sizes
from twinviewer.personalize.heart_size import describe as describe_size
from twinviewer.personalize.measurements import (
    MeasurementError,
    check_measurements,
    is_image_derived,
    normalise,
    quantity_key,
    require_valid,
    twin_measurements,
)
from twinviewer.personalize.parameter_count import MOVED_NOT_NARROWED, counts_text
from twinviewer.personalize.quantities import (
    MAP_LEFT_OUT,
    QUANTITIES,
    QUANTITY_BY_NAME,
    Z_FLAG,
    FitCheck,
    UnknownQuantity,
    canonical_name,
    fit_check,
    predict,
    predictive_z,
    same_cuff_reading,
    supported,
)
from twinviewer.personalize.space import ParameterSpace
from twinviewer.personalize.volume_curve import (
    CurveData,
    CurveFitSummary,
    CurveObservation,
    curves_of,
    observation,
    summarise,
)
from twinviewer.physiology import Cancelled, ModelSpec, Results, sample_prior, simulate
from twinviewer.twins import model_of

#: Posterior/prior 90 % width ratio at or above which a parameter is "left at the prior (not
#: informed by these data)", not "calibrated": the data removed < 10 % of its width. It holds
#: for a parameter whose posterior moved without narrowing too (review13 #8: "calibrated"
#: means the data narrowed it; the move is said in its provenance).
#: Why 0.9: the 90 % width of an ensemble of 48–200 members scatters by about ±13 % (48) to
#: ±7 % (200) from sampling alone (quantile standard error √(p(1−p)/n)/φ(1.645), both ends),
#: so a ratio ≥ 0.9 cannot be told apart from no narrowing at all.
AT_PRIOR = 0.9
#: The state of such a parameter, in every table, chart, explanation and report.
NOT_INFORMED = "left at the prior (not informed by these data)"
#: :data:`~twinviewer.personalize.parameter_count.MOVED_NOT_NARROWED`: the state of a parameter
#: the data moved (see :data:`MOVED_SHIFT`) without narrowing it (width ratio ≥
#: :data:`AT_PRIOR`). Its provenance is "calibrated" — the data set its value — with a detail
#: starting so; it is not among the narrowed :attr:`CalibrationResult.calibrated`. Such a
#: parameter is where a fit absorbs a conflict between data (review16 #8: the LV unstressed
#: volume shifted and 1.57× wider under two LVEDVs): never called "left at the prior".
#: A parameter whose posterior median leaves the prior's central 50 % interval, or whose 90 %
#: interval's centre shifts by more than this fraction of the prior's 90 % width, *moved*: it
#: is said so in its provenance ("moved …, not narrowed"); its state follows the width.
#: Why 0.2: with 48–200 members the centre of a 90 % interval scatters by about 0.045 (200)
#: to 0.065 (48) of the width from sampling alone (the SE of a 5 %/95 % quantile is
#: √(0.05·0.95/n)/φ(1.645) SD, halved by averaging both ends, over a width of 3.29 SD), so
#: 0.2 is ≥ 3 sampling SE.
MOVED_SHIFT = 0.2
METHOD = "tempered ensemble Kalman inversion (data-misfit controller) + least-squares MAP"
#: Whether the Kalman update itself is localised (:func:`~twinviewer.personalize.eki.
#: localisation_mask`, a gain entry kept only where the prior ensemble's correlation exceeds
#: 3/√N). The mask always decides which parameters the data *calibrate* (provenance, the
#: identifiability table); this switch only says whether it also cuts the update. Against an
#: exact (importance-sampled) posterior of the model's own patients the localised update is
#: 1.1–1.2× too wide for LVEDP/LAP/PASP and 1.4–1.5× for SW (off-centre by 0.4–0.5 of the
#: exact half-width), the unlocalised 0.9–1.1× and 0.1–0.2 (docs/notes/cov14.md). It stays
#: on because the coverage bar was not met with it off either (own 98.8 % at seed 23) and the
#: discrepancy terms were learned on localised posteriors: switching it needs them relearned.
LOCALISED_UPDATE = True
#: Measurements the ensemble Kalman inversion fits on the log scale (value and SD: log y and
#: σ/y, the first-order error of the logarithm), the fit table still showing them as measured.
#: The model's E/A is a ratio of two peak flows whose denominator (the A wave) can nearly
#: vanish: a few prior members predict E/A of 50–150 (z up to ~1000 on the linear scale), so
#: the mean misfit that sets the tempering step was 10⁴ against a median of 10², the steps were
#: 0.0002 and the calibration refused 6 % of the model's own patients as "did not converge"
#: (docs/notes/cal17.md). On the log scale those members stay far (z ~30) but no longer set
#: the step or the ensemble covariances alone.
LOG_FITTED = frozenset({"E/A"})
#: Whether the arterial compliance is always among the parameters the cuff pressures update
#: (:data:`PULSE_PRESSURE_DATA` → :data:`PULSE_PRESSURE_PARAMETERS`), whatever the prior
#: ensemble's correlation. Pulse pressure is set mostly by stroke volume and arterial
#: compliance, but with ~20 free parameters the sampled correlation of ``SYS.C_AR`` with SBP
#: or DBP stays under the localisation cut (3/√N), so the data never moved it: a twin could not
#: reach a wide pulse pressure (the example severe-AS cuff 138/82 was fitted 122 / 86 mmHg,
#: review15b #1; figures in docs/notes/car16.md). False gives the earlier behaviour.
CALIBRATE_ARTERIAL_COMPLIANCE = True
#: The measurements whose mask entries :data:`CALIBRATE_ARTERIAL_COMPLIANCE` opens, and the
#: parameter roles it opens them for.
PULSE_PRESSURE_DATA = frozenset({"SBP", "DBP"})
PULSE_PRESSURE_PARAMETERS = ("SYS.C_AR",)
#: Fewest usable members with which the compliance's entries are opened. The opened entry's
#: gain is a sampled covariance the localisation would have cut; at 32 members it is noise
#: enough to turn a fit of a later visit's 150/90 mmHg into a refusal (SBP fitted 114, z
#: +3.2; tests/fhir/test_cli_living.py), while at 48, 100 and 200 members the same visit fits
#: (session 16). 48 is the coverage harness's ensemble, where the change was validated.
PULSE_PRESSURE_MIN_MEMBERS = 48

Progress = Callable[[float, str], None] | None
Cancel = Callable[[], bool] | None


#: Share of the members beyond 2 SD of a fitted measurement above which it is flagged even
#: with its median within |z| ≤ 2. Why 0.25: a posterior consistent with the datum has its
#: median within 1 σ and a spread ≤ σ, so at most P(|N(1, 1)| > 2) ≈ 16 % of its members lie
#: beyond 2 σ; more means the datum did not constrain the members.
MEMBERS_OFF = 0.25

#: |z| above which a measurement is not merely missed (flagged, |z| > ``Z_FLAG``) but *not
#: reproduced*: the twin is then not updated unless the user accepts the misfit.
Z_REFUSE = 3.0


def _left_out_text(rows: Sequence[FitRow]) -> str:
    """'2 left out of the fit (1 disagreeing with the twin, see the warnings)'."""
    k = sum(r.disagrees for r in rows)
    return (f"{len(rows)} left out of the fit, not judged as misses"
            + (f" ({k} disagreeing with the twin: see the warnings)" if k else ""))


class CalibrationError(RuntimeError):
    """The calibration could not produce a trustworthy posterior; the message says why."""


class MisfitError(CalibrationError):
    """The calibrated twin cannot reproduce some measurements (|z| > ``Z_REFUSE``); the
    message names each with the measured and predicted values, and the twin is unchanged."""


@dataclass(frozen=True)
class FitRow:
    """One measurement beside the calibrated twin's prediction (never blended)."""

    name: str
    label: str
    unit: str
    measured: float
    uncertainty: float
    model_error: float
    source: str
    point: float
    median: float
    lo: float
    hi: float
    z: float
    used: bool
    flag: bool
    note: str = ""
    #: the 90 % interval |z| is judged against (``lo``–``hi`` is the twin's own): for a datum
    #: of the fit its residual's (σ alone, see :func:`~twinviewer.personalize.fit_check`),
    #: otherwise the posterior predictive of a new measurement (ensemble ⊕ model error ⊕ SD)
    pred_lo: float = float("nan")
    pred_hi: float = float("nan")
    #: left out of the likelihood (it follows from other measurements of the same source):
    #: never a miss of the fit (``flag`` is False); ``disagrees`` if the twin's prediction
    #: misses it by |z| > ``Z_FLAG`` — a disagreement between measurements and the model,
    #: reported with its z beside the reason it was left out
    left_out: bool = False
    disagrees: bool = False
    #: share of the members whose prediction lies > 2 total SD (measurement ⊕ model error)
    #: from the measured value: the members' check (a median within |z| ≤ 2 can hide half
    #: the twins missing it, review13 #1); NaN if not computed
    share_off: float = float("nan")
    #: what ``pred_lo``–``pred_hi`` is (:data:`BAND_TEXT`): "residual" for a datum of the fit
    #: (median ± 1.64 √(σ² + model error²): it may be narrower than the twin's own ``lo``–
    #: ``hi``), "predictive" for one not fitted; "" in a row saved before (review16b #6)
    band: str = ""

    @property
    def members_miss(self) -> bool:
        """True if more than :data:`MEMBERS_OFF` of the members miss the measurement by > 2 SD."""
        return bool(np.isfinite(self.share_off) and self.share_off > MEMBERS_OFF)

    @property
    def outside_predictive(self) -> bool:
        """True if the measured value lies outside its 90 % posterior predictive interval."""
        return bool(self.measured < self.pred_lo or self.measured > self.pred_hi)

    def misfit_text(self) -> str:
        """'SBP measured 180 ± 8.0 mmHg, twin 141 (136–147): 39 mmHg low, z = +3.4'.

        z's sign is the measurement's side (positive: measured above the twin's median, as
        :func:`~twinviewer.personalize.quantities.predictive_z` defines it); "low"/"high" is
        the twin's side (the twin predicts below/above the measurement).

        >>> FitRow("SBP", "SBP", "mmHg", 180, 8, 6, "cuff", 141, 141, 136, 147, 3.4, True,
        ...        True).misfit_text()
        'SBP measured 180 ± 8.0 mmHg, twin 141 (136–147): 39 mmHg low, z = +3.4'
        """
        diff = self.median - self.measured
        side = "high" if diff > 0 else "low"
        return (f"{self.name} measured {number(self.measured)} ± {number(self.uncertainty)} "
                f"{unit(self.unit)}, "
                f"twin {interval(self.median, self.lo, self.hi)}: {number(abs(diff))} "
                f"{unit(self.unit)} {side}, z = {self.z:+.1f}"
                + (f"; {percent(self.share_off)} of the twins > 2 SD from it"
                   if self.members_miss else ""))


@dataclass(frozen=True)
class Suggestion:
    """An unmeasured quantity and how much measuring it is expected to help."""

    name: str
    label: str
    unit: str
    variance_reduction: float  # mean expected fraction of headline predictions' variance removed
    informs: tuple[str, ...]


@dataclass
class Identifiability:
    """What the measurements did and did not determine."""

    prior_interval: dict[str, tuple[float, float]]
    posterior_interval: dict[str, tuple[float, float]]
    posterior_median: dict[str, float]
    width_ratio: dict[str, float]
    correlations: list[tuple[str, str, float]]
    at_prior: tuple[str, ...]
    suggestions: list[Suggestion]
    #: of ``at_prior``: the parameters the data were allowed to update (localised to them)
    #: whose posterior is as wide as the prior (width ratio ≥ :data:`AT_PRIOR`) and has not
    #: moved (see :data:`MOVED_SHIFT`)
    uninformed: tuple[str, ...] = ()
    #: parameter → why its posterior moved (e.g. 'moved through the shared heart-size
    #: coordinate: median ×1.27 of the prior's'), narrowed or not
    moved: dict[str, str] = field(default_factory=dict)
    #: the parameters that moved but were not narrowed (:data:`MOVED_NOT_NARROWED`): not in
    #: ``at_prior`` nor ``uninformed``
    leaned: tuple[str, ...] = ()


@dataclass
class Convergence:
    """How the calibration ran."""

    converged: bool
    iterations: int
    steps: list[float]
    mean_misfit: list[float]
    failed_members: list[int]
    point_status: int
    point_message: str
    point_nfev: int
    message: str


@dataclass
class CalibrationResult:
    """Everything a calibration produced (see the module docstring for the method).

    Attributes
    ----------
    point : (P,) MAP point estimate in model order and units
    ensemble : (N, P) posterior ensemble; ``prior_ensemble`` the ensemble it started from
    calibrated : parameters the measurements informed (updated by the calibration)
    measured_parameters : parameter → measurement name that set it directly
    results : simulation of the posterior ensemble (its metrics give every predicted number)
    prior_results : simulation of the prior ensemble (the prior predictive)
    divergence : for a later visit, new measurements the previous posterior failed to predict
    from_previous : True if the prior was an earlier visit's posterior (the living twin)
    """

    model_name: str
    parameter_names: tuple[str, ...]
    point: np.ndarray
    ensemble: np.ndarray
    prior_ensemble: np.ndarray
    calibrated: tuple[str, ...]
    measured_parameters: dict[str, str]
    measurements: list[Measurement]
    fit: list[FitRow]
    identifiability: Identifiability
    convergence: Convergence
    provenance: dict[str, Provenance]
    results: Results
    prior_results: Results | None = None
    from_previous: bool = False
    divergence: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    method: str = METHOD
    prior_choice: PriorChoice = field(default_factory=lambda: PriorChoice("healthy", ""))
    atypicality: float = 1.0
    discrepancy: Discrepancy = field(default_factory=default_discrepancy)
    curve_fit: list[CurveFitSummary] = field(default_factory=list)
    #: (name, value, source) of every measurement the calibration was offered (the twin's,
    #: its images' and those given): what is absent was entered after it.
    considered: list[tuple[str, float, str]] = field(default_factory=list)
    #: the prior's heart-size mode (:mod:`~twinviewer.personalize.heart_size`): its log-SD
    #: (0: none, a later visit) and the posterior size factor (median, 5 %, 95 %) relative
    #: to the prior's preset
    size_log_sd: float = 0.0
    size_factor: tuple[float, float, float] | None = None
    #: the robust prior's posterior weight of its wide component
    #: (:mod:`~twinviewer.personalize.robust_prior`; 0: Gaussian prior, or a later visit)
    wide_weight: float = 0.0
    #: simulation of the ensemble the update started from: the robust prior's (its wide
    #: share given the data) — the prior the posterior/prior widths compare with; None: the
    #: population prior (``prior_results``) itself
    start_results: Results | None = None
    #: the visit this calibration is for (:func:`~twinviewer.personalize.revisit.plan_visit`):
    #: its day (None: the next day after the last visit, as :func:`updated_twin` defaults) and
    #: whether it re-does and replaces the twin's last visit (its data corrected)
    visit_day: int | None = None
    replaces_visit: bool = False

    def size_text(self) -> str:
        """'heart size ×1.15 (1.01–1.33) of the prior's preset (population prior ×1
        (0.79–1.26))', or '' without a size coordinate (a later visit)."""
        return describe_size(self.size_factor, self.size_log_sd) if self.size_factor else ""

    @property
    def flagged(self) -> list[FitRow]:
        """Fit rows the posterior predictive misses by |z| > ``Z_FLAG`` (2)."""
        return [r for r in self.fit if r.flag]

    @property
    def misfit(self) -> float:
        """``M``: the mean z² of the fitted measurements against the posterior predictive
        (NaN when nothing was fitted) — the evidence of structural error that the
        discrepancy term may grow with (:mod:`~twinviewer.personalize.discrepancy`)."""
        z = np.array([f.z for f in self.fit if f.used and np.isfinite(f.z)])
        return float(np.mean(z**2)) if z.size else float("nan")

    @property
    def unreproduced(self) -> list[FitRow]:
        """Fit rows missed by |z| > :data:`Z_REFUSE` (3): the twin cannot reproduce them."""
        return [r for r in self.fit if r.flag and abs(r.z) > Z_REFUSE]

    @property
    def misfits(self) -> list[str]:
        """One line per flagged measurement (and volume curve), for any report: name,
        measured, predicted, by how much and z."""
        return [r.misfit_text() for r in self.flagged] + [c.text() for c in self.curve_fit
                                                          if c.flag]

    def status_line(self) -> str:
        """'2 of 6 measurements missed by |z| > 2: SBP (z −2.4), LVEDV (z +2.1)' or, when none
        is, the worst z — so a near miss is never hidden behind 'all reproduced'."""
        rows = [r for r in self.fit if np.isfinite(r.z) and not r.left_out]
        out = [r for r in self.fit if r.left_out]
        # what was left out is named once, with its reason, in the warnings
        curves = ("; " + _left_out_text(out) if out else "") + "".join(
            f"; {c.chamber} volume curve: {c.n_missed} of {len(c.z)} phases "
                         f"missed (RMS z {c.rms_z:.2f}; {c.ed_es_text()})"
                         + (" MISSED" if c.flag else "")
                         + (f"; measured outside the twin's 90 % interval at {c.gaps_text()}"
                            if c.gaps() else "")
                         for c in self.curve_fit)
        if not rows:
            return ("no measurement could be compared with the twin" if not curves
                    else curves[2:])
        if self.flagged:
            return (f"{len(self.flagged)} of {len(rows)} measurements compared with the twin "
                    f"missed by |z| > "
                    f"{Z_FLAG:g} or by > 2 SD in more than {percent(MEMBERS_OFF)} of the twins: "
                    + ", ".join(f"{r.name} (z {r.z:+.1f}"
                                + (f"; {percent(r.share_off)} of the twins > 2 SD)"
                                   if r.members_miss else ")") for r in self.flagged) + curves)
        worst = max(rows, key=lambda r: abs(r.z))
        near = [r for r in rows if r.outside_predictive]
        near_text = ("; outside their 90 % predictive interval: " + ", ".join(
            f"{r.name} (z {r.z:+.1f})" for r in near)) if near else ""
        shares = [r.share_off for r in rows if np.isfinite(r.share_off)]
        members = (f"; at most {percent(max(shares))} of the twins > 2 SD from any of them"
                   if shares else "")
        # "compared", not "fitted": a curve-fitted twin's image volumes are compared here
        # but enter the fit through their curve (review13b #6: "12 fitted" beside "6 values
        # + the curves")
        return (f"all {len(rows)} measurements compared with the twin within |z| ≤ "
                f"{Z_FLAG:g} (worst: "
                f"{worst.name}, "
                f"z {worst.z:+.2f}){members}" + near_text + curves)

    def moved_only(self) -> list[str]:
        """Parameters no datum reached that moved with a shared coordinate (the heart's
        size): calibrated in their provenance, not counted among :attr:`calibrated`."""
        ident = self.identifiability
        return [p for p in ident.moved if p not in self.calibrated
                and p not in ident.at_prior and p not in ident.leaned]

    def fitted_names(self) -> list[str]:
        """Names of the measurements this calibration fitted (what 'calibrated N parameters
        to M measurements' counts): every fit row but those left out of the likelihood."""
        return [r.name for r in self.fit if not r.left_out]

    def unmeasured_predictions(self) -> dict[str, tuple[float, float, float, str]]:
        """Headline outputs not measured that have a learned discrepancy term: name →
        (median, 5 %, 95 %, unit) of :meth:`predictive`."""
        measured = {QUANTITY_BY_NAME[m.name].target for m in self.measurements}
        return {k: (*self.predictive(k), _unit(k)) for k in KEY_OUTPUTS
                if k in self.results.metrics and k in self.discrepancy.terms
                and k not in measured}

    def predictive(self, name: str, level: float = 0.9) -> tuple[float, float, float]:
        """Median and interval of metric ``name`` for this patient: the posterior ensemble,
        plus the learned model discrepancy if ``name`` was not measured (see
        :mod:`~twinviewer.personalize.discrepancy`; the prior ensemble tells it how far the
        data narrowed ``name``)."""
        from twinviewer.personalize.shown import context_of  # the one shown interval

        return context_of(self).interval(name, self.results.metrics[name], self.results.ok,
                                         level)

    def summary(self) -> str:
        """A plain-text report (fit table, identifiability, convergence)."""
        return format_report(self)

    def parameter_intervals(self) -> list[dict]:
        """The parameters the data narrowed, reached without narrowing, or measured, with
        their prior 90 % and posterior 90 % intervals and posterior median, each relative
        to the prior median (what the Calibrate step plots; kept in :meth:`to_dict` so a
        reopened twin draws it without a re-run).

        Examples
        --------
        >>> result.parameter_intervals()[0]  # doctest: +SKIP
        {'name': 'LV.EA', 'state': 'calibrated', 'prior': [0.6, 1.6], 'posterior': [0.9, 1.0, 1.1]}
        """
        ident = self.identifiability
        names = list(dict.fromkeys([*self.calibrated, *ident.leaned, *ident.uninformed,
                                    *self.measured_parameters]))
        out = []
        for p in names:
            j = self.parameter_names.index(p)
            ref = float(np.median(self.prior_ensemble[:, j]))
            ref = ref if ref > 0 else 1.0
            state = NOT_INFORMED if p in ident.uninformed else \
                MOVED_NOT_NARROWED if p in ident.leaned else self.provenance[p].source.value
            out.append({"name": p, "state": state,
                        "prior": [float(np.percentile(self.prior_ensemble[:, j], q)) / ref
                                  for q in (5, 95)],
                        "posterior": [float(np.percentile(self.ensemble[:, j], q)) / ref
                                      for q in (5, 50, 95)]})
        return out

    def to_dict(self) -> dict:
        """JSON-ready summary (no patient identifiers)."""
        ident = self.identifiability
        return {
            "parameter_intervals": self.parameter_intervals(),
            "method": self.method,
            "model": self.model_name,
            "seconds": round(self.seconds, 3),
            "n_members": int(self.ensemble.shape[0]),
            "calibrated": list(self.calibrated),
            "measured_parameters": dict(self.measured_parameters),
            "point": {k: float(v) for k, v in zip(self.parameter_names, self.point,
                                                   strict=True)},
            "fit": [r.__dict__ for r in self.fit],
            "identifiability": {
                "width_ratio": ident.width_ratio,
                "prior_interval": ident.prior_interval,
                "posterior_interval": ident.posterior_interval,
                "correlations": ident.correlations,
                "at_prior": list(ident.at_prior),
                "moved_not_narrowed": list(ident.leaned),
                "suggestions": [s.__dict__ for s in ident.suggestions],
            },
            "convergence": self.convergence.__dict__,
            "provenance": {k: v.to_dict() for k, v in self.provenance.items()},
            "divergence": list(self.divergence),
            "warnings": list(self.warnings),
            # named in words as the Calibrate step says it, kept with the result: `info`, the
            # report and a reopened Calibrate step read it from the file (review13 #7)
            "prior": {"preset": self.prior_choice.preset, "reason": self.prior_choice.reason,
                      "described": self.prior_choice.describe(),
                      "overridden": self.prior_choice.overridden,
                      "defining": list(self.prior_choice.defining),
                      "size_log_sd": self.size_log_sd,
                      "size_factor": (list(self.size_factor) if self.size_factor
                                      else None)},
            "status": self.status_line(),
            "misfits": self.misfits,
            "discrepancy": {k: list(v) for k, v in self.discrepancy.terms.items()},
            "atypicality": self.atypicality,
            "wide_weight": self.wide_weight,
            "misfit": self.misfit if np.isfinite(self.misfit) else None,
            "unmeasured_predictions": {k: list(v) for k, v in
                                       self.unmeasured_predictions().items()},
            "volume_curves": [c.to_dict() for c in self.curve_fit],
            "considered": [list(k) for k in self.considered],
            "visit": {"day": self.visit_day, "replaces_visit": self.replaces_visit},
        }


# -- the calibration --------------------------------------------------------------------------

def _check_cancel(cancel: Cancel) -> None:
    if cancel is not None and cancel():
        raise Cancelled("calibration cancelled; the twin is unchanged")


def _gather(twin: Twin, measurements: Sequence[Measurement] | None, use_anatomy: bool,
            dropped: list[str] | None = None) -> list[Measurement]:
    """The measurements to calibrate to; reasons for image-derived quantities left out are
    appended to ``dropped``."""
    dropped = dropped if dropped is not None else []
    if measurements is None:
        if not use_anatomy:
            return list(twin.measurements)
        # the stored ones are the given ones (the GUI): none is "replaced by" itself
        ms = list(twin_measurements(replace(twin, anatomy=None)))
    else:
        ms = list(measurements)
        ms = _stored_clinical(twin, {_key_or_name(m.name) for m in ms}, dropped) + ms
    if use_anatomy and twin.anatomy is not None:
        given = set()
        for m in ms:
            try:
                given.add(canonical_name(m.name))
            except UnknownQuantity:
                given.add(m.name)
        extra = [m for m in twin_measurements(replace(twin, measurements=[]))
                 if canonical_name(m.name) not in given]
        kept = []
        for m in extra:
            q = QUANTITY_BY_NAME.get(canonical_name(m.name))
            replaced = [r for r in (q.redundant_with if q else ()) if r in given]
            if replaced:
                # e.g. an MR LVEF computed from MR volumes the user replaced by CT ones: it
                # would enter the fit as independent data although its source is discarded
                dropped.append(f"{m.name} ({m.source or 'images'}) left out of the fit: it is "
                               f"computed from the images' {' and '.join(q.redundant_with)}, "
                               f"and {' and '.join(replaced)} were replaced by the given "
                               "measurements")
            else:
                kept.append(m)
        ms = kept + ms
    return ms


def _key_or_name(name: str) -> str:
    try:
        return canonical_name(name)
    except UnknownQuantity:
        return name


def _stored_clinical(twin: Twin, given: set[str], notes: list[str]) -> list[Measurement]:
    """The twin's stored clinical measurements to use beside given ones: those not derived
    from images (the anatomy supplies those), not already in an earlier visit's posterior,
    and not re-measured in ``given`` (canonical names; the given value wins). ``notes`` get
    one line naming the stored measurements used and one naming those replaced.

    A cardiologist calibrating with today's file expects the patient's other recorded
    values (e.g. a cuff BP entered before) to count too, and a re-measured quantity to be
    taken from the file, each said.
    """
    used = {(m.name, m.value, m.uncertainty, m.source)
            for v in twin.visits for m in v.measurements}
    kept, replaced = [], []
    for m in twin.measurements:
        if is_image_derived(m) or (m.name, m.value, m.uncertainty, m.source) in used:
            continue
        key = _key_or_name(m.name)
        if key not in QUANTITY_BY_NAME:
            continue  # not a quantity the calibration knows (as twin_measurements skips)
        (replaced if key in given else kept).append(m)
    if kept:
        notes.append("also used: the twin's stored " + ", ".join(
            f"{m.name} {m.value:g} {_u(m.unit)}" for m in kept) + " (recorded before, not in the "
            "given measurements)")
    if replaced:
        notes.append("the twin's stored " + ", ".join(
            f"{m.name} {m.value:g} {_u(m.unit)}" for m in replaced) + " replaced by the given "
            "measurement" + ("s" if len(replaced) > 1 else "") + " of the same quantity")
    return kept


def calibrate(twin: Twin, measurements: Sequence[Measurement] | None = None, *,
              n: int = 200, seed: int = 0, max_iterations: int = 20, drift: float = 0.5,
              point_estimate: bool = True, use_anatomy: bool = True,
              prior: str | None = AUTO, discrepancy: Discrepancy | None = None,
              volume_curves: str | Sequence[CurveData] | None = AUTO,
              robust: robust_prior.RobustPrior | None = None,
              progress: Progress = None, cancel: Cancel = None) -> CalibrationResult:
    """Calibrate ``twin`` to ``measurements``: MAP point estimate and posterior ensemble.

    Parameters
    ----------
    twin
        The twin; not modified. If its ensemble is a posterior (an earlier visit), that
        posterior is the prior of this calibration.
    measurements
        Clinical measurements in any supported name and unit; None uses the twin's stored
        measurements. Given ones are used *beside* the twin's stored clinical measurements
        not yet in its posterior; a stored quantity that is given again is replaced (both
        said in the warnings). With ``use_anatomy`` (default True) the image-derived
        measurements of ``twin.anatomy`` are added unless the same quantity is given.
    n : int, default: 200
        Posterior ensemble size.
    seed : int, default: 0
        Seed of the prior design and the Kalman perturbations (results are reproducible).
    max_iterations : int, default: 20
        Tempering iterations allowed before the calibration is declared not converged.
    drift : float, default: 0.5
        Between-visit random walk, in prior SDs, added to a previous posterior.
    point_estimate : bool, default: True
        Also compute the least-squares MAP (else the point estimate is the posterior median).
    prior : str or None, default: 'auto'
        Preset the prior is centred on: ``'auto'`` chooses it from the measurements
        (:func:`~twinviewer.personalize.disease.choose_prior`: aortic stenosis, mitral
        regurgitation, HFrEF, else the twin's own preset), a preset name overrides, None keeps
        the twin's own values. Ignored for a later visit (the previous posterior is the prior).
    discrepancy
        Model-discrepancy term of unmeasured predictions (default: the learned one,
        :func:`~twinviewer.personalize.discrepancy.default_discrepancy`).
    volume_curves : 'auto', sequence of CurveData, or None
        Measured LV/RV volume curves used *whole* as data (aligned at ED, time as a fraction
        of the measured R-R, a correlated error covariance:
        :class:`~twinviewer.personalize.volume_curve.CurveObservation`). ``'auto'`` takes the
        timed ≥ 3-phase curves of ``twin.anatomy`` (with ``use_anatomy``, first calibration
        only: a later visit's prior already holds them); None uses none. The image-derived
        EDV/ESV/SV/EF/PER/PFR of a chamber whose curve is used are shown but not counted
        again; the curve's R-R sets HR when no HR is given. The fit per phase is in
        ``result.curve_fit``.
    robust
        The first calibration's scale-mixture prior
        (:class:`~twinviewer.personalize.robust_prior.RobustPrior`; default
        :data:`~twinviewer.personalize.robust_prior.DEFAULT`): a patient whose data conflict
        with the population prior is fitted with a prior twice as wide. Ignored for a later
        visit (the previous posterior is the prior) and below
        :data:`~twinviewer.personalize.robust_prior.MIN_MEMBERS` members (said in the
        provenance).
    progress, cancel
        ``progress(fraction, text)``; ``cancel() -> bool`` (True raises
        :class:`~twinviewer.physiology.Cancelled`; the twin is unchanged).

    Returns
    -------
    CalibrationResult

    Raises
    ------
    MeasurementError
        Unknown, implausible or inconsistent measurements, or ones the model cannot predict
        (the message names each).
    CalibrationError
        Too many ensemble members fail, or the tempering does not reach the posterior within
        ``max_iterations``.

    Examples
    --------
    >>> from twinviewer.core.measurement import Measurement as M
    >>> from twinviewer.twins import twin_from_preset
    >>> twin = twin_from_preset("healthy", n=1)
    >>> res = calibrate(twin, [M("SBP", 130, "mmHg", 8), M("DBP", 85, "mmHg", 6)], n=128,
    ...                 seed=0)
    >>> 120 < res.fit[0].median < 140
    True
    """
    t_start = time.perf_counter()
    say = progress or (lambda f, t: None)
    model = model_of(twin)
    gathered_notes: list[str] = []
    raw = _gather(twin, measurements, use_anatomy, gathered_notes)
    # -- the prior: the last posterior, or a population prior (the patient's disease) -------
    later = twin.ensemble_kind == "posterior" and twin.ensemble.shape[0] > 1
    own = preset_of(twin.origin)
    choice = _prior_of(twin, raw, prior, gathered_notes)
    previous = choice.preset == PREVIOUS
    curves = _curves(twin, volume_curves, use_anatomy, previous)
    if isinstance(volume_curves, str):  # the anatomy's own curves, not ones asked for
        curves, raw = _unreplaced_curves(curves, raw, gathered_notes)
    if not raw and not curves:
        raise MeasurementError("no measurements to calibrate to: enter at least one "
                               "(e.g. SBP, DBP, HR, LVEDV)")
    if n < 16:
        raise ValueError(f"ensemble size n = {n} is too small for a posterior; use n ≥ 16")
    warnings = [i.message for i in check_measurements(raw) if i.level == "warning"]
    warnings += gathered_notes
    ms = require_valid(raw) if raw else []
    assumed = [m for m in ms if is_assumed(m)]
    if assumed:  # e.g. the demo heart's normal cuff BP: data of the fit, never "measured"
        warnings.append("assumed, not measured, and used as data: " + ", ".join(
            f"{m.name} {m.value:g} {_u(m.unit)}" for m in assumed) + " (their source says "
            "so); enter the patient's measured values to replace them")
    if previous and twin.visits:
        try:
            ms = _new_since_last_visit(twin, ms, warnings)
        except MeasurementError:
            if not curves:
                raise
            ms = []  # the curves asked for are this visit's data
    if previous and curves:
        warnings.append("volume curves fitted at a later visit: if an earlier calibration "
                        "of this twin already used the same curves, they now count twice")
    obs = [observation(c) for c in curves]
    if obs and not any(QUANTITY_BY_NAME[m.name].target == model.heart_rate_parameter
                       for m in ms):
        c = curves[0]
        ms.append(Measurement("HR", round(60000.0 / c.rr_ms, 1), "bpm", CURVE_HR_SD,
                              f"{c.source}: R-R {c.rr_ms:.0f} ms of the volume curve"))
    sv_note = _stroke_volume_conflict(ms)
    if sv_note:
        warnings.append(sv_note)
    image_names = {m.name for m in ms if is_image_derived(m)}
    present = {m.name for m in ms}
    rng = np.random.default_rng(seed)

    # -- the prior's centre: the twin, or the preset of the patient's disease ---------------
    base = np.asarray(twin.params, dtype=float).copy()
    if not previous and (choice.overridden or choice.preset != own or later):
        from twinviewer.physiology.presets import get_preset

        preset = get_preset(choice.preset)
        if preset.model.name != model.name:
            # (a later visit of such a twin keeps its posterior: checked before the data)
            warnings.append(f"the {choice.preset} prior is for model {preset.model.name}, the "
                            f"twin uses {model.name}; the twin's own values are the prior")
            choice = PriorChoice(own, "the twin's own values")
        else:
            base = preset.vector()

    # -- direct (parameter) measurements and data -------------------------------------------
    direct: dict[str, Measurement] = {}
    # a measurement of a parameter that other data also inform (a valve area beside its
    # gradient): the prior of that parameter, weighed with the other data in the update
    weighed: dict[str, Measurement] = {}
    data: list[Measurement] = []
    redundant: dict[str, str] = {}
    left_out: set[str] = set()  # of `redundant`: not in the likelihood at all (no curve)
    for m in ms:
        q = QUANTITY_BY_NAME[m.name]
        if q.kind == "parameter":
            own = model.role(q.target)  # the model's parameter playing that role
            if own not in model.parameter_names:
                raise MeasurementError(f"measurement {m.name}: model {model.name} has no "
                                       f"parameter playing the role {q.target}")
            msg = model.parameter(own).check(m.value)
            if msg:
                raise MeasurementError(f"measurement {m.name} = {m.value:g} {_u(m.unit)} is "
                                       f"outside the model's range: {msg}")
            base[model.index(own)] = m.value
            if _weighed(m, own, model):
                weighed[own] = m
            else:
                direct[own] = m
        elif m.name in _CURVE_NAMES and _in_curve(m, obs):
            chamber = m.name[:2]
            redundant[m.name] = (f"not used as a separate datum: the whole {chamber} volume "
                                 "curve of the same images is used (counted once)")
        elif m.name == "MAP" and same_cuff_reading(m, ms):
            # the cuff's MAP beside its own SBP/DBP: only the pulse shape, which the model
            # cannot fit (see the MAP entry of QUANTITIES); counted once, through SBP/DBP
            left_out.add(m.name)
            redundant[m.name] = MAP_LEFT_OUT
            warnings.append(f"MAP ({m.source or 'no source'}) left out of the fit: "
                            f"{MAP_LEFT_OUT}")
        elif q.redundant_with and all(r in present for r in q.redundant_with) and \
                _same_source(m, [x for x in ms if x.name in q.redundant_with]):
            # e.g. an LVEF computed from the very volumes given (same segmentation): one
            # measurement, counted once. An echo EF beside CT volumes is independent data.
            left_out.add(m.name)
            redundant[m.name] = (f"not used in the fit: computed from "
                                 f"{' and '.join(q.redundant_with)} of the same source "
                                 f"({m.source or 'unnamed'}), which are used (counted once)")
            warnings.append(f"{m.name} ({m.source or 'no source'}) left out of the fit: it "
                            f"follows from {' and '.join(q.redundant_with)} of the same "
                            "source, which are used")
        else:
            data.append(m)
    # A parameter measured at an earlier visit stays measured (its spread is in the previous
    # posterior) unless re-measured now: it is not re-fitted as if never measured.
    carried = _carried_measured(twin, model, direct | weighed) if previous else {}
    # the heart's size is one coordinate of the prior; a later visit's prior (the last
    # posterior) already holds its spread, and the coordinate lets the data move it as one
    space = ParameterSpace.for_twin(model, base, exclude=set(direct) | set(carried),
                                    size_sd=SIZE_LOG_SD,
                                    measured={p: _measured_prior(m) for p, m in weighed.items()})
    y = np.array([m.value for m in data])
    sigma = np.array([np.hypot(m.uncertainty, QUANTITY_BY_NAME[m.name].model_sd(m.value))
                      for m in data])
    sigma = np.maximum(sigma, 1e-6 * np.maximum(np.abs(y), 1.0))
    sig_data = sigma.copy()  # the linear scale: divergence and atypicality are judged on it
    logged = np.array([m.name in LOG_FITTED for m in data], dtype=bool)
    y[logged], sigma[logged] = np.log(y[logged]), sigma[logged] / y[logged]
    # a volume curve enters whitened (unit, independent errors): see CurveObservation
    y = np.concatenate([y, *[o.y for o in obs]])
    sigma = np.concatenate([sigma, *[np.ones(o.size) for o in obs]])
    obs_names = [m.name for m in data] + [
        f"{o.name} ({k + 1})" for o in obs for k in range(o.size)]
    has_data = y.size > 0

    def observe(res: Results) -> np.ndarray:
        cols = [predict(m.name, res) for m in data]
        G = np.column_stack(cols) if cols else np.zeros((res.params.shape[0], 0))
        if logged.any():  # a member with no A wave (NaN) stays unusable
            G[:, logged] = np.log(G[:, logged])
        return np.hstack([G, *[o.whiten(o.model_volumes(res)) for o in obs]])

    # -- prior ensemble ---------------------------------------------------------------------
    if previous:
        rows = rng.choice(twin.ensemble.shape[0], size=n, replace=n > twin.ensemble.shape[0])
        template = np.array(twin.ensemble[rows], dtype=float)
        Z = space.to_z(template, space.sizes_of(template)) + drift * rng.standard_normal(
            (n, space.dim))
        first = last_prior(twin)
        prior_source = "previous visit's posterior" + (
            f" (population prior of the first calibration: {TAG} {first})" if first else "")
    else:
        template = sample_prior(model, n, base=base, names=space.names, seed=seed)
        Z = space.to_z(template)  # the template's own values: at size ×1
        if space.sized:
            Z[:, -1] = draw_sizes(n, rng)
        prior_source = (f"{TAG} {choice.preset}: model priors around it with a common "
                        f"{SIZE_NAME} factor (log-SD {SIZE_LOG_SD:g}) ({choice.describe()})")
    for pname in weighed:  # the measurement is this coordinate's prior: N(0, 1) in z
        k = space.names.index(pname)
        Z[:, k] = (rng.standard_normal(n) if previous else
                   _model_z(model, pname, base, template[:, model.index(pname)]))
    for pname, m in direct.items():
        j = model.index(pname)
        template[:, j] = np.clip(m.value + m.uncertainty * rng.standard_normal(n),
                                 *model.parameter(pname).plausible)
    fixed = [j for j in range(len(base)) if j not in space.free and
             model.parameters[j].name not in direct and model.parameters[j].name not in carried]
    template[:, fixed] = base[fixed]
    U0 = space.to_params(Z, template)

    def forward(U: np.ndarray, warm: np.ndarray | None, what: str, f0: float, f1: float
                ) -> tuple[Results, np.ndarray]:
        _check_cancel(cancel)
        res = simulate(model, U, warm_start=warm,
                       progress=lambda f, t: say(f0 + (f1 - f0) * f, f"{what}: {t}"),
                       cancel=cancel)
        return res, observe(res)

    # -- iteration 0: the prior predictive --------------------------------------------------
    say(0.0, "simulating the prior ensemble")
    res0, G = forward(U0, None, "prior ensemble", 0.0, 0.15)
    for m in ms:
        reason = supported(m.name, res0)
        if reason:
            raise MeasurementError(f"measurement {reason}")
    ok = _usable(res0, G)
    if ok.sum() < max(8, n // 2):
        raise CalibrationError(_failure_text(res0, ok, "the prior ensemble"))
    prior_pred = {m.name: predict(m.name, res0)[ok] for m in ms}
    divergence = _divergence(data, prior_pred, sig_data) if previous else []
    atypicality = _atypicality(data, prior_pred, sig_data, obs, res0, ok)
    mask = eki.localisation_mask(Z[ok], G[ok] / sigma) if has_data else \
        np.zeros((len(space.free), 0), dtype=bool)
    col = len(data)
    for o in obs:  # a curve's whitened columns mix its phases: localise on the raw volumes
        raw_v = o.model_volumes(res0)[ok]
        mask[:, col:col + o.size] = eki.localisation_mask(Z[ok], raw_v).any(axis=1)[:, None]
        col += o.size
    if CALIBRATE_ARTERIAL_COMPLIANCE and int(ok.sum()) >= PULSE_PRESSURE_MIN_MEMBERS:
        _open_pulse_pressure(mask, model, space, [m.name for m in data])
    closed = compliance_left_closed(mask, model, space, [m.name for m in data], int(ok.sum()))
    if closed:
        warnings.append(closed)
    cal_idx = np.flatnonzero(mask.any(axis=1))
    par_idx = cal_idx[cal_idx < len(space.free)]  # the model parameters among them

    # -- point estimate ---------------------------------------------------------------------
    point = base.copy()
    lsq = (0, "not computed (posterior median used)", 0)
    if point_estimate and cal_idx.size:
        say(0.15, "point estimate (least squares)")
        point, lsq = _map_estimate(model, space, base, Z[ok], cal_idx, observe, y, sigma,
                                   previous, res0.final_state[np.flatnonzero(ok)[0]], cancel)
    _check_cancel(cancel)

    # -- robust prior: a share of the members from the wide component ------------------------
    warm, res = res0.final_state, res0
    robust = robust_prior.DEFAULT if robust is None else robust
    wide, widened, population = 0.0, False, (Z.copy(), G.copy(), prior_source)
    # the ensemble the EKI starts from (the robust prior's, given the data's share of wide
    # members): what "moved" and the posterior/prior widths compare with
    start, start_res = U0, res0
    if not previous and has_data and robust.active and n < robust_prior.MIN_MEMBERS:
        prior_source += (f"; Gaussian population prior (the robust prior is used from "
                         f"{robust_prior.MIN_MEMBERS} members, the size it was validated at)")
    elif not previous and has_data and robust.active:
        ok0 = _usable(res0, G)
        wide = robust_prior.wide_weight(G[ok0], y, sigma, robust)
        lam = robust_prior.scales(n, wide, robust, rng)
        if (lam != 1.0).any():
            # a measured coordinate's prior is the measurement's own SD, not the population's
            scale = np.ones(space.dim)
            scale[[space.names.index(p) for p in weighed]] = 0.0
            Z = Z * (1.0 + (lam[:, None] - 1.0) * scale) if weighed else Z * lam[:, None]
            say(0.25, "simulating the robust prior's wide members")
            start = space.to_params(Z, template)
            res, G = forward(start, warm, "robust prior", 0.25, 0.3)
            start_res = res
            warm = res.final_state
            prior_source += f"; {robust.describe()} (wide share given the data {percent(wide)})"
            widened = True
        else:  # round(π·n) = 0: no member widened, the population prior alone (review11b #7)
            wide = 0.0

    # -- tempered EKI -----------------------------------------------------------------------
    t, steps, misfits, failed = 0.0, [], [], []
    iteration = 0
    while has_data:
        ok = _usable(res, G)
        problem = ""
        if t >= 1.0 - 1e-9:  # at the posterior: the check below, with the fallback here too
            if not widened or ok.sum() >= max(8, n // 2):
                break
            problem = _failure_text(res, ok, "the posterior ensemble")
        elif iteration >= max_iterations:
            worst = _worst(obs_names, G, y, sigma)
            problem = (
                f"calibration did not converge within {max_iterations} iterations (tempering "
                f"reached {percent(t)} of the way from prior to posterior); the measurements the "
                f"twin fits worst: {worst}. Check them, or allow more iterations.")
        elif ok.sum() < max(8, n // 2):
            problem = _failure_text(res, ok, f"iteration {iteration}")
        if problem and not widened:
            raise CalibrationError(problem)
        if problem:  # the wide members did not reach a posterior: the population prior alone
            warnings.append(f"the robust prior's wide component ({percent(wide)} of the members) "
                            f"did not reach the posterior ({problem.split(';')[0]}): calibrated "
                            "with the population prior alone")
            Z, G, prior_source = population[0].copy(), population[1].copy(), population[2]
            res, warm, wide, widened, start = res0, res0.final_state, 0.0, False, U0
            start_res = res0
            t, steps, misfits, failed, iteration = 0.0, [], [], [], 0
            continue
        failed.append(int((~ok).sum()))
        if not ok.all():  # failed members restart from copies of working ones
            src = rng.choice(np.flatnonzero(ok), size=int((~ok).sum()))
            Z[~ok], G[~ok] = Z[src], G[src]
            warm = warm.copy()
            warm[~ok] = warm[src]
        dt = eki.tempering_step(G, y, sigma, t)
        steps.append(dt)
        misfits.append(float(eki.misfit(G, y, sigma).mean() / y.size))
        Z = eki.kalman_update(Z, G, y, sigma, 1.0 / dt, rng,
                              mask if LOCALISED_UPDATE else None)
        t += dt
        iteration += 1
        frac = 0.3 + 0.6 * t
        res, G = forward(space.to_params(Z, template), warm, f"iteration {iteration}",
                         0.3 + 0.6 * (t - dt), frac)
        warm = res.final_state

    # -- posterior --------------------------------------------------------------------------
    say(0.95, "summarising the posterior")
    ok = _usable(res, G)
    if ok.sum() < max(8, n // 2):
        raise CalibrationError(_failure_text(res, ok, "the posterior ensemble"))
    idx = np.arange(n)
    if not ok.all():
        idx[~ok] = rng.choice(np.flatnonzero(ok), size=int((~ok).sum()))
        res = res.subset(idx)
    post = res.params.copy()
    if not (point_estimate and cal_idx.size):
        point = np.median(post, axis=0)
        point[fixed] = space.to_params(np.zeros((1, space.dim)))[0, fixed]
    if point_estimate and cal_idx.size and lsq[0] == 0:
        warnings.append(f"the point estimate stopped at its evaluation limit ({lsq[2]} "
                        "evaluations) before converging; the posterior ensemble is unaffected")
    point_res = simulate(model, point, warm_start=res.final_state[:1])
    curve_fit = [summarise(o, o.model_volumes(res), seed=seed) for o in obs]
    fit = _fit_table(ms, data, redundant, res, point_res, curve_fit, left_out, weighed)
    # name what was left out once, with its reason and, if it disagrees, its z
    disagree = {r.name: r for r in fit if r.disagrees}
    warnings = [w + next((f"; it disagrees with the twin's prediction (z {r.z:+.1f}, |z| > "
                          f"{Z_FLAG:g}): a disagreement, not a miss of the fit"
                          for n, r in disagree.items()
                          if w.startswith(f"{n} (") and " left out of the fit: " in w), "")
                for w in warnings]
    Zp = Z[idx]
    ident = _identifiability(model, space, start, post, Zp, cal_idx, present, res, start)
    sizes = space.size_factor(Zp)
    col_names = [m.name for m in data] + [o.name for o in obs for _ in range(o.size)]
    image_names |= {o.name for o in obs}
    prov = _provenance(twin, model, direct, space, mask, par_idx, col_names, image_names, ident,
                       prior_source, carried_from_earlier=previous, weighed=weighed)
    for p in [n for n in map(model.role, PULSE_PRESSURE_PARAMETERS) if f"({n})" in closed]:
        # said with its state wherever the state is explained (Explain, the report)
        prov[p] = replace(prov[p], detail=f"{prov[p].detail}; {closed}")
    conv = Convergence(
        converged=True, iterations=iteration, steps=steps, mean_misfit=misfits,
        failed_members=failed, point_status=lsq[0], point_message=lsq[1], point_nfev=lsq[2],
        message=(f"reached the posterior in {iteration} tempering iterations"
                 if has_data else "no data to fit: parameters set from measurements only"))
    if discrepancy is None and (stale := stale_reason(model)) is not None:
        warnings.append(stale)  # unmeasured intervals unchecked
    say(1.0, "calibration done")
    return CalibrationResult(
        model_name=model.name, parameter_names=model.parameter_names, point=point,
        ensemble=post, prior_ensemble=U0,
        calibrated=tuple(space.names[k] for k in par_idx  # narrowed: review13 #8
                         if ident.width_ratio[space.names[k]] < AT_PRIOR),
        measured_parameters={p: m.name for p, m in (direct | weighed).items()},
        measurements=ms, fit=fit,
        identifiability=ident, convergence=conv, provenance=prov, results=res,
        prior_results=res0, from_previous=previous, divergence=divergence, warnings=warnings,
        seconds=time.perf_counter() - t_start, prior_choice=choice, atypicality=atypicality,
        discrepancy=discrepancy if discrepancy is not None else default_discrepancy(
            "curves" if obs else "standard"),
        curve_fit=curve_fit, considered=_considered(twin, measurements),
        size_log_sd=0.0 if previous else space.size_sd,
        size_factor=(tuple(float(x) for x in np.quantile(sizes, [0.5, 0.05, 0.95]))
                     if space.sized and not previous else None),
        wide_weight=wide, start_results=None if start_res is res0 else start_res)


def _open_pulse_pressure(mask: np.ndarray, model: ModelSpec, space: ParameterSpace,
                         data_names: Sequence[str]) -> None:
    """Let the cuff pressures update the arterial compliance (in place on ``mask``, (d, m)):
    see :data:`CALIBRATE_ARTERIAL_COMPLIANCE`. A compliance that is not free (measured,
    absent from the model) is left alone.

    Examples
    --------
    >>> from twinviewer.physiology.presets import get_preset
    >>> p = get_preset("healthy")
    >>> sp = ParameterSpace.for_twin(p.model, p.vector(), set())
    >>> mask = np.zeros((sp.dim, 3), dtype=bool)
    >>> _open_pulse_pressure(mask, p.model, sp, ["SBP", "LVEDV", "DBP"])
    >>> mask[sp.names.index("SYS.C_AR")].tolist(), int(mask.sum())
    ([True, False, True], 2)
    """
    cols = [i for i, n in enumerate(data_names) if n in PULSE_PRESSURE_DATA]
    for role in PULSE_PRESSURE_PARAMETERS:
        name = model.role(role)
        if cols and name in space.names:
            mask[space.names.index(name), cols] = True


def compliance_left_closed(mask: np.ndarray, model: ModelSpec, space: ParameterSpace,
                           data_names: Sequence[str], members: int) -> str:
    """Why the cuff pressures did not update the arterial compliance: ``""`` when they did
    (or there is nothing to say: no cuff pressure, the compliance not free), else the reason
    (fewer usable ``members`` than :data:`PULSE_PRESSURE_MIN_MEMBERS`, so
    :func:`_open_pulse_pressure` was not applied and the localisation cut it) and the remedy.

    Examples
    --------
    >>> from twinviewer.physiology.presets import get_preset
    >>> p = get_preset("healthy")
    >>> sp = ParameterSpace.for_twin(p.model, p.vector(), set())
    >>> mask = np.zeros((sp.dim, 2), dtype=bool)
    >>> compliance_left_closed(mask, p.model, sp, ["SBP", "DBP"], 32)[:62]
    'Systemic arterial compliance (SYS.C_AR) was not updated by SBP'
    >>> _open_pulse_pressure(mask, p.model, sp, ["SBP", "DBP"])
    >>> compliance_left_closed(mask, p.model, sp, ["SBP", "DBP"], 32)
    ''
    """
    if not CALIBRATE_ARTERIAL_COMPLIANCE or members >= PULSE_PRESSURE_MIN_MEMBERS:
        return ""
    cols = [i for i, n in enumerate(data_names) if n in PULSE_PRESSURE_DATA]
    shut = [model.role(r) for r in PULSE_PRESSURE_PARAMETERS
            if model.role(r) in space.names and cols
            and not mask[space.names.index(model.role(r)), cols].all()]
    if not shut:
        return ""
    cuff = ", ".join(data_names[i] for i in cols
                     if not mask[space.names.index(shut[0]), i])  # one role: its closed ones
    return (f"{' and '.join(f'{model.parameter(p).label} ({p})' for p in shut)} was not updated "
            f"by {cuff}: the calibration had {members} usable members, fewer than the "
            f"{PULSE_PRESSURE_MIN_MEMBERS} from which the cuff pressures are let update it, "
            "so a pulse pressure far from the population's may not be reached; calibrate "
            f"with {PULSE_PRESSURE_MIN_MEMBERS} or more members to let them inform it")


def _weighed(m: Measurement, pname: str, model: ModelSpec) -> bool:
    """True if the measurement of parameter ``pname`` is its prior in the update (weighed
    with the other data, e.g. an echo AVA beside a mean gradient, both informing ``AV.EOA``
    through the flow), False if it sets the parameter directly.

    The heart rate is set directly: the ECG counts it to ±2 bpm, far tighter than anything
    the other data say about it, and the standard set's calibration stays as validated. An
    orifice measured as 0 (no regurgitation) is absent, not uncertain: set directly too.

    Examples
    --------
    >>> from twinviewer.physiology.presets import get_preset
    >>> model = get_preset("severe_as").model
    >>> _weighed(Measurement("AVA", 0.7, "cm^2", 0.1), "AV.EOA", model)
    True
    >>> _weighed(Measurement("HR", 72, "bpm", 2), "HR", model)
    False
    """
    return (pname != model.heart_rate_parameter and m.value > 0 and m.uncertainty > 0)


def _measured_prior(m: Measurement) -> Prior:
    """A parameter measurement as a prior: log-normal with median the measured value and the
    measurement's coefficient of variation (``0.7 ± 0.1`` → log-SD 0.142).

    Examples
    --------
    >>> _measured_prior(Measurement("AVA", 0.7, "cm^2", 0.1))
    Prior(kind='lognormal', loc=0.7, scale=0.14213...)
    """
    return Prior("lognormal", float(m.value),
                 float(np.sqrt(np.log1p((m.uncertainty / m.value) ** 2))))


def _model_z(model: ModelSpec, pname: str, base: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The standard-normal design coordinates of ``u``, drawn from ``pname``'s model prior
    centred on ``base`` (the prior design's quasi-random draws, kept for a measured prior)."""
    j = model.index(pname)
    pr = model.parameters[j].prior.centred(base[j])
    return np.clip(stats.norm.ppf(np.clip(pr.dist.cdf(u), 1e-12, 1 - 1e-12)), -6.0, 6.0)


def _considered(twin: Twin, given: Sequence[Measurement] | None) -> list[tuple[str, float, str]]:
    images = list(twin.anatomy.measurements) if twin.anatomy is not None else []
    seen = dict.fromkeys((m.name, float(m.value), m.source or "")
                         for m in [*twin.measurements, *images, *(given or [])])
    return list(seen)


#: SD of the heart rate taken from a volume curve's R-R (beat-to-beat variation during the
#: acquisition, bpm).
CURVE_HR_SD = 3.0
#: Image-derived measurements that a chamber's whole volume curve already contains.
_CURVE_NAMES = {f"{c}{k}" for c in ("LV", "RV") for k in ("EDV", "ESV", "SV", "EF", "_PER",
                                                          "_PFR")}


def _stroke_volume_conflict(ms: Sequence[Measurement]) -> str:
    """A note when the measured LV and RV stroke volumes differ by more than the measured
    regurgitant volumes explain, or ''.

    In the models the LV and RV (total) stroke volumes differ only by regurgitant volumes
    (mitral and aortic on the left, tricuspid on the right) and shunt flow. Measured regurgitant
    volumes (or fractions, times the LV stroke volume) are subtracted first; a measured shunt
    (Qp:Qs) or a regurgitant orifice without a volume may account for any difference, so then
    there is no note. A residual within 2 SD is stated as such, not as a conflict.

    >>> M = Measurement
    >>> _stroke_volume_conflict([M("LVEDV", 179, "mL", 8.5), M("LVESV", 72, "mL", 5.1),
    ...     M("RVEDV", 170, "mL", 10.8), M("RVESV", 76.7, "mL", 6.7)])[:45]
    'measured LV stroke volume 107 ± 9.9 mL and RV'
    >>> _stroke_volume_conflict([M("LVEDV", 160, "mL", 8), M("LVESV", 60, "mL", 5),
    ...     M("RVEDV", 140, "mL", 10), M("RVESV", 76, "mL", 6), M("MR_fraction", 35, "%", 5)])
    ''
    """
    by = {m.name: m for m in ms}

    def sv(c: str) -> tuple[float, float] | None:
        if f"{c}SV" in by:
            return by[f"{c}SV"].value, by[f"{c}SV"].uncertainty
        ed, es = by.get(f"{c}EDV"), by.get(f"{c}ESV")
        if ed is None or es is None:
            return None
        return ed.value - es.value, float(np.hypot(ed.uncertainty, es.uncertainty))

    lv, rv = sv("LV"), sv("RV")
    if lv is None or rv is None or abs(lv[0] - rv[0]) < 1.0:
        return ""
    if any(n in by for n in ("QpQs", "shunt_flow")):
        return ""  # a shunt makes the stroke volumes differ by design
    regurgitant: list[tuple[str, float, float]] = []  # (label, mL on the LV side, SD)
    for valve, side in (("MR", 1.0), ("AR", 1.0), ("TR", -1.0)):
        vol, frac = by.get(f"{valve}_volume"), by.get(f"{valve}_fraction")
        if vol is not None:
            regurgitant.append((f"{valve} volume", side * vol.value, vol.uncertainty))
        elif frac is not None:
            base = lv if side > 0 else rv
            x = frac.value / 100.0 * base[0]
            sd = float(np.hypot(frac.uncertainty / 100.0 * base[0], frac.value / 100 * base[1]))
            regurgitant.append((f"{valve} fraction × stroke volume", side * x, sd))
    if not regurgitant and any(n in by for n in ("EROA", "MV.EROA", "AV.EROA", "TV.EROA")):
        return ""  # regurgitation measured by its orifice only: the fit weighs it
    diff = lv[0] - rv[0] - sum(r[1] for r in regurgitant)
    sd = float(np.sqrt(lv[1] ** 2 + rv[1] ** 2 + sum(r[2] ** 2 for r in regurgitant)))
    z = diff / max(sd, 1e-9)
    if regurgitant and abs(z) < 2.0:
        return ""
    after = ("" if not regurgitant else
             " after the measured " + ", ".join(f"{r[0]} {abs(r[1]):.3g} mL" for r in regurgitant)
             + f" a residual of {diff:+.3g} mL remains")
    verdict = ("so it cannot fit both; its stroke volume lies between them" if abs(z) >= 2.0
               else "a difference within the measurement errors")
    return (f"measured LV stroke volume {lv[0]:.3g} ± {lv[1]:.2g} mL and RV stroke volume "
            f"{rv[0]:.3g} ± {rv[1]:.2g} mL differ by {lv[0] - rv[0]:+.3g} mL{after} "
            f"(z {z:+.1f}): in the model the two differ only by regurgitant and shunt "
            f"volumes; {verdict}")


def _in_curve(m: Measurement, obs: Sequence[CurveObservation]) -> bool:
    """True if ``m`` (an EDV, ESV, SV, EF, PER or PFR) comes from the same images as a curve
    used whole: same chamber and a source starting with the curve's (a CT LVEDV beside an MR
    curve is independent data)."""
    src = (m.source or "").strip().lower()
    return is_image_derived(m) and any(
        m.name.startswith(o.data.chamber) and src.startswith(o.data.source.strip().lower())
        for o in obs)


def _curves(twin: Twin, volume_curves, use_anatomy: bool, previous: bool) -> list[CurveData]:
    """The volume curves to use (see :func:`calibrate`'s ``volume_curves``)."""
    if volume_curves is None:
        return []
    if isinstance(volume_curves, str):
        if volume_curves != AUTO:
            raise ValueError(f"volume_curves={volume_curves!r}: use 'auto', None or a list "
                             "of CurveData")
        return curves_of(twin.anatomy) if use_anatomy and not previous else []
    out = list(volume_curves)
    for c in out:
        if not isinstance(c, CurveData):
            raise ValueError(f"volume_curves: {c!r} is not a CurveData "
                             "(see personalize.volume_curve.calibration_data)")
        if c.chamber not in ("LV", "RV") or len(c.phase) < 3 or not np.isfinite(c.rr_ms):
            raise MeasurementError(f"{c.chamber} volume curve: need LV or RV, ≥ 3 phases and "
                                   f"a known R-R (got {len(c.phase)} phases, R-R {c.rr_ms})")
    return out


def _unreplaced_curves(curves: Sequence[CurveData], ms: Sequence[Measurement],
                       notes: list[str]) -> tuple[list[CurveData], list[Measurement]]:
    """The images' volume curves less those of a chamber whose EDV or ESV is given from
    another source, and ``ms`` less that curve's other volumes (SV, EF, PER, PFR); one note
    per curve left out.

    The Measurements step says an entered LVEDV *replaces* the images' one (review16 #1): the
    curve that holds the images' ED and ES volumes is then left out too, or the fit would be
    torn between the two values of one quantity (the demo heart's ED 179 mL beside an entered
    118 mL: refused at z −3.5, the entered values blamed). A curve rescaled to the entered
    volumes would be neither measurement, so the curve goes whole, said so; the volumes
    computed from the replaced ones go with it (as in :func:`_gather`).

    Examples
    --------
    >>> from twinviewer.personalize.volume_curve import CurveData
    >>> c = CurveData("LV", np.array([0, .3, .6]), np.array([179., 72., 120.]),
    ...               np.array([8., 5., 6.]), 860.0, "biv-me fitted mesh")
    >>> ms = [Measurement("LVEDV", 118, "mL", 8, "CT segmentation"),
    ...       Measurement("LVEF", 60, "%", 3, "biv-me fitted mesh, volume curve")]
    >>> notes = []
    >>> kept, rest = _unreplaced_curves([c], ms, notes)
    >>> kept, [m.name for m in rest]
    ([], ['LVEDV'])
    >>> notes[0][:70]
    'the LV volume curve of the images (biv-me fitted mesh, 3 phases, ED 17'
    """
    kept, out = [], list(ms)
    for c in curves:
        src = c.source.strip().lower()

        def of_curve(m: Measurement, c=c, src=src) -> bool:
            return m.name.startswith(c.chamber) and m.name in _CURVE_NAMES and \
                (m.source or "").strip().lower().startswith(src)

        given = [m for m in out if m.name in (f"{c.chamber}EDV", f"{c.chamber}ESV")
                 and not of_curve(m)]
        if not given:
            kept.append(c)
            continue
        gone = [m for m in out if of_curve(m)]
        out = [m for m in out if not of_curve(m)]
        by = sorted({m.source for m in given if m.source})
        ends = " and ".join({"EDV": "end-diastolic", "ESV": "end-systolic"}[m.name[2:]]
                            for m in given)
        notes.append(
            f"the {c.chamber} volume curve of the images ({c.source}, {len(c.phase)} phases, "
            f"ED {number(float(np.max(c.volumes_ml)))} mL, ES "
            f"{number(float(np.min(c.volumes_ml)))} mL) is left out of the fit: its {ends} "
            f"volume{'s are' if len(given) > 1 else ' is'} replaced by the entered "
            # in the unit it is used in (an LVEDV typed as 0.179 L said "0.18 mL", G7)
            + " and ".join(f"{m.name} {number(normalise(m).value)} mL" for m in given)
            + (f" ({', '.join(by)})" if by else ""))
        # one note each, in _gather's words (io.measurement_use reads "NAME (source) left
        # out of the fit: why" as that value's use)
        notes.extend(f"{m.name} ({m.source or 'images'}) left out of the fit: it is computed "
                     f"from the images' {c.chamber} volume curve, left out with it"
                     for m in gone)
    return kept, out


def _same_source(m: Measurement, others: Sequence[Measurement]) -> bool:
    """True if ``m`` came from the same source as ``others`` (or no source is named: then it
    cannot be told apart from a value computed from them)."""
    src = (m.source or "").strip().lower()
    return not src or any((o.source or "").strip().lower() in ("", src) for o in others)


def nothing_new(twin: Twin) -> str | None:
    """Why :func:`calibrate` of ``twin`` with its own data (the Calibrate step's call) would
    find nothing to learn, or None: a twin already calibrated whose measurements were all
    used at its last visit (the demo heart, as shipped). Said before the user presses
    Calibrate, not as an error after it.

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> nothing_new(twin_from_preset("healthy", n=1)) is None  # a prior: all to learn
    True
    """
    previous = twin.ensemble_kind == "posterior" and twin.ensemble.shape[0] > 1
    if not (previous and twin.visits) or _curves(twin, AUTO, True, previous):
        return None
    try:
        raw = _gather(twin, None, True, [])
        _new_since_last_visit(twin, require_valid(raw) if raw else [], [])
    except MeasurementError as exc:
        text = str(exc)
        return text if text.startswith("no new measurements") else None
    return None


def nothing_changed(twin: Twin) -> str | None:
    """Why re-doing ``twin``'s last visit with its stored data (the Calibrate step's call on
    the same visit, :func:`~twinviewer.personalize.revisit.plan_visit`) would give that
    visit again, or None: every measurement it would use is one that visit used, and none
    that visit used is gone. A correction, a removal or an assumed value replaced by a
    measurement is a change.

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> nothing_changed(twin_from_preset("healthy", n=1)) is None  # never calibrated
    True
    """
    if not twin.visits:
        return None
    try:
        now = {_data_key(m) for m in _gather(twin, None, True, [])}
    except MeasurementError:
        return None
    last = twin.visits[-1]
    then = {_data_key(m) for m in last.measurements}
    if not now or not now <= then or {k[0] for k in then} - {k[0] for k in now}:
        return None
    return (f"no measurement changed since the calibration of day {last.day}: it used these "
            "data. Correct or add a measurement, choose another prior, or give a later visit "
            "day for a new visit.")


def _data_key(m: Measurement) -> tuple:
    """A measurement's name, value, SD and source in canonical units (as compared across
    visits by :func:`_new_since_last_visit`); an unreadable one is its own key."""
    try:
        c = normalise(m)
    except MeasurementError:
        c = m
    return (c.name, round(float(c.value), 9), round(float(c.uncertainty), 9), c.source)


def _new_since_last_visit(twin: Twin, ms: list[Measurement], warnings: list[str]
                          ) -> list[Measurement]:
    """Drop measurements already available at an earlier visit (same value, unit, SD and
    source; the twin's imaging counts as day 0): the previous posterior contains them, and
    using them again would count them twice."""
    last = twin.visits[-1]
    used = set()
    earlier = [m for v in twin.visits for m in v.measurements]
    # the imaging the twin was made from is day-0 data: used then or deliberately replaced
    earlier += list(twin.anatomy.measurements) if twin.anatomy is not None else []
    for m in earlier:
        try:
            c = normalise(m)
        except MeasurementError:
            continue
        used.add((c.name, c.value, c.uncertainty, c.source))
    new = [m for m in ms if (m.name, m.value, m.uncertainty, m.source) not in used]
    dropped = [m.name for m in ms if m not in new]
    if not new:
        raise MeasurementError(
            f"no new measurements since the last visit (day {last.day}): "
            f"{', '.join(dropped)} were already used there. Enter this visit's measurements.")
    if dropped:
        warnings.append(f"{', '.join(dropped)}: measured at an earlier visit (last on day "
                        f"{last.day}) and already in its posterior; not used again as new data")
    return new


def _usable(res: Results, G: np.ndarray) -> np.ndarray:
    return res.ok & np.all(np.isfinite(G), axis=1)


def _failure_text(res: Results, ok: np.ndarray, where: str) -> str:
    errs = res.errors()[:3]
    detail = "; ".join(errs) if errs else "their predictions are not finite"
    return (f"calibration stopped: {(~ok).sum()} of {ok.size} members of {where} could not be "
            f"simulated ({detail}). The measurements may lie outside what the model can "
            "represent.")


def _worst(names: list[str], G: np.ndarray, y: np.ndarray, sigma: np.ndarray) -> str:
    z = predictive_z(y, np.nanmedian(G, axis=0), sigma, 0.0)
    order = np.argsort(-np.abs(z))[:3]
    return ", ".join(f"{names[i]} (z = {z[i]:+.1f})" for i in order)


def _atypicality(data: list[Measurement], prior_pred: dict[str, np.ndarray],
                 sigma: np.ndarray, obs: Sequence[CurveObservation] = (),
                 res0: Results | None = None, ok: np.ndarray | None = None) -> float:
    """How unlike the prior's population the patient's data are: the mean over the data of
    z² = (measured − prior-predictive median)² / (prior-predictive variance + σ²) — about 1
    for a typical patient (see :mod:`~twinviewer.personalize.discrepancy`). A volume curve
    counts as one datum: the mean z² over its phases."""
    z2 = []
    for o in obs:
        v = o.model_volumes(res0)[ok]
        d = o.data.volumes_ml
        z2.append(float(np.mean((np.nanmedian(v, axis=0) - d) ** 2
                                / (np.nanvar(v, axis=0) + np.diag(o.cov)))))
    if not data:
        return float(np.mean(z2)) if z2 else 1.0
    for m, s in zip(data, sigma, strict=True):
        x = prior_pred[m.name]
        x = x[np.isfinite(x)]
        if x.size > 1:
            z2.append((np.median(x) - m.value) ** 2 / (np.var(x) + s**2))
    return float(np.mean(z2)) if z2 else 1.0


def _divergence(data, prior_pred, sigma) -> list[str]:
    out = []
    for m, s in zip(data, sigma, strict=True):
        x = prior_pred[m.name]
        med, lo, hi = np.quantile(x, [0.5, 0.05, 0.95])
        z = predictive_z(m.value, med, s, np.std(x))
        if abs(z) > Z_FLAG:
            out.append(f"{m.name}: measured {m.value:.3g} {_u(m.unit)}, the twin had predicted "
                       f"{med:.3g} ({lo:.3g}–{hi:.3g}) from the previous visit (z = {z:+.1f})")
    return out


def _map_estimate(model: ModelSpec, space: ParameterSpace, base, Z0, cal_idx, observe, y,
                  sigma, previous: bool, warm, cancel: Cancel):
    """Least-squares MAP over the informed parameters; returns (point, (status, msg, nfev))."""
    k = cal_idx.size
    if previous:  # Gaussian summary of the previous posterior
        mu = Z0[:, cal_idx].mean(axis=0)
        cov = np.atleast_2d(np.cov(Z0[:, cal_idx], rowvar=False)) + 1e-6 * np.eye(k)
        whiten = np.linalg.inv(np.linalg.cholesky(cov))
    else:
        mu, whiten = np.zeros(k), np.eye(k)
    h = 0.05
    state = {"warm": np.atleast_2d(warm)}

    def params_of(X):
        Z = np.zeros((X.shape[0], space.dim))
        Z[:, cal_idx] = X
        return space.to_params(Z)

    def sim(X):
        _check_cancel(cancel)
        res = simulate(model, params_of(X), warm_start=np.repeat(state["warm"], X.shape[0], 0))
        G = observe(res)
        if res.ok[0]:
            state["warm"] = res.final_state[:1]
        return G

    def resid(G, x):
        r = (G - y) / sigma
        r = np.where(np.isfinite(r), r, 1e3)
        return np.concatenate([r, whiten @ (x - mu)])

    def fun(x):
        return resid(sim(x[None, :])[0], x)

    def jac(x):
        X = np.vstack([x, x + h * np.eye(k)])
        G = sim(X)
        r0 = resid(G[0], x)
        J = np.empty((r0.size, k))
        for i in range(k):
            J[:, i] = (resid(G[i + 1], X[i + 1]) - r0) / h
        return J

    sol = least_squares(fun, np.zeros(k), jac=jac, method="trf", x_scale=1.0,
                        max_nfev=40, xtol=1e-4, ftol=1e-4)
    # fixed parameters come from the base (scaled by the size factor where they scale)
    return params_of(sol.x[None, :])[0], (int(sol.status), str(sol.message), int(sol.nfev))


def _curve_point(m: Measurement, curves: Sequence[CurveFitSummary]) -> FitCheck | None:
    """The point of a fitted volume curve that *is* ``m`` (an EDV or ESV of the curve's
    images, counted once through it: its largest or smallest measured volume), judged as
    the curve judges it — so the datum has one z on every path."""
    if m.name[2:] not in ("EDV", "ESV"):
        return None
    for c in curves:
        if c.chamber != m.name[:2] or not (m.source or "").lower().startswith(
                c.source.strip().lower()):
            continue
        k = int(np.argmax(c.measured) if m.name.endswith("EDV") else np.argmin(c.measured))
        if not np.isclose(c.measured[k], m.value, rtol=0.005):
            continue
        sd = (abs(float(c.measured[k] - c.median[k]) / c.z[k]) if abs(c.z[k]) > 1e-9 else
              float("nan") if c.meas_hi is None else
              float(c.meas_hi[k] - c.median[k]) / 1.6448536 / np.sqrt(max(1.0, c.chi2)))
        return FitCheck(float(c.median[k]), float(c.lo[k]), float(c.hi[k]), float("nan"),
                        float(c.z[k]), sd)
    return None


#: What the fit table's "z band 90 %" column is, said under every fit table (review16b #6:
#: the column was called "predictive 90 %" while a fitted datum's was its residual band,
#: narrower than the twin's own interval).
BAND_LEGEND = ("z band 90 %: where the measured value would score |z| ≤ 1.64. 'residual' "
               "(a datum of the fit): the twin's median ± 1.64 √(SD² + model error²), not a "
               "predictive interval (the fit produced the ensemble's spread from this datum; "
               "it can be narrower than the twin's own interval); 'predictive' (not fitted): "
               "a new measurement's 90 % interval, ensemble ⊕ model error ⊕ SD — for the "
               "end-diastolic or end-systolic volume of a fitted volume curve, that curve's "
               "band at the phase, as the curve judges it.")


def _fit_table(ms, data, redundant, res: Results, point_res: Results,
               curves: Sequence[CurveFitSummary] = (),
               left_out: frozenset[str] | set[str] = frozenset(),
               weighed: dict[str, Measurement] | None = None) -> list[FitRow]:
    rows = []
    weighed = weighed or {}
    # a parameter measurement weighed as its parameter's prior is fitted like a datum
    data_names = {m.name for m in data} | {m.name for m in weighed.values()}
    for m in ms:
        q = QUANTITY_BY_NAME[m.name]
        # a datum whose information entered the likelihood (itself, through the volume
        # curve of its images, or through the volumes it is computed from) is judged by its
        # residual against σ (see fit_check); the EDV/ESV of a fitted curve is that curve's
        # point (one datum, one z)
        check = _curve_point(m, curves) if m.name in redundant else None
        # the curve judges its point against the curve's posterior predictive band (its z,
        # its σ): that band, not a residual one, is the row's (numbers17 F4)
        from_curve = check is not None
        if check is None:
            check = fit_check(m, predict(m.name, res),
                              fitted=m.name in data_names or m.name in redundant)
        med, lo, hi, me, z, flag = (check.median, check.lo, check.hi, check.model_sd, check.z,
                                    check.poor)
        # left out of the likelihood: a miss is a disagreement, not a failure of the fit
        out = m.name in left_out
        disagrees, flag = (flag, False) if out else (False, flag)
        if not np.isfinite(me):
            me = q.model_sd(m.value)
        share = float("nan")
        if m.name in data_names and check is not None:
            x = predict(m.name, res)
            x = x[np.isfinite(x)]
            if x.size:
                share = float(np.mean(np.abs(x - m.value) > 2.0 * np.hypot(m.uncertainty, me)))
        members = bool(np.isfinite(share) and share > MEMBERS_OFF and not out)
        pt = float(predict(m.name, point_res)[0])
        if q.kind == "parameter" and m.name in data_names:
            note = (f"the prior of {model_role(res, q.target)} (its value and SD), weighed "
                    "with the other data in the update")
        elif q.kind == "parameter":
            note = "set directly from this measurement"
        elif m.name in redundant:
            # left out of the likelihood, never out of the check: judged like every row
            note = (f"{redundant[m.name]}; " + (
                "checked against the curve's posterior predictive at this phase"
                if from_curve else "checked by its residual (the twin's median against SD ⊕ "
                "model error)") + f" (z {z:+.1f})")
            if disagrees:
                note += (f"; disagrees with the twin's prediction (|z| > {Z_FLAG:g}): not "
                         "a miss of the fit, which did not use it")
        elif q.redundant_with and all(r in {x.name for x in ms} for r in q.redundant_with):
            note = (f"used with its own uncertainty beside {' and '.join(q.redundant_with)} "
                    "(an independent measurement: another source)")
        else:
            note = ""
        if flag and abs(z) > Z_REFUSE:
            note = (f"the twin cannot reproduce {m.name} (z = {z:+.1f}, |z| > {Z_REFUSE:g}): "
                    "check the value, or the model's assumptions for this patient")
        elif flag:
            note = (f"missed by the posterior predictive (z = {z:+.1f}, |z| > {Z_FLAG:g})"
                    + (f"; {note}" if note else ""))
        elif members:
            flag = True
            note = (f"{percent(share)} of the twins miss it by > 2 SD (more than "
                    f"{percent(MEMBERS_OFF)}): it does not constrain them"
                    + (f"; {note}" if note else ""))
        half = 1.6448536 * check.sd if np.isfinite(check.sd) else float("nan")
        residual = m.name in data_names or m.name in redundant
        rows.append(FitRow(m.name, q.label, m.unit, m.value, m.uncertainty, me, m.source, pt,
                           float(med), float(lo), float(hi), z, m.name in data_names, flag,
                           note, float(med - half), float(med + half), out, disagrees,
                           share, "residual" if residual and not from_curve else "predictive"))
    return rows


def model_role(res: Results, role: str) -> str:
    """The parameter of ``res``'s model playing ``role`` ('AV.EOA')."""
    return res.model.role(role)


def _interval(x: np.ndarray) -> tuple[float, float]:
    lo, hi = np.quantile(x, [0.05, 0.95])
    return float(lo), float(hi)


def _identifiability(model: ModelSpec, space: ParameterSpace, U0, post, Zp, cal_idx,
                     present, res: Results, start=None) -> Identifiability:
    """Intervals, width ratios and "moved" against ``U0``, the ensemble the update started
    from (the robust prior's, whose wide share was chosen from the data, else the population
    prior): what the data did to it. Against the population prior alone a parameter no datum
    reaches came out up to 1.5× *wider* (review13 #8): the robust prior's wide members, not
    the data, had widened it."""
    start = U0 if start is None else start
    prior_iv, post_iv, med, ratio = {}, {}, {}, {}
    moved: dict[str, str] = {}
    for j in space.free:
        name = model.parameters[j].name
        prior_iv[name] = _interval(U0[:, j])
        why = _moved(start[:, j], post[:, j])
        if why:
            size = space.sized and space.exponent[j] != 0
            moved[name] = ("moved through the shared heart-size coordinate: " if size
                           else "moved with the calibrated parameters it correlates with: "
                           ) + why
        post_iv[name] = _interval(post[:, j])
        med[name] = float(np.median(post[:, j]))
        w0 = prior_iv[name][1] - prior_iv[name][0]
        ratio[name] = float((post_iv[name][1] - post_iv[name][0]) / w0) if w0 > 0 else 1.0
    # Exactly one state per parameter, following the information: a parameter the data
    # narrowed (width ratio < AT_PRIOR) is "calibrated"; one they did not reach, or reached
    # without narrowing it (`uninformed`: moved or not), is left at the prior — never both.
    # One no datum reached is calibrated only if it moved *and* narrowed (the heart size).
    # A measured parameter weighed with the data (space.measured) is never "at the prior":
    # its prior is the measurement; it is calibrated if narrowed, else measured.
    weighed = {model.parameters[j].name for j in space.measured}
    touched = [space.names[k] for k in cal_idx if k < len(space.free)]
    at_prior, uninformed, leaned = _states(ratio, moved, touched, weighed)
    corr = []
    if cal_idx.size > 1:
        c = eki.correlation(Zp[:, cal_idx], Zp[:, cal_idx])
        for a in range(cal_idx.size):
            for b in range(a + 1, cal_idx.size):
                if abs(c[a, b]) >= 0.5:
                    corr.append((space.coords[cal_idx[a]], space.coords[cal_idx[b]],
                                 float(c[a, b])))
        corr.sort(key=lambda r: -abs(r[2]))
    return Identifiability(prior_iv, post_iv, med, ratio, corr[:12], at_prior,
                           _suggestions(space, Zp, present, res), uninformed, moved, leaned)


def _states(ratio: dict[str, float], moved: dict[str, str], touched: Sequence[str],
            weighed: set[str]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The parameters left at the prior, of those the ones the data reached without narrowing
    or moving them (``uninformed``), and the ones they moved without narrowing
    (``leaned``: :data:`MOVED_NOT_NARROWED`, in neither of the others): one state each,
    following both the shift (``moved``) and the width (``ratio``, posterior/prior 90 %).
    A parameter no datum reached (not ``touched``) keeps the earlier rule: moved and narrowed,
    it moved with the heart size or correlated parameters; else at the prior.

    Examples
    --------
    >>> _states({"LV.V0": 1.57, "SYS.C_AR": 1.12, "LV.EA": 0.5, "RV.V0": 1.0},
    ...         {"LV.V0": "median ×1.9 of the prior's"}, ["LV.V0", "SYS.C_AR", "LV.EA"], set())
    (('SYS.C_AR', 'RV.V0'), ('SYS.C_AR',), ('LV.V0',))
    """
    # A parameter the data moved without narrowing it is neither at the prior nor
    # uninformed (review16 #8: "left at the prior" for one shifted and 1.57× wider).
    leaned = tuple(n for n in touched if ratio[n] >= AT_PRIOR and n in moved
                   and n not in weighed)
    uninformed = tuple(n for n in touched if ratio[n] >= AT_PRIOR and n not in weighed
                       and n not in leaned)
    at_prior = tuple(n for n in ratio if (ratio[n] >= AT_PRIOR
                                          or (n not in touched and n not in moved))
                     and n not in weighed and n not in leaned)
    return at_prior, uninformed, leaned


def _moved(prior: np.ndarray, post: np.ndarray) -> str:
    """Why a posterior moved from its prior ('' if it did not): its median outside the
    prior's central 50 %, or its 90 % interval's centre shifted by more than
    :data:`MOVED_SHIFT` of the prior's 90 % width.

    Examples
    --------
    >>> x = np.random.default_rng(0).lognormal(0.0, 0.3, 200)
    >>> _moved(x, 1.27 * x)
    "median ×1.27 of the prior's, outside the prior's central 50 %"
    >>> _moved(x, x)
    ''
    """
    prior, post = prior[np.isfinite(prior)], post[np.isfinite(post)]
    if prior.size < 8 or post.size < 8:
        return ""
    q25, m0, q75 = np.quantile(prior, [0.25, 0.5, 0.75])
    lo0, hi0 = _interval(prior)
    lo, hi = _interval(post)
    m = float(np.median(post))
    shift = ((lo + hi) - (lo0 + hi0)) / 2 / (hi0 - lo0) if hi0 > lo0 else 0.0
    if not (m < q25 or m > q75 or abs(shift) > MOVED_SHIFT):
        return ""
    ratio = f"×{m / m0:.3g}" if m0 > 0 and m > 0 else f"{m:.3g} against {m0:.3g}"
    return (f"median {ratio} of the prior's, " + (
        "outside the prior's central 50 %" if m < q25 or m > q75 else
        f"90 % interval shifted by {100 * abs(shift):.0f} % of the prior's width"))


#: Headline predictions whose uncertainty a further measurement should reduce.
KEY_OUTPUTS = ("LVEDP", "LAP", "CVP", "PASP", "mPAP", "SW", "LVEF", "LVEDV", "LVESV", "CO",
               "SBP", "DBP", "RVEDV", "RVEF", "AV_mean_gradient", "MR_volume")


def _suggestions(space: ParameterSpace, Zp: np.ndarray, present: set[str], res: Results,
                 top: int = 6) -> list[Suggestion]:
    """Rank unmeasured quantities by how much measuring each is expected to narrow the
    twin's headline predictions that were not measured (:data:`KEY_OUTPUTS`).

    Linear-Gaussian expectation over the posterior ensemble: measuring ``c`` with error
    ``s_c`` (typical SD ⊕ model error) removes ``cov(o, c)² / (var c + s_c²)`` of the variance
    of each output ``o``; the score is the mean fraction removed over the unmeasured headline
    outputs other than ``c`` itself. ``informs`` lists the parameters most correlated with
    ``c``.
    """
    n = Zp.shape[0]
    thr = 3.0 / np.sqrt(n)
    seen_targets = {QUANTITY_BY_NAME[p].target for p in present}
    outs = [k for k in KEY_OUTPUTS if k in res.metrics and k not in seen_targets]
    O = np.column_stack([res.metrics[k] for k in outs]) if outs else np.zeros((n, 0))
    keep = np.all(np.isfinite(O), axis=0) & (O.var(axis=0) > 1e-12)
    outs, O = [k for k, ok in zip(outs, keep, strict=True) if ok], O[:, keep]
    if not outs:
        return []
    var_o = O.var(axis=0, ddof=1)
    result = []
    for q in QUANTITIES:
        if q.name in present or q.target in seen_targets or q.redundant_with:
            continue
        if supported(q.name, res):
            continue
        g = predict(q.name, res)
        if not np.all(np.isfinite(g)) or g.var() <= 1e-12 * max(1.0, float(g.mean()) ** 2):
            continue
        seen_targets.add(q.target)
        s2 = q.typical_sd**2 + q.model_sd(float(np.median(g)))**2
        dg = g - g.mean()
        cov = dg @ (O - O.mean(axis=0)) / (n - 1)
        removed = cov**2 / (dg.var(ddof=1) + s2) / var_o
        others = np.array([k != q.target for k in outs])
        if not others.any():
            continue
        r = np.abs(eki.correlation(Zp, g[:, None])[:, 0])
        r = np.where(r > thr, r, 0.0)
        order = np.argsort(-r)[:3]
        result.append(Suggestion(q.name, q.label, q.unit, float(removed[others].mean()),
                                 tuple(space.coords[k] for k in order if r[k] > 0)))
    result.sort(key=lambda s: -s.variance_reduction)
    return result[:top]


def planned_prior(twin: Twin, measurements: Sequence[Measurement] | None = None,
                  prior: str | None = AUTO, *, use_anatomy: bool = True) -> PriorChoice:
    """The prior :func:`calibrate` would start from with these arguments (for the GUI to
    name it before the calibration runs: the previous visit's posterior, or a population
    prior and why).

    Examples
    --------
    >>> from twinviewer.core.measurement import Measurement as M
    >>> from twinviewer.twins import twin_from_preset
    >>> planned_prior(twin_from_preset("healthy", n=1), [M("AVA", 0.7, "cm^2", 0.1)]).preset
    'severe_as'
    """
    return _prior_of(twin, _gather(twin, measurements, use_anatomy, []), prior, [])


def _prior_of(twin: Twin, raw: Sequence[Measurement], prior: str | None,
              notes: list[str]) -> PriorChoice:
    later = twin.ensemble_kind == "posterior" and twin.ensemble.shape[0] > 1
    choice = visit_prior(prior, raw, preset_of(twin.origin), later=later,
                         last_prior=last_prior(twin))
    if later and choice.preset != PREVIOUS and _preset_model(choice.preset) != twin.model_name:
        notes.append(f"the {choice.preset} prior is for another model than the twin's "
                     f"{twin.model_name}: the last posterior is the prior")
        choice = PriorChoice(PREVIOUS, "a later visit starts from the last posterior")
    return choice


def _preset_model(preset: str) -> str:
    """The model a calibration prior preset belongs to."""
    from twinviewer.physiology.presets import get_preset

    return get_preset(preset).model.name


def _measured_day(twin: Twin, model: ModelSpec, pname: str) -> int | None:
    """Day of the latest visit that measured parameter ``pname`` directly, or None."""
    for v in reversed(twin.visits):
        for m in v.measurements:
            try:
                q = QUANTITY_BY_NAME[canonical_name(m.name)]
            except (UnknownQuantity, KeyError):
                continue
            if q.kind == "parameter" and q.target == pname:
                return v.day
    return None


def _carried_measured(twin: Twin, model: ModelSpec, direct: dict) -> dict[str, Provenance]:
    """Parameters measured at an earlier visit and not re-measured now, with their
    provenance (the visit day added if not yet there)."""
    out = {}
    for p in model.parameter_names:
        prov = twin.provenance.get(p)
        if prov is None or prov.source is not Source.MEASURED or p in direct:
            continue
        day = _measured_day(twin, model, p)
        detail = prov.detail
        if day is not None and "visit day" not in detail:
            detail = f"{detail}; measured at visit day {day}"
        out[p] = Provenance(Source.MEASURED, detail, prov.inputs)
    return out


def _provenance(twin: Twin, model: ModelSpec, direct, space: ParameterSpace, mask, cal_idx,
                data, image_names, ident: Identifiability, prior_source: str,
                carried_from_earlier: bool = False,
                weighed: dict[str, Measurement] | None = None) -> dict[str, Provenance]:
    """Provenance of every parameter after this calibration. With
    ``carried_from_earlier`` (a later visit) provenance accumulates: a parameter measured
    earlier stays measured (with its visit day) and one calibrated earlier but not informed
    by this visit's data keeps its earlier provenance, marked as such."""
    prov: dict[str, Provenance] = {}
    for p in model.parameter_names:
        old = twin.provenance.get(p)
        if old is None or (old.source is Source.PRIOR and not carried_from_earlier):
            # held at the value of the prior this run used (a twin made from the healthy
            # preset and calibrated under the severe_as prior holds severe_as's values)
            old = Provenance(Source.PRIOR, f"{prior_source}; held at its value, not "
                             "calibrated")
        prov[p] = old
    for name in space.names:  # free, not informed by the data: the prior this run used
        old = twin.provenance.get(name)
        if name in ident.moved and name not in ident.at_prior:  # moved (narrowed or not)
            prov[name] = Provenance(Source.CALIBRATED, f"{ident.moved[name]}; posterior 90 % "
                                    f"width {percent(ident.width_ratio[name])} of prior; no "
                                    f"datum reached it directly ({prior_source})")
            continue
        if name in ident.moved:
            prov[name] = Provenance(Source.PRIOR, f"{NOT_INFORMED}: {ident.moved[name]}, not "
                                    f"narrowed (posterior 90 % width "
                                    f"{percent(ident.width_ratio[name])} of prior; "
                                    f"{prior_source})")
            continue
        if carried_from_earlier and old is not None and old.source in (
                Source.CALIBRATED, Source.IMAGE_DERIVED, Source.MEASURED):
            note = "; not re-informed at this visit (carried in the previous posterior)"
            prov[name] = Provenance(old.source, old.detail if note in old.detail
                                    else old.detail + note, old.inputs)
            continue
        prov[name] = Provenance(Source.PRIOR, f"{prior_source}; not informed by this "
                                "patient's data")
    if carried_from_earlier:
        prov.update(_carried_measured(twin, model, direct))
    for p, m in direct.items():
        # an image that measures the parameter itself (a planimetered AVA): derived from images
        src = Source.IMAGE_DERIVED if is_image_derived(m) else Source.MEASURED
        prov[p] = Provenance(src, f"{m.name} = {m.value:.3g} ± {m.uncertainty:.2g} "
                             f"{unit(m.unit)}" + (f" ({m.source})" if m.source else ""),
                             (m.name,))
    for k in cal_idx:
        name = space.names[k]
        inputs = tuple(dict.fromkeys(data[i] for i in np.flatnonzero(mask[k])))
        width = ident.width_ratio.get(name, 1.0)
        detail = f"posterior 90 % width {percent(width)} of prior ({prior_source})"
        if name in ident.moved:  # said, whatever the state
            detail = f"{ident.moved[name]}; {detail}"
        if name in ident.uninformed:  # touched by the data, not narrowed: still the prior
            if not (carried_from_earlier and prov[name].source is not Source.PRIOR):
                prov[name] = Provenance(Source.PRIOR, f"{NOT_INFORMED}: {detail}; not "
                                        f"narrowed by {', '.join(inputs)}")
            continue
        old = twin.provenance.get(name)
        earlier: tuple[str, ...] = ()
        if carried_from_earlier and old is not None and old.source in (
                Source.CALIBRATED, Source.IMAGE_DERIVED):
            # the previous posterior carries what informed it then: keep those links
            earlier = tuple(i for i in old.inputs if i not in inputs)
            if earlier:
                detail += f"; also informed at earlier visits by {', '.join(earlier)}"
        image_only = all(i in image_names for i in inputs) and (
            not earlier or old.source is Source.IMAGE_DERIVED)
        if inputs and image_only:
            # an image measures volumes, not this parameter: "derived from images" is kept
            # for parameters an image measures directly (a measured AVA from CT)
            detail = f"{TO_IMAGE_VOLUMES}; {detail}"
        if name in ident.leaned:  # the state leads the detail (parameter_count reads it)
            detail = f"{MOVED_NOT_NARROWED}: {detail}"
        prov[name] = Provenance(Source.CALIBRATED, detail, earlier + inputs)
    for p, m in (weighed or {}).items():
        # measured, and weighed with the other data: "calibrated" only if they narrowed it
        said = (f"{m.name} = {m.value:.3g} ± {m.uncertainty:.2g} {unit(m.unit)}"
                + (f" ({m.source})" if m.source else ""))
        if prov[p].source is Source.CALIBRATED and ident.width_ratio.get(p, 1.0) < AT_PRIOR:
            prov[p] = Provenance(Source.CALIBRATED, f"{said}, weighed with "
                                 f"{', '.join(prov[p].inputs)}: {prov[p].detail}",
                                 (m.name, *prov[p].inputs))
            continue
        src = Source.IMAGE_DERIVED if is_image_derived(m) else Source.MEASURED
        prov[p] = Provenance(src, f"{said}; weighed with the other data, which did not narrow "
                             f"it (posterior 90 % width {percent(ident.width_ratio.get(p, 1.0))}"
                             " of the measurement's)", (m.name,))
    return prov


# -- the updated twin -------------------------------------------------------------------------

def _key_of(name: str) -> tuple[str, str]:
    """The model quantity a measurement name stands for (aliases and PCWP/LAP share one);
    an unknown name stands for itself."""
    try:
        return quantity_key(name)
    except UnknownQuantity:
        return ("unknown", name)


def calibration_record(result: CalibrationResult, **extra: Any) -> dict:
    """The details of a ``calibration`` audit entry: what was done, plus the whole summary
    (:meth:`CalibrationResult.to_dict`: fit table, misfits, volume-curve fit) so that a
    reopened twin shows its calibration without a re-run. ``extra``: e.g. the command.

    Every writer of a calibration entry (GUI, ``twin create``, ``calibrate``, the bundled
    example) uses this one record.

    Examples
    --------
    >>> from twinviewer.twins import twin_from_preset
    >>> from twinviewer.core.measurement import Measurement
    >>> t = twin_from_preset("healthy", n=16)
    >>> r = calibrate(t, [Measurement("SBP", 125, "mmHg", 8)], n=16)  # doctest: +SKIP
    >>> calibration_record(r, command="calibrate")["summary"]["fit"][0]["name"]  # doctest: +SKIP
    'SBP'
    """
    from twinviewer.personalize.cli import json_safe  # NaN → None: the trail is strict JSON

    return {"method": result.method, "members": int(result.ensemble.shape[0]),
            "measurements": [m.name for m in result.measurements],
            # the values it used (review9 #13): a later edit of a measurement cannot
            # rewrite what this calibration was given
            "values": [measurement_fields(m) for m in result.measurements],
            "calibrated": list(result.calibrated), **extra,
            "volume_curves": [c.audit() for c in result.curve_fit],
            "summary": json_safe(result.to_dict())}


def updated_twin(twin: Twin, result: CalibrationResult, *, day: int | None = None,
                 label: str = "", accept_misfit: bool = False) -> Twin:
    """A new twin carrying the calibration: point estimate, posterior ensemble, provenance,
    measurements and a new visit on its timeline. ``twin`` itself is not changed.

    ``day`` defaults to 0 for the first visit and the previous visit's day + 1 after that.

    Raises
    ------
    MisfitError
        If the calibration cannot reproduce some measurements (|z| > :data:`Z_REFUSE`) and
        ``accept_misfit`` is False: the message names each, measured against predicted, and
        the twin stays as it was.
    """
    bad = result.unreproduced
    if bad and not accept_misfit:
        raise MisfitError(
            f"the calibrated twin cannot reproduce {len(bad)} measurement"
            f"{'s' if len(bad) > 1 else ''}: " + "; ".join(r.misfit_text() for r in bad)
            + ". The twin is unchanged: check these values (or the model's assumptions for "
            "this patient), or accept the misfit explicitly.")
    if result.model_name != twin.model_name or \
            tuple(result.parameter_names) != tuple(model_of(twin).parameter_names):
        raise ValueError(f"this calibration is of model {result.model_name}, the twin uses "
                         f"{twin.model_name}")
    if day is None:
        day = twin.visits[-1].day + 1 if twin.visits else 0
    if twin.visits and day < twin.visits[-1].day:
        raise ValueError(f"visit day {day} is before the last visit (day "
                         f"{twin.visits[-1].day}); visits are kept in time order")
    ms = list(result.measurements)
    new_keys = {_key_of(m.name) for m in ms}
    kept = [m for m in twin.measurements if _key_of(m.name) not in new_keys]
    # the parameters the twin started from before its first visit: a re-calibration of the
    # first visit restarts from them (personalize.revisit), the living twin replays from them
    start = twin.visits[0].start_params if twin.visits else twin.params
    visit = Visit(day=day, measurements=list(ms), ensemble=result.ensemble.copy(),
                  label=label or f"calibration {len(twin.visits) + 1}",
                  start_params=None if start is None else np.asarray(start, float).copy(),
                  interval=_interval_context(result))
    provenance = {p: (Provenance(v.source, f"{v.detail}; measured at visit day {day}", v.inputs)
                      if v.source is Source.MEASURED and "visit day" not in v.detail else v)
                  for p, v in result.provenance.items()}
    return replace(
        twin, params=result.point.copy(), ensemble=result.ensemble.copy(),
        ensemble_kind="posterior", provenance=provenance,
        measurements=kept + ms, scenarios=list(twin.scenarios),
        visits=[*twin.visits, visit], audit=list(twin.audit))


def _interval_context(result: CalibrationResult) -> dict:
    from twinviewer.personalize.shown import context_of

    return context_of(result).to_dict()


# -- text report ------------------------------------------------------------------------------

def _unit(metric: str) -> str:
    from twinviewer.physiology import METRIC_BY_NAME

    return METRIC_BY_NAME[metric].unit if metric in METRIC_BY_NAME else ""


def _measured_how(r: CalibrationResult, p: str, m: str) -> str:
    """How measurement ``m`` entered parameter ``p``: set directly, or its prior weighed
    with the other data (narrowed by them or not)."""
    if "weighed with" not in r.provenance[p].detail:
        return f"set from {m} (measured)"
    if p in r.calibrated:
        return (f"from {m} (its prior), narrowed by the other data (width ratio "
                f"{r.identifiability.width_ratio[p]:.2f}): calibrated")
    return (f"from {m} (its prior), weighed with the other data, which did not narrow it "
            f"(width ratio {r.identifiability.width_ratio[p]:.2f}): measured")


def format_report(r: CalibrationResult) -> str:
    """Plain-text report of a calibration (used by the CLI)."""
    lines = [f"Calibration of {r.model_name}: {r.method}",
             f"prior: {r.prior_choice.describe()}"
             + (f"; {r.size_text()}" if r.size_factor else ""),
             f"{r.ensemble.shape[0]} posterior members, {r.convergence.message}, "
             f"{r.seconds:.1f} s", f"fit: {r.status_line()}", "",
             f"{'measurement':<18}{'measured':>18}{'twin (90 % interval)':>30}"
             f"{'z band 90 %':>22}{'z':>7}  note"]
    for f in r.fit:
        meas = f"{number(f.measured)} ± {number(f.uncertainty)}"
        pred = f"{interval(f.median, f.lo, f.hi)} {unit(f.unit)}"
        ppi = f"{f.band} {span(f.pred_lo, f.pred_hi)}".strip()
        mark = "FLAG " if f.flag else ("OUTSIDE 90 % " if f.outside_predictive else "")
        lines.append(f"{f.name:<18}{meas:>18}{pred:>30}{ppi:>22}{f.z:>+7.1f}  {mark}{f.note}")
    if r.fit:
        lines.append(BAND_LEGEND)
    ident = r.identifiability
    lines += ["", "calibrated parameters (posterior/prior 90 % width):"]
    for p in r.calibrated:
        lo, hi = ident.posterior_interval[p]
        lines.append(f"  {p:<12} {interval(ident.posterior_median[p], lo, hi)}  "
                     f"width ratio {ident.width_ratio[p]:.2f}")
    for p, m in r.measured_parameters.items():
        lines.append(f"  {p:<12} " + _measured_how(r, p, m))
    lines.append(f"{NOT_INFORMED}: {len(ident.at_prior)} parameters")
    lines.append(f"parameters: {counts_text(r.provenance, r.parameter_names)}")
    if ident.uninformed:
        lines.append(f"  of which reached by the data but not narrowed (width ratio ≥ "
                     f"{AT_PRIOR}): " + ", ".join(f"{p} {ident.width_ratio[p]:.2f}"
                                                 for p in ident.uninformed))
    if ident.leaned:
        lines.append(f"{MOVED_NOT_NARROWED} (width ratio ≥ {AT_PRIOR}): " + ", ".join(
            f"{p} {ident.width_ratio[p]:.2f} ({ident.moved[p]})" for p in ident.leaned))
    shown = r.unmeasured_predictions()
    if shown:
        lines += ["", "unmeasured predictions (90 % interval: posterior ensemble ⊕ learned "
                  "model discrepancy):"]
        for k, (med, lo, hi, u) in shown.items():
            lines.append(f"  {k:<12} {interval(med, lo, hi)} {unit(u)}")
    for c in r.curve_fit:
        lines += ["", f"{c.chamber} volume curve used whole as data (aligned at ED, time as a "
                  f"fraction of R-R {c.rr_ms:.0f} ms; {c.source}):", f"  {c.text()}",
                  *([f"  measured outside the twin's 90 % interval: {c.gaps_text()}"]
                    if c.gaps() else []),
                  f"  {'phase':>6}{'measured':>16}{'twin (90 % interval)':>26}"
                  f"{'predictive 90 %':>20}{'z':>7}"]
        for k in range(len(c.z)):
            lines.append(f"  {c.phase[k]:>6.2f}{c.measured[k]:>10.1f} ± {c.sd[k]:<3.0f}"
                         f"{c.median[k]:>12.1f} ({c.lo[k]:.0f}–{c.hi[k]:.0f}) mL"
                         f"{c.pred_lo[k]:>12.0f}–{c.pred_hi[k]:<6.0f}{c.z[k]:>+7.1f}")
    for m in r.misfits:
        lines.append(f"MISFIT (|z| > {Z_FLAG:g}, or > 2 SD in > {percent(MEMBERS_OFF)} of the "
                     f"twins): {m}")
    if ident.correlations:
        lines.append("strong posterior correlations: " + ", ".join(
            f"{a}~{b} {c:+.2f}" for a, b, c in ident.correlations[:5]))
    if ident.suggestions:
        lines.append("measure next (expected narrowing of the unmeasured headline "
                     "predictions): " + ", ".join(f"{s.name} {percent(s.variance_reduction)}"
                                                  for s in ident.suggestions))
    for d in r.divergence:
        lines.append(f"DIVERGENCE: {d}")
    if r.from_previous:
        lines.append("(no divergence flag does not mean all is well)")
    lines += [f"warning: {w}" for w in r.warnings]
    return "\n".join(lines)
