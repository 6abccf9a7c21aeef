"""The Helm chart, rendered offline by Helm's own engine (helm-python-sdk binds Helm's Go
SDK; docs/decisions/0008-helm-rendering.md) and validated against the Kubernetes OpenAPI
schemas (kubernetes-validate, strict) and, for the ServiceMonitor, the Prometheus
Operator CRD schema."""

from __future__ import annotations

import copy
import importlib.util
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, require
from tests.integration.deploy.conftest import DEPLOY

CHART = DEPLOY / "helm" / "zkredit"
CRD_VALIDATOR = Path(__file__).with_name("validate_crd.mjs")
AGENTS = ("credit", "receiver", "remittance", "worker")
# The oldest Kubernetes the chart declares (Chart.yaml kubeVersion) and a current one.
KUBE_VERSIONS = ("1.27.0", "1.33.0")
REQUIRED = {"config": {"chainId": 8453, "rpcUrl": "https://rpc.example.invalid"}}
CRD_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}

Manifest = dict[str, Any]


def _helm() -> Any:
    require(importlib.util.find_spec("helm_python") is not None,
            "helm-python-sdk is not installed (pip install -e '.[dev]')")
    import helm_python

    return helm_python


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def render(values: dict[str, Any], *, upgrade: bool = False) -> list[Manifest]:
    """`helm template zkredit deploy/helm/zkredit -n zkredit -f values` as objects."""
    helm = _helm()
    with helm.Chart.load(CHART) as chart:
        files = chart.render(values, name="zkredit", namespace="zkredit",
                             is_install=not upgrade, is_upgrade=upgrade)
    docs: list[Manifest] = []
    for path, text in sorted(files.items()):
        if path.endswith("NOTES.txt"):
            continue
        docs += [d for d in yaml.safe_load_all(text) if d]
    return docs


def by_kind(docs: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": REQUIRED,
    "lean": deep_merge(REQUIRED, {
        "prover": {"enabled": False},
        "gateway": {"autoscaling": {"enabled": False}},
        "ingress": {"enabled": False},
        "serviceMonitor": {"enabled": False},
        "podDisruptionBudget": {"enabled": False},
        "deployJob": {"enabled": False},
        "deploymentRecord": {"existingConfigMap": "zkredit-deployments"},
        "agents": {"worker": {"persistence": {"enabled": False}}},
    }),
    "everything": deep_merge(REQUIRED, {
        "image": {"repository": "registry.example/zkredit", "tag": "0.1.0-rc1"},
        "imagePullSecrets": [{"name": "registry"}],
        "config": {"redisUrl": "redis://redis:6379/0", "extraEnv": {"ZK_PROVER_POOL_SIZE": 4},
                   "telemetry": {"otlpEndpoint": "http://otel:4318"}},
        "deployJob": {"issuers": {"existingSecret": "zkredit-issuers"},
                      "extraArgs": ["--dry-run"]},
        "agents": {n: {"persistence": {"enabled": True, "storageClass": "fast"}}
                   for n in AGENTS},
        "serviceMonitor": {"labels": {"release": "kube-prometheus-stack"}},
        "nodeSelector": {"kubernetes.io/arch": "amd64"},
        "tolerations": [{"key": "zk", "operator": "Exists", "effect": "NoSchedule"}],
    }),
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest) -> tuple[str, list[Manifest]]:
    return request.param, render(VARIANTS[request.param])


@pytest.fixture(scope="module")
def manifests() -> list[Manifest]:
    return render(REQUIRED)


def test_helm_lint_is_clean() -> None:
    helm = _helm()
    report = helm.lint(str(CHART), REQUIRED, strict=True)
    assert report["errors"] == []
    worse_than_info = [m for m in report["messages"] if m["severity"] >= 2]
    assert worse_than_info == [], worse_than_info


def test_required_values_are_required() -> None:
    helm = _helm()
    with pytest.raises(helm.HelmRenderError, match=r"config\.chainId is required"):
        render({"config": {"rpcUrl": "https://rpc.example.invalid"}})
    with pytest.raises(helm.HelmRenderError, match=r"config\.rpcUrl is required"):
        render({"config": {"chainId": 1}})


@pytest.mark.slow
def test_manifests_validate_against_kubernetes_schemas(
    variant: tuple[str, list[Manifest]],
) -> None:
    require(importlib.util.find_spec("kubernetes_validate") is not None,
            "kubernetes-validate is not installed (pip install -e '.[dev]')")
    import kubernetes_validate

    name, docs = variant
    assert docs, name
    failures = []
    for doc in docs:
        if (doc["apiVersion"], doc["kind"]) in CRD_KINDS:
            continue  # validated against its CRD schema below
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                path = ".".join(map(str, exc.path))
                failures.append(f"{doc['kind']}/{doc['metadata']['name']} ({version}): "
                                f"{path}: {exc.message}")
    assert not failures, "\n".join(failures)


