"""Rendered multi-document YAML (kustomize's output, a committed overlay), read one way wherever it is read:
by render's cache, by ``diff`` (validate.base.index_stream) and by validate (validate.inputs.parse_rendered).

Empty documents are dropped and ``kind: List`` documents are unwrapped into their items, Lists inside
Lists too (kubectl applies them so). Each object keeps the index of the document it came from and, for a
List item, its JSON path in that document, so a finding can point inside the List.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import yaml

from ..errors import RenderError
from ..inputs.yamlsrc import KubeLoader
from ..results import LoadedObject

JsonPath = tuple[Any, ...]


@dataclass
class StreamObject:
    data: Any
    doc_index: int  # among the stream's non-empty documents
    json_path: JsonPath = ()  # of a List item in its document, e.g. ("items", 2); () for a whole document


def is_list(data: Any) -> bool:
    return isinstance(data, dict) and data.get("kind") == "List"


def list_items(data: Any, json_path: JsonPath = ()) -> Iterator[tuple[JsonPath, Any]]:
    """(JSON path, object) of every object ``data`` holds: itself, or a List's items, recursively. A List
    whose ``items`` is not a list is yielded whole, so that the checks report it rather than drop it."""
    if is_list(data) and isinstance(data.get("items"), list):
        for i, item in enumerate(data["items"]):
            yield from list_items(item, (*json_path, "items", i))
    else:
        yield json_path, data


def _problem(exc: yaml.YAMLError, path: str | None) -> RenderError:
    return RenderError(f"kustomize printed YAML that does not parse: {exc}", path=path)


def parse_stream(stream: str, *, path: str | None = None) -> list[StreamObject]:
    """Every object of a rendered stream, in order."""
    try:
        docs = [d for d in yaml.load_all(stream, Loader=KubeLoader) if d is not None]
    except yaml.YAMLError as exc:
        raise _problem(exc, path) from None
    return [StreamObject(data, i, json_path) for i, doc in enumerate(docs) for json_path, data in list_items(doc)]


def parse_rendered(stream: str, *, environment: str | None, path: str) -> list[LoadedObject]:
    """``parse_stream`` as the objects validate checks."""
    return [LoadedObject(o.data, path=path, doc_index=o.doc_index, environment=environment) for o in parse_stream(stream, path=path)]


def split_stream(stream: str) -> list[str]:
    """kustomize's output split into the text of its documents (each ends with a newline; join them with
    ``---``): the render cache stores and reassembles the exact bytes kustomize printed."""
    if not stream.strip():
        return []
    docs = stream.split("\n---\n")
    return [d if d.endswith("\n") else d + "\n" for d in docs]


def load_document(text: str, *, path: str | None = None) -> Any:
    """One document of ``split_stream`` as data (not unwrapped: the cache steps aside for a List)."""
    try:
        return yaml.load(text, Loader=KubeLoader)
    except yaml.YAMLError as exc:
        raise _problem(exc, path) from None
