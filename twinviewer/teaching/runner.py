"""Running a lesson: a session that applies its steps to a virtual heart and checks every
question's answer against the simulation. The GUI's lesson player and ``twinviewer lessons
check`` both drive it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.interventions.baroreflex import REGULATION_TEXT
from twinviewer.interventions.scenario import apply_scenario, lvef_of
from twinviewer.physiology import Results, simulate
from twinviewer.physiology.ensemble import sample_prior
from twinviewer.physiology.metrics import METRIC_BY_NAME
from twinviewer.teaching.controls import apply_controls
from twinviewer.teaching.grading import findings, values_of
from twinviewer.teaching.hearts import heart
from twinviewer.teaching.lesson import Lesson, LessonError, Question, Step

#: Every change a lesson makes is the model's acute response: no baroreflex acts (the what-if
#: step can run a regulated one). Said beside every result of a change.
RESPONSE = REGULATION_TEXT["acute"]


def metric_label(name: str) -> str:
    """A metric as a student reads it (``'AV_mean_gradient'`` → ``'Aortic valve mean
    gradient'``); a metric only a plugin's model declares keeps its name.

    Examples
    --------
    >>> metric_label("Ees")
    'End-systolic elastance'
    """
    m = METRIC_BY_NAME.get(name)
    return m.label if m is not None else name


@dataclass(frozen=True)
class Outcome:
    """What the simulation says a question's answer is, and whether the key agrees."""

    question: Question
    simulated: str
    key_ok: bool
    detail: str

    @property
    def label(self) -> str:
        """The simulated answer as the student sees it."""
        return self.question.labels.get(self.simulated, self.simulated)


@dataclass
class LessonSession:
    """A lesson being played: the heart, its parameters now, and the results before and after
    the last change.

    Examples
    --------
    >>> from twinviewer.teaching.lesson import parse_lesson
    >>> les = parse_lesson('''
    ... title: ESPVR
    ... steps:
    ...   - load_heart: healthy
    ...   - apply: {intervention: inotrope, settings: {dose: 10}}
    ...   - question: {prompt: "ESPVR?", kind: direction, metric: Ees, answer: increases}
    ... ''')
    >>> s = LessonSession(les)
    >>> s.run_all()[0].simulated
    'increases'
    """

    lesson: Lesson
    index: int = -1
    heart_name: str = ""
    params: np.ndarray | None = None
    base: np.ndarray | None = None
    results: Results | None = None
    previous: Results | None = None
    start: Results | None = None
    outcomes: dict[int, Outcome] = field(default_factory=dict)

    @property
    def model(self):
        return heart(self.heart_name).model

    def _simulate(self) -> None:
        warm = self.results.final_state if (self.results is not None and
                                            self.results.n == self.params.shape[0]) else None
        r = simulate(self.model, self.params, warm_start=warm)
        if not r.ok.any():
            raise LessonError(f"{self._where()}: no member reached a periodic state "
                              f"({(r.errors() or ['unknown'])[0]})")
        self.previous, self.results = self.results, r

    def _where(self) -> str:
        s = self.lesson.steps[self.index]
        where = self.lesson.path.name if self.lesson.path else self.lesson.name
        return f"{where}, line {s.line}"

    def do(self, step: Step) -> Outcome | None:
        """Apply one step; a question step returns its :class:`Outcome`."""
        a = step.args
        if step.action == "load_heart":
            p = heart(a["heart"])
            self.heart_name = p.name
            n = int(a.get("members", 1))
            v = p.vector()
            self.base = (sample_prior(p.model, n, base=v, seed=int(a.get("seed", 0)))
                         if n > 1 else v[None, :].copy())
            self.params = self.base.copy()
            self.results = None
            self._simulate()
            self.previous = None
            self.start = self.results
        elif step.action == "set":
            if "control" in a:
                self.params = apply_controls(self.model, self.params,
                                             {a["control"]: float(a["percent"])})
            else:
                names = list(self.model.parameter_names)
                if a["parameter"] not in names:
                    raise LessonError(f"{self._where()}: the heart's model has no parameter "
                                      f"{a['parameter']!r}")
                i = names.index(a["parameter"])
                self.params = self.params.copy()
                if "value" in a:
                    self.params[:, i] = float(a["value"])
                else:
                    self.params[:, i] *= float(a["factor"])
            self._simulate()
        elif step.action == "apply":
            sc = Scenario(a["intervention"], (InterventionStep(
                a["intervention"], {k: float(x) for k, x in a["settings"].items()}),))
            now = self.results  # the run of self.params: a β-blocker's withdrawal needs its LVEF
            lvef = lvef_of(now) if now is not None and now.n == self.params.shape[0] else None
            self.params = apply_scenario(self.model, self.params, sc,
                                         point=self.params.shape[0] == 1, baseline_lvef=lvef)
            self._simulate()
        elif step.action == "reset":
            self.params = self.base.copy()
            self._simulate()
        elif step.action == "question":
            return self.evaluate(step.question)
        return None

    def step_to(self, index: int) -> Outcome | None:
        """Play steps up to and including ``index`` (replaying from the start if going back:
        before its first ``load_heart`` the lesson has no heart, final15 #7)."""
        if index < self.index:
            self.index, self.results, self.previous, self.start = -1, None, None, None
            self.heart_name, self.params, self.base = "", None, None
        out = None
        while self.index < index:
            self.index += 1
            out = self.do(self.lesson.steps[self.index])
            if out is not None:
                self.outcomes[self.index] = out
        return out

    def run_all(self) -> list[Outcome]:
        """Play every step; the outcomes of the questions, in order."""
        self.step_to(len(self.lesson.steps) - 1)
        return [self.outcomes[i] for i in sorted(self.outcomes)]

    def _stat(self, r: Results, metric: str, statistic: str = "median") -> float:
        if metric not in r.metrics:
            import difflib

            close = difflib.get_close_matches(metric, list(r.metrics), n=3, cutoff=0.4)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise LessonError(f"{self._where()}: unknown metric {metric!r}{hint} (known: "
                              f"{', '.join(sorted(r.metrics))})")
        x = r.metrics[metric][r.ok]
        if statistic == "interval_width":
            if x.size < 2:
                raise LessonError(f"{self._where()}: an interval needs load_heart with "
                                  f"members > 1")
            lo, hi = np.percentile(x, [5, 95])
            return float(hi - lo)
        return float(np.median(x))

    def evaluate(self, q: Question) -> Outcome:
        """Answer ``q`` from the simulation and compare with the lesson's key."""
        r = self.results
        if q.metric:
            self._stat(r, q.metric)  # an unknown metric is named with its line, not a traceback
        unit = r.unit(q.metric) if q.metric else ""
        if q.kind == "direction":
            ref = self.start if q.compare == "start" else self.previous
            if ref is None:
                raise LessonError(f"{self._where()}: a direction question needs a change "
                                  f"before it")
            a, b = self._stat(ref, q.metric), self._stat(r, q.metric)
            if a:
                rel = (b - a) / abs(a) * 100
            else:  # from zero (e.g. no regurgitation): any change is infinitely relative
                rel = 0.0 if b == a else float(np.inf * np.sign(b - a))
            sim = ("unchanged" if abs(rel) <= q.tolerance else
                   "increases" if rel > 0 else "decreases")
            # the verdict beside the number: "+11.6 %; unchanged within ±2 %" read as
            # "unchanged" (review7)
            verdict = (f"within ±{q.tolerance:g} %, so unchanged" if sim == "unchanged" else
                       f"beyond ±{q.tolerance:g} %, so it {sim}")
            detail = (f"{metric_label(q.metric)} {a:.3g} → {b:.3g} {unit} ({rel:+.1f} %: "
                      f"{verdict})")
        elif q.kind == "value":
            x = self._stat(r, q.metric, q.statistic)
            hits = [c[0] for c in q.choices if c[1] <= x < c[2]]
            sim = hits[0] if hits else "none of the choices"
            what = ("5–95 % width of " if q.statistic == "interval_width" else
                    "median " if r.n > 1 else "")
            label = metric_label(q.metric)
            detail = f"{what}{label if what else label[0].upper() + label[1:]} = {x:.3g} {unit}"
        else:
            names = list(self.model.parameter_names)
            med = {k: float(np.median(v[r.ok])) for k, v in r.metrics.items()}
            pv = dict(zip(names, np.median(self.params, axis=0), strict=True))
            f = next(f for f in findings(values_of(med, pv)) if f.diagnosis == q.diagnosis)
            sim = f.severity
            detail = f"{q.diagnosis}: {f.severity} — " + "; ".join(f.evidence)
        if r is not self.start:  # the result of a change: say that no reflex acted
            detail += f" [{RESPONSE}]"
        return Outcome(q, sim, sim == q.answer, detail)


def check_lesson(lesson: Lesson) -> list[Outcome]:
    """Run ``lesson`` headless; the outcome of every question (``key_ok`` False where the
    lesson's answer key disagrees with the simulation)."""
    return LessonSession(lesson).run_all()
