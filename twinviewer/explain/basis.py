"""What a prediction rests on: each parameter's provenance, and which quantities are inferred.

Nobody measures a chamber's stiffness, contractility, a resistance, a compliance or the
blood volume held by the loop: such parameters are *inferred* (calibrated against data, or
assumed from a prior) and are labelled so wherever they appear, with the measurements that
inform them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twinviewer.core.format import unit as _u
from twinviewer.core.provenance import TO_IMAGE_VOLUMES, Provenance, Source
from twinviewer.core.twin import Twin
from twinviewer.personalize.parameter_count import parameter_state
from twinviewer.personalize.quantities import shown_quantities
from twinviewer.physiology import ModelSpec

#: Kinds of parameter no instrument measures directly, by name suffix / name.
UNMEASURABLE_KINDS: tuple[tuple[str, str], ...] = (
    (".EB", "stiffness (passive elastance)"),
    (".EA", "contractility (active elastance)"),
    (".R_", "resistance"),
    (".C_", "compliance"),
    (".L_", "inertance"),
    (".V0", "unstressed volume"),
    ("V_total", "blood volume held by the loop"),
)


def unmeasurable_kind(name: str) -> str | None:
    """What kind of never-measured quantity ``name`` is, or None if it can be measured."""
    for key, kind in UNMEASURABLE_KINDS:
        if key in name:
            return kind
    return None


@dataclass(frozen=True)
class ParameterBasis:
    """One parameter's value and the evidence behind it.

    ``inferred`` is True for calibrated values and always for quantities no instrument
    measures (:data:`UNMEASURABLE_KINDS`), whatever their recorded source; a measurable
    quantity that was simply assumed (a preset's heart rate) is labelled "assumed".
    ``evidence`` lists the measurements named in the provenance inputs, with their values.
    """

    name: str
    unit: str
    value: float
    description: str
    source: Source
    detail: str
    inputs: tuple[str, ...]
    inferred: bool
    kind: str | None
    evidence: tuple[str, ...]
    prior_interval: tuple[float, float]

    @property
    def state(self) -> str:
        """Exactly one of 'measured', 'derived from images', 'calibrated', 'moved with the
        heart size', 'moved with correlated parameters', 'prior' — the source of the value
        this twin uses, whatever kind of quantity it is."""
        if self.source is Source.MEASURED and self.kind is not None:
            return "prior"  # no instrument measures it: a record saying so is not believed
        # the Calibrate step's and the report's lookup: one moved only through a shared
        # coordinate is "moved with the heart size", not "calibrated"
        state = parameter_state(Provenance(self.source, self.detail, self.inputs))
        return "prior" if state == Source.PRIOR.value else state

    @property
    def label(self) -> str:
        """Short label for tables: 'measured', 'from images', 'inferred (calibrated from
        SBP, DBP)', 'inferred (assumed: prior)'."""
        if not self.inferred:
            return {Source.MEASURED: "measured", Source.IMAGE_DERIVED: "derived from images"
                    }.get(self.source, "assumed (prior value, not measured)")
        if self.source is Source.CALIBRATED and self.detail.startswith(TO_IMAGE_VOLUMES):
            # fitted to image volumes, not measured on the images
            how = (f"{TO_IMAGE_VOLUMES}: {shown_quantities(self.inputs)}" if self.inputs
                   else TO_IMAGE_VOLUMES)
        elif self.source is Source.CALIBRATED:
            how = (f"calibrated from {shown_quantities(self.inputs)}" if self.inputs
                   else "calibrated")
        elif self.source is Source.PRIOR:
            how = "assumed: prior, not informed by this patient's data"
        else:
            how = str(self.source) + (f" from {shown_quantities(self.inputs)}"
                                      if self.inputs else "")
        return f"inferred ({how})"

    def to_dict(self) -> dict:
        return {"name": self.name, "unit": self.unit, "value": self.value,
                "description": self.description, "source": self.source.value,
                "detail": self.detail, "inputs": list(self.inputs), "inferred": self.inferred,
                "kind": self.kind, "label": self.label, "state": self.state,
                "evidence": list(self.evidence),
                "prior_interval_90": list(self.prior_interval)}


def _evidence(twin: Twin, inputs: Sequence[str]) -> tuple[str, ...]:
    out = []
    image = list(twin.anatomy.measurements) if twin.anatomy is not None else []
    for name in inputs:
        m = twin.measurement(name) or next((x for x in image if x.name == name), None)
        if m is not None:
            out.append(f"{m.name} {m.value:.4g} ± {m.uncertainty:.2g} {_u(m.unit)}"
                       + (f" ({m.source})" if m.source else ""))
        else:
            out.append(f"{name} (not among the twin's measurements)")
    return tuple(out)


def parameter_basis(twin: Twin, model: ModelSpec, names: Sequence[str] | None = None
                    ) -> list[ParameterBasis]:
    """Provenance and inferred-status of the named parameters (all if None)."""
    names = list(names) if names is not None else list(model.parameter_names)
    out = []
    for n in names:
        j = model.index(n)
        par = model.parameters[j]
        prov = twin.provenance.get(n) or Provenance(Source.PRIOR, "not recorded")
        kind = unmeasurable_kind(n)
        inferred = kind is not None or prov.source is Source.CALIBRATED
        value = float(twin.params[j])
        out.append(ParameterBasis(
            n, par.unit, value, par.description, prov.source, prov.detail, prov.inputs,
            inferred, kind, _evidence(twin, prov.inputs),
            par.prior.interval(0.9)))
    return out


def inferred_label(twin: Twin, model: ModelSpec, name: str) -> str:
    """A parameter's name with its inferred/measured label, e.g. 'SYS.R_AR [inferred
    (calibrated from MAP)]'."""
    return f"{name} [{parameter_basis(twin, model, [name])[0].label}]"


def informing_data(basis: Sequence[ParameterBasis]) -> dict[str, list[str]]:
    """Measurement name → inferred parameters it informs (from the provenance inputs)."""
    out: dict[str, list[str]] = {}
    for b in basis:
        if b.inferred:
            for i in b.inputs:
                out.setdefault(i, []).append(b.name)
    return out

