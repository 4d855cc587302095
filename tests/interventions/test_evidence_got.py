"""The evidence table's "got" column says which model quantity it is and in which unit: a CI
row's got is the model's cardiac output in L/min, an SVI row's the forward stroke volume in
mL, SVR carries its unit (review8 #10: "CI 1.9 → 3.4 L/min/m²; got 3.19 → 5.09")."""

from __future__ import annotations

from twinviewer.interventions import evidence_table as ev


def test_got_names_the_model_quantity_and_its_unit():
    row = next(r for r in ev.load_rows() if r.id == "milrinone-cusick")
    res = ev.run_row(row)
    got = {v.variable.reported_as or v.variable.metric: v.got for v in res.variables}
    ci = next(g for k, g in got.items() if k.startswith("CI"))
    assert ci.startswith("Cardiac output ") and " L/min (" in ci
    svr = next(g for k, g in got.items() if k.startswith("SVR"))
    assert " WU (" in svr
    pcwp = next(g for k, g in got.items() if k.startswith("PCWP"))
    assert not pcwp.startswith("Mean") and " mmHg (" in pcwp
