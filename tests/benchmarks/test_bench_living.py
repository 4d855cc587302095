"""Benchmark: the living twin — a visit from a 50-Observation FHIR bundle to an updated
200-member posterior (target ≤ 3 s), and the export of the twin's FHIR bundle (≤ 1 s).

Side by side in one run: the visit against the bare sequential calibration of the same
measurements (what FHIR parsing, validation, repeat-combining, the prediction check and the
ledger add), and the export against validating the bundle alone.

Run with ``pytest tests/benchmarks/test_bench_living.py --benchmark-enable -s``.
"""

from __future__ import annotations

import time

import numpy as np

from tests.benchmarks.timing import best_of
from tests.fhir.bundles import CODES, observation
from twinviewer.core.measurement import Measurement
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.fhir.fhir_in import read_bundle
from twinviewer.fhir.fhir_out import validate_bundle
from twinviewer.living import add_fhir_visit, add_measurements, fhir_export
from twinviewer.personalize import timeline as tl
from twinviewer.personalize.quantities import QUANTITY_BY_NAME, predict
from twinviewer.physiology import simulate
from twinviewer.twins import model_of, twin_from_preset

VISIT_TARGET_S = 3.0
#: The demo calibration's time on an idle machine (README benchmark table), used to express
#: this run's figures at idle load: the machine is shared, so ratios are what carry over.
DEMO_CALIBRATION_IDLE_S = 0.85
EXPORT_TARGET_S = 1.0
SINGLES = ("LVEDV", "LVESV", "LVEF", "CO", "AV_mean_gradient", "AV_peak_velocity", "PASP",
           "TR_velocity", "PCWP", "weight", "height")
KEY = b"k" * 32


def fifty_observation_bundle(twin, when: str) -> dict:
    """12 serial SBP, DBP and HR readings plus 12 echo/vital values and 2 MAP repeats."""
    rng = np.random.default_rng(0)
    r = simulate(model_of(twin), twin.params[None, :])
    truth = {n: float(predict(n, r)[0]) for n in QUANTITY_BY_NAME if n in CODES and
             n not in ("AVA", "EROA")}
    truth.update(weight=78.0, height=176.0)
    entries, k = [], 0
    for name in ("SBP", "DBP", "HR"):
        for _ in range(12):
            v = truth[name] + rng.normal(0, 3)
            entries.append({"resource": observation(f"o{k}", name, round(v, 1),
                                                    f"{when}T{8 + k % 10:02d}:{k:02d}:00Z")})
            k += 1
    for name in SINGLES + ("MAP", "MAP", "MAP"):
        entries.append({"resource": observation(f"o{k}", name, round(truth[name] + k % 2, 2),
                                                f"{when}T09:{k:02d}:00Z")})
        k += 1
    assert len(entries) == 50
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _first_visit(twin):
    ms = [Measurement("SBP", 122, "mmHg", 6), Measurement("DBP", 78, "mmHg", 5),
          Measurement("LVEDV", 130, "mL", 8), Measurement("LVESV", 55, "mL", 6),
          Measurement("HR", 70, "bpm", 2)]
    return add_measurements(twin, ms, source="first", consent="treatment", day=0, n=200).twin


def test_visit_from_50_observation_bundle(benchmark):
    base = twin_from_preset("healthy", n=1)
    twin = _first_visit(base)
    import datetime as dt

    from twinviewer.living import date_shift_days

    shift = date_shift_days(twin.pseudonym, KEY)
    twin.timeline["anchor"] = (dt.date(2024, 1, 1) - dt.timedelta(days=shift)).isoformat()
    bundle = fifty_observation_bundle(base, "2024-03-01")
    imp = read_bundle(bundle, anchor=None)
    ms, _ = tl.combine_repeats(imp.measurements())
    add_fhir_visit(twin, bundle, key=KEY, n=200)  # warm-up (kernel cache, imports)

    bare = best_of(lambda: tl.add_visit(twin, ms, day=60, n=200), repeats=2, warm_up=False)
    from tests.benchmarks.test_bench_calibration import CLINICAL, demo_twin
    from twinviewer.personalize.calibrate import calibrate

    demo = best_of(lambda: calibrate(demo_twin(), CLINICAL, n=200), repeats=2, warm_up=False)
    parse = best_of(lambda: read_bundle(bundle), repeats=3)
    rep = benchmark.pedantic(lambda: add_fhir_visit(twin, bundle, key=KEY, n=200), rounds=3,
                             iterations=1)
    best = benchmark.stats.stats.min
    idle = best * DEMO_CALIBRATION_IDLE_S / demo
    print(f"\nvisit from a 50-Observation bundle → 200-member posterior: {best:.2f} s in this "
          f"run = {best / demo:.2f} × the demo calibration timed beside it ({demo:.2f} s here, "
          f"{DEMO_CALIBRATION_IDLE_S} s idle) → ≈ {idle:.2f} s at idle load (target ≤ "
          f"{VISIT_TARGET_S:.0f} s); bare sequential calibration of the same {len(ms)} "
          f"combined measurements {bare:.2f} s (visit / bare = {best / bare:.2f}); reading and "
          f"validating the bundle {parse * 1000:.0f} ms. Machine shared by 8 engineers.")
    assert rep.twin.visits[-1].ensemble.shape[0] == 200
    benchmark.extra_info.update(seconds=best, bare_calibration=bare, parse=parse,
                                demo_calibration=demo, idle_estimate=idle)
    assert idle <= VISIT_TARGET_S


