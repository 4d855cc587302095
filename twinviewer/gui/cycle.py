"""Model quantities at a point of the cardiac cycle, across the ensemble (numpy only).

Members of an ensemble beat at different heart rates, so time is a *fraction of the beat*
(0 = ventricular onset, the model's and the image's end-diastole). Each member's recorded beat
has ``n`` samples; sample ``round(f·(n−1))`` is that member at fraction ``f``.

Wall stress (Laplace's law) lives in :mod:`twinviewer.physiology.wall_stress`; its names are
re-exported here for the views.
"""

from __future__ import annotations

import numpy as np

from twinviewer.physiology.wall_stress import (  # noqa: F401 - re-exported for the views
    MMHG_TO_KPA,
    WallGeometry,
    sphere_radius_mm,
    wall_geometry,
)

PERCENTILES = {"low": 5.0, "median": 50.0, "high": 95.0}

# Which role colours which structure (pressure, volume); None = not modelled. Roles are
# found in each model through its declared roles (:func:`signal`), so a model with another
# structure colours the structures its roles cover and leaves the others uncoloured.
STRUCTURE_SIGNALS: dict[str, tuple[str | None, str | None]] = {
    "lv_blood": ("p_LV", "V_LV"),
    "lv_myocardium": ("p_LV", "V_LV"),
    "rv_blood": ("p_RV", "V_RV"),
    "la": ("p_LA", "V_LA"),
    "ra": ("p_RA", "V_RA"),
    "aorta": ("p_AO", None),
    "pulmonary_artery": ("p_AR_PUL", None),
    # the great veins where they join their atrium are at the atrium's pressure; the model's
    # venous compartments (p_VEN_SYS ≈ 13 mmHg) are the peripheral reservoirs, not the cavae.
    # Valve rings are not blood and stay uncoloured.
    "svc": ("p_RA", None),
    "ivc": ("p_RA", None),
    "pulmonary_veins": ("p_LA", None),
}


def series_name(results, role: str) -> str | None:
    """The name of the series playing ``role`` (``'p_LV'``…) in ``results``, or None.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> r = NS(model=NS(role=lambda n: {"p_LV": "p_V"}.get(n)), series={"p_V": None})
    >>> series_name(r, "p_LV"), series_name(r, "p_RV")
    ('p_V', None)
    """
    role_of = getattr(getattr(results, "model", None), "role", None)
    own = role_of(role) if role_of is not None else role
    return own if own in results.series else None


def signal(results, role: str) -> np.ndarray | None:
    """The ``(N, n)`` series playing ``role`` in ``results``, or None if the model has none."""
    own = series_name(results, role)
    return None if own is None else results.series[own]


def sample_index(results, fraction: float) -> int:
    """Sample of the recorded beat at ``fraction`` (0..1) of each member's beat."""
    n = results.time.shape[1]
    return int(round((float(fraction) % 1.0) * (n - 1)))


def ok_members(results) -> np.ndarray:
    ok = np.asarray(results.ok, dtype=bool)
    return ok if ok.any() else np.ones_like(ok)


def nan_percentile(x: np.ndarray, q, axis: int = 0) -> np.ndarray:
    """``np.nanpercentile(x, q, axis)`` (linear interpolation), vectorised.

    numpy's nanpercentile falls back to one Python call per column when any value is NaN
    (~1 s for an ensemble's time series); here NaNs are sorted to the end and each column
    is interpolated at its own count of valid values.

    Examples
    --------
    >>> x = np.array([[1.0, np.nan], [2.0, 4.0], [3.0, 6.0]])
    >>> nan_percentile(x, 50).tolist()
    [2.0, 5.0]
    >>> nan_percentile(x, [0, 100]).tolist()
    [[1.0, 4.0], [3.0, 6.0]]
    """
    x = np.moveaxis(np.asarray(x, dtype=float), axis, 0)
    qs = np.asarray(q, dtype=float)
    nan = np.isnan(x)
    if not nan.any():
        return np.percentile(x, qs, axis=0)
    xs = np.sort(x, axis=0)  # NaNs last
    n = (~nan).sum(axis=0)
    pos = (qs.reshape(qs.shape + (1,) * (x.ndim - 1)) / 100.0) * np.maximum(n - 1, 0)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    frac = pos - lo

    def take(i: np.ndarray) -> np.ndarray:
        return np.take_along_axis(xs, i.reshape((-1,) + x.shape[1:]), axis=0).reshape(i.shape)

    out = take(lo) * (1 - frac) + take(hi) * frac
    return np.where(n > 0, out, np.nan)


