"""deploy/ says only what the code can honour: every variable the manifests and the image set
is a real setting of the deployable it is given to (and its value parses), every metric the
Grafana dashboard and the alert rules query is in the engine's or the gateway's registry, and
the manifests keep the production rules (secrets by reference only, non-root, read-only root
filesystem, probes, budgets, autoscalers aimed at real Deployments)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from attune.engine.observability.metrics import EngineMetrics
from attune.engine.settings import EngineSettings
from attune.gateway.lrs.relay import DeliveryStats
from attune.gateway.lrs.sqlite_outbox import SqliteStatementOutbox
from attune.gateway.observability.metrics import GatewayMetrics
from attune.gateway.settings import LEGACY_LRS_ENV, SHARED_ENV, GatewaySettings
from tests.deploy.support import DEPLOY, KUSTOMIZATIONS, of_kind, rendered

SETTINGS: dict[str, tuple[str, type[BaseModel]]] = {
    "engine": ("ATTUNE_", EngineSettings),
    "gateway": ("ATTUNE_GATEWAY__", GatewaySettings),
}
# Names that carry credentials: they must come from a Secret, never a literal or a ConfigMap.
SECRET_NAME = re.compile(r"TOKEN|PASSWORD|SECRET|API_KEY|STORE_URL|PRIVATE")
PROMETHEUS_OWN = {"up"}  # Prometheus's own series, not the deployables'


def _is_setting(model: type[BaseModel], parts: list[str]) -> bool:
    """Whether ``parts`` (an env name split on ``__``) names a field of ``model``."""
    field = model.model_fields.get(parts[0].lower())
    if field is None:
        return False
    if len(parts) == 1:
        return True
    nested = field.annotation
    return (
        isinstance(nested, type)
        and issubclass(nested, BaseModel)
        and _is_setting(nested, parts[1:])
    )


def is_setting(container: str, name: str) -> bool:
    """Whether ``name`` is a variable the ``container`` deployable reads."""
    prefix, model = SETTINGS[container]
    if container == "gateway" and name in {*SHARED_ENV.values(), *LEGACY_LRS_ENV.values()}:
        return True
    return name.startswith(prefix) and _is_setting(model, name[len(prefix) :].split("__"))


def test_the_setting_check_can_fail() -> None:
    assert is_setting("engine", "ATTUNE_AUTH__JWKS_URL")
    assert is_setting("gateway", "ATTUNE_GATEWAY__HTTP__RATE_LIMITS__ENABLED")
    assert is_setting("gateway", "ATTUNE_LOG_FORMAT")  # a shared name
    assert not is_setting("engine", "ATTUNE_AUTH__JWKS")
    assert not is_setting("engine", "ATTUNE_GATEWAY__PORT")  # the gateway's, not the engine's
    assert not is_setting("gateway", "ATTUNE_METRICS_PORT")
    assert not is_setting("engine", "ATTUNE_WORKERS")


def _containers(objects: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [
        (d, c)
        for d in of_kind(objects, "Deployment").values()
        for c in d["spec"]["template"]["spec"]["containers"]
    ]


def _environment(objects: list[dict[str, Any]], container: dict[str, Any]) -> dict[str, Any]:
    """Every variable ``container`` gets: name -> its literal value, or its valueFrom."""
    maps = of_kind(objects, "ConfigMap")
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        env.update(maps[source["configMapRef"]["name"]]["data"])
    for entry in container.get("env", []):
        env[entry["name"]] = entry.get("value", entry.get("valueFrom"))
    return env


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_variable_the_manifests_set_is_a_real_setting_with_a_valid_value(
    kustomization: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    objects = rendered(kustomization)
    seen = set()
    for _, container in _containers(objects):
        seen.add(container["name"])
        env = _environment(objects, container)
        unknown = sorted(n for n in env if not is_setting(container["name"], n))
        assert unknown == [], f"{container['name']}: not settings: {unknown}"
        for name, value in env.items():
            if isinstance(value, str):
                monkeypatch.setenv(name, value)
        _, model = SETTINGS[container["name"]]
        model()  # the literal values parse (a bad URL or number would raise here)
        for name in env:
            monkeypatch.delenv(name, raising=False)
    assert seen == set(SETTINGS)


def test_every_variable_the_image_sets_is_a_setting() -> None:
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    names = re.findall(r"\b(ATTUNE_[A-Z0-9_]+)=", text)
    assert len(names) >= 5
    assert [n for n in names if not (is_setting("engine", n) or is_setting("gateway", n))] == []


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_credentials_come_from_secrets_only(kustomization: str) -> None:
    objects = rendered(kustomization)
    assert of_kind(objects, "Secret") == {}  # created by the operator, never in these files
    for _, container in _containers(objects):
        for name, value in _environment(objects, container).items():
            if SECRET_NAME.search(name):
                assert isinstance(value, dict) and "secretKeyRef" in value, name


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_pods_are_locked_down_probed_and_budgeted(kustomization: str) -> None:
    objects = rendered(kustomization)
    deployments = of_kind(objects, "Deployment")
    assert set(deployments) == {"attune-engine", "attune-gateway"}
    for deployment, container in _containers(objects):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        ctx = container["securityContext"]
        assert ctx["readOnlyRootFilesystem"] is True
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx["capabilities"]["drop"] == ["ALL"]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert "memory" in container["resources"]["limits"]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert probe in container, (container["name"], probe)
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    gateway = deployments["attune-gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    engine = deployments["attune-engine"]["spec"]["template"]["spec"]["containers"][0]
    assert engine["readinessProbe"]["grpc"]["port"] == 50051
    for kind in ("PodDisruptionBudget", "HorizontalPodAutoscaler"):
        assert set(of_kind(objects, kind)) == set(deployments)
    for hpa in of_kind(objects, "HorizontalPodAutoscaler").values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_services_ingress_and_monitors_point_at_real_ports(kustomization: str) -> None:
    objects = rendered(kustomization)
    services = of_kind(objects, "Service")
    pods = {
        name: {p["name"] for c in d["spec"]["template"]["spec"]["containers"] for p in c["ports"]}
        for name, d in of_kind(objects, "Deployment").items()
    }
    labels = {
        name: d["spec"]["template"]["metadata"]["labels"]
        for name, d in of_kind(objects, "Deployment").items()
    }
    for name, service in services.items():
        selector = service["spec"]["selector"]
        (target,) = [d for d, lab in labels.items() if selector.items() <= lab.items()]
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= pods[target], name
    for ingress in of_kind(objects, "Ingress").values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                ports = {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
                assert backend["port"]["name"] in ports
    for monitor in of_kind(objects, "ServiceMonitor").values():
        wanted = monitor["spec"]["selector"]["matchLabels"]
        (service,) = [
            s for s in services.values() if wanted.items() <= s["metadata"]["labels"].items()
        ]
        ports = {p["name"] for p in service["spec"]["ports"]}
        assert {e["port"] for e in monitor["spec"]["endpoints"]} <= ports


def _sample_names(registry: CollectorRegistry) -> set[str]:
    """Every series name a registry exposes, from its families' types."""
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_count", "_sum", "_created"),
        "gauge": ("",),
    }
    return {
        family.name + suffix for family in registry.collect() for suffix in suffixes[family.type]
    }


