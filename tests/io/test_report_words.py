"""The report a reader gets has no code names (review9 #4), says each scenario's response mode
(#5), marks a result the file does not hold (#12), and reads the small items of #14 right."""

from __future__ import annotations

import re

import pytest

from twinviewer.core.format import CODE_NAME
from twinviewer.core.measurement import Measurement
from twinviewer.core.provenance import Provenance, Source
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.explain.words import FORMULA_SYMBOLS
from twinviewer.io import audit_log, load_twin, save_twin
from twinviewer.report.pdf import write_report
from twinviewer.twins import simulate_twin

#: Identifiers a reader may see on purpose: the model's id and the file's equation hash
#: (to reproduce a result), and formula symbols of the model's assumptions.
ALLOWED = {"four_chamber_eoa", *FORMULA_SYMBOLS}


@pytest.fixture(scope="module")
def journey_report(tmp_path_factory, demo_anatomy):
    """A twin as the reviewer's journey left it: measured AV gradient, calibrated parameters
    with inputs, an imported anatomy, a regulated scenario stored under an old tagged name, an
    acute one, and one defined but never run."""
    from twinviewer.twins import twin_from_preset

    tmp = tmp_path_factory.mktemp("words")
    t = twin_from_preset("healthy", n=12, pseudonym=demo_anatomy.pseudonym, anatomy=demo_anatomy)
    t.measurements += [m for m in demo_anatomy.measurements if m.name in ("LVEDV", "LVESV")]
    t.measurements.append(Measurement("AV_mean_gradient", 45.0, "mmHg", 5.0, "echo"))
    t.provenance["SYS.R_AR"] = Provenance(Source.CALIBRATED, "EKI",
                                          ("SBP", "AV_mean_gradient"))
    log = audit_log(t)
    log.record(t, "import", {"structures": sorted(demo_anatomy.structures)})
    log.record(t, "calibration", {"method": "EKI", "members": 12,
                                  "measurements": ["LVEDV", "AV_mean_gradient"],
                                  "calibrated": ["SYS.R_AR", "V_total"],
                                  "prior": "severe_as prior", "misfit_accepted": False})
    bb = (InterventionStep("beta_blocker", {"dose": 5.0}),)
    pace = (InterventionStep("pacing", {"rate": 90.0}),)
    # a `twinviewer whatif` run, audited under its command-line name (review14b #2)
    log.record(t, "scenario", {"name": "pacing(rate=90)", "steps": [pace[0].to_dict()],
                               "regulation": "regulated", "members": 12, "command": "whatif"})
    t.scenarios += [Scenario("beta_blocker(dose=5) [baroreflex regulated]", bb, "regulated"),
                    Scenario("Beta-blocker 5 mg", bb, "acute"),
                    Scenario("Pacing 90 bpm", pace, "acute")]
    results = simulate_twin(t)
    stored = {k: v.copy() for k, v in results.metrics.items()}
    stored["_ok"] = results.ok

    def current(sc):  # stored as this version stores them: with the interventions' digest
        from twinviewer.interventions.constants_digest import KEY, digest_array, scenario_digest

        return {**stored, KEY: digest_array(scenario_digest(sc), len(results.ok))}

    path = save_twin(tmp / "j.twin", t, results={
        "baseline": results, t.scenarios[0].name: current(t.scenarios[0]),
        t.scenarios[1].name: current(t.scenarios[1])})
    info = write_report(load_twin(path), tmp / "j.pdf", results=results)
    return info, " ".join(" ".join(info.text).split())


def test_no_code_names_on_any_page(journey_report):
    _, text = journey_report
    text = re.sub(r"equations? (hash )?[0-9a-f]{16}", "", text)
    left = sorted(set(CODE_NAME.findall(text)) - ALLOWED)
    assert not left, left
    for words in ("AV mean gradient", "calibrated (from SBP, AV mean gradient)",
                  "LV blood pool", "Systemic arterial resistance", "Severe aortic stenosis",
                  "misfit accepted no"):
        assert words in text, words


def test_every_scenario_says_its_response_mode(journey_report):
    _, text = journey_report
    assert "Beta-blocker 5 mg [baroreflex regulated] versus baseline" in text  # old file
    assert "Beta-blocker 5 mg [acute, unregulated] versus baseline" in text
    assert "[baroreflex regulated] [" not in text  # never tagged twice


def test_the_audit_appendix_names_a_command_line_run_as_the_table_does(journey_report):
    _, text = journey_report
    assert "ran Dual-chamber 90 bpm [baroreflex regulated]" in text
    assert "pacing(rate=90)" not in text


def test_a_result_the_file_does_not_hold_is_marked(journey_report):
    _, text = journey_report
    page1 = text[:text.index("Measurements")]
    assert "Pacing" not in page1[page1.index("Stored results"):]  # page 1: what the file holds
    assert "Pacing 90 bpm [acute, unregulated]: Dual-chamber 90 bpm — computed for this " \
           "report, not stored in the file" in text
    # the PV legend key; "*" marks only a qualified response share (review12b #9)
    assert "(not stored): computed for this report, not stored in the file" in text
    assert "* computed for this report" not in text
    marked = text.count("computed for this report")
    # page 1's what-if key and its warning (fix12b's summary), the list, the PV legend key,
    # the pacing table; never the stored ones
    assert marked == 5
    assert "Pacing 90 bpm [acute, unregulated]: result computed for this report" in text
    assert "Beta-blocker 5 mg [acute, unregulated] — computed" not in text


def test_parameter_table_lists_present_things_each_with_a_unit(journey_report):
    _, text = journey_report
    table = text[text.index("Parameters: value"):text.index("Model card")]
    assert "LVAD pump speed krpm" not in table
    assert "Not listed (absent in this patient, 0 in every member): LVAD pump speed" in table
    row = re.search(r"Force–frequency relation: fractional rise of ventricular active "
                    r"elastance for \+45 bpm above 70 bpm (\S+) ", table)
    assert row and row.group(1) == "fraction", table[-600:]


def test_model_card_counts_the_unsourced_row_in_words(journey_report):
    _, text = journey_report
    card = text[text.index("Model card"):]
    assert "unsourced row not counted" in card and "(1 skipped)" not in card
    assert "Dobutamine 8 µg/kg/min after open-heart surgery (evidence): MAP: expected" \
           in " ".join(card.split())  # a failing row by its title (dobutamine-5 passes)
    assert "fraction of normal atrial contraction = 0" in card

