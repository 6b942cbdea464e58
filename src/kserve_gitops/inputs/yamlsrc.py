"""Safe, fast YAML reading with positions on demand.

Data is parsed with PyYAML's C loader (fast path). Line and column of a field are only needed when
something is wrong, so they are computed lazily by composing the file's node tree once and walking it.
Every guard a PR gate needs lives here: size cap, binary and encoding checks, alias-bomb and depth limits.
"""

from __future__ import annotations

import bisect
import gc
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import yaml
from yaml.constructor import SafeConstructor

from ..errors import YamlError

try:  # the C loader is a hard requirement for speed, but keep a clear error if it is missing
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

# The largest input file read (``--max-file-size``): room for a 50 MB rendered environment, while a file
# that is no YAML anyone wrote (a committed model binary, a runaway generator) is refused before it is read.
# Memory grows about 12x the file's size while it is parsed and validated (under 1 GiB for 50 MB).
DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024
_max_file_bytes = DEFAULT_MAX_FILE_BYTES
MAX_EXPANDED_NODES = 2_000_000
MAX_DEPTH = 200


class KubeSafeLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader that keeps timestamps as strings, like Kubernetes' own YAML decoding: PyYAML's own
    construction, which ``KubeLoader`` speeds up and falls back to."""


KubeSafeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def _construct_timestamp_as_string(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


KubeSafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_string)


def _construct_finite_float(loader: yaml.SafeLoader, node: yaml.Node) -> float:
    # .inf and .nan are YAML, not JSON: kubectl and the API server cannot take them, so neither do we.
    value = loader.construct_yaml_float(node)  # type: ignore[arg-type]
    if value != value or value in (float("inf"), float("-inf")):
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value} is not a number JSON (and so Kubernetes) can hold", node.start_mark
        )
    return value


KubeSafeLoader.add_constructor("tag:yaml.org,2002:float", _construct_finite_float)


def _construct_object_or_refuse(loader: yaml.SafeLoader, node: yaml.Node, deep: bool = False) -> Any:
    # PyYAML lets a scalar that does not fit its explicit tag (`!!int x`, `!!bool maybe`) escape as a bare
    # ValueError or KeyError; here it is a YAML error at the scalar's line, as every other bad input is.
    try:
        return SafeConstructor.construct_object(loader, node, deep)
    except (ValueError, KeyError, TypeError, OverflowError):
        if not isinstance(node, yaml.ScalarNode):
            raise
        kind = str(node.tag).rsplit(":", 1)[-1]
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a valid !!{kind}", node.start_mark
        ) from None


KubeSafeLoader.construct_object = _construct_object_or_refuse  # type: ignore[method-assign]


_YAML = "tag:yaml.org,2002:"
_STR, _INT, _NULL, _BOOL, _MAP, _SEQ = (_YAML + t for t in ("str", "int", "null", "bool", "map", "seq"))
_MERGE_KEYS = (_YAML + "merge", _YAML + "value")  # '<<' and '=' keys: PyYAML's flatten_mapping rules
MEMO_KEPT = 1 << 16  # distinct scalar spellings remembered; a stream with more starts the memo afresh


class _NotPlain(Exception):
    """A document that is not plain maps, lists and scalars (tagged collections, merge keys)."""


class KubeLoader(KubeSafeLoader):
    """``KubeSafeLoader`` built twice as fast, with the same results: PyYAML resolves each plain scalar
    against a list of regular expressions and constructs every node through generic dispatch, which is
    most of the cost of reading Kubernetes YAML. Here a scalar spelling seen before is resolved from a
    memo, and plain maps, lists, strings, ints, bools and nulls are built directly; every other node
    (floats, binary, unknown tags) goes through PyYAML's own constructor, and a document with tagged
    collections or merge keys is built by PyYAML whole, as is one that fails (PyYAML constructs in its own
    order, which decides the error reported first). ``test_fast_loader`` holds the two to the same results,
    errors included."""

    _tags: dict[str, str] = {}
    _ints: dict[str, int] = {}

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            tags = KubeLoader._tags
            tag = tags.get(value)
            if tag is None:
                if len(tags) >= MEMO_KEPT:
                    tags.clear()
                tag = tags[value] = super().resolve(kind, value, implicit)
            return tag
        return super().resolve(kind, value, implicit)

    # whether the last document was built plain and alias-free, so that it is known to nest at most
    # MAX_DEPTH deep (and the depth guard's walk can be skipped)
    depth_checked = False

    def construct_document(self, node: yaml.Node) -> Any:
        self.depth_checked = False
        try:
            return self._construct_plain(node)
        except Exception:  # noqa: BLE001 - not plain, or refused: PyYAML builds it, and words any error
            self.constructed_objects, self.recursive_objects, self.state_generators = {}, {}, []
            self.deep_construct = False  # a failed deep construction leaves it set
        return super().construct_document(node)

    def _construct_plain(self, root: yaml.Node) -> Any:
        built: dict[int, Any] = {}  # an alias is the same node twice: the same object, as PyYAML gives
        aliased = False
        bools = self.bool_values
        ints = KubeLoader._ints
        construct_scalar = self.construct_object
        scalar_node, mapping_node = yaml.ScalarNode, yaml.MappingNode

        def build(node: yaml.Node, depth: int) -> Any:
            nonlocal aliased
            kind = node.__class__
            if kind is scalar_node:
                tag = node.tag
                if tag == _STR:
                    return node.value
                if tag == _INT:
                    number = ints.get(node.value)
                    if number is None:
                        if len(ints) >= MEMO_KEPT:
                            ints.clear()
                        number = ints[node.value] = construct_scalar(node)
                    return number
                if tag == _NULL:
                    return None
                if tag == _BOOL and node.value.lower() in bools:
                    return bools[node.value.lower()]
                return construct_scalar(node, deep=True)  # deep: a collection tag on a scalar fails here
            key = id(node)
            if key in built:
                aliased = True
                return built[key]
            if depth >= MAX_DEPTH and node.value:
                raise _NotPlain  # PyYAML builds it, and the depth guard refuses it
            depth += 1
            if kind is mapping_node:
                if node.tag != _MAP:
                    raise _NotPlain
                mapping: dict[Any, Any] = {}
                built[key] = mapping
                for key_node, value_node in node.value:
                    if key_node.__class__ is not scalar_node or key_node.tag in _MERGE_KEYS:
                        raise _NotPlain
                    mapping[build(key_node, depth)] = build(value_node, depth)
                return mapping
            if node.tag != _SEQ:
                raise _NotPlain
            items: list[Any] = []
            built[key] = items
            items.extend([build(item, depth) for item in node.value])
            return items

        data = build(root, 0)
        self.constructed_objects, self.state_generators = {}, []
        self.depth_checked = not aliased
        return data


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: parsing and checking build hundreds of thousands of objects that
    all stay alive, so each collection only rescans a growing heap (a fifth of the parse time on 10,000
    objects). Collection resumes on leaving, and nests (the outermost pause decides)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class Document:
    index: int
    data: Any
    path: str


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(|b|k|ki|kb|m|mi|mb|g|gi|gb)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "ki": 2**10, "m": 10**6, "mb": 10**6, "mi": 2**20, "g": 10**9, "gb": 10**9, "gi": 2**30}


def parse_size(text: str) -> int:
    """``64Mi``, ``50MB``, ``1G`` or a byte count."""
    match = _SIZE.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a size (examples: 64Mi, 50MB, 1Gi, 1048576)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def set_max_file_bytes(limit: int) -> None:
    """Set the size cap for every input file this process reads (the CLI's ``--max-file-size``)."""
    global _max_file_bytes
    _max_file_bytes = limit


def max_file_bytes() -> int:
    return _max_file_bytes


def read_text(path: str | Path, *, data: bytes | None = None, max_bytes: int | None = None) -> str:
    """Read a file as UTF-8 text with the checks every input needs."""
    name = str(path)
    max_bytes = _max_file_bytes if max_bytes is None else max_bytes
    if data is None:
        p = Path(path)
        try:
            size = p.stat().st_size
        except FileNotFoundError:
            raise YamlError("file not found", path=name) from None
        except OSError as exc:
            raise YamlError(f"cannot read file: {exc.strerror}", path=name) from None
        if size > max_bytes:
            raise YamlError(
                f"file is {size} bytes, more than the {max_bytes} byte limit for one input file",
                path=name,
                hint="raise the limit with --max-file-size (or $KSERVE_GITOPS_MAX_FILE_SIZE) if the file is real; "
                "else check that a generated or binary file was not committed by mistake",
            )
        try:
            data = p.read_bytes()
        except IsADirectoryError:
            raise YamlError("expected a file, found a directory", path=name) from None
        except OSError as exc:
            raise YamlError(f"cannot read file: {exc.strerror}", path=name) from None
    elif len(data) > max_bytes:
        raise YamlError(
            f"input is {len(data)} bytes, more than the {max_bytes} byte limit",
            path=name,
            hint="raise the limit with --max-file-size (or $KSERVE_GITOPS_MAX_FILE_SIZE)",
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise YamlError("binary data (NUL byte) in a YAML file", path=name, line=line)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", path=name, line=line) from None


def load_documents(path: str | Path, *, text: str | None = None, allow_empty: bool = True) -> list[Document]:
    """Parse every document of a YAML stream; empty documents are dropped."""
    name = str(path)
    if text is None:
        text = read_text(path)
    docs = _documents(name, _load_all(name, text), text)
    if not docs and not allow_empty:
        raise YamlError("file is empty (no YAML document)", path=name)
    return docs


def _load_all(name: str, text: str) -> list[tuple[Any, bool]]:
    """(data, depth already checked) of every document."""
    try:
        loader = KubeLoader(text)
        try:
            docs = []
            while loader.check_data():
                data = loader.get_data()
                docs.append((data, loader.depth_checked))
            return docs
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(
            _yaml_problem(exc),
            path=name,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint=_yaml_hint(text, mark.line if mark else None),
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", path=name) from None
    except RecursionError:
        raise YamlError(f"YAML nested too deeply (more than {MAX_DEPTH} levels)", path=name) from None


def _documents(name: str, raw: list[tuple[Any, bool]], text: str) -> list[Document]:
    """The non-empty documents of a parsed stream, after the alias-bomb and depth guards."""
    if "&" in text and "*" in text:
        for i, (doc, _) in enumerate(raw):
            _check_expansion(doc, name, i)
    docs = []
    for i, (data, depth_checked) in enumerate(raw):
        if data is None:
            continue
        if not depth_checked:
            _check_depth(data, name)
        docs.append(Document(i, data, name))
    return docs


# A document-start marker at column 0 ends any scalar or collection before it (YAML forbids it inside
# one), so a stream cut just before such lines gives pieces that parse alone: how one large rendered file
# is parsed on every core.
_DOCUMENT_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)


def split_stream_text(text: str, pieces: int) -> list[str]:
    """``text`` cut into about ``pieces`` parts at document-start lines (whole when it cannot be cut).

    A stream with directives (``%YAML``, ``%TAG``) stays whole: a directive binds to the document after it.
    """
    if pieces < 2 or text.startswith("%") or "\n%" in text:
        return [text]
    starts = [match.start() for match in _DOCUMENT_START.finditer(text)]
    cuts = [0]
    for k in range(1, pieces):
        at = bisect.bisect_left(starts, len(text) * k // pieces)
        if at < len(starts) and starts[at] > cuts[-1]:
            cuts.append(starts[at])
    return [text[a:b] for a, b in zip(cuts, [*cuts[1:], len(text)])]


def parse_stream_piece(path: str, text: str) -> tuple[int, list[Document]]:
    """One piece of ``split_stream_text``: (how many documents it holds, empty ones included; its
    non-empty documents, indexed from 0 within the piece). Errors are ``load_documents``' own."""
    raw = _load_all(path, text)
    return len(raw), _documents(path, raw, text)


def load_one(path: str | Path, *, text: str | None = None) -> Any:
    """Load a file that must hold exactly one document."""
    docs = load_documents(path, text=text, allow_empty=False)
    if len(docs) > 1:
        raise YamlError(
            f"expected one YAML document, found {len(docs)}",
            path=str(path),
            line=positions_for(str(path), text).document_line(docs[1].index),
        )
    return docs[0].data


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "invalid YAML"
    if exc.context:
        problem = f"{problem} ({exc.context})"
    return f"invalid YAML: {problem}"


def _yaml_hint(text: str, line0: int | None) -> str | None:
    if line0 is None:
        return None
    lines = text.splitlines()
    if 0 <= line0 < len(lines) and "\t" in lines[line0][: len(lines[line0]) - len(lines[line0].lstrip())]:
        return "YAML does not allow tabs for indentation; use spaces"
    return None


def _check_expansion(doc: Any, path: str, index: int) -> None:
    """Reject alias bombs: count the nodes the document would have once aliases are expanded."""
    memo: dict[int, int] = {}

    def size(node: Any, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise YamlError(f"YAML nested too deeply (more than {MAX_DEPTH} levels)", path=path)
        if isinstance(node, (dict, list)):
            key = id(node)
            if key in memo:
                return memo[key]
            memo[key] = 0  # a cycle counts as nothing more; recursive aliases are caught by depth
            children = node.values() if isinstance(node, dict) else node
            total = 1 + sum(size(c, depth + 1) for c in children)
            memo[key] = total
            if total > MAX_EXPANDED_NODES:
                raise YamlError(
                    f"document {index + 1} expands to more than {MAX_EXPANDED_NODES} nodes through aliases "
                    "(a 'billion laughs' alias bomb?)",
                    path=path,
                )
            return total
        return 1

    size(doc, 0)


def _check_depth(doc: Any, path: str) -> None:
    stack = [(doc, 0)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise YamlError(f"YAML nested too deeply (more than {MAX_DEPTH} levels)", path=path)
        if isinstance(node, (dict, list)):
            if id(node) in seen:
                continue
            seen.add(id(node))
            children = node.values() if isinstance(node, dict) else node
            stack.extend((c, depth + 1) for c in children)


# --- positions ---------------------------------------------------------------------------------------

_positions_cache: dict[tuple, "Positions"] = {}  # insertion-ordered: the least recently used first
POSITIONS_KEPT = 64


class _NodeLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Composes node trees without resolving implicit tags: positions need a file's shape, not its types,
    and resolving every scalar is most of the cost of composing."""

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        return _NODE_TAGS[kind]


_NODE_TAGS = {yaml.ScalarNode: "tag:yaml.org,2002:str", yaml.SequenceNode: "tag:yaml.org,2002:seq", yaml.MappingNode: "tag:yaml.org,2002:map"}


class Positions:
    """Line/column lookup for JSON paths inside a YAML file, built once from the node tree."""

    def __init__(self, path: str, text: str | None = None) -> None:
        self.path = path
        if text is None:
            try:
                text = read_text(path)
            except YamlError:
                text = ""
        try:
            # one node per document, empty ones included: the same indexes as load_documents' documents
            self._docs = list(yaml.compose_all(text, Loader=_NodeLoader))
        except (yaml.YAMLError, RecursionError):
            self._docs = []
        self._doc_lines = [n.start_mark.line + 1 for n in self._docs]

    def document_line(self, doc_index: int) -> int:
        return self._doc_lines[doc_index] if 0 <= doc_index < len(self._doc_lines) else 1

    def locate(self, doc_index: int, json_path: Sequence[Any]) -> tuple[int, int, bool]:
        """Return (line, column, exact) of the deepest node on ``json_path`` that exists."""
        if not (0 <= doc_index < len(self._docs)):
            return (1, 1, False)
        node = self._docs[doc_index]
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        for part in json_path:
            child = None
            key_node = None
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                        key_node, child = k, v
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if 0 <= part < len(node.value):
                    child = node.value[part]
            if child is None:
                return (line, col, False)
            anchor = key_node if key_node is not None else child
            line, col = anchor.start_mark.line + 1, anchor.start_mark.column + 1
            node = child
        return (line, col, True)

    def has(self, doc_index: int, json_path: Sequence[Any]) -> bool:
        return self.locate(doc_index, json_path)[2]

    def duplicate_keys(self) -> Iterator[tuple[int, str, int, int]]:
        """Yield (doc_index, key path, line, column) for keys that appear twice in one mapping."""
        for doc_index, root in enumerate(self._docs):
            stack: list[tuple[yaml.Node, str]] = [(root, "")]
            while stack:
                node, where = stack.pop()
                if isinstance(node, yaml.MappingNode):
                    seen: set[str] = set()
                    for k, v in node.value:
                        key = k.value if isinstance(k, yaml.ScalarNode) else "?"
                        full = f"{where}.{key}" if where else key
                        if key in seen:
                            yield (doc_index, full, k.start_mark.line + 1, k.start_mark.column + 1)
                        seen.add(key)
                        stack.append((v, full))
                elif isinstance(node, yaml.SequenceNode):
                    for i, v in enumerate(node.value):
                        stack.append((v, f"{where}[{i}]"))


def positions_for(path: str, text: str | None = None) -> Positions:
    """Cached ``Positions`` for a file (pass text for stdin). The cache is keyed by the file itself (its real
    path, size and modification time), so a process that runs again after a file changed, or from another
    folder, never gets the positions of what it read before."""
    if text is not None:
        return Positions(path, text)
    key = _file_key(path)
    cached = _positions_cache.pop(key, None)
    if cached is None:
        cached = Positions(path)
    _positions_cache[key] = cached  # newest last
    while len(_positions_cache) > POSITIONS_KEPT:  # a node tree can be large: keep only the recent files
        del _positions_cache[next(iter(_positions_cache))]
    return cached


def _file_key(path: str) -> tuple:
    try:
        stat = os.stat(path)
    except OSError:
        return (path, os.getcwd())
    return (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)


def clear_position_cache() -> None:
    _positions_cache.clear()


_JSON_PATH_PART = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


def parse_json_path(path: str) -> list[str | int]:
    """'spec.containers[0].image' -> ['spec', 'containers', 0, 'image']; also accepts '/a/0/b' pointers."""
    if path.startswith("/"):
        out: list[str | int] = []
        for part in path.split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            out.append(int(part) if part.isdigit() else part)
        return out
    parts: list[str | int] = []
    for m in _JSON_PATH_PART.finditer(path):
        if m.group(1) is not None:
            parts.append(int(m.group(1)))
        elif m.group(2):
            parts.append(m.group(2))
    return parts


def format_json_path(parts: Sequence[Any]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out