@pytest.fixture
def exposed(tmp_path: Path) -> set[str]:
    engine = EngineMetrics.build().registry
    outbox = SqliteStatementOutbox(tmp_path / "gateway.db")
    gateway = GatewayMetrics.build(outbox, delivery=DeliveryStats()).registry
    names = _sample_names(engine) | _sample_names(gateway)
    assert "attune_engine_rpc_duration_seconds_bucket" in names
    assert "attune_gateway_outbox_dead_letters" in names
    return names


def _queried(expr: str) -> set[str]:
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            assert node.name, f"a selector without a metric name in {expr!r}"
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def _dashboard_exprs() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "attune.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    # Grafana's $__rate_interval is substituted before Prometheus sees the query.
    return [e.replace("$__rate_interval", "5m") for e in exprs]


def _alert_rules() -> list[dict[str, Any]]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [r for g in rules["groups"] for r in g["rules"]]


def test_the_dashboard_queries_only_exposed_metrics(exposed: set[str]) -> None:
    queried = set().union(*(_queried(e) for e in _dashboard_exprs()))
    assert queried - exposed - PROMETHEUS_OWN == set()
    # Every family of both registries is on the dashboard.
    families = {re.sub(r"_(bucket|count|sum|total|created)$", "", n) for n in exposed}
    shown = {re.sub(r"_(bucket|count|sum|total)$", "", n) for n in queried}
    assert families - shown == set()


def test_the_alert_rules_query_only_exposed_metrics(exposed: set[str]) -> None:
    rules = _alert_rules()
    assert len(rules) >= 10
    queried = set().union(*(_queried(r["expr"]) for r in rules))
    assert queried - exposed == set()
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]


def test_the_metric_check_can_fail(exposed: set[str]) -> None:
    assert _queried("rate(attune_engine_rpc_total[5m])") - exposed == {"attune_engine_rpc_total"}


def test_the_dashboard_is_well_formed() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "attune.json").read_text())
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert dashboard["uid"] and dashboard["templating"]["list"][0]["type"] == "datasource"
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}" and panel["targets"]


def test_network_policies_name_real_pods_and_ports() -> None:
    objects = rendered("overlays/production")
    policies = of_kind(objects, "NetworkPolicy")
    assert set(policies) == {"attune-engine", "attune-gateway"}
    for name, policy in policies.items():
        (deployment,) = [
            d
            for d in of_kind(objects, "Deployment").values()
            if policy["spec"]["podSelector"]["matchLabels"].items()
            <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert deployment["metadata"]["name"] == name
        ports = {p["name"] for c in deployment["spec"]["template"]["spec"]["containers"]
                 for p in c["ports"]}  # fmt: skip
        for rule in policy["spec"]["ingress"]:
            assert {p["port"] for p in rule["ports"]} <= ports, name
