"""models/<name>/: which folder layouts load, to what, and how each bad layout or field is refused with a
ModelError naming the file, and where there is one, the line and the field."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from kserve_gitops.errors import EXIT_INPUT, InputErrors, ModelError, YamlError
from kserve_gitops.inputs.models import MAX_MODEL_NAME
from kserve_gitops.inputs.repo import duplicate_keys, load_inputs

from model_repo import BASE, ISVC, load, new_repo, platform_config, put, refused

CONFIG = platform_config("dev", "staging", "prod")


LLM = """\
apiVersion: serving.kserve.io/v1alpha2
kind: LLMInferenceService
metadata:
  name: chat
spec:
  model:
    uri: hf://org/model
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from new_repo(tmp_path, monkeypatch, CONFIG)


def isvc(*, meta: str = "", spec: str = "", top: str = "", name: str = "iris") -> str:
    """The base InferenceService with lines added under metadata, under spec, or at the top level."""
    text = ISVC.replace("  name: iris\n", f"  name: {name}\n{meta}").replace("spec:\n", f"spec:\n{spec}")
    return text + top


# --- layouts that load ------------------------------------------------------------------------------


def test_no_models_folder_is_no_models(repo: Path) -> None:
    assert load(repo) == []


def test_a_base_alone_deploys_to_every_environment_in_promotion_order(repo: Path) -> None:
    put(repo, {BASE: ISVC})
    [model] = load(repo)
    assert (model.name, model.base_path, model.directory) == ("iris", BASE, "models/iris")
    assert model.environments == ("dev", "staging", "prod")
    assert model.base["spec"]["predictor"]["model"]["storageUri"] == "s3://models-dev/iris/v1"
    assert (model.kind, model.is_llm, model.overlays) == ("InferenceService", False, {})
    assert (model.overlay("prod"), model.overlay_path("prod")) == ({}, "")


def test_environment_patches_are_read_by_their_file_names(repo: Path) -> None:
    put(repo, {
        BASE: ISVC,
        "models/iris/prod.yaml": "spec:\n  predictor:\n    minReplicas: 2\n",
        "models/iris/staging.yml": "metadata:\n  labels: {tier: staging}\n",
        "models/iris/README.md": "not yaml, not read\n",
        "models/iris/.draft.yaml": "ignored: [\n",  # hidden: editors' and tools' files
        "models/iris/notes.txt": "x",
    })
    [model] = load(repo)
    assert model.overlays == {
        "prod": ("models/iris/prod.yaml", {"spec": {"predictor": {"minReplicas": 2}}}),
        "staging": ("models/iris/staging.yml", {"metadata": {"labels": {"tier": "staging"}}}),
    }
    assert model.overlay("prod") == {"spec": {"predictor": {"minReplicas": 2}}}
    assert model.overlay_path("staging") == "models/iris/staging.yml"


def test_a_patch_may_repeat_identity_fields_that_match(repo: Path) -> None:
    patch = "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: iris\nspec: {}\n"
    put(repo, {BASE: ISVC, "models/iris/dev.yaml": patch})
    [model] = load(repo)
    assert model.overlay("dev")["metadata"] == {"name": "iris"}


@pytest.mark.parametrize(
    "annotation, environments",
    [("prod", ("prod",)), ("prod, dev", ("dev", "prod")), (" staging ,,prod ", ("staging", "prod"))],
)
def test_the_environments_annotation_picks_environments_in_promotion_order(repo: Path, annotation: str, environments: tuple) -> None:
    put(repo, {BASE: isvc(meta=f"  annotations:\n    kserve-gitops.io/environments: '{annotation}'\n")})
    assert load(repo)[0].environments == environments


def test_models_are_sorted_by_name_and_hidden_folders_and_other_files_skipped(repo: Path) -> None:
    put(repo, {
        "models/zeta/inferenceservice.yaml": ISVC.replace("name: iris", "name: zeta"),
        "models/alpha/inferenceservice.yaml": ISVC.replace("name: iris", "name: alpha"),
        "models/.cache/inferenceservice.yaml": "broken: [\n",
        "models/README.md": "the models of the platform\n",
    })
    assert [m.name for m in load(repo)] == ["alpha", "zeta"]


def test_an_llm_inference_service_folder(repo: Path) -> None:
    put(repo, {"models/chat/llminferenceservice.yaml": LLM, "models/chat/prod.yaml": "spec:\n  replicas: 2\n"})
    [model] = load(repo)
    assert (model.kind, model.is_llm, model.base_path) == ("LLMInferenceService", True, "models/chat/llminferenceservice.yaml")
    assert model.overlay("prod") == {"spec": {"replicas": 2}}


