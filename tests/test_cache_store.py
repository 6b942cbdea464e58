"""One cache mechanism (cachedir.JsonStore) for every disk cache: atomic writes that clean up, pruning,
versioned folders, and keys of content and repo-relative places, so a temporary copy of a repo (what
canary, promote and diff synthesize into) reuses the entries of the checkout instead of adding its own."""

from __future__ import annotations

import os
import time
from pathlib import Path

from conftest import copy_example
from kserve_gitops.cachedir import JsonStore
from kserve_gitops.render.cache import render_environment
from kserve_gitops.inputs.cache import load_inputs_cached


def test_put_get_and_a_corrupt_entry_is_a_miss(tmp_path: Path) -> None:
    store = JsonStore("things", 1, root=tmp_path)
    assert store.get("a") is None
    assert store.put("a", {"x": [1, 2]}) == tmp_path / "things" / "v1" / "a.json"
    assert store.get("a") == {"x": [1, 2]}
    store.path("a").write_text("{not json")
    assert store.get("a") is None


def test_a_write_that_fails_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = JsonStore("things", 1, root=tmp_path)
    store.put("ok", [1])
    assert store.put("bad", {"value": object()}) is None  # not JSON
    assert sorted(p.name for p in store.folder.iterdir()) == ["ok.json"]
    (tmp_path / "readonly").mkdir()
    (tmp_path / "readonly" / "things").write_text("a file where the folder should be")
    assert JsonStore("things", 1, root=tmp_path / "readonly").put("a", [1]) is None


def test_prune_keeps_the_newest_entries_and_drops_other_versions(tmp_path: Path) -> None:
    (tmp_path / "things" / "v0").mkdir(parents=True)
    (tmp_path / "things" / "v0" / "old.json").write_text("[]")
    (tmp_path / "things" / "flat-layout.json").write_text("[]")
    store = JsonStore("things", 1, keep=3, root=tmp_path)
    earlier = time.time_ns() - 100 * 10**9
    for i in range(5):  # written in the past, oldest first
        store.folder.mkdir(parents=True, exist_ok=True)
        store.path(f"k{i}").write_text(str(i))
        os.utime(store.path(f"k{i}"), ns=(earlier + i * 10**9,) * 2)
    store.put("k5", 5)  # prunes
    assert sorted(p.name for p in store.folder.iterdir()) == ["k3.json", "k4.json", "k5.json"]
    assert sorted(p.name for p in (tmp_path / "things").iterdir()) == ["v1"]


def test_a_temporary_copy_of_the_repo_hits_the_same_entries(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    checkout = copy_example(tmp_path / "checkout")
    load_inputs_cached(checkout, cache_dir=cache)
    render_environment(checkout / "overlays" / "dev", cache_dir=cache)
    before = sorted(p.relative_to(cache) for p in cache.rglob("*.json"))
    assert {p.parts[0] for p in before} == {"models", "render"}
    stamps = {p: (cache / p).stat().st_mtime_ns for p in before}

    scratch = copy_example(tmp_path / "scratch-copy")
    config, models = load_inputs_cached(scratch, cache_dir=cache)
    rendered = render_environment(scratch / "overlays" / "dev", cache_dir=cache)
    assert models and rendered.stream
    after = sorted(p.relative_to(cache) for p in cache.rglob("*.json"))
    assert after == before  # no entry of its own
    assert {p: (cache / p).stat().st_mtime_ns for p in after} == stamps  # and nothing rewritten: all hits
