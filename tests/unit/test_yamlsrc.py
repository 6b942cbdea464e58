"""yamlsrc: the one YAML reader every input goes through. Positions must point at the exact key a user
has to fix, and every guard (size, encoding, numbers JSON cannot hold, alias bombs, depth) must stop a
file with an error that names the file and, where there is one, the line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from kserve_gitops.errors import EXIT_INPUT, InputError, YamlError
from kserve_gitops.inputs import yamlsrc
from kserve_gitops.inputs.yamlsrc import (
    DEFAULT_MAX_FILE_BYTES,
    MAX_DEPTH,
    Positions,
    format_json_path,
    load_documents,
    load_one,
    parse_json_path,
    parse_size,
    positions_for,
    read_text,
)


@pytest.fixture(autouse=True)
def _isolated_reader():
    """The size cap and the positions cache are process-wide: every test starts from the defaults."""
    yamlsrc.set_max_file_bytes(DEFAULT_MAX_FILE_BYTES)
    yamlsrc.clear_position_cache()
    yield
    yamlsrc.set_max_file_bytes(DEFAULT_MAX_FILE_BYTES)
    yamlsrc.clear_position_cache()


def write(tmp_path: Path, text: str | bytes, name: str = "in.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


# --- positions --------------------------------------------------------------------------------------

MANIFEST = """\
apiVersion: v1
metadata:
  name: x
  labels:
    team: a
