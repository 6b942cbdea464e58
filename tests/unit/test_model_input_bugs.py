"""Model inputs: error positions read from the repo's own files wherever the working directory is; one
patch per environment; and environment patches refused where kustomize cannot merge them, with
``merge_patch`` agreeing with the real kustomize where it can."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from kserve_gitops.errors import EXIT_INPUT, ModelError
from kserve_gitops.inputs.config import load_config
from kserve_gitops.inputs.merge import merge_conflicts, merge_patch
from kserve_gitops.inputs.models import Model, load_models
from kserve_gitops.tools import find_tool

from model_repo import BASE, ISVC, load, new_repo, platform_config, put, refused

CONFIG = platform_config("dev", "prod")


PROD = "models/iris/prod.yaml"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from new_repo(tmp_path, monkeypatch, CONFIG)


# --- positions come from the repo's file, not from the working directory ------------------------------

# the field is on line 5 in the repo's file, on line 2 in the decoy at the same relative path
PATCH_WITH_NAMESPACE = "# prod\n\nmetadata:\n  labels: {tier: prod}\n  namespace: ml-prod\n"
DECOY = "metadata:\n  namespace: somewhere\n"


@pytest.fixture
def elsewhere(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory outside the repo, holding decoys at the repo's relative paths."""
    cwd = tmp_path / "elsewhere"
    put(cwd, {PROD: DECOY, BASE: "# a decoy\n" * 10 + ISVC})
    monkeypatch.chdir(cwd)
    return cwd


def test_a_patch_error_is_at_the_line_of_the_repos_file_not_the_decoys(repo: Path, elsewhere: Path) -> None:
    err = refused(repo, {BASE: ISVC, PROD: PATCH_WITH_NAMESPACE})
    assert (err.path, err.field, err.line, err.column) == (PROD, "metadata.namespace", 5, 3)


def test_a_base_error_is_at_the_line_of_the_repos_file_not_the_decoys(repo: Path, elsewhere: Path) -> None:
    err = refused(repo, {BASE: ISVC.replace("  name: iris\n", "  name: iris\n  namespace: ml-dev\n")})
    assert (err.path, err.field, err.line, err.column) == (BASE, "metadata.namespace", 5, 3)


