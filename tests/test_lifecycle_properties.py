"""Round-trip properties of the lifecycle edits: whatever comments and unrelated keys a model file holds,
canary keeps every one of them, and rollback restores the file byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import REPO, copy_example
from kserve_gitops.operate import lifecycle

MODEL = "sklearn-iris"

comment_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="\\"), max_size=30)
label_key = st.from_regex(r"[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6})?", fullmatch=True)
label_value = st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_example(tmp_path_factory.mktemp("lifecycle-properties") / "platform")


def decorate(text: str, comments: list[tuple[int, str, bool]]) -> str:
    """Insert full-line comments before, and end-of-line comments after, chosen lines of a YAML file."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        for at, words, inline in comments:
            if at % (len(lines) + 1) == i and not inline:
                out.append(f"# {words}".rstrip())
        trailing = [w for at, w, inline in comments if inline and at % (len(lines) + 1) == i]
        stripped = line.rstrip()
        if trailing and stripped and not stripped.endswith(":") and not stripped.lstrip().startswith(("#", "-")):
            stripped += "  # " + " ".join(trailing).strip().replace("#", "")
        out.append(stripped)
    return "\n".join(out) + "\n"


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,  # the same cases in CI every time
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    comments=st.lists(st.tuples(st.integers(0, 40), comment_text, st.booleans()), max_size=6),
    labels=st.dictionaries(label_key, label_value, max_size=3),
    env=st.sampled_from(["dev", "staging"]),
)
def test_canary_keeps_comments_and_keys_and_rollback_restores_bytes(pristine: Path, tmp_path_factory, comments, labels, env) -> None:
    root = tmp_path_factory.mktemp("case") / "platform"
    shutil.copytree(pristine, root)
    base = root / "models" / MODEL / "inferenceservice.yaml"
    text = base.read_text()
    if labels:
        extra = "".join(f'    {k}: "{v}"\n' for k, v in sorted(labels.items()) if k not in ("team", "owner"))
        text = text.replace("  labels:\n", "  labels:\n" + extra, 1)
    base.write_text(decorate(text, comments))
    patch = root / "models" / MODEL / f"{env}.yaml"
    if patch.exists():
        patch.write_text(decorate(patch.read_text(), comments))
    before = {p: p.read_bytes() for p in (root / "models" / MODEL).iterdir()}
    data_before = {p: yaml.safe_load(b) for p, b in before.items()}

    out = lifecycle.canary(root, MODEL, env=env, percent=25, storage_uri=f"s3://acme-models-{env}/sklearn/iris/v9", validate=False)
    assert out.written
    for path, content in before.items():
        after = path.read_text()
        for line in content.decode().splitlines():
            if "#" in line:
                comment = line[line.index("#"):].strip()
                assert comment in after, f"{path.name}: lost comment {comment!r}"
        old_labels = (data_before[path].get("metadata") or {}).get("labels")
        new_labels = (yaml.safe_load(after).get("metadata") or {}).get("labels")
        assert new_labels == old_labels, f"{path.name}: labels changed"

    out = lifecycle.rollback(root, MODEL, env=env, validate=False)
    assert out.written
    after = {p: p.read_bytes() for p in (root / "models" / MODEL).iterdir()}
    assert after == before


@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(comments=st.lists(st.tuples(st.integers(0, 40), comment_text, st.booleans()), max_size=6))
def test_promote_keeps_every_comment(pristine: Path, tmp_path_factory, comments) -> None:
    root = tmp_path_factory.mktemp("promote") / "platform"
    shutil.copytree(pristine, root)
    folder = root / "models" / MODEL
    for path in folder.iterdir():
        path.write_text(decorate(path.read_text(), comments))
    comments_before = {p.name: _comments(p.read_text()) for p in folder.iterdir()}
    assert lifecycle.canary(root, MODEL, env="staging", percent=10, storage_uri="s3://acme-models-staging/sklearn/iris/v9", validate=False).written
    assert lifecycle.promote(root, MODEL, env="staging", validate=False).written
    for path in folder.iterdir():
        missing = comments_before.get(path.name, set()) - _comments(path.read_text())
        assert not missing, f"{path.name}: lost {missing}"
    promoted = yaml.safe_load((folder / "staging.yaml").read_text())
    assert promoted["spec"]["predictor"]["model"]["storageUri"].endswith("/v9") and "canary" not in promoted["spec"]


LEGACY = sorted((REPO / "tests" / "examples" / "legacy" / "models").rglob("*.yaml"))


@settings(max_examples=30, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate])
@given(
    legacy=st.sampled_from(LEGACY),
    comments=st.lists(st.tuples(st.integers(0, 40), comment_text, st.booleans()), max_size=6),
)
def test_migrate_keeps_every_comment_and_unrelated_key(legacy: Path, comments) -> None:
    from kserve_gitops.operate.migrate import migrate_text

    text = decorate(legacy.read_text(), comments)
    migrated = migrate_text(text, path=str(legacy))
    # a comment may move (the stable predictor's go with the stable-storage-uri annotation), never vanish
    missing = {c for c in _comments(text) if c.lstrip("#").strip() not in migrated}
    assert not missing, f"{legacy.name}: lost {missing}"
    before, after = yaml.safe_load(text), yaml.safe_load(migrated)
    assert (before.get("metadata") or {}).get("labels") == (after.get("metadata") or {}).get("labels")
    assert (before.get("metadata") or {}).get("name") == (after.get("metadata") or {}).get("name")
    assert migrate_text(migrated, path=str(legacy)) == migrated  # idempotent


def _comments(text: str) -> set[str]:
    return {line[line.index("#"):].strip() for line in text.splitlines() if "#" in line and line[line.index("#"):].strip() != "#"}
