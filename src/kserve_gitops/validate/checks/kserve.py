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
is skipped rather than guessing what the cluster has. It follows KServe's own runtime selection, that of
the environment's KServe version where v0.14.1 and v0.20.0 differ (see the KSV001 section). KSV003 is
skipped under ``--strict``, where the schema check already reports every unknown field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Iterable, Iterator

from ...inputs.merge import dig
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
#
# KSV001 replays how KServe gives a predictor its runtime: the mutating webhook's defaults, then the
# predictor reconciler. Each rule names the KServe file and function it follows, "both" where v0.14.1 and
# v0.20.0 agree. A KServe version before v0.20.0 follows v0.14.1's code; no version given, v0.20.0's (the
# newest pinned). Paths are under github.com/kserve/kserve; the reconciler is
# pkg/controller/v1beta1/inferenceservice/components/predictor.go ("predictor.go" below).

MODEL_MESH = "ModelMesh"
SERVER_TYPE_ANNOTATION = "serving.kserve.io/server-type"
# KServe pkg/constants/constants.go GetProtocolVersionInt (both): how protocols rank; any other ranks last (Unknown)
PROTOCOL_RANK = {"v1": 1, "v2": 2, "grpc-v1": 3, "grpc-v2": 4}
UNKNOWN_PROTOCOL_RANK = 5
# KServe pkg/apis/serving/v1beta1/inference_service_defaults.go SetRuntimeDefaults: the protocolVersion a
# model without one gets from its runtime (v0.14.1 by runtime name; v0.20.0 by the runtime's server-type
# annotation, else by name; constants.go GetServerTypeFromRuntimeName)
RUNTIME_NAME_SERVER_TYPE = {"kserve-mlserver": "mlserver", "kserve-torchserve": "torchserve", "kserve-tritonserver": "tritonserver"}
SERVER_TYPE_PROTOCOL = {"mlserver": "v2", "torchserve": "v1", "tritonserver": "v2"}
# KServe inference_service_defaults.go setPredictorModelDefaults (both): its switch order over the
# per-framework predictors, and those given protocol v2 when they set none (assignTritonRuntime,
# assignONNXRuntime, assignHuggingFaceRuntime)
FRAMEWORK_ORDER = ("sklearn", "tensorflow", "xgboost", "pytorch", "triton", "onnx", "huggingface", "pmml", "lightgbm", "paddle")
V2_FRAMEWORKS = ("triton", "onnx", "huggingface")


@dataclass(frozen=True)
class _Selection:
    """Where the pinned KServe versions pick runtimes differently."""

    defaults_before_named_check: bool  # SetRuntimeDefaults runs before a named runtime's protocol check
    v2_formats: tuple[str, ...]  # model formats the webhook gives protocol v2 when they set none
    multi_node: bool  # auto-selection pairs a predictor's workerSpec with a runtime's
    list_canary: bool  # spec.canary[] predictors exist, built on the stable predictor


V0_14 = _Selection(defaults_before_named_check=True, v2_formats=("triton",), multi_node=False, list_canary=False)
V0_20 = _Selection(defaults_before_named_check=False, v2_formats=("triton", "vLLM"), multi_node=True, list_canary=True)


def _selection(ctx: CheckContext) -> _Selection:
    version = _kserve_version(ctx) or ctx.options.admission_kserve_version or ""
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:3])
    return V0_14 if numbers and numbers < (0, 20) else V0_20


@dataclass(frozen=True)
class _Model:
    """A predictor's model as KServe matches it; None is a field left unset (a nil pointer in KServe)."""

    format: str
    version: str | None
    protocol: str | None
    runtime: str | None

    def describe(self, protocol: str | None) -> str:
        shown = "v1" if protocol is None else protocol or "(none)"  # ModelSpec.GetProtocol: v1 when unset
        return f"modelFormat {self.format}{' ' + self.version if self.version else ''} with protocol {shown}"


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _model_of(model: dict[str, Any]) -> _Model:
    fmt = model.get("modelFormat") if isinstance(model.get("modelFormat"), dict) else {}
    return _Model(_opt(fmt.get("name")) or "", _opt(fmt.get("version")), _opt(model.get("protocolVersion")), _opt(model.get("runtime")))


