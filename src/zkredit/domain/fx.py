"""Foreign exchange: exact rates, conversion, and the rate-source seam.

A rate is an exact rational (:class:`fractions.Fraction`) parsed from a decimal
string, never a float, so a conversion is exact until its single half-up rounding
to the target currency's minor unit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Protocol

from zkredit.domain import datafiles as df
from zkredit.domain.errors import DataFileError, RateUnavailableError
from zkredit.domain.instant import require_aware
from zkredit.domain.money import Currency, Money, currency
from zkredit.domain.rounding import BPS_DENOMINATOR, round_half_up, to_decimal_str
from zkredit.errors import InputError

SNAPSHOT_FILE = "fx_snapshot.json"
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


def parse_decimal(text: str) -> Fraction:
    """A plain decimal string (``"58.40"``) as an exact :class:`Fraction`.

    Exponents, signs, fractions and whitespace are refused so that a rate file
    reads the same to a person and to the program.
    """
    if not isinstance(text, str) or not _DECIMAL.fullmatch(text):
        raise InputError(f"expected a plain decimal string such as '58.40'. Got {text!r}")
    return Fraction(text)


@dataclass(frozen=True)
class FxRate:
    """``1 base = rate quote`` in major units, exact, as published at ``as_of``."""

    base: Currency
    quote: Currency
    rate: Fraction
    as_of: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.rate, Fraction):
            raise InputError(
                f"an FX rate is an exact Fraction. Got {type(self.rate).__name__} {self.rate!r}",
                hint="build rates with FxRate.parse(base, quote, '58.40', as_of)",
            )
        if self.rate <= 0:
            raise InputError(f"an FX rate must be positive. Got {self.rate}")
        require_aware(self.as_of, "FxRate.as_of")

    @classmethod
    def parse(cls, base: Currency, quote: Currency, text: str, as_of: datetime) -> FxRate:
        """A rate from a decimal string: ``FxRate.parse(SGD, PHP, "45.0965", as_of)``."""
        return cls(base, quote, parse_decimal(text), as_of)

    @property
    def minor_rate(self) -> Fraction:
        """Quote minor units per base minor unit (the exponents may differ)."""
        return self.rate * Fraction(10) ** (self.quote.exponent - self.base.exponent)

    def inverse(self) -> FxRate:
        """The same rate read the other way round: ``1 quote = 1/rate base``."""
        return FxRate(self.quote, self.base, 1 / self.rate, self.as_of)

    def with_markup(self, markup_bps: int) -> FxRate:
        """The customer rate: ``rate × (10 000 − markup_bps) / 10 000``, exact.

        The customer receives fewer quote units than at mid; the difference is the
        provider's FX margin.
        """
        if isinstance(markup_bps, bool) or not isinstance(markup_bps, int):
            raise InputError(f"markup is an integer number of bp. Got {markup_bps!r}")
        if not 0 <= markup_bps < BPS_DENOMINATOR:
            raise InputError(f"markup must be in [0, 10000) bp. Got {markup_bps}")
        factor = Fraction(BPS_DENOMINATOR - markup_bps, BPS_DENOMINATOR)
        return FxRate(self.base, self.quote, self.rate * factor, self.as_of)

    def decimal(self, places: int = 6) -> str:
        """The rate as a decimal string rounded half-up to ``places`` (display only)."""
        return to_decimal_str(self.rate, places)

    def __str__(self) -> str:
        return f"1 {self.base} = {self.decimal()} {self.quote}"


def convert_exact(money: Money, rate: FxRate) -> Fraction:
    """``money`` in ``rate.quote`` minor units, exact (not yet rounded)."""
    if money.currency != rate.base:
        raise InputError(f"cannot convert {money.currency} with a {rate.base}->{rate.quote} rate")
    return money.minor * rate.minor_rate


def convert(money: Money, rate: FxRate) -> Money:
    """``money`` converted at ``rate``, rounded half-up once to the quote's minor unit."""
    return Money(round_half_up(convert_exact(money, rate)), rate.quote)


class RateProvider(Protocol):
    """The seam between the domain and a rate source (snapshot, live feed, test double)."""

    def mid_rate(self, base: Currency, quote: Currency, at: datetime) -> FxRate:
        """The mid-market rate ``1 base = r quote`` valid at ``at``."""
        ...


