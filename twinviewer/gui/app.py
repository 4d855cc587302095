"""Entry points of the GUI: :func:`run_gui` and :func:`run_screenshot` (wired by ``cli.py``)."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication


def _app(argv: list[str] | None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
        app.setApplicationName("TwinViewer")
        app.setOrganizationName("twinviewer")
        from twinviewer.gui.file_dialogs import forget_history

        forget_history()  # folders browsed by a session that crashed (Qt keeps them)
        install_stall_trace(app)
    return app


#: The stall recorder's heartbeat interval (ms), when ``TWINVIEWER_STALL_TRACE`` is set.
STALL_TRACE_BEAT_MS = 10


def install_stall_trace(app: QApplication):
    """Start the stall recorder (:mod:`twinviewer.core.stall_trace`) when
    ``TWINVIEWER_STALL_TRACE`` names a file: a 10 ms timer on this (the GUI) thread beats
    its heartbeat. Returns the tracer, or None (unset: nothing runs).
    """
    from twinviewer.core import stall_trace

    tracer = stall_trace.from_env()
    if tracer is None:
        return None
    beat = QTimer(app)
    beat.setInterval(STALL_TRACE_BEAT_MS)
    beat.timeout.connect(tracer.beat)
    beat.start()
    app.aboutToQuit.connect(tracer.stop)
    app._stall_trace = (tracer, beat)  # kept with the application
    return tracer


def _open_twin(window, twin_path: str) -> None:
    """Open a ``.twin`` file through the twin-file actions, if that module is installed."""
    try:
        from twinviewer.gui import twin_file_actions
        opener = twin_file_actions.open_twin
    except (ImportError, AttributeError):
        window.state.error(f"{Path(twin_path).name}: opening .twin files is not available in "
                           f"this build; showing the demo heart")
        window.load_demo()
        return
    opener(window, window.state, twin_path)


def run_gui(argv: list[str] | None = None, twin_path: str | None = None,
            dicom_path: str | None = None, distributed=None) -> int:
    """Start the GUI: on ``dicom_path`` (a study folder), ``twin_path`` or the demo heart.

    ``distributed``: the cohort layer's background studies (see ``TwinState.distributed``).

    Returns the Qt event loop's exit code.
    """
    from twinviewer.gui.main_window import MainWindow
    from twinviewer.io.logs import configure_logging, log_uncaught_exceptions

    app = _app(argv)
    configure_logging()  # rotating log in the platform log folder, identifiers redacted
    log_uncaught_exceptions()  # a crash's (or a slot's) traceback goes to that log too
    window = MainWindow(load_demo=twin_path is None and dicom_path is None)
    window.state.distributed = distributed
    window.show()
    from twinviewer.gui import twin_file_actions

    window.autosave = twin_file_actions.AutosaveController(window.state, parent=window)
    QTimer.singleShot(0, lambda: twin_file_actions.offer_recovery(window, window.state))
    if dicom_path is not None:
        QTimer.singleShot(0, lambda: window.open_dicom_folder(dicom_path))
    elif twin_path is not None:
        QTimer.singleShot(0, lambda: _open_twin(window, twin_path))
    return int(app.exec())


def wait_for_predictions(app: QApplication, window, timeout_s: float = 180.0) -> bool:
    """Process events until the window shows predictions (or fails / times out); background
    jobs (``job.background``: readying the model after the first paint) are not waited for."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        app.processEvents()
        busy = [j for j in window.state.jobs if not j.background]
        if window.state.results is not None and not busy:
            return True
        if window.last_error and not busy:
            return False
        time.sleep(0.01)
    return False


def grab_window(window, path: str) -> bool:
    """Save the window as PNG, including the OpenGL 3D view (grabbed from the screen)."""
    app = QApplication.instance()
    window.view3d.plotter.render()
    app.processEvents()
    screen = window.screen() or app.primaryScreen()
    pix = screen.grabWindow(window.winId())
    if pix.isNull() or pix.width() < 10:
        pix = window.grab()
    return pix.save(path)


