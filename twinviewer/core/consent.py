"""Consent and provenance ledger: which data item entered the twin, from where, under which consent.

Every measurement that enters a living twin (a FHIR Observation, a wearable summary, a value
typed in) gets one :class:`LedgerItem`: the visit day, the measurement name, its *source*
(``'fhir:<bundle>'``, ``'wearable:<file>'``, ``'manual'``), the consent it was used under and
the resource it came from. Withdrawing a source marks its items withdrawn and records a
:class:`Withdrawal` that names the source and how many items went, never their values; the
caller then removes the data and re-calibrates (:func:`twinviewer.personalize.timeline.withdraw`).

The ledger is immutable: every change returns a new ledger, so a twin derived by
``dataclasses.replace`` never shares a mutable ledger with its parent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

#: Consent bases accepted on input (free text is refused so the ledger stays comparable).
CONSENTS = ("treatment", "research", "patient-provided")


class ConsentError(ValueError):
    """An unknown consent, or a withdrawal of a source the twin does not hold."""


@dataclass(frozen=True)
class LedgerItem:
    """One data item that entered the twin.

    Examples
    --------
    >>> LedgerItem("d0:SBP:obs-1", 0, "SBP", "fhir:visit-0.json", "treatment", "Observation/obs-1")
    ... # doctest: +ELLIPSIS
    LedgerItem(item='d0:SBP:obs-1', day=0, ...)
    """

    item: str
    day: int
    name: str
    source: str
    consent: str
    reference: str = ""
    withdrawn: bool = False

    def to_dict(self) -> dict:
        return {"item": self.item, "day": self.day, "name": self.name, "source": self.source,
                "consent": self.consent, "reference": self.reference,
                "withdrawn": self.withdrawn}

    @classmethod
    def from_dict(cls, d: dict) -> LedgerItem:
        return cls(str(d["item"]), int(d["day"]), str(d["name"]), str(d["source"]),
                   str(d["consent"]), str(d.get("reference", "")), bool(d.get("withdrawn")))


@dataclass(frozen=True)
class Withdrawal:
    """A withdrawn source: what went (counts and names), never the values."""

    source: str
    n_items: int
    names: tuple[str, ...]
    reason: str = ""

    def to_dict(self) -> dict:
        return {"source": self.source, "n_items": self.n_items, "names": list(self.names),
                "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict) -> Withdrawal:
        return cls(str(d["source"]), int(d["n_items"]), tuple(str(x) for x in d["names"]),
                   str(d.get("reason", "")))


@dataclass(frozen=True)
class ConsentLedger:
    """The twin's ledger (immutable; see the module docstring).

    Examples
    --------
    >>> led = ConsentLedger().add([LedgerItem("a", 0, "SBP", "manual", "treatment")])
    >>> led.sources()
    ['manual']
    >>> led2, w = led.withdraw("manual")
    >>> (led2.active(), w.n_items)
    ((), 1)
    """

    items: tuple[LedgerItem, ...] = ()
    withdrawals: tuple[Withdrawal, ...] = field(default_factory=tuple)

    def add(self, new: list[LedgerItem]) -> ConsentLedger:
        """A ledger with ``new`` appended; unknown consents and repeated item ids refused."""
        seen = {i.item for i in self.items}
        for it in new:
            if it.consent not in CONSENTS:
                raise ConsentError(f"data item {it.item} ({it.name}): consent {it.consent!r} "
                                   f"is not one of {', '.join(CONSENTS)}")
            if it.item in seen:
                raise ConsentError(f"data item {it.item} ({it.name}) is already in the ledger")
            seen.add(it.item)
        return replace(self, items=self.items + tuple(new))

    def active(self) -> tuple[LedgerItem, ...]:
        """Items not withdrawn."""
        return tuple(i for i in self.items if not i.withdrawn)

    def sources(self) -> list[str]:
        """Sources with data still in the twin, in order of arrival."""
        return list(dict.fromkeys(i.source for i in self.active()))

    def withdraw(self, source: str, reason: str = "") -> tuple[ConsentLedger, Withdrawal]:
        """Mark every item of ``source`` withdrawn; returns the new ledger and the record.

        Raises
        ------
        ConsentError
            If no active item comes from ``source``.
        """
        hit = [i for i in self.active() if i.source == source]
        if not hit:
            raise ConsentError(f"no data from source {source!r} in this twin (sources: "
                               f"{', '.join(self.sources()) or 'none'})")
        w = Withdrawal(source, len(hit), tuple(sorted({i.name for i in hit})), reason)
        items = tuple(replace(i, withdrawn=True) if i.source == source else i
                      for i in self.items)
        return ConsentLedger(items, self.withdrawals + (w,)), w

    def to_dict(self) -> dict:
        return {"items": [i.to_dict() for i in self.items],
                "withdrawals": [w.to_dict() for w in self.withdrawals]}

    @classmethod
    def from_dict(cls, d: dict) -> ConsentLedger:
        return cls(tuple(LedgerItem.from_dict(x) for x in d.get("items", ())),
                   tuple(Withdrawal.from_dict(x) for x in d.get("withdrawals", ())))
