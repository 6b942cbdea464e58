"""What a synth component gets: the inputs, the cdk8s app, and the environments' overlays to add to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from ..inputs.config import Environment, PlatformConfig
from ..inputs.models import Model

if TYPE_CHECKING:
    import cdk8s

    from ..constructs.kustomize import KustomizeBase, KustomizeOverlay

ENVIRONMENT_LABEL = "kserve-gitops.io/environment"


@dataclass
class SynthContext:
    config: PlatformConfig
    models: list[Model]
    app: cdk8s.App
    overlays: dict[str, KustomizeOverlay] = field(default_factory=dict)
    _bases: dict[str, KustomizeBase] = field(default_factory=dict)

    @property
    def environments(self) -> list[Environment]:
        return self.config.select(None)

    def base(self, path: str, *, labels: dict[str, str] | None = None) -> KustomizeBase:
        """The kustomize base at ``charts/<path>``, created on first use."""
        from ..constructs.kustomize import KustomizeBase

        if path not in self._bases:
            self._bases[path] = KustomizeBase(self.app, path, labels=labels)
        return self._bases[path]

    def include(self, env: str, base: KustomizeBase | KustomizeOverlay | str) -> None:
        """Make environment ``env``'s overlay render ``base``."""
        target = base if isinstance(base, str) else base.output_dir
        self.overlays[env].add_resource(target)


Component = Callable[[SynthContext], None]
