"""L-2: the batched verifier must not accept proofs forged for a seed its caller chose.

No proving key is needed: the forgery (``forgery.py``) uses only the verifying keys of
``circuits/keys``, from which the committed batch verifier was generated. Each check
costs one 10-pair pairing (about a second on py-evm).
"""

from __future__ import annotations

import pytest

from . import zkapp
from .chain import ROOT, Chain, System, deploy_system, require
from .forgery import forge, load_vkeys

pytestmark = pytest.mark.slow

KEYS = ROOT / "circuits" / "keys"
HARNESS = "test/Groth16BatchSeededHarness"
# Anything below the field order: a tier-1 borrower asking for 10^15 minor units.
SIGNALS = {
    "income": [42, 1, 2, 566, 300, 7, 8, 900, 1],
    "credit_history": [42, 1, 1, 2, 3, 4, 7, 8, 900, 1],
    "collateral": [42, 10**15, 566, 1, 20_000, 30, 7, 8, 900, 1],
    "identity": [42, 3, 99, 20260101, 18, 5, 7, 8, 900, 1],
}


@pytest.fixture(scope="module")
def batched(chain: Chain) -> System:
    require((KEYS / "income.vkey.json").is_file(), "no verifying keys in circuits/keys")
    system = deploy_system(chain)
    assert system.batch is not None
    return system


@pytest.mark.parametrize("seed", [0, 12345])
def test_batch_verifier_refuses_a_forgery_for_a_caller_chosen_seed(
    chain: Chain, batched: System, seed: int
) -> None:
    """Before the fix ``verifyApplication(app, seed)`` took the seed from its caller and
    returned true here; now it derives the seed from the application itself."""
    forged = forge(load_vkeys(KEYS), SIGNALS, seed)
    app = zkapp.application(b"\x00" * 32, forged)
    # The forgery is real: under the seed it was made for, the batched equation holds.
    harness = chain.deploy(HARNESS)
    assert harness.functions.verifyWithSeed(app, seed).call() is True
    assert batched.batch is not None
    assert batched.batch.functions.verifyApplication(app).call() is False
    # Nor does a forgery for the seed the contract would derive from a draft of it.
    draft_seed = int(batched.batch.functions.seedOf(app).call())
    redone = zkapp.application(b"\x00" * 32, forge(load_vkeys(KEYS), SIGNALS, draft_seed))
    assert batched.batch.functions.verifyApplication(redone).call() is False
