"""KServe-aware checks that schemas alone miss. Each has its own rule id (``KSV0nn``); docs/validate.md
describes each with a passing and a failing example.

| id     | what                                                                                   | severity |
|--------|----------------------------------------------------------------------------------------|----------|
| KSV001 | predictor modelFormat/protocolVersion with no matching (Cluster)ServingRuntime          | error    |
| KSV002 | pre-v1beta1 forms: v1alpha2, ``spec.default``, object ``spec.canary``, per-framework     | err/warn |
| KSV003 | a field the environment's KServe version does not have (read from its CRD schema)      | error    |
| KSV004 | ``canaryTrafficPercent`` in RawDeployment mode (no traffic split there)                 | warning  |
| KSV005 | ``minReplicas: 0`` in RawDeployment mode (an HPA cannot scale to zero)                  | error    |
| KSV006 | a transformer whose PREDICTOR_HOST points outside the cluster                           | error    |
| KSV007 | a container name other than ``kserve-container`` on a built-in predictor               | error    |
| KSV008 | an object name or namespace the API server would reject                                 | error    |
| KSV009 | a label key or value the API server would reject                                       | error    |
| KSV010 | an annotation key the API server would reject                                           | error    |

KSV001 runs only when the objects checked include ServingRuntimes or ClusterServingRuntimes (a rendered
environment that ships its runtimes); with none present there is nothing to match against and the check
is skipped rather than guessing what the cluster has. KSV003 is skipped under ``--strict``, where the
schema check already reports every unknown field.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Iterable, Iterator

from ...results import WARNING, Finding, LoadedObject
from .base import CheckContext, finding_for

GROUP = "serving.kserve.io"
ISVC = "InferenceService"
RUNTIME_KINDS = ("ServingRuntime", "ClusterServingRuntime")
COMPONENTS = ("predictor", "transformer", "explainer")
# Per-framework predictors of KServe's first v1beta1 API; ``predictor.model`` replaced them.
FRAMEWORKS = ("sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "pmml", "lightgbm", "paddle", "huggingface")
RAW_MODES = ("RawDeployment", "Standard")  # KServe renamed RawDeployment to Standard in newer releases
DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"
BUILTIN_CONTAINER = "kserve-container"

RULE_DESCRIPTIONS = {
    "KSV001": "The predictor's modelFormat/protocolVersion has no matching (Cluster)ServingRuntime.",
    "KSV002": "A pre-v1beta1 form (v1alpha2, spec.default, object spec.canary, per-framework predictor).",
    "KSV003": "A field the environment's KServe version does not have.",
    "KSV004": "canaryTrafficPercent has no effect in RawDeployment mode.",
    "KSV005": "minReplicas: 0 is not possible in RawDeployment mode.",
    "KSV006": "The transformer's predictor host points outside the cluster.",
    "KSV007": "A container name other than kserve-container on a built-in predictor.",
    "KSV008": "An object name or namespace the API server would reject.",
    "KSV009": "A label key or value the API server would reject.",
    "KSV010": "An annotation key the API server would reject.",
}

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def _isvcs(objects: list[LoadedObject]) -> Iterator[LoadedObject]:
    for obj in objects:
        data = obj.data
        if isinstance(data, dict) and data.get("kind") == ISVC and str(data.get("apiVersion", "")).startswith(GROUP + "/"):
            yield obj


def _spec(obj: LoadedObject) -> dict[str, Any]:
    spec = obj.data.get("spec")
    return spec if isinstance(spec, dict) else {}


def _predictors(obj: LoadedObject) -> Iterator[tuple[list[Any], dict[str, Any]]]:
    """(json path, predictor) for spec.predictor and every list-form canary's predictor."""
    spec = _spec(obj)
    if isinstance(spec.get("predictor"), dict):
        yield ["spec", "predictor"], spec["predictor"]
    canary = spec.get("canary")
    if isinstance(canary, list):
        for i, entry in enumerate(canary):
            if isinstance(entry, dict) and isinstance(entry.get("predictor"), dict):
                yield ["spec", "canary", i, "predictor"], entry["predictor"]


