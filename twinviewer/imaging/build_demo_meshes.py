"""Regenerate ``meshes/demo_heart/``: ``python -m twinviewer.imaging.build_demo_meshes``.

Writes the synthetic gated CT (:func:`twinviewer.imaging.demo.write_demo_study`) to a temporary
folder, imports it with :func:`twinviewer.imaging.study.import_study` exactly as a user's study
would be, and stores the ED and ES meshes of every structure as ``<key>_<ED|ES>.vtp`` with a
``provenance.json`` that records generator, seed, grid, filters, parameters, versions and
how each part was made (:data:`PARTS`).

The caval and pulmonary veins are meshed from the phantom's vein label map
(:func:`twinviewer.imaging.phantom.make_vein_labels`) on the same grid with the same filters,
not through the CT study (see :data:`twinviewer.imaging.phantom.VEIN_LABEL_VALUES` for why).
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

SHAPE = (116, 160, 160)  # 209 mm head-foot: room for the arch branches
SPACING = (1.8, 1.0, 1.0)
SEED = 0
# A fixed, public key: the demo patient is fictitious, and a fixed key makes the pseudonym
# (and so the provenance file) reproducible.
DEMO_KEY = b"twinviewer-demo-heart-public-key"
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "meshes" / "demo_heart"
VEIN_KEYS = ("svc", "ivc", "pulmonary_veins")
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


#: What the folder holds and what the app's demo heart takes from elsewhere (the provenance
#: file's "description"): the files are the phantom's, the demo heart's ventricles a real
#: patient's (biv-me), so neither "no patient data" nor "biv-me" alone is the whole truth.
DESCRIPTION = (
    "ED and ES meshes of TwinViewer's synthetic four-chamber phantom: no patient data in "
    "these files (TwinViewer's own, BSD-3-Clause). The demo heart the app shows "
    "(twinviewer.imaging.demo4d.demo_heart_4d) takes its atria, great vessels and veins from "
    "here; its ventricles and their motion are a real adult's, the biv-me example patient 1 "
    "(meshes/bivme_patient1, fitted to a cine MR study; no image and no identifying data; "
    "Apache-2.0, its README.md and LICENSE kept beside it); the phantom ventricles here are "
    "not shown in it.")

#: Licence of each source of the demo heart (the provenance file's "licence").
LICENCE = {
    "meshes/demo_heart (these files)": "BSD-3-Clause (TwinViewer)",
    "meshes/bivme_patient1 (the demo heart's ventricles)":
        "Apache-2.0 (biv-me, UOA-Heart-Mechanics-Research, commit d01024f8; Dillon et al., "
        "FIMH 2025)",
}

#: How each part of the demo heart was made (written to the provenance file).
PARTS: dict[str, str] = {
    "lv_blood, lv_myocardium, rv_blood": "phantom implicit shapes (bullet superellipsoid LV, "
        "ellipsoid-minus-LV crescent RV with an outflow tube); in the moving demo heart "
        "(twinviewer.imaging.demo4d) replaced by the biv-me patient1 ventricles",
    "la": "phantom: ellipsoid body (LPS semi-axes 26/19/21 mm at ED) united with the LA "
          "appendage, a tapering curved tube (radius 8 -> 4.5 mm) anterolateral to the body "
          "under the left pulmonary artery; appendage volume outside the body ~4.3 mL "
          "(normal a few mL: Veinot et al., Circulation 1997;96:3112)",
    "ra": "phantom: ellipsoid body (21/20/25 mm at ED) united with the RA appendage, a broad "
          "blunt pouch (radius 11 -> 7 mm) anterior-superior beside the aortic root; "
          "appendage volume outside the body ~5.6 mL (no established normal)",
    "aorta": "phantom: aortic root, a 34 mm bulb with three sinuses of Valsalva (trefoil "
             "of 12 mm spheres bulging to 37 mm across the sinuses; normal 30-35 mm, "
             "Roman et al. 1989, Lang et al. JASE 2015), "
             "ascending aorta, arch and descending aorta (tubes of rounded capsules, radius "
             "15 -> 11 mm), and the three arch branches leaving the arch upward: "
             "brachiocephalic 12 mm, left common carotid 8 mm, left subclavian 10 mm diameter "
             "(Gray's Anatomy); branch and descending ends are rounded (closed)",
    "pulmonary_artery": "phantom: trunk (25 mm diameter) from the pulmonary valve to the "
                        "bifurcation, left and right branches (20 -> 16 mm)",
    "svc": "phantom vein label map: tube 20 mm diameter entering the RA from above, cut at "
           "the atrial wall (normal ~20 mm)",
    "ivc": "phantom vein label map: tube 21 -> 20 mm diameter entering the RA from below, "
           "cut at the atrial wall (normal <= 21 mm, Rudski et al., JASE 2010)",
    "pulmonary_veins": "phantom vein label map: four tubes (left/right superior/inferior), "
                       "12 -> 10 mm diameter, entering the LA posteriorly, cut at the atrial "
                       "wall (ostia 10-13 mm, Kato et al., Circulation 2003)",
    "valve_annuli": "not in these files: built by twinviewer.imaging.demo4d.valve_annuli "
                    "as closed tube rings (3 mm thick) along the boundary loops of the "
                    "biv-me ventricles' mitral, aortic, tricuspid and pulmonary openings, "
                    "per frame",
}


def _add_veins(anatomy, shape: Sequence[int], spacing: Sequence[float],
               options: MeshingOptions) -> None:
    """Mesh the phantom's veins per phase and add them to ``anatomy`` (ED = 0, ES = 1)."""
    from twinviewer.core.anatomy import Structure
    from twinviewer.imaging import phantom
    from twinviewer.imaging.curves import mesh_volume
    from twinviewer.imaging.meshing import label_map_to_meshes
    from twinviewer.imaging.segmentation import display

    affine = phantom.grid_affine(shape, spacing)
    for p, phase in enumerate(phantom.PHASES):
        meshes = label_map_to_meshes(phantom.make_vein_labels(shape, spacing, phase), affine,
                                     phantom.VEIN_LABEL_VALUES, options=options)
        for key, mesh in meshes.items():
            if key not in anatomy.structures:
                name, color = display(key)
                anatomy.structures[key] = Structure(key, name, color)
            st = anatomy.structures[key]
            st.meshes[p] = mesh
            st.volumes[p] = mesh_volume(mesh, key, VEIN_SOURCE)


VEIN_SOURCE = "phantom vein label map (meshed directly)"


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
    _add_veins(anatomy, shape, spacing, options)
    for old in out.glob("*.vtp"):
        old.unlink()
    files = write_meshes(anatomy, out)
    img = anatomy.image
    provenance = {
        "description": DESCRIPTION,
        "licence": LICENCE,
        "generator": "twinviewer.imaging.demo.write_demo_study (phantom: "
                     "twinviewer.imaging.phantom.make_labels); veins: "
                     "twinviewer.imaging.phantom.make_vein_labels meshed directly",
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
                                                    "source": VEIN_SOURCE
                                                    if k in VEIN_KEYS else SOURCE}
                           for p, v in s.volumes.items()}
                       for k, s in anatomy.structures.items()},
        "parts": PARTS,
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
