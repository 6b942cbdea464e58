"""KubeLoader builds plain documents itself and resolves scalars from a memo; KubeSafeLoader is PyYAML's own
construction with the same Kubernetes rules. Every input goes through KubeLoader, so the two must give the
same data (types, key order, shared objects from aliases) and the same errors (message and position) for
any YAML: a hand corpus of the spellings YAML 1.1 treats specially, thousands of seeded random documents,
and every YAML file of the example repo."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from kserve_gitops.inputs import yamlsrc
from kserve_gitops.inputs.yamlsrc import KubeLoader, KubeSafeLoader

ROOT = Path(__file__).resolve().parents[2]


def shape(value: Any) -> Any:
    """A comparable picture of loaded data: every value with its type, maps in key order, and an object
    met again (an alias, or a cycle) as a reference to where it was first met."""
    first_seen: dict[int, int] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, (dict, list)):
            if id(node) in first_seen:
                return ("same-as", first_seen[id(node)])
            first_seen[id(node)] = len(first_seen)
            if isinstance(node, dict):
                return ("map", [(walk(k), walk(v)) for k, v in node.items()])
            return ("seq", [walk(v) for v in node])
        if isinstance(node, float):
            return ("float", "nan" if math.isnan(node) else repr(node))
        return (type(node).__name__, node)

    return walk(value)


def load(text: str, loader: type) -> Any:
    """(shape of every document) or (error type, message, position) of the first error."""
    try:
        return ("ok", [shape(doc) for doc in yaml.load_all(text, Loader=loader)])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        return ("error", type(exc).__name__, exc.problem, exc.context, (mark.line, mark.column) if mark else None)
    except Exception as exc:  # noqa: BLE001 - whatever escapes, both loaders must let the same escape
        return ("error", type(exc).__name__, str(exc))


def assert_same(text: str) -> Any:
    fast, reference = load(text, KubeLoader), load(text, KubeSafeLoader)
    assert fast == reference, text
    return fast


CORPUS = {
    "booleans, YAML 1.1 spellings": "a: yes\nb: No\nc: ON\nd: off\ne: True\nf: FALSE\ng: y\nh: n\n",
    "integers in every base": "a: 0x1F\nb: 0o17\nc: 017\nd: 0b101\ne: 1_000\nf: -42\ng: +7\nh: 1:30:00\ni: 0\n",
    "floats, finite": "a: 1.5\nb: -0.25\nc: 1e3\nd: 6.8523015e+5\ne: 1_000.5\nf: 1:30.5\ng: .5\n",
    "not a number JSON can hold": "a: .inf\n",
    "nan": "a: .NaN\n",
    "nulls": "a: ~\nb: null\nc: Null\nd:\ne: NULL\n",
    "timestamps stay strings": "a: 2001-12-14t21:59:43.10-05:00\nb: 2002-12-14\nc: '2002-12-14'\n",
    "quoted scalars are strings": "a: 'yes'\nb: \"1\"\nc: '~'\nd: \"0x1F\"\ne: |\n  1\nf: >\n  true\n",
    "non-specific tag": "a: ! 12\nb: ! yes\n",
    "explicit scalar tags": "a: !!str 12\nb: !!int '12'\nc: !!float '1'\nd: !!bool 'yes'\ne: !!null ''\n",
    "binary": "a: !!binary aGVsbG8=\n",
    "keys of every scalar type": "1: int\n1.5: float\nyes: bool\n~: null\n'1': str\n",
    "duplicate keys, the last wins in first place": "a: 1\nb: 2\na: 3\n",
    "anchors and aliases share one object": "base: &b {x: 1, y: [1, 2]}\nsame: *b\nlist: &l [a, b]\nagain: [*l, *l]\n",
    "scalar aliases": "a: &v 5\nb: *v\nc: &s text\nd: *s\n",
    "merge keys": "base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\n",
    "merge of a list of maps": "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n",
    "value key": "a:\n  =: 1\n",
    "sets": "s: !!set {a, b}\n",
    "ordered maps": "o: !!omap [a: 1, b: 2]\n",
    "pairs": "p: !!pairs [a: 1, a: 2]\n",
    "a recursive list": "a: &a [1, *a]\n",
    "a recursive map": "a: &a {self: *a}\n",
    "unknown tag": "a: !custom 1\n",
    "unknown collection tag": "a: !custom {b: 1}\n",
    "python tags are refused": "a: !!python/object:os.system x\n",
    "a list as key": "? [a, b]\n: 1\n",
    "a map as key": "? {a: 1}\n: 1\n",
    "an alias to a list as key": "x: &k [1]\n*k : 2\n",
    "an undefined alias": "a: *nothing\n",
    "a document that is a scalar": "--- 5\n--- yes\n--- text\n--- ~\n",
    "empty documents": "---\n---\na: 1\n---\n",
    "a bad int under a tag": "a: !!int x\n",
    "a bad float under a tag": "a: !!float x\n",
    "a bad bool under a tag": "a: !!bool maybe\n",
    "a tagged map holding a merge": "a: !!map {<<: {x: 1}, y: 2}\n",
    "a sequence tag on a map": "a: !!seq {b: 1}\n",
    "a map tag on a scalar": "a: !!map x\n",
    "a syntax error": "a: [1, 2\nb: 3\n",
    "deep nesting": "a: " + "[" * 300 + "]" * 300 + "\n",
    "a Kubernetes object": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web, tier: '1'}\n"
        "spec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n"
        "        ports: [{containerPort: 8080}]\n        resources: {limits: {cpu: 0.5, memory: 1Gi}}\n"
    ),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_corpus_loads_as_pyyaml_loads_it(name: str) -> None:
    assert_same(CORPUS[name])


def test_the_corpus_covers_both_paths() -> None:
    """Some entries are built by KubeLoader itself and some handed to PyYAML, errors on both sides."""
    outcomes = [assert_same(text)[0] for text in CORPUS.values()]
    assert outcomes.count("ok") >= 25 and outcomes.count("error") >= 8


def test_memo_does_not_leak_between_spellings() -> None:
    """The memo is keyed by spelling: '1' resolved as an int in one place stays a string when quoted, and a
    plain 'yes' after a quoted one is still a bool."""
    assert yaml.safe_load("a: '1'") == {"a": "1"}  # PyYAML's own, for the record
    docs = list(yaml.load_all("a: 1\n---\na: '1'\n---\na: 'yes'\n---\na: yes\n", Loader=KubeLoader))
    assert docs == [{"a": 1}, {"a": "1"}, {"a": "yes"}, {"a": True}]


def test_memo_starts_afresh_past_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlsrc, "MEMO_KEPT", 8)
    text = "".join(f"k{i}: {i}\n" for i in range(50))
    assert yaml.load(text, Loader=KubeLoader) == {f"k{i}": i for i in range(50)}
    assert len(KubeLoader._tags) <= 8 and len(KubeLoader._ints) <= 8


# Spellings YAML 1.1 resolves to something other than a string, and near misses that stay strings.
TRICKY_SCALARS = [
    "yes", "no", "on", "off", "y", "n", "Yes", "NO", "True", "false", "~", "null", "Null", "",
    "0", "-0", "+12", "012", "0o17", "0x1f", "0b11", "1_000", "1:20", "190:20:30", "09", "0x",
    "1.0", "-1.5e3", "1e3", ".5", "1_0.5", "1:20.5", ".inf", "-.Inf", ".nan",
    "2001-12-14", "2001-12-14 21:59:43.10 -5", "12:30", "a", "web-1", "nginx:1.27", "100m", "1Gi",
    "s3://bucket/model", "=", "<<", "true!", "0.0.1", "1.2.3", "-", "é",
]


def random_scalar(rng: random.Random) -> str:
    value = rng.choice(TRICKY_SCALARS)
    style = rng.random()
    if style < 0.1:
        return "'" + value.replace("'", "''") + "'"
    if style < 0.15:
        return rng.choice(["!!str ", "!!int ", "!!float ", "!!bool ", "!!null ", "! "]) + (value or "''")
    if value in ("", "-", "=", "<<", ".5") or value.startswith(("-", ":")):
        return f"'{value}'" if value in ("", "-") else value
    return value


def random_document(rng: random.Random, depth: int = 0, anchors: list[str] | None = None) -> str:
    """One document in flow style: maps, lists, scalars of every spelling, anchors, aliases, merges and tags."""
    anchors = anchors if anchors is not None else []
    roll = rng.random()
    if depth > 3 or roll < 0.35:
        node = random_scalar(rng)
    elif roll < 0.45 and anchors:
        return "*" + rng.choice(anchors)
    elif roll < 0.75:
        entries = []
        for _ in range(rng.randint(0, 4)):
            key = random_scalar(rng) or "''"
            if rng.random() < 0.05 and anchors:
                key = "<<"
                entries.append(f"{key}: *{rng.choice(anchors)}")
                continue
            entries.append(f"{key}: {random_document(rng, depth + 1, anchors)}")
        tag = rng.choice(["", "", "", "", "!!map ", "!!set ", "!custom "])
        node = tag + "{" + ", ".join(entries) + "}"
    else:
        items = [random_document(rng, depth + 1, anchors) for _ in range(rng.randint(0, 4))]
        tag = rng.choice(["", "", "", "", "!!seq ", "!!omap "])
        node = tag + "[" + ", ".join(items) + "]"
    if rng.random() < 0.15:
        name = f"a{len(anchors)}"
        anchors.append(name)
        return f"&{name} {node}"
    return node


def test_seeded_random_documents_load_as_pyyaml_loads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    built = {"plain": 0, "by PyYAML": 0}
    construct_plain = KubeLoader._construct_plain

    def counted(self: KubeLoader, node: yaml.Node) -> Any:
        try:
            data = construct_plain(self, node)
        except Exception:
            built["by PyYAML"] += 1
            raise
        built["plain"] += 1
        return data

    monkeypatch.setattr(KubeLoader, "_construct_plain", counted)
    rng = random.Random(20261203)
    outcomes = {"ok": 0, "error": 0}
    for _ in range(3000):
        text = "\n---\n".join(random_document(rng) for _ in range(rng.randint(1, 3))) + "\n"
        outcomes[assert_same(text)[0]] += 1
    # the generator must reach every side: documents that load and documents PyYAML refuses, documents
    # built plain and documents handed to PyYAML
    assert outcomes["ok"] > 1000 and outcomes["error"] > 100, outcomes
    assert built["plain"] > 1500 and built["by PyYAML"] > 500, built


def test_every_yaml_file_of_the_example_repo_loads_as_pyyaml_loads_it() -> None:
    # the KServe install (megabytes of CRDs) is left to the benchmark fleet; everything else is read whole
    found = [p for folder in ("models", "charts", "overlays", "policies") for p in (ROOT / folder).rglob("*.y*ml")]
    files = [p for p in found if p.stat().st_size < 256 << 10] + [ROOT / "kserve-gitops.yaml"]
    assert len(files) > 50
    for path in files:
        result = assert_same(path.read_text())
        assert result[0] == "ok", path


@pytest.mark.parametrize(("text", "problem"), [
    ("a: !!bool maybe\n", "'maybe' is not a valid !!bool"),
    ("a: 1\nb: !!int x\n", "'x' is not a valid !!int"),
    ("a: !!float x\n", "'x' is not a valid !!float"),
])
def test_a_scalar_that_does_not_fit_its_tag_is_an_error_at_its_line(tmp_path: Path, text: str, problem: str) -> None:
    """PyYAML lets these escape as a bare KeyError or ValueError; the reader words them at the scalar."""
    path = tmp_path / "in.yaml"
    path.write_text(text)
    with pytest.raises(yamlsrc.YamlError) as caught:
        yamlsrc.load_documents(path)
    assert caught.value.message == f"invalid YAML: {problem}"
    assert (caught.value.path, caught.value.line, caught.value.column) == (str(path), text.count("\n"), 4)


def depth_verdict(text: str, load: Any) -> str | None:
    try:
        load(text)
    except yamlsrc.YamlError as exc:
        return exc.message
    return None


def nested(levels: int, alias: bool) -> str:
    """Lists ``levels`` deep around a scalar; with ``alias``, the innermost list is written once under an
    anchor and used again (so the document is built by PyYAML and walked afterwards)."""
    if alias:
        return "a: &r [x]\nb: " + "[" * (levels - 1) + "*r" + "]" * (levels - 1) + "\n"
    return "[" * levels + "x" + "]" * levels + "\n"


@pytest.mark.parametrize("alias", [False, True])
@pytest.mark.parametrize("levels", [198, 199, 200, 201, 202])
def test_the_depth_guard_holds_at_its_edge_whether_or_not_a_document_is_built_plain(levels: int, alias: bool) -> None:
    """A plain document is measured while it is built; one with aliases is walked afterwards. Both refuse
    exactly what the walk over PyYAML's own result refuses."""
    text = nested(levels, alias)

    def reference(text: str) -> None:
        yamlsrc._check_depth(yaml.load(text, Loader=KubeSafeLoader), "in.yaml")

    expected = depth_verdict(text, reference)
    assert depth_verdict(text, lambda t: yamlsrc.load_documents("in.yaml", text=t)) == expected
    # the edge itself: the scalar sits one level below the innermost list (two with the alias's map)
    assert (expected is None) == (levels + (1 if alias else 0) <= yamlsrc.MAX_DEPTH)