def test_fhir_export(benchmark):
    base = twin_from_preset("healthy", n=1)
    twin = _first_visit(base)
    export = benchmark.pedantic(lambda: fhir_export(twin), rounds=5, iterations=1)
    best = benchmark.stats.stats.min
    validate = best_of(lambda: validate_bundle(export), repeats=5)
    twin.scenarios = [Scenario("beta blocker", (InterventionStep("beta_blocker",
                                                                 {"dose": 5}),))]
    t0 = time.perf_counter()
    with_cmp = fhir_export(twin)
    cmp_s = time.perf_counter() - t0
    # the same from the .twin's results cache (as the GUI saves it): no simulation
    from twinviewer.interventions.compare import run_scenarios
    from twinviewer.twins import simulate_twin

    base_run = simulate_twin(twin)
    runs = run_scenarios(model_of(twin), base_run, twin.scenarios)
    cache = {k: {**r.metrics, "_ok": r.ok} for k, r in {"baseline": base_run, **runs}.items()}
    cached = best_of(lambda: fhir_export(twin, results=cache), repeats=3)
    print(f"\nFHIR export ({len(export['entry'])} resources): {best * 1000:.0f} ms (target ≤ "
          f"{EXPORT_TARGET_S:.0f} s), of which validation {validate * 1000:.0f} ms; with one "
          f"scenario run on 200 members and compared ({len(with_cmp['entry'])} resources): "
          f"{cmp_s:.2f} s, from the results cache {cached * 1000:.0f} ms. Machine shared by "
          "8 engineers.")
    benchmark.extra_info.update(seconds=best, validation=validate, with_scenario=cmp_s,
                                with_scenario_cached=cached)
    assert best <= EXPORT_TARGET_S and cached <= EXPORT_TARGET_S


def test_prediction_check_false_alarm_rate():
    """Honesty of the flags: patients who did not change, measured twice 30 days apart, should
    see about 10 % of their second-visit measurements outside the 90 % predictive interval.
    Synthetic patients drawn from the model priors; noise as stated in each measurement."""
    from twinviewer.physiology import sample_prior

    base = twin_from_preset("healthy", n=1)
    model = model_of(base)
    truths = sample_prior(model, 8, base=base.params, seed=11)
    rng = np.random.default_rng(5)
    sds = {"SBP": 6.0, "DBP": 5.0, "LVEDV": 8.0, "LVESV": 6.0, "HR": 2.0, "CO": 0.4}
    outside, total, z = 0, 0, []
    for i, p in enumerate(truths):
        r = simulate(model, p[None, :])
        if not r.ok[0]:
            continue
        twin = base.__class__(**{**base.__dict__, "params": p.copy(),
                                 "ensemble": p[None, :].copy()})
        for day in (0, 30):
            ms = [Measurement(n, float(predict(n, r)[0]) + s * rng.standard_normal(),
                              QUANTITY_BY_NAME[n].unit, s, f"patient {i} day {day}")
                  for n, s in sds.items()]
            out = tl.add_visit(twin, ms, day=day, n=64)
            twin = out.twin
        outside += sum(f.outside for f in out.flags)
        total += len(out.flags)
        z += [f.z for f in out.flags]
    rate = outside / total
    print(f"\nprediction check on {total} unchanged measurements: {100 * rate:.0f} % outside the "
          f"90 % predictive interval (nominal 10 %); SD of z = {np.std(z):.2f} (nominal ≤ 1)")
    assert 0.0 <= rate <= 0.3