def _defaulted(predictor: dict[str, Any], selection: _Selection) -> tuple[str, _Model] | None:
    """(the predictor's field, its model) as KServe's mutating webhook leaves them; None without a model."""
    for framework in FRAMEWORK_ORDER:
        # KServe inference_service_defaults.go setPredictorModelDefaults (both): a per-framework predictor
        # becomes model.modelFormat {name: <framework>} with its fields, and no runtime (so auto-selected)
        legacy = predictor.get(framework)
        if isinstance(legacy, dict):
            protocol = _opt(legacy.get("protocolVersion"))
            model = _Model(framework, None, "v2" if protocol is None and framework in V2_FRAMEWORKS else protocol, None)
            key = framework
            break
    else:
        spec = predictor.get("model")
        if not isinstance(spec, dict) or not isinstance(spec.get("modelFormat"), dict):
            return None
        model, key = _model_of(spec), "model"
    if model.protocol is None and model.format in selection.v2_formats:
        # KServe inference_service_defaults.go setPredictorModelDefaults: format triton (v0.20.0: also vLLM)
        # without protocolVersion gets v2
        model = replace(model, protocol="v2")
    return key, model


def _name(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _namespace(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "")


def _runtime_spec(runtime: dict[str, Any]) -> dict[str, Any]:
    return runtime["spec"] if isinstance(runtime.get("spec"), dict) else {}


def _visible(runtimes: list[dict[str, Any]], kind: str, namespace: str) -> list[dict[str, Any]]:
    return [r for r in runtimes if r["kind"] == kind and (kind == "ClusterServingRuntime" or _namespace(r) == namespace)]


def _lookup(name: str, namespace: str, runtimes: list[dict[str, Any]]) -> dict[str, Any] | None:
    # KServe pkg/controller/v1beta1/inferenceservice/utils/utils.go GetServingRuntime (both): the model
    # namespace's ServingRuntime of that name, else the ClusterServingRuntime of that name (so a
    # ServingRuntime shadows a ClusterServingRuntime it shares a name with)
    for kind in RUNTIME_KINDS:
        for runtime in _visible(runtimes, kind, namespace):
            if _name(runtime) == name:
                return runtime
    return None


def _serves_protocol(spec: dict[str, Any], protocol: str) -> bool:
    # KServe pkg/apis/serving/v1alpha1/servingruntime_types.go IsProtocolVersionSupported (both): an empty
    # model protocol, or a runtime without protocolVersions, matches every protocol; else it must be listed
    offered = spec.get("protocolVersions") if isinstance(spec.get("protocolVersions"), list) else []
    return not protocol or not offered or protocol in [str(p) for p in offered]


def _serves_format(spec: dict[str, Any], model: _Model) -> bool:
    # KServe pkg/apis/serving/v1beta1/predictor_model.go RuntimeSupportsModel (both): the model's label,
    # "mt:<name>" or with a version "mt:<name>:<version>", must be one of the runtime's, and
    # getServingRuntimeSupportedModelFormatLabelSet gives every supported format "mt:<name>", plus
    # "mt:<name>:<version>" when it has a version. So a versioned model needs a format of exactly that
    # version string (no major-version matching, no unversioned format), and an unversioned one takes any
    # version. Only formats with autoSelect: true count unless the model names its runtime.
    wanted = f"mt:{model.format}" if model.version is None else f"mt:{model.format}:{model.version}"
    labels = set()
    for supported in spec.get("supportedModelFormats") or []:
        if not isinstance(supported, dict) or (model.runtime is None and supported.get("autoSelect") is not True):
            continue
        name = _opt(supported.get("name")) or ""
        labels.add(f"mt:{name}")
        if supported.get("version") is not None:
            labels.add(f"mt:{name}:{supported['version']}")
    return wanted in labels


def _protocol_rank(protocols: Any) -> int:
    # KServe predictor_model.go GetProtocolVersionPriority (both): the runtime's best-ranked protocol
    if not isinstance(protocols, list) or not protocols:
        return UNKNOWN_PROTOCOL_RANK
    return min(PROTOCOL_RANK.get(str(p), UNKNOWN_PROTOCOL_RANK) for p in protocols)


def _priority_key(spec: dict[str, Any], format_name: str) -> tuple[bool, int]:
    # KServe servingruntime_types.go GetPriority (both): the priority of the runtime's first format of that
    # name, autoSelect or not
    for supported in spec.get("supportedModelFormats") or []:
        if isinstance(supported, dict) and supported.get("name") == format_name:
            priority = supported.get("priority")
            if isinstance(priority, int) and not isinstance(priority, bool):
                return (False, -priority)
            break
    return (True, 0)


def _auto_selected(model: _Model, namespace: str, runtimes: list[dict[str, Any]], multi_node: bool | None) -> list[dict[str, Any]]:
    """The runtimes KServe would auto-select for ``model``, in its order (it takes the first)."""
    protocol = "v1" if model.protocol is None else model.protocol  # KServe predictor_model.go GetProtocol (both)
    selected: list[dict[str, Any]] = []
    for kind in RUNTIME_KINDS:  # KServe predictor_model.go GetSupportingRuntimes (both): namespace's first
        # sortServingRuntimeList: best protocol first, then newest, then by name. Rendered manifests carry no
        # creationTimestamp (the API server sets it), so runtimes tie on age here.
        candidates = sorted(_visible(runtimes, kind, namespace), key=lambda r: (_protocol_rank(_runtime_spec(r).get("protocolVersions")), _name(r)))
        eligible = [r for r in candidates if _auto_selectable(_runtime_spec(r), model, protocol, multi_node)]
        # sortSupportedRuntimeByPriority: highest priority for the format first, unset last, ties kept in order
        selected.extend(sorted(eligible, key=lambda r: _priority_key(_runtime_spec(r), model.format)))
    return selected


def _auto_selectable(spec: dict[str, Any], model: _Model, protocol: str, multi_node: bool | None) -> bool:
    # KServe predictor_model.go GetSupportingRuntimes (both): not disabled, not multiModel (the predictor
    # reconciler asks for single-model runtimes), serving the format and the protocol; v0.20.0 also
    # servingruntime_types.go IsMultiNodeRuntime() (a workerSpec) == the predictor has a workerSpec
    # (predictor.go Reconcile: multiNodeEnabled)
    return (
        spec.get("disabled") is not True
        and spec.get("multiModel") is not True
        and _serves_format(spec, model)
        and _serves_protocol(spec, protocol)
        and (multi_node is None or (spec.get("workerSpec") is not None) == multi_node)
    )


def _named_refusal(runtime: dict[str, Any], model: _Model, selection: _Selection) -> tuple[str, str | None]:
    """(why KServe refuses the runtime the model names, "" if it takes it; the protocol it checks)."""
    spec = _runtime_spec(runtime)
    # KServe predictor.go (v0.14.1 Reconcile, v0.20.0 reconcileModel): a disabled runtime is refused first
    if spec.get("disabled") is True:
        return "disabled", model.protocol
    protocol = model.protocol
    if protocol is None and selection.defaults_before_named_check:
        # KServe v0.14.1 predictor.go Reconcile calls SetRuntimeDefaults before these checks: a model
        # without protocolVersion on kserve-mlserver or kserve-tritonserver is checked as v2, on
        # kserve-torchserve as v1 (v0.20.0 reconcileModel calls it after them)
        protocol = SERVER_TYPE_PROTOCOL.get(RUNTIME_NAME_SERVER_TYPE.get(model.runtime or "", ""))
    # same functions: the protocol is checked only when the model has one (else it takes the runtime's)
    if protocol is not None and not _serves_protocol(spec, protocol):
        return "protocol", protocol
    # then RuntimeSupportsModel, with the runtime named: every supported format counts, autoSelect or not
    if not _serves_format(spec, model):
        return "format", protocol
    return "", protocol


def _resolved(model: _Model, runtime: dict[str, Any], namespace: str, runtimes: list[dict[str, Any]]) -> _Model:
    """The stable predictor's model once KServe v0.20.0 predictor.go reconcileModel is done: its runtime
    and protocolVersion set (what a list-form canary is built on)."""
    protocol = model.protocol
    if protocol is None:
        # SetRuntimeDefaults: by the runtime's server-type annotation (looked up by name), else by its name
        annotations = ((_lookup(_name(runtime), namespace, runtimes) or runtime).get("metadata") or {}).get("annotations") or {}
        server = str(annotations[SERVER_TYPE_ANNOTATION]) if SERVER_TYPE_ANNOTATION in annotations else RUNTIME_NAME_SERVER_TYPE.get(_name(runtime), "")
        protocol = SERVER_TYPE_PROTOCOL.get(server)
    if protocol is None:
        # then reconcileModel assigns the runtime's best protocol ("" when it lists none)
        rank = _protocol_rank(_runtime_spec(runtime).get("protocolVersions"))
        protocol = next((p for p, r in PROTOCOL_RANK.items() if r == rank), "")
    return replace(model, runtime=_name(runtime), protocol=protocol)


def _override(stable: str | None, canary: str | None) -> str | None:
    # KServe v0.20.0 predictor.go buildCanaryPredictor: mergo.Merge(WithOverride) over a copy of the stable
    # predictor, so a canary field replaces the stable one only when set and not empty
    if canary is None:
        return stable
    return canary if stable is None or canary != "" else stable


def _canary_model(stable: _Model | None, model: dict[str, Any]) -> _Model:
    own = _model_of(model)
    if stable is None:
        return own
    return _Model(
        _override(stable.format, own.format) or "",
        _override(stable.version, own.version),
        _override(stable.protocol, own.protocol),
        _override(stable.runtime, own.runtime),
    )


def _select(
    obj: LoadedObject, model: _Model, at: list[Any], runtime_at: list[Any], namespace: str,
    runtimes: list[dict[str, Any]], selection: _Selection, multi_node: bool | None, inherited: bool = False,
) -> tuple[dict[str, Any] | None, Finding | None]:
    """(the runtime KServe gives ``model``, None) or (None, the finding of why it gives none)."""
    if model.runtime is None:
        selected = _auto_selected(model, namespace, runtimes, multi_node)
        if selected:
            return selected[0], None
        message = f"no ServingRuntime or ClusterServingRuntime auto-selects {model.describe(model.protocol)}; KServe would leave it unscheduled"
        serving = _auto_selected(model, namespace, runtimes, None) if multi_node is not None else []
        if serving:
            names = ", ".join(repr(_name(r)) for r in serving)
            message += (
                f" (this predictor has a workerSpec, and KServe takes only a runtime with one for it: {names} has none)"
                if multi_node
                else f" (this predictor has no workerSpec, and KServe takes only a runtime without one for it: {names} has one)"
            )
        return None, finding_for(
            obj, at, rule="KSV001", message=message,
            hint="add a runtime with autoSelect for this format, set model.runtime, or fix modelFormat/protocolVersion",
        )
    named = model.runtime
    runtime = _lookup(named, namespace, runtimes)
    if runtime is None:
        # KServe predictor.go: GetServingRuntime finds no runtime of that name (RuntimeNotRecognized)
        return None, finding_for(
            obj, runtime_at, rule="KSV001",
            message=f"runtime {named!r} is not a ServingRuntime in namespace {namespace or '(none)'} nor a ClusterServingRuntime here",
            hint="add the runtime to the environment, or remove 'runtime' to let KServe pick one",
        )
    refusal, protocol = _named_refusal(runtime, model, selection)
    if refusal == "disabled":
        return None, finding_for(
            obj, runtime_at, rule="KSV001",
            message=f"runtime {named!r} is disabled (spec.disabled: true); KServe refuses a disabled runtime",
            hint="name a runtime that is enabled, or remove 'runtime' to let KServe pick one",
        )
    if refusal:
        whose = f"runtime {named!r}, which the canary takes from spec.predictor," if inherited else f"runtime {named!r}"
        hint = "pick a runtime whose supportedModelFormats and protocolVersions include it"
        if inherited:
            hint = ("KServe builds the canary on a copy of spec.predictor, the runtime it was given included: set "
                    "model.runtime in the canary to a runtime that serves it")
        return None, finding_for(obj, at, rule="KSV001", message=f"{whose} does not support {model.describe(protocol)}", hint=hint)
    return runtime, None


def runtime_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    runtimes = [o.data for o in objects if isinstance(o.data, dict) and o.data.get("kind") in RUNTIME_KINDS]
    if not runtimes:
        return  # nothing to match against: the cluster's runtimes are not part of this input
    selection = _selection(ctx)
    for obj in _isvcs(objects):
        mode = _deployment_mode(obj, ctx)
        if mode == MODEL_MESH:
            # KServe pkg/controller/v1beta1/inferenceservice/controller.go Reconcile (both): no predictor
            # reconciler in ModelMesh mode; ModelMesh picks its (multi-model) runtime itself
            continue
        namespace = _namespace(obj.data)
        spec = _spec(obj)
        predictor = spec.get("predictor") if isinstance(spec.get("predictor"), dict) else {}
        stable: _Model | None = None
        defaulted = _defaulted(predictor, selection)
        if defaulted:
            key, model = defaulted
            path = ["spec", "predictor", key]
            multi_node = (predictor.get("workerSpec") is not None) if selection.multi_node else None
            at = [*path, "modelFormat"] if key == "model" else path
            runtime, finding = _select(obj, model, at, [*path, "runtime"], namespace, runtimes, selection, multi_node)
            if finding:
                yield finding
                continue  # KServe v0.20.0 predictor.go Reconcile: canaries come only after the stable predictor
            stable = _resolved(model, runtime, namespace, runtimes) if runtime is not None else None
        elif "model" in predictor:
            continue  # a model KServe cannot read: it stops at the stable predictor
        canaries = spec.get("canary")
        # KServe v0.20.0 predictor.go Reconcile runs reconcileCanaryDeployments in Standard mode only (and
        # inference_service_validation.go validateCanarySpecs refuses the list elsewhere); v0.14.1 has no
        # list-form canary (its API server drops the field, KSV003)
        if not selection.list_canary or not isinstance(canaries, list) or mode not in ("", *RAW_MODES):
            continue
        for i, entry in enumerate(canaries):
            canary = entry.get("predictor") if isinstance(entry, dict) else None
            model_spec = canary.get("model") if isinstance(canary, dict) else None
            if not isinstance(model_spec, dict) or (stable is None and not isinstance(model_spec.get("modelFormat"), dict)):
                continue  # no model of its own: the canary serves the stable predictor's (mergo keeps it)
            # KServe v0.20.0 predictor.go reconcileCanaryDeployments: buildCanaryPredictor merges the canary
            # over the reconciled stable predictor (runtime and protocolVersion included), then it is built
            # like a predictor that names its runtime; with no stable model, the canary's own model is
            # auto-selected as single-node (buildPredictorResources(..., false))
            model = _canary_model(stable, model_spec)
            path = ["spec", "canary", i, "predictor", "model"]
            where = next((k for k in ("modelFormat", "protocolVersion") if k in model_spec), None)
            at = [*path, where] if where else path
            inherited = stable is not None and _opt(model_spec.get("runtime")) in (None, "")
            _, finding = _select(obj, model, at, [*path, "runtime"], namespace, runtimes, selection, False, inherited=inherited)
            if finding:
                yield finding


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
        import ipaddress  # on first use: most runs have no host to judge

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
            labels = dig(data, *path)
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


