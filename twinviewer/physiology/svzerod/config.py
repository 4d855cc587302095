"""Read and validate an svZeroDSolver JSON configuration.

The reader accepts the sections ``simulation_parameters``, ``vessels``,
``boundary_conditions``, ``junctions``, ``closed_loop_blocks``, ``valves``, ``chambers``,
``initial_condition`` and ``initial_condition_d`` with the block types listed in
:mod:`.blocks`. Keys starting with ``_`` and ``description`` are comments, as in
svZeroDSolver. Values stay in the file's units (cgs or SI); nothing is converted here.

Anything the importer cannot reproduce faithfully (an unknown block type, a coupled
simulation, cycle-to-cycle stopping) is refused with a :class:`SvZeroDConfigError` naming
the file, the block and the field, rather than being approximated.
"""

from __future__ import annotations

import difflib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from twinviewer.physiology.svzerod import blocks as bt
from twinviewer.physiology.svzerod.errors import SvZeroDConfigError

#: A parameter value: a constant, or a periodic table ``(t, values)``.
ParamValue = float | tuple[np.ndarray, np.ndarray]

_SECTIONS = ("simulation_parameters", "vessels", "boundary_conditions", "junctions",
             "closed_loop_blocks", "valves", "chambers", "initial_condition",
             "initial_condition_d")
_UNSUPPORTED_SECTIONS = ("external_solver_coupling_blocks",)

# simulation_parameters: name -> (kind, default)
_SIM_KEYS: dict[str, tuple[str, Any]] = {
    "number_of_cardiac_cycles": ("int", None),
    "number_of_time_pts_per_cardiac_cycle": ("int", None),
    "absolute_tolerance": ("float", 1e-8),
    "maximum_nonlinear_iterations": ("int", 30),
    "steady_initial": ("bool", True),
    "rho_infty": ("float", 0.5),
    "output_variable_based": ("bool", False),
    "output_interval": ("int", 1),
    "output_all_cycles": ("bool", False),
    "cardiac_period": ("float", None),
    "output_mean_only": ("bool", False),
    "output_derivative": ("bool", False),
    "coupled_simulation": ("bool", False),
    "use_cycle_to_cycle_error": ("bool", False),
    "sim_cycle_to_cycle_percent_error": ("float", 1.0),
}


@dataclass(frozen=True)
class SimulationParameters:
    """The ``simulation_parameters`` section, with svZeroDSolver's defaults filled in."""

    number_of_cardiac_cycles: int
    number_of_time_pts_per_cardiac_cycle: int
    absolute_tolerance: float = 1e-8
    maximum_nonlinear_iterations: int = 30
    steady_initial: bool = True
    rho_infty: float = 0.5
    output_variable_based: bool = False
    output_interval: int = 1
    output_all_cycles: bool = False
    cardiac_period: float | None = None


@dataclass
class Block:
    """One block of the network, with its parameters in the file's units."""

    name: str
    spec: bt.BlockSpec
    section: str
    params: dict[str, ParamValue]
    activation: tuple[str, dict[str, float]] | None = None
    closed_loop_outlet: bool = False

    @property
    def type_name(self) -> str:
        return self.spec.type_name


@dataclass
class SvZeroDConfig:
    """A validated svZeroDSolver configuration.

    Attributes
    ----------
    source : str
        File name (without directories) or ``'<dict>'``; used in messages.
    simulation : SimulationParameters
    blocks : list of Block
        In svZeroDSolver's order (vessels, boundary conditions, junctions, closed-loop
        blocks, valves, chambers); this order fixes the output's variable order.
    connections : list of (str, str)
        Directed connections ``(upstream, downstream)``, one network node each.
    cardiac_period : float
        Period in the file's time unit (from ``cardiac_period``, the tables or the
        closed-loop heart; 1.0 when none defines it).
    initial_condition, initial_condition_d : dict
        Initial values and time derivatives by variable name.
    raw : dict
        The configuration as read (for export or for running the peer solver).
    """

    source: str
    simulation: SimulationParameters
    blocks: list[Block]
    connections: list[tuple[str, str]]
    cardiac_period: float
    initial_condition: dict[str, float] = field(default_factory=dict)
    initial_condition_d: dict[str, float] = field(default_factory=dict)
    raw: dict = field(default_factory=dict, repr=False)

    def block(self, name: str) -> Block:
        """The block called ``name``."""
        for b in self.blocks:
            if b.name == name:
                return b
        raise KeyError(f"{self.source}: no block named {name!r}")


