"""An svZeroDSolver configuration as a :class:`ModelSpec`, run by the one ensemble engine.

svZeroDSolver writes a network as a differential-algebraic system. For the blocks of
closed-loop heart models the algebraic part can be eliminated by hand, once, when the model
is imported: every network node belongs to a *pressure group* (nodes joined by a junction, or
the inlet and outlet of a chamber), each group stores blood in exactly one element (a chamber
volume, or the capacitors of the vessels whose inlet it is), and groups exchange blood through
*flow elements* (valves, and the R–L outflow of vessels and inductor chambers). The states are
then the stored volumes or pressures and the inductor flows, and every other quantity is an
explicit function of them: an ordinary differential equation the engine integrates like any
built-in model, for thousands of members at once.

The equations are generated as Python source (one module per configuration, written to the
kernel cache folder), so numba compiles and caches them like a built-in model and the model
lock hashes them like any other source. Parameters are in TwinViewer's clinical units (mmHg,
mL, s); the file's own units (SI or cgs) are converted on import.

Blocks: ``LinearElastanceChamber``, ``ChamberElastanceInductor`` (whose inductor must flow
into a node that stores blood), ``PiecewiseValve``, ``ValveTanh``, ``BloodVesselCRL`` and
``NORMAL_JUNCTION``, with the ``two_hill``, ``half_cosine`` and ``piecewise_cosine``
activations. A node that stores no blood makes its pressure algebraic; such a network is
refused with the node named. Other blocks (boundary conditions, the
``ClosedLoopHeartAndPulmonary`` block, ``BloodVessel`` with its capacitor behind the
resistor) are refused with a message naming the block; :func:`.simulate.simulate` still runs
them with svZeroDSolver's own generalised-α scheme.

Roles: chambers named ``LA``, ``LV``, ``RA``, ``RV`` and the valves between them (``MV`` from
LA to LV, ``AV`` out of the LV, ``TV`` from RA to RV, ``PV`` out of the RV) give the model the
states and outputs (``V_LV``, ``p_LV``, ``Q_AV``, ``p_AO``, ``p_AR_PUL``...) from which the
clinical metrics are computed.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from twinviewer.core.parameter import Parameter, Prior
from twinviewer.core.units import MMHG_TO_PA
from twinviewer.physiology.model import ModelError, ModelSpec, OutputSpec, StateSpec
from twinviewer.physiology.svzerod.config import SvZeroDConfig, _is_comment, load_config
from twinviewer.physiology.svzerod.errors import SvZeroDConfigError
from twinviewer.physiology.svzerod.kernel import two_hill_normalisation

#: Factor to mmHg and to mL of each unit system's pressure and volume.
UNIT_SYSTEMS = {
    "SI": (1.0 / MMHG_TO_PA, 1e6),  # Pa, m^3
    "cgs": (0.1 / MMHG_TO_PA, 1.0),  # dyn/cm^2, mL
}

_CHAMBER_TYPES = ("LinearElastanceChamber", "ChamberElastanceInductor")
_VALVE_TYPES = ("PiecewiseValve", "ValveTanh")
_ROLE_CHAMBERS = ("LA", "LV", "RA", "RV")


@dataclass
class _Flow:
    """A flow element from group ``up`` to group ``down``."""

    name: str  # block name
    kind: str  # 'piecewise', 'tanh', 'rl' (inductor) or 'r' (resistor only)
    up: int
    down: int
    state: str | None = None  # inductor flow state


@dataclass
class _Group:
    nodes: list[int]
    chamber: str | None = None
    capacitors: list[str] = field(default_factory=list)  # vessel names
    state: str | None = None


class _Builder:
    """Collects parameters, states and code lines while the network is reduced."""

    def __init__(self, cfg: SvZeroDConfig, units: str):
        if units not in UNIT_SYSTEMS:
            raise ValueError(f"units must be one of {sorted(UNIT_SYSTEMS)}, got {units!r}")
        self.cfg = cfg
        self.fp, self.fv = UNIT_SYSTEMS[units]
        self.params: list[Parameter] = []
        self.states: list[StateSpec] = []
        self.y0: list[float] = []
        self.sv_names: dict[str, str] = {}  # state -> svZeroDSolver variable

    def error(self, block: str, problem: str) -> SvZeroDConfigError:
        return SvZeroDConfigError(f"{self.cfg.source}: block {block!r}: {problem}")

    def param(self, name: str, unit: str, value: float, text: str,
              plausible: tuple[float, float] | None = None) -> str:
        value = float(value)
        if not value > 0.0:
            raise SvZeroDConfigError(f"{self.cfg.source}: parameter {name} = {value:g} "
                                     f"{unit}: must be positive for the ensemble engine")
        lo, hi = plausible or (value / 20.0, value * 20.0)
        self.params.append(Parameter(name, unit, value, text, (min(lo, value), max(hi, value)),
                                     Prior("lognormal", value, 0.1)))
        return name

    def state(self, name: str, unit: str, text: str, atol: float, y0: float) -> str:
        self.states.append(StateSpec(name, unit, text, atol))
        self.y0.append(float(y0))
        return name


def _union_find(n: int):
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    return find, union


def _reduce(cfg: SvZeroDConfig, b: _Builder):
    """Pressure groups and flow elements of the network (see the module docstring)."""
    node_of = {conn: k for k, conn in enumerate(cfg.connections)}
    ins: dict[str, list[int]] = {blk.name: [] for blk in cfg.blocks}
    outs: dict[str, list[int]] = {blk.name: [] for blk in cfg.blocks}
    for (up, down), k in node_of.items():
        outs[up].append(k)
        ins[down].append(k)
    find, union = _union_find(len(cfg.connections))
    flows: list[tuple] = []  # (block, kind, inlet node, outlet node)
    for blk in cfg.blocks:
        t = blk.type_name
        if t == "NORMAL_JUNCTION":
            nodes = ins[blk.name] + outs[blk.name]
            for k in nodes[1:]:
                union(nodes[0], k)
        elif t in _CHAMBER_TYPES:
            if len(ins[blk.name]) != 1 or len(outs[blk.name]) != 1:
                raise b.error(blk.name, "a chamber needs exactly one inlet and one outlet")
            if t == "LinearElastanceChamber" or blk.params["Impedance"] == 0.0:
                union(ins[blk.name][0], outs[blk.name][0])
            else:
                flows.append((blk, "rl", ins[blk.name][0], outs[blk.name][0]))
        elif t in _VALVE_TYPES:
            flows.append((blk, "piecewise" if t == "PiecewiseValve" else "tanh",
                          ins[blk.name][0], outs[blk.name][0]))
        elif t == "BloodVesselCRL":
            if blk.params["L"] > 0.0:
                kind = "rl"
            elif blk.params["R_poiseuille"] > 0.0:
                kind = "r"
            else:
                raise b.error(blk.name, "a vessel with neither resistance nor inductance "
                                        "cannot be run by the ensemble engine")
            flows.append((blk, kind, ins[blk.name][0], outs[blk.name][0]))
        else:
            raise b.error(blk.name, f"block type {t} cannot be run by the ensemble engine "
                                    f"(it can: {', '.join(_CHAMBER_TYPES + _VALVE_TYPES)}, "
                                    "BloodVesselCRL, NORMAL_JUNCTION); the generalised-α "
                                    "importer (svzerod.simulate) still runs it")
    roots = sorted({find(k) for k in range(len(cfg.connections))})
    group_of = {r: g for g, r in enumerate(roots)}
    groups = [_Group([k for k in range(len(cfg.connections)) if find(k) == r]) for r in roots]
    for blk in cfg.blocks:
        if blk.type_name in _CHAMBER_TYPES:
            g = groups[group_of[find(ins[blk.name][0])]]
            g.chamber = blk.name
        elif blk.type_name == "BloodVesselCRL" and blk.params["C"] > 0.0:
            groups[group_of[find(ins[blk.name][0])]].capacitors.append(blk.name)
    for g in groups:
        names = [cfg.connections[k] for k in g.nodes]
        if g.chamber is None and not g.capacitors:
            raise SvZeroDConfigError(
                f"{cfg.source}: node {names[0][0]}:{names[0][1]} stores no blood (no chamber "
                "or vessel capacitance): its pressure is algebraic, which the ensemble engine "
                "does not solve")
        if g.chamber is not None and g.capacitors:
            raise SvZeroDConfigError(
                f"{cfg.source}: node {names[0][0]}:{names[0][1]} joins chamber "
                f"{g.chamber!r} and the capacitance of {g.capacitors[0]!r}; not supported")
    elements = [_Flow(blk.name, kind, group_of[find(i)], group_of[find(o)])
                for blk, kind, i, o in flows]
    return groups, elements, {blk.name: blk for blk in cfg.blocks}


def _roles(cfg: SvZeroDConfig, groups, elements, blocks) -> dict[str, str]:
    """Role name (``LV``, ``MV``, ``AO``, ``PA``) -> block or group index, where found."""
    chamber_group = {g.chamber: k for k, g in enumerate(groups) if g.chamber}
    roles: dict[str, str] = {}
    if not all(c in chamber_group for c in _ROLE_CHAMBERS):
        return roles
    by_ends = {}
    for e in elements:
        if blocks[e.name].type_name in _VALVE_TYPES:
            by_ends.setdefault(e.up, []).append(e)
    want = {"MV": ("LA", "LV"), "TV": ("RA", "RV"), "AV": ("LV", None), "PV": ("RV", None)}
    for valve, (a, z) in want.items():
        cands = [e for e in by_ends.get(chamber_group[a], [])
                 if z is None or e.down == chamber_group[z]]
        if z is None:
            cands = [e for e in cands if groups[e.down].chamber is None]
        if len(cands) != 1:
            return {}
        roles[valve] = cands[0].name
        if valve == "AV":
            roles["AO"] = str(cands[0].down)
        if valve == "PV":
            roles["PA"] = str(cands[0].down)
    return roles


#: Parameter roles (named as the built-in four-chamber model's parameters) of a linear
#: elastance chamber: the active elastance adds to the passive one there, as EA to EB.
_CHAMBER_ROLES = {"EA": "Emax", "EB": "Epass", "V0": "Vrest"}
#: Roles of the vessel holding the arterial compliance downstream of the AV (SYS) / PV (PUL).
_ARTERY_ROLES = {"R_AR": "R", "C_AR": "C", "L_AR": "L"}


def parameter_roles(roles: Mapping[str, str], groups, blocks,
                    names: set[str]) -> dict[str, str]:
    """Parameter roles of an imported model: the built-in parameter name an intervention
    changes → this model's parameter playing it, where the blocks have that meaning.

    Chambers ``LA``, ``LV``, ``RA``, ``RV`` of type ``LinearElastanceChamber`` give
    ``X.EA``, ``X.EB``, ``X.V0``; a single compliant vessel downstream of the AV (PV) gives
    ``SYS.R_AR``, ``SYS.C_AR``, ``SYS.L_AR`` (``PUL.…``). ``HR`` and ``V_total`` keep their
    names. A role with no such block is absent, and an intervention that needs it refuses
    the model, naming the role.
    """
    out: dict[str, str] = {}
    if not roles:
        return out
    for chamber in _ROLE_CHAMBERS:
        if blocks[chamber].type_name == "LinearElastanceChamber":
            for role, own in _CHAMBER_ROLES.items():
                out[f"{chamber}.{role}"] = f"{chamber}.{own}"
    for circuit, group in (("SYS", roles["AO"]), ("PUL", roles["PA"])):
        caps = groups[int(group)].capacitors
        if len(caps) == 1:
            for role, own in _ARTERY_ROLES.items():
                out[f"{circuit}.{role}"] = f"{caps[0]}.{own}"
    return {role: own for role, own in out.items() if own in names}


def _activation_code(kind: str, values: Mapping[str, float], period: float, var: str
                     ) -> list[str]:
    """Lines computing activation ``var`` at time ``t`` (within the beat)."""
    if kind == "two_hill":
        norm = two_hill_normalisation(values["tau_1"], values["tau_2"], values["m1"],
                                      values["m2"], period)
        return [
            f"    ts = np.fmod(np.fmod(t, period) - {values['t_shift']!r}, period)",
            "    ts = ts + period * (ts < 0.0)",
            "    lt = np.log(np.maximum(ts, 1e-300))",
            f"    g1 = np.exp({values['m1']!r} * (lt - {float(np.log(values['tau_1']))!r}))",
            f"    g2 = np.exp({values['m2']!r} * (lt - {float(np.log(values['tau_2']))!r}))",
            f"    {var} = {float(norm)!r} * g1 / ((1.0 + g1) * (1.0 + g2))",
        ]
    if kind == "half_cosine":
        ta, tw = values["t_active"], values["t_twitch"]
        return [
            "    t_in = np.fmod(t, period)",
            f"    tc = (t_in - {ta!r}) * (t_in >= {ta!r})",
            f"    {var} = (0.5 - 0.5 * np.cos(2.0 * np.pi * tc / {tw!r})) * (tc <= {tw!r})",
        ]
    cs, rs = values["contract_start"], values["relax_start"]
    cd, rd = values["contract_duration"], values["relax_duration"]
    return [
        f"    x1 = np.fmod(t - {cs!r}, period)",
        f"    m1 = (x1 >= 0.0) * (x1 < {cd!r})",
        f"    x2 = np.fmod(t - {rs!r}, period)",
        f"    m2 = (x2 >= 0.0) * (x2 < {rd!r})",
        f"    {var} = (m1 * 0.5 * (1.0 - np.cos(np.pi * x1 / {cd!r})) + (1.0 - m1) * m2 * 0.5"
        f" * (1.0 + np.cos(np.pi * x2 / {rd!r})))",
    ]


def _ident(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


def _generate(cfg: SvZeroDConfig, units: str):
    b = _Builder(cfg, units)
    groups, elements, blocks = _reduce(cfg, b)
    roles = _roles(cfg, groups, elements, blocks)
    fp, fv = b.fp, b.fv
    period = cfg.cardiac_period
    ic = dict(cfg.initial_condition)
    p_all = ic.pop("pressure_all", 0.0)
    q_all = ic.pop("flow_all", 0.0)
    b.param("HR", "bpm", 60.0 / period, "heart rate (from the file's cardiac period)",
            (30.0, 220.0))

    def ic_of(name: str, default: float) -> float:
        return ic.get(name, default)

    body: list[str] = []  # right-hand side lines: pressures, flows, derivatives
    pressure_expr: dict[int, str] = {}
    act_cache: dict[tuple, str] = {}
    act_lines: list[str] = []  # chamber activations: functions of time only (drivers)
    for k, g in enumerate(groups):
        if g.chamber is not None:
            blk = blocks[g.chamber]
            s = b.state(f"V_{g.chamber}", "mL", f"{g.chamber} volume", 0.02,
                        ic_of(f"Vc:{g.chamber}", 0.0) * fv)
            b.sv_names[s] = f"Vc:{g.chamber}"
            g.state = s
            key = (blk.activation[0], tuple(sorted(blk.activation[1].items())))
            if key not in act_cache:
                var = f"act{len(act_cache)}"
                act_lines += _activation_code(blk.activation[0], blk.activation[1], period,
                                              var)
                act_cache[key] = var
            act = act_cache[key]
            n = g.chamber
            pe = fp / fv
            if blk.type_name == "LinearElastanceChamber":
                emax = b.param(f"{n}.Emax", "mmHg/mL", blk.params["Emax"] * pe,
                               f"{n} active elastance")
                epass = b.param(f"{n}.Epass", "mmHg/mL", blk.params["Epass"] * pe,
                                f"{n} passive elastance")
                vrest = b.param(f"{n}.Vrest", "mL", blk.params["Vrest"] * fv,
                                f"{n} rest volume")
                body.append(f"    p_{_ident(n)} = (p[I['{epass}']] + p[I['{emax}']] * {act}) * "
                            f"(y[S['{s}']] - p[I['{vrest}']])")
            else:
                emax = b.param(f"{n}.Emax", "mmHg/mL", blk.params["Emax"] * pe,
                               f"{n} largest elastance")
                emin = b.param(f"{n}.Emin", "mmHg/mL", blk.params["Emin"] * pe,
                               f"{n} smallest elastance")
                vrd = b.param(f"{n}.Vrd", "mL", blk.params["Vrd"] * fv,
                              f"{n} rest volume in diastole")
                vrs = b.param(f"{n}.Vrs", "mL", blk.params["Vrs"] * fv,
                              f"{n} rest volume in systole")
                body.append(
                    f"    p_{_ident(n)} = ((p[I['{emax}']] - p[I['{emin}']]) * {act} + "
                    f"p[I['{emin}']]) * (y[S['{s}']] - ((1.0 - {act}) * (p[I['{vrd}']] - "
                    f"p[I['{vrs}']]) + p[I['{vrs}']]))")
            pressure_expr[k] = f"p_{_ident(n)}"
        else:
            name = g.capacitors[0] if len(g.capacitors) == 1 else "+".join(g.capacitors)
            first = blocks[g.capacitors[0]]
            inlet = [c for c in cfg.connections if c[1] == first.name][0]
            p0 = ic_of(f"pressure:{inlet[0]}:{inlet[1]}", p_all) * fp
            s = b.state(f"p_{_ident(name)}", "mmHg", f"pressure at the inlet of {name}",
                        0.02, p0)
            b.sv_names[s] = f"pressure:{inlet[0]}:{inlet[1]}"
            g.state = s
            pressure_expr[k] = f"y[S['{s}']]"
            for v in g.capacitors:
                b.param(f"{v}.C", "mL/mmHg", blocks[v].params["C"] * fv / fp,
                        f"{v} compliance")
    for e in elements:
        blk = blocks[e.name]
        pu, pd = pressure_expr[e.up], pressure_expr[e.down]
        q = f"q_{_ident(e.name)}"
        pr = fp / fv  # resistance and inertance scale alike
        if e.kind == "piecewise":
            rmin = b.param(f"{e.name}.Rmin", "mmHg*s/mL", blk.params["Rmin"] * pr,
                           f"{e.name} open resistance")
            rmax = b.param(f"{e.name}.Rmax", "mmHg*s/mL", blk.params["Rmax"] * pr,
                           f"{e.name} closed resistance")
            body += [f"    dp = {pu} - {pd}",
                     f"    {q} = dp / (p[I['{rmin}']] * (dp > 0.0) + p[I['{rmax}']] * "
                     f"(dp <= 0.0))"]
        elif e.kind == "tanh":
            rmin = b.param(f"{e.name}.Rmin", "mmHg*s/mL", blk.params["Rmin"] * pr,
                           f"{e.name} open resistance")
            rmax = b.param(f"{e.name}.Rmax", "mmHg*s/mL", blk.params["Rmax"] * pr,
                           f"{e.name} closed resistance")
            k_ = blk.params["Steepness"] / fp  # 1/pressure
            body += [f"    dp = {pu} - {pd}",
                     f"    {q} = dp / (0.5 * (p[I['{rmax}']] + p[I['{rmin}']]) + 0.5 * "
                     f"(p[I['{rmax}']] - p[I['{rmin}']]) * np.tanh(-{k_!r} * dp))"]
        else:
            is_chamber = blk.type_name in _CHAMBER_TYPES
            r = None
            if not is_chamber:
                r = b.param(f"{e.name}.R", "mmHg*s/mL", blk.params["R_poiseuille"] * pr,
                            f"{e.name} resistance") if blk.params["R_poiseuille"] > 0 else None
            sten = 0.0 if is_chamber else blk.params["stenosis_coefficient"] * fp / fv**2
            if e.kind == "rl":
                lname = "Impedance" if is_chamber else "L"
                lp = b.param(f"{e.name}.L", "mmHg*s^2/mL", blk.params[lname] * pr,
                             f"{e.name} inertance")
                outlet = [c for c in cfg.connections if c[0] == e.name][0]
                s = b.state(f"Q_{_ident(e.name)}", "mL/s", f"outflow of {e.name}", 0.5,
                            ic_of(f"flow:{outlet[0]}:{outlet[1]}", q_all) * fv)
                b.sv_names[s] = f"flow:{outlet[0]}:{outlet[1]}"
                e.state = s
                drop = f"{pu} - {pd}"
                if r is not None:
                    drop += f" - p[I['{r}']] * y[S['{s}']]"
                if sten:
                    drop += f" - {sten!r} * np.abs(y[S['{s}']]) * y[S['{s}']]"
                body += [f"    {q} = y[S['{s}']]",
                         f"    dydt[S['{s}']] = ({drop}) / p[I['{lp}']]"]
            else:
                if sten:
                    body += [f"    dp = {pu} - {pd}", "    a = np.abs(dp)",
                             f"    rr = p[I['{r}']]",
                             f"    {q} = 2.0 * dp / (rr + np.sqrt(rr * rr + 4.0 * {sten!r} * a))"]
                else:
                    body.append(f"    {q} = ({pu} - {pd}) / p[I['{r}']]")
    for k, g in enumerate(groups):
        net = " + ".join([f"q_{_ident(e.name)}" for e in elements if e.down == k] or ["0.0"])
        out = " - ".join([f"q_{_ident(e.name)}" for e in elements if e.up == k])
        expr = f"{net} - {out}" if out else net
        if g.chamber is not None:
            body.append(f"    dydt[S['{g.state}']] = {expr}")
        else:
            cs = " + ".join(f"p[I['{v}.C']]" for v in g.capacitors)
            body.append(f"    dydt[S['{g.state}']] = ({expr}) / ({cs})")
    # Blood volume held by the loop: chamber volumes plus C·p of every capacitor group.
    cap_groups = [(g.state, [f"{v}.C" for v in g.capacitors]) for g in groups if g.capacitors]
    y0 = np.array(b.y0)
    idx_s = {s.name: i for i, s in enumerate(b.states)}
    idx_p = {p.name: i for i, p in enumerate(b.params)}
    pv = np.array([p.default for p in b.params])
    vol = sum(y0[idx_s[g.state]] for g in groups if g.chamber) + sum(
        y0[idx_s[s]] * sum(pv[idx_p[c]] for c in cs) for s, cs in cap_groups)
    b.param("V_total", "mL", float(vol), "blood volume held by the loop (chamber volumes plus "
            "stressed vessel volume)")
    outputs, out_lines = _outputs(groups, elements, roles, pressure_expr,
                                  {s.name for s in b.states})
    p_roles = parameter_roles(roles, groups, blocks, {p.name for p in b.params})
    return b, (act_lines, len(act_cache)), body, outputs, out_lines, cap_groups, p_roles


def _outputs(groups, elements, roles, pressure_expr, state_names):
    outputs: list[OutputSpec] = []
    lines: list[str] = []
    names: list[str] = []

    def add(spec: OutputSpec, expr: str) -> None:
        if spec.name not in state_names:  # a state is already in the results
            outputs.append(spec)
            names.append(expr)

    for g in groups:
        if g.chamber:
            add(OutputSpec(f"p_{g.chamber}", "mmHg", f"{g.chamber} pressure"),
                f"p_{_ident(g.chamber)}")
    for e in elements:
        label = e.name
        for role in ("MV", "AV", "TV", "PV"):
            if roles.get(role) == e.name:
                label = role
        add(OutputSpec(f"Q_{label}", "mL/s", f"flow through {e.name}"), f"q_{_ident(e.name)}")
    if roles:
        add(OutputSpec("Q_VAD", "mL/s", "assist device flow (none in this model)"), "0.0 * t")
        add(OutputSpec("p_AO", "mmHg", "aortic pressure (downstream of the AV)"),
            pressure_expr[int(roles["AO"])])
        add(OutputSpec("p_AR_PUL", "mmHg", "pulmonary arterial pressure (downstream of the "
                       "PV)"), pressure_expr[int(roles["PA"])])
    lines.append("    return (" + ", ".join(names) + ",)")
    return tuple(outputs), lines


_HEADER = '''"""Generated by twinviewer.physiology.svzerod.model from an svZeroDSolver file.

