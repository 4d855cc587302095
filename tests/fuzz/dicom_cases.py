"""Deterministic, seeded hostile DICOM folders: a small valid CT series, then mutations.

Each case is a folder of :data:`N_SLICES` slices of :data:`SHAPE` (classic CT, or one
enhanced multi-frame file) with 1–3 mutations drawn from :data:`MUTATIONS` applied to one or
more slices: header fields and their VRs, transfer syntaxes, sizes, geometry, rescale, pixel
data, sequences, whole-file byte damage, and folder-level cases (duplicate instances in
another encoding, an unrelated SEG, a non-image object). The same seed gives the same case.

A mutation returns whether it may legitimately change which series a slice belongs to (new
Series UID, not an image any more, ...); only then may the imported series be smaller than
the original — anything else missing is a silently partial import.
"""

from __future__ import annotations

import io
import random
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
import pydicom.config
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    CTImageStorage,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
    RLELossless,
)

N_SLICES = 6
SHAPE = (12, 10)  # rows, columns
ENHANCED_CT = "1.2.840.10008.5.1.4.1.1.2.1"
SEG = "1.2.840.10008.5.1.4.1.1.66.4"
IDENTIFIERS = {"PatientName": "FUZZ^VICTIM^SECRET", "PatientID": "PID-FUZZ-4711",
               "PatientBirthDate": "19620512"}

pydicom.config.settings.writing_validation_mode = pydicom.config.IGNORE
warnings.filterwarnings("ignore", module=r"pydicom(\..*)?$")  # the generator's own writes


@dataclass
class Case:
    """One generated folder: what was done to it, and whether membership may change."""

    seed: int
    mutations: list[str] = field(default_factory=list)
    membership: bool = False  # a mutation may move a slice out of the series legitimately
    n_slices: int = N_SLICES


def _uid(rng: random.Random) -> str:
    return "1.2.826.0.1.3680043.10.999." + ".".join(str(rng.randint(1, 99999))
                                                   for _ in range(3))


def _slice(rng: random.Random, k: int, study: str, series: str) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    uid = _uid(rng)
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, uid
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.FrameOfReferenceUID = study + ".1"
    ds.Modality = "CT"
    for kw, v in IDENTIFIERS.items():
        setattr(ds, kw, v)
    ds.SeriesDescription = "cardiac fuzz"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit, ds.PixelRepresentation = 15, 1
    ds.RescaleSlope, ds.RescaleIntercept = 1.0, -1024.0
    ds.ImagePositionPatient = [10.0, -20.0, -100.0 + 2.0 * k]
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.PixelSpacing = [0.8, 0.8]
    ds.SliceThickness = 2.0
    ds.InstanceNumber = k + 1
    ds.Rows, ds.Columns = SHAPE
    px = np.random.default_rng(rng.randint(0, 2**31)).integers(0, 3000, SHAPE, np.int16)
    ds.PixelData = px.tobytes()
    return ds


def _save(ds: Dataset, path: Path) -> None:
    ds.save_as(path, enforce_file_format=True)


# -- dataset mutations: (rng, ds) -> True if series membership may change ------------------

def _set(keyword: str, *values) -> Callable[[random.Random, Dataset], bool]:
    def mutate(rng: random.Random, ds: Dataset) -> bool:
        setattr(ds, keyword, rng.choice(values))
        return False
    mutate.__name__ = f"set {keyword}"
    return mutate


def _raw(tag: int, vr: str, *values) -> Callable[[random.Random, Dataset], bool]:
    def mutate(rng: random.Random, ds: Dataset) -> bool:
        ds[tag] = DataElement(tag, vr, rng.choice(values))
        return False
    mutate.__name__ = f"raw {tag:08x} {vr}"
    return mutate


def _delete(keyword: str, membership: bool = False):
    def mutate(rng: random.Random, ds: Dataset) -> bool:
        if keyword in ds:
            delattr(ds, keyword)
        return membership
    mutate.__name__ = f"delete {keyword}"
    return mutate


def _membership(keyword: str, *values):
    def mutate(rng: random.Random, ds: Dataset) -> bool:
        setattr(ds, keyword, rng.choice(values))
        return True
    mutate.__name__ = f"move {keyword}"
    return mutate


def _pixels(rng: random.Random, ds: Dataset) -> bool:
    data = bytearray(ds.PixelData)
    how = rng.choice(["truncate", "empty", "double", "odd", "flip"])
    if how == "truncate":
        data = data[:rng.randint(0, len(data) - 1)]
    elif how == "empty":
        data = bytearray()
    elif how == "double":
        data = data * 2
    elif how == "odd":
        data = data + b"\x00"
    else:
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    ds.PixelData = bytes(data)
    return False


def _float_pixels(rng: random.Random, ds: Dataset) -> bool:
    a = np.frombuffer(ds.PixelData, np.int16).astype(np.float32)
    a[rng.randrange(a.size)] = rng.choice([np.nan, np.inf, -np.inf, 1e30])
    del ds.PixelData
    ds.BitsAllocated = ds.BitsStored = 32
    ds.HighBit = 31
    ds.FloatPixelData = a.tobytes()
    return False


