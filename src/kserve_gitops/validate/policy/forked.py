"""Evaluate a batch on every core: contiguous chunks in forked children, the first chunk in this process.

regorus holds the GIL while it evaluates, so threads cannot help. A forked child starts in a few
milliseconds with the engine already loaded and its data set (copy-on-write), where a spawned worker would
import everything and load the policies and the inventory again. Children send their results back through
a pipe; a child that fails sends its error, and a child that dies without a result is an error too: a
batch is either complete or the run fails, never partly evaluated. Fork is used on Linux only (macOS
frameworks are not fork-safe); elsewhere, and with one worker, the batch runs in this process.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from typing import Any, Callable, Sequence

from ...errors import PolicyError

WORKERS_VARIABLE = "KSERVE_GITOPS_POLICY_WORKERS"  # 1 turns forking off; validate's own worker processes set it
MAX_WORKERS = 4


def default_workers() -> int:
    configured = os.environ.get(WORKERS_VARIABLE, "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise PolicyError(f"{WORKERS_VARIABLE}={configured!r} is not a number of workers") from None
    if sys.platform != "linux":
        return 1
    return max(1, min(MAX_WORKERS, len(os.sched_getaffinity(0))))


def map_chunks(evaluate: Callable[[Sequence[Any]], list[Any]], items: Sequence[Any], workers: int) -> list[Any]:
    """``evaluate`` over ``items`` in ``workers`` contiguous chunks, results in item order."""
    workers = min(workers, len(items))
    if workers <= 1 or sys.platform != "linux":
        return evaluate(items)
    size = -(-len(items) // workers)
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    children: list[tuple[int, int]] = []  # (pid, read end)
    try:
        for chunk in chunks[1:]:
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: evaluate, send, and leave without running the parent's exit handlers
                os.close(read_end)
                _child(evaluate, chunk, write_end)
            os.close(write_end)
            children.append((pid, read_end))
        results = list(evaluate(chunks[0]))
        while children:
            pid, read_end = children.pop(0)
            results.extend(_collect(pid, read_end))
        return results
    finally:
        for pid, read_end in children:  # an error or Ctrl-C in this process: stop the children
            _stop(pid)
            os.close(read_end)


def _child(evaluate: Callable[[Sequence[Any]], list[Any]], chunk: Sequence[Any], write_end: int) -> None:
    code = 0
    try:
        try:
            payload = pickle.dumps(("ok", evaluate(chunk)), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            try:
                payload = pickle.dumps(("error", exc), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001
                payload = pickle.dumps(("error", PolicyError(f"policy worker failed: {exc!r}")))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
    except BaseException:  # noqa: BLE001 - the parent sees a missing result and fails
        code = 1
    finally:
        os._exit(code)


def _collect(pid: int, read_end: int) -> list[Any]:
    try:
        with os.fdopen(read_end, "rb") as pipe:
            payload = pipe.read()
    except BaseException:
        _stop(pid)
        raise
    _, status = os.waitpid(pid, 0)
    if not payload:
        raise PolicyError(f"a policy worker process ended without a result ({_describe_status(status)})")
    kind, value = pickle.loads(payload)
    if kind == "error":
        raise value
    return value


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