def run_screenshot(output: str, width: int = 1600, height: int = 1000, *,
                   time_fraction: float = 0.18, overlay: str = "pressure") -> int:
    """Start the main window on the demo heart, wait for its predictions, save a PNG.

    Parameters
    ----------
    output : str
        PNG path.
    width, height : int
        Window size in pixels.
    time_fraction : float, default: 0.18
        Point of the beat shown (0.18: ejection).
    overlay : str, default: 'pressure'
        3D overlay (see :data:`twinviewer.gui.view3d.OVERLAYS`).

    Returns
    -------
    int
        0 on success, 1 if predictions did not arrive or the image could not be written.
    """
    from twinviewer.gui.main_window import MainWindow

    app = _app(None)
    with tempfile.TemporaryDirectory() as tmp:  # fresh layout, user's settings untouched
        qs = QSettings(str(Path(tmp) / "screenshot.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=qs)
        window.resize(width, height)
        window.show()
        ok = wait_for_predictions(app, window)
        if not ok:
            print(f"screenshot: predictions did not arrive ({window.last_error})",
                  file=sys.stderr)
            window.close()
            return 1
        window.view3d.set_overlay(overlay)
        window.view3d.set_clipping(True, widget=False)  # four-chamber cut: chambers open
        window.view3d.set_view("four_chamber")
        window.state.session.set_time(time_fraction)
        for _ in range(10):
            app.processEvents()
            time.sleep(0.02)
        saved = grab_window(window, output)
        window.close()
        app.processEvents()
    return 0 if saved else 1


def write_doc_screenshots(folder: str, width: int = 1600, height: int = 1000) -> list[str]:
    """Regenerate ``docs/screenshots``: main window, 3D overlays, plots (demo heart).

    ``python -c "from twinviewer.gui.app import write_doc_screenshots as w;
    w('docs/screenshots')"`` under ``xvfb-run -a``.
    """
    from twinviewer.gui.main_window import MainWindow

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    app = _app(None)
    written: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        qs = QSettings(str(Path(tmp) / "shots.ini"), QSettings.Format.IniFormat)
        w = MainWindow(settings=qs)
        w.resize(width, height)
        w.show()
        if not wait_for_predictions(app, w):
            raise RuntimeError(f"predictions did not arrive: {w.last_error}")
        v = w.view3d

        def settle() -> None:
            for _ in range(10):
                app.processEvents()
                time.sleep(0.02)
            v.plotter.render()

        def shot(name: str, what) -> None:
            settle()
            path = str(out / name)
            if what is None:
                grab_window(w, path)
            elif what == "3d":
                v.screenshot(path)
            else:
                what.grab().save(path)
            written.append(path)

        v.set_overlay("pressure")
        v.set_clipping(True, widget=False)
        v.set_view("four_chamber")
        w.state.session.set_time(0.18)
        shot("main_window_demo_heart.png", None)
        v.set_overlay("stress")
        w.state.session.set_time(0.12)
        shot("overlay_wall_stress_4ch_cut.png", "3d")
        v.set_percentile("high")
        shot("overlay_wall_stress_95th_percentile.png", "3d")
        v.set_percentile("median")
        v.set_overlay("volume")
        v.set_view("short_axis")
        shot("overlay_chamber_volume_short_axis.png", "3d")
        v.set_clipping(False)
        v.set_overlay("uncertainty")
        v.set_envelope(True)
        v.set_view("reset")
        shot("overlay_boundary_uncertainty_envelope.png", "3d")
        v.set_envelope(False)
        # the workflow: scenarios overlaid on the main plots, the report step
        from twinviewer.core.twin import InterventionStep, Scenario

        doc = w.state.session
        for sc in (Scenario("TAVI 26 mm", (InterventionStep("tavi_sapien3", {"size": 26.0}),)),
                   Scenario("beta-blocker 5 mg",
                            (InterventionStep("beta_blocker", {"dose": 5.0}),))):
            try:
                doc.add_scenario(sc)
            except ValueError:
                continue
        w.show_step("What-if")
        if "What-if scenarios" in w.panels:
            w.panels["What-if scenarios"].run_all()
            t0 = time.perf_counter()
            while w.state.jobs and time.perf_counter() - t0 < 300:
                app.processEvents()
                time.sleep(0.02)
        v.set_overlay("pressure")
        v.set_clipping(True, widget=False)
        v.set_view("four_chamber")
        w.state.session.set_time(0.18)
        shot("workflow_whatif_scenarios_overlaid.png", None)
        w.show_step("Report")
        shot("workflow_report_step.png", None)
        w.resize(1280, 720)
        w._default_sizes()
        w.show_step("Patient & images")
        shot("main_window_1280x720.png", None)
        doc.dirty = False  # screenshots only: nothing to save
        for title, name in (("PV loops", "plots_pv_loops.png"),
                            ("Wiggers diagram", "plots_wiggers.png"),
                            ("Metrics", "metrics_table.png")):
            if title in w.panels:
                if hasattr(w.panels[title], "ensure_built"):  # a tab not shown yet
                    w.panels[title].ensure_built()
                shot(name, w.panels[title])
        shot("slices_with_contours.png", w.slices)
        w.close()
        app.processEvents()
    return written
