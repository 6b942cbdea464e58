"""The reference engine: a real OPA server, driven through opa-python-client.

``OpaEngine`` either starts ``opa run --server`` (the pinned binary from ``find_tool("opa")``) on
127.0.0.1 with a free port and stops it on ``close()`` (also at interpreter exit, so a crash does not leave
a server behind), or talks to ``--opa-url`` (a server the team runs; what we upload is deleted on close).
Policies go in through the policy API (Rego v1, no automatic v0 rewriting), the data through the data API,
and each batch of objects is evaluated in one request to the driver's ``batch`` rule with
``strict-builtin-errors`` so a failing built-in is an error, as in regorus, never a silent pass.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import tempfile
import time
import weakref
from typing import Any, Iterable
from urllib.parse import urlparse

import requests
from opa_client import OpaClient
from opa_client.errors import ConnectionsError, RegoParseError

from ...errors import PolicyError
from ...tools import find_tool
from .bundle import DRIVER_PACKAGE, PolicyBundle, RuleInfo
from .engine import PolicyEngine, TestOutcome

BATCH_SIZE = 500
START_TIMEOUT = 20.0
REQUEST_TIMEOUT = 120.0
POLICY_ID_PREFIX = "kserve-gitops/"
DRIVER_ID = POLICY_ID_PREFIX + "driver"
STRICT = {"strict-builtin-errors": "true"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OpaServer:
    """A private ``opa run --server`` on 127.0.0.1; ``stop()`` is idempotent and runs at exit."""

    def __init__(self) -> None:
        self.binary = find_tool("opa")
        self._log = tempfile.TemporaryFile()
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        for _attempt in range(3):  # the free port may be taken between probing and binding
            self.port = free_port()
            self.process = subprocess.Popen(
                [self.binary, "run", "--server", "--addr", f"127.0.0.1:{self.port}", "--disable-telemetry", "--log-level", "error"],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=self._log,
            )
            self._finalizer = weakref.finalize(self, _stop_process, self.process)
            if self._wait_ready():
                atexit.register(self.stop)
                return
            self.stop()
        raise PolicyError(f"could not start OPA ({self.binary}): {self.log_tail()}", hint="check the opa binary with 'opa version'")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                if requests.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.05)
        return False

    def log_tail(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace").strip()[-2000:] or "(no output)"

    def stop(self) -> None:
        if self.process is not None:
            _stop_process(self.process)
        try:
            atexit.unregister(self.stop)
        except Exception:  # pragma: no cover - interpreter shutting down
            pass


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


class OpaEngine(PolicyEngine):
    name = "opa"

    def __init__(
        self, bundle: PolicyBundle, namespaces: Iterable[str] | None = None, *, combine: bool = False, url: str | None = None
    ) -> None:
        super().__init__(bundle, namespaces, combine=combine)
        self.server: OpaServer | None = None
        self._uploaded: list[str] = []
        self._data_keys: list[str] = []
        self._paths: dict[str, str] = {}
        if url:
            self.url = url.rstrip("/")
        else:
            self.server = OpaServer()
            self.url = self.server.url
        parsed = urlparse(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            self.close()
            raise PolicyError(f"--opa-url {url!r} is not an http(s) URL")
        self.client = OpaClient(
            host=parsed.hostname,
            port=parsed.port or (443 if parsed.scheme == "https" else 80),
            ssl=parsed.scheme == "https",
            timeout=REQUEST_TIMEOUT,
            retries=0,
        )
        try:
            self._check_reachable()
            self._upload()
        except BaseException:
            self.close()
            raise

    def _check_reachable(self) -> None:
        try:
            self.client.check_connection()
        except ConnectionsError:
            raise PolicyError(
                f"OPA server at {self.url} is unreachable",
                hint="start it, or drop --opa-url to let kserve-gitops start its own",
            ) from None

    def _upload(self) -> None:
        # Modules may call functions of modules uploaded later: upload until nothing more compiles.
        pending = [(POLICY_ID_PREFIX + m.path.lstrip("/"), m.text, m.path) for m in self.bundle.modules]
        pending.append((DRIVER_ID, self.bundle.driver_source(self.namespaces, kind_guards=not self.combine), "<kserve-gitops driver>"))
        self._paths.update({policy_id: path for policy_id, _text, path in pending})
        while pending:
            progress = []
            first_error: RegoParseError | None = None
            for item in pending:
                policy_id, text, _path = item
                try:
                    self._request(self.client.update_policy_from_string, text, policy_id, rego_compat=False)
                except RegoParseError as exc:
                    first_error = first_error or exc
                    continue
                self._uploaded.append(policy_id)
                progress.append(item)
            if not progress:
                assert first_error is not None
                raise _policy_error(first_error.errors or [], fallback=str(first_error.message), paths=self._paths)
            pending = [p for p in pending if p not in progress]

    def _request(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except requests.HTTPError as exc:
            try:
                body = exc.response.json()
            except ValueError:
                body = {"message": exc.response.text}
            raise _policy_error(body.get("errors") or [], fallback=str(body.get("message") or exc), paths=self._paths) from None
        except (requests.ConnectionError, requests.Timeout, ConnectionsError) as exc:
            detail = f"; server output: {self.server.log_tail()}" if self.server else ""
            raise PolicyError(f"OPA server at {self.url} is unreachable ({type(exc).__name__}){detail}") from None

    def set_data(self, data: dict[str, Any]) -> None:
        for key, value in data.items():
            self._request(self.client.update_or_create_data, value if isinstance(value, dict) else {"value": value}, key)
            if key not in self._data_keys:
                self._data_keys.append(key)

    def evaluate_raw(self, inputs: list[Any]) -> list[list[dict[str, Any]]]:
        out: list[list[dict[str, Any]]] = []
        for start in range(0, len(inputs), BATCH_SIZE):
            chunk = inputs[start : start + BATCH_SIZE]
            response = self._request(self.client.query_rule, {"objects": chunk}, DRIVER_PACKAGE, "batch", query_params=STRICT)
            result = response.get("result")
            if not isinstance(result, list) or len(result) != len(chunk):
                raise PolicyError(f"OPA returned no result for the driver's batch rule: {str(response)[:300]}")
            out.extend(result)
        return out

    def run_test(self, rule: RuleInfo) -> TestOutcome:
        try:
            response = self._request(self.client.query_rule, {}, rule.package, rule.name, query_params=STRICT)
        except PolicyError as exc:
            return TestOutcome(rule.package, rule.name, rule.path, rule.line, passed=False, error=str(exc))
        return TestOutcome(rule.package, rule.name, rule.path, rule.line, passed=response.get("result") is True)

    def close(self) -> None:
        if self.server is None:
            # Someone else's server: take back what we put there.
            for policy_id in reversed(self._uploaded):
                try:
                    self.client.delete_policy(policy_id)
                except Exception:
                    pass
            for key in self._data_keys:
                try:
                    self.client.delete_data(key)
                except Exception:
                    pass
        self._uploaded = []
        self._data_keys = []
        if getattr(self, "client", None) is not None:
            self.client.close_connection()
        if self.server is not None:
            self.server.stop()


def _policy_error(errors: list[dict[str, Any]], *, fallback: str, paths: dict[str, str]) -> PolicyError:
    first = errors[0] if errors else {}
    location = first.get("location") or {}
    policy_id = location.get("file") or ""
    # OPA names a module by its policy id; say which file that is
    path = paths.get(policy_id) or paths.get(policy_id.replace("//", "/")) or policy_id or None
    message = first.get("message") or fallback
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return PolicyError(f"{message}{more}", path=path, line=location.get("row"), column=location.get("col"))