# --------------------------------------------------------------------------- helpers


class _Ctx:
    """Builds error messages that name the file and where in it the problem is."""

    def __init__(self, source: str):
        self.source = source

    def error(self, where: str, problem: str) -> SvZeroDConfigError:
        return SvZeroDConfigError(f"{self.source}: {where}: {problem}")


def _is_comment(key: str) -> bool:
    return key.startswith("_") or key == "description"


def _number(ctx: _Ctx, where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ctx.error(where, f"{key!r} must be a number, got {type(value).__name__} "
                               f"{_short(value)}")
    v = float(value)
    if not math.isfinite(v):
        raise ctx.error(where, f"{key!r} must be finite, got {v}")
    return v


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _number_list(ctx: _Ctx, where: str, key: str, value: Any) -> np.ndarray:
    if not isinstance(value, list) or not value:
        raise ctx.error(where, f"{key!r} must be a non-empty list of numbers")
    return np.array([_number(ctx, where, f"{key}[{i}]", v) for i, v in enumerate(value)])


def _mapping(ctx: _Ctx, where: str, key: str, value: Any) -> Mapping:
    if not isinstance(value, Mapping):
        raise ctx.error(where, f"{key!r} must be a JSON object, got {type(value).__name__}")
    return value


def _string(ctx: _Ctx, where: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ctx.error(where, f"{key!r} must be a non-empty string, got {_short(value)}")
    return value


def _require(ctx: _Ctx, where: str, obj: Mapping, key: str) -> Any:
    if key not in obj:
        raise ctx.error(where, f"missing field {key!r}")
    return obj[key]


def _unknown_type(ctx: _Ctx, where: str, type_name: Any, catalogue: Mapping) -> None:
    raise ctx.error(where, f"unknown block type {type_name!r} (this importer supports: "
                           f"{', '.join(catalogue)})")


def _read_params(ctx: _Ctx, where: str, spec: bt.BlockSpec, values: Mapping
                 ) -> dict[str, ParamValue]:
    values = _mapping(ctx, where, "values", values)
    allowed = set(spec.param_names) | set(spec.extra_keys)
    has_table = any(isinstance(values.get(k), list) for k in spec.table_params)
    if has_table:
        allowed.add("t")
    for key in values:
        if _is_comment(key) or key in allowed:
            continue
        hint = difflib.get_close_matches(key, sorted(allowed), n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ctx.error(where, f"unknown parameter {key!r} for block type "
                               f"{spec.type_name}{extra}")
    times = None
    if has_table:
        times = _number_list(ctx, where, "t", _require(ctx, where, values, "t"))
        if times.size > 1 and np.any(np.diff(times) <= 0):
            raise ctx.error(where, "'t' must be strictly increasing")
    out: dict[str, ParamValue] = {}
    for name, default in spec.params:
        if name not in values:
            if default is bt.REQUIRED:
                raise ctx.error(where, f"missing parameter {name!r} (required for "
                                       f"{spec.type_name})")
            out[name] = float(default)
            continue
        raw = values[name]
        if isinstance(raw, list) and name in spec.table_params:
            vals = _number_list(ctx, where, name, raw)
            if vals.size == 1:
                out[name] = float(vals[0])
                continue
            assert times is not None
            if vals.size != times.size:
                raise ctx.error(where, f"{name!r} has {vals.size} values but 't' has "
                                       f"{times.size}")
            out[name] = (times, vals)
        else:
            out[name] = _number(ctx, where, name, raw)
    return out


def _read_activation(ctx: _Ctx, where: str, chamber: Mapping, values: Mapping
                     ) -> tuple[str, dict[str, float]]:
    if "activation_function" not in chamber:
        # Older files put the half-cosine timing among the values.
        if "t_active" in values and "t_twitch" in values:
            return "half_cosine", {k: _number(ctx, where, k, values[k])
                                   for k in ("t_active", "t_twitch")}
        raise ctx.error(where, "missing field 'activation_function'")
    act = _mapping(ctx, where, "activation_function", chamber["activation_function"])
    kind = act.get("type")
    if kind not in bt.ACTIVATIONS:
        raise ctx.error(where, f"activation_function: unknown type {kind!r} (supported: "
                               f"{', '.join(bt.ACTIVATIONS)})")
    names = bt.ACTIVATIONS[kind][1]
    params = {}
    for key in act:
        if key != "type" and not _is_comment(key) and key not in names:
            raise ctx.error(where, f"activation_function: unknown parameter {key!r} for "
                                   f"{kind}")
    for name in names:
        params[name] = _number(ctx, f"{where}: activation_function", name,
                               _require(ctx, f"{where}: activation_function", act, name))
    if kind == "two_hill" and (params["tau_1"] <= 0 or params["tau_2"] <= 0):
        raise ctx.error(where, "activation_function: tau_1 and tau_2 must be positive")
    if kind == "half_cosine" and params["t_twitch"] <= 0:
        raise ctx.error(where, "activation_function: t_twitch must be positive")
    return kind, params


def _list_section(ctx: _Ctx, cfg: Mapping, section: str) -> list:
    value = cfg.get(section, [])
    if not isinstance(value, list):
        raise ctx.error(section, f"must be a list, got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise ctx.error(f"{section}[{i}]", "must be a JSON object")
    return value


# --------------------------------------------------------------------------- reading


def _read_simulation(ctx: _Ctx, cfg: Mapping) -> SimulationParameters:
    sp = _mapping(ctx, "simulation_parameters", "simulation_parameters",
                  _require(ctx, "top level", cfg, "simulation_parameters"))
    where = "simulation_parameters"
    vals: dict[str, Any] = {}
    for key, raw in sp.items():
        if _is_comment(key):
            continue
        if key not in _SIM_KEYS:
            hint = difflib.get_close_matches(key, list(_SIM_KEYS), n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ctx.error(where, f"unknown setting {key!r}{extra}")
        kind = _SIM_KEYS[key][0]
        if kind == "bool":
            if not isinstance(raw, bool):
                raise ctx.error(where, f"{key!r} must be true or false, got {_short(raw)}")
            vals[key] = raw
        elif kind == "int":
            if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
                raise ctx.error(where, f"{key!r} must be a positive integer, got "
                                       f"{_short(raw)}")
            vals[key] = raw
        else:
            vals[key] = _number(ctx, where, key, raw)
    for key in ("number_of_cardiac_cycles", "number_of_time_pts_per_cardiac_cycle"):
        if key not in vals:
            raise ctx.error(where, f"missing field {key!r}")
    if vals["number_of_time_pts_per_cardiac_cycle"] < 2:
        raise ctx.error(where, "'number_of_time_pts_per_cardiac_cycle' must be at least 2")
    for key in ("coupled_simulation", "use_cycle_to_cycle_error", "output_mean_only",
                "output_derivative"):
        if vals.get(key):
            raise ctx.error(where, f"{key!r} = true is not supported by this importer")
    for key in ("absolute_tolerance",):
        if key in vals and vals[key] <= 0:
            raise ctx.error(where, f"{key!r} must be positive")
    if "rho_infty" in vals and not 0.0 <= vals["rho_infty"] <= 1.0:
        raise ctx.error(where, "'rho_infty' must lie in [0, 1]")
    if "cardiac_period" in vals and vals["cardiac_period"] <= 0:
        # svZeroDSolver treats a non-positive period as "not given".
        vals.pop("cardiac_period")
    kwargs = {k: v for k, v in vals.items() if k in SimulationParameters.__dataclass_fields__}
    return SimulationParameters(**kwargs)


def _parse(cfg: Mapping, source: str) -> SvZeroDConfig:
    ctx = _Ctx(source)
    if not isinstance(cfg, Mapping):
        raise ctx.error("top level", "the configuration must be a JSON object")
    for key in cfg:
        if _is_comment(key) or key in _SECTIONS:
            continue
        if key in _UNSUPPORTED_SECTIONS:
            raise ctx.error(key, "coupling to an external solver is not supported by this "
                                 "importer")
        hint = difflib.get_close_matches(key, _SECTIONS, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ctx.error("top level", f"unknown section {key!r}{extra}")
    sim = _read_simulation(ctx, cfg)
    if "boundary_conditions" not in cfg:
        raise ctx.error("top level", "missing section 'boundary_conditions' (may be empty)")

    blocks: list[Block] = []
    connections: list[tuple[str, str]] = []
    vessel_ids: dict[int, str] = {}

    # Vessels (and the connections to their boundary conditions).
    for i, v in enumerate(_list_section(ctx, cfg, "vessels")):
        where = f"vessels[{i}]"
        name = _string(ctx, where, "vessel_name", _require(ctx, where, v, "vessel_name"))
        where = f"vessels[{i}] {name!r}"
        vtype = _require(ctx, where, v, "zero_d_element_type")
        if vtype not in bt.VESSELS:
            _unknown_type(ctx, where, vtype, bt.VESSELS)
        spec = bt.VESSELS[vtype]
        params = _read_params(ctx, where, spec, _require(ctx, where, v, "zero_d_element_values"))
        if "vessel_id" in v:
            vid = v["vessel_id"]
            if isinstance(vid, bool) or not isinstance(vid, int):
                raise ctx.error(where, f"'vessel_id' must be an integer, got {_short(vid)}")
            if vid in vessel_ids:
                raise ctx.error(where, f"vessel_id {vid} is also used by "
                                       f"{vessel_ids[vid]!r}")
            vessel_ids[vid] = name
        blocks.append(Block(name, spec, "vessels", params))
        bcs = v.get("boundary_conditions", {})
        bcs = _mapping(ctx, where, "boundary_conditions", bcs)
        for key in bcs:
            if key not in ("inlet", "outlet") and not _is_comment(key):
                raise ctx.error(where, f"boundary_conditions: unknown key {key!r} (use "
                                       "'inlet' or 'outlet')")
        if "inlet" in bcs:
            connections.append((_string(ctx, where, "inlet", bcs["inlet"]), name))
        if "outlet" in bcs:
            connections.append((name, _string(ctx, where, "outlet", bcs["outlet"])))

    # Boundary conditions.
    closed_loop_bcs: list[str] = []
    for i, b in enumerate(_list_section(ctx, cfg, "boundary_conditions")):
        where = f"boundary_conditions[{i}]"
        name = _string(ctx, where, "bc_name", _require(ctx, where, b, "bc_name"))
        where = f"boundary_conditions[{i}] {name!r}"
        btype = _require(ctx, where, b, "bc_type")
        if btype not in bt.BOUNDARY_CONDITIONS:
            _unknown_type(ctx, where, btype, bt.BOUNDARY_CONDITIONS)
        spec = bt.BOUNDARY_CONDITIONS[btype]
        values = _mapping(ctx, where, "bc_values", _require(ctx, where, b, "bc_values"))
        params = _read_params(ctx, where, spec, values)
        block = Block(name, spec, "boundary_conditions", params)
        if btype == "ClosedLoopRCR":
            flag = values.get("closed_loop_outlet", False)
            if not isinstance(flag, bool):
                raise ctx.error(where, "'closed_loop_outlet' must be true or false")
            block.closed_loop_outlet = flag
            if flag:
                closed_loop_bcs.append(name)
        blocks.append(block)

    # Junctions.
    for i, j in enumerate(_list_section(ctx, cfg, "junctions")):
        where = f"junctions[{i}]"
        name = _string(ctx, where, "junction_name", _require(ctx, where, j, "junction_name"))
        where = f"junctions[{i}] {name!r}"
        jtype = _require(ctx, where, j, "junction_type")
        if jtype not in bt.JUNCTIONS:
            _unknown_type(ctx, where, jtype, bt.JUNCTIONS)
        spec = bt.JUNCTIONS[jtype]
        params = _read_params(ctx, where, spec, j.get("junction_values", {}))
        blocks.append(Block(name, spec, "junctions", params))
        if "inlet_vessels" in j or "outlet_vessels" in j:
            ins = [_vessel_by_id(ctx, where, vessel_ids, k)
                   for k in _id_list(ctx, where, j, "inlet_vessels")]
            outs = [_vessel_by_id(ctx, where, vessel_ids, k)
                    for k in _id_list(ctx, where, j, "outlet_vessels")]
        elif "inlet_blocks" in j or "outlet_blocks" in j:
            ins = _name_list(ctx, where, j, "inlet_blocks")
            outs = _name_list(ctx, where, j, "outlet_blocks")
        else:
            raise ctx.error(where, "missing field 'inlet_vessels'/'outlet_vessels' or "
                                   "'inlet_blocks'/'outlet_blocks'")
        connections += [(b, name) for b in ins] + [(name, b) for b in outs]

    # Closed-loop heart (svZeroDSolver names it CLH and adds two junctions around it).
    period_sources: list[tuple[str, float]] = []
    heart_seen = False
    for i, c in enumerate(_list_section(ctx, cfg, "closed_loop_blocks")):
        where = f"closed_loop_blocks[{i}]"
        ctype = _require(ctx, where, c, "closed_loop_type")
        if ctype not in bt.CLOSED_LOOP:
            _unknown_type(ctx, where, ctype, bt.CLOSED_LOOP)
        if heart_seen:
            raise ctx.error(where, "only one ClosedLoopHeartAndPulmonary block is allowed")
        heart_seen = True
        spec = bt.CLOSED_LOOP[ctype]
        params = _read_params(ctx, where, spec, _require(ctx, where, c, "parameters"))
        period = _number(ctx, where, "cardiac_cycle_period",
                         _require(ctx, where, c, "cardiac_cycle_period"))
        if period <= 0:
            raise ctx.error(where, "'cardiac_cycle_period' must be positive")
        period_sources.append((f"{where} cardiac_cycle_period", period))
        blocks.append(Block("CLH", spec, "closed_loop_blocks", params))
        blocks.append(Block("J_heart_inlet", bt.JUNCTIONS["NORMAL_JUNCTION"],
                            "closed_loop_blocks", {}))
        blocks.append(Block("J_heart_outlet", bt.JUNCTIONS["NORMAL_JUNCTION"],
                            "closed_loop_blocks", {}))
        if not closed_loop_bcs:
            raise ctx.error(where, "no ClosedLoopRCR boundary condition has "
                                   "closed_loop_outlet = true, so nothing returns to the heart")
        connections.append(("J_heart_inlet", "CLH"))
        connections += [(bc, "J_heart_inlet") for bc in closed_loop_bcs]
        connections.append(("CLH", "J_heart_outlet"))
        connections += [("J_heart_outlet", b) for b in _name_list(ctx, where, c,
                                                                  "outlet_blocks")]

    # Valves.
    for i, v in enumerate(_list_section(ctx, cfg, "valves")):
        where = f"valves[{i}]"
        name = _string(ctx, where, "name", _require(ctx, where, v, "name"))
        where = f"valves[{i}] {name!r}"
        vtype = _require(ctx, where, v, "type")
        if vtype not in bt.VALVES:
            _unknown_type(ctx, where, vtype, bt.VALVES)
        spec = bt.VALVES[vtype]
        params_json = _mapping(ctx, where, "params", _require(ctx, where, v, "params"))
        params = _read_params(ctx, where, spec, params_json)
        up = _string(ctx, where, "upstream_block",
                     _require(ctx, where, params_json, "upstream_block"))
        down = _string(ctx, where, "downstream_block",
                       _require(ctx, where, params_json, "downstream_block"))
        blocks.append(Block(name, spec, "valves", params))
        connections += [(up, name), (name, down)]

    # Chambers.
    for i, c in enumerate(_list_section(ctx, cfg, "chambers")):
        where = f"chambers[{i}]"
        name = _string(ctx, where, "name", _require(ctx, where, c, "name"))
        where = f"chambers[{i}] {name!r}"
        ctype = _require(ctx, where, c, "type")
        if ctype not in bt.CHAMBERS:
            _unknown_type(ctx, where, ctype, bt.CHAMBERS)
        spec = bt.CHAMBERS[ctype]
        values = dict(_mapping(ctx, where, "values", _require(ctx, where, c, "values")))
        activation = _read_activation(ctx, where, c, values)
        if "activation_function" not in c:
            values.pop("t_active", None)
            values.pop("t_twitch", None)
        params = _read_params(ctx, where, spec, values)
        blocks.append(Block(name, spec, "chambers", params, activation=activation))

    if sim.steady_initial and any(
            b.spec.code in (bt.CLOSED_LOOP_HEART, bt.CLOSED_LOOP_RCR_BC) for b in blocks):
        # svZeroDSolver's steady start of closed-loop blocks does not follow from the block
        # equations alone; refuse rather than return a different answer.
        raise ctx.error("simulation_parameters", "steady_initial = true (the default) with "
                        "ClosedLoopHeartAndPulmonary/ClosedLoopRCR blocks is not supported; "
                        "set steady_initial to false and give an initial_condition")
    _check_network(ctx, blocks, connections)
    period = _resolve_period(ctx, sim, blocks, period_sources)
    ic = _read_initial(ctx, cfg, "initial_condition")
    icd = _read_initial(ctx, cfg, "initial_condition_d")
    return SvZeroDConfig(source=source, simulation=sim, blocks=blocks, connections=connections,
                         cardiac_period=period, initial_condition=ic, initial_condition_d=icd,
                         raw=dict(cfg))


def _id_list(ctx: _Ctx, where: str, obj: Mapping, key: str) -> list[int]:
    value = _require(ctx, where, obj, key)
    if not isinstance(value, list) or not all(
            isinstance(k, int) and not isinstance(k, bool) for k in value):
        raise ctx.error(where, f"{key!r} must be a list of vessel ids")
    return value


def _name_list(ctx: _Ctx, where: str, obj: Mapping, key: str) -> list[str]:
    value = _require(ctx, where, obj, key)
    if not isinstance(value, list) or not all(isinstance(k, str) and k for k in value):
        raise ctx.error(where, f"{key!r} must be a list of block names")
    return value


def _vessel_by_id(ctx: _Ctx, where: str, ids: dict[int, str], vid: int) -> str:
    if vid not in ids:
        raise ctx.error(where, f"vessel id {vid} does not match any vessel's 'vessel_id'")
    return ids[vid]


def _check_network(ctx: _Ctx, blocks: list[Block], connections: list[tuple[str, str]]
                   ) -> None:
    by_name: dict[str, Block] = {}
    for b in blocks:
        if b.name in by_name:
            raise ctx.error(f"{b.section} {b.name!r}", f"block name {b.name!r} is used twice "
                                                      f"(also in {by_name[b.name].section})")
        by_name[b.name] = b
    n_in = dict.fromkeys(by_name, 0)
    n_out = dict.fromkeys(by_name, 0)
    seen: set[tuple[str, str]] = set()
    for up, down in connections:
        for end, other in ((up, down), (down, up)):
            if end not in by_name:
                hint = difflib.get_close_matches(end, list(by_name), n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else ""
                raise ctx.error(f"connection {up!r} -> {down!r}",
                                f"{end!r} (connected to {other!r}) is not a block in this "
                                f"file{extra}")
        if (up, down) in seen:
            raise ctx.error(f"connection {up!r} -> {down!r}", "defined twice")
        seen.add((up, down))
        n_out[up] += 1
        n_in[down] += 1
    for b in blocks:
        where = f"{b.section} {b.name!r} ({b.type_name})"
        i, o = n_in[b.name], n_out[b.name]
        if b.section == "boundary_conditions" and b.spec.n_inlets is None:
            if i + o != 1:
                raise ctx.error(where, f"a boundary condition needs exactly one connection, "
                                       f"it has {i + o}")
            continue
        if b.spec.n_inlets is None:
            if i < 1 or o < 1:
                raise ctx.error(where, f"needs at least one inlet and one outlet, has {i} "
                                       f"inlet(s) and {o} outlet(s)")
            continue
        if i != b.spec.n_inlets or o != b.spec.n_outlets:
            raise ctx.error(where, f"needs {b.spec.n_inlets} inlet and {b.spec.n_outlets} "
                                   f"outlet connection, has {i} inlet(s) and {o} outlet(s)")


def _resolve_period(ctx: _Ctx, sim: SimulationParameters, blocks: list[Block],
                    sources: list[tuple[str, float]]) -> float:
    sources = list(sources)
    for b in blocks:
        for pname, value in b.params.items():
            if isinstance(value, tuple):
                t = value[0]
                sources.append((f"{b.section} {b.name!r} table {pname!r}",
                                float(t[-1] - t[0])))
    if sim.cardiac_period is not None:
        sources.insert(0, ("simulation_parameters cardiac_period", sim.cardiac_period))
    if not sources:
        return 1.0
    first_where, period = sources[0]
    for where, p in sources[1:]:
        # svZeroDSolver compares exactly; allow round-off in hand-written tables.
        if abs(p - period) > 1e-12 * max(1.0, abs(period)):
            raise ctx.error(where, f"cardiac period {p} differs from {period} set by "
                                   f"{first_where}")
    if period <= 0:
        raise ctx.error(first_where, f"cardiac period must be positive, got {period}")
    return period


def _read_initial(ctx: _Ctx, cfg: Mapping, section: str) -> dict[str, float]:
    if section not in cfg:
        return {}
    ic = _mapping(ctx, section, section, cfg[section])
    return {k: _number(ctx, section, k, v) for k, v in ic.items() if not _is_comment(k)}


# --------------------------------------------------------------------------- front door


def load_config(source: str | os.PathLike | Mapping) -> SvZeroDConfig:
    """Read and validate an svZeroDSolver configuration.

    Parameters
    ----------
    source : str, path-like or dict
        Path to a JSON file, or the already-parsed configuration.

    Returns
    -------
    SvZeroDConfig
        The validated network; parameters keep the file's units.

    Raises
    ------
    SvZeroDConfigError
        If the file is missing or not JSON, or a section, block type, parameter or
        connection is wrong. The message names the file (without directories), the block
        and the field.

    Examples
    --------
    >>> cfg = load_config({"simulation_parameters": {"number_of_cardiac_cycles": 1,
    ...     "number_of_time_pts_per_cardiac_cycle": 11}, "boundary_conditions": [
    ...     {"bc_name": "IN", "bc_type": "FLOW", "bc_values": {"Q": 1.0}},
    ...     {"bc_name": "OUT", "bc_type": "RESISTANCE", "bc_values": {"R": 10.0, "Pd": 0}}],
    ...     "vessels": [{"vessel_id": 0, "vessel_name": "v0",
    ...     "zero_d_element_type": "BloodVessel",
    ...     "zero_d_element_values": {"R_poiseuille": 2.0},
    ...     "boundary_conditions": {"inlet": "IN", "outlet": "OUT"}}]})
    >>> [b.name for b in cfg.blocks]
    ['v0', 'IN', 'OUT']
    """
    if isinstance(source, Mapping):
        return _parse(source, "<dict>")
    path = Path(source)
    name = path.name  # never the directories: they may carry a patient's name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SvZeroDConfigError(f"{name}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SvZeroDConfigError(f"{name}: cannot be read ({type(exc).__name__})") from None
    try:
        cfg = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SvZeroDConfigError(f"{name}: not valid JSON (line {exc.lineno}, column "
                                 f"{exc.colno}: {exc.msg})") from None
    return _parse(cfg, name)
