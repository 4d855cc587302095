"""The consent ledger: sources, consents, withdrawal records without values."""

import pytest

from twinviewer.core.consent import ConsentError, ConsentLedger, LedgerItem


def _item(i, source="fhir:a.json", consent="treatment", name="SBP"):
    return LedgerItem(f"{source}:{i}", 0, name, source, consent, f"Observation/{i}")


def test_add_and_sources_in_order():
    led = ConsentLedger().add([_item(1), _item(2, "wearable:w.csv", "patient-provided")])
    assert led.sources() == ["fhir:a.json", "wearable:w.csv"]


def test_unknown_consent_and_repeated_item_are_refused():
    with pytest.raises(ConsentError, match="consent 'maybe'"):
        ConsentLedger().add([_item(1, consent="maybe")])
    led = ConsentLedger().add([_item(1)])
    with pytest.raises(ConsentError, match="already in the ledger"):
        led.add([_item(1)])


def test_withdraw_marks_items_and_records_names_not_values():
    led = ConsentLedger().add([_item(1), _item(2, name="DBP"), _item(3, "manual")])
    new, w = led.withdraw("fhir:a.json", "patient asked")
    assert (w.source, w.n_items, w.names) == ("fhir:a.json", 2, ("DBP", "SBP"))
    assert new.sources() == ["manual"] and len(new.items) == 3
    assert led.sources() == ["fhir:a.json", "manual"]  # the old ledger is unchanged
    with pytest.raises(ConsentError, match="no data from source"):
        new.withdraw("fhir:a.json")


def test_round_trip():
    led, _ = ConsentLedger().add([_item(1), _item(2, "manual")]).withdraw("manual")
    assert ConsentLedger.from_dict(led.to_dict()) == led
