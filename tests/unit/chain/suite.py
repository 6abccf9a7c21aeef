"""The shared chain suite: every backend runs these tests through the product code.

A subclass supplies a class-scoped ``chain`` fixture (a :class:`ChainClient` on
its backend): ``tests/unit/chain/test_embedded.py`` the in-process py-evm
chain, ``tests/integration/chain/test_anvil.py`` an anvil node. Each class
deploys its own system with the development configuration, as ``zkredit
deploy`` does, and proves scenario 2 with the product prover for the chain's
date.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import pytest
from eth_account.signers.local import LocalAccount

from zkredit.chain.application import Application
from zkredit.chain.check import check_deployment
from zkredit.chain.client import ChainClient
from zkredit.chain.config import DeployConfig, development_config
from zkredit.chain.contracts import (
    ANCHOR_ROLE,
    APPLICATION_GAS,
    DEFAULT_ADMIN_ROLE,
    ISSUER_ADMIN_ROLE,
    KYC_POLICY_ADMIN_ROLE,
    KYC_PROVIDER_ROLE,
    MINTER_ROLE,
    PAUSER_ROLE,
    POLICY_ADMIN_ROLE,
)
from zkredit.chain.deployer import DeployReport, deploy
from zkredit.chain.deployment import VERIFIER_SLOTS, Deployment, System, keys_path
from zkredit.chain.errors import TxReverted
from zkredit.chain.inputs import chain_inputs, prove_statements
from zkredit.chain.policy import OnChainPolicy, PolicyTerms
from zkredit.chain.submit import submit_application
from zkredit.chain.wallets import agent_dev_wallet
from zkredit.errors import InputError
from zkredit.scenarios import SAMUEL, demo_kyc_tree, demo_registry
from zkredit.settings import load_settings
from zkredit.store.audit import Anchorer
from zkredit.zk.prover import Groth16pyBackend

INCOME, CREDIT, COLLATERAL, IDENTITY = 1, 2, 3, 4
SINGLE_PROOF_GAS_TARGET = 320_000
APPLICATION_GAS_TARGET = 1_200_000


@dataclass
class Deployed:
    """One class's deployment: the report, the deployer and the wrapped contracts."""

    report: DeployReport
    deployer: LocalAccount
    directory: Path
    config: DeployConfig
    system: System

    @property
    def deployment(self) -> Deployment:
        return self.report.deployment