def _components(obj: LoadedObject) -> Iterator[tuple[list[Any], dict[str, Any]]]:
    spec = _spec(obj)
    for name in COMPONENTS:
        if isinstance(spec.get(name), dict):
            yield ["spec", name], spec[name]
    for path, predictor in _predictors(obj):
        if path[1] == "canary":
            yield path, predictor


def _deployment_mode(obj: LoadedObject, ctx: CheckContext) -> str:
    meta = obj.data.get("metadata") if isinstance(obj.data.get("metadata"), dict) else {}
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    if annotations.get(DEPLOYMENT_MODE):
        return str(annotations[DEPLOYMENT_MODE])
    return ctx.environment.deployment_mode if ctx.environment else ""


def _kserve_version(ctx: CheckContext) -> str:
    return ctx.options.kserve_version or (ctx.environment.kserve_version if ctx.environment else "")


# --- KSV001: runtimes ----------------------------------------------------------------------------------


def _runtime_supports(runtime: dict[str, Any], fmt: dict[str, Any], protocol: str, *, auto: bool) -> bool:
    spec = runtime.get("spec") if isinstance(runtime.get("spec"), dict) else {}
    if spec.get("disabled") or (auto and spec.get("multiModel")):
        return False
    protocols = spec.get("protocolVersions") or ["v1", "v2"]  # KServe's default when a runtime names none
    if protocol not in protocols:
        return False
    for supported in spec.get("supportedModelFormats") or []:
        if not isinstance(supported, dict) or supported.get("name") != fmt.get("name"):
            continue
        if auto and not supported.get("autoSelect"):
            continue
        wanted, offered = fmt.get("version"), supported.get("version")
        if wanted and offered and str(wanted).split(".")[0] != str(offered).split(".")[0]:
            continue
        return True
    return False


def runtime_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    runtimes = [o for o in objects if isinstance(o.data, dict) and o.data.get("kind") in RUNTIME_KINDS]
    if not runtimes:
        return  # nothing to match against: the cluster's runtimes are not part of this input
    for obj in _isvcs(objects):
        namespace = str((obj.data.get("metadata") or {}).get("namespace") or "")
        visible = [
            r.data
            for r in runtimes
            if r.data["kind"] == "ClusterServingRuntime" or str((r.data.get("metadata") or {}).get("namespace") or "") == namespace
        ]
        for path, predictor in _predictors(obj):
            model = predictor.get("model")
            if not isinstance(model, dict) or not isinstance(model.get("modelFormat"), dict):
                continue
            fmt = model["modelFormat"]
            protocol = str(model.get("protocolVersion") or "v1")
            named = model.get("runtime")
            what = f"modelFormat {fmt.get('name')}{' ' + str(fmt['version']) if fmt.get('version') else ''} with protocol {protocol}"
            if named:
                matches = [r for r in visible if (r.get("metadata") or {}).get("name") == named]
                if not matches:
                    yield finding_for(
                        obj, [*path, "model", "runtime"], rule="KSV001",
                        message=f"runtime {named!r} is not a ServingRuntime in namespace {namespace or '(none)'} nor a ClusterServingRuntime here",
                        hint="add the runtime to the environment, or remove 'runtime' to let KServe pick one",
                    )
                elif not any(_runtime_supports(r, fmt, protocol, auto=False) for r in matches):
                    yield finding_for(
                        obj, [*path, "model", "modelFormat"], rule="KSV001",
                        message=f"runtime {named!r} does not support {what}",
                        hint="pick a runtime whose supportedModelFormats and protocolVersions include it",
                    )
            elif not any(_runtime_supports(r, fmt, protocol, auto=True) for r in visible):
                yield finding_for(
                    obj, [*path, "model", "modelFormat"], rule="KSV001",
                    message=f"no ServingRuntime or ClusterServingRuntime auto-selects {what}; KServe would leave it unscheduled",
                    hint="add a runtime with autoSelect for this format, set model.runtime, or fix modelFormat/protocolVersion",
                )


# --- KSV002: pre-v1beta1 forms -------------------------------------------------------------------------

