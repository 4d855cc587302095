"""Teaching with virtual hearts: direct controls, lessons as data, diagnose-the-hidden-lesion
and the education-mode policy. Qt-free; the GUI panels in :mod:`twinviewer.gui` sit on top.

Layers: above :mod:`twinviewer.interventions` and :mod:`twinviewer.explain`, below
:mod:`twinviewer.document` and the GUI.
"""
