"""The living twin's timeline: sequential update, prediction check, withdrawal, model change."""

import numpy as np
import pytest

from twinviewer.core.consent import ConsentError
from twinviewer.core.measurement import Measurement as M
from twinviewer.living import add_measurements, withdraw_source
from twinviewer.personalize import timeline as tl
from twinviewer.personalize.quantities import QUANTITY_BY_NAME, predict
from twinviewer.physiology import simulate
from twinviewer.twins import model_of, twin_from_preset

SDS = {"SBP": 6.0, "DBP": 5.0, "LVEDV": 8.0, "LVESV": 6.0, "HR": 2.0, "CO": 0.4}


def synthetic(twin, ea: float, day: int, rng, shift: dict | None = None) -> list[M]:
    """Noisy measurements of a synthetic patient whose LV contractility (LV.EA) is ``ea``."""
    model = model_of(twin)
    p = twin.params.copy()
    p[model.index("LV.EA")] = ea
    r = simulate(model, p[None, :])
    out = []
    for name, sd in SDS.items():
        v = float(predict(name, r)[0]) + sd * rng.standard_normal() + (shift or {}).get(name, 0)
        out.append(M(name, round(v, 1), QUANTITY_BY_NAME[name].unit, sd, f"synthetic d{day}"))
    return out


@pytest.fixture(scope="module")
def base():
    return twin_from_preset("healthy", n=1)


@pytest.mark.slow
def test_declining_contractility_is_followed_with_intervals_containing_the_truth(base):
    rng = np.random.default_rng(1)
    truth = {0: 2.8, 120: 2.2, 240: 1.7}
    twin = base
    for day, ea in truth.items():
        twin = tl.add_visit(twin, synthetic(base, ea, day, rng), day=day, n=100).twin
    traj = tl.trajectory(twin, "LV.EA")
    assert [d for d, *_ in traj] == list(truth)
    medians = [m for _, m, _, _ in traj]
    assert medians[0] > medians[1] > medians[2], traj
    for (day, _, lo, hi), ea in zip(traj, truth.values(), strict=True):
        assert lo <= ea <= hi, (day, lo, ea, hi)


@pytest.mark.slow
def test_posterior_narrows_as_data_arrive(base):
    rng = np.random.default_rng(2)
    twin = base
    for day in (0, 14, 28):
        twin = tl.add_visit(twin, synthetic(base, 2.52, day, rng), day=day, n=100).twin
    for name in ("LV.EA", "SYS.R_AR"):
        widths = [hi - lo for _, _, lo, hi in tl.trajectory(twin, name)]
        assert widths[2] < widths[0], (name, widths)


@pytest.fixture(scope="module")
def two_visits(base):
    rng = np.random.default_rng(3)
    r1 = add_measurements(base, synthetic(base, 2.52, 0, rng), source="manual",
                          consent="treatment", day=0, n=48)
    # second visit: the blood pressure has jumped far beyond anything predicted
    # (the twin cannot reach SBP 167 from visit 1's posterior, z ≈ −4 on the measurement's
    # own SD: refused unless the misfit is accepted, which a clinician does here)
    r2 = add_measurements(r1.twin, synthetic(base, 2.52, 30, rng, {"SBP": 60, "DBP": 25}),
                          source="clinic-b", consent="research", day=30, n=48,
                          accept_misfit=True)
    return r1, r2


def test_prediction_check_flags_the_surprise_with_its_size(two_visits):
    r1, r2 = two_visits
    assert not r1.checked and r1.flags == []
    assert r2.checked
    flags = {f.name: f for f in r2.flags}
    assert set(flags) == set(SDS)
    sbp = flags["SBP"]
    assert sbp.outside and sbp.z > 3 and sbp.surprise > 30 and sbp.unit == "mmHg"
    assert not sbp.lo <= sbp.measured <= sbp.hi
    assert not flags["LVEDV"].outside  # unchanged quantities are not flagged
    assert "no flag does not mean all is well" in "\n".join(r2.lines()).lower()


def test_flags_are_in_the_visit_and_the_audit_trail(two_visits):
    _, r2 = two_visits
    v = r2.twin.visits[-1]
    assert any(f["name"] == "SBP" and f["outside"] for f in v.flags)
    entry = r2.twin.audit[-1]
    assert entry.action == "calibration" and entry.details["event"] == "visit"
    assert "SBP" in entry.details["flagged"]
    assert "no flag does not mean all is well" in entry.details["caveat"].lower()


def test_visit_dated_before_the_previous_is_refused_twin_unchanged(two_visits):
    _, r2 = two_visits
    twin = r2.twin
    n_visits, n_audit, ens = len(twin.visits), len(twin.audit), twin.ensemble.copy()
    with pytest.raises(tl.TimelineError, match="visit day 10 is before the last visit"):
        add_measurements(twin, [M("SBP", 120, "mmHg", 6)], source="late", consent="treatment",
                         day=10, n=32)
    assert len(twin.visits) == n_visits and len(twin.audit) == n_audit
    np.testing.assert_array_equal(twin.ensemble, ens)
    assert twin.ledger.sources() == ["manual", "clinic-b"]


