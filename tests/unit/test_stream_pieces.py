"""A large YAML stream is cut at document-start lines and parsed piece by piece on every core: the pieces
must give back exactly the documents, and the document indexes, of one parse of the whole stream."""

from __future__ import annotations

import pytest

from kserve_gitops.errors import YamlError
from kserve_gitops.inputs.yamlsrc import load_documents, parse_stream_piece, split_stream_text


def reassembled(text: str, pieces: int) -> list[tuple[int, object]]:
    """(index, data) of every document, indexes offset by the documents of the pieces before."""
    out, offset = [], 0
    for piece in split_stream_text(text, pieces):
        count, docs = parse_stream_piece("f.yaml", piece)
        out.extend((offset + doc.index, doc.data) for doc in docs)
        offset += count
    return out


STREAMS = {
    "plain documents": "a: 1\n---\nb: 2\n---\nc: 3\n---\nd: 4\n",
    "leading marker and comments": "# rendered\n---\na: 1\n--- # second\nb: [1, 2]\n---\nc: {x: y}\n",
    "empty documents keep their index": "---\n---\na: 1\n---\n---\nb: 2\n---\n",
    "document end markers": "a: 1\n...\n---\nb: 2\n...\n---\nc: 3\n",
    "block scalars with dashes inside": "a: |\n  ---\n  not a marker\n---\nb: >\n  --- still text\n---\nc: 3\n",
    "marker with content on its line": "--- {a: 1}\n--- [1, 2]\n--- text\n---\nd: 4\n",
    "dashes that are not markers": "a: ---x\n---\nlist:\n- ---\n- b\n---\n----: 4\n",
    "crlf line ends": "a: 1\r\n---\r\nb: 2\r\n---\r\nc: 3\r\n",
    "anchors within a document": "a: &x {k: v}\nb: *x\n---\nc: &y [1]\nd: *y\n",
}


@pytest.mark.parametrize("pieces", [2, 3, 8])
@pytest.mark.parametrize("name", sorted(STREAMS))
def test_pieces_give_the_documents_of_the_whole(name: str, pieces: int) -> None:
    text = STREAMS[name]
    whole = [(doc.index, doc.data) for doc in load_documents("f.yaml", text=text)]
    assert reassembled(text, pieces) == whole
    assert "".join(split_stream_text(text, pieces)) == text


def test_a_stream_of_many_documents_is_cut_into_the_asked_number_of_pieces() -> None:
    text = "".join(f"---\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n" for i in range(1000))
    pieces = split_stream_text(text, 4)
    assert len(pieces) == 4
    assert all(piece.startswith("---\n") for piece in pieces)
    sizes = [len(piece) for piece in pieces]
    assert max(sizes) - min(sizes) < len(text) // 100  # about even, so the cores finish together
    assert reassembled(text, 4) == [(i, {"kind": "ConfigMap", "metadata": {"name": f"c{i}"}}) for i in range(1000)]


@pytest.mark.parametrize(
    "text",
    [
        "%YAML 1.1\n---\na: 1\n---\nb: 2\n",  # a directive binds to the document after it
        "a: 1\nb: 2\n",  # one document, nothing to cut at
    ],
)
def test_streams_that_cannot_be_cut_stay_whole(text: str) -> None:
    assert split_stream_text(text, 4) == [text]


def test_one_piece_asked_is_the_whole_stream() -> None:
    assert split_stream_text("a: 1\n---\nb: 2\n", 1) == ["a: 1\n---\nb: 2\n"]


def test_a_broken_piece_raises_the_loaders_error() -> None:
    text = "a: 1\n---\nb: [1, 2\n---\nc: 3\n"
    broken = [piece for piece in split_stream_text(text, 3) if "[1, 2" in piece]
    with pytest.raises(YamlError) as caught:
        parse_stream_piece("f.yaml", broken[0])
    assert caught.value.path == "f.yaml"
    assert caught.value.message.startswith("invalid YAML")
