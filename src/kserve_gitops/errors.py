"""One exception tree for everything that stops a run.

Findings (things a user must fix in a manifest) are data, see ``results.py``. Exceptions are for runs that
cannot go on: bad input the tool cannot read (exit 2) or an environment problem such as a missing tool,
a failing engine or an unreachable server (exit 3). Each carries where it happened and a hint.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_ENVIRONMENT = 3


class KserveGitopsError(Exception):
    """Base of every error the toolkit raises on purpose."""

    exit_code = EXIT_INPUT

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.field = field
        self.hint = hint

    def __reduce__(self):
        # Errors cross process boundaries (validate checks environments in parallel): keep every field.
        return (_rebuild_error, (type(self), dict(self.__dict__)))

    def location(self) -> str:
        if not self.path:
            return ""
        parts = [self.path]
        if self.line:
            parts.append(str(self.line))
            if self.column:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        text = self.message
        if self.field:
            text = f"{self.field}: {text}"
        where = self.location()
        if where:
            text = f"{where}: {text}"
        if self.hint:
            text = f"{text}\n  hint: {self.hint}"
        return text


def _rebuild_error(cls: type, state: dict) -> "KserveGitopsError":
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


# --- bad input: exit 2 -------------------------------------------------------------------------------


class InputError(KserveGitopsError):
    """Input the user controls is unreadable or invalid."""


class YamlError(InputError):
    """A YAML file that cannot be parsed safely."""


class ConfigError(InputError):
    """``kserve-gitops.yaml`` is invalid."""


class ModelError(InputError):
    """A file under ``models/`` is invalid."""


class UsageError(InputError):
    """Bad command-line usage (unknown environment, conflicting options)."""


class SynthError(InputError):
    """Inputs that load but cannot be synthesized (a name that would escape the output folder, a clash)."""


class LifecycleError(InputError):
    """A canary/promote/rollback request that cannot be applied to the model as it is."""


class InputErrors(InputError):
    """Several input files are bad: every one is reported in one run (three broken models, one run)."""

    def __init__(self, errors: list[InputError]) -> None:
        super().__init__(f"{len(errors)} input files have errors")
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def collect(errors: list[InputError]) -> None:
    """Raise what was collected: nothing, the one error, or all of them."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InputErrors(errors)


def input_errors(exc: InputError) -> list[InputError]:
    return list(exc.errors) if isinstance(exc, InputErrors) else [exc]


# --- environment problems: exit 3 --------------------------------------------------------------------


class EnvironmentProblem(KserveGitopsError):
    """Something outside the user's files failed: a tool, an engine, a server."""

    exit_code = EXIT_ENVIRONMENT


class ToolNotFound(EnvironmentProblem):
    """An external tool (kustomize, kubeconform, opa, promtool, git) is not installed."""


class ToolFailed(EnvironmentProblem):
    """An external tool ran and failed; carries the command and its stderr."""

    def __init__(self, message: str, *, command: list[str] | None = None, stderr: str = "", **kw) -> None:
        super().__init__(message, **kw)
        self.command = command or []
        self.stderr = stderr

    def __str__(self) -> str:
        text = super().__str__()
        if self.stderr.strip():
            text += "\n" + "\n".join("  " + ln for ln in self.stderr.strip().splitlines()[-20:])
        return text


class RenderError(InputError):
    """kustomize rejected an overlay (a bad kustomization, a missing file): the repo's fault, exit 2."""


class SchemaLoadError(EnvironmentProblem):
    """A schema (core or CRD) could not be loaded or compiled."""


class PolicyError(EnvironmentProblem):
    """A policy that does not compile or fails at run time; never counted as a pass."""
