"""The models cache (inputs/cache.py): a model folder is parsed again exactly when the bytes its result
depends on change (its files, the config, the loader's code), and a cache entry can never hide an error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kserve_gitops.cachedir import NO_CACHE_ENV
from kserve_gitops.errors import ModelError
from kserve_gitops.inputs import models as models_module
from kserve_gitops.inputs import yamlsrc
from kserve_gitops.inputs.cache import FORMAT, load_inputs_cached
from kserve_gitops.inputs.repo import load_inputs

from model_repo import platform_config

CONFIG = platform_config("dev", "prod", promotion_order=False)


def isvc(name: str, uri: str = "s3://models-dev/m/v1") -> str:
    return (
        f"apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: {name}\n"
        f"spec:\n  predictor:\n    model:\n      modelFormat: {{name: sklearn}}\n      storageUri: {uri}\n"
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "platform"
    for name in ("alpha", "beta", "gamma"):
        (root / "models" / name).mkdir(parents=True)
        (root / "models" / name / "inferenceservice.yaml").write_text(isvc(name))
    (root / "models" / "beta" / "prod.yaml").write_text("spec:\n  predictor:\n    minReplicas: 2\n")
    (root / "kserve-gitops.yaml").write_text(CONFIG)
    monkeypatch.chdir(root)
    monkeypatch.delenv(NO_CACHE_ENV, raising=False)
    yamlsrc.clear_position_cache()
    return root


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the model folders parsed (not served from the cache), in order."""
    calls: list[str] = []
    real = models_module.load_model

    def counting(directory, config, root):
        calls.append(directory.name)
        return real(directory, config, root)

    monkeypatch.setattr(models_module, "load_model", counting)
    return calls


def entries(cache: Path) -> list[Path]:
    folder = cache / "models" / f"v{FORMAT}"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def test_a_second_load_parses_nothing_and_returns_the_same_models(repo: Path, tmp_path: Path, parsed: list[str]) -> None:
    cache = tmp_path / "cache"
    config, first = load_inputs_cached(repo, cache_dir=cache)
    assert parsed == ["alpha", "beta", "gamma"]
    assert len(entries(cache)) == 1
    parsed.clear()
    config2, second = load_inputs_cached(repo, cache_dir=cache)
    assert parsed == []
    assert second == first == load_inputs(repo)[1]
    assert second[1].overlays == {"prod": ("models/beta/prod.yaml", {"spec": {"predictor": {"minReplicas": 2}}})}
    assert config2 == config


@pytest.mark.parametrize(
    "change, reparsed",
    [
        (lambda r: (r / "models/beta/prod.yaml").write_text("spec:\n  predictor:\n    minReplicas: 3\n"), ["beta"]),
        (lambda r: (r / "models/alpha/inferenceservice.yaml").write_text(isvc("alpha", "s3://models-dev/m/v2")), ["alpha"]),
        (lambda r: (r / "models/gamma/dev.yaml").write_text("spec: {}\n"), ["gamma"]),  # a new patch
        (lambda r: (r / "models/beta/prod.yaml").unlink(), ["beta"]),  # a removed patch
        (lambda r: (r / "models/beta/prod.yaml").rename(r / "models/beta/dev.yaml"), ["beta"]),  # same bytes, new name
        (lambda r: (r / "models/alpha/NOTES.md").write_text("x"), ["alpha"]),  # any file of the folder counts
        (lambda r: (r / "kserve-gitops.yaml").write_text(CONFIG + "# a comment\n"), ["alpha", "beta", "gamma"]),
    ],
)
def test_only_what_changed_is_parsed_again(repo: Path, tmp_path: Path, parsed: list[str], change, reparsed: list[str]) -> None:
    cache = tmp_path / "cache"
    load_inputs_cached(repo, cache_dir=cache)
    parsed.clear()
    change(repo)
    yamlsrc.clear_position_cache()
    _, models = load_inputs_cached(repo, cache_dir=cache)
    assert parsed == reparsed
    assert models == load_inputs(repo)[1]  # what a fresh load gives


def test_an_unchanged_file_rewritten_is_still_a_hit(repo: Path, tmp_path: Path, parsed: list[str]) -> None:
    cache = tmp_path / "cache"
    load_inputs_cached(repo, cache_dir=cache)
    path = repo / "models/alpha/inferenceservice.yaml"
    path.write_bytes(path.read_bytes())  # new mtime, same content
    os.utime(path, (1, 1))
    parsed.clear()
    load_inputs_cached(repo, cache_dir=cache)
    assert parsed == []


def test_a_new_model_folder_is_parsed_and_the_others_are_hits(repo: Path, tmp_path: Path, parsed: list[str]) -> None:
    cache = tmp_path / "cache"
    load_inputs_cached(repo, cache_dir=cache)
    (repo / "models" / "delta").mkdir()
    (repo / "models" / "delta" / "inferenceservice.yaml").write_text(isvc("delta"))
    parsed.clear()
    _, models = load_inputs_cached(repo, cache_dir=cache)
    assert parsed == ["delta"]
    assert [m.name for m in models] == ["alpha", "beta", "delta", "gamma"]
    [entry] = entries(cache)  # one entry per config, rewritten to hold the fourth model
    assert len(json.loads(entry.read_text())["models"]) == 4


