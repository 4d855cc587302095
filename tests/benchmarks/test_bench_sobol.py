"""Benchmark: Sobol indices of 8 outputs over 10 parameters, N = 1024 (12,288 runs).

Side by side on the same case, svZeroDSolver's ``closed_loop_two_hill`` (Regazzoni-type
loop, 87 bpm, SI units):

* TwinViewer: :func:`twinviewer.explain.sobol.saltelli` driving the ensemble engine on the
  Regazzoni model with the case's elastances, resistances, compliances, inertances, valve
  resistances, unstressed volumes, heart rate, activation onsets and blood volume
  (converted to mL / mmHg / s); every member runs to its periodic state, warm-started from
  the nominal beat (each AB_i row from its A row's beat); as in svzerod, where every run
  starts from the file's initial pressures, the blood volume follows the sampled
  compliances.
* Peer: SALib's same Saltelli design driving ``svzerod.Solver`` on the JSON case (8 beats
  at 150 points per beat, last beat analysed; ``Solver.run`` without the DataFrame).

The two use different activation shapes (cosine vs two-Hill), so indices are compared by
their ranking, not by value. The full peer run would take ~10 min; it is timed on a
complete smaller Saltelli design (N = 64, 768 runs, which also gives its indices) and
extrapolated per run to 12,288 runs, and the printout says so. Set TWINVIEWER_BENCH_FULL=1
to run the peer on all 12,288.

Run: ``pytest tests/benchmarks/test_bench_sobol.py --benchmark-enable -s``.
"""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from twinviewer.core.units import MMHG_TO_PA
from twinviewer.explain.sobol import model_evaluator, saltelli
from twinviewer.physiology import regazzoni, simulate

svzerod = pytest.importorskip("svzerod")

CASE = Path(__file__).resolve().parents[1] / "data" / "svzerodsolver" / "cases" / \
    "closed_loop_two_hill.json"
OUTPUTS = ["LVEDV", "LVESV", "LVSV", "LVEF", "CO", "SBP", "DBP", "MAP"]
N_BASE = 1024
N_PEER = 64
BEATS_PEER = 8
POINTS_PEER = 150
SPREAD = 0.2  # each parameter uniform on nominal × (1 ± 20 %)

R_SI = MMHG_TO_PA * 1e6     # Pa·s/m³ per mmHg·s/mL (also elastance, inertance)
C_SI = 1e-6 / MMHG_TO_PA    # m³/Pa per mL/mmHg

# TwinViewer parameter → (where in the svzerod JSON, factor SI per clinical unit)
PARAMETERS = {
    "LV.EA": (("chambers", "LV", "Emax"), R_SI),
    "LV.EB": (("chambers", "LV", "Epass"), R_SI),
    "RV.EA": (("chambers", "RV", "Emax"), R_SI),
    "RV.EB": (("chambers", "RV", "Epass"), R_SI),
    "SYS.R_AR": (("vessels", "AR_SYS", "R_poiseuille"), R_SI),
    "SYS.C_AR": (("vessels", "AR_SYS", "C"), C_SI),
    "SYS.R_VEN": (("vessels", "VEN_SYS", "R_poiseuille"), R_SI),
    "SYS.C_VEN": (("vessels", "VEN_SYS", "C"), C_SI),
    "PUL.R_AR": (("vessels", "AR_PUL", "R_poiseuille"), R_SI),
    "PUL.C_AR": (("vessels", "AR_PUL", "C"), C_SI),
}


def _case() -> dict:
    cfg = json.loads(CASE.read_text())
    sim = cfg["simulation_parameters"]
    sim["number_of_cardiac_cycles"] = BEATS_PEER
    sim["number_of_time_pts_per_cardiac_cycle"] = POINTS_PEER
    return cfg


def _slot(cfg: dict, where: tuple[str, str, str]) -> tuple[dict, str]:
    section, name, key = where
    if section == "chambers":
        block = next(c for c in cfg["chambers"] if c["name"] == name)
        return block["values"], key
    block = next(v for v in cfg["vessels"] if v["vessel_name"] == name)
    return block["zero_d_element_values"], key


