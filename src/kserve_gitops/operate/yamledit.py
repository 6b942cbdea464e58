"""Round-trip YAML edits with ruamel.yaml: comments, key order, quoting and blank lines stay as written.

A file is loaded with the indentation settings that reproduce it byte for byte; a file no setting can
reproduce is refused rather than reformatted, so an edit only ever changes the keys it means to change.
A null keeps the spelling it was written with (``null``, ``~``, ``Null``, ``NULL`` or nothing): in a merge
patch ``key: null`` deletes the key, and ruamel alone would write every null back as ``key:``.
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, merge_attrib
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
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
    bare: bool = False  # the file holds no YAML node (blank, or comments only)

    def dump(self) -> str:
        if self.bare:
            # Nothing to write for an empty mapping: the file stays as it is (not "{}"). Added content goes
            # after the file's comments, without the blank lines before them (ruamel cannot read those back).
            if not self.data:
                return self.original or ""
            lines = [line if line.strip() else "" for line in (self.original or "").splitlines()]
            while lines and not lines[0]:
                lines.pop(0)
            return "".join(line + "\n" for line in lines) + self._dump()
        return self._dump()

    def _dump(self) -> str:
        out = io.StringIO()
        _yaml(self.indent).dump(self.data, out)
        return out.getvalue()

    @property
    def changed(self) -> bool:
        return self.original is None or self.dump() != self.original


NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"
NULL_SPELLINGS = "_kserve_gitops_null_spellings"  # on a loaded container: {key or index: the null as written}


def _is_plain_null(node: Any) -> bool:
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG and node.style is None


class _Constructor(RoundTripConstructor):
    """Records how each null in a mapping or sequence was spelled."""

    def construct_mapping(self, node: Any, maptyp: Any, deep: bool = False) -> Any:
        result = super().construct_mapping(node, maptyp, deep=deep)
        spellings = {}
        for key_node, value_node in node.value:
            if _is_plain_null(value_node):
                key = self.construct_object(key_node, deep=True)  # cached: the key already built
                try:
                    if key in maptyp and maptyp[key] is None:
                        spellings[key] = value_node.value
                except TypeError:  # an unhashable (complex) key
                    continue
        if spellings:
            setattr(maptyp, NULL_SPELLINGS, spellings)
        return result

    def construct_rt_sequence(self, node: Any, seqtyp: Any, deep: bool = False) -> Any:
        items = super().construct_rt_sequence(node, seqtyp, deep=deep)
        spellings = {i: child.value for i, child in enumerate(node.value) if _is_plain_null(child)}
        if spellings:
            setattr(seqtyp, NULL_SPELLINGS, spellings)
        return items


class _Representer(RoundTripRepresenter):
    """Writes a null still in its place with the spelling it was read with (new nulls: ruamel's ``key:``)."""

    def represent_mapping(self, tag: Any, mapping: Any, flow_style: Any = None) -> Any:
        node = super().represent_mapping(tag, mapping, flow_style)
        spellings = getattr(mapping, NULL_SPELLINGS, None)
        if spellings:
            # node.value holds the mapping's own items in order, plus any ``<<`` merge entry.
            pairs = [pair for pair in node.value if not (isinstance(pair[0], ScalarNode) and pair[0].tag == MERGE_TAG)]
            items = mapping.non_merged_items() if len(getattr(mapping, merge_attrib, [])) > 0 else mapping.items()
            for (key, value), (_, value_node) in zip(items, pairs):
                if value is None and key in spellings and isinstance(value_node, ScalarNode):
                    value_node.value = spellings[key]
        return node

    def represent_sequence(self, tag: Any, sequence: Any, flow_style: Any = None) -> Any:
        node = super().represent_sequence(tag, sequence, flow_style)
        spellings = getattr(sequence, NULL_SPELLINGS, None)
        if spellings:
            for index, (item, item_node) in enumerate(zip(sequence, node.value)):
                if item is None and index in spellings and isinstance(item_node, ScalarNode):
                    item_node.value = spellings[index]
        return node


def _yaml(indent: tuple[int, int, int]) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.Representer = _Representer
    yaml.preserve_quotes = True
    yaml.width = 1 << 16  # never re-wrap long lines
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def parse(text: str, *, path: str | Path) -> Document:
    """Load ``text`` for editing; refuses files that cannot be written back unchanged."""
    if not text.strip():
        return Document(CommentedMap(), NEW_FILE_INDENT, text, bare=True)
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
        if data is None and _yaml(indent).compose(text) is None:
            # Comments only (an explicit ``null`` document composes to a node): an empty mapping, as a blank file.
            return Document(CommentedMap(), NEW_FILE_INDENT, text, bare=True)
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


def set_in(data: CommentedMap, path: list[Any], value: Any, *, first: bool = False, before: Any = None) -> None:
    """Set ``path`` to ``value``, creating mappings on the way; an existing string keeps its quote style.

    A new top-level mapping goes at the top with ``first`` (``metadata`` before ``spec`` in a patch), else
    before the key ``before`` when there is one (``metadata`` after ``kind``, before ``spec``), else last.
    Comment lines written above the key it lands before stay above that key."""
    node = data
    moved: tuple[Any, Any] | None = None  # (comment lines, the new mapping they now follow)
    for i, part in enumerate(path[:-1]):
        if not isinstance(node.get(part), dict):
            child = CommentedMap()
            if part in node:
                node[part] = child  # a scalar on the way, replaced in place
            elif first and i == 0:
                node.insert(0, part, child)
            elif before is not None and i == 0 and before in node:
                position = list(node).index(before)
                trailing = _take_lines(_slot_after(node, list(node)[position - 1])) if position else None
                if trailing is not None:
                    moved = (trailing, child)
                node.insert(position, part, child)
            else:
                trailing = _take_trailing(node)
                if trailing is not None:
                    moved = (trailing, child)
                node[part] = child
        node = node[part]
    key = path[-1]
    value = to_commented(value)
    old = node.get(key)
    if isinstance(old, (DoubleQuotedScalarString, SingleQuotedScalarString)) and isinstance(value, str):
        value = type(old)(value)
    blocks = [i for i, k in enumerate(node) if isinstance(node[k], (dict, list))]
    if key not in node and not isinstance(value, (dict, list)) and blocks:
        # A new scalar goes after the mapping's scalars, before its first nested block: appended at the
        # end it would land after the comments that close the last block.
        node.insert(blocks[0], key, value)
    else:
        trailing = _take_trailing(node) if key not in node and isinstance(value, (dict, list)) else None
        if trailing is not None:
            moved = (trailing, value)
        node[key] = value
    if moved is not None:
        # Comment lines that closed the mapping keep closing it, after the new block.
        _give_trailing(moved[1], moved[0])


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


def _slot_after(mapping: Any, key: Any) -> tuple[Any, Any, int] | None:
    """(container, key, slot) of the end-of-line comment after ``mapping[key]``'s last scalar."""
    child = mapping[key]
    if isinstance(child, (dict, list)) and child:
        return _last_slot(child)
    return mapping, key, 2


def _take_trailing(node: Any) -> Any:
    """Detach the full-line comments (and blank lines) that follow the last scalar under ``node``."""
    return _take_lines(_last_slot(node))


def _take_lines(found: tuple[Any, Any, int] | None) -> Any:
    """Detach the lines after the first of the comment token in ``found``: ruamel keeps the comment lines
    that follow a value in the token of that value's line."""
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
