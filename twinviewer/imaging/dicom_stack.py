"""pydicom, imported whole by one module so that two threads can never see it half-made.

pydicom's package and its submodules import each other in a cycle. When two threads start
importing them at once — a window's demo-heart job importing ``segmentation`` while the GUI
thread reads the autosave key through ``deid`` (review15 #1) — Python hands each thread the
other's half-initialised module and one fails with "partially initialized module
'pydicom.dataset'". Every module of the app that uses pydicom imports it from here instead:
Python's import lock on this one module makes the second thread wait until pydicom is whole.
``tests/imaging/test_dicom_stack.py`` checks that no other module imports pydicom itself.

Examples
--------
>>> from twinviewer.imaging.dicom_stack import Dataset, pydicom
>>> isinstance(pydicom.Dataset(), Dataset)
True
"""

from __future__ import annotations

import threading

import pydicom
import pydicom.config
import pydicom.datadict
import pydicom.multival
import pydicom.valuerep
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels import pixel_array
from pydicom.uid import (
    UID,
    CTImageStorage,
    ExplicitVRLittleEndian,
    UID_dictionary,
    generate_uid,
)

_LATE = threading.Lock()


def sr_codes():
    """pydicom's table of coded concepts (``pydicom.sr.codedict.codes``), imported when first
    needed (a large table, not wanted at start) and under one lock with :func:`highdicom`:
    highdicom imports it too, and two threads importing it at once failed as pydicom did
    (final15 #5).

    Examples
    --------
    >>> sr_codes().DCM.BasicApplicationConfidentialityProfile.value
    '113100'
    """
    with _LATE:
        from pydicom.sr.codedict import codes

    return codes


def highdicom():
    """The ``highdicom`` package (DICOM SEG), imported when first needed, under the lock of
    :func:`sr_codes`.

    Examples
    --------
    >>> highdicom().seg.Segmentation.__name__
    'Segmentation'
    """
    with _LATE:
        import highdicom as hd

    return hd


__all__ = ["CTImageStorage", "DataElement", "Dataset", "ExplicitVRLittleEndian",
           "FileMetaDataset", "InvalidDicomError", "UID", "UID_dictionary", "generate_uid",
           "highdicom", "pixel_array", "pydicom", "sr_codes"]
