"""Checks for KServe features that depend on the environment's KServe version or deployment mode and that
schemas alone do not catch. The logger sink and the batcher bounds are Rego rules
(``policies/kserve_features.rego``); these two need facts only Python has (the CRD set, Knative's port rules).

| id     | what                                                                                     | severity |
|--------|------------------------------------------------------------------------------------------|----------|
| KSV011 | a LocalModelCache (or namespace cache, node group) where the KServe version has no CRD    | error    |
| KSV012 | serving ports Knative rejects (Serverless: one port, named h2c or http1) or that do not   | error    |
|        | match the protocol (grpc-v2 needs h2c)                                                   |          |
| KSV020 | the environment turns Istio mTLS off (``security.mtls: false`` in kserve-gitops.yaml)     | warning  |
"""

from __future__ import annotations

from typing import Any, Iterable

from ... import results
from ...results import Finding, LoadedObject
from . import kserve as ksv
from .base import CheckContext, finding_for

CACHE_GROUP_VERSION = "serving.kserve.io/v1alpha1"
CACHE_KINDS = ("LocalModelCache", "LocalModelNamespaceCache", "LocalModelNodeGroup")
KNATIVE_PORT_NAMES = ("h2c", "http1")  # Knative Serving's only accepted container port names

RULE_DESCRIPTIONS = {
    "KSV011": "A local model cache object where the environment's KServe version has no such CRD.",
    "KSV012": "Serving ports Knative rejects, or a port name that does not match the protocol.",
    "KSV020": "The environment turns mTLS between model pods and their callers off (security.mtls: false).",
}


def model_cache_version_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    if ctx.schema_set is None:
        return
    version = ksv._kserve_version(ctx) or "in use"
    for obj in objects:
        data = obj.data
        if not isinstance(data, dict) or data.get("kind") not in CACHE_KINDS:
            continue
        if not str(data.get("apiVersion", "")).startswith("serving.kserve.io/"):
            continue
        if ctx.schema_set.has_crd(str(data["apiVersion"]), str(data["kind"])):
            continue
        yield finding_for(
            obj, ["kind"], rule="KSV011",
            message=f"KServe {version} has no {data['kind']} CRD ({data['apiVersion']}): the local model cache "
            "does not exist in this release, so the API server would reject the object",
            hint="cache the model only in environments whose KServe version ships the LocalModelCache CRD",
        )


def _ports(container: dict[str, Any]) -> list[Any]:
    ports = container.get("ports")
    return ports if isinstance(ports, list) else []


def _serving_containers(path: list[Any], component: dict[str, Any]) -> Iterable[tuple[list[Any], dict[str, Any], str]]:
    """(path, container, protocolVersion) for the model and the first custom container of a component."""
    model = component.get("model")
    if isinstance(model, dict):
        yield [*path, "model"], model, str(model.get("protocolVersion") or "")
    containers = component.get("containers")
    if isinstance(containers, list) and containers and isinstance(containers[0], dict):
        yield [*path, "containers", 0], containers[0], ""


def serving_ports_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    for obj in ksv._isvcs(objects):
        serverless = ksv._deployment_mode(obj, ctx) not in ksv.RAW_MODES
        for path, component in ksv._components(obj):
            for cpath, container, protocol in _serving_containers(path, component):
                ports = _ports(container)
                if serverless and len(ports) > 1:
                    yield finding_for(
                        obj, [*cpath, "ports"], rule="KSV012",
                        message=f"{len(ports)} ports: in Serverless mode Knative serves exactly one container port",
                        hint="keep one port: h2c for gRPC (protocolVersion grpc-v2), http1 for REST",
                    )
                for i, port in enumerate(ports):
                    if not isinstance(port, dict):
                        continue
                    name = port.get("name")
                    if serverless and name not in KNATIVE_PORT_NAMES:
                        yield finding_for(
                            obj, [*cpath, "ports", i, "name"] if name else [*cpath, "ports", i], rule="KSV012",
                            message=f"port name {name!r}: Knative accepts only h2c (HTTP/2, gRPC) or http1",
                            hint="name the port h2c for gRPC or http1 for REST",
                        )
                    elif protocol == "grpc-v2" and name == "http1":
                        yield finding_for(
                            obj, [*cpath, "ports", i, "name"], rule="KSV012",
                            message="protocolVersion grpc-v2 on a port named http1: gRPC needs HTTP/2, so the port must be h2c",
                            hint="name the port h2c",
                        )


def mtls_off_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    """mTLS is on unless an environment turns it off; that is allowed, and reported."""
    env = ctx.environment
    if env is None or env.mtls:
        return
    from pathlib import Path

    from ...inputs.yamlsrc import positions_for

    line = col = 0
    if Path(ctx.config_path).is_file():
        line, col, _ = positions_for(ctx.config_path).locate(0, ["environments", env.name, "security", "mtls"])
    yield Finding(
        rule="KSV020",
        message=f"environment {env.name} turns mTLS off (security.mtls: false): model pods accept plain-text "
        "traffic and no PeerAuthentication or caller allow-list is written",
        path=ctx.config_path,
        line=line,
        column=col,
        severity=results.WARNING,
        environment=env.name,
        hint="remove security.mtls: false; Standard mode then gets Istio sidecars and STRICT PeerAuthentication",
    )
