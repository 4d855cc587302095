"""Regenerate ``meshes/demo_heart/``: ``python -m twinviewer.imaging.build_demo_meshes``.

Writes the synthetic gated CT (:func:`twinviewer.imaging.demo.write_demo_study`) to a temporary
folder, imports it with :func:`twinviewer.imaging.study.import_study` exactly as a user's study
would be, and stores the ED and ES meshes of every structure as ``<key>_<ED|ES>.vtp`` with a
``provenance.json`` that records generator, seed, grid, filters, parameters and versions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from twinviewer.imaging.measure import SOURCE
from twinviewer.imaging.meshing import UNCERTAINTY_MODEL, MeshingOptions

SHAPE = (90, 160, 160)
SPACING = (1.8, 1.0, 1.0)
SEED = 0
# A fixed, public key: the demo patient is fictitious, and a fixed key makes the pseudonym
# (and so the provenance file) reproducible.
DEMO_KEY = b"twinviewer-demo-heart-public-key"
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "meshes" / "demo_heart"
_PACKAGES = ("twinviewer", "numpy", "numba", "pydicom", "highdicom", "vtk", "pyvista")


def _versions() -> dict[str, str]:
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


#: The shipped demo meshes are decimated by half: the viewer loads and renders them about
#: twice as fast under software OpenGL, and at the demo's grid decimation costs seconds.
DEMO_MESHING = MeshingOptions(decimate=0.5)


def build(out: Path = DEFAULT_OUT, *, shape: Sequence[int] = SHAPE,
          spacing: Sequence[float] = SPACING, seed: int = SEED,
          options: MeshingOptions | None = None) -> dict:
    """Build the demo meshes into ``out``; returns the provenance written beside them."""
    from twinviewer.imaging.cli_import import phase_name, write_meshes
    from twinviewer.imaging.demo import write_demo_study
    from twinviewer.imaging.study import import_study

    options = options or DEMO_MESHING
    out = Path(out)
    with tempfile.TemporaryDirectory() as tmp:
        write_demo_study(Path(tmp), shape=shape, spacing=spacing, seed=seed)
        anatomy = import_study(Path(tmp), key=DEMO_KEY, meshing=options)
    for old in out.glob("*.vtp"):
        old.unlink()
    files = write_meshes(anatomy, out)
    img = anatomy.image
    provenance = {
        "description": "Demo heart meshes (ED, ES) of TwinViewer's synthetic four-chamber "
                       "phantom; no patient data.",
        "generator": "twinviewer.imaging.demo.write_demo_study (phantom: "
                     "twinviewer.imaging.phantom.make_labels)",
        "seed": seed,
        "shape_zyx": list(shape),
        "spacing_mm_zyx": list(spacing),
        "pipeline": "twinviewer.imaging.study.import_study: DICOM series + DICOM SEG -> label "
                    "maps -> twinviewer.imaging.meshing.label_map_to_meshes",
        "meshing": options.to_dict(),
        "uncertainty": f"per-vertex point data 'uncertainty_mm': {UNCERTAINTY_MODEL}",
        "coordinates": "DICOM patient LPS, mm",
        "phases": {phase_name(anatomy, p): {"index": p, "trigger_time_ms":
                                            img.phase_times_ms[p]}
                   for p in sorted(anatomy.labels or {})},
        "volumes_ml": {k: {phase_name(anatomy, p): {"value": round(v.value, 2),
                                                    "uncertainty": round(v.uncertainty, 2),
                                                    "source": SOURCE}
                           for p, v in s.volumes.items()}
                       for k, s in anatomy.structures.items()},
        "files": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files},
        "versions": _versions(),
        "regenerate": "python -m twinviewer.imaging.build_demo_meshes",
    }
    (out / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n",
                                         encoding="utf-8")
    return provenance


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    prov = build(args.out)
    print(f"wrote {len(prov['files'])} meshes and provenance.json to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
