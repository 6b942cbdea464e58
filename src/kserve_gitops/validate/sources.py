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
from ..inputs.yamlsrc import load_documents, positions_for
from ..results import LoadedObject


class SourceMap:
    def __init__(self, root: Path, models: Sequence[Model]) -> None:
        self.root = root
        self.models = {m.name: m for m in models}
        self._charts: dict[tuple[str, str, str], str] | None = None

    def _chart_index(self) -> dict[tuple[str, str, str], str]:
        if self._charts is None:
            self._charts = {}
            charts = self.root / "charts"
            for dirpath, _, filenames in os.walk(charts):
                for name in sorted(filenames):
                    if not name.endswith(".yaml") or name == "kustomization.yaml":
                        continue
                    path = Path(dirpath) / name
                    rel = self._display(path)
                    try:
                        docs = load_documents(rel)
                    except Exception:
                        continue
                    for doc in docs:
                        if isinstance(doc.data, dict):
                            meta = doc.data.get("metadata") or {}
                            key = (str(doc.data.get("kind")), str(meta.get("name")), str(meta.get("namespace") or ""))
                            self._charts.setdefault(key, rel)
                            self._charts.setdefault((key[0], key[1], ""), rel)
        return self._charts

    def _display(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path)

    def attach(self, obj: LoadedObject) -> None:
        data = obj.data if isinstance(obj.data, dict) else {}
        kind = str(data.get("kind", ""))
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        name = str(meta.get("name", ""))
        model = self.models.get(name) if kind == "InferenceService" else None
        if model is not None:
            sources = []
            if obj.environment and model.overlay_path(obj.environment):
                sources.append(self._display(self.root / model.overlay_path(obj.environment)))
            sources.append(self._display(self.root / model.base_path))
            obj.source = sources[0]
            obj.extra_sources = tuple(sources[1:])
            return
        chart = self._chart_index().get((kind, name, str(meta.get("namespace") or ""))) or self._chart_index().get(
            (kind, name, "")
        )
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
