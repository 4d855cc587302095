"""The report's PV-loop key is drawn below the loops, outside their axes, with long scenario
names wrapped (review14b #8: the 7-line legend sat inside both panels on top of the band and
the scenario loops; the dobutamine loops' tops ran through its text)."""

from __future__ import annotations

from matplotlib.backends.backend_pdf import PdfPages

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.io.audit import AuditLog
from twinviewer.io.twinfile import TwinDocument
from twinviewer.physiology import simulate
from twinviewer.report import pdf
from twinviewer.twins import simulate_twin, twin_from_preset


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_pv_key_below_the_loops_never_over_them(tmp_path):
    twin = twin_from_preset("hfref", n=4)
    results = simulate_twin(twin)
    scenarios, scenario_results = [], {}
    for k, (name, scale) in enumerate([("HR", 1.25), ("HR", 0.85), ("SYS.R_AR", 0.7),
                                       ("SYS.R_AR", 1.3), ("LV.EA", 1.6), ("LV.EA", 0.8)]):
        # long names a user gives (wrapped in the key, never cut)
        title = f"plan {k}: {name} × {scale} for a long stay on the ward, then reassessed"
        scenarios.append(Scenario(title, (InterventionStep("pacing", {"rate": 80.0}),)))
        params = results.params.copy()
        params[:, results.model.index(name)] *= scale
        scenario_results[title] = simulate(results.model, params)
    twin.scenarios = scenarios
    doc = TwinDocument(twin, AuditLog(), [], results={})
    pages = []

    class Kept(pdf._Pages):  # every page's figure kept to look at
        def finish(self) -> None:
            if self.fig is not None:
                pages.append(self.fig)
            super().finish()

    with PdfPages(tmp_path / "pv.pdf") as out:
        p = Kept(out, "test", identifiable=False)
        pdf._pv_page(p, doc, results, scenario_results)
        p.finish()
        fig = pages[0]  # the loops' page (the metrics table may go on to the next)
        axes = [ax for ax in fig.axes if ax.axison]
        assert len(axes) == 2
        assert all(ax.get_legend() is None for ax in axes)  # no key inside a panel
        assert len(fig.legends) == 1
        key = fig.legends[0]
        box = key.get_window_extent()
        for ax in axes:
            assert not _overlap(box, ax.get_window_extent()), (box, ax.get_window_extent())
            # below the panel's tick labels and axis title too
            assert box.y1 <= ax.get_tightbbox().y0 + 0.5
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width  # on the page
        texts = [t.get_text() for t in key.get_texts()]
        assert len(texts) == 2 + len(scenario_results)
        for shown, title in zip(texts[2:], scenario_results, strict=True):
            assert shown.replace("\n", " ").startswith(title)  # whole, only wrapped
            assert max(len(line) for line in shown.split("\n")) <= pdf.PV_LEGEND_CHARS
            assert "\n" in shown
        # what follows starts below the key (on this page or the next)
        below = [t for t in fig.texts if t.get_text().startswith("Metrics:")]
        assert not below or below[0].get_window_extent().y1 <= box.y0
