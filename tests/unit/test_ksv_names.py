"""KSV008-KSV010: names, namespaces, label and annotation keys the API server would reject, as tables of
snippets and the exact findings of ``names_check``. The limits are the API server's (DNS-1123 subdomains and
labels, qualified names, label values); an InferenceService name is tighter (a DNS-1035 label) because
KServe derives Service names from it."""

from __future__ import annotations

import pytest
from ksv_table import Expect, assert_case, case

from kserve_gitops.validate.checks import kserve


def configmap(name: str = "settings", namespace: str = "models", extra: str = "") -> str:
    return f"""
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}  # <- name
  namespace: {namespace}  # <- namespace
{extra}"""


def isvc_named(name: str) -> str:
    return f"""
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {name}  # <- name
spec:
  predictor:
    model:
      modelFormat: {{name: sklearn}}
"""


def labelled(labels: str, kind: str = "ConfigMap", api_version: str = "v1") -> str:
    return f"""
apiVersion: {api_version}
kind: {kind}
metadata:
  name: settings
  labels:
{labels}"""


def annotated(annotations: str) -> str:
    return f"""
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
{annotations}"""


DNS1035 = "must be a DNS-1035 label for an InferenceService"
SUBDOMAIN = "must be a DNS-1123 subdomain"
NAMESPACE = "must be a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters"

KSV008 = [
    case("inference-service-name", isvc_named("fraud-detector-v2")),
    case("inference-service-name-of-63", isvc_named("a" * 63)),
    case("inference-service-name-of-64", isvc_named("a" * 64),
         Expect("KSV008", "name", "metadata.name", message=f"name {'a' * 64!r} {DNS1035}")),
    case("inference-service-name-starts-with-a-digit", isvc_named("2-fraud"),
         Expect("KSV008", "name", "metadata.name", message=f"name '2-fraud' {DNS1035}")),
    case("inference-service-name-with-a-dot", isvc_named("fraud.v2"),
         Expect("KSV008", "name", "metadata.name", message=DNS1035)),
    case("inference-service-name-uppercase", isvc_named("Fraud"),
         Expect("KSV008", "name", "metadata.name", message=DNS1035)),
    case("inference-service-name-ends-with-a-dash", isvc_named("fraud-"),
         Expect("KSV008", "name", "metadata.name", message=DNS1035)),
    # other kinds take DNS-1123 subdomains: dots and a leading digit are fine, 253 characters at most
    case("subdomain-name-with-dots-and-leading-digit", configmap(name="2.settings.acme")),
    case("subdomain-name-of-253", configmap(name=".".join(["a" * 63] * 4)[:253].rstrip("."))),
    case("subdomain-name-of-255", configmap(name=".".join(["a" * 63] * 4)),
         Expect("KSV008", "name", "metadata.name", message=SUBDOMAIN)),
    case("subdomain-name-with-an-underscore", configmap(name="my_settings"),
         Expect("KSV008", "name", "metadata.name", message=f"name 'my_settings' {SUBDOMAIN}")),
    case("subdomain-name-with-an-empty-label", configmap(name="a..b"),
         Expect("KSV008", "name", "metadata.name", message=SUBDOMAIN)),
    case("subdomain-name-ends-with-a-dot", configmap(name="settings."),
         Expect("KSV008", "name", "metadata.name", message=SUBDOMAIN)),
    case("namespace-with-a-dot", configmap(namespace="models.dev"),
         Expect("KSV008", "namespace", "metadata.namespace", message=f"namespace 'models.dev' {NAMESPACE}")),
    case("namespace-of-64", configmap(namespace="m" * 64),
         Expect("KSV008", "namespace", "metadata.namespace", message=NAMESPACE)),
    case("namespace-of-63", configmap(namespace="m" * 63)),
    case("namespace-uppercase", configmap(namespace="Models"),
         Expect("KSV008", "namespace", "metadata.namespace", message=NAMESPACE)),
    case("name-and-namespace-both-wrong", configmap(name="Settings", namespace="models_dev"),
         Expect("KSV008", "name", "metadata.name", message="name 'Settings'"),
         Expect("KSV008", "namespace", "metadata.namespace", message="namespace 'models_dev'")),
    # generateName objects have no name yet; a name that is no string is the schema check's to report
    case(
        "no-name-and-non-string-name",
        """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          generateName: settings-
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: 42
          namespace: ""
        """,
    ),
]


