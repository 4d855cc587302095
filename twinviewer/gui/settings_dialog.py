"""Application settings (QSettings-backed): rendering, colour map, pressure unit."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QWidget,
)

COLORMAPS = ("viridis", "plasma", "inferno", "magma", "cividis", "coolwarm", "turbo")
PRESSURE_UNITS = ("mmHg", "kPa")


@dataclass
class ViewerSettings:
    """Persistent viewer preferences.

    Attributes
    ----------
    multi_sampling : bool, default: False
        MSAA in the 3D view (smoother edges, slower under software rendering; next start).
    cmap : str, default: 'viridis'
        Colour map of the 3D overlays.
    pressure_unit : {'mmHg', 'kPa'}
        Unit of the pressure overlay (wall stress is always kPa).
    """

    multi_sampling: bool = False
    cmap: str = "viridis"
    pressure_unit: str = "mmHg"

    @classmethod
    def load(cls, qs: QSettings) -> ViewerSettings:
        s = cls()
        s.multi_sampling = str(qs.value("view/multi_sampling", "false")).lower() == "true"
        cmap = str(qs.value("view/cmap", s.cmap))
        s.cmap = cmap if cmap in COLORMAPS else "viridis"
        unit = str(qs.value("view/pressure_unit", s.pressure_unit))
        s.pressure_unit = unit if unit in PRESSURE_UNITS else "mmHg"
        return s

    def save(self, qs: QSettings) -> None:
        qs.setValue("view/multi_sampling", "true" if self.multi_sampling else "false")
        qs.setValue("view/cmap", self.cmap)
        qs.setValue("view/pressure_unit", self.pressure_unit)


class SettingsDialog(QDialog):
    """Edit a :class:`ViewerSettings`; :meth:`values` returns the edited copy."""

    def __init__(self, current: ViewerSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        form = QFormLayout(self)
        self.msaa = QCheckBox("Multi-sampling anti-aliasing (takes effect at next start)")
        self.msaa.setChecked(current.multi_sampling)
        self.cmap = QComboBox()
        self.cmap.addItems(COLORMAPS)
        self.cmap.setCurrentText(current.cmap)
        self.unit = QComboBox()
        self.unit.addItems(PRESSURE_UNITS)
        self.unit.setCurrentText(current.pressure_unit)
        form.addRow("3D rendering", self.msaa)
        form.addRow("Overlay colour map", self.cmap)
        form.addRow("Pressure overlay unit", self.unit)
        form.addRow(QLabel("Wall stress is shown in kPa; volumes in mL."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> ViewerSettings:
        return ViewerSettings(self.msaa.isChecked(), self.cmap.currentText(),
                              self.unit.currentText())
