"""Units as people write them on the calibration's user-visible text: the fit table, the
misfit message and the provenance the report prints say "cm²", never "cm^2" (review8 #10)."""

from __future__ import annotations

from twinviewer.core.measurement import Measurement
from twinviewer.personalize.calibrate import calibrate, format_report, updated_twin
from twinviewer.twins import twin_from_preset


def test_fit_table_and_provenance_write_cm2():
    twin = twin_from_preset("severe_as", n=16, seed=1)
    ms = [Measurement("AVA", 0.7, "cm^2", 0.1, "echo continuity"),
          Measurement("SBP", 140.0, "mmHg", 7.0, "cuff")]
    result = calibrate(twin, ms, n=16, seed=1)
    table = format_report(result)
    assert "cm²" in table and "cm^2" not in table
    new = updated_twin(twin, result, accept_misfit=True)
    said = " ".join(p.detail for p in new.provenance.values())
    assert "AVA = 0.7 ± 0.1 cm²" in said and "cm^2" not in said