def _kept(results, kind: str) -> dict:
    """A cache dict kept on ``results`` itself (gone with it; no global table to evict)."""
    own = getattr(results, "__dict__", None)
    return {} if own is None else own.setdefault(kind, {})


def percentile_at(results, name: str, fraction: float, which: str = "median") -> float:
    """Percentile (``'low'`` 5th, ``'median'``, ``'high'`` 95th) of ``name`` across
    periodic members at ``fraction`` of the beat, in the signal's model unit.

    The curves over the whole beat are those of :func:`band` (computed once per results
    object: the cine asks for them every frame)."""
    med, lo, hi = band(results, name)
    curve = {"median": med, "low": lo, "high": hi}[which]
    return float(curve[sample_index(results, fraction)])


def band(results, name: str, level: float = 0.9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and central ``level`` band of a signal over the beat: three ``(n,)`` arrays
    (at ``level`` 0.9: the 50th, 5th and 95th percentiles, :data:`PERCENTILES`).

    Cached on the results object (the cine asks for it every frame; :func:`prepare`
    computes them in a worker before new results are shown).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> x = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    >>> r = NS(series={"V_LV": x}, ok=np.ones(3, bool), time=np.zeros((3, 2)))
    >>> [a.tolist() for a in band(r, "V_LV")]
    [[2.0, 20.0], [1.1, 11.0], [2.9, 29.0]]
    """
    cache = _kept(results, "_cycle_bands")
    hit = cache.get((name, level))
    if hit is not None:
        return hit
    x = signal(results, name)[ok_members(results)]
    a = 100 * (1 - level) / 2
    with np.errstate(all="ignore"):
        if x.size:
            lo, med, hi = nan_percentile(x, [a, 50, 100 - a], axis=0)
        else:
            lo = med = hi = np.full(x.shape[1], np.nan)
    cache[(name, level)] = hit = (np.asarray(med, dtype=float), np.asarray(lo, dtype=float),
                                  np.asarray(hi, dtype=float))
    return hit


#: Each ventricle's inflow and outflow valve (the events its loop band is anchored on).
LOOP_VALVES = {"LV": ("Q_MV", "Q_AV"), "RV": ("Q_TV", "Q_PV")}


def pv_band(results, side: str):
    """The ``side`` ('LV'/'RV') PV loop's median and 90 % band over each periodic member's
    own cycle phase (:func:`twinviewer.physiology.pv_band.phase_band`), or None if the model
    has no such chamber; cached on the results object.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> t = np.linspace(0, 2 * np.pi, 50, endpoint=False)
    >>> v = np.stack([100 + 20 * np.cos(t + s) for s in (0.0, 0.1)])
    >>> r = NS(series={"V_LV": v, "p_LV": 50 + 40 * np.sin(v)}, ok=np.ones(2, bool))
    >>> pv_band(r, "LV").v_median.shape, pv_band(r, "RV")
    ((240,), None)
    """
    from twinviewer.physiology.pv_band import phase_band

    cache = _kept(results, "_pv_bands")
    if side not in cache:
        v, p = signal(results, f"V_{side}"), signal(results, f"p_{side}")
        if v is None or p is None:
            cache[side] = None
        else:
            ok = ok_members(results)
            q_in, q_out = (signal(results, q) for q in LOOP_VALVES[side])
            cache[side] = phase_band(v[ok], p[ok], None if q_in is None else q_in[ok],
                                     None if q_out is None else q_out[ok])
    return cache[side]


def upper_value(results, name: str, q: float = 99.0) -> float:
    """The ``q``-th percentile of ``name`` over the whole beat of every periodic member (a
    colour scale's top), cached on the results object.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> r = NS(series={"p_LV": np.arange(101.0)[:, None]}, ok=np.ones(101, bool))
    >>> upper_value(r, "p_LV")
    99.0
    """
    cache = _kept(results, "_cycle_upper")
    if (name, q) not in cache:
        with np.errstate(all="ignore"):
            cache[(name, q)] = float(np.nanpercentile(signal(results, name)[ok_members(results)],
                                                      q))
    return cache[(name, q)]


#: The roles the views draw or colour (plots, Wiggers, 3D overlay, cine): :func:`prepare`
#: computes their bands ahead.
VIEW_ROLES = ("p_AO", "p_LV", "p_LA", "p_RV", "p_RA", "p_AR_PUL", "V_LV", "V_RV", "V_LA",
              "V_RA", "Q_MV", "Q_AV", "Q_TV", "Q_PV")


def prepare(results) -> None:
    """Compute, ahead (in a worker thread: numpy only), what the views derive from
    ``results``: the bands of :data:`VIEW_ROLES`, the PV loops' phase bands, the colour
    scales' tops and the beat period. Showing the results then only draws.

    Examples
    --------
    >>> prepare(None)
    """
    if results is None or not hasattr(results, "series"):
        return
    beat_period_s(results)
    for side in LOOP_VALVES:
        pv_band(results, side)
    for role in VIEW_ROLES:
        if signal(results, role) is not None:
            band(results, role)
            upper_value(results, role)


def beat_period_s(results) -> float:
    """Median beat duration (s) over periodic members (kept with ``results``: a playback
    frame asks for it about seven times)."""
    kept = getattr(results, "__dict__", {}).get("_beat_period_s")
    if kept is not None and kept[0] is results.time:
        return kept[1]
    t = results.time[ok_members(results)]
    n = t.shape[1]
    period = float(np.median(t[:, -1] - t[:, 0]) * n / max(n - 1, 1))
    if hasattr(results, "__dict__"):
        results.__dict__["_beat_period_s"] = (results.time, period)
    return period


def image_phase_at(anatomy, results, fraction: float) -> int:
    """The image phase to show at ``fraction`` of the model's beat.

    With trigger times for more than two phases, the phase nearest in time (as a fraction of
    the median model beat). With two phases (ED, ES), the one whose LV state the model is
    closer to: ES while the median LV volume is below halfway between its EDV and ESV.
    """
    img = getattr(anatomy, "image", None)
    phases = sorted({p for s in anatomy.structures.values() for p in s.meshes}) if anatomy else []
    if img is not None:
        phases = sorted(set(phases) | set(range(img.n_phases)))
    if len(phases) <= 1 or results is None:
        return img.ed_index if img is not None else (phases[0] if phases else 0)
    ed = img.ed_index if img is not None else 0
    es = img.es_index if img is not None else 1
    times = np.asarray(img.phase_times_ms, dtype=float) if img is not None else np.array([])
    if len(phases) > 2 and times.size == len(phases) and np.isfinite(times).all():
        t = (fraction % 1.0) * beat_period_s(results) * 1000.0
        period = beat_period_s(results) * 1000.0
        dist = np.abs((times - t + period / 2) % period - period / 2)
        return int(phases[int(np.argmin(dist))])
    v_med = band(results, "V_LV")[0]
    edv, esv = float(np.max(v_med)), float(np.min(v_med))
    v = v_med[sample_index(results, fraction)]
    return es if v < 0.5 * (edv + esv) else ed


def time_of_phase(anatomy, results, phase: int) -> float:
    """The beat fraction at which image ``phase`` is shown (inverse of :func:`image_phase_at`):
    its trigger time, or for a two-phase ED/ES study the model's median ED (0) or ES (the
    minimum of the median LV volume)."""
    img = getattr(anatomy, "image", None)
    if img is None or results is None:
        return 0.0
    times = np.asarray(img.phase_times_ms, dtype=float)
    if img.n_phases > 2 and np.isfinite(times).all():
        return float(times[phase] / 1000.0 / beat_period_s(results)) % 1.0
    if phase == img.es_index and img.es_index != img.ed_index:
        v = band(results, "V_LV")[0]
        return float(np.argmin(v)) / (len(v) - 1)
    return 0.0