def test_status_is_allowed_in_a_base_copied_from_a_cluster(repo: Path) -> None:
    put(repo, {BASE: isvc(top="status:\n  url: http://iris.example\n")})
    assert load(repo)[0].base["status"] == {"url": "http://iris.example"}


@pytest.mark.parametrize("name", ["a", "iris", "iris-v2", "a1", "x" * MAX_MODEL_NAME])
def test_valid_model_names(repo: Path, name: str) -> None:
    put(repo, {f"models/{name}/inferenceservice.yaml": ISVC.replace("name: iris", f"name: {name}")})
    assert load(repo)[0].name == name


@pytest.mark.parametrize("cache", ["2Gi", "500Mi", "1.5G", "100"])
def test_local_model_cache_sizes_that_are_quantities(repo: Path, cache: str) -> None:
    put(repo, {BASE: isvc(meta=f"  annotations:\n    kserve-gitops.io/local-model-cache: '{cache}'\n")})
    assert load(repo)[0].base["metadata"]["annotations"]["kserve-gitops.io/local-model-cache"] == cache


# --- folder layouts that are refused ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["Iris", "iris_v2", "9iris", "iris-", "-iris", "iris.v2", "x" * (MAX_MODEL_NAME + 1)])
def test_a_folder_name_that_is_not_a_model_name(repo: Path, name: str) -> None:
    err = refused(repo, {f"models/{name}/inferenceservice.yaml": ISVC.replace("name: iris", f"name: {name}")})
    assert err.message == f"folder name {name!r} is not a valid model name"
    assert err.path == f"models/{name}"
    assert "at most 45 characters" in err.hint


def test_a_folder_without_a_base(repo: Path) -> None:
    err = refused(repo, {"models/iris/prod.yaml": "spec: {}\n"})
    assert (err.message, err.path) == ("missing inferenceservice.yaml", "models/iris")
    assert "llminferenceservice.yaml" in err.hint


def test_a_folder_with_both_kinds(repo: Path) -> None:
    err = refused(repo, {BASE: ISVC, "models/iris/llminferenceservice.yaml": LLM.replace("name: chat", "name: iris")})
    assert (err.message, err.path) == ("holds both inferenceservice.yaml and llminferenceservice.yaml", "models/iris")


def test_a_model_file_directly_under_models(repo: Path) -> None:
    err = refused(repo, {"models/iris.yaml": ISVC})
    assert (err.message, err.path) == ("model files belong in their own folder", "models/iris.yaml")
    assert err.hint == "move it to models/<model-name>/inferenceservice.yaml"


def test_a_patch_for_an_environment_that_does_not_exist(repo: Path) -> None:
    err = refused(repo, {BASE: ISVC, "models/iris/qa.yaml": "spec: {}\n"})
    assert (err.message, err.path, err.line) == ("no environment named 'qa'", "models/iris/qa.yaml", None)
    assert err.hint == "per-environment files are named after an environment: dev, staging, prod"


def test_a_patch_for_an_environment_the_model_does_not_deploy_to(repo: Path) -> None:
    base = isvc(meta="  annotations:\n    kserve-gitops.io/environments: dev\n")
    err = refused(repo, {BASE: base, "models/iris/prod.yaml": "spec: {}\n"})
    assert err.message == "patch for environment 'prod', which this model does not deploy to"
    assert err.path == "models/iris/prod.yaml"
    assert "add prod to the kserve-gitops.io/environments annotation in models/iris/inferenceservice.yaml" in err.hint


