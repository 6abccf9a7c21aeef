"""Money: integer minor units that always travel with their ISO 4217 currency."""

from __future__ import annotations

from dataclasses import dataclass

from zkredit.errors import InputError

MAX_MINOR = 2**63 - 1
"""The largest amount in minor units anything stores: amount columns are signed 64-bit.

Every input that names an amount is bounded by it, so an oversized amount is the
caller's error (4xx) rather than a database overflow (500).
"""


@dataclass(frozen=True)
class Currency:
    """An ISO 4217 currency: alpha code, numeric code and minor-unit exponent."""

    code: str
    numeric: int
    exponent: int

    def __str__(self) -> str:
        return self.code


_CURRENCIES = {
    c.code: c
    for c in (
        Currency("USD", 840, 2),
        Currency("SGD", 702, 2),
        Currency("PHP", 608, 2),
        Currency("NGN", 566, 2),
        Currency("EUR", 978, 2),
        Currency("GBP", 826, 2),
        Currency("KES", 404, 2),
        Currency("MXN", 484, 2),
        Currency("INR", 356, 2),
        Currency("AED", 784, 2),
    )
}
_BY_NUMERIC = {c.numeric: c for c in _CURRENCIES.values()}


def currency(code: str | int) -> Currency:
    """Look up a supported currency by alpha or numeric code."""
    found = _BY_NUMERIC.get(code) if isinstance(code, int) else _CURRENCIES.get(code.upper())
    if found is None:
        known = ", ".join(sorted(_CURRENCIES))
        raise InputError(f"unsupported currency {code!r}; supported: {known}")
    return found


@dataclass(frozen=True)
class Money:
    """An amount in minor units (cents, kobo, centavos) of one currency."""

    minor: int
    currency: Currency

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise InputError(f"money amounts are integers in minor units. Got {self.minor!r}")

    @classmethod
    def of(cls, major: int, code: str) -> Money:
        """``Money.of(750_000, "NGN")``: a whole number of major units."""
        cur = currency(code)
        return cls(major * 10**cur.exponent, cur)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InputError(f"cannot combine {self.currency} and {other.currency} amounts")

    @classmethod
    def zero(cls, code: str) -> Money:
        return cls(0, currency(code))

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.minor >= other.minor

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __str__(self) -> str:
        exp = self.currency.exponent
        sign = "-" if self.minor < 0 else ""
        whole, frac = divmod(abs(self.minor), 10**exp)
        frac_txt = f".{frac:0{exp}d}" if exp else ""
        return f"{self.currency.code} {sign}{whole:,}{frac_txt}"
