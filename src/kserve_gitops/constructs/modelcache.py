"""KServe's local model cache: a cluster-scoped ``LocalModelCache`` that pre-downloads a model to the nodes of
one or more ``LocalModelNodeGroup``s, so predictors whose ``storageUri`` equals ``sourceModelUri`` start from
the node's disk instead of the bucket.

In the YAML path a model asks for a cache with the annotation ``kserve-gitops.io/local-model-cache: <size>``
and an environment caches it when ``kserve-gitops.yaml`` lists ``localModelCache.nodeGroups`` for it
(``synth`` writes ``charts/modelcaches/<env>/``); in the construct path, ``LocalModelCache`` below.

The CRD does not exist in every KServe release: whether an environment may use it is read from the CRDs
of its KServe version (``kserve/<version>/`` in the CRD folders, ``kserve/*.yaml`` for main), never
guessed from a version number. ``validate`` reports a cache in an environment without the CRD (KSV011).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from constructs import Construct

from ..errors import SynthError
from ..inputs.config import Environment
from ..inputs.models import CACHE_ANNOTATION, Model
from ..inputs.merge import dig
from .kustomize import api_object
from .models import annotation_error, effective_manifest

API_VERSION = "serving.kserve.io/v1alpha1"
KIND = "LocalModelCache"
CACHE_KINDS = ("LocalModelCache", "LocalModelNamespaceCache", "LocalModelNodeGroup")


@dataclass(frozen=True)
class LocalModelCacheProps:
    """``name`` of the cache, the model's ``source_model_uri`` (the predictor's storageUri), its
    ``model_size`` (a quantity such as ``2Gi``; KServe reserves that much on each node) and the node groups."""

    name: str
    source_model_uri: str
    model_size: str
    node_groups: tuple[str, ...]


def local_model_cache_manifest(props: LocalModelCacheProps) -> dict[str, Any]:
    if not props.node_groups:
        raise SynthError(f"LocalModelCache {props.name}: name at least one LocalModelNodeGroup")
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": props.name},
        "spec": {
            "sourceModelUri": props.source_model_uri,
            "modelSize": props.model_size,
            "nodeGroups": list(props.node_groups),
        },
    }


class LocalModelCache(Construct):
    """One LocalModelCache. Pass ``crd_files`` (from ``CrdLibrary.crd_files(kserve_version)``) to refuse
    an environment whose KServe has no such CRD at synth time rather than at sync time."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        props: LocalModelCacheProps,
        kserve_version: str,
        crd_files: Iterable[Path] | None = None,
    ) -> None:
        super().__init__(scope, id)
        if crd_files is not None and not has_local_model_cache(crd_files):
            raise SynthError(
                f"KServe {kserve_version} has no LocalModelCache CRD, so {props.name!r} cannot be cached there",
                hint="drop the cache for this environment, or target a KServe version that ships the CRD",
            )
        self.manifest = local_model_cache_manifest(props)
        api_object(self, self.manifest, id="Resource")


def cache_props_for(model: Model, env: Environment) -> LocalModelCacheProps | None:
    """The cache a model asks for with ``kserve-gitops.io/local-model-cache: <size>`` in ``env``, if ``env``
    lists node groups to cache on (``localModelCache.nodeGroups``); the source is the predictor's storageUri
    as it renders there, so the InferenceService and its cache always name the same model."""
    annotations = (model.base.get("metadata") or {}).get("annotations") or {}
    size = annotations.get(CACHE_ANNOTATION)
    if size is None or not env.model_cache_node_groups or env.name not in model.environments:
        return None
    predictor = dig(effective_manifest(model, env), "spec", "predictor") or {}
    uri = dig(predictor, "model", "storageUri") or predictor.get("storageUri")
    if not isinstance(uri, str) or not uri:
        raise annotation_error(
            model,
            CACHE_ANNOTATION,
            f"model {model.name} asks for a local model cache but its predictor has no storageUri in {env.name}",
            hint="a cache pre-downloads spec.predictor.model.storageUri; custom containers cannot be cached",
        )
    return LocalModelCacheProps(name=model.name, source_model_uri=uri, model_size=size, node_groups=env.model_cache_node_groups)


def has_local_model_cache(crd_files: Iterable[Path]) -> bool:
    """True when one of the CRD files defines serving.kserve.io LocalModelCache."""
    from ..validate.schemas import SchemaSet

    schema_set = SchemaSet(kubernetes_version=None, crd_files=list(crd_files))
    return schema_set.has_crd(API_VERSION, KIND)
