"""The Kubernetes manifests agree with the image and the service they deploy.

Schema validation is `make validate-manifests` (kubernetes-validate, offline); these tests hold
the facts the schemas cannot see: the probes name real routes, the port and user are the image's,
every environment variable is a setting the service reads, and the shutdown timings fit together.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.config import ServerSettings, Settings

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_DIR = ROOT / "deploy" / "kubernetes"
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
# Read by the image's environment or the Prometheus client, not by service/config.py.
OTHER_VARIABLES = {"PROMETHEUS_MULTIPROC_DIR"}


def load_manifests() -> dict[str, dict[str, Any]]:
    documents = [doc for path in sorted(MANIFEST_DIR.glob("*.yaml"))
                 for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    return {doc["kind"]: doc for doc in documents}


MANIFESTS = load_manifests()
DEPLOYMENT = MANIFESTS["Deployment"]
POD = DEPLOYMENT["spec"]["template"]["spec"]
(CONTAINER,) = POD["containers"]
ENV = {item["name"]: item.get("value") for item in CONTAINER.get("env", [])}


def dockerfile_value(pattern: str) -> str:
    match = re.search(pattern, DOCKERFILE, re.MULTILINE)
    assert match, f"Dockerfile has no line matching {pattern!r}"
    return match.group(1)


def test_every_kind_is_there() -> None:
    assert set(MANIFESTS) == {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}


def test_selectors_and_targets_name_the_deployment() -> None:
    pod_labels = DEPLOYMENT["spec"]["template"]["metadata"]["labels"]
    selectors = [DEPLOYMENT["spec"]["selector"]["matchLabels"], MANIFESTS["Service"]["spec"]["selector"],
                 MANIFESTS["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]]
    for selector in selectors:
        assert selector.items() <= pod_labels.items()
    target = MANIFESTS["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", DEPLOYMENT["metadata"]["name"])


def test_port_and_user_are_the_images() -> None:
    port = int(dockerfile_value(r"^EXPOSE (\d+)"))
    uid = int(dockerfile_value(r"^ARG APP_UID=(\d+)"))
    assert [p["containerPort"] for p in CONTAINER["ports"]] == [port]
    assert int(ENV["PORT"]) == port and ENV["HOST"] == "0.0.0.0"
    assert POD["securityContext"]["runAsUser"] == CONTAINER["securityContext"]["runAsUser"] == uid
    service_port = MANIFESTS["Service"]["spec"]["ports"][0]
    assert service_port["targetPort"] == CONTAINER["ports"][0]["name"]


def test_environment_names_settings_the_service_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    readers = {f.name.upper(): cls for cls in (Settings, ServerSettings) for f in dataclasses.fields(cls)}
    assert set(ENV) <= set(readers) | OTHER_VARIABLES
    for name, value in ENV.items():
        if name in readers:
            monkeypatch.setenv(name, value)
    Settings.from_env()  # raises on a value the service would refuse at start-up
    ServerSettings.from_env()


def test_probes_ask_real_routes(app) -> None:
    routes = {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert CONTAINER[probe]["httpGet"]["path"] in routes, probe
        assert CONTAINER[probe]["httpGet"]["port"] == "http"
    assert CONTAINER["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert CONTAINER["livenessProbe"]["httpGet"]["path"] == "/healthz"
    healthcheck = dockerfile_value(r"^HEALTHCHECK .*\n\s*CMD (.*)$")
    assert "/readyz" in healthcheck


def test_liveness_outlasts_a_worker_timeout() -> None:
    """A worker busy on a long document answers nothing; gunicorn replaces it after TIMEOUT."""
    probe = CONTAINER["livenessProbe"]
    timeout = int(ENV.get("TIMEOUT", ServerSettings().timeout))
    assert probe["periodSeconds"] * probe["failureThreshold"] > timeout


def test_shutdown_fits_in_the_grace_period() -> None:
    sleep = CONTAINER["lifecycle"]["preStop"]["exec"]["command"]
    assert sleep[0] == "sleep"
    graceful = int(ENV.get("GRACEFUL_TIMEOUT", ServerSettings().graceful_timeout))
    assert POD["terminationGracePeriodSeconds"] > int(sleep[1]) + graceful


def test_workers_are_explicit_and_match_the_cpu_request() -> None:
    """Without WORKERS gunicorn starts one per visible CPU, which the memory limit does not allow for."""
    workers = int(ENV["WORKERS"])
    cpu = str(CONTAINER["resources"]["requests"]["cpu"])
    cores = int(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)
    assert cores == workers


def test_restricted_pod_security() -> None:
    pod, container = POD["securityContext"], CONTAINER["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0
    assert pod["seccompProfile"]["type"] == "RuntimeDefault"
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"]["drop"] == ["ALL"] and "add" not in container["capabilities"]
    assert container["readOnlyRootFilesystem"] is True
    assert POD["automountServiceAccountToken"] is False


def test_only_tmp_is_writable_and_in_memory() -> None:
    volumes = {volume["name"]: volume for volume in POD["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in CONTAINER["volumeMounts"]}
    assert mounts == {"/tmp": "tmp"}
    assert volumes["tmp"]["emptyDir"]["medium"] == "Memory"
    assert "sizeLimit" in volumes["tmp"]["emptyDir"]


def test_memory_limit_covers_the_request() -> None:
    resources = CONTAINER["resources"]

    def mebibytes(quantity: str) -> int:
        number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()
        return int(number) * (1024 if unit == "Gi" else 1)

    assert mebibytes(resources["limits"]["memory"]) >= mebibytes(resources["requests"]["memory"])
