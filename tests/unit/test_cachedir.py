"""cachedir: where the cache folder is, and the JsonStore cases tests/test_cache_store.py leaves out:
the store follows the environment at use time, overwrites, what a miss is, and what pruning spares."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from kserve_gitops.cachedir import JsonStore, cache_dir


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No cache variables; HOME in tmp_path."""
    monkeypatch.delenv("KSERVE_GITOPS_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_cache_dir_precedence(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cache_dir() == clean_env / "home" / ".cache" / "kserve-gitops"
    monkeypatch.setenv("XDG_CACHE_HOME", str(clean_env / "xdg"))
    assert cache_dir() == clean_env / "xdg" / "kserve-gitops"
    monkeypatch.setenv("KSERVE_GITOPS_CACHE", str(clean_env / "explicit"))
    assert cache_dir() == clean_env / "explicit"  # used as it is: no kserve-gitops folder under it


def test_empty_variables_count_as_unset(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSERVE_GITOPS_CACHE", "")
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    assert cache_dir() == clean_env / "home" / ".cache" / "kserve-gitops"


def test_a_store_without_a_root_follows_the_environment_when_used(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # module-level stores are made at import time; the folder must be decided at each use
    store = JsonStore("crd-json", 3)
    monkeypatch.setenv("KSERVE_GITOPS_CACHE", str(clean_env / "one"))
    assert store.put("k", [1]) == clean_env / "one" / "crd-json" / "v3" / "k.json"
    monkeypatch.setenv("KSERVE_GITOPS_CACHE", str(clean_env / "two"))
    assert store.folder == clean_env / "two" / "crd-json" / "v3"
    assert store.get("k") is None
    monkeypatch.setenv("KSERVE_GITOPS_CACHE", str(clean_env / "one"))
    assert store.get("k") == [1]


def test_an_entry_is_compact_json_and_a_put_replaces_it(tmp_path: Path) -> None:
    store = JsonStore("things", 1, root=tmp_path)
    path = store.put("a", {"b": [1, 2], "é": None})
    assert path.read_text(encoding="utf-8") == '{"b":[1,2],"\\u00e9":null}'
    assert store.put("a", "second") == path
    assert store.get("a") == "second"
    assert sorted(p.name for p in store.folder.iterdir()) == ["a.json"]


@pytest.mark.parametrize("value", [0, "", [], {}, False])
def test_a_falsy_value_is_stored_and_read_back(tmp_path: Path, value) -> None:
    # only None means a miss
    store = JsonStore("things", 1, root=tmp_path)
    store.put("k", value)
    assert store.get("k") == value and store.get("k") is not None


@pytest.mark.parametrize(
    "make",
    [
        lambda p: p.mkdir(parents=True),  # a folder where the entry should be
        lambda p: (p.parent.mkdir(parents=True), p.write_bytes(b"\xff\xfe not json")),
        lambda p: (p.parent.mkdir(parents=True), p.write_text("")),
    ],
)
def test_an_unreadable_entry_is_a_miss(tmp_path: Path, make) -> None:
    store = JsonStore("things", 1, root=tmp_path)
    make(store.path("k"))
    assert store.get("k") is None


def test_a_missing_store_is_a_miss_and_prunes_quietly(tmp_path: Path) -> None:
    store = JsonStore("never-written", 1, root=tmp_path / "nowhere")
    assert store.get("k") is None
    store.prune()
    assert not (tmp_path / "nowhere").exists()


def test_tuples_are_stored_as_lists(tmp_path: Path) -> None:
    store = JsonStore("things", 1, root=tmp_path)
    store.put("k", {"pair": (1, 2)})
    assert store.get("k") == {"pair": [1, 2]}


def test_a_value_json_cannot_hold_writes_nothing(tmp_path: Path) -> None:
    store = JsonStore("things", 1, root=tmp_path)
    assert store.put("k", {1j: "complex key"}) is None
    assert store.put("k", {("a", "b"): 1}) is None
    assert not store.folder.exists() or list(store.folder.iterdir()) == []


def test_prune_spares_what_is_not_an_entry_of_another_version(tmp_path: Path) -> None:
    parent = tmp_path / "things"
    for folder in ("v0", "v2", "custom"):
        (parent / folder).mkdir(parents=True)
        (parent / folder / "e.json").write_text("[]")
    (parent / "README").write_text("not an entry")
    (parent / "legacy.json").write_text("[]")
    store = JsonStore("things", 1, root=tmp_path)
    (store.folder).mkdir()
    (store.folder / ".tmp-crashed.json").write_text("{")  # a temporary file is not an entry
    (store.folder / "notes.txt").write_text("x")
    store.put("k", 1)
    assert sorted(p.name for p in parent.iterdir()) == ["README", "custom", "v1"]
    assert sorted(p.name for p in store.folder.iterdir()) == [".tmp-crashed.json", "k.json", "notes.txt"]


def test_prune_counts_only_this_versions_entries(tmp_path: Path) -> None:
    store = JsonStore("things", 2, keep=2, root=tmp_path)
    store.folder.mkdir(parents=True)
    past = time.time_ns() - 100 * 10**9
    for i, name in enumerate(["old", "mid", "new"]):
        (store.folder / f"{name}.json").write_text(json.dumps(i))
        os.utime(store.folder / f"{name}.json", ns=(past + i * 10**9,) * 2)
    store.prune()
    assert sorted(p.name for p in store.folder.iterdir()) == ["mid.json", "new.json"]
    assert store.get("old") is None and store.get("new") == 2
