"""The one subprocess boundary for git: every git command kserve-gitops runs goes through ``git()``."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from ..errors import ToolFailed, UsageError
from ..tools import find_tool, run_tool

GIT_HINT = "install git (e.g. 'apt-get install git')"


def git(args: list[str], *, cwd: str | Path, check: bool = True, timeout: float = 120) -> str:
    """Run ``git args`` in ``cwd`` and return its stdout; a failure is ``ToolFailed`` with git's stderr."""
    executable = find_tool("git", hint=GIT_HINT)
    proc = run_tool([executable, *args], cwd=cwd, timeout=timeout, check=check)
    return proc.stdout.decode(errors="replace")


def toplevel(path: str | Path) -> Path:
    """The root of the git work tree holding ``path``; a clear error when it is not in one."""
    try:
        return Path(git(["rev-parse", "--show-toplevel"], cwd=path).strip())
    except ToolFailed:
        raise UsageError(
            "is not inside a git repository", path=str(path), hint="'kserve-gitops diff' compares git revisions; run 'git init' first"
        ) from None


def resolve(ref: str, *, cwd: str | Path) -> str:
    """The commit id ``ref`` names, or a UsageError naming the ref."""
    try:
        return git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=cwd).strip()
    except ToolFailed:
        raise UsageError(f"git revision {ref!r} does not exist", hint="pass --base with a branch, tag or commit (e.g. origin/main)") from None


@contextlib.contextmanager
def worktree(ref: str, *, cwd: str | Path) -> Iterator[Path]:
    """A temporary, detached ``git worktree`` at ``ref``; removed (and pruned) afterwards, whatever happens."""
    commit = resolve(ref, cwd=cwd)
    parent = Path(tempfile.mkdtemp(prefix="kserve-gitops-base-"))
    path = parent / "tree"
    git(["worktree", "add", "--detach", "--quiet", str(path), commit], cwd=cwd)
    try:
        yield path
    finally:
        git(["worktree", "remove", "--force", str(path)], cwd=cwd, check=False)
        shutil.rmtree(parent, ignore_errors=True)
        git(["worktree", "prune"], cwd=cwd, check=False)
