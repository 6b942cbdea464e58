"""The synth components, in the order they run: each is ``(SynthContext) -> None`` and adds its charts to
the app and its bases to the environments' overlays. ``synth --components`` style callers pick by name."""

from __future__ import annotations

from ..context import Component
from . import automation, models, observability, platform

COMPONENTS: dict[str, Component] = {
    "models": models.models,
    "modelcaches": models.model_caches,
    "automation": automation.automation,
    "network": observability.network,
    "istio": observability.istio,
    "monitoring": observability.monitoring,
    "llm-monitoring": observability.llm_monitoring,
    "runtimes": platform.runtimes,
    "identity": platform.identity,
    "install": platform.install,
    "argocd": platform.argocd,
}