V1ALPHA2_MIGRATION = (
    "serving.kserve.io/v1alpha2 was removed from KServe; rewrite it as serving.kserve.io/v1beta1: "
    "spec.default.predictor -> spec.predictor, spec.default.transformer -> spec.transformer, "
    "spec.canaryTrafficPercent -> spec.predictor.canaryTrafficPercent, and "
    "<framework>: {storageUri: U} -> model: {modelFormat: {name: <framework>}, storageUri: U}"
)


def _canary_migration(has_list_canary: bool) -> str:
    if has_list_canary:
        return (
            "write the canary as a list entry: spec.canary: [{trafficPercent: N, predictor: {model: ...}}] "
            "and keep the stable model in spec.predictor"
        )
    return (
        "put the new model in spec.predictor (e.g. its new storageUri) and set "
        "spec.predictor.canaryTrafficPercent: N; KServe keeps the previous revision for the rest of the traffic"
    )


def legacy_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    for obj in objects:
        data = obj.data
        if isinstance(data, dict) and data.get("kind") == ISVC and data.get("apiVersion") == f"{GROUP}/v1alpha2":
            yield finding_for(obj, ["apiVersion"], rule="KSV002", message=V1ALPHA2_MIGRATION)
    for obj in _isvcs(objects):
        if obj.data.get("apiVersion") == f"{GROUP}/v1alpha2":
            continue
        spec = _spec(obj)
        if isinstance(spec.get("default"), dict):
            yield finding_for(
                obj, ["spec", "default"], rule="KSV002",
                message="spec.default is the v1alpha2 form; move spec.default.predictor to spec.predictor "
                "(and spec.default.transformer to spec.transformer)",
            )
        if isinstance(spec.get("canary"), dict):
            yield finding_for(
                obj, ["spec", "canary"], rule="KSV002",
                message="spec.canary as an object is the v1alpha2 canary form; " + _canary_migration(_has_list_canary(obj, ctx)),
            )
        if "canaryTrafficPercent" in spec:
            yield finding_for(
                obj, ["spec", "canaryTrafficPercent"], rule="KSV002",
                message="spec.canaryTrafficPercent is the v1alpha2 form; move it to spec.predictor.canaryTrafficPercent",
            )
        for path, predictor in _predictors(obj):
            for framework in FRAMEWORKS:
                if isinstance(predictor.get(framework), dict):
                    yield finding_for(
                        obj, [*path, framework], rule="KSV002", severity=WARNING,
                        message=f"{framework} is the deprecated per-framework predictor; write "
                        f"model: {{modelFormat: {{name: {framework}}}, storageUri: ...}} with the same fields instead",
                    )


def _has_list_canary(obj: LoadedObject, ctx: CheckContext) -> bool:
    if ctx.schema_set is None:
        return False
    schema = ctx.schema_set.schema_for(str(obj.data.get("apiVersion")), ISVC) or {}
    canary = ((schema.get("properties") or {}).get("spec") or {}).get("properties", {}).get("canary") or {}
    return canary.get("type") == "array" or "array" in (canary.get("type") or [])


# --- KSV003: fields the KServe version does not have ---------------------------------------------------


def unknown_fields(value: Any, schema: Any, path: list[Any]) -> Iterator[list[Any]]:
    """JSON paths of keys a strict CRD schema does not allow (additionalProperties: false)."""
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, child in value.items():
            if key in props:
                yield from unknown_fields(child, props[key], [*path, key])
            elif extra is False:
                yield [*path, key]
            elif isinstance(extra, dict):
                yield from unknown_fields(child, extra, [*path, key])
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            yield from unknown_fields(item, schema["items"], [*path, i])


def version_fields_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    if ctx.schema_set is None or ctx.options.strict:
        return  # --strict: the schema check reports every unknown field already
    version = _kserve_version(ctx)
    label = f"KServe {version}" if version else "the KServe CRDs in use"
    for obj in objects:
        data = obj.data
        if not isinstance(data, dict) or not str(data.get("apiVersion", "")).startswith(GROUP + "/"):
            continue
        kind, api_version = str(data.get("kind")), str(data.get("apiVersion"))
        schema = ctx.schema_set.strict_schema_for(api_version, kind)
        if schema is None:
            continue
        for name, child in data.items():
            if name in ("metadata", "apiVersion", "kind") or name not in (schema.get("properties") or {}):
                continue
            for path in unknown_fields(child, schema["properties"][name], [name]):
                hint = "remove it, or target a KServe version whose CRD has it"
                if path == ["spec", "canary"]:
                    hint = "on this version, " + _canary_migration(False)
                yield finding_for(
                    obj, path, rule="KSV003",
                    message=f"{kind} of {label} has no field {path[-1]!r} here; the API server would drop it silently",
                    hint=hint,
                )


