"""Catalogue of the svZeroDSolver block types this importer understands.

Each entry states the JSON parameter names in the order the kernel reads them, which of them
are optional (with svZeroDSolver's default), whether a parameter may be a periodic ``t``/value
table, the number of equations and the internal variables the block adds. The equations
themselves live in :mod:`.kernel`; they follow svZeroDSolver's ``src/model/*.cpp`` (BSD-3)
row by row, so the Newton residual, and hence the converged answer, is the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Kernel type codes.
BLOOD_VESSEL = 0
BLOOD_VESSEL_CRL = 1
JUNCTION = 2
FLOW_BC = 3
PRESSURE_BC = 4
RESISTANCE_BC = 5
RCR_BC = 6
CLOSED_LOOP_RCR_BC = 7
CLOSED_LOOP_HEART = 8
VALVE_TANH = 9
PIECEWISE_VALVE = 10
CHAMBER_ELASTANCE_INDUCTOR = 11
LINEAR_ELASTANCE_CHAMBER = 12

REQUIRED = None  # marker: parameter has no default


@dataclass(frozen=True)
class BlockSpec:
    """Static description of one block type."""

    type_name: str
    code: int
    params: tuple[tuple[str, float | None], ...]  # (name, default or REQUIRED)
    n_equations: int | None  # None: depends on the number of connections (junction)
    internal_vars: tuple[str, ...] = ()
    # Parameters that may be periodic t/value tables (as in svZeroDSolver 3.2: FLOW, PRESSURE).
    table_params: frozenset[str] = field(default_factory=frozenset)
    extra_keys: frozenset[str] = field(default_factory=frozenset)  # non-numeric keys allowed
    n_inlets: int | None = 1  # None: one or more
    n_outlets: int | None = 1

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.params)


_VESSEL_PARAMS = (("R_poiseuille", REQUIRED), ("C", 0.0), ("L", 0.0),
                  ("stenosis_coefficient", 0.0))

_CLH_PARAMS = tuple((name, REQUIRED) for name in (
    "Tsa", "tpwave", "Erv_s", "Elv_s", "iml", "imr", "Lrv_a", "Rrv_a", "Lra_v", "Rra_v",
    "Lla_v", "Rla_v", "Rlv_ao", "Llv_a", "Vrv_u", "Vlv_u", "Rpd", "Cp", "Cpa", "Kxp_ra",
    "Kxv_ra", "Emax_ra", "Vaso_ra", "Kxp_la", "Kxv_la", "Emax_la", "Vaso_la"))

VESSELS: dict[str, BlockSpec] = {
    "BloodVessel": BlockSpec("BloodVessel", BLOOD_VESSEL, _VESSEL_PARAMS, 2),
    "BloodVesselCRL": BlockSpec("BloodVesselCRL", BLOOD_VESSEL_CRL, _VESSEL_PARAMS, 2),
}

BOUNDARY_CONDITIONS: dict[str, BlockSpec] = {
    "FLOW": BlockSpec("FLOW", FLOW_BC, (("Q", REQUIRED),), 1,
                      table_params=frozenset({"Q"}), n_inlets=None, n_outlets=None),
    "PRESSURE": BlockSpec("PRESSURE", PRESSURE_BC, (("P", REQUIRED),), 1,
                          table_params=frozenset({"P"}), n_inlets=None, n_outlets=None),
    "RESISTANCE": BlockSpec("RESISTANCE", RESISTANCE_BC, (("R", REQUIRED), ("Pd", REQUIRED)), 1,
                            n_inlets=None, n_outlets=None),
    "RCR": BlockSpec("RCR", RCR_BC, (("Rp", REQUIRED), ("C", REQUIRED), ("Rd", REQUIRED),
                                     ("Pd", 0.0)), 2, ("pressure_c",), n_inlets=None,
                     n_outlets=None),
    "ClosedLoopRCR": BlockSpec("ClosedLoopRCR", CLOSED_LOOP_RCR_BC,
                               (("Rp", REQUIRED), ("C", REQUIRED), ("Rd", REQUIRED)), 3,
                               ("P_c",), extra_keys=frozenset({"closed_loop_outlet"})),
}

JUNCTIONS: dict[str, BlockSpec] = {
    "NORMAL_JUNCTION": BlockSpec("NORMAL_JUNCTION", JUNCTION, (), None, n_inlets=None,
                                 n_outlets=None),
}

CLOSED_LOOP: dict[str, BlockSpec] = {
    "ClosedLoopHeartAndPulmonary": BlockSpec(
        "ClosedLoopHeartAndPulmonary", CLOSED_LOOP_HEART, _CLH_PARAMS, 14,
        ("V_RA", "Q_RA", "P_RV", "V_RV", "Q_RV", "P_pul", "P_LA", "V_LA", "Q_LA", "P_LV",
         "V_LV", "Q_LV")),
}

_VALVE_KEYS = frozenset({"upstream_block", "downstream_block"})
VALVES: dict[str, BlockSpec] = {
    "ValveTanh": BlockSpec("ValveTanh", VALVE_TANH,
                           (("Rmin", REQUIRED), ("Rmax", REQUIRED), ("Steepness", REQUIRED)), 3,
                           ("valve_status",), extra_keys=_VALVE_KEYS),
    "PiecewiseValve": BlockSpec("PiecewiseValve", PIECEWISE_VALVE,
                                (("Rmin", REQUIRED), ("Rmax", REQUIRED)), 2,
                                extra_keys=_VALVE_KEYS),
}

CHAMBERS: dict[str, BlockSpec] = {
    "ChamberElastanceInductor": BlockSpec(
        "ChamberElastanceInductor", CHAMBER_ELASTANCE_INDUCTOR,
        (("Emax", REQUIRED), ("Emin", REQUIRED), ("Vrd", REQUIRED), ("Vrs", REQUIRED),
         ("Impedance", REQUIRED)), 3, ("Vc",)),
    "LinearElastanceChamber": BlockSpec(
        "LinearElastanceChamber", LINEAR_ELASTANCE_CHAMBER,
        (("Emax", REQUIRED), ("Epass", REQUIRED), ("Vrest", REQUIRED)), 3, ("Vc",)),
}

# Activation functions of chambers: kernel code and parameter names (all required).
HALF_COSINE = 1
PIECEWISE_COSINE = 2
TWO_HILL = 3
ACTIVATIONS: dict[str, tuple[int, tuple[str, ...]]] = {
    "half_cosine": (HALF_COSINE, ("t_active", "t_twitch")),
    "piecewise_cosine": (PIECEWISE_COSINE, ("contract_start", "relax_start",
                                            "contract_duration", "relax_duration")),
    "two_hill": (TWO_HILL, ("t_shift", "tau_1", "tau_2", "m1", "m2")),
}
N_ACTIVATION_SLOTS = 7  # type code, up to five parameters, normalisation factor


def supported_types() -> dict[str, tuple[str, ...]]:
    """Block types understood, by configuration section."""
    return {
        "vessels": tuple(VESSELS),
        "boundary_conditions": tuple(BOUNDARY_CONDITIONS),
        "junctions": tuple(JUNCTIONS),
        "closed_loop_blocks": tuple(CLOSED_LOOP),
        "valves": tuple(VALVES),
        "chambers": tuple(CHAMBERS),
    }
