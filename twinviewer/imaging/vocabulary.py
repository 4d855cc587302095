"""The cardiac structure vocabulary and how segment descriptions map onto it.

A segment is matched, in order, by (1) its SNOMED CT property-type code, (2) its label or
description text, (3) a user-editable mapping JSON ``{"segment label": "vocabulary key"}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Term:
    """One vocabulary entry.

    Parameters
    ----------
    key
        Fixed identifier used across TwinViewer.
    name
        Display name.
    color
        RGB in 0..1 for rendering.
    snomed
        SNOMED CT codes (scheme ``SCT``) accepted as this structure.
    synonyms
        Lower-case label texts accepted as this structure (after normalising punctuation).
    """

    key: str
    name: str
    color: tuple[float, float, float]
    snomed: tuple[str, ...]
    synonyms: tuple[str, ...]


VOCABULARY: dict[str, Term] = {t.key: t for t in (
    Term("lv_blood", "LV blood pool", (0.86, 0.20, 0.18),
         ("87878005", "1286939001"),
         ("lv blood", "lv blood pool", "left ventricle", "left ventricle blood pool",
          "left ventricular cavity", "lv cavity", "lv", "heart ventricle left")),
    Term("lv_myocardium", "LV myocardium", (0.93, 0.62, 0.45),
         ("49848007", "74281007", "8022008"),
         ("lv myocardium", "myocardium", "left ventricle myocardium", "lv myo", "myo",
          "left ventricular myocardium", "heart myocardium")),
    Term("rv_blood", "RV blood pool", (0.22, 0.39, 0.80),
         ("53085002",),
         ("rv blood", "rv blood pool", "right ventricle", "right ventricle blood pool",
          "rv cavity", "rv", "heart ventricle right")),
    Term("la", "Left atrium", (0.95, 0.45, 0.55),
         ("82471001",),
         ("la", "left atrium", "heart atrium left", "la blood pool")),
    Term("ra", "Right atrium", (0.45, 0.60, 0.95),
         ("73829009",),
         ("ra", "right atrium", "heart atrium right", "ra blood pool")),
    Term("aorta", "Aorta", (0.80, 0.10, 0.30),
         ("15825003",),
         ("aorta", "ascending aorta", "aortic root", "ao")),
    Term("pulmonary_artery", "Pulmonary artery", (0.30, 0.30, 0.85),
         ("81040000", "45341000"),
         ("pulmonary artery", "pa", "pulmonary trunk", "main pulmonary artery")),
    # Veins (label values 8-10) and the valve annuli (mesh-only rings) of the demo heart.
    # Codes: PS3.16 (pydicom's codes.SCT.SuperiorVenaCava / InferiorVenaCava / PulmonaryVein /
    # MitralAnnulus).
    Term("svc", "Superior vena cava", (0.35, 0.45, 0.85),
         ("48345005",),
         ("svc", "superior vena cava", "vena cava superior")),
    Term("ivc", "Inferior vena cava", (0.30, 0.40, 0.78),
         ("64131007",),
         ("ivc", "inferior vena cava", "vena cava inferior")),
    Term("pulmonary_veins", "Pulmonary veins", (0.88, 0.35, 0.45),
         ("122972007",),
         ("pulmonary veins", "pulmonary vein", "pulmonary venous inflow")),
    Term("valve_annuli", "Valve annuli", (0.96, 0.90, 0.55),
         ("65197004",),
         ("valve annuli", "valve annulus", "annuli", "annulus", "mitral annulus")),
    Term("epicardium", "Biventricular epicardium", (0.85, 0.72, 0.62),
         (),
         ("epicardium", "epicardial", "biventricular epicardium", "epi")),
)}

KEYS: tuple[str, ...] = tuple(VOCABULARY)
# Surfaces that enclose several structures (the biventricular epicardium) and the valve
# rings: imported or built meshes only, never a label value.
MESH_ONLY: tuple[str, ...] = ("valve_annuli", "epicardium")
#: Veins and the atrium they drain into (they ride with it when the atrium moves or grows).
ATRIUM_OF_VEIN: dict[str, str] = {"svc": "ra", "ivc": "ra", "pulmonary_veins": "la"}


def _normalise(text: str) -> str:
    return re.sub(r"[\s_\-/.,()]+", " ", text.lower()).strip()


_BY_CODE = {code: t.key for t in VOCABULARY.values() for code in t.snomed}
_BY_TEXT = {_normalise(s): t.key for t in VOCABULARY.values() for s in (t.synonyms + (t.key,))}


def load_mapping(path: Path) -> dict[str, str]:
    """Read a user mapping JSON ``{"segment label": "vocabulary key"}``.

    Raises
    ------
    ValueError
        Naming the file when it is not JSON or maps to an unknown key.
    """
    name = Path(path).name  # never the folder: its name may identify the patient
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{name}: cannot read segment mapping JSON (not UTF-8 text)") from None
    except OSError as exc:  # its text holds the whole path
        raise ValueError(f"{name}: cannot read segment mapping JSON "
                         f"({exc.strerror or type(exc).__name__})") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name}: cannot read segment mapping JSON, not JSON ({exc})"
                         ) from exc
    if not isinstance(data, dict):
        raise ValueError(f"{name}: segment mapping must be a JSON object label -> key")
    bad = {v for v in data.values() if v not in VOCABULARY}
    if bad:
        raise ValueError(f"{name}: unknown vocabulary keys {sorted(bad)}; "
                         f"allowed {list(KEYS)}")
    return {_normalise(k): v for k, v in data.items()}


def match_segment(*, code: str | None = None, scheme: str | None = None,
                  labels: tuple[str, ...] = (), mapping: dict[str, str] | None = None
                  ) -> str | None:
    """Vocabulary key for a segment, or None if nothing matches.

    Parameters
    ----------
    code, scheme : str, optional
        Segmented property type code value and coding scheme designator (``'SCT'``).
    labels : tuple of str
        Segment label, description, algorithm name: any text the file gives.
    mapping : dict, optional
        Output of :func:`load_mapping`; consulted first for text, so a user can override.

    Examples
    --------
    >>> match_segment(code="53085002", scheme="SCT")
    'rv_blood'
    >>> match_segment(labels=("Left Ventricle Myocardium",))
    'lv_myocardium'
    """
    texts = [_normalise(t) for t in labels if t]
    if mapping:
        for t in texts:
            if t in mapping:
                return mapping[t]
    if code and (scheme or "SCT").upper() in ("SCT", "SRT") and code in _BY_CODE:
        return _BY_CODE[code]
    for t in texts:
        if t in _BY_TEXT:
            return _BY_TEXT[t]
    return None