def twinviewer_base(cfg: dict) -> np.ndarray:
    """The case in the Regazzoni model's parameters and units."""
    m = regazzoni.MODEL
    p = m.default_vector()
    period = cfg["simulation_parameters"]["cardiac_period"]
    p[m.index("HR")] = 60.0 / period
    for name, (where, factor) in PARAMETERS.items():
        d, k = _slot(cfg, where)
        p[m.index(name)] = d[k] / factor
    for ch in cfg["chambers"]:
        n = ch["name"]
        p[m.index(f"{n}.EA")] = ch["values"]["Emax"] / R_SI
        p[m.index(f"{n}.EB")] = ch["values"]["Epass"] / R_SI
        p[m.index(f"{n}.V0")] = ch["values"]["Vrest"] * 1e6
        p[m.index(f"{n}.tC")] = ch["activation_function"]["t_shift"]
        # cosine durations of the 75 bpm model, scaled to this beat
        for key in ("TC", "TR"):
            p[m.index(f"{n}.{key}")] *= period / 0.8
    for v in cfg["vessels"]:
        prefix = {"AR_SYS": "SYS.", "VEN_SYS": "SYS.", "AR_PUL": "PUL.", "VEN_PUL": "PUL."}
        suffix = "_AR" if v["vessel_name"].startswith("AR") else "_VEN"
        vals = v["zero_d_element_values"]
        base = prefix[v["vessel_name"]]
        p[m.index(f"{base}R{suffix}")] = vals["R_poiseuille"] / R_SI
        p[m.index(f"{base}C{suffix}")] = vals["C"] / C_SI
        p[m.index(f"{base}L{suffix}")] = vals["L"] / R_SI
    for valve in cfg["valves"]:
        p[m.index(f"{valve['name']}.Rmin")] = valve["params"]["Rmin"] / R_SI
        p[m.index(f"{valve['name']}.Rmax")] = valve["params"]["Rmax"] / R_SI
    # Blood volume of the case's initial state: chambers plus C·p of each vessel (its
    # capacitor sits at the vessel inlet in BloodVesselCRL).
    ic = cfg["initial_condition"]
    inlet = {"AR_SYS": "pressure:AV:AR_SYS", "VEN_SYS": "pressure:AR_SYS:J0",
             "AR_PUL": "pressure:PV:AR_PUL", "VEN_PUL": "pressure:AR_PUL:J2"}
    vol = sum(ic[f"Vc:{c}"] for c in ("LA", "LV", "RA", "RV"))
    vol += sum(v["zero_d_element_values"]["C"] * ic[inlet[v["vessel_name"]]]
               for v in cfg["vessels"])
    p[m.index("V_total")] = vol * 1e6
    return p


def blood_volume(cfg: dict):
    """svzerod starts every run from the file's initial pressures, so a sample with another
    compliance holds another blood volume (V = V_chambers + Σ C·p0). The same must hold in
    TwinViewer, whose V_total is a parameter: ``derived(P)`` sets it per member."""
    m = regazzoni.MODEL
    ic = cfg["initial_condition"]
    chambers = sum(ic[f"Vc:{c}"] for c in ("LA", "LV", "RA", "RV")) * 1e6
    p0 = {name: ic[key] / MMHG_TO_PA for name, key in (
        ("SYS.C_AR", "pressure:AV:AR_SYS"), ("SYS.C_VEN", "pressure:AR_SYS:J0"),
        ("PUL.C_AR", "pressure:PV:AR_PUL"), ("PUL.C_VEN", "pressure:AR_PUL:J2"))}
    cols = {name: m.index(name) for name in p0}
    iv = m.index("V_total")

    def derived(P: np.ndarray) -> None:
        P[:, iv] = chambers + sum(P[:, cols[n]] * p0[n] for n in p0)

    return derived


def svzerod_evaluator(cfg: dict):
    names = list(PARAMETERS)
    hr = 60.0 / cfg["simulation_parameters"]["cardiac_period"]

    def evaluate(X: np.ndarray) -> dict[str, np.ndarray]:
        out = {o: np.full(X.shape[0], np.nan) for o in OUTPUTS}
        for i, row in enumerate(X):
            c = copy.deepcopy(cfg)
            for name, value in zip(names, row, strict=True):
                where, factor = PARAMETERS[name]
                d, k = _slot(c, where)
                d[k] = value * factor
            try:
                solver = svzerod.Solver(c)
                solver.run()
            except RuntimeError:
                continue
            v = np.asarray(solver.get_single_result("Vc:LV")) * 1e6
            pa = np.asarray(solver.get_single_result("pressure:AV:AR_SYS")) / MMHG_TO_PA
            edv, esv = v.max(), v.min()
            out["LVEDV"][i], out["LVESV"][i], out["LVSV"][i] = edv, esv, edv - esv
            out["LVEF"][i] = 100 * (edv - esv) / edv
            out["CO"][i] = (edv - esv) * hr / 1000.0
            out["SBP"][i], out["DBP"][i], out["MAP"][i] = pa.max(), pa.min(), pa[:-1].mean()
        return out

    return evaluate


