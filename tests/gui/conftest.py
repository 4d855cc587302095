"""GUI fixtures: a demo-heart main window with predictions, closed after the module."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from twinviewer.testing import plugin_config, plugin_registry  # noqa: F401 - plugin panels


@pytest.fixture(autouse=True)
def no_blocking_prompts(monkeypatch):
    """A test that does not answer the unsaved-changes prompt discards (never blocks).

    Tests of the prompt itself patch ``QMessageBox.question`` with their own answer."""
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)


@pytest.fixture(autouse=True)
def no_blocking_disk_prompt(monkeypatch):
    """A test that writes a twin's file behind its window and does not answer the
    "changed on disk" question overwrites, as a Save did before it was asked (never blocks).

    Tests of the question patch ``ask_changed_on_disk`` with their own answer."""
    from twinviewer.gui import twin_file_actions

    monkeypatch.setattr(twin_file_actions, "ask_changed_on_disk", lambda *a, **k: "overwrite")


@pytest.fixture(scope="session")
def gui_cache(tmp_path_factory: pytest.TempPathFactory):
    """The demo heart's image cache: the app's own (built on first use, ~10 s), or a
    private one per session when TWINVIEWER_TEST_PRIVATE_CACHE is set."""
    import os

    from twinviewer.gui.demo_heart import cache_dir

    if os.environ.get("TWINVIEWER_TEST_PRIVATE_CACHE"):
        return tmp_path_factory.mktemp("twinviewer_cache")
    return cache_dir()


@pytest.fixture()
def temp_settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def window_at_1280(qapp, tmp_path_factory, preset: str, pseudonym: str):
    """Generator for a module fixture: one MainWindow at 1280×720 (the smallest supported
    screen) on a ``preset`` twin with its predictions, with its own data folder; closed and
    the environment restored at teardown."""
    import os

    from twinviewer.gui.main_window import MainWindow
    from twinviewer.twins import simulate_twin, twin_from_preset

    tmp = tmp_path_factory.mktemp(preset)
    old = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp / "data")
    qs = QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=qs, load_demo=False)
    twin = twin_from_preset(preset, n=8, pseudonym=pseudonym)
    w.show_twin(twin, results=simulate_twin(twin))
    w.resize(1280, 720)
    w.show()
    qapp.processEvents()
    w._default_sizes()
    qapp.processEvents()
    yield w
    w.state.session.dirty = False
    w.state.cancel_all()
    w.state.wait_for_jobs(10_000)
    w.close()
    if old is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = old


def wait_jobs(qtbot, state, timeout: int = 120_000) -> None:
    qtbot.waitUntil(lambda: not state.jobs, timeout=timeout)


@pytest.fixture
def make_scenario_panel(qtbot):
    """Factory: ``make_scenario_panel(preset="hfref", n=8, with_results=True)`` → ``(state,
    panel)``: a What-if panel on its own :class:`~twinviewer.gui.state.TwinState` holding
    the preset's twin (seed 2) and, with ``with_results``, its simulated ensemble; every
    state is closed at teardown."""
    from twinviewer.gui.scenario_panel import ScenarioPanel
    from twinviewer.gui.state import TwinState
    from twinviewer.physiology import simulate
    from twinviewer.twins import model_of, twin_from_preset

    states = []

    def make(preset: str = "hfref", n: int = 8, with_results: bool = True):
        state = TwinState()
        states.append(state)
        twin = twin_from_preset(preset, n=n, seed=2)
        state.session.set_twin(twin)
        if with_results:
            state.session.set_results(simulate(model_of(twin), twin.ensemble))
        panel = ScenarioPanel(state)
        qtbot.addWidget(panel)
        return state, panel

    yield make
    for s in states:
        s.close()


@pytest.fixture()
def make_twin_window(qtbot, tmp_path, monkeypatch, gui_cache):
    """Factory: ``make_twin_window(load_demo=True)`` → a shown MainWindow (demo heart and
    predictions loaded when ``load_demo``); every window is closed at teardown."""
    from twinviewer.gui import demo_heart
    from twinviewer.gui.main_window import MainWindow

    monkeypatch.setattr(demo_heart, "cache_dir", lambda: gui_cache)  # noqa: B023
    made = []

    def make(load_demo: bool = True) -> MainWindow:
        qs = QSettings(str(tmp_path / f"settings{len(made)}.ini"), QSettings.Format.IniFormat)
        w = MainWindow(settings=qs, load_demo=False)
        w.resize(1400, 900)
        qtbot.addWidget(w)
        w.show()
        made.append(w)
        if load_demo:
            w.load_demo()
            qtbot.waitUntil(lambda: not w.state.jobs and (w.state.results is not None
                                                           or w.last_error is not None),
                            timeout=180_000)
            assert w.state.results is not None, f"demo heart failed: {w.last_error}"
        return w

    yield make
    for w in made:
        w.state.cancel_all()
        w.state.wait_for_jobs(10_000)
        w.close()


@pytest.fixture(scope="module")
def shared_demo_window(qapp, gui_cache, tmp_path_factory):
    """One demo-heart main window with predictions for a whole test module (loading it costs
    about 3 s of CPU). For tests that look, step time, run jobs or refuse bad input; a test
    that opens another heart or twin uses ``make_twin_window``. See ``demo_window``."""
    import time

    from PySide6.QtWidgets import QMessageBox

    from twinviewer.gui import demo_heart
    from twinviewer.gui.main_window import MainWindow

    patch = pytest.MonkeyPatch()
    patch.setattr(demo_heart, "cache_dir", lambda: gui_cache)
    qs = QSettings(str(tmp_path_factory.mktemp("shared_window") / "settings.ini"),
                   QSettings.Format.IniFormat)
    w = MainWindow(settings=qs, load_demo=False)
    w.resize(1400, 900)
    w.show()
    w.load_demo()
    deadline = time.monotonic() + 180
    while (w.state.jobs or (w.state.results is None and w.last_error is None)) \
            and time.monotonic() < deadline:
        qapp.processEvents()
        time.sleep(0.01)
    assert w.state.results is not None, f"demo heart failed: {w.last_error}"
    yield w
    w.state.cancel_all()
    w.state.wait_for_jobs(10_000)
    patch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    w.close()
    w.deleteLater()
    qapp.processEvents()
    patch.undo()


@pytest.fixture()
def demo_window(shared_demo_window, qtbot):
    """The module's shared demo window, with no error left from the previous test and no job
    running; the twin and its predictions must be the demo's (a test that replaces them uses
    ``make_twin_window``)."""
    w = shared_demo_window
    wait_jobs(qtbot, w.state)
    w.last_error = None
    w.state.session.set_time(0.0)
    twin, results = w.state.twin, w.state.results
    yield w
    wait_jobs(qtbot, w.state)
    assert w.state.twin is twin and w.state.results is results, \
        "a test on the shared demo window replaced its twin: use make_twin_window"


@pytest.fixture
def env(qtbot, tmp_path, monkeypatch):
    """A twin state in a bare window, its messages collected (the save tests' set-up):
    ``(state, window, messages)``."""
    from PySide6.QtWidgets import QWidget

    from twinviewer.gui.state import TwinState

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    state = TwinState()
    window = QWidget()
    window.state = state
    qtbot.addWidget(window)
    messages: list[tuple[str, str]] = []
    state.message.connect(lambda level, text: messages.append((level, text)))
    yield state, window, messages
    state.close()


@pytest.fixture
def saved_healthy_window(qtbot, tmp_path, monkeypatch):
    """A bare MainWindow showing an 8-member healthy twin ("virtual-7") with its predictions,
    saved as ``tmp_path / "case.twin"`` (so nothing is unsaved at the start)."""
    from twinviewer.gui.main_window import MainWindow
    from twinviewer.twins import simulate_twin, twin_from_preset

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    w = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                   load_demo=False)
    qtbot.addWidget(w)
    twin = twin_from_preset("healthy", n=8, pseudonym="virtual-7")
    w.show_twin(twin, results=simulate_twin(twin))
    w.state.session.save(tmp_path / "case.twin")
    yield w
    w.state.session.dirty = False  # no prompt on teardown
    w.close()


def write_overlay_plugin(folder, module: str, name: str, attr: str, body: str) -> None:
    """Write an overlay plug-in ``folder`` (created) whose module ``module`` holds ``body``
    (after the imports every overlay needs) and names ``module:attr`` as overlay ``name``."""
    import textwrap

    folder.mkdir()
    (folder / f"{module}.py").write_text(
        "import time\nimport numpy as np\nfrom twinviewer.plugins.outputs import Overlay\n"
        + textwrap.dedent(body))
    (folder / "twinviewer.toml").write_text(
        f'name = "{folder.name}"\nversion = "0.1"\napi_version = 1\n\n'
        f'[[contributions.overlays]]\nname = "{name}"\nref = "{module}:{attr}"\n')


def reopened_metrics_panel(qtbot, path):
    """The metrics panel of the twin saved at ``path``, opened as MainWindow.simulate opens a
    file (the loops re-run, the stored metrics kept); returns (loaded document, panel)."""
    from twinviewer.document import Document
    from twinviewer.gui.metrics_panel import MetricsPanel
    from twinviewer.gui.state import TwinState
    from twinviewer.io.twinfile import load_twin
    from twinviewer.twins import simulate_twin, with_stored_metrics

    doc = load_twin(path)
    session = Document()
    session.open_twin(doc.twin, results=with_stored_metrics(simulate_twin(doc.twin),
                                                            doc.results["baseline"]))
    panel = MetricsPanel(TwinState(session))
    qtbot.addWidget(panel)
    return doc, panel

