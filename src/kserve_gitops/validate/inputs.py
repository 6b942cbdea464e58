"""``validate PATH...``: the objects to check, from files, directories, kustomizations and stdin.

- a file: every YAML document (or a JSON document); ``List`` kinds are unwrapped into their items;
- a directory holding a ``kustomization.yaml``: rendered with kustomize first (its subtree is not walked);
- any other directory: walked recursively for ``*.yaml``, ``*.yml`` and ``*.json`` (hidden folders skipped);
- ``-``: one YAML stream read from standard input.

Objects keep the file and document they came from, and for List items the JSON path prefix of the item,
so findings can name the line and column in the file the user wrote. Nothing here prints.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Sequence

from ..cachedir import NO_CACHE_ENV
from ..errors import UsageError, YamlError
from ..inputs.paths import display_path
from ..inputs.yamlsrc import Positions, gc_paused, load_documents, max_file_bytes, parse_stream_piece, read_text, split_stream_text
from ..render.stream import list_items, parse_rendered
from ..results import LoadedObject

if TYPE_CHECKING:
    from ..render.kustomize import Renderer

# The kustomize driver (subprocess, the tool finder) loads when a folder is a kustomization, not at start.

STDIN = "<stdin>"
YAML_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class FileObject(LoadedObject):
    """A LoadedObject read from a file the user gave; ``prefix`` is the JSON path of a List item."""

    prefix: tuple[Any, ...] = ()


@dataclass
class LoadedInputs:
    objects: list[LoadedObject] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    # files that do not parse: findings (yaml-syntax), and the other files are still checked
    errors: list[YamlError] = field(default_factory=list)


# The stdin stream's text (it has no path to re-read for line numbers), and its positions once a finding
# needs them: composing the node tree of a large stream costs more than parsing it.
_stdin_text: str | None = None
_stdin_positions: Positions | None = None


def stdin_positions() -> Positions | None:
    global _stdin_positions
    if _stdin_positions is None and _stdin_text is not None:
        _stdin_positions = Positions(STDIN, _stdin_text)
    return _stdin_positions


def load_paths(
    paths: Sequence[str], *, stdin: BinaryIO | None = None, renderer: "Renderer | None" = None, use_cache: bool = True
) -> LoadedInputs:
    """Load every object under ``paths`` in a stable order (paths as given, folders sorted); ``use_cache``
    reads and writes the parsed-files cache."""
    out = LoadedInputs()
    seen_stdin = False
    tasks: list[tuple[str, Path]] = []
    for raw in paths:
        if raw == "-":
            if seen_stdin:
                raise UsageError("'-' (standard input) can be given only once")
            seen_stdin = True
            tasks.append(("stdin", Path(STDIN)))
            continue
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"no such file or directory: {raw}")
        if path.is_dir():
            _walk(tasks, path)
        else:
            tasks.append(("file", path))
    with gc_paused():  # the pool's workers, forked inside, inherit the pause
        _load_tasks(out, tasks, stdin=stdin, renderer=renderer, use_cache=use_cache)
    return out


def _load_tasks(
    out: LoadedInputs, tasks: list[tuple[str, Path]], *, stdin: BinaryIO | None, renderer: "Renderer | None", use_cache: bool
) -> None:
    parsed = _parse_files([p for kind, p in tasks if kind == "file"], use_cache=use_cache)
    for kind, path in tasks:
        if kind == "stdin":
            # one byte past the cap is enough to refuse: an endless pipe never fills memory
            data = stdin.read(max_file_bytes() + 1) if stdin is not None else b""
            try:
                _load_stream(out, STDIN, data=data if isinstance(data, bytes) else data.encode())
            except YamlError as exc:
                out.errors.append(exc)
        elif kind == "kustomize":
            _load_kustomization(out, path, renderer)
        else:
            result = parsed[path]
            if isinstance(result, YamlError):
                out.errors.append(result)
                continue
            name, docs = result
            out.files.append(name)
            for doc_index, data in docs:
                _add(out, data, path=name, doc_index=doc_index)


def _walk(tasks: list[tuple[str, Path]], directory: Path) -> None:
    from ..render.kustomize import KUSTOMIZATION_NAMES

    if any((directory / n).is_file() for n in KUSTOMIZATION_NAMES):
        tasks.append(("kustomize", directory))
        return
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            _walk(tasks, entry)
        elif entry.suffix in YAML_SUFFIXES and entry.is_file():
            tasks.append(("file", entry))


# Parsing YAML is most of the cost of validating many files (PyYAML builds Python objects in Python even
# with the C parser), so many files are parsed by a pool of worker processes, one per core.
PARALLEL_MIN_FILES = 16


def _parse_files(files: list[Path], *, use_cache: bool = True) -> dict[Path, tuple[str, list[tuple[int, Any]]] | YamlError]:
    """Each file's documents, or the YamlError that stopped its parse."""
    cache = ParsedFiles() if use_cache and not os.environ.get(NO_CACHE_ENV) else None
    out: dict[Path, tuple[str, list[tuple[int, Any]]] | YamlError] = {}
    keys = {path: cache.key(path) for path in files} if cache else {}
    for path, key in keys.items():
        docs = cache.get(key) if key else None  # type: ignore[union-attr]
        if docs is not None:
            out[path] = (display_path(path), docs)
    todo = [path for path in files if path not in out]
    workers = min(os.cpu_count() or 1, 8)
    if len(todo) < PARALLEL_MIN_FILES or workers < 2:
        results = [_parse_file_safely(path) for path in todo]
    else:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            results = pool.map(_parse_file_safely, todo, chunksize=max(1, len(todo) // (workers * 4)))
    parsed = {}
    for path, result in zip(todo, results):
        if isinstance(result, YamlErrorInfo):
            out[path] = YamlError(result.message, path=result.path, line=result.line, column=result.column, hint=result.hint)
        else:
            out[path] = result
            if keys.get(path):
                parsed[keys[path]] = result[1]
    if cache and parsed:
        cache.put_many(parsed)  # a file that does not parse is never cached: its error is worded afresh
    return {path: out[path] for path in files}


class ParsedFiles:
    """The documents of files parsed before, by content: JSON reads back about ten times faster than YAML
    parses, and most files of a pull request are the ones the last run saw. An entry is written only when
    JSON gives back exactly what the loader built (no non-string keys, no binary values); the key holds the
    loader's own source, so a change to how YAML is read misses every entry."""

    FORMAT = 1
    LARGEST = 16 << 20  # a larger file (a generated dump) is parsed each run rather than kept on disk

    def __init__(self) -> None:
        import hashlib

        from ..cachedir import JsonStore
        from ..inputs import yamlsrc

        self.store = JsonStore("parsed-files", self.FORMAT, keep=1024)
        self._sha256 = hashlib.sha256
        self.loader = hashlib.sha256(Path(yamlsrc.__file__ or "").read_bytes()).digest()

    def key(self, path: Path) -> str | None:
        try:
            if path.stat().st_size > max_file_bytes():
                return None  # the parse words the refusal
            data = path.read_bytes()
        except OSError:
            return None
        return self._sha256(self.loader + data).hexdigest()

    def get(self, key: str) -> list[tuple[int, Any]] | None:
        entry = self.store.get(key)
        if not isinstance(entry, list) or not all(isinstance(d, list) and len(d) == 2 and isinstance(d[0], int) for d in entry):
            return None
        return [(index, data) for index, data in entry]

    def put_many(self, parsed: dict[str, list[tuple[int, Any]]]) -> None:
        entries = {}
        for key, docs in parsed.items():
            plain = [[index, data] for index, data in docs]
            try:
                text = json.dumps(plain, separators=(",", ":"))
            except (TypeError, ValueError):
                continue
            if len(text) <= self.LARGEST and json.loads(text) == plain:
                entries[key] = plain
        self.store.put_many(entries)


@dataclass
class YamlErrorInfo:
    """A YamlError as plain data: exceptions with keyword-only fields do not cross process boundaries."""

    message: str
    path: str | None
    line: int | None
    column: int | None
    hint: str | None


def _parse_file_safely(path: Path) -> tuple[str, list[tuple[int, Any]]] | YamlErrorInfo:
    try:
        return _parse_file(path)
    except YamlError as exc:
        return YamlErrorInfo(exc.message, exc.path, exc.line, exc.column, exc.hint)


def _parse_file(path: Path) -> tuple[str, list[tuple[int, Any]]]:
    name = display_path(path)
    if path.suffix == ".json":
        text = read_text(name)
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise YamlError(f"invalid JSON: {exc.msg}", path=name, line=exc.lineno, column=exc.colno) from None
        return name, [(0, data)]
    return name, _stream_documents(name, read_text(name))


def _stream_documents(name: str, text: str) -> list[tuple[int, Any]]:
    """(document index, data) of every non-empty document of a YAML stream."""
    workers = min(os.cpu_count() or 1, 8)
    if len(text) >= PARALLEL_MIN_BYTES and workers > 1 and not _in_worker():
        docs = _parse_in_pieces(name, split_stream_text(text, workers * 2), workers)
        if docs is not None:
            return docs
    return [(doc.index, doc.data) for doc in load_documents(name, text=text)]


# One file this large (a rendered environment) is cut at document starts and parsed on every core, unless
# this process is itself a worker (the cores are taken).
PARALLEL_MIN_BYTES = 256 << 10


def _parse_in_pieces(name: str, pieces: list[str], workers: int) -> list[tuple[int, Any]] | None:
    """The documents of a stream parsed piece by piece; None when a piece fails, so that one parse of the
    whole stream words the error (with its line in the file)."""
    if len(pieces) < 2:
        return None
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(min(workers, len(pieces))) as pool:
        parsed = pool.starmap(_parse_piece_safely, [(name, piece) for piece in pieces])
    out: list[tuple[int, Any]] = []
    offset = 0
    for piece in parsed:
        if piece is None:
            return None
        count, docs = piece
        out.extend((offset + index, data) for index, data in docs)
        offset += count
    return out


def _in_worker() -> bool:
    import multiprocessing

    return multiprocessing.parent_process() is not None


def _parse_piece_safely(name: str, piece: str) -> tuple[int, list[tuple[int, Any]]] | None:
    try:
        count, docs = parse_stream_piece(name, piece)
    except YamlError:
        return None
    return count, [(doc.index, doc.data) for doc in docs]


def _load_stream(out: LoadedInputs, name: str, *, data: bytes) -> None:
    global _stdin_text, _stdin_positions
    text = read_text(name, data=data)
    _stdin_text, _stdin_positions = text, None
    out.files.append(name)
    for index, data in _stream_documents(name, text):
        _add(out, data, path=name, doc_index=index)


def _add(out: LoadedInputs, data: Any, *, path: str, doc_index: int) -> None:
    # a file's Lists unwrap as a rendered stream's do (render.stream), keeping each item's JSON path
    for prefix, item in list_items(data):
        out.objects.append(FileObject(item, path=path, doc_index=doc_index, prefix=prefix))


def _load_kustomization(out: LoadedInputs, directory: Path, renderer: "Renderer | None") -> None:
    """Render with kustomize; each object points back at the file under the directory that defines it."""
    from ..render.kustomize import find_renderer, render

    name = display_path(directory)
    stream = render(directory, renderer=renderer or find_renderer())
    objects = parse_rendered(stream, environment=None, path=name)
    index = _definition_index(directory)
    for obj in objects:
        data = obj.data if isinstance(obj.data, dict) else {}
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        found = index.get((str(data.get("kind", "")), str(meta.get("name", ""))))
        if found:
            obj.source, obj.source_doc_index = found
    out.rendered.append(name)
    out.objects.extend(objects)


def _definition_index(directory: Path) -> dict[tuple[str, str], tuple[str, int]]:
    from ..render.kustomize import KUSTOMIZATION_NAMES

    index: dict[tuple[str, str], tuple[str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            if not filename.endswith((".yaml", ".yml")) or filename in KUSTOMIZATION_NAMES:
                continue
            path = display_path(Path(dirpath) / filename)
            try:
                docs = load_documents(path)
            except YamlError:
                continue  # kustomize already accepted what it uses; a stray file is not our input
            for doc in docs:
                if isinstance(doc.data, dict):
                    meta = doc.data.get("metadata") if isinstance(doc.data.get("metadata"), dict) else {}
                    index.setdefault((str(doc.data.get("kind", "")), str(meta.get("name", ""))), (path, doc.index))
    return index

