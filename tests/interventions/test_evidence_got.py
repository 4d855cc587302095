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


#: The unit a source's quantity is reported in, where it is not the model metric's own
#: (INTERVENTIONS.md: "CI 2.54→3.11→3.50", "CI 1.9→3.4" are L/min/m²; SVI mL/m²; SVR in
#: dyn·s/cm⁵ or Wood units).
_REPORTED_UNIT = {"CI": {"L/min/m²"}, "SVI": {"mL/m²"}, "SVR": {"dyn·s/cm⁵", "mmHg·min/L"}}


def test_every_expected_value_carries_the_unit_of_the_quantity_reported():
    """review8b #6: the dobutamine CI rows printed "CI: expected 2.54 → 3.21 L/min"."""
    from twinviewer.core.format import unit
    from twinviewer.physiology import METRIC_BY_NAME

    wrong = []
    for row in ev.load_rows():
        for v in row.variables:
            if v.kind in ("up", "down", "unchanged"):
                continue  # no number is printed, so no unit
            if v.kind == "relative" and v.before == 100 and v.unit != "%":
                continue  # an index from 100, printed as such, not in a unit
            said = (v.reported_as or v.metric).split()[0]
            meta = METRIC_BY_NAME.get(v.metric)
            own = {unit(meta.unit)} if meta is not None else {"mmHg/s"}  # dPdt_max: derived
            allowed = _REPORTED_UNIT.get(said, own)
            if v.unit not in allowed and unit(v.unit) not in allowed:
                wrong.append(f"{row.id} {said}: {v.unit!r} not in {sorted(allowed)}")
    assert not wrong, wrong
    row = next(r for r in ev.load_rows() if r.id == "dobutamine-5")
    ci = next(v for v in ev.run_row(row).variables if v.variable.reported_as == "CI")
    assert ci.expected.startswith("2.54 → 3.21 L/min/m² (")