_SYNTAXES = [str(u) for u in (DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian,
                               JPEGBaseline8Bit, ImplicitVRLittleEndian)] + [
    "1.2.840.10008.1.2.4.999", "1.2.3.4", "", "1.2.840.10008.1.2.1" + "9" * 50]


def _syntax(rng: random.Random, ds: Dataset) -> bool:
    """The meta claims another transfer syntax than the body is written in (patched into
    the written bytes by :func:`_patch_syntax`)."""
    ds.file_meta.add_new(0x00020100, "UI", "1.2.3")  # marker: Private Information Creator
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    _PATCH[id(ds)] = rng.choice(_SYNTAXES)
    return False


_PATCH: dict[int, str] = {}


def _patch_syntax(data: bytes, uid: str) -> bytes:
    """Replace the Transfer Syntax UID element (0002,0010) of written bytes by ``uid``."""
    tag = b"\x02\x00\x10\x00UI"
    i = data.find(tag)
    if i < 0:
        return data
    n = int.from_bytes(data[i + 6:i + 8], "little")
    value = uid.encode() + (b"\x00" if len(uid) % 2 else b"")
    return data[:i + 6] + len(value).to_bytes(2, "little") + value + data[i + 8 + n:]


def _sequence(rng: random.Random, ds: Dataset) -> bool:
    item = Dataset()
    choice = rng.randrange(4)
    if choice == 0:
        ds.PerFrameFunctionalGroupsSequence = []
    elif choice == 1:
        ds.PerFrameFunctionalGroupsSequence = [item] * rng.choice([1, 3, 1000])
    elif choice == 2:
        ds.SharedFunctionalGroupsSequence = [item]
        ds.PerFrameFunctionalGroupsSequence = [item]
    else:
        nested = Dataset()
        nested.PatientName = IDENTIFIERS["PatientName"]
        nested.ReferencedSOPInstanceUID = ds.SOPInstanceUID
        ds.ReferencedImageSequence = [nested]
        ds.add_new(0x00091010, "LO", IDENTIFIERS["PatientID"])  # private tag with the ID
    return False


def _burned(rng: random.Random, ds: Dataset) -> bool:
    ds.BurnedInAnnotation = "YES"
    return True


DATASET_MUTATIONS: list[Callable[[random.Random, Dataset], bool]] = [
    _set("ImageOrientationPatient", [1, 0, 0, 0, 1], [1, 0, 0, 0, 1, 0, 0], [0] * 6,
         [1, 0, 0, 1, 0, 0], ["nan"] * 6, [1, 0, 0, 0, "inf", 0], [2, 0, 0, 0, 2, 0], "x"),
    _set("ImagePositionPatient", ["nan", 0, 0], [0, 0], [1e300, 0, 0], ["inf", 0, 0],
         [0, 0, 0, 0], "abc"),
    _set("PixelSpacing", [0, 0.8], [-1, 0.8], ["nan", 0.8], ["inf", "inf"], [0.8],
         [1e308, 1], "1e400", [0.8, 0.8, 0.8]),
    _raw(0x00280010, "SS", -512, 0, 32767),  # Rows
    _raw(0x00280011, "US", 0, 65535, 13),  # Columns
    _set("Rows", 0, 65535, 11, 1),
    _set("NumberOfFrames", 10**9, -1, 0, 2, "many"),
    _set("BitsAllocated", 0, 1, 7, 12, 64, 8),
    _set("BitsStored", 0, 17, 40, 12),
    _set("SamplesPerPixel", 3, 0, 2),
    _set("PixelRepresentation", 2, 0),
    _set("RescaleSlope", "inf", "nan", 0, 1e30, -1e30, "abc", 1e-30, 2.5),
    _set("RescaleIntercept", "nan", "-inf", 1e30, 0.5, -32768),
    _set("SliceThickness", "nan", -2, 0),
    _set("TriggerTime", "nan", "inf", -1e30),
    _delete("ImageOrientationPatient"), _delete("PixelSpacing"), _delete("Rows"),
    _delete("ImagePositionPatient", True), _delete("PixelData"),
    _delete("SOPClassUID", True), _delete("SeriesInstanceUID", True),
    _delete("StudyInstanceUID", True),
    _membership("SeriesInstanceUID", "1.2.3.999.1"),
    _membership("Modality", "SEG", "SR"),
    _membership("SOPClassUID", SEG, "1.2.840.10008.5.1.4.1.1.7", "1.2.840.10008.5.1.4.1.1.4.1"),
    _membership("ImageType", ["ORIGINAL", "PRIMARY", "LOCALIZER"]),
    _set("PatientBirthDate", "1962-05-12", "19620231", "abc", ""),
    _pixels, _float_pixels, _syntax, _sequence, _burned,
]


# -- byte mutations of a written file ------------------------------------------------------

