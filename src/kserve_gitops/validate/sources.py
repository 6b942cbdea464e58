"""Which file a rendered object came from, and where in it a field is.

Rendered overlays come from kustomize's stdout, which no user edits. A finding is only useful when it
points at the file to change: the model's ``<env>.yaml`` if it sets the field, else the model's
``inferenceservice.yaml``, else the generated file under ``charts/`` (whose construct or config the
user then changes).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from ..inputs.models import Model
from ..inputs.paths import display_path
from ..inputs.yamlsrc import load_documents, positions_for
from ..results import LoadedObject


class SourceMap:
    def __init__(self, root: Path, models: Sequence[Model]) -> None:
        self.root = root
        self.models = {m.name: m for m in models}
        # resolved once: resolving a path per object costs seconds at 1,000 models
        self._root_display = display_path(root)
        self._platform_charts: dict[tuple[str, str, str], str] | None = None
        self._model_charts: dict[tuple[str, str, str], str] | None = None

    def _chart_index(self, *, models: bool) -> dict[tuple[str, str, str], str]:
        """Platform charts first; ``charts/models/`` (one base per model, read only when an object is in
        none of the platform charts), since InferenceServices map to their model files directly."""
        if not models:
            if self._platform_charts is None:
                self._platform_charts = self._index_charts(skip_models=True)
            return self._platform_charts
        if self._model_charts is None:
            self._model_charts = self._index_charts(skip_models=False, only_models=True)
        return self._model_charts

    def _index_charts(self, *, skip_models: bool, only_models: bool = False) -> dict[tuple[str, str, str], str]:
        index: dict[tuple[str, str, str], str] = {}
        charts = self.root / "charts"
        top = charts / "models" if only_models else charts
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            if skip_models and Path(dirpath) == charts and "models" in dirnames:
                dirnames.remove("models")
            for name in sorted(filenames):
                if not name.endswith(".yaml") or name == "kustomization.yaml":
                    continue
                rel = self._display_rel(os.path.relpath(os.path.join(dirpath, name), self.root))
                try:
                    docs = load_documents(rel)
                except Exception:
                    continue
                for doc in docs:
                    if isinstance(doc.data, dict):
                        meta = doc.data.get("metadata") or {}
                        key = (str(doc.data.get("kind")), str(meta.get("name")), str(meta.get("namespace") or ""))
                        index.setdefault(key, rel)
                        index.setdefault((key[0], key[1], ""), rel)
        return index

    def _display_rel(self, rel: str) -> str:
        """A repo-relative path as shown to users (relative to the working directory when it can be)."""
        return os.path.normpath(os.path.join(self._root_display, rel))

    def attach(self, obj: LoadedObject) -> None:
        data = obj.data if isinstance(obj.data, dict) else {}
        kind = str(data.get("kind", ""))
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        name = str(meta.get("name", ""))
        model = self.models.get(name) if kind in ("InferenceService", "LLMInferenceService") else None
        if model is not None and model.kind == kind:
            sources = []
            if obj.environment and model.overlay_path(obj.environment):
                sources.append(self._display_rel(model.overlay_path(obj.environment)))
            sources.append(self._display_rel(model.base_path))
            obj.source = sources[0]
            obj.extra_sources = tuple(sources[1:])
            return
        namespace = str(meta.get("namespace") or "")
        chart = None
        for models in (False, True):
            index = self._chart_index(models=models)
            chart = index.get((kind, name, namespace)) or index.get((kind, name, ""))
            if chart:
                break
        if chart:
            obj.source = chart


def locate(obj: LoadedObject, json_path: Sequence[Any]) -> tuple[str, int, int]:
    """(file, line, column) for a field of ``obj``: the first source that has the field, else the nearest."""
    candidates = [s for s in (obj.source, *obj.extra_sources) if s]
    best: tuple[str, int, int] | None = None
    for source in candidates:
        line, col, exact = positions_for(source).locate(0, json_path)
        if exact:
            return (source, line, col)
        if best is None:
            best = (source, line, col)
    if best is not None:
        return best
    line, col, _ = positions_for(obj.path).locate(obj.doc_index, json_path) if Path(obj.path).is_file() else (obj.line, 1, False)
    return (obj.path, line, col)