# Tampering with one public signal, and the revert it must cause (checks that need
# no pairing). (circuit, signal index, error, error args).
TAMPERS: list[tuple[str, int, str, tuple[Any, ...]]] = [
    ("income", 0, "ZKCredit__NullifierMismatch", ()),
    ("income", 1, "ZKCredit__PolicyMismatch", (INCOME, 1)),
    ("income", 2, "ZKCredit__PolicyMismatch", (INCOME, 2)),
    ("income", 3, "ZKCredit__PolicyMismatch", (INCOME, 3)),
    ("income", 4, "ZKCredit__StaleDate", ()),
    ("income", 5, "ZKCredit__UntrustedIssuer", (INCOME,)),
    ("income", 6, "ZKCredit__UntrustedIssuer", (INCOME,)),
    ("income", 7, "ZKCredit__ScopeMismatch", ()),
    ("income", 8, "ZKCredit__WalletMismatch", ()),
    ("credit_history", 0, "ZKCredit__NullifierMismatch", ()),
    ("credit_history", 2, "ZKCredit__PolicyMismatch", (CREDIT, 2)),
    ("credit_history", 3, "ZKCredit__PolicyMismatch", (CREDIT, 3)),
    ("credit_history", 4, "ZKCredit__PolicyMismatch", (CREDIT, 4)),
    ("credit_history", 5, "ZKCredit__PolicyMismatch", (CREDIT, 5)),
    ("credit_history", 6, "ZKCredit__UntrustedIssuer", (CREDIT,)),
    ("credit_history", 7, "ZKCredit__UntrustedIssuer", (CREDIT,)),
    ("credit_history", 8, "ZKCredit__ScopeMismatch", ()),
    ("credit_history", 9, "ZKCredit__WalletMismatch", ()),
    ("collateral", 0, "ZKCredit__NullifierMismatch", ()),
    ("collateral", 2, "ZKCredit__PolicyMismatch", (COLLATERAL, 2)),
    ("collateral", 3, "ZKCredit__PolicyMismatch", (COLLATERAL, 3)),
    ("collateral", 4, "ZKCredit__StaleDate", ()),
    ("collateral", 5, "ZKCredit__PolicyMismatch", (COLLATERAL, 5)),
    ("collateral", 6, "ZKCredit__UntrustedIssuer", (COLLATERAL,)),
    ("collateral", 7, "ZKCredit__UntrustedIssuer", (COLLATERAL,)),
    ("collateral", 8, "ZKCredit__ScopeMismatch", ()),
    ("collateral", 9, "ZKCredit__WalletMismatch", ()),
    ("identity", 0, "ZKCredit__NullifierMismatch", ()),
    ("identity", 2, "ZKCredit__UnknownRoot", ()),
    ("identity", 3, "ZKCredit__StaleDate", ()),
    ("identity", 4, "ZKCredit__PolicyMismatch", (IDENTITY, 4)),
    ("identity", 5, "ZKCredit__PolicyMismatch", (IDENTITY, 5)),
    ("identity", 6, "ZKCredit__UntrustedIssuer", (IDENTITY,)),
    ("identity", 7, "ZKCredit__UntrustedIssuer", (IDENTITY,)),
    ("identity", 8, "ZKCredit__ScopeMismatch", ()),
    ("identity", 9, "ZKCredit__WalletMismatch", ()),
]
# The signals no cheap check covers (tier, loan amount, KYC level): only the
# pairing catches a change, and the verifier names the circuit.
PAIRING_TAMPERS: list[tuple[str, int, int]] = [
    ("credit_history", 1, CREDIT),
    ("collateral", 1, COLLATERAL),
    ("identity", 1, IDENTITY),
]

PRIVILEGED: list[tuple[str, Callable[[System, str], Any], bytes]] = [
    ("kyc.publishRoot", lambda s, who: s.kyc.publish_root(4242, who), KYC_PROVIDER_ROLE),
    ("kyc.addIssuer", lambda s, who: s.kyc.add_issuer(1, 1, 2, who), ISSUER_ADMIN_ROLE),
    ("kyc.setDenyList", lambda s, who: s.kyc.set_deny_list([408] + [0] * 7, 7, who),
     KYC_POLICY_ADMIN_ROLE),
    ("kyc.grantRole", lambda s, who: s.kyc.grant_role(KYC_PROVIDER_ROLE, who, who),
     DEFAULT_ADMIN_ROLE),
    ("zk.registerPolicy", lambda s, who: s.zk.register_policy(_other_policy(), who),
     POLICY_ADMIN_ROLE),
    ("zk.pause", lambda s, who: s.zk.pause(who), PAUSER_ROLE),
    ("zk.unpause", lambda s, who: s.zk.unpause(who), PAUSER_ROLE),
    ("credit.proposeVerifier", lambda s, who: s.credit.propose_verifier(who, who),
     DEFAULT_ADMIN_ROLE),
    ("zk.retirePolicy", lambda s, who: s.client.transact(
        s.zk.fn.retirePolicy(s.deployment.policy_hash), who), POLICY_ADMIN_ROLE),
    ("zk.withdrawAttestation", lambda s, who: s.client.transact(
        s.zk.fn.withdrawAttestation(b"\x01" * 32, "", b"\x00" * 32), who), POLICY_ADMIN_ROLE),
    ("kyc.revokeIssuer", lambda s, who: s.client.transact(
        s.kyc.fn.revokeIssuer(1, 1, 2), who), ISSUER_ADMIN_ROLE),
    ("zkusd.mint", lambda s, who: _req(s.zkusd).mint(who, 1, who), MINTER_ROLE),
    ("anchor.anchor", lambda s, who: _req(s.anchor).anchor(b"\x01" * 32, 1, who), ANCHOR_ROLE),
]  # fmt: skip


