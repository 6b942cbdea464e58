"""A content-addressed render cache: after one model changes, kustomize renders only that model.

A synthesized environment is laid out as ``overlays/<env>/kustomization.yaml`` (platform bases, an
environment label, ``namespaces/<ns>``) → ``namespaces/<ns>/`` (sets ``namespace:``) → ``models/<name>/``
(one small kustomization per model: its base under ``charts/models/<name>`` plus one patch).

Each model folder is a *unit*. Its fingerprint covers every file kustomize reads for it (the folder, its
base, recursively) and the parents' own settings (everything but their ``resources`` lists). Everything
else in the environment (the platform bases and the top overlay's settings) is the *rest*, with its own
fingerprint. On a miss the whole environment is rendered with one kustomize call, as without the cache,
and each unit's objects are stored under its fingerprint. When only some units changed, a temporary
overlay tree with the same parents but listing only the changed model folders is rendered with the real
kustomize (so the parents' namespace and labels are applied by kustomize, not by us), and the other
units' objects come from the cache. Every object is therefore the output of the real tool from the
current files.

Whenever the layout is not one this module understands (a hand-edited overlay, a generator, a name
prefix, an object it cannot attribute to exactly one unit), it renders the whole environment and caches
nothing: the cache can make a run faster, never different.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..cachedir import NO_CACHE_ENV, JsonStore
from ..cachedir import cache_dir as default_cache_dir
from ..errors import RenderError
from ..inputs.yamlsrc import KubeLoader
from .kustomize import KUSTOMIZATION_NAMES, REMOTE, Renderer, check_local_only, find_renderer, render
from .stream import is_list, load_document, split_stream

# Bump when the pack layout or the fingerprint recipe changes: old packs are then simply not found.
CACHE_FORMAT = 1

# Keys whose effect is per object (or confined to the folder that holds them). Anything else (generators,
# name prefixes, replacements, components, helm charts...) may tie objects of different units together,
# so the cache steps aside.
_SAFE_KEYS = {"apiVersion", "kind", "resources", "patches", "labels", "commonLabels", "commonAnnotations", "namespace"}
_PARENT_KEYS = {"apiVersion", "kind", "resources", "labels", "commonLabels", "commonAnnotations"}
_NAMESPACE_KEYS = {"apiVersion", "kind", "resources", "namespace"}

# kustomize's legacy output order (api/resid: kinds sorted first and last, then by GVK and id string).
_ORDER_FIRST = (
    "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount", "PodSecurityPolicy",
    "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service",
    "LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim", "Deployment", "StatefulSet",
    "CronJob", "PodDisruptionBudget",
)  # fmt: skip
_ORDER_LAST = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
_TYPE_ORDER = {**{k: i - len(_ORDER_FIRST) for i, k in enumerate(_ORDER_FIRST)}, **{k: i + 1 for i, k in enumerate(_ORDER_LAST)}}


# Model folders per kustomize call: one build of a 3,000-model environment takes several times as long as
# three builds of 1,000, so large renders are split (the result is assembled in kustomize's order).
CHUNK_UNITS = 250


class Doubt(Exception):
    """The overlay is not in a shape the cache can reason about; render it whole."""


@dataclass
class RenderedEnvironment:
    """One environment's objects in kustomize's order: each object's YAML as kustomize printed it, and its
    parsed data when the cache holds it (``None``: parse ``docs[i]``)."""

    docs: list[str]
    data: list[Any]
    mode: str  # "uncached" | "full" | "hit" | "incremental"
    rendered_units: int = 0
    reason: str = ""

    @property
    def stream(self) -> str:
        return "---\n".join(self.docs)


def render_environment(
    overlay: Path, *, renderer: Renderer | None = None, use_cache: bool = True, cache_dir: Path | None = None
) -> RenderedEnvironment:
    """Render ``overlays/<env>``: through the cache when allowed and understood, else one kustomize call."""
    renderer = renderer or find_renderer()
    if not use_cache or os.environ.get(NO_CACHE_ENV):
        try:  # no cache read or written, but a large environment is still rendered in chunks
            return _EnvironmentCache(overlay, renderer, cache_dir or default_cache_dir()).render_in_chunks()
        except Doubt:
            stream = render(overlay, renderer=renderer)
            docs = split_stream(stream)
            return RenderedEnvironment(docs=docs, data=[None] * len(docs), mode="uncached")
    cache = _EnvironmentCache(overlay, renderer, cache_dir or default_cache_dir())
    try:
        return cache.render()
    except Doubt as doubt:
        stream = render(overlay, renderer=renderer)
        docs = split_stream(stream)
        return RenderedEnvironment(docs=docs, data=[None] * len(docs), mode="uncached", reason=str(doubt))


def legacy_order_key(data: dict) -> tuple:
    api = str(data.get("apiVersion") or "")
    group, _, version = api.rpartition("/")
    kind = str(data.get("kind") or "")
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    gvk = "_".join([group or "~G", version or "~V", kind or "~K"])
    name = str(meta.get("name") or "~N")
    namespace = str(meta.get("namespace") or "~X")
    return (_TYPE_ORDER.get(kind, 0), gvk, f"{gvk}|{namespace}|{name}")


def _object_id(data: Any) -> tuple[str, str, str, str]:
    if not isinstance(data, dict):
        raise Doubt("kustomize printed a document that is not an object")
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    return (str(data.get("apiVersion")), str(data.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))


def _json_or_none(data: Any) -> Any:
    """The object as JSON for a fast reload, or ``None`` when JSON would change it (e.g. non-string keys)."""
    try:
        text = json.dumps(data, sort_keys=False)
    except (TypeError, ValueError):
        return None
    return data if json.loads(text) == data else None


@dataclass
class _Unit:
    folder: str  # overlay-relative, e.g. models/sklearn-iris
    namespace_dir: str  # overlay-relative, e.g. namespaces/models-dev
    fingerprint: str = ""
    leaves: list[str] = field(default_factory=list)  # resource files kustomize reads for this unit


class _EnvironmentCache:
    def __init__(self, overlay: Path, renderer: Renderer, cache_dir: Path) -> None:
        self.overlay = overlay
        self.renderer = renderer
        self.root = overlay.resolve()
        # Keyed by the overlay's place in its repo (overlays/<env>), not the checkout's path: a temporary copy
        # of the repo reuses the pack. Every unit in it is checked by content before it is reused.
        where = "/".join(self.root.parts[-2:])
        self.pack_key = hashlib.sha256(f"{where}\0{' '.join(renderer.command)}".encode()).hexdigest()[:32]
        self.store = JsonStore("render", CACHE_FORMAT, keep=64, root=cache_dir)
        self._tree_memo: dict[Path, tuple[str, list[str]]] = {}
        # parsed kustomizations by content hash: 2,000 tiny YAML parses cost more than the cached render
        self._parsed: dict[str, Any] = {}
        self._parsed_seen: dict[str, Any] = {}

    # -- fingerprints ------------------------------------------------------------------------------
    def _kustomization(self, directory: Path, allowed: set[str]) -> tuple[bytes, dict]:
        present = [n for n in KUSTOMIZATION_NAMES if (directory / n).is_file()]
        if present != ["kustomization.yaml"]:
            raise Doubt(f"{directory}: expected exactly one kustomization.yaml")
        raw = (directory / "kustomization.yaml").read_bytes()
        digest = hashlib.sha1(raw).hexdigest()
        data = self._parsed.get(digest)
        if data is None:
            try:
                data = yaml.load(raw, Loader=KubeLoader) or {}
            except yaml.YAMLError:
                raise Doubt(f"{directory}: kustomization does not parse") from None
            if _json_or_none(data) is None:
                raise Doubt(f"{directory}: kustomization holds values this cache cannot store")
        self._parsed_seen[digest] = data
        if not isinstance(data, dict) or set(data) - allowed:
            raise Doubt(f"{directory}: kustomization uses {sorted(set(data) - allowed) if isinstance(data, dict) else 'no mapping'}")
        for entry in data.get("resources") or []:
            if not isinstance(entry, str) or REMOTE.search(entry) or os.path.isabs(entry):
                raise Doubt(f"{directory}: resource {entry!r} is not a local relative path")
        return raw, data

    def _tree(self, directory: Path) -> tuple[str, list[str]]:
        """(fingerprint of every file kustomize reads below ``directory``, the resource files)."""
        directory = Path(os.path.normpath(directory))
        if directory in self._tree_memo:
            return self._tree_memo[directory]
        raw, data = self._kustomization(directory, _SAFE_KEYS)
        digest = hashlib.sha256(raw)
        leaves: list[str] = []
        for entry in data.get("resources") or []:
            target = directory / entry
            if target.is_dir():
                sub, sub_leaves = self._tree(target)
                digest.update(f"\0dir {entry}\0{sub}".encode())
                leaves.extend(sub_leaves)
            elif target.is_file():
                digest.update(f"\0file {entry}\0".encode() + target.read_bytes())
                leaves.append(os.path.normpath(target))
            else:
                raise Doubt(f"{directory}: resource {entry!r} not found")
        for patch in data.get("patches") or []:
            if not isinstance(patch, dict) or set(patch) - {"path", "patch", "target", "options"}:
                raise Doubt(f"{directory}: a patch entry this cache does not understand")
            if "path" in patch:
                target = directory / str(patch["path"])
                if not target.is_file():
                    raise Doubt(f"{directory}: patch {patch['path']!r} not found")
                digest.update(f"\0patch {patch['path']}\0".encode() + target.read_bytes())
        result = (digest.hexdigest(), leaves)
        self._tree_memo[directory] = result
        return result

    def _layout(self) -> tuple[dict, dict[str, dict], list[_Unit], str]:
        """Parse the parents, fingerprint the rest and every unit."""
        top_raw, top = self._kustomization(self.overlay, _PARENT_KEYS)
        settings = {k: v for k, v in top.items() if k != "resources"}
        base = hashlib.sha256(json.dumps([CACHE_FORMAT, self.renderer.command, settings], sort_keys=True, default=str).encode())
        rest = base.copy()
        namespaces: dict[str, dict] = {}
        units: list[_Unit] = []
        for entry in top.get("resources") or []:
            norm = os.path.normpath(entry)
            if _is_namespace_entry(norm):
                _, ns_data = self._kustomization(self.overlay / norm, _NAMESPACE_KEYS)
                namespaces[norm] = ns_data
                ns_settings = json.dumps({k: v for k, v in ns_data.items() if k != "resources"}, sort_keys=True, default=str)
                for model_entry in ns_data.get("resources") or []:
                    folder = os.path.normpath(os.path.join(norm, model_entry))
                    if not (folder.startswith("models" + os.sep) and folder.count(os.sep) == 1):
                        raise Doubt(f"{norm}: resource {model_entry!r} is not a models/<name> folder")
                    tree, leaves = self._tree(self.overlay / folder)
                    digest = base.copy()
                    digest.update(f"\0{norm}\0{ns_settings}\0{folder}\0{tree}".encode())
                    units.append(_Unit(folder=folder, namespace_dir=norm, fingerprint=digest.hexdigest(), leaves=leaves))
            else:
                target = self.overlay / entry
                if target.is_file():
                    rest.update(f"\0file {entry}\0".encode() + target.read_bytes())
                elif target.is_dir():
                    rest.update(f"\0dir {entry}\0{self._tree(target)[0]}".encode())
                else:
                    raise Doubt(f"{self.overlay}: resource {entry!r} not found")
        if len({u.folder for u in units}) != len(units):
            raise Doubt("a model folder is listed twice")
        return top, namespaces, units, rest.hexdigest()

    # -- the pack on disk --------------------------------------------------------------------------
    def _load_pack(self) -> dict | None:
        pack = self.store.get(self.pack_key)
        return pack if _well_formed(pack) else None

    def _store_pack(self, pack: dict) -> None:
        self.store.put(self.pack_key, pack)  # a cache that cannot be written only costs time

    # -- rendering ---------------------------------------------------------------------------------
    def render(self) -> RenderedEnvironment:
        pack = self._load_pack()
        if pack is not None and isinstance(pack.get("parsed"), dict):
            self._parsed = pack["parsed"]
        top, namespaces, units, rest_fp = self._layout()
        if pack is None or pack.get("rest") != rest_fp or not pack.get("order_ok"):
            if len(units) > CHUNK_UNITS:
                return self._full_in_chunks(top, namespaces, units, rest_fp)
            return self._full(units, rest_fp)
        cached: dict[str, list] = pack["units"]
        changed = [u for u in units if u.fingerprint not in cached]
        entries: list[list] = list(pack["rest_docs"])
        fresh = self._render_units(top, namespaces, changed) if changed else {}
        for unit in units:
            entries.extend(fresh.get(unit.fingerprint) or cached[unit.fingerprint])
        result = self._assemble(entries, mode="incremental" if changed else "hit", rendered_units=len(changed))
        if changed:
            pack["units"] = {u.fingerprint: fresh.get(u.fingerprint) or cached[u.fingerprint] for u in units}
        if changed or set(self._parsed_seen) != set(self._parsed):
            pack["parsed"] = self._parsed_seen
            self._store_pack(pack)
        return result

    def _full(self, units: list[_Unit], rest_fp: str) -> RenderedEnvironment:
        stream = render(self.overlay, renderer=self.renderer)
        docs = split_stream(stream)
        entries = [self._entry(doc) for doc in docs]
        claimed = self._claim(entries, units)
        rest_docs = claimed.pop("")
        keys = [legacy_order_key(e[1]) if isinstance(e[1], dict) else () for e in entries]
        order_ok = all(a <= b for a, b in zip(keys, keys[1:]))
        self._store_pack({
            "format": CACHE_FORMAT, "rest": rest_fp, "order_ok": order_ok, "rest_docs": rest_docs,
            "units": {u.fingerprint: claimed.get(u.fingerprint, []) for u in units}, "parsed": self._parsed_seen,
        })  # fmt: skip
        return RenderedEnvironment(docs=docs, data=[e[2] for e in entries], mode="full", rendered_units=len(units))

    def render_in_chunks(self) -> RenderedEnvironment:
        """The environment in chunks without reading or writing the cache (``--no-cache``); Doubt when it
        has too few model folders to gain from it."""
        top, namespaces, units, _ = self._layout()
        if len(units) <= CHUNK_UNITS:
            raise Doubt("small enough for one kustomize call")
        rest_docs, fresh = self._render_rest(top), self._render_units(top, namespaces, units)
        return self._assemble(rest_docs + [e for u in units for e in fresh[u.fingerprint]], mode="uncached", rendered_units=len(units))

    def _full_in_chunks(self, top: dict, namespaces: dict[str, dict], units: list[_Unit], rest_fp: str) -> RenderedEnvironment:
        """A whole environment of many models: the platform objects in one kustomize call, the model folders
        in chunks (``_render_units``), assembled in kustomize's order as an incremental render is, and cached."""
        rest_docs, fresh = self._render_rest(top), self._render_units(top, namespaces, units)
        result = self._assemble(rest_docs + [e for u in units for e in fresh[u.fingerprint]], mode="full", rendered_units=len(units))
        self._store_pack({
            "format": CACHE_FORMAT, "rest": rest_fp, "order_ok": True, "rest_docs": rest_docs,
            "units": fresh, "parsed": self._parsed_seen,
        })  # fmt: skip
        return result

    def _render_rest(self, top: dict) -> list[list]:
        """The environment without its model folders: the top overlay's other resources and settings."""
        workdir = Path(tempfile.mkdtemp(prefix="kserve-gitops-render-"))
        try:
            top_copy = {k: v for k, v in top.items() if k != "resources"}
            top_copy["resources"] = [
                os.path.relpath(self.root / entry, workdir)
                for entry in top.get("resources") or []
                if not _is_namespace_entry(entry)
            ]
            check_local_only(self.overlay)
            _write_yaml(workdir / "kustomization.yaml", top_copy)
            stream = render(workdir, renderer=self.renderer)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return [self._entry(doc)[:2] for doc in split_stream(stream)]

    def _entry(self, doc: str) -> list:
        try:
            data = load_document(doc)
        except RenderError:
            raise Doubt("kustomize printed YAML that does not parse") from None
        if is_list(data):
            raise Doubt("kustomize printed a List")  # its items are no unit's; parse_stream unwraps it
        return [doc, _json_or_none(data), data]

    def _claim(self, entries: list[list], units: list[_Unit]) -> dict[str, list]:
        """Attribute each rendered object to the unit whose resource files declare it (else to the rest)."""
        by_name: dict[tuple[str, str], list[_Unit]] = {}
        expected: dict[str, int] = {}
        for unit in units:
            count = 0
            for leaf in unit.leaves:
                for kind, name in _declared(Path(leaf)):
                    by_name.setdefault((kind, name), []).append(unit)
                    count += 1
            expected[unit.fingerprint] = count
        claimed: dict[str, list] = {"": []}
        for entry in entries:
            kind, name = _object_id(entry[2])[1], _object_id(entry[2])[3]
            owners = by_name.get((kind, name), [])
            if len(owners) > 1:
                raise Doubt(f"{kind}/{name} is declared by more than one model folder")
            claimed.setdefault(owners[0].fingerprint if owners else "", []).append(entry[:2])
        for fingerprint, count in expected.items():
            if len(claimed.get(fingerprint, [])) != count:
                raise Doubt("a model folder's rendered objects do not match its resource files")
        return claimed

    def _render_units(self, top: dict, namespaces: dict[str, dict], units: list[_Unit]) -> dict[str, list]:
        """Render ``units`` (the changed ones, or all), at most ``CHUNK_UNITS`` per kustomize call."""
        fresh: dict[str, list] = {}
        for start in range(0, len(units), CHUNK_UNITS):
            fresh.update(self._render_chunk(top, namespaces, units[start : start + CHUNK_UNITS]))
        return fresh

    def _render_chunk(self, top: dict, namespaces: dict[str, dict], changed: list[_Unit]) -> dict[str, list]:
        """Render only ``changed`` through copies of their parents, with the real kustomize."""
        workdir = Path(tempfile.mkdtemp(prefix="kserve-gitops-render-"))
        try:
            wanted: dict[str, list[_Unit]] = {}
            for unit in changed:
                wanted.setdefault(unit.namespace_dir, []).append(unit)
            top_copy = {k: v for k, v in top.items() if k != "resources"}
            top_copy["resources"] = sorted(wanted)
            _write_yaml(workdir / "kustomization.yaml", top_copy)
            for ns_dir, ns_units in wanted.items():
                target = workdir / ns_dir
                target.mkdir(parents=True)
                ns_copy = {k: v for k, v in namespaces[ns_dir].items() if k != "resources"}
                ns_copy["resources"] = [os.path.relpath(self.root / u.folder, target) for u in ns_units]
                _write_yaml(target / "kustomization.yaml", ns_copy)
            for unit in changed:
                check_local_only(self.overlay / unit.folder)
            stream = render(workdir, renderer=self.renderer)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        entries = [self._entry(doc) for doc in split_stream(stream)]
        claimed = self._claim(entries, changed)
        if claimed.pop(""):
            raise Doubt("the partial render printed objects no changed model folder declares")
        return {u.fingerprint: claimed.get(u.fingerprint, []) for u in changed}

    def _assemble(self, entries: list[list], *, mode: str, rendered_units: int) -> RenderedEnvironment:
        parsed = []
        for doc, data in entries:
            if data is None:
                try:
                    data = load_document(doc)
                except RenderError:  # a damaged entry is a miss: one whole render, which parses (or reports) afresh
                    raise Doubt("a cached document does not parse") from None
            parsed.append((legacy_order_key(data), _object_id(data), doc, data))
        if len({p[1] for p in parsed}) != len(parsed):
            raise Doubt("two objects with one id: let kustomize report it")
        parsed.sort(key=lambda p: p[0])
        return RenderedEnvironment(
            docs=[p[2] for p in parsed], data=[p[3] for p in parsed], mode=mode, rendered_units=rendered_units
        )