def test_the_validator_has_teeth(manifests: list[Manifest]) -> None:
    """Strict validation rejects a misspelt field that Kubernetes would silently drop."""
    require(importlib.util.find_spec("kubernetes_validate") is not None,
            "kubernetes-validate is not installed (pip install -e '.[dev]')")
    import kubernetes_validate

    deployment = copy.deepcopy(by_kind(manifests, "Deployment")["zkredit-worker"])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["livenesProbe"] = container.pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSIONS[0], strict=True)


def _crd_resources(docs: list[Manifest]) -> list[Manifest]:
    return [d for d in docs if (d["apiVersion"], d["kind"]) in CRD_KINDS]


def _validate_crds(resources: list[Manifest]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    package = ROOT / "node_modules" / "@kubernetes-models" / "prometheus-operator"
    require(node is not None and package.is_dir(),
            "node or @kubernetes-models/prometheus-operator is not installed (make setup)")
    assert node is not None
    result = subprocess.run([node, str(CRD_VALIDATOR)], input=json.dumps(resources),
                            capture_output=True, text=True, timeout=60, check=True)
    answers: list[dict[str, Any]] = json.loads(result.stdout)
    return answers


@pytest.mark.node
@pytest.mark.slow
def test_service_monitor_validates_against_its_crd_schema(manifests: list[Manifest]) -> None:
    monitors = _crd_resources(manifests)
    assert [m["kind"] for m in monitors] == ["ServiceMonitor"]
    assert _validate_crds(monitors) == [{"name": "ServiceMonitor/zkredit", "error": None}]
    broken = copy.deepcopy(monitors[0])
    broken["spec"]["endpoints"][0]["interval"] = "30 seconds"
    del broken["spec"]["selector"]
    [answer] = _validate_crds([broken])
    assert answer["error"], "the CRD schema must reject a bad interval and a missing selector"


def _containers(docs: list[Manifest]) -> Iterator[tuple[str, Manifest, Manifest]]:
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            pod = doc["spec"]["template"]["spec"]
            for container in pod["containers"]:
                yield doc["metadata"]["name"], pod, container


def test_one_deployment_and_service_per_component(manifests: list[Manifest]) -> None:
    deployments = by_kind(manifests, "Deployment")
    services = by_kind(manifests, "Service")
    components = [*AGENTS, "gateway", "prover"]
    assert sorted(deployments) == sorted(f"zkredit-{c}" for c in components)
    assert sorted(services) == sorted(f"zkredit-{c}" for c in components)
    for agent in AGENTS:
        spec = deployments[f"zkredit-{agent}"]["spec"]
        assert spec["replicas"] == 1, "one signer per key"
        assert spec["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}
        [container] = spec["template"]["spec"]["containers"]
        assert container["args"][:6] == ["serve", agent, "--env", "production",
                                         "--host", "0.0.0.0"]
        keystore = next(v for v in spec["template"]["spec"]["volumes"] if v["name"] == "keystore")
        assert keystore["secret"]["items"] == [{"key": f"{agent}.json", "path": f"{agent}.json"}]
    assert "--external-provers" in deployments["zkredit-worker"]["spec"]["template"]["spec"][
        "containers"][0]["args"]
    [config] = by_kind(manifests, "ConfigMap").values()
    for component in [*AGENTS, "gateway"]:
        variable = "GATEWAY_HOST" if component == "gateway" else f"{component.upper()}_AGENT_HOST"
        assert config["data"][variable] == services[f"zkredit-{component}"]["metadata"]["name"]
    prover = deployments["zkredit-prover"]["spec"]["template"]["spec"]["containers"][0]
    assert prover["args"] == ["worker", "prover", "--env", "production"]


def test_probes_security_and_resources(variant: tuple[str, list[Manifest]]) -> None:
    _, docs = variant
    for name, pod, container in _containers(docs):
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001, name
        assert pod["automountServiceAccountToken"] is False, name
        sc = container["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"], name
        assert sc["capabilities"]["drop"] == ["ALL"], name
        assert container["resources"]["requests"] and container["resources"]["limits"], name
        if name.endswith(("-deploy", "-prover")):
            continue
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready", name
        assert container["startupProbe"]["httpGet"]["path"] == "/health/live", name


def test_no_secret_values_anywhere(variant: tuple[str, list[Manifest]]) -> None:
    _, docs = variant
    assert not by_kind(docs, "Secret"), "the chart references Secrets, it never makes them"
    secret_vars = {"JWT_SECRET", "ENCRYPTION_KEY", "DATABASE_URL", "PRIVATE_KEY"}
    for name, _, container in _containers(docs):
        for env in container.get("env", []):
            if env["name"] in secret_vars:
                assert set(env) == {"name", "valueFrom"}, f"{name}: {env['name']} inline"
                assert "secretKeyRef" in env["valueFrom"]
    for configmap in by_kind(docs, "ConfigMap").values():
        assert not secret_vars & set(configmap["data"])
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for key, ref in values["secrets"].items():
        assert set(ref) <= {"existingSecret", "key"}, key


def test_prover_workers_scale_on_queue_depth(manifests: list[Manifest]) -> None:
    hpas = by_kind(manifests, "HorizontalPodAutoscaler")
    prover = hpas["zkredit-prover"]
    assert prover["apiVersion"] == "autoscaling/v2"
    assert prover["spec"]["scaleTargetRef"]["name"] == "zkredit-prover"
    [metric] = prover["spec"]["metrics"]
    assert metric["type"] == "External"
    assert metric["external"]["metric"]["name"] == "zkredit_job_queue_depth"
    assert metric["external"]["metric"]["selector"] == {"matchLabels": {"state": "queued"}}
    assert metric["external"]["target"]["type"] == "AverageValue"
    assert "replicas" not in by_kind(manifests, "Deployment")["zkredit-prover"]["spec"], (
        "the HPA owns the replica count")
    assert hpas["zkredit-gateway"]["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert set(hpas) == {"zkredit-prover", "zkredit-gateway"}, "signing agents do not scale"


def test_disruption_budgets_let_nodes_drain(manifests: list[Manifest]) -> None:
    pdbs = by_kind(manifests, "PodDisruptionBudget")
    assert sorted(pdbs) == sorted(f"zkredit-{c}" for c in [*AGENTS, "gateway", "prover"])
    deployments = by_kind(manifests, "Deployment")
    for name, pdb in pdbs.items():
        assert pdb["spec"]["maxUnavailable"] == 1
        selector = deployments[name]["spec"]["selector"]["matchLabels"]
        assert pdb["spec"]["selector"]["matchLabels"] == selector


def test_ingress_tls_and_routes(manifests: list[Manifest]) -> None:
    ingresses = by_kind(manifests, "Ingress")
    assert sorted(ingresses) == ["zkredit", "zkredit-agents"]
    services = by_kind(manifests, "Service")
    for ingress in ingresses.values():
        assert ingress["spec"]["tls"] == [{"hosts": ["zkredit.example.com"],
                                           "secretName": "zkredit-tls"}]
        for path in ingress["spec"]["rules"][0]["http"]["paths"]:
            backend = path["backend"]["service"]
            port_names = [p["name"] for p in services[backend["name"]]["spec"]["ports"]]
            assert backend["port"]["name"] in port_names
    gateway_paths = ingresses["zkredit"]["spec"]["rules"][0]["http"]["paths"]
    assert [p["path"] for p in gateway_paths] == ["/"]
    agent_paths = ingresses["zkredit-agents"]["spec"]["rules"][0]["http"]["paths"]
    assert sorted(p["path"] for p in agent_paths) == sorted(
        f"/agents/{a}(/|$)(.*)" for a in AGENTS)


def test_service_monitor_scrapes_every_service(manifests: list[Manifest]) -> None:
    [monitor] = by_kind(manifests, "ServiceMonitor").values()
    ports = {e["port"] for e in monitor["spec"]["endpoints"]}
    selector = monitor["spec"]["selector"]["matchLabels"]
    for service in by_kind(manifests, "Service").values():
        labels = service["metadata"]["labels"]
        assert all(labels[k] == v for k, v in selector.items())
        assert ports & {p["name"] for p in service["spec"]["ports"]}, service["metadata"]["name"]


@pytest.mark.parametrize("upgrade", [False, True], ids=["install", "upgrade"])
def test_deploy_hook_runs_zkredit_deploy_first(upgrade: bool) -> None:
    docs = render(REQUIRED, upgrade=upgrade)
    job = by_kind(docs, "Job")["zkredit-deploy"]
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["args"][:5] == ["deploy", "--env", "production", "--rpc-url",
                                     "https://rpc.example.invalid"]
    env = {e["name"]: e for e in container["env"]}
    assert env["PRIVATE_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "zkredit-deployer",
                                                               "key": "PRIVATE_KEY"}
    assert env["CHAIN_ID"]["value"] == "8453"
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert not mounts["deployments"].get("readOnly"), "the hook writes the record"
    volumes = {v["name"] for v in job["spec"]["template"]["spec"]["volumes"]}
    assert "keystore-password" not in volumes, "addresses only: no password for the hook"
    others = [c for n, _, c in _containers(docs) if n != "zkredit-deploy"]
    assert all("PRIVATE_KEY" not in {e["name"] for e in c.get("env", [])} for c in others)
