"""Suction is harm, never benefit, in the report and the living-twin comparison too: an LVAD
that sucks the left atrium below zero must not read "LAP improved in 100 %" (review F17 fixed it
in the what-if panel and rankings; the PDF and the timeline used the rule without harm)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

N = 40


def _base_and_sucking_scenario():
    rng = np.random.default_rng(3)
    base = {"LAP": 16.0 + rng.normal(0, 1, N), "CO": 4.0 + rng.normal(0, 0.2, N)}
    sc = {"LAP": np.full(N, -4.4), "CO": base["CO"] + 1.0}
    sc["LAP"][: N // 4] = 9.0  # a quarter unharmed: their fall is a real improvement
    return base, sc


class _Recorder:
    def __init__(self):
        self.tables = []

    def new_page(self, *a, **k):
        pass

    para = subheading = new_page

    def table(self, header, rows, *a, **k):
        self.tables.append((header, rows))


def test_report_does_not_credit_suction_as_improvement():
    from twinviewer.report.pdf import _scenario_page

    base, sc = _base_and_sucking_scenario()
    rec = _Recorder()
    _scenario_page(rec, base, {"LVAD 8000 rpm": sc}, [])
    (_, rows), = rec.tables
    lap = next(r for r in rows if "atrial" in r[0].lower())
    assert lap[-1] == "25 %"  # only the unharmed quarter; 100 % before the fix


def test_timeline_comparison_does_not_credit_suction():
    from twinviewer.interventions.compare import BASELINE
    from twinviewer.living import _cached_comparisons

    base, sc = _base_and_sucking_scenario()
    twin = SimpleNamespace(ensemble=np.zeros((N, 2)), scenarios=[SimpleNamespace(name="lvad")])
    out = _cached_comparisons(twin, {BASELINE: base, "lvad": sc}, ("LAP",))
    (row,) = out["lvad"]
    assert row.improved == 0.25
    assert row.worsened >= 0.75


def test_every_scenario_shown_says_its_response_mode():
    """A reviewer's `@acute` row appeared bare beside "[baroreflex regulated]" rows."""
    from twinviewer.core.twin import Scenario
    from twinviewer.interventions.scenario import shown_name
    from twinviewer.report.pdf import _scenario_page

    base, sc = _base_and_sucking_scenario()
    rec = _Recorder()
    heads = []
    rec.subheading = heads.append
    paras = []
    rec.para = lambda text, *a, **k: paras.append(text)
    acute = Scenario("lvad(speed=8000)", (), "acute")
    _scenario_page(rec, base, {acute.name: sc}, [acute])
    assert heads == ["lvad(speed=8000) [acute, unregulated] versus baseline"]
    assert paras[0].startswith("lvad(speed=8000) [acute, unregulated]: ")
    assert shown_name(Scenario("x [baroreflex regulated]", (), "regulated")).count("[") == 1


def test_the_first_page_names_each_scenario_with_its_mode():
    """review6: the first page listed "beta_blocker(dose=5), pacing(rate=90) [baroreflex
    regulated]": the acute one bare, in the scenario list and in the stored results."""
    from twinviewer.core.twin import Scenario
    from twinviewer.report.pdf import _file_page  # the old page 1, now Appendix A (fix12b)

    rec = _Recorder()
    acute = Scenario("beta_blocker(dose=5)", (), "acute")
    regulated = Scenario("pacing(rate=90) [baroreflex regulated]", (), "regulated")
    from twinviewer.io import AuditLog
    from twinviewer.io.twinfile import TwinDocument
    from twinviewer.twins import twin_from_preset

    twin = twin_from_preset("healthy", n=4)
    twin.scenarios[:] = [acute, regulated]
    doc = TwinDocument(twin, AuditLog(), [],
                       results={"baseline": {}, acute.name: {}, regulated.name: {}})
    _file_page(rec, doc, "now")
    (_, rows), = rec.tables
    got = dict(rows)
    want = "beta_blocker(dose=5) [acute, unregulated], pacing(rate=90) [baroreflex regulated]"
    assert got["Scenarios"] == want
    assert got["Stored results"] == "baseline, " + want


def test_parameter_value_is_the_median_of_the_interval_it_sits_beside(monkeypatch):
    """A reviewer read SYS.R_AR "1.3, posterior 90 % 0.9–1.2": the point estimate beside
    the ensemble's interval. The report shows the ensemble median."""
    from twinviewer.io import parameter_table
    from twinviewer.report import pdf
    from twinviewer.twins import twin_from_preset

    twin = twin_from_preset("healthy", n=40)
    doc = SimpleNamespace(twin=twin, parameters=parameter_table(twin),
                          audit=SimpleNamespace(entries=[]))
    j = [p.name for p in doc.parameters].index("SYS.R_AR")
    twin.params = np.array(twin.params, dtype=float)
    twin.params[j] = 10 * float(np.max(twin.ensemble[:, j]))
    monkeypatch.setattr(pdf, "_explanation_lines", lambda doc, results: [])
    rec = _Recorder()
    pdf._explain_and_provenance(rec, doc, None)
    (header, rows), = rec.tables
    assert header[2] == "Median"
    row = rows[j]
    lo, hi = (float(x) for x in row[3].split("–"))
    assert lo <= float(row[2]) <= hi


def test_the_audit_page_reads_as_text_not_python():
    """review6: the report's audit trail printed raw dicts (``defined={'name': …``)."""
    from twinviewer.core.twin import InterventionStep, Scenario
    from twinviewer.io import AuditLog
    from twinviewer.io.twinfile import TwinDocument
    from twinviewer.report.pdf import _audit_page
    from twinviewer.twins import twin_from_preset

    twin = twin_from_preset("healthy", n=4)
    audit = AuditLog()
    sc = Scenario("TAVI", (InterventionStep("tavi_sapien3", {"size": 26.0}),))
    audit.record(twin, "scenario", {"defined": {"name": sc.name, "steps": [
        {"name": "tavi_sapien3", "settings": {"size": 26.0}}]}})
    audit.record(twin, "calibration", {"summary": {"rms": 1.0}, "unmeasured_informed": {"a": 1}})
    rec = _Recorder()
    _audit_page(rec, TwinDocument(twin, audit, []))
    (_, rows), = rec.tables
    details = [r[4] for r in rows]
    # with its response mode, as every what-if result (review8 #6)
    assert details[0] == "defined TAVI [acute, unregulated] (tavi sapien3 size 26)"
    assert details[1] == "fit, identifiability and convergence kept with the twin"
    plain = [d.replace("[acute, unregulated]", "") for d in details]
    assert not any(c in d for d in plain for c in "{}[]'=")
