"""Shared helpers for the network/Istio/monitoring construct tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from conftest import REPO, SHARED_CRDS
from kserve_gitops.inputs.config import Environment, PlatformConfig
from kserve_gitops.synth.app import load_inputs, synthesize
from kserve_gitops.validate.schemas import CrdLibrary, SchemaSet

GOLDEN = Path(__file__).resolve().parent / "golden" / "observability"


def repo_inputs():
    return load_inputs(REPO)


def synth_component_files(components: list[str], config: PlatformConfig | None = None, prefixes: tuple[str, ...] = ("charts/",)):
    default_config, models = repo_inputs()
    files = synthesize(config or default_config, models, components=components)
    return {path: data for path, data in files.items() if path.startswith(prefixes)}


def objects_in(files: dict[str, bytes], prefix: str) -> list[dict]:
    return [
        yaml.safe_load(data)
        for path, data in sorted(files.items())
        if path.startswith(prefix) and not path.endswith("kustomization.yaml")
    ]


def with_environment(config: PlatformConfig, name: str, **changes) -> PlatformConfig:
    env: Environment = dataclasses.replace(config.environments[name], **changes)
    return dataclasses.replace(config, environments={**config.environments, name: env})


def schema_errors(objects: list[dict], env: Environment) -> list[str]:
    schemas = SchemaSet(
        kubernetes_version=env.kubernetes_version,
        crd_files=CrdLibrary(roots=[SHARED_CRDS]).crd_files(env.kserve_version),
        strict=True,
    )
    problems = []
    for obj in objects:
        validator = schemas.validator_for(obj["apiVersion"], obj["kind"])
        if validator is None:
            problems.append(f"{obj['kind']}/{obj['metadata']['name']}: no schema")
            continue
        problems += [f"{obj['kind']}/{obj['metadata']['name']}: {e.instance_path}: {e.message}" for e in validator.iter_errors(obj)]
    return problems
