"""Run an imported svZeroDSolver model and lay out its results like svZeroDSolver does.

Time stepping copies svZeroDSolver (``src/solve/Solver.cpp``, ``src/algebra/Integrator.cpp``):
``(pts - 1) * cycles`` generalized-alpha steps of ``period / (pts - 1)`` (spectral radius
``rho_infty``, default 0.5), a Newton loop stopped when ``max |residual| < absolute_tolerance``,
an optional steady start (31 steps of ``period / 10`` with tables at their mean and RCR
capacitances at zero; refused for closed-loop blocks), and output of the last cycle or of
every step.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping

import numpy as np

from twinviewer.core import units
from twinviewer.physiology.svzerod import kernel
from twinviewer.physiology.svzerod.config import SvZeroDConfig, load_config
from twinviewer.physiology.svzerod.errors import SvZeroDConfigError, SvZeroDSolveError
from twinviewer.physiology.svzerod.network import Network, ParameterTable, build_network

_VESSEL_FIELDS = ("flow_in", "flow_out", "pressure_in", "pressure_out")


def _initial_state(config: SvZeroDConfig, net: Network) -> tuple[np.ndarray, np.ndarray]:
    y = np.zeros(net.size)
    yd = np.zeros(net.size)
    ic = dict(config.initial_condition)
    p_all = ic.pop("pressure_all", None)
    q_all = ic.pop("flow_all", None)
    known = {name: i for i, name in enumerate(net.variables)}
    for section, values in (("initial_condition", ic),
                            ("initial_condition_d", config.initial_condition_d)):
        unknown = sorted(set(values) - set(known))
        if unknown:
            hint = difflib.get_close_matches(unknown[0], list(known), n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise SvZeroDConfigError(f"{config.source}: {section}: {unknown[0]!r} is not a "
                                     f"variable of this model{extra}")
    for name, i in known.items():
        if name in ic:
            y[i] = ic[name]
        elif p_all is not None and (name.startswith("pressure:") or name.startswith("P_c:")):
            y[i] = p_all
        elif q_all is not None and name.startswith("flow:"):
            y[i] = q_all
        yd[i] = config.initial_condition_d.get(name, 0.0)
    return y, yd


def _run(net: Network, params: ParameterTable, y: np.ndarray, yd: np.ndarray,
         step_times: np.ndarray, dt: float, store: np.ndarray, sim, source: str
         ) -> np.ndarray:
    out = np.empty((int(np.count_nonzero(store)), net.size))
    status, step, _ = kernel.integrate(
        y, yd, step_times, dt, store, out, sim.rho_infty, sim.absolute_tolerance,
        sim.maximum_nonlinear_iterations, net.period, *params.arrays(), *net.block_arrays())
    if status != kernel.STATUS_OK:
        t = step_times[step] + dt
        what = {
            kernel.STATUS_NOT_CONVERGED:
                f"Newton did not converge within {sim.maximum_nonlinear_iterations} "
                f"iterations (absolute_tolerance {sim.absolute_tolerance:g})",
            kernel.STATUS_NOT_FINITE: "the residual became NaN or infinite",
            kernel.STATUS_SINGULAR: "the system matrix is singular; check connections, "
                                    "boundary conditions and parameters",
        }[status]
        raise SvZeroDSolveError(f"{source}: time step ending at t = {t:.6g}: {what}")
    return out


def simulate(config: SvZeroDConfig | Mapping | str | os.PathLike, *,
             variable_based: bool | None = None) -> dict[str, np.ndarray]:
    """Simulate an svZeroDSolver model and return its results.

    Parameters
    ----------
    config : SvZeroDConfig, dict or path
        A configuration from :func:`load_config`, or anything it accepts.
    variable_based : bool, optional
        Output every variable (``flow:A:B``, ``pressure:A:B``, ``Vc:LV``, ...) rather
        than per-vessel ``flow_in``/``flow_out``/``pressure_in``/``pressure_out``. Default:
        the file's ``output_variable_based``.

    Returns
    -------
    dict of str to (n_times,) ndarray
        ``'time'`` plus one array per variable, in svZeroDSolver's order and in the file's
        units. Vessel-based keys read ``'flow_in:<vessel>'``. Times start at 0 unless
        ``output_all_cycles`` is set (as in svZeroDSolver).

    Raises
    ------
    SvZeroDConfigError
        Invalid configuration (see :func:`load_config`) or unknown initial-condition name.
    SvZeroDSolveError
        Newton failure, singular system or non-finite values; the message gives the time.

    Examples
    --------
    >>> cfg = {"simulation_parameters": {"number_of_cardiac_cycles": 2,
    ...     "number_of_time_pts_per_cardiac_cycle": 11},
    ...     "boundary_conditions": [
    ...     {"bc_name": "IN", "bc_type": "FLOW", "bc_values": {"Q": 5.0}},
    ...     {"bc_name": "OUT", "bc_type": "RESISTANCE", "bc_values": {"R": 10.0, "Pd": 0.0}}],
    ...     "vessels": [{"vessel_id": 0, "vessel_name": "v0",
    ...     "zero_d_element_type": "BloodVessel",
    ...     "zero_d_element_values": {"R_poiseuille": 2.0},
    ...     "boundary_conditions": {"inlet": "IN", "outlet": "OUT"}}]}
    >>> res = simulate(cfg)
    >>> round(float(res["pressure_in:v0"][-1]), 6)  # 5 * (2 + 10)
    60.0
    """
    cfg = config if isinstance(config, SvZeroDConfig) else load_config(config)
    sim = cfg.simulation
    net = build_network(cfg)
    y, yd = _initial_state(cfg, net)
    period = cfg.cardiac_period

    if sim.steady_initial:
        dt_s = period / 10.0
        steps = dt_s * np.arange(31, dtype=float)
        _run(net, net.steady_params, y, yd, steps, dt_s, np.zeros(31, dtype=np.bool_), sim,
             cfg.source)

    pts = sim.number_of_time_pts_per_cardiac_cycle
    n_time = (pts - 1) * sim.number_of_cardiac_cycles + 1
    dt = period / (pts - 1.0)
    start_last = n_time - pts
    # Which steps are stored (svZeroDSolver's output_interval / last-cycle rule).
    store = np.zeros(n_time - 1, dtype=np.bool_)
    counter = 0
    for i in range(1, n_time):
        counter += 1
        if counter == sim.output_interval or (not sim.output_all_cycles and i == start_last):
            if sim.output_all_cycles or i >= start_last:
                store[i - 1] = True
            counter = 0
    keep_initial = sim.output_all_cycles or start_last <= 0
    y_init = y.copy()
    steps = dt * np.arange(n_time - 1, dtype=float)
    states = _run(net, net.params, y, yd, steps, dt, store, sim, cfg.source)
    times = dt * (np.flatnonzero(store) + 1.0)
    if keep_initial:
        states = np.vstack([y_init[None, :], states])
        times = np.concatenate([[0.0], times])
    if not sim.output_all_cycles and times.size:
        times = times - times[0]

    result: dict[str, np.ndarray] = {"time": times}
    if sim.output_variable_based if variable_based is None else variable_based:
        for i, name in enumerate(net.variables):
            result[name] = states[:, i].copy()
    else:
        for vessel, dofs in net.vessels.items():
            for field, i in zip(_VESSEL_FIELDS, dofs, strict=True):
                result[f"{field}:{vessel}"] = states[:, i].copy()
    return result


def to_dataframe_like(result: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Re-shape a :func:`simulate` result into svZeroDSolver's long table.

    Returns the columns of svZeroDSolver's CSV/DataFrame output: ``name, time, y`` for
    variable-based results, or ``name, time, flow_in, flow_out, pressure_in, pressure_out``
    for vessel-based ones (rows grouped by variable or vessel, then time). Pass it to
    ``pandas.DataFrame`` if pandas is at hand.
    """
    time = np.asarray(result["time"])
    keys = [k for k in result if k != "time"]
    vessel_based = bool(keys) and all(k.split(":", 1)[0] in _VESSEL_FIELDS for k in keys)
    if not vessel_based:
        return {"name": np.repeat(np.array(keys, dtype=object), time.size),
                "time": np.tile(time, len(keys)),
                "y": np.concatenate([np.asarray(result[k]) for k in keys]) if keys
                else np.zeros(0)}
    vessels = list(dict.fromkeys(k.split(":", 1)[1] for k in keys))
    cols: dict[str, np.ndarray] = {
        "name": np.repeat(np.array(vessels, dtype=object), time.size),
        "time": np.tile(time, len(vessels)),
    }
    for field in _VESSEL_FIELDS:
        cols[field] = np.concatenate([np.asarray(result[f"{field}:{v}"]) for v in vessels])
    return cols


