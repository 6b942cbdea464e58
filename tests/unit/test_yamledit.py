"""operate/yamledit: a file loads with the layout that writes it back byte for byte (nulls as spelt, comment-only
files as they are), an edit changes only the keys it names, and a file no layout reproduces is refused instead
of reformatted."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from kserve_gitops.errors import YamlError
from kserve_gitops.operate import yamledit

MODEL = (
    "# iris, as the data science team wrote it\n"
    "apiVersion: serving.kserve.io/v1beta1\n"
    "kind: InferenceService\n"
    "metadata:\n"
    "  name: 'iris'  # the name\n"
    "  labels:\n"
    "    team: ds\n"
    "spec:\n"
    "  predictor:\n"
    "    model:\n"
    '      storageUri: "s3://b/v1"\n'
    "    # closing comment\n"
)


def edited(text: str, *edits) -> str:
    """``text`` parsed, each ``(path, value)`` set in turn, dumped."""
    doc = yamledit.parse(text, path="m.yaml")
    for path, value in edits:
        yamledit.set_in(doc.data, path, value)
    return doc.dump()


# --- layouts that round-trip -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, indent",
    [
        ("spec:\n  containers:\n    - name: a\n      image: x\n", (2, 4, 2)),
        ("spec:\n  containers:\n  - name: a\n    image: x\n", (2, 2, 0)),
        ("spec:\n    containers:\n      - name: a\n        image: x\n", (4, 4, 2)),
        ("spec:\n    containers:\n        - name: a\n          image: x\n", (4, 6, 4)),
        ("spec:\n    containers:\n    -   name: a\n        image: x\n", (4, 4, 0)),
        ("spec:\n   containers:\n   -  name: a\n      image: x\n", (3, 3, 0)),
        ("a: {b: 1, c: [1, 2]}\n", (2, 4, 2)),  # flow style: the first layout already reproduces it
        ("- a\n- b\n", (2, 2, 0)),
    ],
)
def test_each_supported_layout_is_detected_and_unchanged(text: str, indent: tuple[int, int, int]) -> None:
    doc = yamledit.parse(text, path="m.yaml")
    assert doc.indent == indent
    assert doc.original == text
    assert doc.changed is False
    assert doc.dump() == text


def test_an_edit_keeps_the_files_layout_for_new_blocks() -> None:
    # A list added to a 4-space file with dash-at-key-column items is written the same way.
    text = "spec:\n    containers:\n    -   name: a\n        image: x\n"
    doc = yamledit.parse(text, path="m.yaml")
    yamledit.set_in(doc.data, ["spec", "volumes"], [{"name": "cache"}])
    assert doc.dump() == text + "    volumes:\n    -   name: cache\n"
    doc = yamledit.parse("spec:\n  containers:\n  - name: a\n", path="m.yaml")
    yamledit.set_in(doc.data, ["spec", "volumes"], [{"name": "cache", "emptyDir": {}}])
    assert doc.dump() == "spec:\n  containers:\n  - name: a\n  volumes:\n  - name: cache\n    emptyDir: {}\n"


@pytest.mark.parametrize(
    "text",
    [
        "a:\n  b: 1\nc:\n    d: 2\n",  # two indentations in one file
        "spec:\n    containers:\n    - name: a\n      image: x\n",  # 4-space maps, items at 2: no such layout
        "hello\n",  # a bare scalar document
        "args:\n  -\n  - 1\n",  # an empty list item: ruamel writes it back as "- " (a trailing space)
    ],
)
def test_a_file_no_layout_reproduces_is_refused(text: str) -> None:
    with pytest.raises(YamlError) as caught:
        yamledit.parse(text, path="models/iris/dev.yaml")
    assert str(caught.value) == (
        "models/iris/dev.yaml: cannot edit this file without reformatting it (its indentation or layout does not round-trip)\n"
        "  hint: re-indent it consistently (2 spaces, list items indented under their key) and try again"
    )


@pytest.mark.parametrize(
    "text, line, column, problem",
    [
        ("a: [1\n", 2, 1, "expected ',' or ']', but got '<stream end>'"),
        ("a: 1\n b: 2\n", 2, 3, "mapping values are not allowed here"),
        ("a: b: c\n", 1, 5, "mapping values are not allowed here"),
        ("a: 1\na: 2\n", 2, 1, 'found duplicate key "a" with value "2" (original value: "1")'),
        ("a: 1\n---\nb: 2\n", 2, 1, "but found another document"),
    ],
)
def test_a_syntax_error_names_the_line_and_column(text: str, line: int, column: int, problem: str) -> None:
    with pytest.raises(YamlError) as caught:
        yamledit.parse(text, path="m.yaml")
    error = caught.value
    assert (error.path, error.line, error.column) == ("m.yaml", line, column)
    assert error.message == f"cannot parse YAML: {problem}"


def test_blank_text_is_an_empty_mapping_written_in_the_new_file_layout() -> None:
    doc = yamledit.parse("  \n\n", path="m.yaml")
    assert isinstance(doc.data, CommentedMap) and dict(doc.data) == {}
    assert doc.indent == yamledit.NEW_FILE_INDENT == (2, 4, 2)
    assert doc.changed is False and doc.dump() == "  \n\n"  # left as it is, not written as "{}"
    yamledit.set_in(doc.data, ["spec", "predictor", "args"], ["--workers", 2])
    assert doc.changed is True
    assert doc.dump() == "spec:\n  predictor:\n    args:\n      - --workers\n      - 2\n"


@pytest.mark.parametrize(
    "text, head",
    [
        ("# dev: nothing differs yet\n", "# dev: nothing differs yet\n"),
        ("# no newline at the end", "# no newline at the end\n"),
        # blank lines before the comments, and spaces on blank lines, do not round-trip in ruamel: not kept
        ("\n  \n# a\n  \n# b\n\n", "# a\n\n# b\n\n"),
    ],
)
def test_a_comment_only_file_is_an_empty_mapping_that_keeps_its_comments(text: str, head: str) -> None:
    doc = yamledit.parse(text, path="dev.yaml")
    assert isinstance(doc.data, CommentedMap) and dict(doc.data) == {}
    assert doc.indent == (2, 4, 2)
    assert doc.changed is False and doc.dump() == text
    yamledit.set_in(doc.data, ["spec", "predictor", "minReplicas"], 2)
    out = doc.dump()
    assert out == head + "spec:\n  predictor:\n    minReplicas: 2\n"
    assert yamledit.parse(out, path="dev.yaml").dump() == out
    # Emptied again, it is the file as it was.
    yamledit.delete_in(doc.data, ["spec", "predictor", "minReplicas"])
    assert doc.changed is False


def test_an_explicit_null_document_is_not_a_comment_only_file() -> None:
    with pytest.raises(YamlError, match="cannot edit this file without reformatting it"):
        yamledit.parse("# c\nnull\n", path="m.yaml")


# --- nulls keep their spelling ---------------------------------------------------------------------------

NULLS = (
    "# a patch: null deletes the key from the base\n"
    "metadata:\n"
    "  annotations:\n"
    "    a: null\n"
    "    b: ~  # tilde\n"
    "    c: Null\n"
    "    d: NULL\n"
    "    e:\n"
    "    f: 'null'\n"  # a string, not a null
    "spec:\n"
    "  predictor:\n"
    "    canaryTrafficPercent: ~\n"
    "    args:\n"
    "      - null\n"
    "      - ~\n"
    "      - x\n"
    "    env: {a: ~, b: null, c: NULL}\n"
    "    list: [~, Null, 1]\n"
    "    model:\n"
    "      storageUri: s3://b/v1\n"
)


@pytest.mark.parametrize("spelling", ["null", "~", "Null", "NULL", ""])
def test_each_null_spelling_round_trips_byte_for_byte(spelling: str) -> None:
    value = f" {spelling}" if spelling else ""
    for text in (f"a:{value}\n", f"a:{value}  # why\nb: 1\n", f"x:\n  a:{value}\n  b: 1\n"):
        doc = yamledit.parse(text, path="m.yaml")
        assert yamledit.get_in(doc.data, ["x", "a"] if "x" in doc.data else ["a"], "absent") is None
        assert doc.changed is False and doc.dump() == text
    if spelling:
        for text in (f"- {spelling}\n- 1\n", f"a: [{spelling}, 1]\nb: {{c: {spelling}}}\n"):
            doc = yamledit.parse(text, path="m.yaml")
            assert doc.changed is False and doc.dump() == text


def test_a_file_with_every_null_spelling_round_trips_and_an_edit_elsewhere_keeps_them() -> None:
    doc = yamledit.parse(NULLS, path="models/iris/dev.yaml")
    assert doc.changed is False and doc.dump() == NULLS
    assert doc.data["metadata"]["annotations"]["a"] is None and doc.data["metadata"]["annotations"]["f"] == "null"
    yamledit.set_in(doc.data, ["spec", "predictor", "model", "storageUri"], "s3://b/v2")
    yamledit.set_in(doc.data, ["metadata", "labels", "tier"], "gold")
    assert doc.dump() == NULLS.replace("s3://b/v1", "s3://b/v2").replace("spec:\n", "  labels:\n    tier: gold\nspec:\n")


def test_a_null_that_is_replaced_or_deleted_goes_and_a_new_null_is_written_empty() -> None:
    doc = yamledit.parse(NULLS, path="m.yaml")
    yamledit.set_in(doc.data, ["spec", "predictor", "canaryTrafficPercent"], 10)
    assert yamledit.delete_in(doc.data, ["metadata", "annotations", "b"]) is True
    yamledit.set_in(doc.data, ["metadata", "annotations", "g"], None)
    assert doc.dump() == (
        NULLS.replace("canaryTrafficPercent: ~", "canaryTrafficPercent: 10")
        .replace("    b: ~  # tilde\n", "")
        .replace("    f: 'null'\n", "    f: 'null'\n    g:\n")
    )
    # Set back to null, a key keeps the spelling it was read with.
    yamledit.set_in(doc.data, ["spec", "predictor", "canaryTrafficPercent"], None)
    assert "    canaryTrafficPercent: ~\n" in doc.dump()


def test_load_of_a_patch_with_nulls_can_be_edited(tmp_path: Path) -> None:
    patch = tmp_path / "dev.yaml"
    patch.write_text("metadata:\n  labels:\n    tier: null\nspec:\n  predictor:\n    minReplicas: ~\n")
    doc = yamledit.load(patch, display="models/iris/dev.yaml")
    yamledit.set_in(doc.data, ["spec", "predictor", "canaryTrafficPercent"], 10)
    assert doc.dump() == "metadata:\n  labels:\n    tier: null\nspec:\n  predictor:\n    minReplicas: ~\n    canaryTrafficPercent: 10\n"


# --- load ------------------------------------------------------------------------------------------------


def test_load_of_a_missing_file_is_a_new_document(tmp_path: Path) -> None:
    doc = yamledit.load(tmp_path / "staging.yaml", display="models/iris/staging.yaml")
    assert doc.original is None and doc.changed is True  # a new file is always written
    assert doc.indent == (2, 4, 2)
    yamledit.set_in(doc.data, ["metadata", "labels", "tier"], "gold")
    assert doc.dump() == "metadata:\n  labels:\n    tier: gold\n"


def test_load_reads_utf8_and_refuses_other_bytes(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_bytes("metadata:\n  annotations:\n    owner: Zoë  # ünïcode\n".encode())
    doc = yamledit.load(good, display="good.yaml")
    assert doc.changed is False and doc.data["metadata"]["annotations"]["owner"] == "Zoë"
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: \xff\n")
    with pytest.raises(YamlError) as caught:
        yamledit.load(bad, display="models/x/bad.yaml")
    assert str(caught.value) == "models/x/bad.yaml: is not UTF-8 text"


# --- set_in ----------------------------------------------------------------------------------------------


def test_set_keeps_comments_quotes_and_key_order() -> None:
    out = edited(MODEL, (["spec", "predictor", "model", "storageUri"], "s3://b/v2"), (["metadata", "name"], "iris2"))
    # Only the two values change; the comment after the longer name keeps its column (one space is the least).
    assert out == MODEL.replace('"s3://b/v1"', '"s3://b/v2"').replace("name: 'iris'  # the name", "name: 'iris2' # the name")


def test_an_existing_string_keeps_its_quote_style_and_a_non_string_drops_it() -> None:
    out = edited("a: 'x'\nb: \"y\"\nc: z\nd: '1'\n", (["a"], "new"), (["b"], "new"), (["c"], "new"), (["d"], 5))
    assert out == "a: 'new'\nb: \"new\"\nc: new\nd: 5\n"


def test_a_new_string_is_quoted_only_where_yaml_needs_it() -> None:
    out = edited("a: 1\n", (["version"], "1"), (["flag"], "true"), (["uri"], "s3://b/m"), (["empty"], ""))
    assert out == "a: 1\nversion: '1'\nflag: 'true'\nuri: s3://b/m\nempty: ''\n"


def test_a_new_scalar_goes_before_the_first_nested_block() -> None:
    out = edited(MODEL, (["metadata", "namespace"], "ns"), (["spec", "predictor", "canaryTrafficPercent"], 10))
    assert out == MODEL.replace("  name: 'iris'  # the name\n", "  name: 'iris'  # the name\n  namespace: ns\n").replace(
        "  predictor:\n", "  predictor:\n    canaryTrafficPercent: 10\n"
    )


def test_a_new_block_goes_last_and_the_closing_comment_stays_last() -> None:
    out = edited(MODEL, (["spec", "predictor", "resources"], {"limits": {"cpu": "1", "nvidia.com/gpu": 1}}))
    assert out == MODEL.replace(
        "    # closing comment\n",
        "    resources:\n      limits:\n        cpu: '1'\n        nvidia.com/gpu: 1\n    # closing comment\n",
    )


def test_a_new_mapping_between_existing_ones_is_created_in_place() -> None:
    out = edited(MODEL, (["metadata", "annotations", "a"], "b"))
    assert out == MODEL.replace("    team: ds\n", "    team: ds\n  annotations:\n    a: b\n")


def test_first_puts_a_new_top_level_mapping_before_the_others() -> None:
    text = "# dev's differences\nspec:\n  predictor:\n    minReplicas: 1\n"
    doc = yamledit.parse(text, path="dev.yaml")
    yamledit.set_in(doc.data, ["metadata", "annotations", "k"], "v", first=True)
    assert doc.dump() == "# dev's differences\nmetadata:\n  annotations:\n    k: v\nspec:\n  predictor:\n    minReplicas: 1\n"
    doc = yamledit.parse(text, path="dev.yaml")
    yamledit.set_in(doc.data, ["metadata", "annotations", "k"], "v")
    assert doc.dump() == text + "metadata:\n  annotations:\n    k: v\n"


def test_before_puts_a_new_top_level_mapping_above_that_key_and_its_comments() -> None:
    text = "apiVersion: v1\nkind: X  # k\n# what it serves\nspec:\n  a: 1\n"
    doc = yamledit.parse(text, path="m.yaml")
    yamledit.set_in(doc.data, ["metadata", "annotations", "k"], "v", before="spec")
    assert doc.dump() == "apiVersion: v1\nkind: X  # k\nmetadata:\n  annotations:\n    k: v\n# what it serves\nspec:\n  a: 1\n"
    doc = yamledit.parse("spec:\n  a: 1\n", path="m.yaml")  # first, with nothing before it
    yamledit.set_in(doc.data, ["metadata", "name"], "x", before="spec")
    assert doc.dump() == "metadata:\n  name: x\nspec:\n  a: 1\n"
    doc = yamledit.parse("kind: X\n", path="m.yaml")  # no such key: last
    yamledit.set_in(doc.data, ["metadata", "name"], "x", before="spec")
    assert doc.dump() == "kind: X\nmetadata:\n  name: x\n"


def test_a_new_mapping_on_the_way_goes_before_the_comments_that_close_its_parent() -> None:
    text = "metadata:\n  name: iris\n  # closing\n# about spec\nspec: {}\n"
    out = edited(text, (["metadata", "annotations", "k"], "v"))
    assert out == "metadata:\n  name: iris\n  annotations:\n    k: v\n  # closing\n# about spec\nspec: {}\n"
    out = edited(MODEL, (["spec", "predictor", "resources", "limits", "cpu"], "1"))
    assert out == MODEL.replace("    # closing comment\n", "    resources:\n      limits:\n        cpu: '1'\n    # closing comment\n")


def test_first_does_not_move_an_existing_mapping() -> None:
    text = "spec:\n  a: 1\nmetadata:\n  name: x\n"
    doc = yamledit.parse(text, path="m.yaml")
    yamledit.set_in(doc.data, ["metadata", "labels", "k"], "v", first=True)
    assert doc.dump() == "spec:\n  a: 1\nmetadata:\n  name: x\n  labels:\n    k: v\n"


def test_a_scalar_on_the_way_is_replaced_by_a_mapping() -> None:
    out = edited("metadata: ''\nspec: {}\n", (["metadata", "name"], "x"))
    assert out == "metadata:\n  name: x\nspec: {}\n"


def test_setting_the_same_value_leaves_the_document_unchanged() -> None:
    doc = yamledit.parse(MODEL, path="m.yaml")
    yamledit.set_in(doc.data, ["spec", "predictor", "model", "storageUri"], "s3://b/v1")
    assert doc.changed is False and doc.dump() == MODEL


# --- delete_in -------------------------------------------------------------------------------------------

DELETABLE = (
    "metadata:\n"
    "  name: iris\n"
    "  annotations:\n"
    '    a: "1"  # eol\n'
    "spec:\n"
    "  predictor:\n"
    "    canaryTrafficPercent: 10  # ten\n"
    "    model:\n"
    "      storageUri: s3://b/v2\n"
    "  # about the transformer\n"
    "  transformer:\n"
    "    containers:\n"
    "      - image: t\n"
    "# end of file\n"
)


def test_delete_removes_the_key_with_its_comment_and_empty_parents() -> None:
    doc = yamledit.parse(DELETABLE, path="m.yaml")
    assert yamledit.delete_in(doc.data, ["metadata", "annotations", "a"]) is True
    assert yamledit.delete_in(doc.data, ["spec", "predictor", "canaryTrafficPercent"]) is True
    assert doc.dump() == DELETABLE.replace('  annotations:\n    a: "1"  # eol\n', "").replace("    canaryTrafficPercent: 10  # ten\n", "")


@pytest.mark.parametrize(
    "path",
    [["spec", "nope", "x"], ["spec", "predictor", "nope"], ["metadata", "name", "x"], ["status"]],
)
def test_delete_of_a_path_that_is_not_there_changes_nothing(path: list) -> None:
    doc = yamledit.parse(DELETABLE, path="m.yaml")
    assert yamledit.delete_in(doc.data, path) is False
    assert doc.changed is False


def test_deleting_the_last_block_keeps_the_comments_that_close_the_file() -> None:
    doc = yamledit.parse(DELETABLE, path="m.yaml")
    assert yamledit.delete_in(doc.data, ["spec", "transformer"]) is True
    assert doc.dump() == DELETABLE.split("  transformer:\n")[0] + "# end of file\n"
    # Deleting the only value under model removes model; the comment lines move up to what is left.
    assert yamledit.delete_in(doc.data, ["spec", "predictor", "model", "storageUri"]) is True
    assert doc.dump() == DELETABLE.split("    model:\n")[0] + "  # about the transformer\n# end of file\n"


# --- reading and copying ---------------------------------------------------------------------------------


def test_get_in_and_has() -> None:
    data = yamledit.parse("a:\n  b:\n    c: 0\n  l: [1]\n  n:\n", path="m.yaml").data
    assert yamledit.get_in(data, ["a", "b", "c"]) == 0
    assert yamledit.get_in(data, ["a", "x"], "fallback") == "fallback"
    assert yamledit.get_in(data, ["a", "b", "c", "d"]) is None  # through a scalar
    assert yamledit.has(data, ["a", "b", "c"]) is True
    assert yamledit.has(data, ["a", "n"]) is True  # present with an empty value
    assert yamledit.has(data, ["a", "missing"]) is False


def test_to_commented_turns_plain_containers_into_ruamel_ones() -> None:
    value = yamledit.to_commented({"a": [{"b": 1}, 2], "c": "d"})
    assert isinstance(value, CommentedMap)
    assert isinstance(value["a"], CommentedSeq) and isinstance(value["a"][0], CommentedMap)
    assert value == {"a": [{"b": 1}, 2], "c": "d"}
    assert yamledit.to_commented("x") == "x"


def test_without_comments_copies_content_and_drops_every_comment() -> None:
    source = yamledit.parse("# head\na:\n  b: 1  # one\n  l:\n    - x  # item\n", path="m.yaml").data
    copy = yamledit.without_comments(source["a"])
    doc = yamledit.parse("", path="n.yaml")
    doc.data["copied"] = copy
    assert doc.dump() == "copied:\n  b: 1\n  l:\n    - x\n"
    copy["b"] = 2
    assert source["a"]["b"] == 1  # a copy, not a view


def test_merged_copy_merges_maps_replaces_lists_and_deletes_nulls() -> None:
    base = yamledit.parse("a:\n  b: 1  # c\n  l: [1, 2]\n  keep: k\nz: 3\n", path="m.yaml").data
    merged = yamledit.merged_copy(base, {"a": {"b": None, "n": 2, "l": [9]}, "z": None, "q": {"r": 1}})
    assert isinstance(merged, CommentedMap)
    assert merged == {"a": {"l": [9], "keep": "k", "n": 2}, "q": {"r": 1}}
    assert list(merged["a"]) == ["l", "keep", "n"]  # base order, new keys last
    doc = yamledit.parse("", path="n.yaml")
    doc.data.update(merged)
    assert doc.dump() == "a:\n  l:\n    - 9\n  keep: k\n  n: 2\nq:\n  r: 1\n"
    assert base["a"]["b"] == 1 and base["z"] == 3  # the base is not touched


def test_merged_copy_of_odd_inputs() -> None:
    assert yamledit.merged_copy(None, {"a": 1}) == {"a": 1}
    assert yamledit.merged_copy({"a": 1}, None) == {"a": 1}
    assert yamledit.merged_copy({"a": 1}, ["not", "a", "map"]) == {"a": 1}
    assert yamledit.merged_copy({"a": {"b": 1}}, {"a": "scalar"}) == {"a": "scalar"}
