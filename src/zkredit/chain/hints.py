"""What a user can do about each custom error the contracts raise."""

from __future__ import annotations

HINTS: dict[str, str] = {
    "ZKCredit__ActiveAttestation": (
        "This borrower (the proofs' nullifier, their pseudonym with this lender) already "
        "has an active attestation. A new one is possible once it expires, or the lender "
        "releases it (loan repaid) or withdraws it."
    ),
    "ZKCredit__ScopeNotDerived": (
        "The proofs' scope must be the one the verifier derives from the lender agent "
        "(`loanScope(agentId)`). Regenerate the inputs with `zkredit application inputs "
        "--agent-id ID` and prove again."
    ),
    "CreditRegistry__ActiveAttestation": (
        "This pseudonym already has an active attestation; it must expire, be released "
        "by the lender or be withdrawn first."
    ),
    "ZKCredit__StaleDate": (
        "Proofs must carry the chain's date of today or yesterday (UTC). Regenerate the "
        "inputs with `zkredit application inputs` and prove again."
    ),
    "ZKCredit__WalletMismatch": (
        "Send from the wallet the proofs are bound to (the --wallet given to "
        "`zkredit application inputs`), or relay with that wallet's signature."
    ),
    "ZKCredit__UnknownRoot": (
        "The KYC root in the identity proof is not published (or was revoked). Publish the "
        "KYC provider's current root (`zkredit deploy` does) and rebuild the inputs."
    ),
    "ZKCredit__StaleRoot": (
        "The KYC root is older than the policy allows; publish a fresh root and prove again."
    ),
    "ZKCredit__UntrustedIssuer": (
        "A credential is signed by an issuer key that is not trusted on chain for its type. "
        "Use credentials from a trusted issuer, or have an issuer admin add the key."
    ),
    "ZKCredit__UnknownPolicy": (
        "No active policy has this hash; use the policy hash recorded in "
        "deployments/<chainId>.json."
    ),
    "ZKCredit__PolicyMismatch": "Prove against the thresholds of the deployed policy.",
    "ZKCredit__InvalidProof": (
        "A proof does not verify against the deployed verifier keys (wrong keys, or the "
        "proof or its public signals were altered)."
    ),
    "ZKCredit__NullifierMismatch": "The four proofs must come from one identity and scope.",
    "ZKCredit__ScopeMismatch": "The four proofs must share one application scope.",
    "EnforcedPause": "The verifier is paused; a PAUSER_ROLE holder must unpause it.",
    "AccessControlUnauthorizedAccount": (
        "The sender lacks the role named in the error; the contract's admin must grant it."
    ),
    "ReputationRegistry__SelfFeedback": (
        "An agent's owner, operators and wallet cannot rate their own agent."
    ),
}


def hint_for(name: str | None) -> str | None:
    return HINTS.get(name or "")