def _ranking_table(res) -> dict[str, list[str]]:
    return {o: [r[0] for r in res[o].ranked(3)] for o in OUTPUTS}


def test_sobol_twinviewer_vs_salib_svzerod(benchmark):
    cfg = _case()
    model = regazzoni.MODEL
    base = twinviewer_base(cfg)
    names = list(PARAMETERS)
    bounds = [(base[model.index(n)] * (1 - SPREAD), base[model.index(n)] * (1 + SPREAD))
              for n in names]
    nominal = simulate(model, base)
    assert nominal.ok[0], nominal.messages[0]
    peer_eval = svzerod_evaluator(cfg)
    peer_nominal = peer_eval(base[[model.index(n) for n in names]][None, :])
    ours_eval = model_evaluator(model, base, names, warm_start=nominal.final_state[0],
                                block=len(names) + 2, derived=blood_volume(cfg))

    t0 = time.perf_counter()
    ours = saltelli(ours_eval, names, bounds, OUTPUTS, N_BASE)
    t_ours = time.perf_counter() - t0
    n_runs = N_BASE * (len(names) + 2)

    full = os.environ.get("TWINVIEWER_BENCH_FULL") == "1"
    n_peer = N_BASE if full else N_PEER
    t0 = time.perf_counter()
    peer = saltelli(peer_eval, names, [tuple(b) for b in bounds], OUTPUTS, n_peer)
    t_peer_part = time.perf_counter() - t0
    peer_runs = n_peer * (len(names) + 2)
    t_peer = t_peer_part * n_runs / peer_runs
    ratio = t_peer / t_ours

    ours_rank, peer_rank = _ranking_table(ours), _ranking_table(peer)
    same_top = sum(ours_rank[o][0] == peer_rank[o][0] for o in OUTPUTS)
    print(f"\nSobol, {len(OUTPUTS)} outputs × {len(names)} parameters, N = {N_BASE} "
          f"({n_runs} runs):")
    print(f"  nominal LVEDV/LVESV, SBP/DBP: TwinViewer {nominal.metrics['LVEDV'][0]:.1f}/"
          f"{nominal.metrics['LVESV'][0]:.1f} mL, {nominal.metrics['SBP'][0]:.1f}/"
          f"{nominal.metrics['DBP'][0]:.1f} mmHg; svzerod {peer_nominal['LVEDV'][0]:.1f}/"
          f"{peer_nominal['LVESV'][0]:.1f} mL, {peer_nominal['SBP'][0]:.1f}/"
          f"{peer_nominal['DBP'][0]:.1f} mmHg")
    print(f"  TwinViewer ensemble engine + SALib analysis: {t_ours:.1f} s "
          f"({1e3 * t_ours / n_runs:.2f} ms/run)")
    how = "measured" if full else (f"extrapolated from {peer_runs} runs (N = {n_peer}) "
                                   f"taking {t_peer_part:.1f} s")
    print(f"  SALib + svzerod ({BEATS_PEER} beats × {POINTS_PEER} pts): {t_peer:.0f} s, {how}")
    print(f"  ratio svzerod / TwinViewer: {ratio:.1f}×")
    for o in OUTPUTS:
        s = ours[o]
        print(f"  {o:<6} top ST  TwinViewer {', '.join(ours_rank[o])}"
              f"  (max CI ±{np.max(s.ST_conf):.3f}, {'converged' if s.converged else 'not'})"
              f" | svzerod N={n_peer} {', '.join(peer_rank[o])}")
    print(f"  same top parameter for {same_top} of {len(OUTPUTS)} outputs")
    benchmark.extra_info.update({
        "runs": n_runs, "twinviewer_s": t_ours, "svzerod_s": t_peer,
        "svzerod_extrapolated": not full, "svzerod_measured_runs": peer_runs,
        "ratio_svzerod_over_twinviewer": ratio, "same_top_parameter": same_top})
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    assert same_top >= 6
    assert all(ours[o].n_failed == 0 for o in OUTPUTS)
