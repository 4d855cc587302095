"""A prior that fits the patient's disease: which virtual patient a calibration starts from.

The population prior of each parameter is centred on a preset (a virtual patient). Starting a
patient with an AVA of 0.7 cm² from the healthy preset makes the disease itself look like an
outlier and pulls every other parameter (LV stiffness, contractility, volume) towards a
healthy heart. So the starting preset is chosen from the measurements, with the grading rules
of :mod:`twinviewer.teaching.grading` (ACC/AHA 2020 for AS, universal definition of HF 2021):

* aortic stenosis: AVA < 1.5 cm² or AV mean gradient ≥ 20 mmHg (or peak velocity ≥ 3 m/s);
  severe (``severe_as``) if AVA ≤ 1.0 cm², mean gradient ≥ 40 mmHg or peak velocity ≥ 4 m/s,
  else ``moderate_as``;
* mitral regurgitation (``severe_mr``): EROA ≥ 0.20 cm², regurgitant volume ≥ 30 mL or
  regurgitant fraction ≥ 30 % (moderate-to-severe and severe MR; the one MR preset);
* heart failure with reduced EF (``hfref``): LVEF ≤ 40 % (given, or from LVEDV and LVESV);
* otherwise the twin's own preset (``healthy`` for an imported patient).

Valve disease is checked first (a low EF with severe AS is low-flow AS, not primary HFrEF).
The user can override the choice (``calibrate(..., prior="hfref")``).

A later visit of a calibrated twin normally starts from its last posterior
(:data:`PREVIOUS`). Not when the new measurements show a disease that posterior was never
centred on — a heart calibrated as healthy and now measured with an AVA of 0.7 cm²: its
posterior (plus the between-visit drift of half a prior SD) holds no stenotic valve and no
pressure-loaded ventricle, so the fit either misses the data (a reviewer saw SBP 140 fitted
as 123) or pushes every parameter to the edge. A cardiologist re-stages such a patient from the
disease's population; so does :func:`visit_prior`, and says so. A disease of the same family
as the last prior (moderate → severe AS) keeps the posterior: progression is what the drift is
for.

>>> from twinviewer.core.measurement import Measurement as M
>>> choose_prior([M("AVA", 0.7, "cm^2", 0.1)]).preset
'severe_as'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twinviewer.core.measurement import Measurement
from twinviewer.personalize.measurements import MeasurementError, normalise
from twinviewer.physiology.presets import PRESETS

#: Presets a calibration may start from (same model as the default twin).
DISEASE_PRIORS = ("healthy", "moderate_as", "severe_as", "severe_mr", "hfref")
AUTO = "auto"
#: How a prior is named where its preset's name would read as a grade it does not claim.
_LABELS = {"severe_mr": "Mitral regurgitation prior, centred on the severe primary mitral "
                        "regurgitation heart; the data set the severity"}
#: The "preset" of a later visit that starts from the twin's last posterior.
PREVIOUS = "previous visit"
#: Presets of one disease (a change of grade within it is progression, not a new disease).
_FAMILY = {"moderate_as": "aortic stenosis", "severe_as": "aortic stenosis"}
#: Marker put in the provenance of every parameter a calibration touched, naming the prior.
TAG = "prior preset"


@dataclass(frozen=True)
class PriorChoice:
    """The preset a calibration's prior is centred on, and why.

    ``defining`` lists the measurements that define the disease (no "beyond the population
    prior" warning is raised for them); ``overridden`` is True if the user chose it.
    """

    preset: str
    reason: str
    defining: tuple[str, ...] = ()
    overridden: bool = False

    def describe(self) -> str:
        """'Severe aortic stenosis prior (chosen: AVA 0.7 cm² < 1.0 cm²)', named by the
        preset's title, never its code name; the MR prior says which heart it is centred
        on, since it serves moderate MR too (a reviewer read "severe_mr" for a moderate MR as
        a grade).

        >>> PriorChoice("severe_mr", "mitral regurgitation: EROA 0.25 cm² ≥ 0.20 cm²").describe()
        'Mitral regurgitation prior, centred on the severe primary mitral regurgitation heart; \
the data set the severity (chosen: mitral regurgitation: EROA 0.25 cm² ≥ 0.20 cm²)'
        >>> PriorChoice("healthy", "", overridden=True).describe()
        'Healthy adult prior (chosen by the user)'
        """
        how = "chosen by the user" if self.overridden else f"chosen: {self.reason}"
        if self.overridden and self.reason not in ("", "chosen by the user"):
            how = f"chosen by the user; {self.reason}"
        return f"{prior_title(self.preset)} ({how})" if self.preset not in _LABELS \
            else f"{_LABELS[self.preset]} ({how})"


def prior_title(preset: str) -> str:
    """A calibration prior in words: its preset's title (without "at rest") and "prior".

    Examples
    --------
    >>> prior_title("severe_as"), prior_title("hfref")
    ('Severe aortic stenosis prior', 'Heart failure with reduced ejection fraction prior')
    >>> prior_title(PREVIOUS)
    "previous visit's posterior"
    """
    if preset == PREVIOUS:
        return "previous visit's posterior"
    p = PRESETS.get(preset)
    return f"{p.title.removesuffix(' at rest') if p else preset} prior"


def last_prior(twin) -> str | None:
    """The population prior preset the twin's posterior was calibrated from, or None: the
    one most of its parameters' provenance names (a calibration that started afresh
    rewrites every parameter it moved; one it left alone may still name an older prior)."""
    from collections import Counter

    names = Counter(n for prov in twin.provenance.values()
                    if (n := prior_in_provenance(prov.detail)))
    return names.most_common(1)[0][0] if names else None


def _values(measurements: Sequence[Measurement]) -> dict[str, float]:
    out = {}
    for m in measurements:
        try:
            c = normalise(m)
        except MeasurementError:
            continue
        out[c.name] = float(c.value)
    return out


def choose_prior(measurements: Sequence[Measurement], fallback: str = "healthy"
                 ) -> PriorChoice:
    """The disease prior the measurements point to (see the module docstring).

    Parameters
    ----------
    measurements
        In any supported name and unit; unknown or invalid ones are ignored here (the
        calibration reports them).
    fallback
        Preset used when no disease is recognised (the twin's own preset).
    """
    v = _values(measurements)
    ava, mg, vmax = v.get("AVA"), v.get("AV_mean_gradient"), v.get("AV_peak_velocity")
    as_why, severe = [], False
    if ava is not None and ava < 1.5:
        as_why.append(("AVA", f"AVA {ava:.2g} cm² < 1.5 cm²"))
        severe |= ava <= 1.0
    if mg is not None and mg >= 20:
        as_why.append(("AV_mean_gradient", f"mean gradient {mg:.0f} mmHg ≥ 20 mmHg"))
        severe |= mg >= 40
    if vmax is not None and vmax >= 3.0:
        as_why.append(("AV_peak_velocity", f"peak velocity {vmax:.1f} m/s ≥ 3 m/s"))
        severe |= vmax >= 4.0
    if as_why:
        return PriorChoice("severe_as" if severe else "moderate_as",
                           "aortic stenosis: " + ", ".join(w for _, w in as_why),
                           tuple(n for n, _ in as_why))
    mr_why = []
    if v.get("EROA", 0.0) >= 0.20:
        mr_why.append(("EROA", f"EROA {v['EROA']:.2g} cm² ≥ 0.20 cm²"))
    if v.get("MR_volume", 0.0) >= 30:
        mr_why.append(("MR_volume", f"regurgitant volume {v['MR_volume']:.0f} mL ≥ 30 mL"))
    if v.get("MR_fraction", 0.0) >= 30:
        mr_why.append(("MR_fraction", f"regurgitant fraction {v['MR_fraction']:.0f} % ≥ 30 %"))
    if mr_why:
        return PriorChoice("severe_mr", "mitral regurgitation: " + ", ".join(
            w for _, w in mr_why), tuple(n for n, _ in mr_why))
    ef, src = v.get("LVEF"), ("LVEF",)
    if ef is None and v.get("LVEDV", 0) > 0 and "LVESV" in v:
        ef, src = 100.0 * (v["LVEDV"] - v["LVESV"]) / v["LVEDV"], ("LVEDV", "LVESV")
    if ef is not None and ef <= 40:
        return PriorChoice("hfref", f"reduced ejection fraction: LVEF {ef:.3g} % ≤ 40 %", src)
    return PriorChoice(fallback, "no valve disease or reduced EF in the measurements")


def resolve(prior: str | None, measurements: Sequence[Measurement], fallback: str
            ) -> PriorChoice:
    """The :class:`PriorChoice` for ``prior`` = ``'auto'``, a preset name, or None (the
    twin's own values, ``fallback``)."""
    if prior is None:
        return PriorChoice(fallback, "the twin's own values", ())
    if prior == AUTO:
        return choose_prior(measurements, fallback)
    if prior not in DISEASE_PRIORS:
        raise ValueError(f"unknown prior {prior!r}; choose 'auto' or one of: "
                         f"{', '.join(DISEASE_PRIORS)}")
    auto = choose_prior(measurements, fallback)
    return PriorChoice(prior, "chosen by the user", auto.defining if auto.preset == prior
                       else (), overridden=True)


def visit_prior(prior: str | None, measurements: Sequence[Measurement], fallback: str, *,
                later: bool, last_prior: str | None = None) -> PriorChoice:
    """The prior a calibration starts from, the previous posterior included.

    Parameters
    ----------
    prior
        ``'auto'``, a preset name (the user's override) or None (the twin's own values; at a
        later visit, its last posterior).
    measurements
        All the measurements the calibration will see.
    fallback
        The twin's own preset.
    later
        True if the twin holds a posterior (a later visit).
    last_prior
        The population prior preset its posterior was calibrated from (None: ``fallback``).

    Returns
    -------
    PriorChoice
        ``preset`` is :data:`PREVIOUS` when the last posterior is the prior. At a later
        visit, an override, or ``'auto'`` finding a disease outside the family of
        ``last_prior``, starts again from that preset's population prior (the reason says so).

    Examples
    --------
    >>> from twinviewer.core.measurement import Measurement as M
    >>> AS = [M("AVA", 0.7, "cm^2", 0.1), M("SBP", 140, "mmHg", 7)]
    >>> visit_prior("auto", AS, "healthy", later=True, last_prior="healthy").preset
    'severe_as'
    >>> visit_prior("auto", AS, "healthy", later=True, last_prior="moderate_as").preset
    'previous visit'
    >>> visit_prior("auto", AS[1:], "healthy", later=True, last_prior="healthy").preset
    'previous visit'
    """
    keep = PriorChoice(PREVIOUS, "a later visit starts from the last posterior")
    if not later:
        return resolve(prior, measurements, fallback)
    if prior is None:
        return keep
    last = last_prior or fallback
    restart = (f"the last posterior (from the {prior_title(last)}) is set aside and the "
               "calibration starts again from this population prior with all the data")
    if prior != AUTO:
        c = resolve(prior, measurements, fallback)
        return PriorChoice(c.preset, restart, c.defining, overridden=True)
    auto = choose_prior(measurements, last)
    if auto.defining and _FAMILY.get(auto.preset, auto.preset) != _FAMILY.get(last, last):
        return PriorChoice(auto.preset, f"{auto.reason}, a disease the last posterior (from "
                           f"the {prior_title(last)}) does not describe: it starts again from "
                           "this population prior with all the data", auto.defining)
    return keep


def preset_of(origin: str) -> str:
    """The preset a twin's ``origin`` names (``'preset:severe_as'`` → ``'severe_as'``), or
    ``'healthy'``; words after a ``;`` describe the twin and are not part of the name.

    Examples
    --------
    >>> preset_of("preset:severe_as"), preset_of("preset:hfref; demo heart: …")
    ('severe_as', 'hfref')
    """
    name = origin.split(":", 1)[1].split(";")[0].strip() if origin.startswith("preset:") else ""
    return name if name in PRESETS and name in DISEASE_PRIORS else "healthy"


def prior_in_provenance(detail: str) -> str | None:
    """The prior preset named in a provenance detail written by the calibration, or None."""
    if TAG not in detail:
        return None
    name = detail.split(TAG, 1)[1].strip().split()[0].strip("'\",;:()")
    return name if name in PRESETS else None