class SnapshotRateProvider:
    """Mid rates from one committed snapshot, quoted against a pivot (USD).

    Every cross rate is derived through the pivot: ``base→quote = per_pivot[quote] /
    per_pivot[base]``, exactly. ``max_age`` (optional) bounds how far ``at`` may lie
    from the snapshot's ``as_of``, either side, before the rate counts as unavailable.
    """

    def __init__(
        self,
        *,
        as_of: datetime,
        pivot: Currency,
        per_pivot: Mapping[Currency, Fraction],
        source: str,
        max_age: timedelta | None = None,
    ) -> None:
        self.as_of = require_aware(as_of, "snapshot as_of")
        self.pivot = pivot
        self.source = source
        self.max_age = max_age
        self._per_pivot = dict(per_pivot)
        if self._per_pivot.get(pivot) != 1:
            raise InputError(f"the pivot {pivot} must be quoted at exactly 1 in its own snapshot")

    @classmethod
    def from_json_text(
        cls, text: str, *, where: str = SNAPSHOT_FILE, max_age: timedelta | None = None
    ) -> SnapshotRateProvider:
        """Load a snapshot from JSON text (see ``zkredit/data/fx_snapshot.json``)."""
        return cls._from_json(df.parse_json(text, where), where, max_age)

    @classmethod
    def packaged(cls, *, max_age: timedelta | None = None) -> SnapshotRateProvider:
        """The demo snapshot shipped with the package."""
        return cls._from_json(df.read_packaged_json(SNAPSHOT_FILE), SNAPSHOT_FILE, max_age)

    @classmethod
    def _from_json(cls, raw: object, where: str, max_age: timedelta | None) -> SnapshotRateProvider:
        obj = df.as_object(raw, where)
        as_of_text = df.as_str(df.field(obj, "as_of", where), f"{where}: as_of")
        try:
            as_of = datetime.fromisoformat(as_of_text)
            require_aware(as_of, "as_of")
        except (ValueError, InputError) as exc:
            raise DataFileError(f"{where}: as_of is not an aware ISO 8601 instant: {exc}") from exc
        rates = df.as_object(df.field(obj, "rates", where), f"{where}: rates")
        per_pivot: dict[Currency, Fraction] = {}
        for code, value in rates.items():
            place = f"{where}: rates.{code}"
            try:
                per_pivot[currency(code)] = parse_decimal(df.as_str(value, place))
            except InputError as exc:
                raise DataFileError(f"{place}: {exc.message}") from exc
            if per_pivot[currency(code)] <= 0:
                raise DataFileError(f"{place}: a rate must be positive")
        try:
            pivot = currency(df.as_str(df.field(obj, "pivot", where), f"{where}: pivot"))
            return cls(
                as_of=as_of,
                pivot=pivot,
                per_pivot=per_pivot,
                source=df.as_str(df.field(obj, "source", where), f"{where}: source"),
                max_age=max_age,
            )
        except InputError as exc:
            raise DataFileError(f"{where}: {exc.message}") from exc

    @property
    def currencies(self) -> tuple[Currency, ...]:
        """The currencies this snapshot can quote, in file order."""
        return tuple(self._per_pivot)

    def mid_rate(self, base: Currency, quote: Currency, at: datetime) -> FxRate:
        """The exact mid rate ``1 base = r quote`` from the snapshot."""
        require_aware(at, "at")
        if self.max_age is not None and abs(at - self.as_of) > self.max_age:
            raise RateUnavailableError(
                f"the FX snapshot of {self.as_of.isoformat()} is more than {self.max_age} "
                f"away from {at.isoformat()}",
                hint="refresh the rate snapshot or use a live rate provider",
            )
        missing = [c.code for c in (base, quote) if c not in self._per_pivot]
        if missing:
            known = ", ".join(c.code for c in self._per_pivot)
            raise RateUnavailableError(
                f"no {base}->{quote} rate: {', '.join(missing)} not in snapshot {self.source}",
                hint=f"the snapshot quotes {known}",
            )
        rate = self._per_pivot[quote] / self._per_pivot[base]
        return FxRate(base, quote, rate, self.as_of)