def _bytes(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    b = bytearray(data)
    how = rng.choice(["truncate", "flip_header", "unknown_vr", "insert", "zero", "garbage"])
    if how == "truncate":
        return bytes(b[:rng.randint(0, len(b) - 1)]), how
    if how == "flip_header":
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(128, min(len(b), 900))
            b[i] ^= 1 << rng.randrange(8)
        return bytes(b), how
    if how == "unknown_vr":
        for vr in (b"DS", b"US", b"UI", b"CS", b"LO"):
            i = b.find(vr, 132)
            if i > 0:
                b[i:i + 2] = rng.choice([b"HI", b"ZZ", b"\x00\x00", b"SQ", b"UN"])
                break
        return bytes(b), how
    if how == "insert":
        i = rng.randrange(128, len(b))
        return bytes(b[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
                     + b[i:]), how
    if how == "zero":
        i = rng.randrange(128, len(b))
        b[i:i + rng.randint(1, 200)] = b"\x00" * len(b[i:i + 200])
        return bytes(b[:len(data)]), how
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 2000))), how


def _enhanced(rng: random.Random, study: str, series: str) -> Dataset:
    ds = _slice(rng, 0, study, series)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = ENHANCED_CT
    for kw in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing"):
        delattr(ds, kw)
    shared, ori, pix = Dataset(), Dataset(), Dataset()
    ori.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    pix.PixelSpacing = [0.8, 0.8]
    shared.PlaneOrientationSequence, shared.PixelMeasuresSequence = [ori], [pix]
    ds.SharedFunctionalGroupsSequence = [shared]
    per = []
    for k in range(N_SLICES):
        item, pos = Dataset(), Dataset()
        pos.ImagePositionPatient = [10.0, -20.0, -100.0 + 2.0 * k]
        item.PlanePositionSequence = [pos]
        per.append(item)
    ds.PerFrameFunctionalGroupsSequence = per
    ds.NumberOfFrames = N_SLICES
    ds.PixelData = np.random.default_rng(rng.randint(0, 2**31)).integers(
        0, 3000, (N_SLICES, *SHAPE), np.int16).tobytes()
    return ds


def make_case(folder: Path, seed: int) -> Case:
    """Write hostile case ``seed`` into the empty folder ``folder``; returns what was done."""
    rng = random.Random(seed)
    case = Case(seed)
    study, series = _uid(rng), _uid(rng)
    enhanced = rng.random() < 0.15
    slices = [_enhanced(rng, study, series)] if enhanced else [
        _slice(rng, k, study, series) for k in range(N_SLICES)]
    for _ in range(rng.randint(1, 3)):
        ds = rng.choice(slices)
        if rng.random() < 0.75:
            mutation = rng.choice(DATASET_MUTATIONS)
            try:
                case.membership |= mutation(rng, ds)
            except Exception:  # noqa: BLE001 - pydicom refused the mutation itself
                continue
            case.mutations.append(mutation.__name__)
        else:
            case.mutations.append("bytes")
    if enhanced:
        case.mutations.append("enhanced")
        case.membership = True  # one file: any damage removes the whole series
    byte_targets = {rng.randrange(len(slices)) for m in case.mutations if m == "bytes"}
    for i, ds in enumerate(slices):
        path = folder / f"{rng.getrandbits(40):010x}.dcm"
        buf = io.BytesIO()
        try:
            ds.save_as(buf, enforce_file_format=True)
        except Exception:  # noqa: BLE001 - a mutation pydicom cannot write: write it raw
            ds.save_as(buf, enforce_file_format=False)
        data = buf.getvalue()
        if id(ds) in _PATCH:
            data = _patch_syntax(data, _PATCH.pop(id(ds)))
        if i in byte_targets:
            data, how = _bytes(rng, data)
            case.mutations.append(f"bytes:{how}")
            case.membership |= how in ("truncate", "garbage", "flip_header", "insert",
                                       "unknown_vr", "zero")
        path.write_bytes(data)
    extra = rng.random()
    if extra < 0.08 and not enhanced:  # the same instance again, in another encoding
        ds = slices[0].copy()
        try:
            ds.compress(RLELossless)
            _save(ds, folder / "duplicate_rle.dcm")
            case.mutations.append("duplicate RLE")
        except Exception:  # noqa: BLE001 - the mutated slice cannot be compressed
            pass
    elif extra < 0.14:  # an unrelated SEG beside the series
        seg = _slice(rng, 0, _uid(rng), _uid(rng))
        seg.Modality, seg.SOPClassUID = "SEG", SEG
        seg.file_meta.MediaStorageSOPClassUID = SEG
        ref = Dataset()
        ref.SeriesInstanceUID = _uid(rng)
        seg.ReferencedSeriesSequence = [ref]
        _save(seg, folder / "unrelated_seg.dcm")
        case.mutations.append("unrelated SEG")
    elif extra < 0.18:
        (folder / "notes.txt").write_text("not dicom")
        case.mutations.append("text file")
    return case
