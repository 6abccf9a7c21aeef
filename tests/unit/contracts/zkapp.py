"""Real Groth16 applications for the contract tests.

A self-contained, test-only re-implementation of what the worker agent does
(issuer signatures, identity commitment, KYC Merkle path, witness inputs). It
was written before ``zkredit.zk`` existed and is kept as an independent oracle:
the product's own proofs go through ``tests/unit/chain``. The ABI layouts of the
policy and the application are the product's (``zkredit.chain``).
Poseidon comes from ``light_poseidon_python`` (checked against circomlibjs);
EdDSA-Poseidon on BabyJubJub is the textbook scheme circomlib verifies:
S·B8 = R8 + 8·H(R8, A, m)·A.

Keys: ``ZKREDIT_CONTRACT_KEYS`` (a directory) if set, else ``circuits/keys``.
A directory may hold either ceremony keys (``<name>.zkey``, imported with
groth16py and cached under the temp dir) or development keys made by
``tools/contracts/make_dev_keys.py`` (``<name>.pk``); both come with
``<name>.vkey.json``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zkredit.chain.application import APPLICATION_ABI_TYPE
from zkredit.chain.policy import POLICY_ABI_TYPE

ROOT = Path(__file__).resolve().parents[3]
CIRCUITS = ("income", "credit_history", "collateral", "identity")
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617

# BabyJubJub (EIP-2494)
_A = 168700
_D = 168696
BASE8 = (
    5299619240641551281634865583518297030282874472190772894086521144482721001553,
    16950150798460657717958625567821834550301663161624707787222815936182638968203,
)
SUBORDER = 2736030358979909402780800718157159386076813972158567259200215660948447373041


def poseidon(inputs: Sequence[int]) -> int:
    return _poseidon(tuple(int(v) for v in inputs))


@functools.lru_cache(maxsize=4096)
def _poseidon(inputs: tuple[int, ...]) -> int:
    import light_poseidon_python as lp

    # The int entry point only takes u64; the bytes one takes 32-byte big-endian words.
    return int(lp.poseidon_hash_bytes([int(v).to_bytes(32, "big") for v in inputs]), 16)


def _add(p: tuple[int, int], q: tuple[int, int]) -> tuple[int, int]:
    x1, y1 = p
    x2, y2 = q
    k = _D * x1 * x2 * y1 * y2 % R
    x3 = (x1 * y2 + y1 * x2) * pow(1 + k, -1, R) % R
    y3 = (y1 * y2 - _A * x1 * x2) * pow(1 - k, -1, R) % R
    return x3, y3


def mul(p: tuple[int, int], n: int) -> tuple[int, int]:
    acc = (0, 1)
    while n:
        if n & 1:
            acc = _add(acc, p)
        p = _add(p, p)
        n >>= 1
    return acc


@dataclass(frozen=True)
class Issuer:
    """A test issuer: secret scalar k, public key A = k·B8."""

    seed: str

    @property
    def k(self) -> int:
        return int.from_bytes(hashlib.sha256(self.seed.encode()).digest(), "big") % SUBORDER

    @property
    def pub(self) -> tuple[int, int]:
        return _pub(self.k)

    def sign(self, msg: int) -> tuple[int, int, int]:
        return _sign(self, msg)


@functools.lru_cache(maxsize=64)
def _pub(k: int) -> tuple[int, int]:
    return mul(BASE8, k)


@functools.lru_cache(maxsize=1024)
def _sign(issuer: Issuer, msg: int) -> tuple[int, int, int]:
    # Deterministic nonce, as in RFC 6979 spirit; test keys only.
    digest = hashlib.sha256(f"{issuer.seed}|{msg}".encode()).digest()
    r = int.from_bytes(digest, "big") % SUBORDER
    r8 = mul(BASE8, r)
    ax, ay = issuer.pub
    hm = poseidon([r8[0], r8[1], ax, ay, msg])
    s = (r + 8 * hm * issuer.k) % SUBORDER
    return r8[0], r8[1], s


@functools.lru_cache(maxsize=64)
def merkle_single_leaf(leaf: int, depth: int = 20) -> tuple[int, list[int], list[int]]:
    """Root and path of a tree whose only non-empty leaf is ``leaf`` at index 0.
    Cached: callers must not mutate the returned lists."""
    zero = 0
    node = leaf
    elements = []
    for _ in range(depth):
        elements.append(zero)
        node = poseidon([node, zero])
        zero = poseidon([zero, zero])
    return node, elements, [0] * depth


def loan_scope(system: Any, agent_id: int) -> int:
    """The scope ``system``'s verifier derives for applications requested by ``agent_id``."""
    return int(system.zk.functions.loanScope(agent_id).call())


def score_tier(score: int) -> int:
    return 5 - sum(score >= b for b in (580, 670, 740, 800))


