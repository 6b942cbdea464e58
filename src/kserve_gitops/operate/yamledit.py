"""Round-trip YAML edits with ruamel.yaml: comments, key order, quoting and blank lines stay as written.

A file is loaded with the indentation settings that reproduce it byte for byte; a file no setting can
reproduce is refused rather than reformatted, so an edit only ever changes the keys it means to change.
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from ..errors import YamlError
from ..inputs.merge import dig

# (mapping, sequence, offset): the layouts seen in Kubernetes YAML, most common first.
INDENTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (3, 3, 0))
NEW_FILE_INDENT = (2, 4, 2)


@dataclass
class Document:
    """One YAML document loaded for editing, and how to write it back."""

    data: Any
    indent: tuple[int, int, int]
    original: str | None  # None: a new file

    def dump(self) -> str:
        out = io.StringIO()
        _yaml(self.indent).dump(self.data, out)
        return out.getvalue()

    @property
    def changed(self) -> bool:
        return self.original is None or self.dump() != self.original


def _yaml(indent: tuple[int, int, int]) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 16  # never re-wrap long lines
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def parse(text: str, *, path: str | Path) -> Document:
    """Load ``text`` for editing; refuses files that cannot be written back unchanged."""
    if not text.strip():
        return Document(CommentedMap(), NEW_FILE_INDENT, text)
    first_error: Exception | None = None
    for indent in INDENTS:
        try:
            data = _yaml(indent).load(text)
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise YamlError(
                f"cannot parse YAML: {getattr(exc, 'problem', None) or exc}",
                path=path,
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            ) from None
        doc = Document(data, indent, text)
        try:
            if doc.dump() == text:
                return doc
        except Exception as exc:  # ruamel cannot always re-emit what it read
            first_error = first_error or exc
    raise YamlError(
        "cannot edit this file without reformatting it (its indentation or layout does not round-trip)",
        path=path,
        hint="re-indent it consistently (2 spaces, list items indented under their key) and try again",
    )


def load(path: Path, *, display: str) -> Document:
    if not path.exists():
        return Document(CommentedMap(), NEW_FILE_INDENT, None)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlError("is not UTF-8 text", path=display) from None
    return parse(text, path=display)


def to_commented(value: Any) -> Any:
    """Plain dicts and lists as ruamel containers, so new content is written in block style."""
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = to_commented(item)
        return out
    if isinstance(value, list):
        return CommentedSeq([to_commented(item) for item in value])
    return value


def get_in(data: Any, path: list[Any], default: Any = None) -> Any:
    return dig(data, *path, default=default)


def has(data: Any, path: list[Any]) -> bool:
    marker = object()
    return get_in(data, path, marker) is not marker


def set_in(data: CommentedMap, path: list[Any], value: Any, *, first: bool = False) -> None:
    """Set ``path`` to ``value``, creating mappings on the way; an existing string keeps its quote style.

    ``first`` puts a new key at the top of its mapping (``metadata`` before ``spec``)."""
    node = data
    for i, part in enumerate(path[:-1]):
        if not isinstance(node.get(part), dict):
            child = CommentedMap()
            if first and i == 0 and part not in node:
                node.insert(0, part, child)
            else:
                node[part] = child
        node = node[part]
    key = path[-1]
    value = to_commented(value)
    old = node.get(key)
    if isinstance(old, (DoubleQuotedScalarString, SingleQuotedScalarString)) and isinstance(value, str):
        value = type(old)(value)
    if key not in node and not isinstance(value, (dict, list)):
        # A new scalar goes after the mapping's scalars, before its first nested block: appended at the
        # end it would land after the comments that close the last block.
        blocks = [i for i, k in enumerate(node) if isinstance(node[k], (dict, list))]
        if blocks:
            node.insert(blocks[0], key, value)
            return
    trailing = _take_trailing(node) if key not in node and isinstance(value, (dict, list)) else None
    node[key] = value
    if trailing is not None:
        # Comment lines that closed the mapping keep closing it, after the new block.
        _give_trailing(value, trailing)


def _last_slot(node: Any) -> tuple[Any, Any, int] | None:
    """(container, key, slot) of the end-of-line comment after the last scalar under ``node``."""
    while True:
        if isinstance(node, dict) and node:
            key: Any = list(node)[-1]
            slot = 2
        elif isinstance(node, list) and node:
            key, slot = len(node) - 1, 0
        else:
            return None
        child = node[key]
        if isinstance(child, (dict, list)) and child:
            node = child
            continue
        return node, key, slot


def _take_trailing(node: Any) -> Any:
    """Detach the full-line comments (and blank lines) that follow the last scalar under ``node``."""
    found = _last_slot(node)
    if found is None or not hasattr(found[0], "ca"):
        return None
    container, key, slot = found
    entry = container.ca.items.get(key)
    token = entry[slot] if entry and len(entry) > slot else None
    if token is None or not isinstance(getattr(token, "value", None), str):
        return None
    first, _, rest = token.value.partition("\n")
    if not rest.strip():
        return None
    token.value = first + "\n"
    moved = copy.copy(token)
    moved.value = "\n" + rest
    return moved


def _give_trailing(value: Any, token: Any) -> None:
    found = _last_slot(value)
    if found is None:
        return
    container, key, slot = found
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    if entry[slot] is None:
        entry[slot] = token
    else:
        entry[slot].value = entry[slot].value.rstrip("\n") + token.value


def delete_in(data: CommentedMap, path: list[Any]) -> bool:
    """Delete ``path`` and any mapping it leaves empty; True when something was deleted."""
    parents = [data]
    for part in path[:-1]:
        node = parents[-1].get(part) if isinstance(parents[-1], dict) else None
        if not isinstance(node, dict):
            return False
        parents.append(node)
    if path[-1] not in parents[-1]:
        return False
    holder, key = parents[-1], path[-1]
    trailing = None
    if list(holder)[-1] == key:
        # Comment lines after the last entry belong to what follows it, not to the entry: keep them.
        value = holder[key]
        trailing = _take_trailing(value) if isinstance(value, (dict, list)) and value else _take_trailing(holder)
    del holder[key]
    depth = len(path) - 1
    while depth > 0 and not parents[depth]:
        del parents[depth - 1][path[depth - 1]]
        depth -= 1
    if trailing is not None and parents[depth]:
        _give_trailing(parents[depth], trailing)
    return True


def without_comments(value: Any) -> Any:
    """A deep copy of ruamel containers with their comments dropped (copied content must not carry them)."""
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = without_comments(item)
        return out
    if isinstance(value, list):
        return CommentedSeq([without_comments(item) for item in value])
    return copy.copy(value)


def merged_copy(base: Any, patch: Any) -> CommentedMap:
    """``patch`` merged over ``base`` (maps merge, lists replace, null deletes) as a new comment-free map."""
    out = without_comments(base) if isinstance(base, dict) else CommentedMap()
    for key, value in (patch or {}).items() if isinstance(patch, dict) else ():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged_copy(out[key], value)
        else:
            out[key] = without_comments(value)
    return out