# --- KSV004/KSV005: RawDeployment ----------------------------------------------------------------------


def raw_deployment_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    for obj in _isvcs(objects):
        mode = _deployment_mode(obj, ctx)
        if mode not in RAW_MODES:
            continue
        for path, component in _components(obj):
            if "canaryTrafficPercent" in component and path[1] == "predictor":
                yield finding_for(
                    obj, [*path, "canaryTrafficPercent"], rule="KSV004", severity=WARNING,
                    message=f"canaryTrafficPercent has no effect in {mode} mode: KServe splits traffic between "
                    "revisions only in Serverless mode, so the new version gets all the traffic at once",
                    hint="roll out with a separate InferenceService, or use Serverless mode for canaries",
                )
            if component.get("minReplicas") == 0:
                yield finding_for(
                    obj, [*path, "minReplicas"], rule="KSV005",
                    message=f"minReplicas: 0 in {mode} mode: scale to zero needs Serverless (Knative); "
                    "a RawDeployment HPA cannot scale to zero",
                    hint="set minReplicas: 1 or more",
                )


# --- KSV006: transformer reaching outside the cluster --------------------------------------------------


def _external_host(value: str) -> str | None:
    """The host of ``value`` when it is outside the cluster, else None."""
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value.strip(), flags=re.I).split("/")[0]
    host = host.rsplit("@", 1)[-1]
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":")[0]
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host)
        return None if (address.is_private or address.is_loopback or address.is_link_local) else host
    except ValueError:
        pass
    lowered = host.lower().rstrip(".")
    # <svc> and <svc>.<namespace> resolve in the cluster; so does anything under .svc or .cluster.local
    if lowered.count(".") <= 1 or lowered.endswith((".svc", ".cluster.local")):
        return None
    return host


def _list(value: object) -> list:
    """A list field as written, or nothing when it is not a list (the schema check reports that)."""
    return value if isinstance(value, list) else []


def predictor_host_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    for obj in _isvcs(objects):
        transformer = _spec(obj).get("transformer")
        if not isinstance(transformer, dict):
            continue
        for c, container in enumerate(_list(transformer.get("containers"))):
            if not isinstance(container, dict):
                continue
            base = ["spec", "transformer", "containers", c]
            for e, env in enumerate(_list(container.get("env"))):
                if isinstance(env, dict) and env.get("name") == "PREDICTOR_HOST" and isinstance(env.get("value"), str):
                    host = _external_host(env["value"])
                    if host:
                        yield _predictor_host_finding(obj, [*base, "env", e, "value"], host)
            args = [str(a) for a in _list(container.get("args"))]
            for a, arg in enumerate(args):
                value = None
                if arg.startswith("--predictor_host="):
                    value = arg.split("=", 1)[1]
                elif arg == "--predictor_host" and a + 1 < len(args):
                    value = args[a + 1]
                host = _external_host(value) if value else None
                if host:
                    yield _predictor_host_finding(obj, [*base, "args", a], host)


def _predictor_host_finding(obj: LoadedObject, path: list[Any], host: str) -> Finding:
    name = str((obj.data.get("metadata") or {}).get("name") or "<name>")
    return finding_for(
        obj, path, rule="KSV006",
        message=f"the transformer's predictor host {host!r} is outside the cluster: requests would leave the "
        "cluster instead of reaching this InferenceService's predictor",
        hint=f"use the predictor Service in the cluster, e.g. {name}-predictor (or {name}-predictor.<namespace>)",
    )


# --- KSV007: container names on built-in predictors ---------------------------------------------------


