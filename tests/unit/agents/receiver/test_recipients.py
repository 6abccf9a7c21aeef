"""Recipient verification: institution, route and account format, with actionable reasons."""

from __future__ import annotations

import pytest

from zkredit.agents.receiver.recipients import RecipientDirectory, clabe_valid
from zkredit.domain.fees import Route

DIRECTORY = RecipientDirectory()


@pytest.mark.parametrize(
    ("bank", "account", "country", "route", "institution"),
    [
        ("Banco de Oro", "1234567890", "PH", Route.BANK_TRANSFER, "BDO Unibank"),
        ("bdo unibank", "1234-5678-9012", "ph", Route.BANK_TRANSFER, "BDO Unibank"),
        ("Zenith Bank", "0123456789", "NG", Route.BANK_TRANSFER, "Zenith Bank"),
        ("GCash", "09171234567", "PH", Route.MOBILE_MONEY, "GCash"),
        ("M-Pesa", "+254712345678", "KE", Route.MOBILE_MONEY, "M-Pesa"),
        ("Cebuana Lhuillier", "JUAN12345", "PH", Route.CASH_PICKUP, "Cebuana Lhuillier"),
        ("BBVA", "012180000118359713", "MX", Route.BANK_TRANSFER, "BBVA Mexico"),
    ],
)
def test_valid_recipients(
    bank: str, account: str, country: str, route: Route, institution: str
) -> None:
    check = DIRECTORY.verify(
        name="Juan Rodriguez", account=account, bank=bank, country=country, route=route
    )
    assert check.ok and check.institution is not None and check.institution.name == institution


@pytest.mark.parametrize(
    ("bank", "account", "country", "route", "reason"),
    [
        ("Banco de Ora", "1234567890", "PH", Route.BANK_TRANSFER, "Did you mean BDO Unibank?"),
        ("Acme Savings", "1234567890", "PH", Route.BANK_TRANSFER, "Known in PH:"),
        ("Zenith Bank", "0123456789", "PH", Route.BANK_TRANSFER, "pays out in NG, not PH"),
        ("Banco de Oro", "1234567890", "ZZ", Route.BANK_TRANSFER, "no payout partner in"),
        ("Banco de Oro", "12345", "PH", Route.BANK_TRANSFER, "(10 or 12 digits)"),
        ("Banco de Oro", "1234567890", "PH", Route.MOBILE_MONEY, "is a bank; mobile_money"),
        ("GCash", "1234567890", "PH", Route.MOBILE_MONEY, "a PH mobile number"),
        ("BBVA", "012180000118359719", "MX", Route.BANK_TRANSFER, "18-digit CLABE"),
        ("BBVA", "002010077777777771", "MX", Route.BANK_TRANSFER, "starting 012"),
    ],
)
def test_invalid_recipients_say_what_to_fix(
    bank: str, account: str, country: str, route: Route, reason: str
) -> None:
    check = DIRECTORY.verify(
        name="Juan Rodriguez", account=account, bank=bank, country=country, route=route
    )
    assert not check.ok and check.reason is not None and reason in check.reason
    assert account not in check.reason or len(account) <= 4  # accounts are masked


def test_a_name_needs_letters() -> None:
    check = DIRECTORY.verify(
        name="12345", account="1234567890", bank="BDO", country="PH", route=Route.BANK_TRANSFER
    )
    assert check.reason == "the recipient's name has no letters"


def test_clabe_check_digit() -> None:
    assert clabe_valid("002010077777777771")  # the textbook example
    assert clabe_valid("012180000118359713")
    assert not clabe_valid("012180000118359719")
    assert not clabe_valid("01218000011835971")