def _well_formed(pack: Any) -> bool:
    """A pack from an older version, a crash or a hand edit is a miss, never an error."""

    def entries(value: Any) -> bool:
        return isinstance(value, list) and all(isinstance(e, list) and len(e) == 2 and isinstance(e[0], str) for e in value)

    return (
        isinstance(pack, dict)
        and pack.get("format") == CACHE_FORMAT
        and isinstance(pack.get("rest"), str)
        and isinstance(pack.get("units"), dict)
        and isinstance(pack.get("parsed", {}), dict)
        and entries(pack.get("rest_docs"))
        and all(entries(v) for v in pack["units"].values())
    )


def _declared(path: Path) -> Iterable[tuple[str, str]]:
    try:
        docs = list(yaml.load_all(path.read_bytes(), Loader=KubeLoader))
    except yaml.YAMLError:
        raise Doubt(f"{path} does not parse") from None
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, dict) or is_list(doc):
            raise Doubt(f"{path}: a document the cache cannot attribute")
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        yield (str(doc.get("kind")), str(meta.get("name")))


def _is_namespace_entry(entry: str) -> bool:
    """``namespaces/<ns>``: a namespace kustomization listing model folders (the rest is platform)."""
    norm = os.path.normpath(entry)
    return norm.startswith("namespaces" + os.sep) and norm.count(os.sep) == 1


def _write_yaml(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
