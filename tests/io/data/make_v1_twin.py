"""Write ``v1_twin.twin``: a schema-1 .twin file, for the v1 → v2 migration test.

Schema 1 stored each measurement's uncertainty as a coefficient of variation ``cv``. This
script writes that layout directly (zipfile + numpy), independent of the current writer, so
the checked-in file stays a true schema-1 file whatever the writer becomes.

Run: ``python tests/io/data/make_v1_twin.py [OUT]`` (default: next to this script).
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

import numpy as np

from twinviewer.physiology import get_preset

ENTRY_TIME = "2026-01-01T09:00:00+00:00"
# The model identity a schema-1 file recorded, frozen: the file must not change when today's
# model equations do (a twin stays locked to the equations it was made with).
MODEL_IDENTITY = {"name": "four_chamber_eoa", "version": "1.0",
                  "equation_hash": "88a136e5df2ff7ef"}


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def _entry(index: int, action: str, details: dict, prev: str, model: str) -> dict:
    e = {"index": index, "time": ENTRY_TIME, "action": action, "app_version": "0.1.0.dev1",
         "model": model, "details": details, "prev_hash": prev}
    canon = json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return {**e, "hash": hashlib.sha256(canon).hexdigest()}


def write_v1(out: Path) -> Path:
    preset = get_preset("healthy")
    model = preset.model
    base = preset.vector()
    rng = np.random.default_rng(1)
    ensemble = base * (1 + 0.05 * rng.standard_normal((4, base.size)))
    ensemble = np.clip(ensemble, [p.plausible[0] for p in model.parameters],
                       [p.plausible[1] for p in model.parameters])
    points = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]], float)
    faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]], np.int32)
    arrays = {"arrays/0000.npy": base, "arrays/0001.npy": ensemble,
              "arrays/0002.npy": points, "arrays/0003.npy": faces,
              "arrays/0004.npy": np.full(4, 0.5), "arrays/0005.npy": ensemble[:2]}
    ident = " ".join(MODEL_IDENTITY.values())
    tree = {
        "pseudonym": "virtual-healthy", "origin": "preset:healthy",
        "model": dict(MODEL_IDENTITY),
        "parameters": [{"name": p.name, "unit": p.unit, "plausible": list(p.plausible),
                        "description": p.description} for p in model.parameters],
        "params": {"$array": "arrays/0000.npy"}, "ensemble": {"$array": "arrays/0001.npy"},
        "ensemble_kind": "prior",
        "provenance": {"HR": {"source": "measured", "detail": "ECG", "inputs": ["HR"]}},
        "measurements": [
            {"name": "SBP", "value": 120.0, "unit": "mmHg", "cv": 0.05, "source": "cuff"},
            {"name": "MR_volume", "value": 0.0, "unit": "mL", "cv": 0.2, "source": "echo"}],
        "scenarios": [{"name": "TAVI", "steps": [{"name": "tavi", "settings": {"EOA": 2.0}}]}],
        "visits": [{"day": 30, "label": "follow-up", "ensemble": {"$array": "arrays/0005.npy"},
                    "measurements": [{"name": "LVEF", "value": 55.0, "unit": "%", "cv": 0.1,
                                      "source": "echo"}]}],
        "anatomy": {"pseudonym": "virtual-healthy", "image": None, "labels": None,
                    "label_values": {}, "notes": ["v1 test anatomy"],
                    "measurements": [{"name": "LVEDV", "value": 130.0, "unit": "mL",
                                      "cv": 0.1, "source": "CT segmentation"}],
                    "structures": {"lv_blood": {
                        "key": "lv_blood", "name": "LV blood pool", "color": [0.8, 0.2, 0.2],
                        "meshes": {"0": {"points": {"$array": "arrays/0002.npy"},
                                         "faces": {"$array": "arrays/0003.npy"},
                                         "uncertainty_mm": {"$array": "arrays/0004.npy"}}},
                        "volumes": {"0": {"name": "lv_blood volume", "value": 0.16667,
                                          "unit": "mL", "cv": 0.1, "source": "mesh"}}}}},
        "results": [],
    }
    e0 = _entry(0, "create", {"preset": "healthy"}, "0" * 64, ident)
    e1 = _entry(1, "note", {"text": "written as schema 1"}, e0["hash"], ident)
    members = {"twin.json": json.dumps(tree, indent=1).encode(),
               "audit.json": json.dumps([e0, e1], indent=1).encode()}
    members.update({k: _npy(v) for k, v in arrays.items()})
    manifest = {"format": "twinviewer.twin", "schema_version": 1, "app_version": "0.1.0.dev1",
                "written": ENTRY_TIME, "model": tree["model"], "identifiable": False,
                "privacy": "de-identified", "audit": {"entries": 2, "head": e1["hash"]},
                "members": {k: {"sha256": hashlib.sha256(v).hexdigest(), "size": len(v)}
                            for k, v in members.items()}}
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(zipfile.ZipInfo("manifest.json", (1980, 1, 1, 0, 0, 0)),
                    json.dumps(manifest, indent=1), compress_type=zipfile.ZIP_DEFLATED)
        for k, v in members.items():
            zf.writestr(zipfile.ZipInfo(k, (1980, 1, 1, 0, 0, 0)), v,
                        compress_type=zipfile.ZIP_STORED if k.endswith(".npy")
                        else zipfile.ZIP_DEFLATED)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("v1_twin.twin")
    print(write_v1(target))
