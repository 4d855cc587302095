"""The demo heart's anatomy failing in ``load_demo`` (bundle11: a bundle without
``meshes/bivme_patient1`` waited for the demo for ever, with no word): the user is told what
failed, the twin and its predictions are shown without the heart, and the app keeps running."""

from __future__ import annotations

import pytest

MISSING = "meshes/bivme_patient1 is missing from this installation"


@pytest.fixture
def anatomy_fails(monkeypatch):
    from twinviewer.gui import demo_heart

    def fail(*_a, **_k):
        raise FileNotFoundError(MISSING)

    monkeypatch.setattr(demo_heart, "demo_anatomy", fail)


def _loaded(w, qtbot) -> None:
    w.load_demo()
    qtbot.waitUntil(lambda: not w.state.jobs and w.state.results is not None, timeout=240_000)


def test_the_stored_demo_twin_is_shown_without_its_anatomy_and_said_so(
        make_twin_window, qtbot, anatomy_fails, monkeypatch):
    from twinviewer.gui import demo_heart
    from twinviewer.twins import twin_from_preset

    # a stored twin without stored results (simulated, not stored: the app's cache is real)
    stored = twin_from_preset("healthy", n=16, pseudonym=demo_heart.DEMO_PSEUDONYM)
    monkeypatch.setattr(demo_heart, "load_demo_twin", lambda cache=None: stored)
    monkeypatch.setattr(demo_heart, "load_stored_results", lambda twin, cache=None: None)
    monkeypatch.setattr(demo_heart, "store_results", lambda twin, results, cache=None: None)
    w = make_twin_window(load_demo=False)
    _loaded(w, qtbot)
    assert w.last_error is not None
    assert w.last_error.startswith("The demo heart's anatomy could not be loaded "
                                   f"(FileNotFoundError: {MISSING})")
    assert "The demo twin and its predictions are shown without them" in w.last_error
    twin = w.state.twin
    assert twin is not None and twin.anatomy is None
    assert twin.pseudonym == stored.pseudonym and (twin.ensemble == stored.ensemble).all()
    pred, _ = w.panels["Metrics"].text_of("LVEF")
    assert pred[0].isdigit()  # a prediction with its interval, not "waiting…"
    w.show_step("What-if")  # the app keeps running
    assert w.state.twin is twin


def test_without_anatomy_nor_a_stored_twin_the_preset_is_simulated_and_said_so(
        make_twin_window, qtbot, anatomy_fails, monkeypatch):
    from twinviewer.gui import demo_heart

    monkeypatch.setattr(demo_heart, "load_demo_twin", lambda cache=None: None)
    w = make_twin_window(load_demo=False)
    _loaded(w, qtbot)
    assert "cannot be calibrated without the heart's volume curves: the uncalibrated " \
           "'healthy' virtual patient (200 members) is simulated and shown instead" \
           in w.last_error
    assert w.state.twin.anatomy is None and w.state.twin.ensemble_kind == "prior"
    assert w.state.results.ok.sum() > 100