Do not edit: regenerated whenever the configuration or the generator changes.
"""
import numpy as np

from twinviewer.physiology.jit import model_function

'''


def _module_source(b: _Builder, acts: tuple[list[str], int], body: list[str],
                   out_lines: list[str]) -> str:
    s_idx = {s.name: i for i, s in enumerate(b.states)}
    p_idx = {p.name: i for i, p in enumerate(b.params)}

    def fill(lines: list[str]) -> str:
        # Constant indices: numba folds them into the machine code.
        text = "\n".join([f"    period = 60.0 / p[{p_idx['HR']}]", *lines])
        for name, i in s_idx.items():
            text = text.replace(f"S['{name}']", str(i))
        for name, i in sorted(p_idx.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(f"I['{name}']", str(i))
        return text + "\n"

    act_lines, n_act = acts
    read = [f"    act{k} = a[{k}]" for k in range(n_act)]
    store = [f"    out[{k}] = act{k}" for k in range(n_act)]
    observe = act_lines + [ln for ln in body if "dydt[" not in ln] + out_lines
    return (_HEADER
            + "#: svZeroDSolver variable of each state (the state is in mmHg, mL, mL/s).\n"
            + f"SVZEROD_VARIABLES = {b.sv_names!r}\n"
            + f"N_DRIVERS = {n_act}\n\n\n"
            + "@model_function\ndef drivers(t, p, out):\n"
            + '    """Chamber activations: functions of the time within the beat only."""\n'
            + fill(act_lines + store) + "\n\n"
            + "@model_function\ndef rhs(t, y, p, dydt, a):\n" + fill(read + body) + "\n\n"
            + "@model_function\ndef observe(t, y, p):\n" + fill(observe))


def _load(source: str, digest: str):
    from twinviewer.physiology.kernels import cache_dir, load_generated_module

    name = f"twinviewer_svzerod_model_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    return load_generated_module(name, source, cache_dir().parent / "models")


#: ``kind`` of the model definition a twin stores for an imported svZeroDSolver model.
SOURCE_KIND = "svzerod"
#: Model name → the definition it was built from (see :func:`model_source`).
_SOURCES: dict[str, dict] = {}


def model_source(model: ModelSpec) -> dict | None:
    """The definition a twin stores so that it reopens anywhere: ``{'kind': 'svzerod',
    'units': …, 'config': …}`` for a model made by :func:`model_from_config` (the parsed
    configuration without its comments; never the file's name), else None.

    Examples
    --------
    >>> model_source(model)["kind"]  # doctest: +SKIP
    'svzerod'
    """
    return _SOURCES.get(model.name)


def model_from_source(source: Mapping, name: str) -> ModelSpec:
    """Rebuild the model a twin names from the definition it stores (:func:`model_source`)
    and register it in ``MODELS``.

    Raises
    ------
    ModelError
        If the definition is not an svZeroDSolver one, is malformed, or gives equations
        other than those of model ``name`` (a changed configuration is refused: the twin's
        results belong to the equations it was made with).
    """
    from twinviewer.physiology.presets import MODELS

    if not isinstance(source, Mapping) or source.get("kind") != SOURCE_KIND:
        kind = source.get("kind") if isinstance(source, Mapping) else type(source).__name__
        raise ModelError(f"this twin stores a model definition of kind {kind!r}; only "
                         f"{SOURCE_KIND!r} (an imported svZeroDSolver configuration) can be "
                         "rebuilt")
    config, units = source.get("config"), source.get("units", "SI")
    if not isinstance(config, Mapping) or units not in UNIT_SYSTEMS:
        raise ModelError(f"the svZeroDSolver configuration stored in this twin is malformed "
                         f"(config must be an object, units one of {sorted(UNIT_SYSTEMS)}; "
                         f"found units {units!r})")
    try:
        model = model_from_config(dict(config), units=units)
    except (SvZeroDConfigError, ValueError) as exc:
        raise ModelError(f"the svZeroDSolver configuration stored in this twin cannot be "
                         f"rebuilt: {exc}") from None
    if model.name != name:
        raise ModelError(
            f"the svZeroDSolver configuration stored in this twin gives model {model.name}, "
            f"not the {name} the twin was made with: the configuration was changed after "
            "the twin was saved. It will not be re-run with different equations.")
    MODELS[model.name] = model
    return model


def svzerod_variables(model: ModelSpec) -> dict[str, str]:
    """The svZeroDSolver variable (``Vc:LV``, ``pressure:AV:AR_SYS``...) of each state of a
    model made by :func:`model_from_config`.

    Examples
    --------
    >>> svzerod_variables(model)["V_LV"]  # doctest: +SKIP
    'Vc:LV'
    """
    module = sys.modules.get(getattr(model.rhs, "py_func", model.rhs).__module__)
    names = getattr(module, "SVZEROD_VARIABLES", None)
    if names is None:
        raise ValueError(f"model {model.name!r} was not imported from svZeroDSolver")
    return dict(names)


def model_from_config(config: SvZeroDConfig | Mapping | str | os.PathLike, *,
                      units: str = "SI", name: str | None = None) -> ModelSpec:
    """The :class:`ModelSpec` of an svZeroDSolver configuration.

    Parameters
    ----------
    config
        A configuration from :func:`.load_config`, or anything it accepts.
    units
        The file's unit system: ``'SI'`` (Pa, m³, s) or ``'cgs'`` (dyn/cm², mL, s).
    name
        Model name; default ``svzerod-<digest>``, a digest of the generated equations
        rather than the file name, which may identify a patient and would be kept in
        saved twins and reports.

    Returns
    -------
    ModelSpec
        States, parameters (clinical units, plausible range default ÷20 to ×20, log-normal
        prior with 10 % spread), outputs, and the clinical roles where the blocks allow.

    Examples
    --------
    >>> from twinviewer.physiology import simulate  # doctest: +SKIP
    >>> model = model_from_config("closed_loop_two_hill.json")  # doctest: +SKIP
    >>> simulate(model, model.default_vector()).summary("LVEF")  # doctest: +SKIP
    """
    cfg = config if isinstance(config, SvZeroDConfig) else load_config(config)
    b, acts, body, outputs, out_lines, cap_groups, roles = _generate(cfg, units)
    has_roles = any(o.name == "p_AO" for o in outputs)
    source = _module_source(b, acts, body, out_lines)
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    module = _load(source, digest)
    roles_text = "four-chamber roles" if has_roles else "no clinical roles"
    template = np.array(b.y0)
    names = [p.name for p in b.params]
    i_vol = names.index("V_total")
    cap_cols = [([s.name for s in b.states].index(s), [names.index(c) for c in cs])
                for s, cs in cap_groups]
    chamber_cols = [i for i, s in enumerate(b.states) if s.name.startswith("V_")]

    def conserved_volume(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
        Y, P = np.atleast_2d(Y), np.atleast_2d(P)
        vol = Y[:, chamber_cols].sum(axis=1)
        for col, cs in cap_cols:
            vol = vol + Y[:, col] * P[:, cs].sum(axis=1)
        return vol

    def set_volume(Y: np.ndarray, P: np.ndarray) -> np.ndarray:
        # Shift every capacitor pressure by one amount so the loop holds V_total.
        Y = np.array(np.atleast_2d(Y), dtype=float)
        P = np.atleast_2d(P)
        total_c = sum(P[:, cs].sum(axis=1) for _, cs in cap_cols)
        shift = (P[:, i_vol] - conserved_volume(Y, P)) / total_c
        for col, _ in cap_cols:
            Y[:, col] += shift
        return Y

    def initial_state(P: np.ndarray) -> np.ndarray:
        P = np.atleast_2d(P)
        return set_volume(np.tile(template, (P.shape[0], 1)), P)

    model = ModelSpec(
        name=name or f"svzerod-{digest[:10]}",
        version="1.0",
        title=f"svZeroDSolver model ({len(b.states)} states, {roles_text})",
        states=tuple(b.states),
        parameters=tuple(b.params),
        outputs=outputs,
        rhs=module.rhs,
        observe=module.observe,
        drivers=module.drivers,
        n_drivers=module.N_DRIVERS,
        initial_state=initial_state,
        conserved_volume=conserved_volume,
        set_volume=set_volume,
        assumptions=(
            "Imported from an svZeroDSolver configuration; the network's algebraic "
            "equations are eliminated exactly, so the states are the stored volumes and "
            "pressures and the inductor flows.",
            "Chamber activation timing is fixed as in the file; the heart rate parameter "
            "sets the beat length.",
            "Clinical metrics are available only when the chambers LA, LV, RA, RV and "
            "their four valves are present." if not has_roles else
            "Chambers LA, LV, RA, RV and their valves give the clinical metrics.",
        ),
        context_of_use="As the imported configuration; research use only.",
        references=("Menon K et al. svZeroDSolver, SimVascular (BSD-3).",),
        roles=roles,
    )
    _SOURCES[model.name] = {"kind": SOURCE_KIND, "units": units,
                            "config": {k: v for k, v in cfg.raw.items() if not _is_comment(k)}}
    return model