@pytest.mark.parametrize("row", KSV008, ids=lambda r: r.id)
def test_ksv008_names(row, tmp_path):
    assert_case(kserve.names_check, row, tmp_path)


KEY_NAME = "name part must be 1-63 characters of letters, digits, '-', '_' and '.', starting and ending alphanumeric"
VALUE = "must be at most 63 characters of letters, digits, '-', '_' and '.', starting and ending alphanumeric"

KSV009 = [
    case(
        "valid-labels",
        labelled(
            "    app.kubernetes.io/name: fraud-detector\n"
            "    serving.kserve.io/inferenceservice: fraud_detector.v2\n"
            "    team: ML_Platform\n"
            '    empty-value: ""\n'
            f"    {'k' * 63}: {'v' * 63}\n"
        ),
    ),
    case("key-starts-with-a-dash", labelled("    -bad-key: x  # <- a\n"),
         Expect("KSV009", "a", "metadata.labels.-bad-key", message=f"label key '-bad-key': {KEY_NAME}")),
    case("key-name-of-64", labelled(f"    {'k' * 64}: x  # <- a\n"),
         Expect("KSV009", "a", f"metadata.labels.{'k' * 64}", message=KEY_NAME)),
    case("key-with-a-space", labelled("    'cost center': ml  # <- a\n"),
         Expect("KSV009", "a", "metadata.labels.cost center", message=KEY_NAME)),
    case("key-prefix-uppercase", labelled("    Acme.io/team: ml  # <- a\n"),
         Expect("KSV009", "a", "metadata.labels.Acme.io/team", message="label key 'Acme.io/team': prefix 'Acme.io' must be a DNS-1123 subdomain")),
    case("key-with-an-empty-prefix", labelled("    /team: ml  # <- a\n"),
         Expect("KSV009", "a", "metadata.labels./team", message="prefix '' must be a DNS-1123 subdomain")),
    case("key-with-an-empty-name", labelled("    acme.io/: ml  # <- a\n"),
         Expect("KSV009", "a", "metadata.labels.acme.io/", message=KEY_NAME)),
    case("key-with-two-slashes", labelled("    acme.io/team/ml: x  # <- a\n"),
         Expect("KSV009", "a", "metadata.labels.acme.io/team/ml", message="prefix 'acme.io/team' must be a DNS-1123 subdomain")),
    case("key-prefix-of-254", labelled(f"    {'p' * 254}/team: ml  # <- a\n"),
         Expect("KSV009", "a", f"metadata.labels.{'p' * 254}/team", message="must be a DNS-1123 subdomain")),
    case("value-of-64", labelled(f"    team: {'v' * 64}  # <- a\n"),
         Expect("KSV009", "a", "metadata.labels.team", message=f"label 'team' value {'v' * 64!r} {VALUE}")),
    case("value-ends-with-a-dash", labelled("    team: ml-  # <- a\n"),
         Expect("KSV009", "a", "metadata.labels.team", message=VALUE)),
    case("value-with-a-slash", labelled("    team: ml/platform  # <- a\n"),
         Expect("KSV009", "a", "metadata.labels.team", message=VALUE)),
    # YAML reads these as a number and a boolean: the API server wants strings
    case("value-a-number", labelled("    replicas: 3  # <- a\n"),
         Expect("KSV009", "a", "metadata.labels.replicas", message="label 'replicas' value 3 must be a string")),
    case("value-a-boolean", labelled("    canary: true  # <- a\n"),
         Expect("KSV009", "a", "metadata.labels.canary", message="value True must be a string")),
    case("key-and-value-both-wrong", labelled("    _team: ml-  # <- a\n"),
         Expect("KSV009", "a", "metadata.labels._team", message="label key '_team'"),
         Expect("KSV009", "a", "metadata.labels._team", message="label '_team' value 'ml-'")),
    case(
        "pod-template-labels",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: message-dumper
          labels: {app: message-dumper}
        spec:
          template:
            metadata:
              labels:
                app: message-dumper
                version: 1.0  # <- a
        """,
        Expect("KSV009", "a", "spec.template.metadata.labels.version", message="value 1.0 must be a string"),
    ),
    case(
        "application-set-template-placeholders",
        """
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata:
          name: models
          labels:
            "{{.env}}": x  # <- own
        spec:
          template:
            metadata:
              labels:
                env: "{{.env}}"
                "{{name}}": model
                bad_: ml  # <- template
        """,
        # the template's placeholders are filled in by the generators; its other labels and the
        # ApplicationSet's own labels are real
        Expect("KSV009", "own", "metadata.labels.{{.env}}", message="label key '{{.env}}'"),
        Expect("KSV009", "template", "spec.template.metadata.labels.bad_", message="label key 'bad_'"),
    ),
    case(
        "placeholders-outside-an-application-set",
        labelled('    env: "{{.env}}"  # <- a\n'),
        Expect("KSV009", "a", "metadata.labels.env", message="label 'env' value '{{.env}}'"),
    ),
    case(
        "labels-not-a-mapping",
        """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
          labels: [team, ml]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          template: {metadata: {labels: null}}
        """,
    ),
]


@pytest.mark.parametrize("row", KSV009, ids=lambda r: r.id)
def test_ksv009_labels(row, tmp_path):
    assert_case(kserve.names_check, row, tmp_path)


KSV010 = [
    case(
        "valid-annotation-keys",
        annotated(
            "    serving.kserve.io/deploymentMode: Standard\n"
            "    autoscaling.knative.dev/target: '10'\n"
            "    description: any value at all, with spaces / slashes and 500 characters if it likes\n"
            '    kserve-gitops.io/note: ""\n'
        ),
    ),
    case("annotation-prefix-with-an-underscore", annotated("    Bad_Prefix/x: y  # <- a\n"),
         Expect("KSV010", "a", "metadata.annotations.Bad_Prefix/x", message="annotation key 'Bad_Prefix/x': prefix 'Bad_Prefix' must be a DNS-1123 subdomain")),
    case("annotation-name-with-a-colon", annotated("    'acme.io/team:ml': y  # <- a\n"),
         Expect("KSV010", "a", "metadata.annotations.acme.io/team:ml", message=f"annotation key 'acme.io/team:ml': {KEY_NAME}")),
    case("annotation-name-of-64", annotated(f"    {'a' * 64}: y  # <- a\n"),
         Expect("KSV010", "a", f"metadata.annotations.{'a' * 64}", message=KEY_NAME)),
    # annotation values are free text: the value rule of labels does not apply
    case("annotation-value-free-text", annotated("    acme.io/owner: 'ML Platform <ml-platform@acme.example>; on call: #ml'\n")),
    case(
        "annotations-of-a-pod-template-are-not-checked",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          template:
            metadata:
              annotations:
                Bad_Prefix/x: y
        """,
    ),
]


@pytest.mark.parametrize("row", KSV010, ids=lambda r: r.id)
def test_ksv010_annotations(row, tmp_path):
    assert_case(kserve.names_check, row, tmp_path)


def test_name_rules_on_one_object_in_document_order(tmp_path):
    """One object with every kind of problem: each is its own finding, at its own line."""
    row = case(
        "everything",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: Fraud_Detector  # <- name
          namespace: models.prod  # <- namespace
          labels:
            -team: ml  # <- label
          annotations:
            acme.io/: y  # <- annotation
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
        """,
        Expect("KSV008", "name", "metadata.name"),
        Expect("KSV008", "namespace", "metadata.namespace"),
        Expect("KSV009", "label", "metadata.labels.-team"),
        Expect("KSV010", "annotation", "metadata.annotations.acme.io/"),
    )
    found = assert_case(kserve.names_check, row, tmp_path)
    assert {f.object.name for f in found} == {"Fraud_Detector"}
    assert {f.object.kind for f in found} == {"InferenceService"}
