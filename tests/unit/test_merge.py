"""merge_patch: how an environment patch (models/<name>/<env>.yaml) lands on the model. It must match what
kustomize does to a custom resource without a patch strategy: maps merge key by key, lists are replaced
whole (never merged by name), null deletes (and is dropped from a map the patch adds), and a scalar of
another type replaces the old one. tests/unit/test_model_input_bugs.py checks the same against kustomize."""

from __future__ import annotations

import copy

import pytest

from kserve_gitops.inputs.merge import dig, merge_patch

CASES = {
    "maps merge key by key": (
        {"spec": {"predictor": {"minReplicas": 1, "maxReplicas": 3}}},
        {"spec": {"predictor": {"minReplicas": 2}}},
        {"spec": {"predictor": {"minReplicas": 2, "maxReplicas": 3}}},
    ),
    "new keys are added at any depth": (
        {"metadata": {"name": "iris"}},
        {"metadata": {"annotations": {"team": "a"}}, "spec": {"predictor": {"minReplicas": 0}}},
        {"metadata": {"name": "iris", "annotations": {"team": "a"}}, "spec": {"predictor": {"minReplicas": 0}}},
    ),
    "an empty patch changes nothing": (
        {"a": {"b": 1}},
        {},
        {"a": {"b": 1}},
    ),
    "an empty map merges as nothing": (
        {"a": {"b": 1}},
        {"a": {}},
        {"a": {"b": 1}},
    ),
    "lists are replaced whole": (
        {"args": ["--a", "--b"]},
        {"args": ["--c"]},
        {"args": ["--c"]},
    ),
    "lists of named items are replaced, not merged by name": (
        {"containers": [{"name": "main", "image": "a:1"}, {"name": "sidecar", "image": "s:1"}]},
        {"containers": [{"name": "main", "image": "a:2"}]},
        {"containers": [{"name": "main", "image": "a:2"}]},
    ),
    "an empty list empties the list": (
        {"env": [{"name": "A", "value": "1"}]},
        {"env": []},
        {"env": []},
    ),
    "null deletes a key": (
        {"spec": {"predictor": {"minReplicas": 1, "maxReplicas": 3}}},
        {"spec": {"predictor": {"maxReplicas": None}}},
        {"spec": {"predictor": {"minReplicas": 1}}},
    ),
    "null deletes a whole subtree": (
        {"metadata": {"name": "x", "annotations": {"a": "1", "b": "2"}}},
        {"metadata": {"annotations": None}},
        {"metadata": {"name": "x"}},
    ),
    "null of a key that is not there is nothing": (
        {"a": 1},
        {"b": None},
        {"a": 1},
    ),
    "scalars replace, whatever their type": (
        {"a": 1, "b": "x", "c": True, "d": 1.5},
        {"a": "1", "b": 2, "c": False, "d": 0},
        {"a": "1", "b": 2, "c": False, "d": 0},
    ),
    "falsy values are values, not deletions": (
        {"a": 1, "b": "x", "c": True, "d": [1]},
        {"a": 0, "b": "", "c": False, "d": []},
        {"a": 0, "b": "", "c": False, "d": []},
    ),
    "nulls inside a map the patch adds are dropped, the map kept": (
        {"a": 1},
        {"b": {"c": None, "d": {"e": None}, "f": [None]}},
        {"a": 1, "b": {"d": {}, "f": [None]}},
    ),
    "nulls inside a list are kept as written": (
        {"a": [1]},
        {"a": [None, {"b": None}]},
        {"a": [None, {"b": None}]},
    ),
    "keys keep the base's order, new keys come last": (
        {"z": 1, "a": 2},
        {"m": 3, "z": 4},
        {"z": 4, "a": 2, "m": 3},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_merge_patch_table(case: str) -> None:
    base, patch, expected = CASES[case]
    result = merge_patch(base, patch)
    assert result == expected
    assert list(result) == list(expected)  # the order synth writes keys in


@pytest.mark.parametrize(
    "base, patch, expected",
    [
        ({"a": 1}, None, None),  # a patch that is not a map replaces the whole document
        ({"a": 1}, [1], [1]),
        ({"a": 1}, "x", "x"),
        ([1, 2], {"a": 1}, {"a": 1}),  # a base that is not a map is replaced by the patch
        (None, {"a": {"b": 1}}, {"a": {"b": 1}}),
        (None, {"a": {"b": None}}, {"a": {}}),  # merged into nothing: its nulls are dropped
        ("x", 3, 3),
    ],
)
def test_merge_patch_of_documents_that_are_not_maps(base, patch, expected) -> None:
    assert merge_patch(base, patch) == expected


def test_merge_patch_never_changes_its_inputs_nor_shares_their_parts() -> None:
    base = {"spec": {"predictor": {"minReplicas": 1, "args": ["--a"]}, "keep": {"x": [1]}}}
    patch = {"spec": {"predictor": {"args": ["--b"], "env": [{"name": "A"}]}, "drop": None}}
    before = (copy.deepcopy(base), copy.deepcopy(patch))
    result = merge_patch(base, patch)
    assert (base, patch) == before
    result["spec"]["keep"]["x"].append(2)
    result["spec"]["predictor"]["env"][0]["name"] = "B"
    assert base["spec"]["keep"]["x"] == [1]
    assert patch["spec"]["predictor"]["env"] == [{"name": "A"}]


def test_merging_twice_is_the_same_as_merging_once() -> None:
    base = {"spec": {"predictor": {"minReplicas": 1, "maxReplicas": 2}}}
    patch = {"spec": {"predictor": {"minReplicas": 3, "maxReplicas": None}}}
    once = merge_patch(base, patch)
    assert merge_patch(once, patch) == once == {"spec": {"predictor": {"minReplicas": 3}}}


@pytest.mark.parametrize(
    "path, expected",
    [
        (("spec", "predictor", "minReplicas"), 1),
        (("spec", "containers", 0, "name"), "main"),
        (("spec", "containers", 1), None),  # past the end
        (("spec", "containers", -1), None),  # no negative indexes
        (("spec", "containers", "0"), None),  # a string does not index a list
        (("spec", "predictor", "minReplicas", "deeper"), None),
        (("nothing",), None),
        ((), {"spec": {"predictor": {"minReplicas": 1}, "containers": [{"name": "main"}], "zero": 0}}),
        (("spec", "zero"), 0),  # a falsy value is found, not the default
    ],
)
def test_dig(path: tuple, expected) -> None:
    data = {"spec": {"predictor": {"minReplicas": 1}, "containers": [{"name": "main"}], "zero": 0}}
    assert dig(data, *path) == expected


def test_dig_default_only_when_the_path_is_missing() -> None:
    data = {"a": {"b": None}}
    assert dig(data, "a", "c", default="d") == "d"
    assert dig(data, "a", "b", default="d") is None  # present, and null
    assert dig(None, "a", default=7) == 7
