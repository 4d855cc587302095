"""Turn a validated configuration into the flat arrays the kernel integrates.

Degrees of freedom follow svZeroDSolver's DOF handler: one node per connection
(``flow:A:B`` then ``pressure:A:B``, in connection order), then each block's internal
variables (``Vc:LV``, ``pressure_c:OUT``, ...) in block order. The output therefore lists
variables in the same order as svZeroDSolver's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinviewer.physiology.svzerod import blocks as bt
from twinviewer.physiology.svzerod.config import SvZeroDConfig
from twinviewer.physiology.svzerod.kernel import two_hill_normalisation


@dataclass
class ParameterTable:
    """All block parameters: constants and periodic tables, in kernel layout."""

    is_table: np.ndarray  # (n_params,) bool
    const: np.ndarray  # (n_params,) value of constant parameters
    tab_ptr: np.ndarray  # (n_params + 1,) offsets into tab_t / tab_v
    tab_t: np.ndarray
    tab_v: np.ndarray

    def arrays(self) -> tuple[np.ndarray, ...]:
        return self.is_table, self.const, self.tab_ptr, self.tab_t, self.tab_v


@dataclass
class Network:
    """The assembled DAE: variables, block wiring and parameters.

    Attributes
    ----------
    variables : list of str
        Variable names in svZeroDSolver's order.
    vessels : dict
        ``name -> (inflow, outflow, inlet pressure, outlet pressure)`` variable indices for
        each BloodVessel (svZeroDSolver's vessel-based output).
    params, steady_params : ParameterTable
        Parameters, and their steady version (tables replaced by their mean, RCR
        capacitance set to zero) used for the steady initial condition.
    """

    variables: list[str]
    btype: np.ndarray
    bvar_ptr: np.ndarray
    bvars: np.ndarray
    beq_ptr: np.ndarray
    beqs: np.ndarray
    bpar_ptr: np.ndarray
    bpars: np.ndarray
    bnin: np.ndarray
    params: ParameterTable
    steady_params: ParameterTable
    vessels: dict[str, tuple[int, int, int, int]]
    period: float

    @property
    def size(self) -> int:
        return len(self.variables)

    def block_arrays(self) -> tuple[np.ndarray, ...]:
        return (self.btype, self.bvar_ptr, self.bvars, self.beq_ptr, self.beqs,
                self.bpar_ptr, self.bpars, self.bnin)


class _ParamBuilder:
    def __init__(self) -> None:
        self.values: list[float | tuple[np.ndarray, np.ndarray]] = []
        self.steady: list[float | tuple[np.ndarray, np.ndarray]] = []

    def add(self, value, steady_value=None) -> int:
        self.values.append(value)
        if steady_value is None:
            steady_value = float(np.mean(value[1])) if isinstance(value, tuple) else value
        self.steady.append(steady_value)
        return len(self.values) - 1

    @staticmethod
    def _table(values) -> ParameterTable:
        n = len(values)
        is_table = np.zeros(n, dtype=np.bool_)
        const = np.zeros(n)
        ptr = np.zeros(n + 1, dtype=np.int64)
        ts: list[np.ndarray] = []
        vs: list[np.ndarray] = []
        for k, val in enumerate(values):
            if isinstance(val, tuple):
                is_table[k] = True
                ts.append(np.asarray(val[0], dtype=float))
                vs.append(np.asarray(val[1], dtype=float))
                ptr[k + 1] = ptr[k] + len(val[0])
            else:
                const[k] = float(val)
                ptr[k + 1] = ptr[k]
        tab_t = np.concatenate(ts) if ts else np.zeros(0)
        tab_v = np.concatenate(vs) if vs else np.zeros(0)
        return ParameterTable(is_table, const, ptr, tab_t, tab_v)

    def tables(self) -> tuple[ParameterTable, ParameterTable]:
        return self._table(self.values), self._table(self.steady)


def build_network(config: SvZeroDConfig) -> Network:
    """Number the variables and equations and lay out the parameters of ``config``."""
    index = {b.name: k for k, b in enumerate(config.blocks)}
    inlets: list[list[tuple[int, int]]] = [[] for _ in config.blocks]
    outlets: list[list[tuple[int, int]]] = [[] for _ in config.blocks]
    variables: list[str] = []
    for up, down in config.connections:
        node = f"{up}:{down}"
        q = len(variables)
        variables += [f"flow:{node}", f"pressure:{node}"]
        outlets[index[up]].append((q + 1, q))  # (pressure, flow)
        inlets[index[down]].append((q + 1, q))

    pb = _ParamBuilder()
    btype, bvars, beqs, bpars, bnin = [], [], [], [], []
    bvar_ptr, beq_ptr, bpar_ptr = [0], [0], [0]
    n_eq = 0
    vessels: dict[str, tuple[int, int, int, int]] = {}
    for k, block in enumerate(config.blocks):
        spec = block.spec
        var_ids = [i for pq in inlets[k] + outlets[k] for i in pq]
        for name in spec.internal_vars:
            var_ids.append(len(variables))
            variables.append(f"{name}:{block.name}")
        n_conn = len(inlets[k]) + len(outlets[k])
        n_equations = spec.n_equations if spec.n_equations is not None else n_conn
        eq_ids = list(range(n_eq, n_eq + n_equations))
        n_eq += n_equations
        par_ids = []
        for pname in spec.param_names:
            value = block.params[pname]
            steady = None
            if spec.code == bt.RCR_BC and pname == "C":
                steady = 0.0  # svZeroDSolver's steady start drops the Windkessel capacitance
            par_ids.append(pb.add(value, steady))
        if block.activation is not None:
            par_ids.append(_add_activation(pb, block.activation, config.cardiac_period))
        btype.append(spec.code)
        bnin.append(len(inlets[k]))
        bvars += var_ids
        beqs += eq_ids
        bpars += par_ids
        bvar_ptr.append(len(bvars))
        beq_ptr.append(len(beqs))
        bpar_ptr.append(len(bpars))
        if spec.code == bt.BLOOD_VESSEL:
            (p_in, q_in), (p_out, q_out) = inlets[k][0], outlets[k][0]
            vessels[block.name] = (q_in, q_out, p_in, p_out)
    if n_eq != len(variables):
        # Cannot happen for validated configurations; guard against catalogue mistakes.
        raise RuntimeError(f"{config.source}: {n_eq} equations for {len(variables)} unknowns")
    params, steady = pb.tables()
    as_int = lambda xs: np.asarray(xs, dtype=np.int64)  # noqa: E731
    return Network(variables=variables, btype=as_int(btype), bvar_ptr=as_int(bvar_ptr),
                   bvars=as_int(bvars), beq_ptr=as_int(beq_ptr), beqs=as_int(beqs),
                   bpar_ptr=as_int(bpar_ptr), bpars=as_int(bpars), bnin=as_int(bnin),
                   params=params, steady_params=steady, vessels=vessels,
                   period=config.cardiac_period)


def _add_activation(pb: _ParamBuilder, activation: tuple[str, dict[str, float]],
                    period: float) -> int:
    """Activation slots: type code, up to five parameters, normalisation; returns the first."""
    kind, values = activation
    code, names = bt.ACTIVATIONS[kind]
    slots = [float(code)] + [values[n] for n in names]
    slots += [0.0] * (bt.N_ACTIVATION_SLOTS - 1 - len(slots))
    norm = 1.0
    if code == bt.TWO_HILL:
        norm = two_hill_normalisation(values["tau_1"], values["tau_2"], values["m1"],
                                      values["m2"], period)
    slots.append(norm)
    first = pb.add(slots[0])
    for s in slots[1:]:
        pb.add(s)
    return first
