"""The demo twin says what it is (review10 #5): its origin names the real patient's
ventricles, and its assumed cuff BP is shown as assumed, never as a measurement."""

from __future__ import annotations

from twinviewer.gui.demo_heart import DEMO_ORIGIN, DEMO_PRESET, demo_assumed_bp
from twinviewer.io.measurement_use import in_force, is_assumed
from twinviewer.personalize.disease import preset_of


def test_demo_origin_is_truthful_and_still_names_the_prior():
    assert "real patient" in DEMO_ORIGIN and "biv-me" in DEMO_ORIGIN
    assert preset_of(DEMO_ORIGIN) == DEMO_PRESET  # the calibration's prior is unchanged


def test_assumed_bp_is_shown_as_assumed(qtbot):
    from twinviewer.gui.metrics_panel import MetricsPanel
    from twinviewer.gui.state import TwinState
    from twinviewer.twins import twin_from_preset

    assert all(is_assumed(m) for m in demo_assumed_bp())
    st = TwinState()
    try:
        twin = twin_from_preset("healthy", n=4)
        twin.measurements.extend(demo_assumed_bp())
        st.session.set_twin(twin)
        panel = MetricsPanel(st)
        qtbot.addWidget(panel)
        panel.refresh()
        assert panel.text_of("SBP")[1].startswith("assumed 120 ± 10")
        assert "measured by assumed" not in panel.sources.text()
        assert set(in_force(twin)) == {"SBP", "DBP"}
    finally:
        st.close()
