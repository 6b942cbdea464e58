"""render/stream.py: the one reader of rendered multi-document YAML (render's cache, diff, validate), on
Lists, nested Lists, empty documents and the positions each object keeps."""

from __future__ import annotations

import pytest

from kserve_gitops.errors import RenderError
from kserve_gitops.render.stream import is_list, list_items, load_document, parse_rendered, parse_stream, split_stream
from kserve_gitops.validate.base import index_stream

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: ns}\n"


def item(name: str) -> str:
    """A ConfigMap as an entry of a List's ``items``."""
    return "- " + (CM % name).rstrip("\n").replace("\n", "\n  ") + "\n"


def objects(stream: str) -> list[tuple[int, tuple, str]]:
    return [(o.doc_index, o.json_path, o.data["metadata"]["name"]) for o in parse_stream(stream)]


def test_documents_in_order_with_their_index() -> None:
    assert objects(CM % "a" + "---\n" + CM % "b") == [(0, (), "a"), (1, (), "b")]


def test_empty_documents_are_dropped_and_not_counted() -> None:
    stream = "---\n" + CM % "a" + "---\n---\n# only a comment\n---\n" + CM % "b" + "---\n"
    assert objects(stream) == [(0, (), "a"), (1, (), "b")]
    assert parse_stream("") == [] and parse_stream("---\n---\n") == []


def test_a_list_is_unwrapped_with_each_items_json_path() -> None:
    stream = CM % "a" + "---\napiVersion: v1\nkind: List\nitems:\n" + item("b") + item("c")
    assert objects(stream) == [(0, (), "a"), (1, ("items", 0), "b"), (1, ("items", 1), "c")]


def test_nested_lists_are_unwrapped_too() -> None:
    inner = {"kind": "List", "items": [{"kind": "ConfigMap", "metadata": {"name": "deep"}}]}
    outer = {"kind": "List", "items": [{"kind": "ConfigMap", "metadata": {"name": "top"}}, inner]}
    assert [(path, obj["metadata"]["name"]) for path, obj in list_items(outer)] == [
        (("items", 0), "top"),
        (("items", 1, "items", 0), "deep"),
    ]


def test_empty_and_malformed_lists() -> None:
    assert list(list_items({"kind": "List", "items": []})) == []
    # items that is not a list: the document itself, for the checks to report
    for doc in ({"kind": "List"}, {"kind": "List", "items": None}, {"kind": "List", "items": {"a": 1}}):
        assert list(list_items(doc)) == [((), doc)]
    assert list(list_items("text")) == [((), "text")]
    assert is_list({"kind": "List"}) and not is_list({"kind": "ConfigMap"}) and not is_list(["List"])


def test_yaml_that_does_not_parse_is_a_render_error_naming_the_path() -> None:
    with pytest.raises(RenderError, match="does not parse") as caught:
        parse_stream("a: [\n", path="overlays/dev")
    assert caught.value.path == "overlays/dev"
    with pytest.raises(RenderError):
        load_document("a: [\n")


def test_timestamps_stay_strings_as_kubernetes_reads_them() -> None:
    assert parse_stream("kind: ConfigMap\ndata: {at: 2024-01-02}\n")[0].data["data"]["at"] == "2024-01-02"


def test_parse_rendered_is_parse_stream_as_loaded_objects() -> None:
    stream = CM % "a" + "---\nkind: List\nitems:\n" + item("b")
    loaded = parse_rendered(stream, environment="dev", path="overlays/dev")
    assert [(o.data["metadata"]["name"], o.doc_index, o.path, o.environment) for o in loaded] == [
        ("a", 0, "overlays/dev", "dev"),
        ("b", 1, "overlays/dev", "dev"),
    ]


def test_index_stream_keys_objects_and_skips_what_is_no_mapping() -> None:
    stream = CM % "a" + "---\n- not an object\n---\nkind: List\nitems: [" + "{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}}, 3]\n"
    assert sorted(index_stream(stream)) == [("", "ConfigMap", "ns", "a"), ("apps", "Deployment", "", "d")]


def test_split_stream_keeps_each_documents_bytes() -> None:
    stream = CM % "a" + "---\n" + CM % "b"
    docs = split_stream(stream)
    assert docs == [CM % "a", CM % "b"]
    assert "---\n".join(docs) == stream
    assert split_stream("a: 1\n---\nb: 2") == ["a: 1\n", "b: 2\n"]  # a last document without its newline gets one
    assert split_stream(" \n") == []
    assert [load_document(d)["metadata"]["name"] for d in docs] == ["a", "b"]
