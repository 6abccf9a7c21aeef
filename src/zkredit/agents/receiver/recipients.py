"""Recipient verification: the institution exists, serves the route, and the account fits.

The directory is deterministic sample data: a handful of banks, mobile-money
providers and cash-pickup networks in the demo corridors' destination countries,
each with the account format it accepts. An institution is matched by its name
or an alias, ignoring case, accents and punctuation (``"Banco de Oro"`` is BDO
Unibank). Mexican CLABEs are checked in full: bank prefix and check digit.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from zkredit.domain.fees import Route


class InstitutionKind(StrEnum):
    """What an institution pays out into."""

    BANK = "bank"
    MOBILE_MONEY = "mobile money provider"
    CASH_PICKUP = "cash pickup network"


ROUTE_KIND = {
    Route.BANK_TRANSFER: InstitutionKind.BANK,
    Route.MOBILE_MONEY: InstitutionKind.MOBILE_MONEY,
    Route.CASH_PICKUP: InstitutionKind.CASH_PICKUP,
}


def clabe_valid(account: str) -> bool:
    """The CLABE check digit: weights 3, 7, 1 over 17 digits, ``(10 − Σ mod 10) mod 10``."""
    if not re.fullmatch(r"\d{18}", account):
        return False
    total = sum(int(d) * (3, 7, 1)[i % 3] % 10 for i, d in enumerate(account[:17]))
    return (10 - total % 10) % 10 == int(account[17])


@dataclass(frozen=True)
class Institution:
    """A payout institution and the account format it accepts."""

    name: str
    country: str
    kind: InstitutionKind
    account_pattern: str
    account_format: str
    aliases: tuple[str, ...] = ()
    account_check: Callable[[str], bool] | None = field(default=None, compare=False)

    def accepts(self, account: str) -> bool:
        if not re.fullmatch(self.account_pattern, account):
            return False
        return self.account_check is None or self.account_check(account)


def _bank(name: str, country: str, pattern: str, fmt: str, *aliases: str) -> Institution:
    return Institution(name, country, InstitutionKind.BANK, pattern, fmt, aliases)


def _clabe(name: str, prefix: str, *aliases: str) -> Institution:
    return Institution(
        name,
        "MX",
        InstitutionKind.BANK,
        prefix + r"\d{15}",
        f"an 18-digit CLABE starting {prefix}",
        aliases,
        clabe_valid,
    )


_PH_MOBILE = r"(09|\+639|639)\d{9}"
_KE_MOBILE = r"(07|01|\+2547|\+2541|2547|2541)\d{8}"
_NG_MOBILE = r"(0|\+234|234)[789][01]\d{8}"
_PICKUP_ID = r"\+?[0-9A-Za-z]{6,20}"

DIRECTORY: tuple[Institution, ...] = (
    # Philippines
    _bank("BDO Unibank", "PH", r"\d{10}|\d{12}", "10 or 12 digits", "Banco de Oro", "BDO"),
    _bank("Bank of the Philippine Islands", "PH", r"\d{10}", "10 digits", "BPI"),
    _bank("Metropolitan Bank and Trust", "PH", r"\d{13}", "13 digits", "Metrobank"),
    _bank("Land Bank of the Philippines", "PH", r"\d{10}", "10 digits", "Landbank", "LBP"),
    _bank("UnionBank of the Philippines", "PH", r"\d{12}", "12 digits", "UnionBank"),
    _bank("Security Bank", "PH", r"\d{13}", "13 digits"),
    Institution("GCash", "PH", InstitutionKind.MOBILE_MONEY, _PH_MOBILE, "a PH mobile number"),
    Institution(
        "Maya", "PH", InstitutionKind.MOBILE_MONEY, _PH_MOBILE, "a PH mobile number", ("PayMaya",)
    ),
    Institution("Cebuana Lhuillier", "PH", InstitutionKind.CASH_PICKUP, _PICKUP_ID, "6-20 chars"),
    Institution(
        "Palawan Express Pera Padala",
        "PH",
        InstitutionKind.CASH_PICKUP,
        _PICKUP_ID,
        "6-20 letters or digits",
        ("Palawan Express",),
    ),
    Institution("M Lhuillier", "PH", InstitutionKind.CASH_PICKUP, _PICKUP_ID, "6-20 chars"),
    # Nigeria: NUBAN account numbers
    _bank("Access Bank", "NG", r"\d{10}", "a 10-digit NUBAN"),
    _bank("Guaranty Trust Bank", "NG", r"\d{10}", "a 10-digit NUBAN", "GTBank", "GTB", "GTCO"),
    _bank("First Bank of Nigeria", "NG", r"\d{10}", "a 10-digit NUBAN", "First Bank", "FirstBank"),
    _bank("Zenith Bank", "NG", r"\d{10}", "a 10-digit NUBAN"),
    _bank("United Bank for Africa", "NG", r"\d{10}", "a 10-digit NUBAN", "UBA"),
    Institution("OPay", "NG", InstitutionKind.MOBILE_MONEY, _NG_MOBILE, "an NG mobile number"),
    Institution("PalmPay", "NG", InstitutionKind.MOBILE_MONEY, _NG_MOBILE, "an NG mobile number"),
    # Kenya
    _bank("Equity Bank", "KE", r"\d{13}", "13 digits"),
    _bank("KCB Bank", "KE", r"\d{10}", "10 digits", "Kenya Commercial Bank", "KCB"),
    Institution(
        "M-Pesa", "KE", InstitutionKind.MOBILE_MONEY, _KE_MOBILE, "a KE mobile number", ("MPesa",)
    ),
    Institution(
        "Airtel Money", "KE", InstitutionKind.MOBILE_MONEY, _KE_MOBILE, "a KE mobile number"
    ),
    # Mexico: CLABE with bank prefix and check digit
    _clabe("BBVA Mexico", "012", "BBVA", "Bancomer", "BBVA Bancomer"),
    _clabe("Citibanamex", "002", "Banamex"),
    _clabe("Santander Mexico", "014", "Santander"),
    _clabe("Banorte", "072"),
    Institution("Elektra", "MX", InstitutionKind.CASH_PICKUP, _PICKUP_ID, "6-20 chars"),
    # India
    _bank("State Bank of India", "IN", r"\d{11}|\d{17}", "11 or 17 digits", "SBI"),
    _bank("HDFC Bank", "IN", r"\d{14}", "14 digits", "HDFC"),
    _bank("ICICI Bank", "IN", r"\d{12}", "12 digits", "ICICI"),
)


def normalize_institution(name: str) -> str:
    """Case-, accent- and punctuation-insensitive form: ``"Banco de Oro"`` → ``"banco de oro"``."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in bare).split())


