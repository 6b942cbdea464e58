"""Models: one kustomize base per model and, per environment, the patch that fits it to that environment.

The base is the data scientist's InferenceService as written. The environment patch adds what the
platform decides (deployment mode, under the name the environment's KServe release knows; the IRSA service
account for s3:// models; default replicas and resources from ``kserve-gitops.yaml``, a list-form canary getting
only what KServe's webhook accepts on a canary), then the model's own ``models/<name>/<env>.yaml`` on top: the
model author has the last word on every field they write.
"""

from __future__ import annotations

from typing import Any

from ..errors import SynthError
from ..inputs.config import Environment
from ..inputs.models import ISVC_API_VERSION, ISVC_KIND, Model
from ..inputs.yamlsrc import positions_for
from ..inputs.merge import dig, merge_patch

DEPLOYMENT_MODE_ANNOTATION = "serving.kserve.io/deploymentMode"
NAMESPACE_ANNOTATION = "kserve-gitops.io/namespace"


def effective_manifest(model: Model, env: Environment) -> dict[str, Any]:
    """The InferenceService as it will render in ``env`` (base, platform defaults, the model's patch)."""
    return merge_patch(model.base, environment_patch(model, env))


def environment_patch(model: Model, env: Environment) -> dict[str, Any]:
    own = model.overlay(env.name)
    as_written = merge_patch(model.base, own)
    spec = as_written.get("spec") or {}
    predictor = spec.get("predictor") or {}

    platform: dict[str, Any] = {
        "apiVersion": ISVC_API_VERSION,
        "kind": ISVC_KIND,
        "metadata": {"name": model.name, "annotations": {DEPLOYMENT_MODE_ANNOTATION: env.deployment_mode}},
        "spec": {"predictor": _predictor_defaults(predictor, env)},
    }
    canary = spec.get("canary")
    if isinstance(canary, list):
        # Lists are replaced whole by a merge, so the canary list is restated with its own defaults.
        stable_min = merge_patch(predictor, platform["spec"]["predictor"]).get("minReplicas")
        platform["spec"]["canary"] = [
            {**item, "predictor": merge_patch(item.get("predictor") or {}, _canary_defaults(item.get("predictor") or {}, env, stable_min))}
            if isinstance(item, dict)
            else item
            for item in canary
        ]
    # Platform values only fill fields the model leaves unset (and restate a canary list whole), so the
    # author's own patch goes first and the platform's on top.
    own_fields = {k: v for k, v in own.items() if k not in ("apiVersion", "kind")}
    patch = merge_patch(own_fields, platform)
    if not patch["spec"].get("predictor"):
        patch["spec"].pop("predictor", None)
    if not patch["spec"]:
        patch.pop("spec")
    return patch


def reads_s3(predictor: dict[str, Any]) -> bool:
    uris = [dig(predictor, "model", "storageUri"), predictor.get("storageUri")]
    for key, value in predictor.items():
        if isinstance(value, dict) and key not in ("model",):
            uris.append(value.get("storageUri"))
    for container in predictor.get("containers") or []:
        if isinstance(container, dict):
            for env in container.get("env") or []:
                if isinstance(env, dict) and env.get("name") == "STORAGE_URI":
                    uris.append(env.get("value"))
    return any(isinstance(u, str) and u.startswith("s3://") for u in uris)


def _predictor_defaults(predictor: dict[str, Any], env: Environment) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    if reads_s3(predictor) and not predictor.get("serviceAccountName"):
        defaults["serviceAccountName"] = env.service_account
    if env.default_min_replicas is not None and "minReplicas" not in predictor:
        defaults["minReplicas"] = env.default_min_replicas
    if env.default_max_replicas is not None and "maxReplicas" not in predictor:
        defaults["maxReplicas"] = env.default_max_replicas
    model = predictor.get("model")
    if env.default_resources and isinstance(model, dict) and not model.get("resources"):
        defaults["model"] = {"resources": env.default_resources}
    return defaults


def _canary_defaults(predictor: dict[str, Any], env: Environment, stable_min: Any) -> dict[str, Any]:
    """A list-form canary's defaults. KServe runs a canary at fixed replicas: its webhook refuses maxReplicas
    (and scaleTarget, scaleMetric, autoScaling) on a canary and a minReplicas above the stable predictor's
    (1 when unset), so the environment's replica defaults fill minReplicas only, never above the stable's."""
    defaults = _predictor_defaults(predictor, env)
    defaults.pop("maxReplicas", None)
    if "minReplicas" in defaults:
        ceiling = stable_min if isinstance(stable_min, int) and not isinstance(stable_min, bool) else 1
        defaults["minReplicas"] = min(defaults["minReplicas"], ceiling)
    return defaults


def annotation_error(model: Model, annotation: str, message: str, *, hint: str) -> SynthError:
    """A synth-time problem with one of a model's kserve-gitops annotations, pointing at its line."""
    line, col, _ = positions_for(model.source(model.base_path)).locate(0, ["metadata", "annotations", annotation])
    return SynthError(message, path=model.base_path, line=line, column=col, field=f"metadata.annotations.{annotation}", hint=hint)


def model_namespace(model: Model, env: Environment) -> str:
    annotations = (model.base.get("metadata") or {}).get("annotations") or {}
    return annotations.get(NAMESPACE_ANNOTATION) or env.default_namespace
