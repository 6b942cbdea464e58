"""Credentials written into manifests: found, refused, and never printed.

A storage URI with a user and password (``s3://AKIA…:secret@bucket/model``), an access key in an env value
or an annotation, a private key in a ConfigMap: git keeps each forever, and every report that quotes the
value copies it into CI logs, annotations and SARIF uploads. ``find`` names where one is (never what);
``redact`` blanks the secret part of any text before it is shown.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

# scheme://user:password@host (also user@host with a token as the user, as git and some S3 gateways take)
# (userinfo holds no '/', '?' or '#': an '@' after those is in the path, query or fragment, not a user)
URI_USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]*://)([^/?#\s@:\"']+)(:[^/?#\s@\"']*)?@", re.IGNORECASE)
# values that are credentials whatever their key: AWS access key ids, private keys, GitHub and Slack tokens
SECRET_VALUE = re.compile(
    r"(AKIA|ASIA)[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|gh[pousr]_[A-Za-z0-9]{36}|xox[abpr]-[A-Za-z0-9-]{10,}"
)
# a PEM private key, header to footer; with no footer (a quoted or cut-off value), the header and the
# base64 lines after it
PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:.*?-----END [A-Z ]*PRIVATE KEY-----|[A-Za-z0-9+/=\\\r\n]*)", re.DOTALL
)
REDACTED = "***"
# Every credential above contains one of these (a URI's userinfo ends in '@' before its path): one search over an object's JSON text (serialised in C)
# rules out nearly every object before its strings are walked one by one.
MAY_HOLD_ONE = re.compile(r"://[^/?#\s@\"']*@|AKIA|ASIA|-----BEGIN |gh[pousr]_|xox[abpr]-")


def redact(text: str) -> str:
    """``text`` with the userinfo of every URI and every credential-shaped value replaced by ***."""
    if not text:
        return text
    text = PRIVATE_KEY_BLOCK.sub(REDACTED, text)
    text = URI_USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    return SECRET_VALUE.sub(REDACTED, text)


def has_credential(value: str) -> str | None:
    """What kind of credential ``value`` holds, or None."""
    for match in URI_USERINFO.finditer(value):  # every URI of a command line, not only the first
        if match.group(3) or SECRET_VALUE.search(match.group(2)) or len(match.group(2)) >= 20:
            return "a URI with a user and password"
    if SECRET_VALUE.search(value):
        return "a credential (an access key, token or private key)"
    return None


def find(obj: Any, path: list[Any] | None = None) -> Iterator[tuple[list[Any], str]]:
    """(JSON path, what) for every string in ``obj`` that holds a credential: URIs anywhere (storageUri,
    storageUris, sourceModelUri, args), env values, annotations, ConfigMap data."""
    if path is None and not _may_hold_one(obj):
        return
    path = path or []
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from find(value, [*path, key])
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from find(value, [*path, i])
    elif isinstance(obj, str):
        what = has_credential(obj)
        if what:
            yield path, what


def _may_hold_one(obj: Any) -> bool:
    try:
        text = json.dumps(obj, default=str)
    except (TypeError, ValueError, RecursionError):
        return True  # not plain data: walk it
    return MAY_HOLD_ONE.search(text) is not None
