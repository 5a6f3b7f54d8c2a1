"""Reading mongoexport files: every layout and mode mongoexport writes, streamed; broken input reported.

``legacy.sources.ExportFileSource`` yields what pymongo would decode (ObjectId, int,
bytes...), so these tests also cover the conversion the MongoDB source shares.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bson import BSON, Int64, ObjectId

from legacy import sources
from legacy.sources import ExportFileSource, SourceError, bson_document_decode
from legacy.tests.legacy_data import user_doc, write_export

DOCUMENTS = [
    user_doc(
        "ann@example.com",
        password=b"$2b$04$binary-bcrypt-stand-in",
        visits=Int64(3),
        seen=datetime(2020, 1, 2, tzinfo=UTC),
    ),
    user_doc("bob@example.com", first_name="Bób", last_name="Ünïcode"),
    user_doc("cy@example.com", password=None),
]


@pytest.fixture(
    params=[7, 64, sources.READ_CHUNK_CHARS], ids=["tiny-chunks", "small-chunks", "default-chunks"]
)
def chunk(request, monkeypatch):
    """Read in chunks of several sizes, so documents straddle chunk boundaries."""
    monkeypatch.setattr(sources, "READ_CHUNK_CHARS", request.param)


@pytest.mark.parametrize("layout", ["lines", "pretty", "array"])
@pytest.mark.parametrize("mode", ["relaxed", "canonical"])
def test_every_mongoexport_layout_reads_back_the_same_documents(tmp_path, chunk, layout, mode):
    source = ExportFileSource(write_export(tmp_path / "users.json", DOCUMENTS, layout=layout, mode=mode))
    assert source.count() == 3
    read = list(source)
    assert [item.position for item in read] == [1, 2, 3]
    assert all(item.error is None for item in read)
    first = read[0].document
    assert isinstance(first["_id"], ObjectId) and first["_id"] == DOCUMENTS[0]["_id"]
    assert first["password"] == b"$2b$04$binary-bcrypt-stand-in"
    assert first["visits"] == 3
    assert first["seen"].replace(tzinfo=UTC) == datetime(2020, 1, 2, tzinfo=UTC)
    assert read[1].document["last_name"] == "Ünïcode"
    if layout == "lines":
        assert [item.line for item in read] == [1, 2, 3]


def test_an_empty_file_and_an_empty_array_have_no_documents(tmp_path):
    (tmp_path / "a.json").write_text("")
    (tmp_path / "b.json").write_text(" [ ]\n")
    assert list(ExportFileSource(tmp_path / "a.json")) == []
    assert ExportFileSource(tmp_path / "b.json").count() == 0


def test_a_broken_line_is_reported_with_its_line_and_reading_goes_on(tmp_path, chunk):
    good = write_export(tmp_path / "good.json", DOCUMENTS[:2]).read_text().splitlines()
    (tmp_path / "users.json").write_text(f'{good[0]}\n{{"_id": {{"$oid": "6527\n{good[1]}\n[1, 2]\n')
    read = list(ExportFileSource(tmp_path / "users.json"))
    assert [(item.line, item.document is not None) for item in read] == [
        (1, True),
        (2, False),
        (3, True),
        (4, False),
    ]
    assert read[1].error.startswith("invalid JSON: ")
    assert read[3].error == "not a document: a JSON list instead of an object"


def test_invalid_extended_json_is_one_bad_document(tmp_path, chunk):
    (tmp_path / "users.json").write_text(
        '[{"_id": {"$oid": "zz"}, "email": "a@example.com"},\n {"_id": {"$oid": "65277a812b73bb530ad77307"}}]'
    )
    source = ExportFileSource(tmp_path / "users.json")
    assert source.count() == 2
    first, second = list(source)
    assert first.document is None and first.error.startswith("invalid Extended JSON: ")
    assert second.document == {"_id": ObjectId("65277a812b73bb530ad77307")}
    assert second.line == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"a": 1}, {"b": ]', "invalid JSON at line 1"),
        ('[{"a": 1} {"b": 2}]', "expected ',' or ']'"),
        ('[{"a": 1},\n{"b": 2}', "the JSON array is not closed (line 2)"),
        ('[{"a": 1}] {"b": 2}', "text after the JSON array"),
    ],
)
def test_a_broken_array_is_refused_by_the_counting_pass(tmp_path, text, message):
    (tmp_path / "users.json").write_text(text)
    with pytest.raises(SourceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ExportFileSource(tmp_path / "users.json").count()


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    (tmp_path / "users.json").write_bytes(b'{"email": "\xff"}\n')
    with pytest.raises(SourceError, match="not UTF-8"):
        ExportFileSource(tmp_path / "users.json").count()


def test_bson_documents_decode_like_pymongo_and_undecodable_ones_are_errors():
    document = user_doc("ann@example.com")
    decoded = bson_document_decode(BSON.encode(document), position=4)
    assert (decoded.position, decoded.line, decoded.document) == (4, None, document)
    broken = bson_document_decode(BSON.encode(document)[:-3], position=5)
    assert broken.document is None and broken.error.startswith("undecodable BSON")