def test_an_error_is_at_its_line_from_an_unrelated_working_directory(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    err = refused(repo, {BASE: ISVC, PROD: PATCH_WITH_NAMESPACE})
    assert (err.path, err.line, err.column) == (PROD, 5, 3)


def test_a_root_given_relative_to_the_working_directory_still_shows_repo_relative_paths(repo: Path, elsewhere: Path) -> None:
    put(repo, {BASE: ISVC, PROD: PATCH_WITH_NAMESPACE})
    with pytest.raises(ModelError) as err:
        load_models(load_config(repo / "kserve-gitops.yaml"), Path("../platform"))
    assert (err.value.path, err.value.line, err.value.column) == (PROD, 5, 3)


def test_synth_with_repo_reports_the_repos_line_and_writes_nothing(repo: Path, elsewhere: Path, cli) -> None:
    put(repo, {BASE: ISVC, PROD: PATCH_WITH_NAMESPACE})
    result = cli("--repo", str(repo), "synth")
    assert result.exit_code == EXIT_INPUT
    assert f"{PROD}:5:3: metadata.namespace: namespace is set by kserve-gitops" in result.output
    assert not (repo / "charts").exists() and not (repo / "overlays").exists()


# --- one patch per environment ------------------------------------------------------------------------


def test_a_synth_time_annotation_error_is_at_the_repos_line(repo: Path, elsewhere: Path, cli) -> None:
    """Errors synth finds later (a namespace annotation the environment lacks) read the repo's file too."""
    annotated = ISVC.replace("  name: iris\n", "  name: iris\n  annotations:\n    kserve-gitops.io/namespace: ml-other\n")
    put(repo, {BASE: annotated})
    put(elsewhere, {BASE: "# decoy\n" * 20 + annotated})
    result = cli("--repo", str(repo), "synth")
    assert result.exit_code == EXIT_INPUT
    assert f"{BASE}:6:5: metadata.annotations.kserve-gitops.io/namespace:" in result.output  # the decoy has it at 26
    assert not (repo / "charts").exists() and not (repo / "overlays").exists()

def test_two_patch_files_for_one_environment_are_refused(repo: Path) -> None:
    err = refused(repo, {BASE: ISVC, PROD: "spec: {}\n", "models/iris/prod.yml": "spec: {}\n"})
    assert (err.path, err.line) == ("models/iris", None)
    assert err.message == "holds both prod.yaml and prod.yml, two patches for environment 'prod'"
    assert err.hint == "keep one and delete the other: a model has one patch per environment"


def test_two_patch_files_are_refused_before_either_is_read(repo: Path) -> None:
    err = refused(repo, {BASE: ISVC, "models/iris/dev.yaml": "spec: [\n", "models/iris/dev.yml": "spec: {}\n"})
    assert err.message == "holds both dev.yaml and dev.yml, two patches for environment 'dev'"


def test_one_patch_per_environment_in_either_spelling_loads(repo: Path) -> None:
    put(repo, {BASE: ISVC, PROD: "spec: {}\n", "models/iris/dev.yml": "spec: {}\n"})
    [model] = load(repo)
    assert (model.overlay_path("dev"), model.overlay_path("prod")) == ("models/iris/dev.yml", PROD)


# --- what kustomize merges, and what it refuses -------------------------------------------------------

MISSING = object()  # the field is not in the file
REFUSED = "refused"

# case: (spec.predictor.x in the base, spec.predictor.x in the patch, x after the merge or REFUSED)
MERGES: dict[str, tuple[Any, Any, Any]] = {
    "map vs string": ({"a": 1}, "s", REFUSED),
    "map vs number": ({"a": 1}, 3, REFUSED),
    "map vs boolean": ({"a": 1}, True, REFUSED),
    "map vs list": ({"a": 1}, [1], REFUSED),
    "map vs empty list": ({"a": 1}, [], REFUSED),
    "empty map vs string": ({}, "s", REFUSED),
    "string vs map": ("s", {"a": 1}, REFUSED),
    "empty string vs map": ("", {"a": 1}, REFUSED),
    "number vs empty map": (3, {}, REFUSED),
    "list vs map": ([1], {"a": 1}, REFUSED),
    "list of maps vs map": ([{"a": 1}], {"a": 1}, REFUSED),
    "empty list vs empty map": ([], {}, REFUSED),
    "string vs list": ("s", ["s"], REFUSED),
    "zero vs empty list": (0, [], REFUSED),
    "list vs string": (["s"], "s", REFUSED),
    "deeper: map vs list": ({"m": {"a": 1}}, {"m": [1]}, REFUSED),
    "maps merge": ({"a": 1, "b": 2}, {"b": 3, "c": 4}, {"a": 1, "b": 3, "c": 4}),
    "an empty map changes nothing": ({"a": 1}, {}, {"a": 1}),
    "lists replace lists": ([1, 2], [3], [3]),
    "string vs number": ("s", 1, 1),
    "number vs string": (1, "1", "1"),
    "boolean vs string": (True, "s", "s"),
    "number vs float": (1, 1.5, 1.5),
    "null vs map": (None, {"a": 1}, {"a": 1}),
    "null vs list": (None, [1], [1]),
    "null deletes a map": ({"a": 1}, None, MISSING),
    "null deletes a list": ([1], None, MISSING),
    "a null in a new map is dropped": (MISSING, {"a": None, "b": 1}, {"b": 1}),
    "a new map of nulls stays, empty": (MISSING, {"a": None}, {}),
    "nulls are dropped at every depth of a new map": (MISSING, {"n": {"a": None, "b": 1}, "c": None}, {"n": {"b": 1}}),
    "a null in a map added over a null is dropped": (None, {"a": None, "b": 1}, {"b": 1}),
    "a null in a map added inside an existing one is dropped": ({"k": 1}, {"n": {"a": None, "b": 1}}, {"k": 1, "n": {"b": 1}}),
    "a new empty map is added": (MISSING, {}, {}),
    "nulls inside a list are kept": (MISSING, [None, {"a": None}], [None, {"a": None}]),
    "nulls inside a list in a new map are kept": (MISSING, {"l": [{"a": None}], "z": None}, {"l": [{"a": None}]}),
    "the base's nulls are kept": ({"a": None, "b": 1}, {"c": 2}, {"a": None, "b": 1, "c": 2}),
    "a scalar where the base has none": (MISSING, "s", "s"),
}


def _conflict_at(case: str) -> tuple[list[Any], int]:
    """Where a refused case's conflict is: its path, and its line in the patch file ``_written`` writes."""
    return (["spec", "predictor", "x", "m"], 4) if case == "deeper: map vs list" else (["spec", "predictor", "x"], 3)


def _docs(case: str) -> tuple[dict[str, Any], dict[str, Any], Any]:
    was, now, expected = MERGES[case]
    base = yaml.safe_load(ISVC)
    if was is not MISSING:
        base["spec"]["predictor"]["x"] = was
    patch: dict[str, Any] = {"spec": {"predictor": {"x": now}}}
    return base, patch, expected


def _written(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


@pytest.mark.parametrize("case", list(MERGES))
def test_merge_patch_and_merge_conflicts_table(case: str) -> None:
    base, patch, expected = _docs(case)
    conflicts = list(merge_conflicts(base, patch))
    if expected is REFUSED:
        assert [parts for parts, _, _ in conflicts] == [_conflict_at(case)[0]]
        return
    assert conflicts == []
    merged = merge_patch(base, patch)["spec"]["predictor"]
    assert merged.get("x", MISSING) == expected
    assert merged["model"] == base["spec"]["predictor"]["model"]


@pytest.mark.parametrize("case", list(MERGES))
def test_model_loading_refuses_exactly_the_patches_kustomize_refuses(repo: Path, case: str) -> None:
    base, patch, expected = _docs(case)
    put(repo, {BASE: _written(base), PROD: _written(patch)})
    if expected is not REFUSED:
        [model] = load(repo)
        assert model.overlay("prod") == patch
        return
    with pytest.raises(ModelError) as err:
        load(repo)
    parts, line = _conflict_at(case)
    field = ".".join(parts)
    assert (err.value.path, err.value.field, err.value.line) == (PROD, field, line)
    assert err.value.message.startswith(f"{field} is a ")
    assert err.value.message.endswith(" here; kustomize cannot merge them")


def test_a_conflict_names_the_field_both_kinds_and_the_patch_line(repo: Path) -> None:
    patch = "# prod: a newer model\nspec:\n  predictor:\n    minReplicas: 2\n    model: s3://models-prod/iris/v2\n"
    err = refused(repo, {BASE: ISVC, PROD: patch})
    assert (err.path, err.field, err.line, err.column) == (PROD, "spec.predictor.model", 5, 5)
    assert err.message == "spec.predictor.model is a mapping in inferenceservice.yaml but a string here; kustomize cannot merge them"
    assert err.hint == "write it as a mapping, as inferenceservice.yaml does; to change its shape, change inferenceservice.yaml"
    assert str(err).startswith(f"{PROD}:5:5: spec.predictor.model: spec.predictor.model is a mapping")


@pytest.mark.parametrize(
    "line, kinds",
    [
        ("    args: --verbose\n", "a list in inferenceservice.yaml but a string"),
        ("    args: {verbose: true}\n", "a list in inferenceservice.yaml but a mapping"),
    ],
    ids=["string", "mapping"],
)
def test_a_list_in_the_base_cannot_be_patched_with_another_kind(repo: Path, line: str, kinds: str) -> None:
    base = ISVC + "    args: [--workers, '2']\n"
    err = refused(repo, {BASE: base, PROD: "spec:\n  predictor:\n" + line})
    assert err.message == f"spec.predictor.args is {kinds} here; kustomize cannot merge them"


def test_a_conflict_in_an_llm_patch_names_its_base_file(repo: Path) -> None:
    llm = (
        "apiVersion: serving.kserve.io/v1alpha2\nkind: LLMInferenceService\nmetadata:\n  name: chat\n"
        "spec:\n  model:\n    uri: hf://org/model\n  replicas: 1\n"
    )
    err = refused(repo, {"models/chat/llminferenceservice.yaml": llm, "models/chat/prod.yaml": "spec:\n  replicas: {min: 1}\n"})
    assert err.message == "spec.replicas is a number in llminferenceservice.yaml but a mapping here; kustomize cannot merge them"
    assert (err.path, err.line, err.column) == ("models/chat/prod.yaml", 2, 3)


# --- the real kustomize agrees --------------------------------------------------------------------------

OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
patches:
- path: patches/inferenceservice-iris.yaml
  target:
    group: serving.kserve.io
    kind: InferenceService
    name: iris
    version: v1beta1
resources:
- ../base
"""


def kustomize_merge(tmp_path: Path, base: dict[str, Any], patch: dict[str, Any]) -> subprocess.CompletedProcess:
    """``kustomize build`` of an overlay shaped like synth's: the base as a resource, the patch as a
    strategic-merge patch file with a target, no CRD schema."""
    put(tmp_path, {
        "base/kustomization.yaml": "resources:\n- inferenceservice-iris.yaml\n",
        "base/inferenceservice-iris.yaml": _written(base),
        "overlay/kustomization.yaml": OVERLAY,
        "overlay/patches/inferenceservice-iris.yaml": _written(patch),
    })
    command = [find_tool("kustomize"), "build", str(tmp_path / "overlay")]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", list(MERGES))
def test_kustomize_refuses_and_merges_as_the_table_says(tmp_path: Path, case: str) -> None:
    base, patch, expected = _docs(case)
    patch = {"apiVersion": base["apiVersion"], "kind": base["kind"], "metadata": {"name": "iris"}, **patch}
    built = kustomize_merge(tmp_path, base, patch)
    if expected is REFUSED:
        assert built.returncode != 0 and "wrong node kind" in built.stderr
        return
    assert built.returncode == 0, built.stderr
    assert yaml.safe_load(built.stdout) == merge_patch(base, patch)


def test_kustomize_agrees_with_merge_patch_on_a_whole_environment_patch(tmp_path: Path) -> None:
    base = yaml.safe_load(ISVC.replace("  name: iris\n", "  name: iris\n  labels: {team: a, tier: dev}\n"))
    base["spec"]["predictor"].update({"minReplicas": 1, "args": ["--a"], "annotations": None})
    patch = {
        "apiVersion": base["apiVersion"],
        "kind": base["kind"],
        # no nulls in labels and annotations: kustomize writes them as the string "null", and models.py refuses them
        "metadata": {"name": "iris", "labels": {"tier": "prod"}, "annotations": {"owner": "ml"}},
        "spec": {
            "predictor": {"minReplicas": "2", "args": [], "model": {"storageUri": "s3://models-prod/iris/v2"}},
            "transformer": {"containers": [{"name": "t", "env": None}], "timeout": None, "resources": {"limits": {"cpu": None}}},
        },
    }
    before = copy.deepcopy((base, patch))
    built = kustomize_merge(tmp_path, base, patch)
    assert built.returncode == 0, built.stderr
    assert yaml.safe_load(built.stdout) == merge_patch(base, patch)
    assert (base, patch) == before