# Variable kinds by the prefix before the first ':'.
_PRESSURE = {"pressure", "pressure_c", "P_c", "P_RV", "P_pul", "P_LA", "P_LV",
             "pressure_in", "pressure_out"}
_FLOW = {"flow", "Q_RA", "Q_RV", "Q_LA", "Q_LV", "flow_in", "flow_out"}
_VOLUME = {"Vc", "V_RA", "V_RV", "V_LA", "V_LV"}
_DIMENSIONLESS = {"valve_status"}
_SYSTEMS = {
    "SI": {"pressure": "Pa", "flow": "m^3/s", "volume": "m^3"},
    "cgs": {"pressure": "dyn/cm^2", "flow": "mL/s", "volume": "mL"},
}


def to_clinical_units(result: Mapping[str, np.ndarray], source_units: str = "SI"
                      ) -> dict[str, np.ndarray]:
    """Convert a result to TwinViewer's convention: mmHg, mL, mL/s, s.

    Parameters
    ----------
    result : dict
        Output of :func:`simulate` (variable- or vessel-based).
    source_units : {'SI', 'cgs'}, default: 'SI'
        Units of the configuration: SI (Pa, m^3, m^3/s; e.g. the Regazzoni
        ``closed_loop_two_hill`` case) or cgs (dyn/cm^2, mL, mL/s).

    Returns
    -------
    dict
        Same keys; pressures in mmHg, volumes in mL, flows in mL/s, time in s,
        ``valve_status`` unchanged.

    Examples
    --------
    >>> out = to_clinical_units({"time": np.array([0.0]), "pressure:LV:AV": np.array([13332.2])})
    >>> round(float(out["pressure:LV:AV"][0]), 3)
    100.0
    """
    if source_units not in _SYSTEMS:
        raise ValueError(f"source_units must be one of {sorted(_SYSTEMS)}, got "
                         f"{source_units!r}")
    system = _SYSTEMS[source_units]
    out: dict[str, np.ndarray] = {}
    for key, values in result.items():
        arr = np.asarray(values, dtype=float)
        if key == "time":
            out[key] = arr.copy()
            continue
        kind = key.split(":", 1)[0]
        if kind in _PRESSURE:
            out[key] = units.convert(arr, system["pressure"], "mmHg")
        elif kind in _FLOW:
            out[key] = units.convert(arr, system["flow"], "mL/s")
        elif kind in _VOLUME:
            out[key] = units.convert(arr, system["volume"], "mL")
        elif kind in _DIMENSIONLESS:
            out[key] = arr.copy()
        else:
            raise ValueError(f"result variable {key!r} has no known physical kind")
    return out