def _req(value: Any) -> Any:
    assert value is not None
    return value


def _other_policy() -> OnChainPolicy:
    base = OnChainPolicy.default()
    return replace(base, terms=replace(base.terms, attestation_validity_seconds=7 * 86_400))


class ChainSuite:
    """Tests every chain backend must pass. Subclasses provide ``chain``."""

    pairing_tampers: ClassVar[list[tuple[str, int, int]]] = PAIRING_TAMPERS

    # -- fixtures --------------------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def deployed(cls, chain: ChainClient, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
        directory = tmp_path_factory.mktemp("deployments")
        deployer = chain.add_account(chain.dev_accounts()[0])
        config = development_config(
            load_settings(check=False), demo_registry(tmp_path_factory.mktemp("issuers")),
            kyc_roots=(int(demo_kyc_tree().root),))
        report = deploy(chain, config, deployer, directory)
        system = report.deployment.system(chain, sender=deployer)
        return Deployed(report, deployer, directory, config, system)

    @pytest.fixture(scope="class")
    @classmethod
    def application(cls, deployed: Deployed, backend: Groth16pyBackend) -> Application:
        """Scenario 2 proven for the chain's date and the deployer's wallet, to the credit
        agent (another pseudonym than the agent-less one the attest test consumes); never
        attested, so the negative tests see every other check."""
        return cls._prove(deployed, backend,
                          int(deployed.system.deployment.agents["credit"]["agentId"]))

    @staticmethod
    def _prove(deployed: Deployed, backend: Groth16pyBackend, agent_id: int = 0) -> Application:
        inputs = chain_inputs(deployed.system, deployed.deployer.address, applicant=SAMUEL,
                              kyc_tree=demo_kyc_tree(), agent_id=agent_id)
        proofs = prove_statements(backend, inputs)
        return Application(deployed.deployment.policy_hash, proofs, agent_id)

    @staticmethod
    def _reverts(deployed: Deployed, app: Application, error: str, *args: Any) -> None:
        zk = deployed.system.zk
        with pytest.raises(TxReverted) as info:
            deployed.system.client.call(
                zk.fn.verifyAndAttest(app.struct()), deployed.deployer, gas=APPLICATION_GAS
            )
        assert info.value.matches(error, *args), info.value.message

    # -- deployment ------------------------------------------------------------------------

    def test_deploy_is_idempotent_and_complete(self, deployed: Deployed) -> None:
        assert deployed.report.changed
        d = deployed
        again = deploy(d.system.client, d.config, d.deployer, d.directory)
        assert again.changes == []
        assert again.deployment.to_json() == deployed.deployment.to_json()
        assert again.path is not None and again.path.is_file()
        keys = keys_path(deployed.directory, deployed.system.client.chain_id)
        assert keys.stat().st_mode & 0o777 == 0o600
        agents = deployed.deployment.agents
        assert sorted(agents) == ["credit", "receiver", "remittance", "worker"]
        identity = deployed.system.identity
        for name, port in [("worker", 3001), ("credit", 3002), ("remittance", 3003),
                           ("receiver", 3004)]:  # fmt: skip
            agent_id = int(agents[name]["agentId"])
            assert identity.agent_uri(agent_id) == (
                f"http://127.0.0.1:{port}/.well-known/agent-card.json"
            )
            assert identity.get_agent_wallet(agent_id) == agent_dev_wallet(name).address
            assert identity.owner_of(agent_id) == deployed.deployer.address

    def test_check_matches_then_names_a_swapped_contract(self, deployed: Deployed) -> None:
        client = deployed.system.client
        assert check_deployment(client, deployed.deployment).ok
        swapped = Deployment.from_json(deployed.deployment.to_json())
        income, collateral = VERIFIER_SLOTS[0], VERIFIER_SLOTS[2]
        swapped.contracts[income] = replace(
            swapped.contracts[income], address=swapped.contracts[collateral].address
        )
        report = check_deployment(client, swapped)
        assert not report.ok
        assert any(p.startswith(f"{income} at ") for p in report.problems), report.problems

    def test_configured_state(self, deployed: Deployed) -> None:
        s, policy = deployed.system, deployed.config.policy
        assert policy is not None
        assert s.zk.is_policy_active(policy.hash)
        assert s.zk.policy_hash_of(policy) == policy.hash  # local hash == contract's
        assert s.zk.get_policy(policy.hash, policy.policy.denied_jurisdictions) == policy
        assert s.kyc.deny_list()[0] == (408, 364, 760, 192, 0, 0, 0, 0)
        for cred_type, keys in deployed.config.issuers.items():
            assert all(s.kyc.is_trusted_issuer(cred_type, *k) for k in keys)
        assert all(s.kyc.is_known_root(r) for r in deployed.config.kyc_roots)
        assert s.credit.verifier() == s.zk.address

    # -- reverts, roles, nonces ---------------------------------------------------------------

    def test_revert_is_decoded_when_mined_and_when_simulated(self, deployed: Deployed) -> None:
        client, kyc = deployed.system.client, deployed.system.kyc
        stranger = client.accounts[5]
        with pytest.raises(TxReverted) as mined:
            # explicit gas and no pre-flight: the revert is mined, then decoded by replay
            client.transact(kyc.fn.publishRoot(7), stranger, gas=200_000, preflight=False)
        assert mined.value.matches("AccessControlUnauthorizedAccount", stranger, KYC_PROVIDER_ROLE)
        assert mined.value.tx_hash is not None and mined.value.tx_hash in mined.value.message
        with pytest.raises(TxReverted) as simulated:
            client.transact(kyc.fn.publishRoot(7), stranger, preflight=True)
        assert simulated.value.tx_hash is None
        assert simulated.value.matches("AccessControlUnauthorizedAccount")
        assert "not sent" in simulated.value.message
        with pytest.raises(TxReverted) as called:
            kyc.publish_root(0)  # the deployer holds the role; zero is not a root
        assert called.value.matches("KYCRegistry__InvalidRoot", 0)

    @pytest.mark.parametrize(("name", "call", "needed"), PRIVILEGED, ids=[p[0] for p in PRIVILEGED])
    def test_privileged_functions_reject_a_stranger(
        self, deployed: Deployed, name: str, call: Callable[[System, str], Any], needed: bytes
    ) -> None:
        stranger = deployed.system.client.accounts[6]
        with pytest.raises(TxReverted) as info:
            call(deployed.system, stranger)
        assert info.value.matches("AccessControlUnauthorizedAccount", stranger, needed), name

    def test_nonces_hold_with_concurrent_senders(self, deployed: Deployed) -> None:
        client, token = deployed.system.client, deployed.system.zkusd
        assert token is not None
        holders = client.accounts[1:5]
        before = client.w3.eth.get_transaction_count(deployed.deployer.address)
        errors: list[BaseException] = []

        def mint(holder: str) -> None:
            try:
                for _ in range(5):
                    token.mint(holder, 100)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=mint, args=(h,)) for h in holders]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert client.w3.eth.get_transaction_count(deployed.deployer.address) == before + 20
        assert [token.balance_of(h) for h in holders] == [500] * 4

    def test_zkusd_transfer_and_permit(self, deployed: Deployed) -> None:
        client, token = deployed.system.client, deployed.system.zkusd
        assert token is not None
        owner, spender, relayer = client.accounts[7], client.accounts[8], client.accounts[9]
        token.mint(owner, 10_000)
        token.transfer(spender, 2_500, sender=owner)
        assert (token.balance_of(owner), token.balance_of(spender)) == (7_500, 2_500)
        token.permit(owner, spender, 1_234, client.now() + 600, sender=relayer)
        assert token.allowance(owner, spender) == 1_234
        with pytest.raises(TxReverted) as info:
            token.transfer(spender, 10**9, sender=owner)
        assert info.value.matches("ERC20InsufficientBalance")

    def test_feedback_by_the_agents_own_side_reverts(self, deployed: Deployed) -> None:
        s = deployed.system
        agent_id = int(deployed.deployment.agents["credit"]["agentId"])
        for who in (deployed.deployer.address, agent_dev_wallet("credit").address):
            with pytest.raises(TxReverted) as info:
                s.reputation.give_feedback(agent_id, 5, sender=who)
            assert info.value.matches("ReputationRegistry__SelfFeedback", agent_id, who)
        client = s.client.accounts[7]
        assert s.reputation.give_feedback(agent_id, 5, tag1="repayment", sender=client) >= 1
        summary = s.reputation.get_summary(agent_id, [client], "repayment")
        assert (summary.count, summary.value) == (1, 5)

    def test_audit_anchor_is_the_stores_anchorer(self, deployed: Deployed) -> None:

        anchor = deployed.system.anchor
        assert anchor is not None
        anchorer: Anchorer = anchor  # the store's protocol, implemented here
        count = anchor.anchor_count()
        tx_hash = anchorer.anchor(b"\x07" * 32, 1000 + count)
        assert tx_hash.startswith("0x") and len(tx_hash) == 66
        latest = anchor.latest()
        assert latest is not None and latest.index == count
        assert (latest.head_hash, latest.entry_count) == (b"\x07" * 32, 1000 + count)
        assert latest.anchored_by == deployed.deployer.address
        assert anchor.find(b"\x07" * 32) == count and anchor.find(b"\x08" * 32) is None
        assert anchorer.anchored(b"\x07" * 32, 1000 + count) == tx_hash  # a retry recovers it
        assert anchorer.anchored(b"\x07" * 32, 999 + count) is None
        other = deployed.system.client.accounts[7]
        assert anchor.anchored(b"\x07" * 32, 1000 + count, by=other) is None
        with pytest.raises(TxReverted) as info:
            anchor.anchor(b"\x09" * 32, 1)
        assert info.value.matches("AuditAnchor__CountNotIncreasing", 1000 + count, 1)

    # -- real proofs -----------------------------------------------------------------------------

    @pytest.mark.slow
    def test_real_proofs_attest_and_a_replay_reverts(
        self, deployed: Deployed, backend: Groth16pyBackend
    ) -> None:
        app = self._prove(deployed, backend)
        s = deployed.system
        att = submit_application(
            app.proofs, app.policy_hash, verifier=s.zk, sender=deployed.deployer
        )
        assert (att.tier, att.limit) == (2, 250_000_000)  # tier 2, NGN 2,500,000.00
        assert att.request_hash == app.request_hash
        assert (att.nullifier, att.wallet) == (app.nullifier, deployed.deployer.address)
        assert att.gas_used <= APPLICATION_GAS_TARGET, att.gas_used
        record = s.credit.get_attestation(att.request_hash)
        assert (record.subject, record.tier, record.limit) == (app.wallet, 2, 250_000_000)
        assert s.credit.is_attestation_valid(att.request_hash)
        assert s.credit.is_nullifier_used(app.nullifier)
        with pytest.raises(TxReverted) as replay:
            submit_application(app.proofs, app.policy_hash, verifier=s.zk, sender=deployed.deployer)
        assert replay.value.matches("ZKCredit__ActiveAttestation", att.request_hash)
        assert replay.value.hint and "already has an active attestation" in replay.value.hint

    @pytest.mark.slow
    @pytest.mark.parametrize(
        ("circuit", "index", "error", "args"), TAMPERS, ids=[f"{c}[{i}]" for c, i, _, _ in TAMPERS]
    )
    def test_tampered_signal_reverts(
        self,
        deployed: Deployed,
        application: Application,
        circuit: str,
        index: int,
        error: str,
        args: tuple[Any, ...],
    ) -> None:
        value = application.proofs[circuit].public[index]
        self._reverts(deployed, application.with_signal(circuit, index, value + 1), error, *args)

    @pytest.mark.slow
    def test_tampered_proven_value_fails_the_pairing(
        self, deployed: Deployed, application: Application
    ) -> None:
        """Tier, loan amount and KYC level pass every cheap check; the pairing catches them
        and the verifier names the circuit."""
        for circuit, index, circuit_id in self.pairing_tampers:
            value = application.proofs[circuit].public[index]
            tampered = application.with_signal(circuit, index, value + 1)
            self._reverts(deployed, tampered, "ZKCredit__InvalidProof", circuit_id)

    @pytest.mark.slow
    def test_stale_root_reverts(self, deployed: Deployed, application: Application) -> None:
        s = deployed.system
        policy = deployed.config.policy
        assert policy is not None
        strict = replace(policy, terms=PolicyTerms(max_kyc_root_age_seconds=60))
        if not s.zk.is_policy_active(strict.hash):
            s.zk.register_policy(strict)
        root = application.proofs["identity"].public[2]
        s.client.travel_to(max(s.client.now(), s.kyc.root_timestamp(root)) + 120)
        stale = replace(application, policy_hash=strict.hash)
        self._reverts(deployed, stale, "ZKCredit__StaleRoot")

    @pytest.mark.slow
    def test_pause_stops_verify_and_attest(
        self, deployed: Deployed, application: Application
    ) -> None:
        s = deployed.system
        s.zk.pause()
        try:
            assert s.zk.paused()
            self._reverts(deployed, application, "EnforcedPause")
        finally:
            s.zk.unpause()
        s.client.simulate(
            s.zk.fn.verifyAndAttest(application.struct()), deployed.deployer, gas=APPLICATION_GAS
        )

    @pytest.mark.slow
    def test_submit_refuses_another_sender(
        self, deployed: Deployed, application: Application
    ) -> None:
        other = deployed.system.client.accounts[3]
        with pytest.raises(InputError, match="bound to wallet"):
            submit_application(
                application.proofs, application.policy_hash, verifier=deployed.system.zk,
                sender=other,
            )  # fmt: skip

    @pytest.mark.slow
    def test_relayed_submission(self, deployed: Deployed, backend: Groth16pyBackend) -> None:
        s = deployed.system
        app = self._prove(deployed, backend)
        held = s.credit.active_request_of(app.nullifier)  # Samuel's, by the attest test
        if held is not None:
            s.zk.withdraw_attestation(held)  # one active attestation per pseudonym
        relayer = s.client.accounts[4]
        deadline = s.client.now() + 600
        sig = s.zk.submission_signature(app, deployed.deployer, relayer, deadline)
        att = s.zk.verify_and_attest_for(app, deadline, sig, relayer)
        assert (att.wallet, att.submitter) == (deployed.deployer.address, relayer)

    @pytest.mark.slow
    def test_single_proof_check_within_gas(
        self, deployed: Deployed, application: Application
    ) -> None:
        zk = deployed.system.zk
        proof = application.proofs["identity"]  # the costliest of the four
        assert zk.verify_proof("identity", proof)
        check = zk.check_proof("identity", proof)
        assert check.valid and check.gas_used <= SINGLE_PROOF_GAS_TARGET, check
        assert not zk.verify_proof("identity", proof.with_public(9, proof.public[9] + 1))
