"""The built-in synth components. ``models`` is here; the platform components register themselves in
``components_platform`` and ``components_observability`` (imported at the bottom)."""

from __future__ import annotations

from collections import defaultdict

from ..constructs.inferenceservice import InferenceService
from ..constructs.kustomize import KustomizeOverlay
from ..constructs.models import NAMESPACE_ANNOTATION, environment_patch, model_namespace
from ..errors import SynthError
from ..inputs.yamlsrc import positions_for
from .app import SynthContext, component


@component("models")
def models(ctx: SynthContext) -> None:
    """One base per model under ``charts/models/<name>``; per environment and namespace an overlay that
    places the models in their namespace and patches them for the environment."""
    bases = {}
    for model in ctx.models:
        base = ctx.base(f"models/{model.name}")
        InferenceService.from_manifest(base, model.base)
        bases[model.name] = base

    for env in ctx.environments:
        by_namespace: dict[str, list] = defaultdict(list)
        for model in ctx.models:
            if env.name not in model.environments:
                continue
            namespace = model_namespace(model, env)
            if namespace not in env.namespaces:
                line, col, _ = positions_for(model.base_path).locate(0, ["metadata", "annotations", NAMESPACE_ANNOTATION])
                raise SynthError(
                    f"namespace {namespace!r} is not a model namespace of environment {env.name!r}",
                    path=model.base_path,
                    line=line,
                    column=col,
                    field=f"metadata.annotations.{NAMESPACE_ANNOTATION}",
                    hint=f"{env.name} has: {', '.join(env.namespaces)}",
                )
            by_namespace[namespace].append(model)
        for namespace in sorted(by_namespace):
            # One small kustomization per model and environment: kustomize applies patches against every
            # resource of a kustomization, so one folder of 1,000 patched models renders in quadratic time.
            overlay = KustomizeOverlay(ctx.app, f"overlays/{env.name}/namespaces/{namespace}", namespace=namespace)
            for model in by_namespace[namespace]:
                model_overlay = KustomizeOverlay(
                    ctx.app, f"overlays/{env.name}/models/{model.name}", resources=[bases[model.name].output_dir]
                )
                model_overlay.add_patch(environment_patch(model, env))
                overlay.add_resource(model_overlay.output_dir)
            ctx.include(env.name, overlay)


from . import components_observability, components_platform  # noqa: E402,F401