spec:
  containers:
  - name: c
    image: i
    ports:
    - containerPort: 80
  cluster: {name: dev, server: https://dev.example}
"""


@pytest.mark.parametrize(
    "path, where",
    [
        ([], (1, 1, True)),  # the document itself
        (["apiVersion"], (1, 1, True)),
        (["metadata", "name"], (3, 3, True)),
        (["metadata", "labels", "team"], (5, 5, True)),  # a key, not its value
        (["spec", "containers"], (7, 3, True)),
        (["spec", "containers", 0], (8, 5, True)),  # a list item: the item's first character after "- "
        (["spec", "containers", 0, "image"], (9, 5, True)),
        (["spec", "containers", 0, "ports", 0, "containerPort"], (11, 7, True)),
        (["spec", "cluster", "server"], (12, 24, True)),  # inside a flow mapping
    ],
)
def test_locate_points_at_the_key_or_item(path: list, where: tuple) -> None:
    assert Positions("m.yaml", MANIFEST).locate(0, path) == where


@pytest.mark.parametrize(
    "path, where",
    [
        (["metadata", "nope"], (2, 1)),  # the deepest node that exists: the metadata key
        (["spec", "containers", 3], (7, 3)),  # index past the end
        (["spec", "containers", "0"], (7, 3)),  # a string index does not address a list
        (["metadata", "name", "deeper"], (3, 3)),  # below a scalar
        (["missing"], (1, 1)),
    ],
)
def test_locate_of_a_path_that_does_not_exist_falls_back_to_its_deepest_ancestor(path: list, where: tuple) -> None:
    line, col, exact = Positions("m.yaml", MANIFEST).locate(0, path)
    assert (line, col) == where
    assert exact is False
    assert Positions("m.yaml", MANIFEST).has(0, path) is False


def test_locate_numeric_and_boolean_keys_by_their_text() -> None:
    # JSON paths carry keys as strings or ints; the node tree holds the key's text
    text = "codes:\n  404: missing\n  true: yes\n"
    positions = Positions("c.yaml", text)
    assert positions.locate(0, ["codes", 404]) == (2, 3, True)
    assert positions.locate(0, ["codes", "true"]) == (3, 3, True)


def test_a_repeated_key_is_located_at_its_last_occurrence_as_the_loader_keeps_the_last_value() -> None:
    text = "spec:\n  replicas: 1\n  replicas: 2\n"
    assert load_one("d.yaml", text=text) == {"spec": {"replicas": 2}}
    assert Positions("d.yaml", text).locate(0, ["spec", "replicas"]) == (3, 3, True)


def test_multi_document_positions_use_the_documents_own_lines() -> None:
    text = "a: 1\n---\nkind: B\nspec:\n  x: 1\n---\n# comment\nkind: C\n"
    positions = Positions("multi.yaml", text)
    assert [positions.document_line(i) for i in range(3)] == [1, 3, 8]
    assert positions.locate(1, ["spec", "x"]) == (5, 3, True)
    assert positions.locate(2, ["kind"]) == (8, 1, True)
    assert positions.locate(7, ["kind"]) == (1, 1, False)  # no such document
    assert positions.document_line(7) == 1


@pytest.mark.parametrize("first", ["---\n", "~\n---\n", "# header only\n---\n", "null\n---\n"])
def test_empty_documents_keep_the_loaders_document_indexes(first: str) -> None:
    """load_documents drops empty documents but keeps their indexes: positions must address the same ones."""
    text = first + "---\nkind: X\nspec:\n  a: 1\n  a: 2\n"
    [doc] = load_documents("e.yaml", text=text)
    line = text.splitlines().index("kind: X") + 1
    positions = Positions("e.yaml", text)
    assert positions.document_line(doc.index) == line
    assert positions.locate(doc.index, ["spec", "a"]) == (line + 3, 3, True)
    assert [(i, key, ln) for i, key, ln, _ in positions.duplicate_keys()] == [(doc.index, "spec.a", line + 3)]


def test_load_one_after_an_empty_document_names_the_second_real_one() -> None:
    with pytest.raises(YamlError) as err:
        load_one("x.yaml", text="---\n---\na: 1\n---\n\nb: 2\n")
    assert (err.value.message, err.value.line) == ("expected one YAML document, found 2", 6)


def test_positions_of_an_unreadable_or_broken_file_are_the_start_of_the_file(tmp_path: Path) -> None:
    assert Positions(str(tmp_path / "gone.yaml")).locate(0, ["a"]) == (1, 1, False)
    broken = write(tmp_path, "a: [1\n")
    assert Positions(str(broken)).locate(0, ["a"]) == (1, 1, False)
    assert list(Positions(str(broken)).duplicate_keys()) == []


def test_positions_for_reads_a_file_once_and_text_is_never_cached(tmp_path: Path) -> None:
    path = write(tmp_path, "a:\n  b: 1\n")
    first = positions_for(str(path))
    assert positions_for(str(path)) is first
    assert first.locate(0, ["a", "b"]) == (2, 3, True)
    # text (stdin) is not keyed by a file's content, so it is never cached
    assert positions_for("<stdin>", "x: 1\n") is not positions_for("<stdin>", "x: 1\n")
    yamlsrc.clear_position_cache()
    assert positions_for(str(path)) is not first


def test_duplicate_keys_are_found_in_nested_maps_lists_and_later_documents() -> None:
    text = (
        "metadata:\n"  # 1
        "  name: a\n"  # 2
        "  name: b\n"  # 3
        "spec:\n"  # 4
        "  containers:\n"  # 5
        "  - image: x\n"  # 6
        "    image: y\n"  # 7
        "---\n"  # 8
        "kind: K\n"  # 9
        "kind: L\n"  # 10
    )
    found = sorted(Positions("dup.yaml", text).duplicate_keys())
    assert found == [
        (0, "metadata.name", 3, 3),
        (0, "spec.containers[0].image", 7, 5),
        (1, "kind", 10, 1),
    ]


def test_no_duplicate_keys_in_a_clean_file_or_in_sibling_maps() -> None:
    text = "a: {x: 1}\nb: {x: 1}\nlist:\n- x: 1\n- x: 2\n"
    assert list(Positions("ok.yaml", text).duplicate_keys()) == []


@pytest.mark.parametrize(
    "text, parts",
    [
        ("spec.containers[0].image", ["spec", "containers", 0, "image"]),
        ("metadata.annotations.kserve-gitops.io/environments", ["metadata", "annotations", "kserve-gitops", "io/environments"]),
        ("[2].name", [2, "name"]),
        ("a[0][1]", ["a", 0, 1]),
        ("", []),
        ("/spec/containers/0/image", ["spec", "containers", 0, "image"]),
        ("/metadata/annotations/kserve-gitops.io~1environments", ["metadata", "annotations", "kserve-gitops.io/environments"]),
        ("/a~0b", ["a~b"]),
    ],
)
def test_parse_json_path_dotted_and_pointer(text: str, parts: list) -> None:
    assert parse_json_path(text) == parts


@pytest.mark.parametrize(
    "parts, text",
    [
        (["spec", "containers", 0, "image"], "spec.containers[0].image"),
        ([0, "name"], "[0].name"),
        (["environments", "dev", "kserve", "version"], "environments.dev.kserve.version"),
        ([], ""),
    ],
)
def test_format_json_path(parts: list, text: str) -> None:
    assert format_json_path(parts) == text


# --- loading ----------------------------------------------------------------------------------------


def test_load_documents_keeps_order_and_indexes_and_drops_empty_documents(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\n---\n---\n# only a comment\n---\nb: 2\n")
    docs = load_documents(path)
    assert [(d.index, d.data, d.path) for d in docs] == [(0, {"a": 1}, str(path)), (3, {"b": 2}, str(path))]


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here\n", "---\n", "---\n...\n", "~\n", "null\n"])
def test_an_empty_file_is_no_documents_or_an_error_when_one_is_required(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert load_documents(path) == []
    with pytest.raises(YamlError) as err:
        load_one(path)
    assert err.value.message == "file is empty (no YAML document)"
    assert err.value.path == str(path)


def test_load_one_refuses_a_second_document_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\n---\n\nb: 2\n")
    with pytest.raises(YamlError) as err:
        load_one(path)
    assert err.value.message == "expected one YAML document, found 2"
    assert (err.value.path, err.value.line) == (str(path), 4)


def test_load_one_of_text_does_not_read_the_file() -> None:
    assert load_one("<stdin>", text="spec: {x: [1, 2]}\n") == {"spec": {"x": [1, 2]}}
    with pytest.raises(YamlError) as err:
        load_one("<stdin>", text="a: 1\n---\nb: 2\n")
    assert (err.value.path, err.value.line) == ("<stdin>", 3)


def test_timestamps_stay_strings_as_kubernetes_reads_them() -> None:
    data = load_one("t.yaml", text="created: 2024-01-02\nat: 2024-01-02T03:04:05Z\n")
    assert data == {"created": "2024-01-02", "at": "2024-01-02T03:04:05Z"}


def test_numbers_booleans_and_nulls_are_yaml_1_1_as_pyyaml_reads_them() -> None:
    data = load_one("n.yaml", text="i: 3\nf: 1.5\ne: 1.0e+3\nb: true\nn: ~\ns: '3'\nv: 0.14\n")
    assert data == {"i": 3, "f": 1.5, "e": 1000.0, "b": True, "n": None, "s": "3", "v": 0.14}


@pytest.mark.parametrize(
    "value, line, column",
    [(".inf", 3, 12), ("-.inf", 3, 12), (".NaN", 3, 12), ("!!float .inf", 3, 12), ("1.0e+400", 3, 12)],
)
def test_numbers_json_cannot_hold_are_refused_at_their_line(value: str, line: int, column: int) -> None:
    text = f"spec:\n  scale:\n    value: {value}\n"
    with pytest.raises(YamlError) as err:
        load_documents("f.yaml", text=text)
    assert err.value.message == f"invalid YAML: {value.split()[-1]} is not a number JSON (and so Kubernetes) can hold"
    assert (err.value.path, err.value.line, err.value.column) == ("f.yaml", line, column)


def test_a_quoted_inf_is_a_string() -> None:
    assert load_one("q.yaml", text="a: '.inf'\nb: \"nan\"\n") == {"a": ".inf", "b": "nan"}


def test_anchors_aliases_and_merge_keys_expand() -> None:
    text = (
        "defaults: &defaults\n"
        "  cpu: 100m\n"
        "  memory: 1Gi\n"
        "a:\n"
        "  <<: *defaults\n"
        "  cpu: 200m\n"
        "b: *defaults\n"
        "names: &n [x, y]\n"
        "again: *n\n"
    )
    data = load_one("anchors.yaml", text=text)
    assert data["a"] == {"cpu": "200m", "memory": "1Gi"}
    assert data["b"] == {"cpu": "100m", "memory": "1Gi"}
    assert data["again"] == ["x", "y"]


def test_an_alias_bomb_is_refused_before_it_is_expanded() -> None:
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi")
    )
    with pytest.raises(YamlError) as err:
        load_documents("bomb.yaml", text=text + "spec: *i\n")
    assert "document 1 expands to more than 2000000 nodes through aliases" in err.value.message
    assert err.value.path == "bomb.yaml"


def test_an_alias_of_an_undefined_anchor_is_a_syntax_error_at_its_place() -> None:
    with pytest.raises(YamlError) as err:
        load_documents("alias.yaml", text="a: 1\nb: *nowhere\n")
    assert err.value.message == "invalid YAML: found undefined alias"
    assert (err.value.line, err.value.column) == (2, 4)


def nested(depth: int) -> str:
    return "a: " + "[" * depth + "]" * depth + "\n"


def test_depth_up_to_the_limit_loads_and_beyond_it_is_refused() -> None:
    assert load_one("ok.yaml", text=nested(MAX_DEPTH - 1))["a"] != []
    with pytest.raises(YamlError) as err:
        load_documents("deep.yaml", text=nested(MAX_DEPTH + 5))
    assert err.value.message == f"YAML nested too deeply (more than {MAX_DEPTH} levels)"
    assert err.value.path == "deep.yaml"


@pytest.mark.parametrize(
    "text, line, column, fragment",
    [
        ("spec:\n  predictor: [1\n", 3, 1, "invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence)"),
        ("spec:\n  a: 1\n   b: 2\n", 3, 5, "invalid YAML: mapping values are not allowed in this context"),
        ("a: 'open\n", 2, 1, "invalid YAML: found unexpected end of stream (while scanning a quoted scalar)"),
        ("- a\nb: 1\n", 2, 1, "invalid YAML: did not find expected '-' indicator (while parsing a block collection)"),
        ("a: b: c\n", 1, 5, "invalid YAML: mapping values are not allowed in this context"),
    ],
)
def test_a_syntax_error_names_file_line_and_column(text: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(YamlError) as err:
        load_documents("bad.yaml", text=text)
    assert (err.value.path, err.value.line, err.value.column) == ("bad.yaml", line, column)
    assert err.value.message == fragment
    assert str(err.value).startswith(f"bad.yaml:{line}:{column}: invalid YAML")
    assert err.value.hint is None


def test_tab_indentation_gets_a_hint() -> None:
    with pytest.raises(YamlError) as err:
        load_documents("tabs.yaml", text="spec:\n\tpredictor: {}\n")
    assert (err.value.line, err.value.column) == (2, 1)
    assert err.value.message == "invalid YAML: found character that cannot start any token (while scanning for the next token)"
    assert err.value.hint == "YAML does not allow tabs for indentation; use spaces"
    assert str(err.value).endswith("\n  hint: YAML does not allow tabs for indentation; use spaces")


def test_a_tab_inside_a_value_is_fine() -> None:
    assert load_one("t.yaml", text='a: "x\\ty"\nb: x\ty\n') == {"a": "x\ty", "b": "x\ty"}


def test_yaml_errors_are_input_errors_with_exit_code_2() -> None:
    with pytest.raises(InputError) as err:
        load_documents("bad.yaml", text="a: [\n")
    assert isinstance(err.value, YamlError)
    assert err.value.exit_code == EXIT_INPUT == 2


# --- reading bytes ----------------------------------------------------------------------------------


def test_a_utf8_bom_is_dropped(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbfkind: X\n")
    assert read_text(path) == "kind: X\n"
    assert load_one(path) == {"kind": "X"}


def test_binary_data_is_refused_at_the_line_of_the_first_nul(tmp_path: Path) -> None:
    path = write(tmp_path, b"a: 1\nb: 2\nc: \x00\x01\n")
    with pytest.raises(YamlError) as err:
        read_text(path)
    assert err.value.message == "binary data (NUL byte) in a YAML file"
    assert (err.value.path, err.value.line) == (str(path), 3)


def test_invalid_utf8_names_the_byte_and_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, b"a: 1\nb: caf\xe9\n")
    with pytest.raises(YamlError) as err:
        load_documents(path)
    assert err.value.message == "not valid UTF-8 (byte 0xe9)"
    assert err.value.line == 2


def test_non_ascii_utf8_is_read() -> None:
    assert load_one("u.yaml", text="owner: Zoë\nnote: 模型\n") == {"owner": "Zoë", "note": "模型"}


def test_a_missing_file_and_a_directory_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(YamlError) as err:
        read_text(tmp_path / "gone.yaml")
    assert (err.value.message, err.value.path) == ("file not found", str(tmp_path / "gone.yaml"))
    with pytest.raises(YamlError) as err:
        read_text(tmp_path)
    assert err.value.message == "expected a file, found a directory"


def test_the_size_cap_refuses_a_file_without_reading_it(tmp_path: Path) -> None:
    path = write(tmp_path, "a: " + "x" * 100 + "\n")
    size = path.stat().st_size
    yamlsrc.set_max_file_bytes(size)
    assert yamlsrc.max_file_bytes() == size
    assert load_one(path) == {"a": "x" * 100}  # exactly at the cap is allowed
    yamlsrc.set_max_file_bytes(size - 1)
    with pytest.raises(YamlError) as err:
        load_one(path)
    assert err.value.message == f"file is {size} bytes, more than the {size - 1} byte limit for one input file"
    assert "--max-file-size" in err.value.hint and "KSERVE_GITOPS_MAX_FILE_SIZE" in err.value.hint


def test_the_size_cap_applies_to_data_given_in_memory() -> None:
    with pytest.raises(YamlError) as err:
        read_text("<stdin>", data=b"a: 12345\n", max_bytes=4)
    assert err.value.message == "input is 9 bytes, more than the 4 byte limit"
    assert read_text("<stdin>", data=b"a: 1\n", max_bytes=5) == "a: 1\n"


def test_a_max_bytes_argument_overrides_the_process_cap(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\n")
    yamlsrc.set_max_file_bytes(1)
    assert read_text(path, max_bytes=100) == "a: 1\n"
    with pytest.raises(YamlError):
        read_text(path)


def test_the_default_cap_is_64_mebibytes() -> None:
    assert DEFAULT_MAX_FILE_BYTES == 64 * 2**20 == parse_size("64Mi")
    assert yamlsrc.max_file_bytes() == DEFAULT_MAX_FILE_BYTES


@pytest.mark.parametrize(
    "text, size",
    [
        ("1048576", 1048576),
        ("0", 0),
        ("10b", 10),
        ("1k", 1000),
        ("1kb", 1000),
        ("1Ki", 1024),
        ("64Mi", 64 * 2**20),
        ("50MB", 50 * 10**6),
        ("50m", 50 * 10**6),
        ("1G", 10**9),
        ("1gb", 10**9),
        ("1Gi", 2**30),
        ("1.5Ki", 1536),
        ("0.5Mi", 2**19),
        ("  200 Mi  ", 200 * 2**20),
        ("2MI", 2 * 2**20),
    ],
)
def test_parse_size_units(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "", "-1", "1T", "1Ti", "Mi", "1 2Mi", "1e6", "1,000", "1.Mi", "0x10"])
def test_parse_size_refuses_what_is_not_a_size(text: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_size(text)
    assert str(err.value) == f"{text!r} is not a size (examples: 64Mi, 50MB, 1Gi, 1048576)"


def test_parse_size_takes_a_number() -> None:
    assert parse_size(2048) == 2048  # type: ignore[arg-type]
