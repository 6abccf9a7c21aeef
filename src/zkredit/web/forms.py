"""Form fields checked before anything is sent: each error names its field."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from zkredit.domain.fees import Route
from zkredit.domain.money import MAX_MINOR, currency

ROUTES = tuple(r.value for r in Route)
ROUTE_NAMES = {"bank_transfer": "Bank transfer", "mobile_money": "Mobile money",
               "cash_pickup": "Cash pickup"}


class FormErrors(dict[str, str]):
    """Field name -> what is wrong with it, in words the person can act on."""


def check_currency(errors: FormErrors, name: str, value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        errors[name] = "Enter a three-letter currency code, such as SGD or PHP."
        return code
    try:
        currency(code)
    except Exception:
        errors[name] = f"{code} is not a currency we support."
    return code


def check_amount(errors: FormErrors, name: str, value: str, code: str) -> int:
    """A positive amount in major units (``15000`` or ``15000.50``): its minor units."""
    text = value.strip().replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        errors[name] = "Enter an amount as a number, such as 15000 or 15000.50."
        return 0
    if not amount.is_finite() or amount <= 0:
        errors[name] = "The amount must be more than zero."
        return 0
    try:
        exp = currency(code).exponent
    except Exception:
        exp = 2
    minor = amount * (10**exp)
    if minor != minor.to_integral_value():
        errors[name] = f"Use at most {exp} decimal places."
        return 0
    if minor > MAX_MINOR:
        errors[name] = "That amount is too large."
        return 0
    return int(minor)


def check_text(errors: FormErrors, name: str, value: str, label: str, *,
               max_len: int = 128, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        errors[name] = f"Enter the {label}."
    elif len(text) > max_len:
        errors[name] = f"The {label} is too long (at most {max_len} characters)."
    return text


def check_int(errors: FormErrors, name: str, value: str, label: str, lo: int, hi: int) -> int:
    try:
        n = int(value.strip())
    except ValueError:
        errors[name] = f"Enter the {label} as a whole number."
        return 0
    if not lo <= n <= hi:
        errors[name] = f"The {label} must be between {lo} and {hi}."
    return n