def container_name_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    for obj in _isvcs(objects):
        for path, predictor in _predictors(obj):
            for implementation in ("model", *FRAMEWORKS):
                spec = predictor.get(implementation)
                if isinstance(spec, dict) and spec.get("name") not in (None, "", BUILTIN_CONTAINER):
                    yield finding_for(
                        obj, [*path, implementation, "name"], rule="KSV007",
                        message=f"container name {spec['name']!r} on the built-in predictor {implementation}: KServe "
                        f"runs a built-in predictor's container as {BUILTIN_CONTAINER!r} and rejects other names",
                        hint=f"remove 'name' (or set it to {BUILTIN_CONTAINER})",
                    )


# --- KSV008-KSV010: names, labels, annotations ---------------------------------------------------------


def name_problem(name: str, *, kind: str) -> str | None:
    if kind == ISVC:  # KServe derives Service and Deployment names from it: a DNS-1035 label
        if len(name) > 63 or not DNS1035_LABEL.match(name):
            return "must be a DNS-1035 label for an InferenceService: lowercase letters, digits and '-', starting with a letter, at most 63 characters"
        return None
    if len(name) > 253 or not DNS1123_SUBDOMAIN.match(name):
        return "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending alphanumeric, at most 253 characters"
    return None


def qualified_name_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)):
        return f"prefix {prefix!r} must be a DNS-1123 subdomain"
    if not name or len(name) > 63 or not LABEL_NAME.match(name):
        return "name part must be 1-63 characters of letters, digits, '-', '_' and '.', starting and ending alphanumeric"
    return None


def label_value_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if value == "":
        return None
    if len(value) > 63 or not LABEL_NAME.match(value):
        return "must be at most 63 characters of letters, digits, '-', '_' and '.', starting and ending alphanumeric"
    return None


def names_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    for obj in objects:
        data = obj.data
        if not isinstance(data, dict) or not isinstance(data.get("metadata"), dict):
            continue
        meta = data["metadata"]
        name = meta.get("name")
        if isinstance(name, str) and name:
            problem = name_problem(name, kind=str(data.get("kind")))
            if problem:
                yield finding_for(obj, ["metadata", "name"], rule="KSV008", message=f"name {name!r} {problem}")
        namespace = meta.get("namespace")
        if isinstance(namespace, str) and namespace and (len(namespace) > 63 or not DNS1123_LABEL.match(namespace)):
            yield finding_for(
                obj, ["metadata", "namespace"], rule="KSV008",
                message=f"namespace {namespace!r} must be a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters",
            )
        for path in _label_maps(data):
            labels = _get(data, path)
            if not isinstance(labels, dict):
                continue
            for key, value in labels.items():
                if _placeholder(data, path, key, value):
                    continue
                problem = qualified_name_problem(str(key))
                if problem:
                    yield finding_for(obj, [*path, key], rule="KSV009", message=f"label key {key!r}: {problem}")
                problem = label_value_problem(value)
                if problem:
                    yield finding_for(obj, [*path, key], rule="KSV009", message=f"label {key!r} value {value!r} {problem}")
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            for key in annotations:
                problem = qualified_name_problem(str(key))
                if problem:
                    yield finding_for(obj, ["metadata", "annotations", key], rule="KSV010", message=f"annotation key {key!r}: {problem}")


def _placeholder(data: dict[str, Any], path: list[Any], key: Any, value: Any) -> bool:
    """An ApplicationSet's template is filled in by its generators ({{.env}}, {{name}}): its labels are not
    labels yet. The Applications it generates carry the real values (and the API server checks those)."""
    if data.get("kind") != "ApplicationSet" or not str(data.get("apiVersion", "")).startswith("argoproj.io/"):
        return False
    return path[:1] == ["spec"] and ("{{" in str(key) or "{{" in str(value))


def _label_maps(data: dict[str, Any]) -> Iterator[list[Any]]:
    """metadata.labels, plus the pod template labels a workload carries (the API server checks both)."""
    yield ["metadata", "labels"]
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    if isinstance(spec.get("template"), dict):
        yield ["spec", "template", "metadata", "labels"]


def _get(data: Any, path: list[Any]) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


