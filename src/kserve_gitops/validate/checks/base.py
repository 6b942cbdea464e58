"""What every check shares: the context it runs in and the finding located at a field of an object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from ...inputs.config import CONFIG_FILE, Environment
from ...inputs.yamlsrc import format_json_path, positions_for
from ...results import ERROR, Finding, LoadedObject, ObjectRef
from ..inputs import STDIN, FileObject, stdin_positions
from ..options import ValidateOptions
from ..schemas import SchemaSet
from ..sources import locate


@dataclass
class CheckContext:
    environment: Environment | None
    options: ValidateOptions
    schema_set: SchemaSet | None
    all_objects: list[LoadedObject]
    # where the environment's kserve-gitops.yaml is, as findings show it (the repo may not be the cwd)
    config_path: str = CONFIG_FILE


Check = Callable[[list[LoadedObject], CheckContext], Iterable[Finding]]


def finding_for(obj: LoadedObject, parts: list, *, rule: str, message: str, severity: str = ERROR, engine: str = "", hint: str = "") -> Finding:
    path, line, col = _locate(obj, parts)
    return Finding(
        rule=rule,
        message=message,
        severity=severity,
        path=path,
        line=line,
        column=col,
        json_path=format_json_path(parts),
        object=ObjectRef.of(obj.data),
        environment=obj.environment or "",
        engine=engine,
        hint=hint,
    )


def _locate(obj: LoadedObject, parts: list) -> tuple[str, int, int]:
    if isinstance(obj, FileObject) and obj.source is None:
        positions = stdin_positions() if obj.path == STDIN else positions_for(obj.path)
        if positions is None:
            return (obj.path, obj.line, 1)
        line, col, _ = positions.locate(obj.doc_index, [*obj.prefix, *parts])
        return (obj.path, line, col)
    if obj.source and obj.source_doc_index and not obj.extra_sources:
        line, col, _ = positions_for(obj.source).locate(obj.source_doc_index, parts)
        return (obj.source, line, col)
    return locate(obj, parts)
