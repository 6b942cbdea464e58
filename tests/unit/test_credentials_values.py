"""credentials: which strings hold a credential (and the near misses that do not), what ``redact`` leaves of
a text, and the JSON paths ``find`` reports. The end-to-end refusals are in tests/test_credentials.py."""

from __future__ import annotations

import pytest

from kserve_gitops.credentials import REDACTED, find, has_credential, redact

URI = "a URI with a user and password"
TOKEN = "a credential (an access key, token or private key)"
GITHUB_TOKEN = "ghp_" + "a1B2" * 9  # the shape: a prefix and 36 letters and digits


@pytest.mark.parametrize(
    "value, what",
    [
        # userinfo with a password, whatever the scheme and its case
        ("s3://AKIAIOSFODNN7EXAMPLE:secret@bucket/m", URI),
        ("https://user:pw@host/x", URI),
        ("https://user:@host/x", URI),  # an empty password is still a password field
        ("HTTPS://User:Pw@Host/x", URI),
        ("git+https://bot:tok@git.example/r.git", URI),
        ("ftp://svc:p4ss@host/m", URI),
        ("--model=s3://k:s@bucket/m", URI),  # inside an argument
        # a token as the user name: long, or shaped like a known credential
        ("https://abcdefghijklmnopqrst@host/x", URI),  # 20 characters
        (f"https://{GITHUB_TOKEN}@github.com/x.git", URI),
        ("https://AKIAIOSFODNN7EXAMPLE@s3.example/b", URI),
        # credential-shaped values, whatever the key
        ("AKIAIOSFODNN7EXAMPLE", TOKEN),
        ("ASIAIOSFODNN7EXAMPLE", TOKEN),  # temporary (STS) access key id
        ("key=AKIAIOSFODNN7EXAMPLE;", TOKEN),
        ("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n", TOKEN),
        ("-----BEGIN RSA PRIVATE KEY-----", TOKEN),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", TOKEN),
        ("-----BEGIN EC PRIVATE KEY-----", TOKEN),
        ("-----BEGIN ENCRYPTED PRIVATE KEY-----", TOKEN),
        (GITHUB_TOKEN, TOKEN),
        ("gho_" + "B" * 36, TOKEN),
        ("ghu_" + "1" * 36, TOKEN),
        ("ghs_" + "c" * 36, TOKEN),
        ("ghr_" + "d" * 36, TOKEN),
        ("xoxb-1234567890", TOKEN),
        ("xoxp-12345-abcde", TOKEN),
        ("xoxa-abcdefghij", TOKEN),
        ("xoxr-abcdefghij", TOKEN),
    ],
)
def test_credentials(value: str, what: str) -> None:
    assert has_credential(value) == what


@pytest.mark.parametrize(
    "value",
    [
        "",
        "password",
        "s3://acme-models-dev/iris/v1",
        "http://mlflow.mlflow.svc.cluster.local:5000",
        "http://host:8080/path",
        "pvc://claim/model",
        "hf://org/model",
        "gs://bucket/model@v2",  # an @ after the host is part of the path
        "oci://registry.example/model@sha256:abc",
        "docker://nginx@sha256:abcdef",  # a short user without a password
        "https://alice@example.com/path",
        "ssh://git@github.com/org/repo.git",
        "https://abcdefghijklmnopqrs@host/x",  # 19 characters: a user name
        "git@github.com:org/repo.git",  # no scheme
        "team@acme.example",
        "mailto:team@acme.example",
        "AKIA",
        "AKIAIOSFODNN7EXAMPL",  # one character short
        "akiaiosfodnn7example",  # access key ids are upper case
        "AKIAiosfodnn7example",
        "-----BEGIN PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----",
        "ghp_" + "a" * 35,
        "ghx_" + "a" * 36,  # no such token prefix
        "ghp-" + "a" * 36,
        "xoxb-123456789",  # too short
        "xoxc-1234567890",
        "xoxs-1234567890",
    ],
)
def test_near_misses_are_not_credentials(value: str) -> None:
    assert has_credential(value) is None


