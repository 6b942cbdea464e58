"""Bad input through the CLI: exit 2, one message that names file:line:column and the field, and nothing
written. Every case but one stops before synth starts cdk8s, so they stay fast."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, tree_bytes
from kserve_gitops.inputs import yamlsrc

CONFIG = "kserve-gitops.yaml"
BASE = "models/iris/inferenceservice.yaml"
PATCH = "models/iris/prod.yaml"


@pytest.fixture
def basic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "basic"
    shutil.copytree(FIXTURES / "basic", repo)
    monkeypatch.chdir(repo)
    yamlsrc.clear_position_cache()
    yield repo
    yamlsrc.clear_position_cache()
    yamlsrc.set_max_file_bytes(yamlsrc.DEFAULT_MAX_FILE_BYTES)


def edit(repo: Path, rel: str, old: str, new: str) -> int:
    """Replace ``old`` by ``new`` once; the 1-based line where ``new`` starts."""
    path = repo / rel
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def assert_bad_input(result, *where: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    for text in where:
        assert text in result.output, result.output


def test_a_config_of_the_wrong_type(basic: Path, cli) -> None:
    line = edit(basic, CONFIG, "    namespaces: [ml-dev]", "    namespaces: ml-dev")
    result = cli("synth")
    assert_bad_input(result, f"error: {CONFIG}:{line}:5: environments.dev.namespaces: 'ml-dev' is not of type 'array'")
    assert tree_bytes(basic) == {}  # nothing written


def test_a_config_with_an_unknown_environment_in_the_promotion_order(basic: Path, cli) -> None:
    (basic / CONFIG).write_text((basic / CONFIG).read_text() + "promotionOrder: [dev, qa, prod]\n")
    line = (basic / CONFIG).read_text().count("\n")
    result = cli("synth", "--check")
    assert_bad_input(result, f"{CONFIG}:{line}:23: promotionOrder[1]: names environment 'qa', which is not defined")


def test_a_bad_mode_through_render_needs_no_synth(basic: Path, cli) -> None:
    line = edit(basic, CONFIG, "deploymentMode: Serverless", "deploymentMode: serverless")
    result = cli("render", "dev")
    assert_bad_input(result, f"{CONFIG}:{line}:", "environments.dev.kserve.deploymentMode: 'serverless' is not one of")


def test_an_unknown_environment_on_the_command_line(basic: Path, cli) -> None:
    result = cli("render", "qa")
    assert_bad_input(result, f"error: {CONFIG}: unknown environment 'qa' (known: dev, prod)")


def test_a_patch_that_sets_a_namespace(basic: Path, cli) -> None:
    line = edit(basic, PATCH, "metadata:\n", "metadata:\n  namespace: ml-prod\n") + 1
    result = cli("synth")
    assert_bad_input(result, f"error: {PATCH}:{line}:3: metadata.namespace: namespace is set by kserve-gitops")
    assert tree_bytes(basic) == {}


def test_a_base_that_does_not_parse(basic: Path, cli) -> None:
    edit(basic, BASE, "modelFormat: {name: sklearn}", "modelFormat: {name: sklearn")
    result = cli("synth")
    assert_bad_input(result, f"error: {BASE}:9:17: invalid YAML: did not find expected ',' or '}}' (while parsing a flow mapping)")
    assert tree_bytes(basic) == {}


def test_tabs_get_their_hint(basic: Path, cli) -> None:
    edit(basic, PATCH, "  annotations:", "\tannotations:")
    result = cli("synth")
    assert_bad_input(result, f"{PATCH}:2:1: invalid YAML", "hint: YAML does not allow tabs for indentation; use spaces")


def test_a_number_json_cannot_hold(basic: Path, cli) -> None:
    edit(basic, PATCH, "spec:\n", "spec:\n  scale: .inf\n")
    result = cli("synth")
    assert_bad_input(result, f"{PATCH}:5:10: invalid YAML: .inf is not a number JSON (and so Kubernetes) can hold")


def test_every_broken_file_is_reported_in_one_run(basic: Path, cli) -> None:
    edit(basic, PATCH, "metadata:\n", "metadata:\n  namespace: ml-prod\n")
    (basic / "models/only-dev/staging.yaml").write_text("spec: {}\n")
    result = cli("synth")
    assert_bad_input(
        result,
        f"{PATCH}:2:3: metadata.namespace",
        "models/only-dev/staging.yaml: no environment named 'staging'",
    )
    assert result.output.index("models/iris/") < result.output.index("models/only-dev/")


def test_the_file_size_cap_is_an_option(basic: Path, cli) -> None:
    size = (basic / CONFIG).stat().st_size
    result = cli("--max-file-size", str(size - 1), "synth")
    assert_bad_input(result, f"error: {CONFIG}: file is {size} bytes, more than the {size - 1} byte limit for one input file")
    bad = cli("--max-file-size", "a lot", "synth")
    assert_bad_input(bad, "'a lot' is not a size (examples: 64Mi, 50MB, 1Gi, 1048576)", "--max-file-size")


def test_duplicate_keys_are_errors_under_strict(basic: Path, cli) -> None:
    line = edit(basic, PATCH, "      storageUri: s3://models-prod/iris/v1\n",
                "      storageUri: s3://models-prod/iris/v1\n      storageUri: s3://models-prod/iris/v2\n") + 1
    result = cli("synth", "--strict")
    assert_bad_input(result, f"{PATCH}:{line}:7: duplicate key 'spec.predictor.model.storageUri' (the last one wins)",
                     "1 duplicate key(s) in the inputs (--strict makes them errors)")
    assert tree_bytes(basic) == {}


def test_an_environment_on_a_release_without_pinned_images(basic: Path, cli) -> None:
    """kserve-gitops.yaml loads; synth needs the release's images and says where to pin them (cdk8s runs)."""
    line = edit(basic, CONFIG, "kserve: {version: v0.20.0, deploymentMode: Serverless}", "kserve: {version: v0.16.0, deploymentMode: Serverless}")
    result = cli("synth")
    assert_bad_input(
        result,
        f"error: {CONFIG}:{line}:14: environments.dev.kserve.version: no images are pinned for KServe v0.16.0 "
        "under kserveReleases (pinned: v0.14.1, v0.20.0)",
        "add kserveReleases.v0.16.0.images",
    )
    assert tree_bytes(basic) == {}
