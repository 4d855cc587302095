"""The report's timeline page: visits (day offsets), prediction-check flags with the size of
each surprise, the no-flag caveat, consent withdrawals and superseded model results."""

from __future__ import annotations

from twinviewer.core.twin import Twin

CAVEAT = ("No flag does not mean all is well: only the measured quantities are checked, and a "
          "wide predictive interval can hide a real change.")


def timeline_page(p, twin: Twin) -> None:
    """Add the timeline page to report pages ``p`` (nothing if the twin has no visits)."""
    if not twin.visits:
        return
    p.new_page("Timeline (living twin)")
    p.para(f"{len(twin.visits)} visit(s) on days {', '.join(str(v.day) for v in twin.visits)} "
           "(days since the first visit); each visit's calibration started from the previous "
           "posterior.", size=9)
    rows = []
    for v in twin.visits:
        for f in v.flags:
            rows.append([str(v.day), f["name"], f"{f['measured']:.3g} {f['unit']}",
                         f"{f['median']:.3g} ({f['lo']:.3g}–{f['hi']:.3g})",
                         f"{f['surprise']:+.3g} {f['unit']}", f"{f['z']:+.1f}",
                         "FLAG" if f["outside"] else ""])
    if rows:
        p.subheading("Prediction check before each update (90 % predictive interval)")
        p.table(["Day", "Quantity", "Measured", "Predicted before", "Surprise", "z", ""], rows,
                [0.07, 0.16, 0.16, 0.25, 0.16, 0.08, 0.08], size=7.5)
    p.para(CAVEAT, size=8.5, color="#7a3e00")
    for w in twin.ledger.withdrawals:
        p.para(f"Consent withdrawn: {w.source} — {w.n_items} item(s) ({', '.join(w.names)}) "
               "removed and the twin re-calibrated from the remaining data.", size=8.5)
    for s in twin.timeline.get("superseded", []):
        p.para(f"Earlier model kept for comparison: {s['model']} ({s['change']}).", size=8.5)