@pytest.mark.parametrize(
    "text, shown",
    [
        ("s3://AKIAIOSFODNN7EXAMPLE:secret@bucket/m", "s3://***@bucket/m"),
        ("HTTPS://User:Pw@Host/x", "HTTPS://***@Host/x"),
        # every URI's userinfo goes, even a bare user name: a report needs the host, never the user
        ("https://alice@example.com/path", "https://***@example.com/path"),
        ("clone https://bot:t@git.example/a and s3://k:s@bucket/b", "clone https://***@git.example/a and s3://***@bucket/b"),
        ("key AKIAIOSFODNN7EXAMPLE, again AKIAIOSFODNN7EXAMPLE", "key ***, again ***"),
        (f"token={GITHUB_TOKEN}&x=1", "token=***&x=1"),
        ("slack xoxb-1234567890-abc said", "slack *** said"),
        ("'-----BEGIN RSA PRIVATE KEY-----' is not of type 'integer'", "'***' is not of type 'integer'"),
        ("storageUri [ftp://svc:p4ss@host/m] is not supported", "storageUri [ftp://***@host/m] is not supported"),
        # nothing to hide: the text is returned as it is
        ("s3://acme-models-dev/iris/v1 at http://host:8080/path", "s3://acme-models-dev/iris/v1 at http://host:8080/path"),
        ("team@acme.example", "team@acme.example"),
        ("", ""),
    ],
)
def test_redact(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_redacted_text_holds_no_credential_and_redacting_again_changes_nothing() -> None:
    text = f"s3://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY@b/m {GITHUB_TOKEN} xoxp-1111111111"
    once = redact(text)
    assert once == f"s3://{REDACTED}@b/m {REDACTED} {REDACTED}"
    assert has_credential(once) is None
    assert redact(once) == once


def test_find_names_the_path_of_every_credential_and_never_its_value() -> None:
    isvc = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": "iris",
            "annotations": {"backup": "s3://AKIAIOSFODNN7EXAMPLE:secret@bucket/backup", "owner": "team@acme.example"},
        },
        "spec": {
            "predictor": {
                "minReplicas": 1,
                "canaryTrafficPercent": None,
                "model": {"storageUri": "https://user:pw@host/iris", "runtime": "kserve-sklearnserver"},
                "containers": [
                    {
                        "args": ["--workers", "2", f"--token={GITHUB_TOKEN}"],
                        "env": [{"name": "AWS_ACCESS_KEY_ID", "value": "AKIAIOSFODNN7EXAMPLE"}, {"name": "DEBUG", "value": True}],
                    }
                ],
            }
        },
    }
    assert list(find(isvc)) == [
        (["metadata", "annotations", "backup"], URI),
        (["spec", "predictor", "model", "storageUri"], URI),
        (["spec", "predictor", "containers", 0, "args", 2], TOKEN),
        (["spec", "predictor", "containers", 0, "env", 0, "value"], TOKEN),
    ]


def test_find_of_a_configmap_with_a_private_key_and_of_values_without_any() -> None:
    configmap = {"kind": "ConfigMap", "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\n", "tls.key": "-----BEGIN PRIVATE KEY-----\n"}}
    assert list(find(configmap)) == [(["data", "tls.key"], TOKEN)]
    assert list(find({"spec": {"predictor": {"model": {"storageUri": "s3://acme-models-dev/iris/v1"}}}})) == []
    assert list(find("AKIAIOSFODNN7EXAMPLE")) == [([], TOKEN)]  # a bare string is its own path
    assert list(find([1, 2.5, None, False])) == []


def test_find_starts_from_a_given_path() -> None:
    assert list(find({"value": "xoxb-1234567890"}, ["spec", "env", 3])) == [(["spec", "env", 3, "value"], TOKEN)]


@pytest.mark.parametrize(
    "value",
    [
        # the password is in the second URI of a command line
        "fetch https://bot@git.example/x && aws s3 cp s3://u:p@b/m .",
        "a https://ok.example/ then b s3://AKIAABCDEFGHIJKLMNOP:x@bucket/m",
    ],
)
def test_every_uri_of_a_string_is_judged(value: str) -> None:
    assert has_credential(value) == "a URI with a user and password"
    assert ":p@" not in redact(value) and ":x@" not in redact(value)


@pytest.mark.parametrize(
    "value",
    [
        "http://mlflow.svc:5000?x=a@b",
        "https://example.com?email=alice@example.com",
        "https://example.com/path#frag@x",
        "https://example.com/users/alice@example.com/models",
    ],
)
def test_an_at_sign_in_the_path_query_or_fragment_is_no_user(value: str) -> None:
    assert has_credential(value) is None
    assert redact(value) == value


def test_a_private_key_is_redacted_header_to_footer() -> None:
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecret\nmoresecret==\n-----END RSA PRIVATE KEY-----"
    assert redact(f"key: {key}\nnext: line") == f"key: {REDACTED}\nnext: line"


def test_a_private_key_without_its_footer_is_redacted_to_the_end() -> None:
    assert redact("cut: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq") == f"cut: {REDACTED}"
