"""Read a NRRD file (attached header, raw or gzip encoding) into a de-identified volume.

NRRD (http://teem.sourceforge.net/nrrd/format.html) is 3D Slicer's volume and segmentation
format. Its header may carry free key/value pairs (``key:=value``) and a ``content`` field in
which exporters put patient names, IDs and dates: none of those is kept. Only the geometry
(sizes, spacing, directions, origin), the data type and, for Slicer segmentations, the
segment names and label values survive.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

_TYPES = {
    "uchar": "u1", "unsigned char": "u1", "uint8": "u1", "uint8_t": "u1",
    "signed char": "i1", "int8": "i1", "int8_t": "i1",
    "short": "i2", "int16": "i2", "int16_t": "i2", "signed short": "i2",
    "ushort": "u2", "unsigned short": "u2", "uint16": "u2", "uint16_t": "u2",
    "int": "i4", "int32": "i4", "int32_t": "i4", "signed int": "i4",
    "uint": "u4", "unsigned int": "u4", "uint32": "u4", "uint32_t": "u4",
    "float": "f4", "double": "f8",
}
#: Header fields that describe geometry and type only (everything else is dropped).
_KEEP = {"type", "dimension", "sizes", "space", "space directions", "space origin",
         "spacings", "kinds", "endian", "encoding"}


class NrrdError(ValueError):
    """A file that is not a NRRD this reader can read (the message names the file)."""


@dataclass
class NrrdVolume:
    """A de-identified volume: ``array`` indexed (i, j, k), geometry in mm, segment labels.

    ``affine`` maps ``(i, j, k, 1)`` to patient LPS mm (TwinViewer's frame), whatever the
    file's ``space``; it is what TwinViewer's label-map import (``opens = "labels"``) uses.
    """

    array: np.ndarray
    spacing_mm: tuple[float, ...]
    origin_mm: tuple[float, ...]
    header: dict[str, str]
    segments: dict[str, int] = field(default_factory=dict)
    affine: np.ndarray | None = None


def read_nrrd(path: str | Path) -> NrrdVolume:
    """Read ``path``; identifying header fields are dropped.

    Examples
    --------
    >>> vol = read_nrrd("heart.seg.nrrd")  # doctest: +SKIP
    >>> vol.array.shape, vol.spacing_mm  # doctest: +SKIP
    ((128, 128, 64), (1.0, 1.0, 2.0))
    """
    path = Path(path)
    raw = path.read_bytes()
    if not raw.startswith(b"NRRD000"):
        raise NrrdError(f"{path.name}: not a NRRD file (no NRRD magic line)")
    end = raw.find(b"\n\n")
    if end < 0:
        raise NrrdError(f"{path.name}: header has no end (blank line)")
    fields: dict[str, str] = {}
    pairs: dict[str, str] = {}
    for line in raw[:end].decode("latin-1").splitlines()[1:]:
        if not line or line.startswith("#"):
            continue  # comments may hold anything: never kept
        if ":=" in line:
            k, v = line.split(":=", 1)
            pairs[k.strip()] = v.strip()
        elif ": " in line:
            k, v = line.split(": ", 1)
            fields[k.strip().lower()] = v.strip()
    if "data file" in fields or "datafile" in fields:
        raise NrrdError(f"{path.name}: detached data files are not supported")
    try:
        dtype = np.dtype(_TYPES[fields["type"].lower()])
        sizes = [int(s) for s in fields["sizes"].split()]
    except KeyError as exc:
        raise NrrdError(f"{path.name}: missing or unknown header field {exc}") from None
    if fields.get("endian", "little") == "big":
        dtype = dtype.newbyteorder(">")
    body = raw[end + 2:]
    encoding = fields.get("encoding", "raw").lower()
    if encoding in ("gzip", "gz"):
        body = gzip.decompress(body)
    elif encoding != "raw":
        raise NrrdError(f"{path.name}: encoding {encoding!r} is not supported (raw, gzip)")
    n = int(np.prod(sizes))
    if len(body) < n * dtype.itemsize:
        raise NrrdError(f"{path.name}: data has {len(body)} bytes; the header promises "
                        f"{n * dtype.itemsize}")
    array = np.frombuffer(body[: n * dtype.itemsize], dtype=dtype).reshape(sizes[::-1]).T
    spacing, origin = _geometry(fields, len(sizes))
    segments = {}
    for k, v in pairs.items():  # Slicer: Segment0_Name:=LV, Segment0_LabelValue:=1
        if k.startswith("Segment") and k.endswith("_Name"):
            label = pairs.get(k[:-5] + "_LabelValue")
            if label is not None:
                segments[v] = int(label)
    header = {k: v for k, v in fields.items() if k in _KEEP}
    return NrrdVolume(np.ascontiguousarray(array), spacing, origin, header, segments,
                      _affine(fields, path.name))


#: Sign flips taking a NRRD ``space`` to LPS (x, y, z).
_TO_LPS = {"left-posterior-superior": (1, 1, 1), "lps": (1, 1, 1),
           "right-anterior-superior": (-1, -1, 1), "ras": (-1, -1, 1),
           "left-anterior-superior": (1, -1, 1), "las": (1, -1, 1)}


def _affine(fields: dict[str, str], name: str) -> np.ndarray | None:
    """Index → LPS mm of a 3D volume with ``space directions``; None without them."""
    if "space directions" not in fields:
        return None
    space = fields.get("space", "left-posterior-superior").lower()
    if space not in _TO_LPS:
        raise NrrdError(f"{name}: space {fields.get('space')!r} is not supported "
                        f"({', '.join(k for k in _TO_LPS if '-' in k)})")
    vecs = [[float(x) for x in tok.strip("()").split(",")]
            for tok in fields["space directions"].split() if tok != "none"]
    origin = [float(x) for x in fields.get("space origin", "(0,0,0)").strip("()").split(",")]
    if len(vecs) != 3 or any(len(v) != 3 for v in vecs) or len(origin) != 3:
        return None  # not a 3D volume in a 3D space: geometry only as spacing/origin
    flip = np.diag([*_TO_LPS[space], 1.0])
    a = np.eye(4)
    a[:3, :3] = np.array(vecs).T
    a[:3, 3] = origin
    return flip @ a


def _geometry(fields: dict[str, str], ndim: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    if "space directions" in fields:
        vecs = []
        for tok in fields["space directions"].split():
            if tok == "none":
                continue
            vecs.append([float(x) for x in tok.strip("()").split(",")])
        spacing = tuple(float(np.linalg.norm(v)) for v in vecs)
    elif "spacings" in fields:
        spacing = tuple(float(s) for s in fields["spacings"].split() if s != "nan")
    else:
        spacing = (1.0,) * ndim
    origin = tuple(float(x) for x in fields.get("space origin", "").strip("()").split(",")
                   if x.strip()) or (0.0,) * len(spacing)
    return spacing, origin