def test_a_symlinked_folder_outside_the_repo(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "iris"
    put(tmp_path / "outside", {"iris/inferenceservice.yaml": ISVC})
    (repo / "models").mkdir()
    os.symlink(outside, repo / "models" / "iris")
    err = refused(repo, {})
    assert (err.message, err.path) == ("is a link to a file outside the repository", "models/iris")


def test_a_symlinked_patch_outside_the_repo(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "evil.yaml").write_text("spec: {}\n")
    put(repo, {BASE: ISVC})
    os.symlink(tmp_path / "evil.yaml", repo / "models" / "iris" / "prod.yaml")
    err = refused(repo, {})
    assert (err.message, err.path) == ("is a link to a file outside the repository", "models/iris/prod.yaml")


def test_a_symlink_inside_the_repo_is_followed(repo: Path) -> None:
    put(repo, {BASE: ISVC, "shared/prod.yaml": "spec:\n  predictor: {minReplicas: 3}\n"})
    os.symlink(repo / "shared" / "prod.yaml", repo / "models" / "iris" / "prod.yaml")
    assert load(repo)[0].overlay("prod") == {"spec": {"predictor": {"minReplicas": 3}}}


# --- bad bases --------------------------------------------------------------------------------------

BAD_BASES = {
    # case: (file text, field, line, column, message)
    "not a mapping": ("- a\n- b\n", None, 1, 1, "must be a mapping (an InferenceService object)"),
    "wrong apiVersion": (
        ISVC.replace("v1beta1", "v1alpha1"), "apiVersion", 1, 1,
        "apiVersion must be serving.kserve.io/v1beta1, found 'serving.kserve.io/v1alpha1'",
    ),
    "no apiVersion": (ISVC.replace("apiVersion: serving.kserve.io/v1beta1\n", ""), "apiVersion", 1, 1,
                      "apiVersion must be serving.kserve.io/v1beta1, found None"),
    "wrong kind": (ISVC.replace("kind: InferenceService", "kind: Deployment"), "kind", 2, 1,
                   "kind must be InferenceService, found 'Deployment'"),
    "no name": (ISVC.replace("  name: iris\n", "  labels: {a: b}\n"), "metadata.name", 3, 1, "metadata.name is required"),
    "metadata not a mapping": (ISVC.replace("metadata:\n  name: iris\n", "metadata: iris\n"), "metadata.name", 3, 1,
                               "metadata.name is required"),
    "name of another folder": (ISVC.replace("name: iris", "name: lily"), "metadata.name", 4, 3,
                               "metadata.name 'lily' does not match the folder name 'iris'"),
    "namespace": (isvc(meta="  namespace: ml-dev\n"), "metadata.namespace", 5, 3, "namespace is set per environment by kserve-gitops"),
    "number label": (isvc(meta="  labels:\n    version: 2\n"), "metadata.labels.version", 6, 5, "value 2 is a int, not a string"),
    "boolean annotation": (isvc(meta="  annotations:\n    canary: true\n"), "metadata.annotations.canary", 6, 5,
                           "value True is a bool, not a string"),
    "empty label": (isvc(meta="  labels:\n    team:\n"), "metadata.labels.team", 6, 5, "value None is a NoneType, not a string"),
    "labels a list": (isvc(meta="  labels: [a, b]\n"), "metadata.labels", 5, 3, "labels must be a mapping of strings"),
    "cache size": (isvc(meta="  annotations:\n    kserve-gitops.io/local-model-cache: lots\n"),
                   "metadata.annotations.kserve-gitops.io/local-model-cache", 6, 5, "'lots' is not a model size"),
    "no predictor": (ISVC[: ISVC.index("spec:")] + "spec:\n  transformer: {}\n", "spec.predictor", 5, 1, "spec.predictor is required"),
    "no spec": (ISVC[: ISVC.index("spec:")], "spec.predictor", 1, 1, "spec.predictor is required"),
    "unexpected top-level field": (isvc(top="replicas: 3\n"), "replicas", 10, 1, "unexpected top-level field 'replicas'"),
    "environments annotation names an unknown environment": (
        isvc(meta="  annotations:\n    kserve-gitops.io/environments: dev,qa\n"),
        "metadata.annotations.kserve-gitops.io/environments", 6, 5,
        "names environment 'qa', which kserve-gitops.yaml does not define",
    ),
    "environments annotation lists nothing": (
        isvc(meta="  annotations:\n    kserve-gitops.io/environments: ' , '\n"), None, 6, 5, "lists no environment",
    ),
    "credentials in the storage URI": (
        ISVC.replace("s3://models-dev", "s3://AKIAIOSFODNN7EXAMPLE:secret@models-dev"),
        "spec.predictor.model.storageUri", 9, 7,
        "holds a URI with a user and password; synth does not copy credentials into charts/ and overlays/",
    ),
}


@pytest.mark.parametrize("case", list(BAD_BASES))
def test_a_bad_base_is_refused_at_its_field(repo: Path, case: str) -> None:
    text, field, line, column, message = BAD_BASES[case]
    err = refused(repo, {BASE: text})
    assert (err.path, err.field, err.line, err.column) == (BASE, field, line, column)
    assert err.message == message


def test_a_label_yaml_reads_as_a_number_gets_the_quoted_fix(repo: Path) -> None:
    err = refused(repo, {BASE: isvc(meta="  labels:\n    version: 2\n")})
    assert err.hint == 'quote it: version: "2"'
    assert str(err).startswith(f"{BASE}:6:5: metadata.labels.version: value 2 is a int, not a string")


def test_an_llm_kind_in_the_inference_service_file_is_sent_to_its_file(repo: Path) -> None:
    err = refused(repo, {BASE: LLM.replace("v1alpha2", "v1beta1").replace("name: chat", "name: iris")})
    assert (err.field, err.line, err.message) == ("kind", 2, "kind must be InferenceService, found 'LLMInferenceService'")
    assert err.hint == "a LLMInferenceService goes in llminferenceservice.yaml"


def test_an_llm_api_version_in_the_inference_service_file_is_sent_to_its_file(repo: Path) -> None:
    err = refused(repo, {BASE: ISVC.replace("v1beta1", "v1alpha2")})
    assert err.field == "apiVersion"
    assert err.hint.startswith("an LLMInferenceService goes in llminferenceservice.yaml")


def test_an_llm_service_in_v1alpha1_is_told_to_change_the_api_version(repo: Path) -> None:
    err = refused(repo, {"models/chat/llminferenceservice.yaml": LLM.replace("v1alpha2", "v1alpha1")})
    assert err.message == "apiVersion must be serving.kserve.io/v1alpha2, found 'serving.kserve.io/v1alpha1'"
    assert "changing the apiVersion line is enough" in err.hint


def test_an_llm_service_needs_a_model_uri(repo: Path) -> None:
    err = refused(repo, {"models/chat/llminferenceservice.yaml": LLM.replace("    uri: hf://org/model\n", "    name: x\n")})
    assert (err.path, err.field, err.line, err.column) == ("models/chat/llminferenceservice.yaml", "spec.model.uri", 5, 1)
    assert err.message == "spec.model.uri is required"


def test_an_inference_service_in_the_llm_file(repo: Path) -> None:
    err = refused(repo, {"models/iris/llminferenceservice.yaml": ISVC})
    assert err.message == "apiVersion must be serving.kserve.io/v1alpha2, found 'serving.kserve.io/v1beta1'"


def test_a_base_that_does_not_parse_is_a_yaml_error_at_its_line(repo: Path) -> None:
    put(repo, {BASE: ISVC.replace("modelFormat: {name: sklearn}", "modelFormat: {name: sklearn")})
    with pytest.raises(YamlError) as err:
        load(repo)
    assert (err.value.path, err.value.line) == (BASE, 9)
    assert err.value.exit_code == EXIT_INPUT


# --- bad patches ------------------------------------------------------------------------------------

BAD_PATCHES = {
    # case: (file text, field, line, column, message, hint fragment)
    "a list": ("- spec: {}\n", None, 1, 1, "must be a mapping shaped like the InferenceService it patches", None),
    "unexpected top-level field": (
        "spec: {}\npredictor:\n  minReplicas: 2\n", "predictor", 2, 1, "unexpected top-level field 'predictor'",
        "a patch holds metadata and spec only",
    ),
    "another apiVersion": ("apiVersion: v1\nspec: {}\n", "apiVersion", 1, 1, "apiVersion must be serving.kserve.io/v1beta1", None),
    "another kind": ("kind: Deployment\n", "kind", 1, 1, "kind must be InferenceService", None),
    "metadata a string": ("metadata: iris\n", "metadata", 1, 1, "metadata must be a mapping", None),
    "another name": ("metadata:\n  name: lily\n", "metadata.name", 2, 3, "metadata.name must be 'iris' or left out", None),
    "namespace": ("metadata:\n  namespace: ml-prod\n", "metadata.namespace", 2, 3, "namespace is set by kserve-gitops", None),
    "number annotation": ("metadata:\n  annotations:\n    weight: 10\n", "metadata.annotations.weight", 3, 5,
                          "value 10 is a int, not a string", 'quote it: weight: "10"'),
    "cache annotation": (
        "metadata:\n  annotations:\n    kserve-gitops.io/local-model-cache: 2Gi\n",
        "metadata.annotations.kserve-gitops.io/local-model-cache", 3, 5,
        "the local model cache is declared once, in the model's inferenceservice.yaml", "localModelCache.nodeGroups",
    ),
    "spec a list": ("spec:\n- predictor\n", "spec", 1, 1, "spec must be a mapping", None),
    "a credential": (
        "spec:\n  predictor:\n    model:\n      env:\n      - name: TOKEN\n        value: ghp_" + "a" * 36 + "\n",
        "spec.predictor.model.env[0].value", 6, 9,
        "holds a credential (an access key, token or private key); synth does not copy credentials into charts/ and overlays/",
        "rotate this credential",
    ),
}


@pytest.mark.parametrize("case", list(BAD_PATCHES))
def test_a_bad_patch_is_refused_at_its_field(repo: Path, case: str) -> None:
    text, field, line, column, message, hint = BAD_PATCHES[case]
    err = refused(repo, {BASE: ISVC, "models/iris/prod.yaml": text})
    assert (err.path, err.field, err.line, err.column) == ("models/iris/prod.yaml", field, line, column)
    assert err.message == message
    if hint:
        assert hint in err.hint


def test_an_empty_patch_file_is_refused(repo: Path) -> None:
    put(repo, {BASE: ISVC, "models/iris/prod.yaml": "# nothing yet\n"})
    with pytest.raises(YamlError) as err:
        load(repo)
    assert (err.value.path, err.value.message) == ("models/iris/prod.yaml", "file is empty (no YAML document)")


def test_an_llm_patch_must_patch_an_llm_service(repo: Path) -> None:
    put(repo, {"models/chat/llminferenceservice.yaml": LLM, "models/chat/dev.yaml": "kind: InferenceService\n"})
    with pytest.raises(ModelError) as err:
        load(repo)
    assert (err.value.message, err.value.line) == ("kind must be LLMInferenceService", 1)


# --- several broken models --------------------------------------------------------------------------


def test_every_broken_model_is_reported_together_in_folder_order(repo: Path) -> None:
    put(repo, {
        "models/alpha/inferenceservice.yaml": ISVC.replace("name: iris", "name: alpha").replace("spec:", "spec: [\n"),
        "models/beta/inferenceservice.yaml": ISVC.replace("name: iris", "name: beta"),
        "models/gamma/inferenceservice.yaml": ISVC.replace("name: iris", "name: gamma\n  namespace: x"),
        "models/Delta/inferenceservice.yaml": ISVC,
    })
    with pytest.raises(InputErrors) as err:
        load(repo)
    assert err.value.exit_code == EXIT_INPUT
    assert err.value.message == "3 input files have errors"
    assert [(e.path, e.line) for e in err.value.errors] == [
        ("models/Delta", None),  # upper case sorts first
        ("models/alpha/inferenceservice.yaml", 8),
        ("models/gamma/inferenceservice.yaml", 5),
    ]
    lines = str(err.value).splitlines()  # one line per error (and its hint)
    assert "models/alpha/inferenceservice.yaml:8:10: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence)" in lines
    assert lines[-2] == "models/gamma/inferenceservice.yaml:5:3: metadata.namespace: namespace is set per environment by kserve-gitops"


# --- repo.py ----------------------------------------------------------------------------------------


def test_load_inputs_reads_the_config_and_the_models_of_a_root(repo: Path) -> None:
    put(repo, {BASE: ISVC, "models/iris/dev.yaml": "spec: {}\n"})
    config, models = load_inputs(repo)
    assert config.path == Path("kserve-gitops.yaml")  # relative to the working directory
    assert [m.name for m in models] == ["iris"]


def test_duplicate_keys_in_the_config_a_base_and_a_patch(repo: Path) -> None:
    put(repo, {
        BASE: ISVC.replace("  name: iris\n", "  name: iris\n  name: iris\n"),
        "models/iris/prod.yaml": "spec:\n  predictor:\n    minReplicas: 1\n    minReplicas: 2\n",
    })
    (repo / "kserve-gitops.yaml").write_text(CONFIG + "project: acme\n")
    config, models = load_inputs(repo)
    found = [(e.path, e.line, e.column, e.message) for e in duplicate_keys(config, models)]
    assert found == [
        ("kserve-gitops.yaml", 21, 1, "duplicate key 'project' (the last one wins)"),
        (BASE, 5, 3, "duplicate key 'metadata.name' (the last one wins)"),
        ("models/iris/prod.yaml", 4, 5, "duplicate key 'spec.predictor.minReplicas' (the last one wins)"),
    ]
    assert all(isinstance(e, YamlError) for e in duplicate_keys(config, models))


def test_no_duplicate_keys_in_clean_inputs(repo: Path) -> None:
    put(repo, {BASE: ISVC, "models/iris/prod.yaml": "spec: {}\n"})
    assert duplicate_keys(*load_inputs(repo)) == []