def normalize_account(account: str) -> str:
    """The account without spaces and dashes (``"1234-5678 90"`` → ``"1234567890"``)."""
    return re.sub(r"[\s-]", "", account)


def mask(account: str) -> str:
    """All but the last four characters hidden."""
    return "*" * max(len(account) - 4, 0) + account[-4:]


@dataclass(frozen=True)
class RecipientCheck:
    """Where the money can go (``institution``), or why it cannot (``reason``)."""

    institution: Institution | None
    account: str
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


class RecipientDirectory:
    """Looks institutions up and checks recipients against them."""

    def __init__(self, institutions: Iterable[Institution] = DIRECTORY) -> None:
        self.institutions = tuple(institutions)
        self._by_name: dict[tuple[str, str], Institution] = {}
        for inst in self.institutions:
            for name in (inst.name, *inst.aliases):
                self._by_name[(inst.country, normalize_institution(name))] = inst

    def find(self, name: str, country: str) -> Institution | None:
        return self._by_name.get((country.upper(), normalize_institution(name)))

    def verify(
        self, *, name: str, account: str, bank: str, country: str, route: Route
    ) -> RecipientCheck:
        """Check a recipient for ``route``; the reason names what to fix."""
        country = country.upper()
        acct = normalize_account(account)
        if not re.search(r"[^\W\d_]", name):
            return RecipientCheck(None, acct, "the recipient's name has no letters")
        inst = self.find(bank, country)
        if inst is None:
            return RecipientCheck(None, acct, self._unknown(bank, country))
        wanted = ROUTE_KIND[route]
        if inst.kind is not wanted:
            return RecipientCheck(
                inst,
                acct,
                f"{inst.name} is a {inst.kind.value}; {route.value} needs a {wanted.value}",
            )
        if not inst.accepts(acct):
            return RecipientCheck(
                inst,
                acct,
                f"account {mask(acct)} is not a valid {inst.name} account ({inst.account_format})",
            )
        return RecipientCheck(inst, acct)

    def _unknown(self, bank: str, country: str) -> str:
        here = [i for i in self.institutions if i.country == country]
        if not here:
            countries = ", ".join(sorted({i.country for i in self.institutions}))
            return f"no payout partner in country {country!r} (served: {countries})"
        elsewhere = [
            i.country
            for i in self.institutions
            if normalize_institution(bank)
            in {normalize_institution(n) for n in (i.name, *i.aliases)}
        ]
        if elsewhere:
            return f"{bank!r} pays out in {', '.join(sorted(set(elsewhere)))}, not {country}"
        names = {normalize_institution(n): i.name for i in here for n in (i.name, *i.aliases)}
        close = difflib.get_close_matches(
            normalize_institution(bank), list(names), n=3, cutoff=0.75
        )
        hint = (
            f" Did you mean {' or '.join(sorted({names[c] for c in close}))}?"
            if close
            else f" Known in {country}: {', '.join(sorted({i.name for i in here}))}."
        )
        return f"unknown bank {bank!r} in {country}.{hint}"
