"""DICOM, segmentations and meshes: from the patient's images to a labelled heart (Qt-free)."""
