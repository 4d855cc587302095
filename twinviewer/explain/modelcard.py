"""A model card generated from the model declaration and the project's validation results."""

from __future__ import annotations

from dataclasses import dataclass

from twinviewer.core.format import number, span, unit
from twinviewer.explain.validation import ValidationReport
from twinviewer.explain.words import cited, plain_text
from twinviewer.physiology import ModelSpec


@dataclass(frozen=True)
class ModelCard:
    """What the model is, what it assumes, where it may be used, and what was checked."""

    name: str
    title: str
    version: str
    equation_hash: str
    assumptions: tuple[str, ...]
    context_of_use: str
    references: tuple[str, ...]
    parameters: tuple[dict, ...]
    validation: ValidationReport | None

    def validation_line(self) -> str:
        """e.g. '68 checks: 52 passed, 15 failed, 1 not counted (regazzoni2022 19/19, …,
        evidence 15/30 (1 unsourced row not counted))'."""
        v = self.validation
        if v is None:
            return "validation not run"
        groups = ", ".join(f"{g} {p}/{p + f}" + (f" ({_not_counted(g, s)})" if s else "")
                           for g, (p, f, s) in v.groups().items())
        when = f"; run {v.ran_at}" if v.ran_at else ""
        return (f"{len(v.checks)} checks: {v.n_passed} passed, {v.n_failed} failed, "
                f"{v.n_skipped} not counted ({groups}){when}")

    def evidence_line(self) -> str:
        """Pass rate of the evidence table, failures counted, UNSOURCED rows apart; e.g.
        '12 of 28 sourced evidence rows pass (43 %); 16 fail; 1 UNSOURCED not counted'."""
        v = self.validation
        rows = [] if v is None else [c for c in v.checks if c.group == "evidence"]
        if not rows:
            return "evidence table not run for this model"
        passed = sum(c.passed is True for c in rows)
        failed = sum(c.passed is False for c in rows)
        unsourced = sum(c.passed is None for c in rows)
        sourced = passed + failed
        rate = f" ({100 * passed / sourced:.0f} %)" if sourced else ""
        rows_word = "row" if unsourced == 1 else "rows"
        return (f"{passed} of {sourced} sourced evidence rows pass{rate}; {failed} fail; "
                f"{unsourced} unsourced {rows_word} not counted")

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "version": self.version,
                "equation_hash": self.equation_hash, "assumptions": list(self.assumptions),
                "context_of_use": self.context_of_use, "references": list(self.references),
                "parameters": list(self.parameters),
                "validation": None if self.validation is None else {
                    "summary": self.validation_line(), "evidence": self.evidence_line(),
                    **self.validation.to_dict()}}

    def to_text(self) -> str:
        """Markdown text of the card."""
        lines = [f"# {self.title}", "",
                 f"Model `{self.name}` v{self.version}, equations {self.equation_hash}.", "",
                 "## Context of use", self.context_of_use or "(not declared)", "",
                 "## Assumptions"]
        lines += [f"- {a}" for a in self.assumptions] or ["- (none declared)"]
        lines += ["", "## Validation", self.validation_line(), "",
                  f"Evidence table: {self.evidence_line()}."]
        if self.validation is not None:
            for c in self.validation.failures():
                lines.append(f"- FAILED {c.group}: {cited(c.shown)}: {cited(c.detail)}")
        lines += ["", "## Parameters", "| parameter | unit | default | plausible | prior 90 % |",
                  "|---|---|---|---|---|"]
        for p in self.parameters:
            lines.append(f"| {p.get('label') or p['name']} | {unit(p['unit']) or 'fraction'} | "
                         f"{number(p['default'])} | {span(*p['plausible'])} | "
                         f"{span(*p['prior_90'])} |")
        lines += ["", "## References"] + [f"- {cited(r)}" for r in self.references]
        return "\n".join(lines)


def _not_counted(group: str, n: int) -> str:
    """Why ``n`` checks of ``group`` are not counted: an evidence row without a source is not
    evidence; other checks are skipped (e.g. svZeroDSolver cases without their data).

    Examples
    --------
    >>> _not_counted("evidence", 1), _not_counted("svzerod import", 2)
    ('1 unsourced row not counted', '2 skipped')
    """
    if group == "evidence":
        return f"{n} unsourced row{'' if n == 1 else 's'} not counted"
    return f"{n} skipped"


def model_card(model: ModelSpec, validation: ValidationReport | None = None) -> ModelCard:
    """The card of ``model``; ``validation`` should be that model's report (see
    :func:`twinviewer.explain.validation.validation_report`)."""
    if validation is not None and validation.equation_hash != model.equation_hash:
        raise ValueError(f"validation results are for equations {validation.equation_hash}, "
                         f"not {model.name}'s {model.equation_hash}")
    params = tuple(
        {"name": p.name, "label": p.label, "unit": p.unit, "default": p.default,
         "description": p.description,
         "plausible": [float(p.plausible[0]), float(p.plausible[1])],
         "prior_kind": p.prior.kind, "prior_90": list(p.prior.interval(0.9))}
        for p in model.parameters)
    # the card is read by people: its assumptions name parameters in words
    return ModelCard(model.name, model.title, model.version, model.equation_hash,
                     tuple(plain_text(a, model) for a in model.assumptions),
                     plain_text(model.context_of_use, model), tuple(model.references),
                     params, validation)
