"""The parsed-files cache: a file validate parsed before is read back from JSON, with the same documents,
indexes and findings; a change, a file JSON cannot hold exactly, an unparsable file and --no-cache miss."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kserve_gitops.validate.inputs import load_paths
from kserve_gitops.validate.run import ValidateOptions, validate_paths

GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: apps}\ndata: {k: v}\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: apps}\ndata: {n: 5}\n"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("KSERVE_GITOPS_CACHE", str(folder))
    monkeypatch.delenv("KSERVE_GITOPS_NO_CACHE", raising=False)
    monkeypatch.chdir(tmp_path)
    return folder / "parsed-files" / "v1"


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def documents(paths: list[str], **kw) -> list[tuple[str, int, object]]:
    return [(o.path, o.doc_index, o.data) for o in load_paths(paths, **kw).objects]


def test_a_second_run_reads_the_same_documents_from_the_cache(cache: Path) -> None:
    Path("m.yaml").write_text(GOOD)
    first = documents(["m.yaml"])
    assert [index for _, index, _ in first] == [0, 2]  # the empty document keeps its place
    [entry] = entries(cache)
    assert json.loads(entry.read_text()) == [[0, first[0][2]], [2, first[1][2]]]
    assert documents(["m.yaml"]) == first


def test_findings_are_the_same_from_the_cache(cache: Path) -> None:
    Path("m.yaml").write_text(GOOD.replace("{n: 5}", "{n: 5}\n"))
    options = ValidateOptions(kubernetes_version="1.32", policies=False, admission=False)
    first = validate_paths(["m.yaml"], options).findings
    assert entries(cache)
    second = validate_paths(["m.yaml"], options).findings
    assert [(f.rule, f.line, f.column, f.message) for f in first] == [(f.rule, f.line, f.column, f.message) for f in second]
    assert [(f.line, f.json_path) for f in first] == [(10, "data.n")]  # `n: 5` is no string


def test_a_changed_file_is_parsed_again(cache: Path) -> None:
    Path("m.yaml").write_text(GOOD)
    documents(["m.yaml"])
    Path("m.yaml").write_text(GOOD.replace("name: b", "name: c"))
    assert documents(["m.yaml"])[1][2]["metadata"]["name"] == "c"
    assert len(entries(cache)) == 2


def test_a_file_json_cannot_hold_exactly_is_not_cached(cache: Path) -> None:
    Path("m.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {1: one}\n")
    assert documents(["m.yaml"])[0][2]["data"] == {1: "one"}  # an int key: JSON would make it "1"
    assert entries(cache) == []
    assert documents(["m.yaml"])[0][2]["data"] == {1: "one"}


def test_a_file_that_does_not_parse_is_reported_afresh_each_run(cache: Path) -> None:
    Path("bad.yaml").write_text("a: [1, 2\n")
    for _ in range(2):
        [error] = load_paths(["bad.yaml"]).errors
        assert (error.path, error.line) == ("bad.yaml", 2)
    assert entries(cache) == []


def test_no_cache_reads_and_writes_nothing(cache: Path) -> None:
    Path("m.yaml").write_text(GOOD)
    documents(["m.yaml"], use_cache=False)
    assert entries(cache) == []


def test_the_no_cache_environment_variable_turns_it_off(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSERVE_GITOPS_NO_CACHE", "1")
    Path("m.yaml").write_text(GOOD)
    documents(["m.yaml"])
    assert entries(cache) == []


def test_many_files_parsed_in_workers_are_cached_and_read_back(cache: Path) -> None:
    Path("d").mkdir()
    for i in range(20):  # enough for the worker pool
        Path(f"d/f{i:02d}.yaml").write_text(GOOD.replace("name: a", f"name: a{i}"))
    first = documents(["d"])
    assert len(entries(cache)) == 20
    assert documents(["d"]) == first
