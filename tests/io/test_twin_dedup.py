"""An array the twin holds several times (every phase's mesh of a structure has the same
faces) is stored once in the .twin and comes back as independent arrays (review12 #7: the
demo .twin was 120 MB, 13 MB of it repeated)."""

from __future__ import annotations

import json
import zipfile

import numpy as np

from twinviewer.io import load_twin, save_twin

from .conftest import assert_twins_equal


def test_repeated_arrays_are_stored_once_and_read_back_apart(anatomy_twin, tmp_path):
    from twinviewer.core.anatomy import SurfaceMesh

    # a structure whose every phase has the same triangles (as the demo heart's meshes)
    s = next(s for s in anatomy_twin.anatomy.structures.values() if s.meshes)
    first = next(iter(s.meshes.values()))
    s.meshes[max(s.meshes) + 1] = SurfaceMesh(first.points + 1.0, first.faces.copy(),
                                              first.uncertainty_mm.copy())
    path = save_twin(tmp_path / "d.twin", anatomy_twin)
    with zipfile.ZipFile(path) as z:
        text = z.read("twin.json").decode()
        stored = [n for n in z.namelist() if n.startswith("arrays/")]
        refs = text.count('"$array"')
        manifest = json.loads(z.read("manifest.json"))["members"]
    assert refs > len(stored)  # some references share a member
    shas = [manifest[n]["sha256"] for n in stored]
    assert len(shas) == len(set(shas))  # no member stored twice
    back = load_twin(path).twin
    assert_twins_equal(anatomy_twin, back)
    s = back.anatomy.structures[next(k for k, v in anatomy_twin.anatomy.structures.items()
                                      if v is s)]
    a, b = s.meshes[min(s.meshes)].faces, s.meshes[max(s.meshes)].faces
    assert np.array_equal(a, b) and a is not b and not np.shares_memory(a, b)


def test_a_file_written_without_sharing_still_opens(twin, tmp_path, monkeypatch):
    """Files written before (one member per reference) open as before."""
    from twinviewer.io import twinfile

    monkeypatch.setattr(twinfile, "DEDUP_MAX_BYTES", -1)  # the old writer: nothing shared
    path = save_twin(tmp_path / "old.twin", twin)
    with zipfile.ZipFile(path) as z:
        assert z.read("twin.json").decode().count('"$array"') == sum(
            n.startswith("arrays/") for n in z.namelist())
    assert_twins_equal(twin, load_twin(path).twin)
