"""Lessons as data: the schema and a loader whose every error names the file and line.

A lesson is a YAML (or JSON: YAML's subset) file with a ``title``, an optional ``summary`` and
a list of ``steps``. Each step holds one action and may carry ``text`` to show:

* ``load_heart: NAME`` or ``load_heart: {heart: NAME, members: N, seed: S}``
* ``set: {control: preload|afterload|contractility|heart_rate|compliance, percent: X}`` or
  ``set: {parameter: LV.EA, value: X}`` / ``{parameter: LV.EA, factor: F}``
* ``apply: {intervention: NAME, settings: {...}}``
* ``reset: true`` — back to the heart as loaded
* ``highlight: {plot: pv_loop|wiggers, region: REGION}`` or ``highlight: {structure: NAME}``
* ``question: {...}`` — see :class:`Question`
* nothing but ``text`` — a text slide

The format for educators is in ``docs/lessons.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACTIONS = ("load_heart", "set", "apply", "reset", "highlight", "question")
REGIONS = {
    "pv_loop": ("filling", "isovolumic_contraction", "ejection", "isovolumic_relaxation",
                "espvr", "edpvr", "stroke_volume"),
    "wiggers": ("systole", "diastole", "isovolumic_contraction", "ejection",
                "isovolumic_relaxation", "filling", "atrial_kick"),
}
#: Structures a highlight may name → the anatomy's structures (imaging vocabulary) shown
#: for it; valves are not meshed, so a valve highlights the structures on either side.
STRUCTURES: dict[str, tuple[str, ...]] = {
    "lv_blood": ("lv_blood",), "lv_myocardium": ("lv_myocardium",), "lv": ("lv_blood",
    "lv_myocardium"), "rv_blood": ("rv_blood",), "la": ("la",), "ra": ("ra",),
    "aorta": ("aorta",), "pulmonary_artery": ("pulmonary_artery",),
    "aortic_valve": ("aorta", "lv_blood"), "mitral_valve": ("la", "lv_blood"),
}
QUESTION_KINDS = ("direction", "value", "grade")
DIRECTIONS = ("increases", "decreases", "unchanged")
STATISTICS = ("median", "interval_width")
#: Lessons shipped with the application.
LESSON_DIR = Path(__file__).resolve().parents[2] / "assets" / "lessons"


class LessonError(ValueError):
    """A malformed lesson; the message names the file and the line."""


class _Map(dict):
    line: int = 0


class _List(list):
    line: int = 0


class _Loader(yaml.SafeLoader):
    """A safe YAML loader that remembers the line (1-based) of every mapping and list."""


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    m = _Map(loader.construct_mapping(node, deep=True))
    m.line = node.start_mark.line + 1
    m.key_lines = {k.value: k.start_mark.line + 1 for k, _ in node.value
                   if isinstance(k, yaml.ScalarNode)}
    return m


def _construct_list(loader: _Loader, node: yaml.SequenceNode) -> _List:
    s = _List(loader.construct_sequence(node, deep=True))
    s.line = node.start_mark.line + 1
    s.item_lines = [n.start_mark.line + 1 for n in node.value]
    return s


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_list)


@dataclass(frozen=True)
class Question:
    """A question whose answer the app checks against the simulation.

    ``kind``:

    * ``direction`` — how ``metric`` moved since the ``previous`` state (before the last
      change) or the ``start`` (the heart as loaded); ``answer`` is increases / decreases /
      unchanged (within ``tolerance`` percent); ``labels`` may rename the three choices
      (e.g. steeper / flatter / unchanged for the ESPVR).
    * ``value`` — which of ``choices`` (each ``{label, range: [lo, hi]}``) holds the
      ``statistic`` (``median`` or ``interval_width``, the 5–95 % width) of ``metric`` now.
    * ``grade`` — the severity (none / mild / moderate / severe) of ``diagnosis`` now.
    """

    prompt: str
    kind: str
    answer: str
    metric: str = ""
    compare: str = "previous"
    tolerance: float = 2.0
    labels: dict[str, str] = field(default_factory=dict)
    choices: tuple[tuple[str, float, float], ...] = ()
    statistic: str = "median"
    diagnosis: str = ""
    explain: str = ""
    line: int = 0

    def options(self) -> list[str]:
        """The choices shown to the student."""
        if self.kind == "direction":
            return [self.labels.get(d, d) for d in DIRECTIONS]
        if self.kind == "value":
            return [c[0] for c in self.choices]
        from twinviewer.teaching.grading import SEVERITIES

        return list(SEVERITIES)


@dataclass(frozen=True)
class Step:
    """One lesson step: an action (or none, for a text slide) and its text."""

    action: str
    args: dict[str, Any]
    text: str = ""
    line: int = 0
    question: Question | None = None


@dataclass(frozen=True)
class Lesson:
    """A lesson: title, summary and steps, from ``path``."""

    name: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    path: Path | None = None

    @property
    def questions(self) -> list[Question]:
        return [s.question for s in self.steps if s.question is not None]


def _fail(path: Path | str, line: int, problem: str) -> LessonError:
    return LessonError(f"{Path(path).name}, line {line}: {problem}")


def _require(d: _Map, key: str, kind: type | tuple, path, what: str) -> Any:
    if key not in d:
        raise _fail(path, d.line, f"{what} needs '{key}'")
    v = d[key]
    if not isinstance(v, kind) or isinstance(v, bool) and kind is not bool:
        line = getattr(d, "key_lines", {}).get(key, d.line)
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise _fail(path, line, f"'{key}' of {what} must be {names}, not {v!r}")
    return v


def _number(d: _Map, key: str, path, what: str) -> float:
    return float(_require(d, key, (int, float), path, what))


def _question(q: Any, path, line: int) -> Question:
    if not isinstance(q, dict):
        raise _fail(path, line, "a question is a mapping with prompt, kind and answer")
    what = "the question"
    prompt = _require(q, "prompt", str, path, what)
    kind = _require(q, "kind", str, path, what)
    kl = q.key_lines
    if kind not in QUESTION_KINDS:
        raise _fail(path, kl["kind"], f"question kind {kind!r} is not one of "
                    f"{', '.join(QUESTION_KINDS)}")
    answer = str(_require(q, "answer", (str, int, float), path, what))
    common = {"prompt": prompt, "kind": kind, "answer": answer,
              "explain": str(q.get("explain", "")), "line": q.line}
    if kind == "direction":
        metric = _require(q, "metric", str, path, what)
        compare = q.get("compare", "previous")
        if compare not in ("previous", "start"):
            raise _fail(path, kl["compare"], f"compare must be previous or start, not "
                        f"{compare!r}")
        if answer not in DIRECTIONS:
            raise _fail(path, kl["answer"], f"a direction answer is one of "
                        f"{', '.join(DIRECTIONS)}, not {answer!r}")
        labels = q.get("labels", {})
        if not isinstance(labels, dict) or set(labels) - set(DIRECTIONS):
            raise _fail(path, kl.get("labels", q.line), f"labels map "
                        f"{', '.join(DIRECTIONS)} to the words shown")
        tol = float(q.get("tolerance", 2.0))
        return Question(metric=metric, compare=compare, labels={k: str(v) for k, v in
                        labels.items()}, tolerance=tol, **common)
    if kind == "value":
        metric = _require(q, "metric", str, path, what)
        stat = q.get("statistic", "median")
        if stat not in STATISTICS:
            raise _fail(path, kl["statistic"], f"statistic must be one of "
                        f"{', '.join(STATISTICS)}, not {stat!r}")
        raw = _require(q, "choices", list, path, what)
        choices = []
        for c, cl in zip(raw, raw.item_lines, strict=True):
            if not isinstance(c, dict):
                raise _fail(path, cl, "each choice is {label: ..., range: [low, high]}")
            label = str(_require(c, "label", (str, int, float), path, "a choice"))
            rng = _require(c, "range", list, path, "a choice")
            if len(rng) != 2 or not all(isinstance(x, (int, float)) for x in rng) \
                    or rng[0] >= rng[1]:
                raise _fail(path, c.key_lines["range"], f"range of choice {label!r} must be "
                            f"[low, high] with low < high, not {list(rng)}")
            choices.append((label, float(rng[0]), float(rng[1])))
        if answer not in [c[0] for c in choices]:
            raise _fail(path, kl["answer"], f"answer {answer!r} is not one of the choices")
        return Question(metric=metric, statistic=stat, choices=tuple(choices), **common)
    from twinviewer.teaching.grading import DIAGNOSES, SEVERITIES

    diagnosis = _require(q, "diagnosis", str, path, what)
    if diagnosis not in DIAGNOSES[1:]:
        raise _fail(path, kl["diagnosis"], f"diagnosis {diagnosis!r} is not one of "
                    f"{', '.join(DIAGNOSES[1:])}")
    if answer not in SEVERITIES:
        raise _fail(path, kl["answer"], f"a grade answer is one of {', '.join(SEVERITIES)}")
    return Question(diagnosis=diagnosis, **common)


def _step(s: Any, path, line: int) -> Step:
    if not isinstance(s, dict):
        raise _fail(path, line, "a step is a mapping (e.g. 'text: ...' or 'load_heart: ...')")
    unknown = set(s) - set(ACTIONS) - {"text"}
    if unknown:
        key = sorted(unknown)[0]
        raise _fail(path, s.key_lines.get(key, s.line), f"unknown step key {key!r}; a step "
                    f"has text and at most one of: {', '.join(ACTIONS)}")
    acts = [a for a in ACTIONS if a in s]
    if len(acts) > 1:
        raise _fail(path, s.line, f"a step does one thing; this one has {', '.join(acts)}")
    text = s.get("text", "")
    if not isinstance(text, str):
        raise _fail(path, s.key_lines["text"], "text must be a string")
    if not acts:
        if not text:
            raise _fail(path, s.line, "an empty step")
        return Step("text", {}, text, s.line)
    act = acts[0]
    v = s[act]
    vline = s.key_lines[act]
    if act == "load_heart":
        from twinviewer.teaching.hearts import HeartError, heart

        args = {"heart": v} if isinstance(v, str) else dict(v) if isinstance(v, dict) else None
        if args is None or not isinstance(args.get("heart"), str):
            raise _fail(path, vline, "load_heart names a heart: 'load_heart: healthy' or "
                        "{heart: healthy, members: 40}")
        try:
            heart(args["heart"])
        except HeartError as exc:
            raise _fail(path, vline, str(exc)) from None
        members = args.get("members", 1)
        if not isinstance(members, int) or not 1 <= members <= 500:
            raise _fail(path, vline, f"members must be a whole number 1–500, not {members!r}")
        return Step(act, args, text, s.line)
    if act == "set":
        if not isinstance(v, dict):
            raise _fail(path, vline, "set is {control: NAME, percent: X} or "
                        "{parameter: NAME, value: X | factor: F}")
        if "control" in v:
            from twinviewer.teaching.controls import CONTROL_BY_NAME

            if v["control"] not in CONTROL_BY_NAME:
                raise _fail(path, v.key_lines["control"], f"unknown control {v['control']!r}; "
                            f"choose one of: {', '.join(CONTROL_BY_NAME)}")
            _number(v, "percent", path, "set")
        elif "parameter" in v:
            _require(v, "parameter", str, path, "set")
            if ("value" in v) == ("factor" in v):
                raise _fail(path, v.line, "set of a parameter needs exactly one of value, "
                            "factor")
            _number(v, "value" if "value" in v else "factor", path, "set")
        else:
            raise _fail(path, vline, "set needs 'control' or 'parameter'")
        return Step(act, dict(v), text, s.line)
    if act == "apply":
        if not isinstance(v, dict):
            raise _fail(path, vline, "apply is {intervention: NAME, settings: {...}}")
        name = _require(v, "intervention", str, path, "apply")
        from twinviewer.interventions import InterventionError
        from twinviewer.interventions.library import get_intervention
        from twinviewer.plugins import PluginError

        try:  # a plug-in's too (named if it fails to load), or why its plug-in is off
            intervention = get_intervention(name)
        except (InterventionError, PluginError) as exc:
            raise _fail(path, v.key_lines["intervention"], str(exc)) from None
        settings = v.get("settings", {})
        if not isinstance(settings, dict):
            raise _fail(path, vline, "settings is a mapping of setting name to number")
        try:
            intervention.validate({k: float(x) for k, x in settings.items()})
        except (ValueError, TypeError) as exc:
            raise _fail(path, v.key_lines.get("settings", vline), str(exc)) from None
        return Step(act, {"intervention": name, "settings": dict(settings)}, text, s.line)
    if act == "reset":
        return Step(act, {}, text, s.line)
    if act == "highlight":
        if not isinstance(v, dict) or not ("plot" in v or "structure" in v):
            raise _fail(path, vline, "highlight is {plot: pv_loop|wiggers, region: NAME} or "
                        "{structure: NAME}")
        if "plot" in v:
            plot = v["plot"]
            if plot not in REGIONS:
                raise _fail(path, v.key_lines["plot"], f"plot must be one of "
                            f"{', '.join(REGIONS)}, not {plot!r}")
            region = _require(v, "region", str, path, "highlight")
            if region not in REGIONS[plot]:
                raise _fail(path, v.key_lines["region"], f"region {region!r} of {plot} is not "
                            f"one of {', '.join(REGIONS[plot])}")
        else:
            st = v["structure"]
            if st not in STRUCTURES:
                raise _fail(path, v.key_lines["structure"], f"structure {st!r} is not one of "
                            f"{', '.join(STRUCTURES)}")
        return Step(act, dict(v), text, s.line)
    return Step(act, {}, text, s.line, _question(v, path, vline))


def parse_lesson(text: str, path: Path | str = "<lesson>") -> Lesson:
    """A lesson from YAML/JSON ``text``; ``path`` names it in errors.

    Raises
    ------
    LessonError
        Naming the file and line of the first problem.

    Examples
    --------
    >>> les = parse_lesson("title: T\\nsteps:\\n  - load_heart: healthy\\n  - text: hi\\n")
    >>> [s.action for s in les.steps]
    ['load_heart', 'text']
    >>> try:
    ...     parse_lesson("title: T\\nsteps:\\n  - load_heart: nope\\n", "x.yaml")
    ... except LessonError as exc:
    ...     print(str(exc)[:40])
    x.yaml, line 3: unknown preset 'nope'; c
    """
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise _fail(path, line, f"not valid YAML/JSON: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise LessonError(f"{Path(path).name}: not valid YAML/JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise _fail(path, 1, "a lesson is a mapping with title and steps")
    title = _require(doc, "title", str, path, "a lesson")
    steps = _require(doc, "steps", list, path, "a lesson")
    if not steps:
        raise _fail(path, steps.line, "a lesson needs at least one step")
    unknown = set(doc) - {"title", "summary", "steps"}
    if unknown:
        key = sorted(unknown)[0]
        raise _fail(path, doc.key_lines[key], f"unknown lesson key {key!r}; a lesson has "
                    f"title, summary and steps")
    parsed = tuple(_step(s, path, ln) for s, ln in zip(steps, steps.item_lines, strict=True))
    first_sim = next((s for s in parsed if s.action not in ("text", "highlight")), None)
    if first_sim is not None and first_sim.action != "load_heart":
        raise _fail(path, first_sim.line, f"'{first_sim.action}' before any load_heart")
    return Lesson(Path(path).stem, title, str(doc.get("summary", "")), parsed,
                  Path(path) if path != "<lesson>" else None)


def load_lesson(path: Path | str) -> Lesson:
    """Read and check the lesson file ``path``.

    Raises
    ------
    LessonError
        The file cannot be read, or is malformed (the message names the line).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LessonError(f"{path.name}: cannot read the lesson: "
                          f"{getattr(exc, 'strerror', None) or exc}") from None
    return parse_lesson(text, path)


def lesson_files(folder: Path | str | None = None) -> list[Path]:
    """Lesson files (``*.yaml``, ``*.yml``, ``*.json``) in ``folder`` (default: the shipped
    lessons), sorted by name."""
    folder = Path(folder) if folder is not None else LESSON_DIR
    return sorted(p for p in folder.glob("*") if p.suffix in (".yaml", ".yml", ".json"))