@dataclass
class Borrower:
    """Scenario 2 (Samuel Adewale) by default, with thresholds of the NGN policy."""

    wallet: int
    secret: int = 123456789012345678901234567890
    scope: int = 777001
    income: int = 75_000_000  # NGN 750,000.00 in kobo
    employment_start_month: int = 2022 * 12 + 0
    score: int = 745
    history_months: int = 48
    late_payments: int = 1
    debt_ratio_bps: int = 2500
    asset_value: int = 1_500_000_000
    valuation_day_offset: int = 10
    birth_date: int = 19900515
    jurisdiction: int = 566  # Nigeria
    kyc_level: int = 2
    loan_amount: int = 250_000_000
    issuers: dict[str, Issuer] = field(
        default_factory=lambda: {c: Issuer(f"zkredit-test-issuer-{c}") for c in CIRCUITS}
    )

    @property
    def subject(self) -> int:
        return poseidon([self.secret])

    @property
    def nullifier(self) -> int:
        return poseidon([self.secret, self.scope])


@dataclass(frozen=True)
class Thresholds:
    currency: int = 566
    min_monthly_income: int = 50_000_000
    min_employment_months: int = 6
    min_score: int = 700
    max_late: int = 3
    max_debt_ratio_bps: int = 3500
    min_history_months: int = 24
    min_collateral_ratio_bps: int = 5000
    max_valuation_age_days: int = 90
    min_age_years: int = 18
    deny_codes: tuple[int, ...] = (408, 364, 760, 0, 0, 0, 0, 0)

    @property
    def deny_list_hash(self) -> int:
        return poseidon(self.deny_codes)


def _signed(issuer: Issuer, fields: list[int]) -> dict[str, int]:
    rx, ry, s = issuer.sign(poseidon(fields))
    ax, ay = issuer.pub
    return {"sigR8x": rx, "sigR8y": ry, "sigS": s, "issuerAx": ax, "issuerAy": ay}


def build_inputs(
    b: Borrower, t: Thresholds, today: int, current_month: int, today_ymd: int
) -> tuple[dict[str, dict[str, Any]], int]:
    """Witness inputs of the four circuits, and the KYC root they prove against."""
    subj = b.subject
    common = {"identitySecret": b.secret, "scope": b.scope, "wallet": b.wallet}
    incomes = [b.income] * 6
    income = {
        **common,
        "income": incomes,
        "employmentStartMonth": b.employment_start_month,
        "minMonthlyIncome": t.min_monthly_income,
        "minEmploymentMonths": t.min_employment_months,
        "currency": t.currency,
        "currentMonth": current_month,
        **_signed(b.issuers["income"], [1, subj, t.currency, *incomes, b.employment_start_month]),
    }
    credit = {
        **common,
        "score": b.score,
        "historyMonths": b.history_months,
        "defaults": 0,
        "latePayments": b.late_payments,
        "debtRatioBps": b.debt_ratio_bps,
        "minScore": t.min_score,
        "maxLate": t.max_late,
        "maxDebtRatioBps": t.max_debt_ratio_bps,
        "minHistoryMonths": t.min_history_months,
        **_signed(
            b.issuers["credit_history"],
            [2, subj, b.score, b.history_months, 0, b.late_payments, b.debt_ratio_bps],
        ),
    }
    valuation_day = today - b.valuation_day_offset
    collateral = {
        **common,
        "assetValue": b.asset_value,
        "assetType": 1,
        "lienFlag": 0,
        "valuationDay": valuation_day,
        "loanAmount": b.loan_amount,
        "currency": t.currency,
        "minCollateralRatioBps": t.min_collateral_ratio_bps,
        "today": today,
        "maxValuationAgeDays": t.max_valuation_age_days,
        **_signed(
            b.issuers["collateral"],
            [3, subj, t.currency, b.asset_value, 1, 0, valuation_day],
        ),
    }
    root, elements, indices = merkle_single_leaf(subj)
    identity = {
        **common,
        "birthDate": b.birth_date,
        "jurisdiction": b.jurisdiction,
        "kycLevel": b.kyc_level,
        "pathElements": list(elements),
        "pathIndices": indices,
        "deniedJurisdictions": list(t.deny_codes),
        "kycRoot": root,
        "todayYmd": today_ymd,
        "minAgeYears": t.min_age_years,
        "denyListHash": t.deny_list_hash,
        **_signed(b.issuers["identity"], [4, subj, b.birth_date, b.jurisdiction, b.kyc_level]),
    }
    return {
        "income": income,
        "credit_history": credit,
        "collateral": collateral,
        "identity": identity,
    }, root


