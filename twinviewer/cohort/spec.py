"""The cohort study spec: a YAML file naming the population, scenarios and metrics.

Minimal form (one row per patient and scenario in the output)::

    population: {preset: severe_as, n: 40, seed: 7}
    members: 20
    scenarios:
      - name: tavi
        steps: ["tavi_sapien3:size=26"]
    metrics: [AV_mean_gradient, LVEDP, CO]

Richer forms: ``population: {twins: FOLDER}`` (every ``*.twin`` in it), or a virtual
population with explicit distributions and correlations::

    population:
      preset: severe_as
      n: 1000
      seed: 7
      vary:
        AV.EOA: {dist: lognormal, median: 0.75, sd_log: 0.2}
        LV.EB: {dist: lognormal, median: 0.11, sd_log: 0.25}
        HR: {dist: normal, mean: 72, sd: 10}
      correlations:
        - [AV.EOA, LV.EB, -0.3]
    member_spread: 0.5     # per-patient uncertainty, as a fraction of the prior spread
    level: 0.9             # interval level
    chunk: 16              # patients per chunk
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twinviewer.core.twin import Scenario
from twinviewer.physiology import METRIC_BY_NAME

#: Parameters a virtual population varies when the spec names none (each with its prior's
#: shape, centred on the preset's value): valve area, contractility, stiffness (age-related),
#: heart rate, blood volume and systemic resistance.
DEFAULT_VARY = ("AV.EOA", "LV.EA", "LV.EB", "HR", "V_total", "SYS.R_AR")
_DISTS = {"lognormal": ("median", "sd_log"), "normal": ("mean", "sd"),
          "uniform": ("low", "high")}


class SpecError(ValueError):
    """A cohort spec that cannot be run; the message names the field and the problem."""


@dataclass(frozen=True)
class Distribution:
    """A population distribution of one parameter (model units).

    ``lognormal``: ``a`` median, ``b`` log-SD; ``normal``: mean, SD; ``uniform``: low, high;
    ``prior``: the model's prior shape centred on the preset value (``a``, ``b`` unused).
    """

    dist: str
    a: float = 0.0
    b: float = 0.0

    def to_dict(self) -> dict:
        return {"dist": self.dist, "a": self.a, "b": self.b}


@dataclass(frozen=True)
class CohortSpec:
    """A validated cohort spec (see the module docstring for the YAML)."""

    scenarios: tuple[Scenario, ...]
    metrics: tuple[str, ...]
    members: int = 20
    preset: str | None = None
    n: int = 0
    seed: int = 0
    vary: dict[str, Distribution] = field(default_factory=dict)
    correlations: tuple[tuple[str, str, float], ...] = ()
    twins: str | None = None
    member_spread: float = 1.0
    level: float = 0.9
    chunk: int = 8

    def to_dict(self) -> dict:
        return {"population": {"preset": self.preset, "n": self.n, "seed": self.seed,
                               "vary": {k: v.to_dict() for k, v in self.vary.items()},
                               "correlations": [list(c) for c in self.correlations],
                               # never the folder's path: its name may identify a patient
                               "twins": "folder of .twin files" if self.twins else None},
                "members": self.members, "member_spread": self.member_spread,
                "scenarios": [s.to_dict() for s in self.scenarios],
                "metrics": list(self.metrics), "level": self.level, "chunk": self.chunk}

    def digest(self, extra: str = "") -> str:
        """SHA-256 of the spec (and ``extra``, e.g. the model's equation hash): the key of a
        run folder, so a changed spec never resumes from another spec's chunks."""
        text = json.dumps(self.to_dict(), sort_keys=True) + extra
        return hashlib.sha256(text.encode()).hexdigest()


def _need(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise SpecError(f"{where}: {message}")


def _number(d: dict, key: str, where: str, *, default: Any = None, integer: bool = False,
            low: float | None = None) -> Any:
    v = d.get(key, default)
    ok = isinstance(v, int | float) and not isinstance(v, bool)
    if integer:
        ok = ok and float(v) == int(v)
    _need(ok, f"{where}.{key}", f"must be {'an integer' if integer else 'a number'}, "
          f"got {v!r}")
    if low is not None:
        _need(v >= low, f"{where}.{key}", f"must be at least {low:g}, got {v!r}")
    return int(v) if integer else float(v)


def _distribution(name: str, d: Any) -> Distribution:
    where = f"population.vary.{name}"
    if d in (None, "prior"):
        return Distribution("prior")
    _need(isinstance(d, dict), where, f"must be a mapping like {{dist: lognormal, median: 1, "
          f"sd_log: 0.2}} or 'prior', got {d!r}")
    kind = d.get("dist", "")
    _need(kind in _DISTS or kind == "prior", f"{where}.dist",
          f"unknown distribution {kind!r}; choose one of {', '.join(_DISTS)}, prior")
    if kind == "prior":
        return Distribution("prior")
    ka, kb = _DISTS[kind]
    a, b = _number(d, ka, where), _number(d, kb, where)
    if kind == "uniform":
        _need(a < b, where, f"low {a:g} must be below high {b:g}")
    else:
        _need(b > 0, where, f"{kb} must be positive, got {b:g}")
    if kind == "lognormal":
        _need(a > 0, where, f"median must be positive, got {a:g}")
    return Distribution(kind, a, b)


def _scenarios(items: Any) -> tuple[Scenario, ...]:
    from twinviewer.interventions.intervention import InterventionError
    from twinviewer.interventions.scenario import parse_step

    _need(isinstance(items, list) and items, "scenarios",
          "must be a non-empty list of {name, steps}")
    out = []
    for k, s in enumerate(items):
        where = f"scenarios[{k}]"
        _need(isinstance(s, dict), where, f"must be a mapping with name and steps, got {s!r}")
        name = s.get("name")
        _need(isinstance(name, str) and name.strip(), f"{where}.name", "must be a text")
        _need(name != "baseline", f"{where}.name", "'baseline' is reserved for the untreated "
              "twin")
        steps = s.get("steps")
        _need(isinstance(steps, list) and steps and all(isinstance(t, str) for t in steps),
              f"{where}.steps", "must be a non-empty list of texts like "
              "'tavi_sapien3:size=26'")
        try:
            parsed = tuple(parse_step(t) for t in steps)
        except (InterventionError, ValueError) as exc:
            raise SpecError(f"{where}.steps: {exc}") from None
        out.append(Scenario(name.strip(), parsed))
    names = [s.name for s in out]
    _need(len(set(names)) == len(names), "scenarios", f"names must be distinct: {names}")
    return tuple(out)


def parse_spec(data: Any, *, base_dir: Path | None = None) -> CohortSpec:
    """Validate a spec given as a mapping (parsed YAML).

    Parameters
    ----------
    data
        The mapping.
    base_dir
        Folder a relative ``population.twins`` path is resolved against.

    Examples
    --------
    >>> spec = parse_spec({"population": {"preset": "severe_as", "n": 4, "seed": 7},
    ...     "members": 3, "scenarios": [{"name": "tavi", "steps": ["tavi_sapien3:size=26"]}],
    ...     "metrics": ["CO"]})
    >>> spec.n, spec.scenarios[0].name
    (4, 'tavi')
    """
    from twinviewer.physiology import get_preset
    from twinviewer.physiology.model import ModelError

    _need(isinstance(data, dict), "spec", "must be a mapping with population, members, "
          "scenarios and metrics")
    known = {"population", "members", "scenarios", "metrics", "member_spread", "level",
             "chunk"}
    extra = sorted(set(data) - known)
    _need(not extra, "spec", f"unknown field(s) {', '.join(map(str, extra))}; known: "
          f"{', '.join(sorted(known))}")
    pop = data.get("population")
    _need(isinstance(pop, dict), "population",
          "must be a mapping: {preset: NAME, n: N, seed: S} or {twins: FOLDER}")
    members = _number(data, "members", "spec", default=20, integer=True, low=1)
    metrics = data.get("metrics")
    _need(isinstance(metrics, list) and metrics, "metrics", "must be a non-empty list")
    for m in metrics:
        _need(m in METRIC_BY_NAME, "metrics", f"unknown metric {m!r}; known: "
              f"{', '.join(METRIC_BY_NAME)}")
    level = _number(data, "level", "spec", default=0.9)
    _need(0 < level < 1, "spec.level", f"must be between 0 and 1, got {level}")
    spread = _number(data, "member_spread", "spec", default=1.0, low=0.0)
    chunk = _number(data, "chunk", "spec", default=8, integer=True, low=1)
    common = {"scenarios": _scenarios(data.get("scenarios")), "metrics": tuple(metrics),
              "members": members, "member_spread": spread, "level": level, "chunk": chunk}
    if "twins" in pop:
        _need(set(pop) == {"twins"}, "population", "a folder of twins takes no other field")
        folder = Path(str(pop["twins"])).expanduser()
        if base_dir is not None and not folder.is_absolute():
            folder = base_dir / folder
        # the folder is not named: its name may identify a patient (files inside are)
        _need(folder.is_dir(), "population.twins", "the folder given does not exist")
        return CohortSpec(twins=str(folder.resolve()), **common)
    known_pop = {"preset", "n", "seed", "vary", "correlations"}
    extra = sorted(set(pop) - known_pop)
    _need(not extra, "population", f"unknown field(s) {', '.join(map(str, extra))}; known: "
          f"{', '.join(sorted(known_pop))}, or twins")
    try:
        preset = get_preset(str(pop.get("preset", "")))
    except ModelError as exc:
        raise SpecError(f"population.preset: {exc}") from None
    n = _number(pop, "n", "population", integer=True, low=1)
    seed = _number(pop, "seed", "population", default=0, integer=True, low=0)
    vary_in = pop.get("vary", list(DEFAULT_VARY))
    if isinstance(vary_in, list):
        vary_in = {k: "prior" for k in vary_in}
    _need(isinstance(vary_in, dict), "population.vary", "must be a list of parameter names or "
          "a mapping name → distribution")
    names = preset.model.parameter_names
    vary = {}
    for k, d in vary_in.items():
        _need(k in names, "population.vary", f"unknown parameter {k!r} of model "
              f"{preset.model.name}; known: {', '.join(names)}")
        vary[k] = _distribution(k, d)
    corr = []
    for k, c in enumerate(pop.get("correlations", []) or []):
        where = f"population.correlations[{k}]"
        _need(isinstance(c, list) and len(c) == 3, where, f"must be [NAME, NAME, RHO], got {c!r}")
        a, b, rho = c
        _need(a in vary and b in vary and a != b, where,
              f"{a!r} and {b!r} must be two different parameters of population.vary")
        _need(isinstance(rho, int | float) and -1 < rho < 1, where,
              f"correlation must be between -1 and 1, got {rho!r}")
        corr.append((str(a), str(b), float(rho)))
    return CohortSpec(preset=preset.name, n=n, seed=seed, vary=vary,
                      correlations=tuple(corr), **common)


def load_spec(path: Path | str) -> CohortSpec:
    """Read and validate a YAML spec file; :class:`SpecError` names the file and the field."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path.name}: spec file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path.name}: cannot read ({exc.__class__.__name__})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SpecError(f"{path.name}: not valid YAML{where}") from None
    try:
        return parse_spec(data, base_dir=path.parent)
    except SpecError as exc:
        raise SpecError(f"{path.name}: {exc}") from None