def test_a_broken_model_is_never_served_from_the_cache(repo: Path, tmp_path: Path, parsed: list[str]) -> None:
    cache = tmp_path / "cache"
    load_inputs_cached(repo, cache_dir=cache)
    good = (repo / "models/alpha/inferenceservice.yaml").read_text()
    (repo / "models/alpha/inferenceservice.yaml").write_text(good.replace("  name: alpha\n", "  name: alpha\n  namespace: x\n"))
    yamlsrc.clear_position_cache()
    with pytest.raises(ModelError) as err:
        load_inputs_cached(repo, cache_dir=cache)
    assert (err.value.path, err.value.line, err.value.field) == ("models/alpha/inferenceservice.yaml", 5, "metadata.namespace")
    with pytest.raises(ModelError):  # again: the error is not cached away
        load_inputs_cached(repo, cache_dir=cache)
    (repo / "models/alpha/inferenceservice.yaml").write_text(good)
    parsed.clear()
    _, models = load_inputs_cached(repo, cache_dir=cache)
    assert parsed == [] and [m.name for m in models] == ["alpha", "beta", "gamma"]  # the good version is still stored


def test_a_bad_config_is_always_read(repo: Path, tmp_path: Path) -> None:
    from kserve_gitops.errors import ConfigError

    cache = tmp_path / "cache"
    load_inputs_cached(repo, cache_dir=cache)
    (repo / "kserve-gitops.yaml").write_text(CONFIG.replace("[ml-dev]", "ml-dev"))
    with pytest.raises(ConfigError) as err:
        load_inputs_cached(repo, cache_dir=cache)
    assert (err.value.line, err.value.field) == (8, "environments.dev.namespaces")


def test_a_corrupt_entry_is_a_miss(repo: Path, tmp_path: Path, parsed: list[str]) -> None:
    cache = tmp_path / "cache"
    load_inputs_cached(repo, cache_dir=cache)
    [entry] = entries(cache)
    data = json.loads(entry.read_text())
    first_key = sorted(data["models"])[0]
    data["models"][first_key] = {"name": "half an entry"}
    entry.write_text(json.dumps(data))
    parsed.clear()
    _, models = load_inputs_cached(repo, cache_dir=cache)
    assert len(parsed) == 1
    assert models == load_inputs(repo)[1]
    entry.write_text("{not json")
    parsed.clear()
    load_inputs_cached(repo, cache_dir=cache)
    assert parsed == ["alpha", "beta", "gamma"]


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_the_cache_can_be_turned_off(repo: Path, tmp_path: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    cache = tmp_path / "cache"
    if how == "environment":
        monkeypatch.setenv(NO_CACHE_ENV, "1")
    for _ in range(2):
        load_inputs_cached(repo, use_cache=how != "argument", cache_dir=cache)
    assert parsed == ["alpha", "beta", "gamma"] * 2
    assert not cache.exists()


def test_a_symlink_under_models_is_always_loaded_fresh(repo: Path, tmp_path: Path, parsed: list[str]) -> None:
    cache = tmp_path / "cache"
    (repo / "shared").mkdir()
    (repo / "shared" / "inferenceservice.yaml").write_text(isvc("linked"))
    (repo / "models" / "linked").mkdir()
    os.symlink(repo / "shared" / "inferenceservice.yaml", repo / "models" / "linked" / "inferenceservice.yaml")
    for _ in range(2):
        _, models = load_inputs_cached(repo, cache_dir=cache)
    assert parsed.count("linked") == 2  # the key cannot cover a link's target
    assert parsed.count("alpha") == 1
    (repo / "shared" / "inferenceservice.yaml").write_text(isvc("linked", "s3://models-dev/m/v9"))
    _, models = load_inputs_cached(repo, cache_dir=cache)
    [linked] = [m for m in models if m.name == "linked"]
    assert linked.base["spec"]["predictor"]["model"]["storageUri"] == "s3://models-dev/m/v9"


def test_a_symlinked_model_folder_bypasses_the_cache(repo: Path, tmp_path: Path, parsed: list[str]) -> None:
    cache = tmp_path / "cache"
    os.symlink(repo / "models" / "alpha", repo / "models" / "alpha-link")
    with pytest.raises(ModelError):  # the folder's name does not match metadata.name
        load_inputs_cached(repo, cache_dir=cache)
    assert entries(cache) == []


def test_a_model_json_would_change_is_not_stored(repo: Path, tmp_path: Path, parsed: list[str]) -> None:
    """An integer mapping key becomes a string in JSON: serving it from the cache would change the model."""
    cache = tmp_path / "cache"
    (repo / "models/gamma/inferenceservice.yaml").write_text(isvc("gamma") + "    1: one\n")
    for _ in range(2):
        _, models = load_inputs_cached(repo, cache_dir=cache)
    assert parsed.count("gamma") == 2 and parsed.count("alpha") == 1
    assert models[2].base["spec"]["predictor"][1] == "one"