def public_signals(name: str, inputs: dict[str, Any], b: Borrower) -> list[int]:
    """The public signals in snarkjs order (outputs first), as the contract expects."""
    i = inputs
    tail = [i["issuerAx"], i["issuerAy"], i["scope"], i["wallet"]]
    if name == "income":
        head = [b.nullifier, i["minMonthlyIncome"], i["minEmploymentMonths"], i["currency"]]
        return [*head, i["currentMonth"], *tail]
    if name == "credit_history":
        return [
            b.nullifier,
            score_tier(b.score),
            i["minScore"],
            i["maxLate"],
            i["maxDebtRatioBps"],
            i["minHistoryMonths"],
            *tail,
        ]
    if name == "collateral":
        return [
            b.nullifier,
            i["loanAmount"],
            i["currency"],
            i["minCollateralRatioBps"],
            i["today"],
            i["maxValuationAgeDays"],
            *tail,
        ]
    return [
        b.nullifier,
        b.kyc_level,
        i["kycRoot"],
        i["todayYmd"],
        i["minAgeYears"],
        i["denyListHash"],
        *tail,
    ]


def keys_dir() -> Path:
    env = os.environ.get("ZKREDIT_CONTRACT_KEYS")
    return Path(env) if env else ROOT / "circuits" / "keys"


def have_keys(directory: Path) -> bool:
    return all(
        (directory / f"{n}.vkey.json").is_file()
        and ((directory / f"{n}.zkey").is_file() or (directory / f"{n}.pk").is_file())
        for n in CIRCUITS
    )


def load_proving_key(directory: Path, name: str) -> Any:
    """groth16py ProvingKey for ``name``: a dev ``.pk`` or an imported (cached) ``.zkey``."""
    import groth16py

    pk_path = directory / f"{name}.pk"
    if pk_path.is_file():
        return groth16py.ProvingKey.load(str(pk_path))
    zkey = directory / f"{name}.zkey"
    digest = hashlib.sha256(zkey.read_bytes()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / "zkredit-pk-cache" / f"{name}-{digest}.pk"
    if cache.is_file():
        return groth16py.ProvingKey.load(str(cache))
    pk, _ = groth16py.import_zkey(
        str(zkey),
        str(ROOT / "circuits" / "src" / f"{name}.circom"),
        [str(ROOT / "node_modules" / "circomlib" / "circuits")],
    )
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    pk.save(str(tmp))
    tmp.replace(cache)
    return pk


Proof = tuple[list[int], list[list[int]], list[int]]


def split_proof(blob: bytes) -> Proof:
    """groth16py's 256-byte Ethereum proof blob -> snarkjs (a, b, c) calldata."""
    w = [int.from_bytes(blob[i : i + 32], "big") for i in range(0, 256, 32)]
    return [w[0], w[1]], [[w[2], w[3]], [w[4], w[5]]], [w[6], w[7]]


# ------------------------------------------------------------ ABI encodings
# The struct layouts and the policy encoding are the product's (zkredit.chain).

POLICY_TYPE = POLICY_ABI_TYPE
APP_TYPE = APPLICATION_ABI_TYPE
DAY = 86400


def policy_tuple(
    t: Thresholds,
    *,
    min_kyc_level: int = 1,
    max_root_age: int = 30 * DAY,
    validity: int = 30 * DAY,
    multipliers: tuple[int, int, int, int] = (8, 6, 4, 2),
) -> tuple[Any, ...]:
    """The on-chain Policy struct for thresholds ``t`` (built by the product)."""
    from .scenario import on_chain_policy

    return on_chain_policy(
        t,
        min_kyc_level=min_kyc_level,
        max_root_age=max_root_age,
        validity=validity,
        multipliers=multipliers,
    ).struct()


def keccak_abi(type_str: str, value: Any) -> bytes:
    from eth_abi.abi import encode
    from eth_utils.crypto import keccak

    return bytes(keccak(encode([type_str], [value])))


def application(
    policy_hash: bytes, proofs: dict[str, tuple[Proof, list[int]]], agent_id: int = 0
) -> tuple[Any, ...]:
    """The on-chain Application struct from {circuit: ((a, b, c), signals)}."""
    parts: list[Any] = [policy_hash, agent_id]
    for name in CIRCUITS:
        proof, signals = proofs[name]
        parts += [proof, list(signals)]
    return tuple(parts)


DUMMY_PROOF: Proof = ([1, 2], [[3, 4], [5, 6]], [7, 8])


def fake_proofs(
    b: Borrower, t: Thresholds, dates: tuple[int, int, int]
) -> dict[str, tuple[Proof, list[int]]]:
    """Consistent public signals with a dummy proof, for tests with mock verifiers."""
    inputs, _ = build_inputs(b, t, *dates)
    return {n: (DUMMY_PROOF, public_signals(n, inputs[n], b)) for n in CIRCUITS}
