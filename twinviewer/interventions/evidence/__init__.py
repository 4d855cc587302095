"""Evidence rows, one JSON file per intervention (read by
:mod:`twinviewer.interventions.evidence_table`)."""
