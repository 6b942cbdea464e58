"""The model components: each model's base and its patch per environment, and local model caches."""

from __future__ import annotations

from collections import defaultdict

from ...constructs.inferenceservice import InferenceService
from ...constructs import llminferenceservice as llm
from ...constructs.kustomize import KustomizeBaseSet, KustomizeOverlay, KustomizeOverlaySet, construct_id
from ...constructs.modelcache import LocalModelCache, cache_props_for
from ...constructs.models import NAMESPACE_ANNOTATION, annotation_error, environment_patch, model_namespace
from ..context import SynthContext


def models(ctx: SynthContext) -> None:
    """One base per model under ``charts/models/<name>``; per environment and namespace an overlay that
    places the models in their namespace and patches them for the environment."""
    bases = KustomizeBaseSet(ctx.app, "models")
    for model in ctx.models:
        (llm.LLMInferenceService if model.is_llm else InferenceService).from_manifest(bases, model.base)

    for env in ctx.environments:
        by_namespace: dict[str, list] = defaultdict(list)
        for model in ctx.models:
            if env.name not in model.environments:
                continue
            namespace = model_namespace(model, env)
            if namespace not in env.namespaces:
                raise annotation_error(
                    model,
                    NAMESPACE_ANNOTATION,
                    f"namespace {namespace!r} is not a model namespace of environment {env.name!r}",
                    hint=f"{env.name} has: {', '.join(env.namespaces)}",
                )
            by_namespace[namespace].append(model)
        # One small kustomization per model and environment (overlays/<env>/models/<name>/): kustomize
        # matches each patch against every resource of its kustomization, so one folder holding 1,000
        # patched models renders in quadratic time (minutes); a folder each renders in seconds.
        patched = KustomizeOverlaySet(ctx.app, f"overlays/{env.name}/models")
        for namespace in sorted(by_namespace):
            overlay = KustomizeOverlay(ctx.app, f"overlays/{env.name}/namespaces/{namespace}", namespace=namespace)
            for model in by_namespace[namespace]:
                patch = llm.environment_patch(model, env) if model.is_llm else environment_patch(model, env)
                overlay.add_resource(patched.add_patch(patch, base_dir=bases.dir_for(model.name)))
            ctx.include(env.name, overlay)


def model_caches(ctx: SynthContext) -> None:
    """Per environment with ``localModelCache.nodeGroups``: a LocalModelCache for each model annotated
    ``kserve-gitops.io/local-model-cache`` (``charts/modelcaches/<env>``; cluster-scoped, so outside the
    namespaced model overlays)."""
    for env in ctx.environments:
        caches = [props for model in ctx.models if (props := cache_props_for(model, env)) is not None]
        if not caches:
            continue
        base = ctx.base(f"modelcaches/{env.name}")
        for props in caches:
            LocalModelCache(base, construct_id(props.name), props=props, kserve_version=env.kserve_version)
        ctx.include(env.name, base)

