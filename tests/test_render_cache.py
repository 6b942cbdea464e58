"""The render cache (render/cache.py) gives exactly what one real ``kustomize build`` of the environment
gives, after every kind of change, and renders only the changed model folders when it can."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from kserve_gitops.inputs.yamlsrc import KubeLoader
from kserve_gitops.render.cache import render_environment
from kserve_gitops.render.kustomize import render
from kserve_gitops.validate.run import ValidateOptions, validate_repo

OVERLAY = Path("overlays/dev")
NAMESPACE_KUSTOMIZATION = OVERLAY / "namespaces/models-dev/kustomization.yaml"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("KSERVE_GITOPS_CACHE", str(path))
    return path


def assert_same_as_fresh_render(cache_dir: Path, *, mode: str, rendered_units: int | None = None):
    cached = render_environment(OVERLAY, cache_dir=cache_dir)
    fresh = render(OVERLAY)
    assert cached.stream == fresh  # byte for byte, in kustomize's order
    fresh_objects = [d for d in yaml.load_all(fresh, Loader=KubeLoader) if d is not None]
    cached_objects = [d if d is not None else yaml.load(doc, Loader=KubeLoader) for doc, d in zip(cached.docs, cached.data)]
    assert cached_objects == fresh_objects  # and object for object, as validate sees them
    assert cached.mode == mode, cached.reason
    if rendered_units is not None:
        assert cached.rendered_units == rendered_units
    return cached


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def add_model_copy(source: str, name: str) -> None:
    """What synth writes for one more model: a base under charts/models and a folder in the overlay."""
    for folder in (Path("charts/models"), OVERLAY / "models"):
        shutil.copytree(folder / source, folder / name)
        for path in (folder / name).rglob("*.yaml"):
            path.write_text(path.read_text().replace(source, name))
            if source in path.name:
                path.rename(path.with_name(path.name.replace(source, name)))
    edit(NAMESPACE_KUSTOMIZATION, f"- ../../models/{source}\n", f"- ../../models/{name}\n- ../../models/{source}\n")


def test_cold_then_warm_then_one_model_changed(example_repo: Path, cache_dir: Path):
    models = len(list((OVERLAY / "models").iterdir()))
    assert_same_as_fresh_render(cache_dir, mode="full", rendered_units=models)
    assert_same_as_fresh_render(cache_dir, mode="hit", rendered_units=0)
    # the model's base (charts/) and its environment patch (overlays/) both count as the model
    edit(Path("charts/models/sklearn-iris/inferenceservice-sklearn-iris.yaml"), "owner: iris-squad", "owner: iris-guild")
    cached = assert_same_as_fresh_render(cache_dir, mode="incremental", rendered_units=1)
    assert "owner: iris-guild" in cached.stream
    patch = OVERLAY / "models/pytorch-cifar10/patches/inferenceservice-pytorch-cifar10.yaml"
    edit(patch, "maxReplicas: 2", "maxReplicas: 3")
    assert_same_as_fresh_render(cache_dir, mode="incremental", rendered_units=1)
    assert_same_as_fresh_render(cache_dir, mode="hit", rendered_units=0)


def test_model_added_and_removed(example_repo: Path, cache_dir: Path):
    assert_same_as_fresh_render(cache_dir, mode="full")
    add_model_copy("sklearn-iris", "sklearn-iris-two")
    assert_same_as_fresh_render(cache_dir, mode="incremental", rendered_units=1)
    edit(NAMESPACE_KUSTOMIZATION, "- ../../models/pytorch-cifar10\n", "")
    cached = assert_same_as_fresh_render(cache_dir, mode="hit", rendered_units=0)
    assert "name: pytorch-cifar10\n" not in cached.stream


def test_platform_base_changed_renders_whole(example_repo: Path, cache_dir: Path):
    assert_same_as_fresh_render(cache_dir, mode="full")
    secret = next(Path("charts/identity/dev").glob("secret-*.yaml"))
    edit(secret, "metadata:\n", "metadata:\n  annotations:\n    rotated: \"2026-11-26\"\n")
    assert_same_as_fresh_render(cache_dir, mode="full")
    # the environment label is a parent setting: every model depends on it
    edit(OVERLAY / "kustomization.yaml", "kserve-gitops.io/environment: dev", "kserve-gitops.io/environment: dev\n    tier: dev")
    assert_same_as_fresh_render(cache_dir, mode="full")
    assert_same_as_fresh_render(cache_dir, mode="hit")


def test_unknown_namespace_setting_renders_whole(example_repo: Path, cache_dir: Path):
    assert_same_as_fresh_render(cache_dir, mode="full")
    edit(NAMESPACE_KUSTOMIZATION, "namespace: models-dev", "namespace: models-dev\ncommonAnnotations:\n  owner: ml")
    # not a shape the cache knows for a namespace kustomization: rendered whole, nothing stale reused
    assert_same_as_fresh_render(cache_dir, mode="uncached")


def test_hand_edited_overlay_falls_back_to_a_full_render(example_repo: Path, cache_dir: Path):
    assert_same_as_fresh_render(cache_dir, mode="full")
    edit(OVERLAY / "models/sklearn-iris/kustomization.yaml", "kind: Kustomization\n", "kind: Kustomization\nnamePrefix: hand-\n")
    cached = assert_same_as_fresh_render(cache_dir, mode="uncached")
    assert "name: hand-sklearn-iris\n" in cached.stream
    # a generator ties objects together by hashed names: also rendered whole
    edit(OVERLAY / "kustomization.yaml", "kind: Kustomization\n", "kind: Kustomization\nconfigMapGenerator:\n- name: extra\n  literals: [a=b]\n")
    assert_same_as_fresh_render(cache_dir, mode="uncached")


def test_a_corrupt_cache_is_a_miss(example_repo: Path, cache_dir: Path):
    assert_same_as_fresh_render(cache_dir, mode="full")
    for pack in (cache_dir / "render").rglob("*.json"):
        pack.write_text("{not json")
    assert_same_as_fresh_render(cache_dir, mode="full")
    for pack in (cache_dir / "render").rglob("*.json"):
        pack.write_text('{"format": 1, "rest": 3, "units": []}')
    assert_same_as_fresh_render(cache_dir, mode="full")


def test_a_cached_document_that_does_not_parse_is_a_miss(example_repo: Path, cache_dir: Path):
    """A pack that is well formed but holds a damaged document: one whole render, never an error."""
    import json

    assert_same_as_fresh_render(cache_dir, mode="full")
    damaged = 0
    for pack in (cache_dir / "render").rglob("*.json"):
        data = json.loads(pack.read_text())
        if isinstance(data, dict) and data.get("rest_docs"):
            data["rest_docs"] = [["kind: [unclosed\n", None] for _ in data["rest_docs"]]
            pack.write_text(json.dumps(data))
            damaged += 1
    assert damaged
    assert_same_as_fresh_render(cache_dir, mode="uncached")


def test_validate_with_and_without_cache_agree(example_repo: Path, cache_dir: Path):
    edit(Path("charts/models/sklearn-iris/inferenceservice-sklearn-iris.yaml"), "spec:\n", "spec:\n  bogusField: 1\n")
    with_cache = [validate_repo(Path("."), ValidateOptions(environments=["dev"], policies=False)) for _ in range(2)]
    without = validate_repo(Path("."), ValidateOptions(environments=["dev"], policies=False, render_cache=False))
    for report in with_cache:
        assert report.environments[0].findings == without.environments[0].findings
        assert report.environments[0].objects == without.environments[0].objects
    assert any("bogusField" in f.message for f in without.environments[0].findings)


def test_no_cache_writes_nothing(example_repo: Path, cache_dir: Path):
    result = render_environment(OVERLAY, cache_dir=cache_dir, use_cache=False)
    assert result.mode == "uncached" and result.stream == render(OVERLAY)
    assert not (cache_dir / "render").exists()


def test_models_cache_reloads_what_a_fresh_load_gives(example_repo: Path, cache_dir: Path):
    from kserve_gitops.errors import ModelError
    from kserve_gitops.inputs.repo import load_inputs
    from kserve_gitops.inputs.cache import load_inputs_cached

    assert load_inputs_cached(Path("."))[1] == load_inputs(Path("."))[1]  # cold: loaded and stored
    assert load_inputs_cached(Path("."))[1] == load_inputs(Path("."))[1]  # warm: read back
    assert list((cache_dir / "models").rglob("*.json"))
    model = Path("models/sklearn-iris/inferenceservice.yaml")
    edit(model, "name: sklearn-iris", "name: sklearn-iris\n  labels:\n    cached: \"no\"")
    assert load_inputs_cached(Path("."))[1] == load_inputs(Path("."))[1]
    model.write_text(model.read_text().replace("apiVersion: serving.kserve.io/v1beta1", "apiVersion: v1", 1))
    for _ in range(2):  # a broken model is an error every time, never a cached success
        with pytest.raises(ModelError):
            load_inputs_cached(Path("."))


def test_a_large_environment_renders_in_chunks_with_the_same_result(example_repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch):
    from kserve_gitops.render import cache as cache_module

    monkeypatch.setattr(cache_module, "CHUNK_UNITS", 2)  # the example's 7 models: 4 calls, as 3,000 models would be
    calls: list[Path] = []
    real_render = cache_module.render
    monkeypatch.setattr(cache_module, "render", lambda directory, **kw: calls.append(Path(directory)) or real_render(directory, **kw))
    models = len(list((OVERLAY / "models").iterdir()))
    assert_same_as_fresh_render(cache_dir, mode="full", rendered_units=models)
    assert len(calls) == 1 + -(-models // 2)  # the platform once, then the model folders two at a time
    calls.clear()
    for name in ("sklearn-iris", "pytorch-cifar10", "fraud-detector"):
        edit(next(Path(f"charts/models/{name}").glob("inferenceservice-*.yaml")), f"name: {name}\n", f"name: {name}\n  annotations:\n    note: chunked\n")
    cached = assert_same_as_fresh_render(cache_dir, mode="incremental", rendered_units=3)
    assert len(calls) == 2 and cached.stream.count("note: chunked") == 3
    assert_same_as_fresh_render(cache_dir, mode="hit", rendered_units=0)


def test_no_cache_still_renders_a_large_environment_in_chunks(example_repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch):
    from kserve_gitops.render import cache as cache_module

    monkeypatch.setattr(cache_module, "CHUNK_UNITS", 3)
    calls: list[Path] = []
    real_render = cache_module.render
    monkeypatch.setattr(cache_module, "render", lambda directory, **kw: calls.append(Path(directory)) or real_render(directory, **kw))
    rendered = render_environment(OVERLAY, cache_dir=cache_dir, use_cache=False)
    assert rendered.stream == render(OVERLAY) and rendered.mode == "uncached"
    assert len(calls) == 1 + -(-len(list((OVERLAY / "models").iterdir())) // 3)
    assert not cache_dir.exists()  # nothing read or written