def test_metric_history_keeps_predicted_and_measured_apart(two_visits):
    _, r2 = two_visits
    hist = tl.metric_history(r2.twin, "SBP")
    assert [h["day"] for h in hist] == [0, 30]
    assert "predicted_before" not in hist[0] and "predicted_before" in hist[1]
    for h in hist:
        p = h["predicted"]
        assert p["lo"] <= p["median"] <= p["hi"] and p["unit"] == "mmHg"
        assert h["measured"]["unit"] == "mmHg"


def test_withdrawal_removes_the_data_recalibrates_and_keeps_no_values(two_visits):
    _, r2 = two_visits
    new, rec = withdraw_source(r2.twin, "clinic-b", reason="patient request")
    assert new.ledger.sources() == ["manual"]
    assert [v.day for v in new.visits] == [0]  # the withdrawn visit had nothing else
    assert all(not m.source.startswith("clinic-b") for v in new.visits for m in v.measurements)
    assert all(m.source.startswith("manual (synthetic") for m in new.visits[0].measurements)
    assert rec["n_items"] == len(SDS) and rec["names"] == sorted(SDS)
    entry = new.audit[-1]
    assert entry.details["event"] == "consent withdrawn"
    values = {str(m.value) for m in r2.twin.visits[-1].measurements}
    assert not values & {str(v) for v in _flat(entry.details)}
    # the re-calibrated first visit reproduces the original first visit's calibration
    np.testing.assert_allclose(new.visits[0].ensemble, r2.twin.visits[0].ensemble)
    with pytest.raises(ConsentError, match="no data from source 'clinic-b'"):
        withdraw_source(new, "clinic-b")


def _flat(d):
    if isinstance(d, dict):
        for v in d.values():
            yield from _flat(v)
    elif isinstance(d, list | tuple):
        for v in d:
            yield from _flat(v)
    else:
        yield d


@pytest.mark.slow
def test_model_change_is_detected_and_recalibration_keeps_both(two_visits, monkeypatch):
    from dataclasses import replace

    _, r2 = two_visits
    old = replace(r2.twin, equation_hash="0000000000000000", model_version="0.9")
    assert "changed from v0.9" in tl.model_change(old)
    new = tl.recalibrate_with_current_model(old)
    assert tl.model_change(new) is None
    sup = new.timeline["superseded"][-1]
    assert sup["model"].endswith("0000000000000000")
    assert [v["day"] for v in sup["visits"]] == [v.day for v in new.visits]
    assert "LV.EA" in sup["visits"][0]["posterior"]
    assert all(v.model.endswith(new.equation_hash) for v in new.visits)


@pytest.mark.slow
def test_recalibration_maps_parameters_by_name_when_the_model_gained_one(two_visits):
    """An earlier model version with one more parameter ('OLD.X'): its results are kept in
    their own columns; the new timeline is in the installed model's parameters only."""
    from dataclasses import replace

    _, r2 = two_visits
    t = r2.twin
    names = [*t.timeline["parameter_names"], "OLD.X"]

    def widen(a):
        return None if a is None else np.concatenate([a, np.full(a.shape[:-1] + (1,), 7.0)],
                                                     axis=-1)

    old_start = widen(t.visits[0].start_params).copy()
    old_start[model_of(t).index("LV.EA")] = 2.9
    visits = [replace(v, ensemble=widen(v.ensemble),
                      start_params=old_start if k == 0 else widen(v.start_params))
              for k, v in enumerate(t.visits)]
    old = replace(t, model_version="0.9", equation_hash="feedfacefeedface",
                  params=widen(t.params), ensemble=widen(t.ensemble), visits=visits,
                  timeline={**t.timeline, "parameter_names": names})
    new = tl.recalibrate_with_current_model(old)
    p = len(model_of(new).parameter_names)
    assert new.params.shape == (p,) and all(v.ensemble.shape[1] == p for v in new.visits)
    assert new.visits[0].start_params[model_of(new).index("LV.EA")] == 2.9  # mapped by name
    sup = new.timeline["superseded"][-1]["visits"][0]["posterior"]
    assert sup["OLD.X"] == [7.0, 7.0, 7.0]  # the old model's column, kept apart
    assert new.timeline["parameter_names"] == list(model_of(new).parameter_names)


def test_assumed_values_are_marked_never_listed_as_measurements(base):
    """newuser17 F2: `twinviewer timeline` of the demo heart printed "day 0: LVEDV 179 mL, …
    SBP 120 mmHg, DBP 80 mmHg" as that visit's measurements, without the "assumed" its
    source and the Patient & images table say."""
    from dataclasses import replace

    from twinviewer.core.twin import Visit
    from twinviewer.living import timeline_dict, timeline_lines

    said = "assumed, not measured: normal adult cuff BP ≈ 120/80 mmHg"  # the demo's source
    ms = [M("LVEDV", 179, "mL", 8.5, "MR segmentation"), M("SBP", 120, "mmHg", 10, said),
          M("DBP", 80, "mmHg", 7, said)]
    twin = replace(base, visits=[Visit(0, ms, ensemble=base.ensemble)])
    day0 = next(x for x in timeline_lines(twin) if x.startswith("day 0:"))
    assert day0 == ("day 0: measured LVEDV 179 mL; assumed, not measured: SBP 120 mmHg, "
                    "DBP 80 mmHg")
    rows = timeline_dict(twin)["visits"][0]["measurements"]
    assert [r.get("assumed", False) for r in rows] == [False, True, True]
    hist = tl.metric_history(twin, "SBP")[0]
    assert "measured" not in hist and hist["assumed"]["value"] == 120
