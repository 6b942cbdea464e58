"""operate/migrate, one rewrite at a time on small files: the exact text each legacy form becomes (comments
where they belong), what is left alone (empty, comment-only and current files), the notes it explains itself
with, and that migrating the result again changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kserve_gitops.errors import ModelError, UsageError, YamlError
from kserve_gitops.operate.migrate import FRAMEWORKS, migrate_path, migrate_text

MODE_NOTE = "serving.kserve.io/deploymentMode: {old} is {new} since KServe v0.16 (synth writes the name each environment's release knows)"


def migrated(text: str, *, canary_form: str = "revision") -> tuple[str, list[str]]:
    """The migrated text and its notes; every result must be a fixed point of migrate."""
    notes: list[str] = []
    out = migrate_text(text, path="m.yaml", canary_form=canary_form, notes=notes)
    again: list[str] = []
    assert migrate_text(out, path="m.yaml", canary_form=canary_form, notes=again) == out
    assert again == []
    return out, notes


# --- apiVersion ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "old",
    ["serving.kubeflow.org/v1alpha2", "serving.kubeflow.org/v1beta1", "serving.kserve.io/v1alpha2", "serving.kserve.io/v1alpha1"],
)
def test_a_legacy_api_version_becomes_v1beta1(old: str) -> None:
    text = f"apiVersion: {old}\nkind: InferenceService\nmetadata:\n  name: a\n"
    assert migrated(text) == ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: a\n", [])


def test_a_quoted_api_version_keeps_its_quotes_and_its_comment_column() -> None:
    out, _ = migrated('apiVersion: "serving.kserve.io/v1alpha2"  # old\nkind: InferenceService\n')
    assert out == 'apiVersion: "serving.kserve.io/v1beta1"   # old\nkind: InferenceService\n'


def test_a_file_without_kind_is_migrated_as_an_inferenceservice() -> None:
    # a per-environment patch names no kind
    assert migrated("apiVersion: serving.kubeflow.org/v1alpha2\nspec: {}\n")[0] == "apiVersion: serving.kserve.io/v1beta1\nspec: {}\n"


@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: a\n",
        # serving.kserve.io/v1alpha2 is the current version of an LLMInferenceService: nothing about it is legacy
        "apiVersion: serving.kserve.io/v1alpha2\nkind: LLMInferenceService\nmetadata:\n"
        "  annotations:\n    serving.kserve.io/deploymentMode: Serverless\n",
        "apiVersion: serving.kubeflow.org/v1alpha2\nkind: TrainedModel\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    serving.kserve.io/deploymentMode: RawDeployment\n",
        "- a\n- b\n",  # not a mapping
        "spec:\n  predictor:\n    parallelism: 2\n    containerConcurrency: 3\n",  # the new field wins; the old is not renamed onto it
        "spec:\n  transformer:\n    pytorch:\n      storageUri: s3://b\n",  # only predictors had framework specs
        "spec:\n  predictor:\n    model:\n      modelFormat:\n        name: sklearn\n      storageUri: s3://b\n",
        # nothing to migrate: not "{}", not refused
        "",
        "\n  \n",
        "# staging: no differences yet\n",
        "\n# a\n\n# b",
        # a merge patch's nulls (delete the key) are read and left as written
        "metadata:\n  labels:\n    tier: null\nspec:\n  predictor:\n    minReplicas: ~\n    maxReplicas: NULL\n    args:\n",
    ],
)
def test_what_is_not_legacy_is_returned_as_it_is(text: str) -> None:
    notes: list[str] = []
    assert migrate_text(text, path="m.yaml", notes=notes) is text
    assert notes == []


# --- deployment mode names -------------------------------------------------------------------------------


@pytest.mark.parametrize("old, new", [("Serverless", "Knative"), ("RawDeployment", "Standard")])
def test_an_old_mode_name_gets_its_current_name_and_a_note(old: str, new: str) -> None:
    text = f"metadata:\n  annotations:\n    serving.kserve.io/deploymentMode: {old}\nspec: {{}}\n"
    out, notes = migrated(text)
    assert out == f"metadata:\n  annotations:\n    serving.kserve.io/deploymentMode: {new}\nspec: {{}}\n"
    assert notes == [MODE_NOTE.format(old=old, new=new)]


@pytest.mark.parametrize("value", ["Knative", "Standard", "ModelMesh", "serverless", "rawdeployment", "'Serverless '"])
def test_current_unknown_and_misspelt_mode_names_are_left_alone(value: str) -> None:
    text = f"metadata:\n  annotations:\n    serving.kserve.io/deploymentMode: {value}\n"
    assert migrate_text(text, path="m.yaml") is text


def test_the_mode_is_read_from_the_annotation_only() -> None:
    text = "metadata:\n  labels:\n    serving.kserve.io/deploymentMode: Serverless\n  annotations:\n    mode: Serverless\n"
    assert migrate_text(text, path="m.yaml") is text


# --- per-framework predictors, custom containers, parallelism --------------------------------------------


@pytest.mark.parametrize("framework", sorted(FRAMEWORKS))
def test_each_framework_predictor_becomes_a_model_with_its_format(framework: str) -> None:
    text = f"spec:\n  predictor:\n    {framework}:\n      storageUri: s3://b/m\n"
    out, notes = migrated(text)
    assert out == f"spec:\n  predictor:\n    model:\n      modelFormat:\n        name: {FRAMEWORKS[framework]}\n      storageUri: s3://b/m\n"
    assert notes == []


def test_a_framework_spec_keeps_its_fields_comments_and_neighbours() -> None:
    text = (
        "spec:\n"
        "  predictor:\n"
        "    minReplicas: 1\n"
        "    pytorch:\n"
        "      storageUri: gs://b/m  # the model\n"
        "      protocolVersion: v1\n"
        "    parallelism: 4\n"
    )
    assert migrated(text)[0] == (
        "spec:\n"
        "  predictor:\n"
        "    minReplicas: 1\n"
        "    model:\n"
        "      modelFormat:\n"
        "        name: pytorch\n"
        "      storageUri: gs://b/m  # the model\n"
        "      protocolVersion: v1\n"
        "    containerConcurrency: 4\n"
    )


def test_an_empty_framework_spec_still_names_its_format() -> None:
    assert migrated("spec:\n  predictor:\n    sklearn: {}\n")[0] == "spec:\n  predictor:\n    model:\n      modelFormat:\n        name: sklearn\n"


def test_a_comment_inside_the_framework_spec_stays_first_in_the_model() -> None:
    text = "spec:\n  predictor:\n    sklearn:\n      # inside\n      storageUri: s3://b/v1\n"
    assert migrated(text)[0] == "spec:\n  predictor:\n    model:\n      # inside\n      modelFormat:\n        name: sklearn\n      storageUri: s3://b/v1\n"


@pytest.mark.parametrize(
    "predictor, named",
    [
        ("    sklearn:\n      storageUri: s3://a\n    xgboost:\n      storageUri: s3://b\n", "sklearn, xgboost"),
        ("    model:\n      storageUri: s3://a\n    xgboost:\n      storageUri: s3://b\n", "xgboost, model"),
    ],
)
def test_a_predictor_with_two_model_specs_is_refused(predictor: str, named: str) -> None:
    with pytest.raises(ModelError) as caught:
        migrate_text("spec:\n  predictor:\n" + predictor, path="models/x/inferenceservice.yaml")
    assert str(caught.value) == (
        f"models/x/inferenceservice.yaml: spec.predictor: the predictor names several model specs ({named})\n"
        "  hint: a predictor serves one model; keep one and run migrate again"
    )


def test_a_custom_container_becomes_the_first_of_containers() -> None:
    text = "spec:\n  transformer:\n    custom:\n      container:\n        image: t:1  # pre\n        name: c\n"
    assert migrated(text)[0] == "spec:\n  transformer:\n    containers:\n      - image: t:1  # pre\n        name: c\n"


@pytest.mark.parametrize(
    "text, expected",
    [
        # a comment before the container's first key goes before the item's dash
        (
            "spec:\n  transformer:\n    custom:\n      container:\n        # first key\n        image: t:1  # pre\n",
            "spec:\n  transformer:\n    containers:\n      # first key\n      - image: t:1  # pre\n",
        ),
        # the comment on the container: line goes on the containers: line, as far after the key
        (
            "spec:\n  transformer:\n    custom:\n      container:  # on container\n        # first key\n        image: t:1\n",
            "spec:\n  transformer:\n    containers:  # on container\n      # first key\n      - image: t:1\n",
        ),
        # under the custom: line's comment when there is one
        (
            "spec:\n  transformer:\n    custom:  # c1\n      # under custom\n      container:  # c2\n        image: t:1\n",
            "spec:\n  transformer:\n    containers: # c1\n      # under custom\n      # c2\n      - image: t:1\n",
        ),
        # items at their key's column: the dash is at the key's column too
        (
            "spec:\n  transformer:\n    custom:  # c1\n      # under custom\n      container:  # c2\n        # first key\n"
            "        image: t:1\n        args:\n        - a\n",
            "spec:\n  transformer:\n    containers: # c1\n    # under custom\n    # c2\n    # first key\n    - image: t:1\n"
            "      args:\n      - a\n",
        ),
        (
            "spec:\n    transformer:\n        custom:\n            container:  # c\n                # first key\n"
            "                image: t:1\n                args:\n                    - a\n",
            "spec:\n    transformer:\n        containers:  # c\n            # first key\n            - image: t:1\n"
            "              args:\n                  - a\n",
        ),
        # a flow-style container stays one line, its comment after it
        (
            "spec:\n  transformer:\n    custom:\n      container: {image: t}  # c\n",
            "spec:\n  transformer:\n    containers:\n      - {image: t}           # c\n",
        ),
    ],
)
def test_a_custom_containers_comments_stay_with_its_first_key(text: str, expected: str) -> None:
    assert migrated(text) == (expected, [])


# --- v1alpha2's spec.default -----------------------------------------------------------------------------


def test_spec_default_components_move_up_to_spec() -> None:
    text = (
        "spec:\n"
        "  default:\n"
        "    predictor:\n"
        "      tensorflow:\n"
        "        storageUri: gs://b/tf  # saved model\n"
        "    transformer:\n"
        "      custom:\n"
        "        container:\n"
        "          image: t:1\n"
    )
    assert migrated(text)[0] == (
        "spec:\n"
        "  predictor:\n"
        "    model:\n"
        "      modelFormat:\n"
        "        name: tensorflow\n"
        "      storageUri: gs://b/tf  # saved model\n"
        "  transformer:\n"
        "    containers:\n"
        "      - image: t:1\n"
    )


def test_the_comment_on_the_default_line_moves_to_the_first_component() -> None:
    text = "spec:\n  default:  # the defaults\n    predictor:\n      sklearn:\n        storageUri: s3://b/v1\n"
    # the comment keeps its column: right after the (longer) key, one space
    assert migrated(text)[0] == "spec:\n  predictor: # the defaults\n    model:\n      modelFormat:\n        name: sklearn\n      storageUri: s3://b/v1\n"


# --- traffic and canaries --------------------------------------------------------------------------------


def test_spec_level_traffic_without_a_canary_moves_onto_the_predictor() -> None:
    text = "spec:\n  canaryTrafficPercent: 20\n  predictor:\n    model:\n      storageUri: s3://b/v2\n"
    assert migrated(text) == ("spec:\n  predictor:\n    canaryTrafficPercent: 20\n    model:\n      storageUri: s3://b/v2\n", [])


LEGACY_CANARY = (
    "metadata:\n"
    "  name: iris\n"
    "spec:\n"
    "  default:\n"
    "    predictor:\n"
    "      sklearn:\n"
    "        storageUri: s3://b/v1\n"
    "  canaryTrafficPercent: 25\n"
    "  canary:\n"
    "    predictor:\n"
    "      sklearn:\n"
    "        storageUri: s3://b/v2\n"
)


def test_a_legacy_canary_in_revision_form() -> None:
    assert migrated(LEGACY_CANARY) == (
        "metadata:\n"
        "  name: iris\n"
        "  annotations:\n"
        "    kserve-gitops.io/stable-storage-uri: s3://b/v1\n"
        "spec:\n"
        "  predictor:\n"
        "    canaryTrafficPercent: 25\n"
        "    model:\n"
        "      modelFormat:\n"
        "        name: sklearn\n"
        "      storageUri: s3://b/v2\n",
        [],
    )


def test_a_legacy_canary_in_list_form() -> None:
    assert migrated(LEGACY_CANARY, canary_form="list") == (
        "metadata:\n"
        "  name: iris\n"
        "spec:\n"
        "  predictor:\n"
        "    model:\n"
        "      modelFormat:\n"
        "        name: sklearn\n"
        "      storageUri: s3://b/v1\n"
        "  canary:\n"
        "    - trafficPercent: 25\n"
        "      predictor:\n"
        "        name: v2\n"  # named after the URI's last segment
        "        model:\n"
        "          name: kserve-container\n"
        "          modelFormat:\n"
        "            name: sklearn\n"
        "          storageUri: s3://b/v2\n",
        [],
    )


CANARY_COMMENTS = (
    "metadata:\n"
    "  name: iris\n"
    "spec:\n"
    "  predictor:\n"
    "    sklearn:\n"
    "      storageUri: s3://b/v1\n"
    "  canaryTrafficPercent: 25\n"
    "  canary:\n"
    "    predictor:  # the candidate\n"
    "      # retrained in May\n"
    "      sklearn:\n"
    "        storageUri: s3://b/v2\n"
    "      # end of the candidate\n"
    "  # about the transformer\n"
    "  transformer:\n"
    "    containers:\n"
    "      - image: t:1\n"
)


def test_comments_on_and_under_the_canarys_predictor_line_move_with_it() -> None:
    assert migrated(CANARY_COMMENTS) == (
        "metadata:\n"
        "  name: iris\n"
        "  annotations:\n"
        "    kserve-gitops.io/stable-storage-uri: s3://b/v1\n"
        "spec:\n"
        "  predictor:  # the candidate\n"
        "    # retrained in May\n"
        "    canaryTrafficPercent: 25\n"
        "    model:\n"
        "      modelFormat:\n"
        "        name: sklearn\n"
        "      storageUri: s3://b/v2\n"
        "    # end of the candidate\n"
        "  # about the transformer\n"  # spec's own comment: not moved
        "  transformer:\n"
        "    containers:\n"
        "      - image: t:1\n",
        [],
    )
    assert migrated(CANARY_COMMENTS, canary_form="list")[0] == (
        "metadata:\n"
        "  name: iris\n"
        "spec:\n"
        "  predictor:\n"
        "    model:\n"
        "      modelFormat:\n"
        "        name: sklearn\n"
        "      storageUri: s3://b/v1\n"
        "  canary:\n"
        "    - trafficPercent: 25\n"
        "      predictor:  # the candidate\n"
        "        # retrained in May\n"
        "        name: v2\n"
        "        model:\n"
        "          name: kserve-container\n"
        "          modelFormat:\n"
        "            name: sklearn\n"
        "          storageUri: s3://b/v2\n"
        "        # end of the candidate\n"
        "  # about the transformer\n"
        "  transformer:\n"
        "    containers:\n"
        "      - image: t:1\n"
    )


def test_the_stable_uri_annotation_of_a_file_without_metadata_goes_before_spec() -> None:
    text = "apiVersion: serving.kubeflow.org/v1alpha2\nkind: InferenceService  # legacy\n# the model\n" + LEGACY_CANARY.split("metadata:\n  name: iris\n")[1]
    assert migrated(text) == (
        "apiVersion: serving.kserve.io/v1beta1\n"
        "kind: InferenceService  # legacy\n"
        "metadata:\n"
        "  annotations:\n"
        "    kserve-gitops.io/stable-storage-uri: s3://b/v1\n"
        "# the model\n"
        "spec:\n"
        "  predictor:\n"
        "    canaryTrafficPercent: 25\n"
        "    model:\n"
        "      modelFormat:\n"
        "        name: sklearn\n"
        "      storageUri: s3://b/v2\n",
        [],
    )


def test_the_dropped_stable_comments_and_the_lines_above_spec_both_stay() -> None:
    text = (
        "kind: InferenceService\n"
        "# the model\n"
        "spec:\n"
        "  predictor:\n"
        "    model:\n"
        "      storageUri: s3://b/v1  # v1\n"
        "  canary:\n"
        "    predictor:\n"
        "      model:\n"
        "        storageUri: s3://b/v2\n"
    )
    out, _ = migrated(text)
    assert out.startswith(
        "kind: InferenceService\nmetadata:\n  annotations:\n    kserve-gitops.io/stable-storage-uri: s3://b/v1  # v1\n"
        "# the model\nspec:\n"
    )


def test_a_canary_without_traffic_gets_zero_percent_and_says_so() -> None:
    out, notes = migrated(LEGACY_CANARY.replace("  canaryTrafficPercent: 25\n", ""))
    assert "    canaryTrafficPercent: 0\n" in out.splitlines(keepends=True)
    assert notes == ["spec.canary had no canaryTrafficPercent; the canary gets 0% of traffic"]


def test_a_stable_predictor_that_differs_beyond_its_uri_is_noted() -> None:
    text = (
        "metadata:\n"
        "  name: iris\n"
        "spec:\n"
        "  predictor:\n"
        "    minReplicas: 1\n"
        "    sklearn:\n"
        "      storageUri: s3://b/v1\n"
        "  canaryTrafficPercent: 10\n"
        "  canary:\n"
        "    predictor:\n"
        "      minReplicas: 2\n"
        "      sklearn:\n"
        "        storageUri: s3://b/v2\n"
        "    transformer:\n"
        "      containers:\n"
        "        - image: t:2\n"
    )
    assert migrated(text) == (
        "metadata:\n"
        "  name: iris\n"
        "  annotations:\n"
        "    kserve-gitops.io/stable-storage-uri: s3://b/v1\n"
        "spec:\n"
        "  predictor:\n"
        "    canaryTrafficPercent: 10\n"
        "    minReplicas: 2\n"
        "    model:\n"
        "      modelFormat:\n"
        "        name: sklearn\n"
        "      storageUri: s3://b/v2\n"
        "  transformer:\n"  # the canary's transformer, with the same traffic
        "    canaryTrafficPercent: 10\n"
        "    containers:\n"
        "      - image: t:2\n",
        [
            "the stable predictor differed from the canary in minReplicas; KServe keeps the previous revision running, "
            "but git now records only its storageUri"
        ],
    )


def test_the_list_form_cannot_replace_other_components() -> None:
    text = "spec:\n  canary:\n    predictor:\n      sklearn:\n        storageUri: s3://b/v2\n    transformer:\n      containers:\n        - image: t:2\n"
    with pytest.raises(ModelError) as caught:
        migrate_text(text, path="m.yaml", canary_form="list")
    assert str(caught.value) == (
        "m.yaml: spec.canary: the legacy canary also replaces transformer, which the list-form spec.canary cannot express\n"
        "  hint: migrate with --canary-form revision"
    )
    assert migrated(text)[0].startswith("spec:\n  predictor:\n    canaryTrafficPercent: 0\n")  # the revision form can


def test_the_stable_predictors_comments_go_with_it_into_the_annotation() -> None:
    text = (
        "metadata:\n"
        "  name: iris\n"
        "spec:\n"
        "  predictor:\n"
        "    # stable: the March model\n"
        "    model:\n"
        "      modelFormat:\n"
        "        name: sklearn\n"
        "      storageUri: s3://b/v1  # v1\n"
        "  canaryTrafficPercent: 10\n"
        "  canary:\n"
        "    predictor:\n"
        "      model:\n"
        "        modelFormat:\n"
        "          name: sklearn\n"
        "        storageUri: s3://b/v2\n"
    )
    assert migrated(text)[0] == (
        "metadata:\n"
        "  name: iris\n"
        "  annotations:\n"
        "    kserve-gitops.io/stable-storage-uri: s3://b/v1  # stable: the March model; v1\n"
        "spec:\n"
        "  predictor:\n"
        "    canaryTrafficPercent: 10\n"
        "    model:\n"
        "      modelFormat:\n"
        "        name: sklearn\n"
        "      storageUri: s3://b/v2\n"
    )


def test_a_comment_whose_block_was_rewritten_is_kept_at_the_top() -> None:
    text = (
        "metadata:\n"
        "  name: iris\n"
        "spec:\n"
        "  predictor:\n"
        "    model:\n"
        "      modelFormat:\n"
        "        name: sklearn\n"
        "      storageUri: s3://b/v1\n"
        "  canaryTrafficPercent: 5\n"
        "  canary:  # the canary\n"
        "    predictor:\n"
        "      model:\n"
        "        modelFormat:\n"
        "          name: sklearn\n"
        "        storageUri: s3://b/v2  # v2\n"
    )
    assert migrated(text) == (
        "# Comments kept by 'kserve-gitops migrate' from blocks it rewrote:\n"
        "#   the canary\n"
        "metadata:\n"
        "  name: iris\n"
        "  annotations:\n"
        "    kserve-gitops.io/stable-storage-uri: s3://b/v1\n"
        "spec:\n"
        "  predictor:\n"
        "    canaryTrafficPercent: 5\n"
        "    model:\n"
        "      modelFormat:\n"
        "        name: sklearn\n"
        "      storageUri: s3://b/v2  # v2\n",
        ["1 comment(s) moved to the top of the file: their blocks were rewritten"],
    )


def test_a_list_canarys_framework_predictor_is_migrated_in_place() -> None:
    text = (
        "spec:\n"
        "  predictor:\n"
        "    model:\n"
        "      storageUri: s3://a\n"
        "  canary:\n"
        "    - trafficPercent: 10\n"
        "      predictor:\n"
        "        name: v2\n"
        "        xgboost:\n"
        "          storageUri: s3://b\n"
    )
    assert migrated(text, canary_form="list")[0] == (
        "spec:\n"
        "  predictor:\n"
        "    model:\n"
        "      storageUri: s3://a\n"
        "  canary:\n"
        "    - trafficPercent: 10\n"
        "      predictor:\n"
        "        name: v2\n"
        "        model:\n"
        "          modelFormat:\n"
        "            name: xgboost\n"
        "          storageUri: s3://b\n"
    )


def test_everything_at_once_settles_in_one_run() -> None:
    text = (
        "# a v1alpha2 model with every legacy form\n"
        "apiVersion: serving.kubeflow.org/v1alpha2\n"
        "kind: InferenceService\n"
        "metadata:\n"
        "  name: churn\n"
        "  annotations:\n"
        "    serving.kserve.io/deploymentMode: Serverless\n"
        "spec:\n"
        "  default:\n"
        "    predictor:\n"
        "      parallelism: 8\n"
        "      xgboost:\n"
        "        storageUri: s3://b/churn/1\n"
        "  canaryTrafficPercent: 30\n"
        "  canary:\n"
        "    predictor:\n"
        "      parallelism: 8\n"
        "      xgboost:\n"
        "        storageUri: s3://b/churn/2\n"
    )
    out, notes = migrated(text)
    assert out == (
        "# a v1alpha2 model with every legacy form\n"
        "apiVersion: serving.kserve.io/v1beta1\n"
        "kind: InferenceService\n"
        "metadata:\n"
        "  name: churn\n"
        "  annotations:\n"
        "    serving.kserve.io/deploymentMode: Knative\n"
        "    kserve-gitops.io/stable-storage-uri: s3://b/churn/1\n"
        "spec:\n"
        "  predictor:\n"
        "    canaryTrafficPercent: 30\n"
        "    containerConcurrency: 8\n"
        "    model:\n"
        "      modelFormat:\n"
        "        name: xgboost\n"
        "      storageUri: s3://b/churn/2\n"
    )
    assert notes == [MODE_NOTE.format(old="Serverless", new="Knative")]


# --- migrate_path ----------------------------------------------------------------------------------------


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A models folder with a legacy file, a current one, and files migrate does not read."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "models"
    (root / "iris").mkdir(parents=True)
    (root / "iris" / "inferenceservice.yaml").write_text("apiVersion: serving.kubeflow.org/v1alpha2\nkind: InferenceService\n")
    (root / "iris" / "dev.yml").write_text("metadata:\n  annotations:\n    serving.kserve.io/deploymentMode: RawDeployment\n")
    (root / "ltv").mkdir()
    (root / "ltv" / "inferenceservice.yaml").write_text("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n")
    (root / "ltv" / ".hidden.yaml").write_text("apiVersion: serving.kubeflow.org/v1alpha2\n")
    (root / "ltv" / "notes.txt").write_text("apiVersion: serving.kubeflow.org/v1alpha2\n")
    return root


def snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_folder_is_scanned_for_yaml_files_and_only_changes_are_listed(models: Path) -> None:
    before = snapshot(models)
    result = migrate_path(Path("models"), write=False)
    assert result.scanned == 3  # not the dot file, not the .txt
    assert [(c.edit.path, c.edit.before, c.edit.after) for c in result.changes] == [
        (
            "models/iris/dev.yml",
            before["iris/dev.yml"],
            "metadata:\n  annotations:\n    serving.kserve.io/deploymentMode: Standard\n",
        ),
        (
            "models/iris/inferenceservice.yaml",
            before["iris/inferenceservice.yaml"],
            "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n",
        ),
    ]
    assert [c.notes for c in result.changes] == [[MODE_NOTE.format(old="RawDeployment", new="Standard")], []]
    assert snapshot(models) == before  # write=False writes nothing


def test_writing_changes_only_the_legacy_files_and_a_second_run_finds_nothing(models: Path) -> None:
    before = snapshot(models)
    migrate_path(Path("models"))
    after = snapshot(models)
    assert {k for k in after if after[k] != before[k]} == {"iris/dev.yml", "iris/inferenceservice.yaml"}
    assert after["ltv/.hidden.yaml"] == before["ltv/.hidden.yaml"] and after["ltv/notes.txt"] == before["ltv/notes.txt"]
    again = migrate_path(Path("models"))
    assert (again.scanned, again.changes) == (3, [])
    assert snapshot(models) == after


def test_one_file_can_be_migrated_alone(models: Path) -> None:
    result = migrate_path(Path("models/iris/dev.yml"))
    assert result.scanned == 1 and [c.edit.path for c in result.changes] == ["models/iris/dev.yml"]
    assert (models / "iris" / "inferenceservice.yaml").read_text().startswith("apiVersion: serving.kubeflow.org/v1alpha2")


def test_nothing_is_written_when_one_file_cannot_be_migrated(models: Path) -> None:
    before = snapshot(models)
    (models / "zzz.yaml").write_text("spec: [unclosed\n")
    with pytest.raises(YamlError) as caught:
        migrate_path(Path("models"))
    assert (caught.value.path, caught.value.line) == ("models/zzz.yaml", 2)
    assert {k: v for k, v in snapshot(models).items() if k != "zzz.yaml"} == before


def test_empty_and_comment_only_files_are_left_alone_and_the_others_migrate(models: Path, cli) -> None:
    (models / "iris" / "staging.yaml").write_text("")
    (models / "iris" / "prod.yaml").write_text("\n  \n")
    (models / "ltv" / "dev.yaml").write_text("# dev: nothing differs yet\n# (kept for reviewers)\n")
    (models / "ltv" / "prod.yaml").write_text("metadata:\n  labels:\n    tier: null\nspec:\n  predictor:\n    minReplicas: ~\n")
    before = snapshot(models)
    result = migrate_path(Path("models"), write=False)
    assert result.scanned == 7
    assert [c.edit.path for c in result.changes] == ["models/iris/dev.yml", "models/iris/inferenceservice.yaml"]
    check = cli("migrate", "models", "--check")
    assert check.exit_code == 1 and "2 of 7 file(s) need migrating" in check.output
    assert snapshot(models) == before
    run = cli("migrate", "models")
    assert run.exit_code == 0 and "2 of 7 file(s) migrated" in run.output, run.output
    after = snapshot(models)
    assert {k for k in after if after[k] != before[k]} == {"iris/dev.yml", "iris/inferenceservice.yaml"}
    again = cli("migrate", "models", "--check")
    assert again.exit_code == 0 and "0 of 7 file(s) need migrating" in again.output
    for name in ("iris/staging.yaml", "ltv/dev.yaml"):  # one file alone
        alone = cli("migrate", f"models/{name}", "--check")
        assert alone.exit_code == 0 and "0 of 1 file(s) need migrating" in alone.output


def test_bad_arguments_are_usage_errors(models: Path) -> None:
    with pytest.raises(UsageError) as caught:
        migrate_path(Path("models"), canary_form="inline")
    assert str(caught.value) == "unknown canary form 'inline' (choose: revision, list)"
    with pytest.raises(UsageError) as caught:
        migrate_path(Path("nowhere"))
    assert str(caught.value) == "nowhere: no such file or folder"
