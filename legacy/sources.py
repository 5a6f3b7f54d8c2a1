"""The original service's documents, read from its MongoDB (pymongo) or from mongoexport files.

Both sources yield the same :class:`SourceDocument`: a plain ``dict`` with BSON types
(``ObjectId``, ``int``, ``float``, ``bytes``...) exactly as pymongo decodes a document,
or the reason one document could not be read. Everything after reading
(``legacy.importer``) is shared, so the file tests cover the conversion of what the
pymongo source reads too.

* :class:`MongoCollectionSource` reads a collection in ``_id`` order. Each document
  arrives as raw BSON and is decoded on its own, so one undecodable document is
  reported instead of ending the run.
* :class:`ExportFileSource` reads ``mongoexport`` output in Extended JSON (canonical or
  relaxed), converted with ``bson.json_util``: one document per line (the default),
  documents one after another (``--pretty``) or one JSON array (``--jsonArray``). The
  file is streamed, never loaded whole. Outside an array, a document that is not valid
  JSON is reported and reading goes on at the next line; inside an array nothing after
  a syntax error can be trusted, so the counting pass, which runs before anything is
  imported, refuses the file (:class:`SourceError`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bson
from bson import json_util
from bson.codec_options import DEFAULT_CODEC_OPTIONS, CodecOptions
from bson.errors import BSONError
from bson.raw_bson import RawBSONDocument

# What bson.json_util raises for Extended JSON it cannot convert ({"$oid": "zz"}, ...).
CONVERSION_ERRORS = (BSONError, ValueError, TypeError, KeyError, OverflowError)
READ_CHUNK_CHARS = 1024 * 1024
# MongoDB documents are at most 16 MiB of BSON; their Extended JSON is longer but not this long.
MAX_DOCUMENT_CHARS = 64 * 1024 * 1024
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_PLAIN_JSON = json.JSONDecoder()
_EXTENDED_JSON = json.JSONDecoder(
    object_pairs_hook=lambda pairs: json_util.object_pairs_hook(pairs, json_util.DEFAULT_JSON_OPTIONS)
)
_RAW_BSON = CodecOptions(document_class=RawBSONDocument)


class SourceError(Exception):
    """The source as a whole cannot be read (missing file, broken JSON array, unreachable server)."""


@dataclass(frozen=True)
class SourceDocument:
    """One document of a source, or why it could not be read.

    ``position`` counts documents from 1 in source order; ``line`` is where it starts
    in a file (None for MongoDB). Exactly one of ``document`` and ``error`` is set.
    """

    position: int
    line: int | None
    document: dict[str, Any] | None = None
    error: str | None = None


# --- MongoDB -------------------------------------------------------------------------------


class MongoCollectionSource:
    """The documents of one collection of the original service's database, in ``_id`` order."""

    batch_size = 1000

    def __init__(self, collection):
        self.collection = collection
        self.name = f"{collection.database.name}.{collection.name}"

    def count(self) -> int:
        """Return about how many documents there are (the collection's metadata; for progress only)."""
        return self.collection.estimated_document_count()

    def __iter__(self) -> Iterator[SourceDocument]:
        raw_collection = self.collection.with_options(codec_options=_RAW_BSON)
        cursor = raw_collection.find({}, sort=[("_id", 1)], batch_size=self.batch_size)
        for position, raw in enumerate(cursor, start=1):
            yield bson_document_decode(raw.raw, position=position)


def bson_document_decode(data: bytes, *, position: int) -> SourceDocument:
    """Decode one BSON document as pymongo would; an undecodable one becomes an error."""
    try:
        document = bson.decode(data, codec_options=DEFAULT_CODEC_OPTIONS)
    except CONVERSION_ERRORS as exc:
        return SourceDocument(position=position, line=None, error=f"undecodable BSON: {exc}")
    return SourceDocument(position=position, line=None, document=document)


# --- mongoexport files -------------------------------------------------------------------------


class ExportFileSource:
    """The documents of one mongoexport file (Extended JSON: one per line, concatenated or an array)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.name = str(self.path)

    def count(self) -> int:
        """Return how many documents the file holds, reading it once without converting anything.

        Raises SourceError for a file that cannot be read or a broken JSON array, so a
        bad file is refused before anything is imported from it.
        """
        return sum(1 for _ in self._values(_PLAIN_JSON))

    def __iter__(self) -> Iterator[SourceDocument]:
        for position, (line, value, error) in enumerate(self._values(_EXTENDED_JSON), start=1):
            if error is None and not isinstance(value, dict):
                error = f"not a document: a JSON {type(value).__name__} instead of an object"
            if error is not None:
                yield SourceDocument(position=position, line=line, error=error)
            else:
                yield SourceDocument(position=position, line=line, document=value)

    def _values(self, decoder: json.JSONDecoder) -> Iterator[tuple[int, Any, str | None]]:
        """Yield ``(line, value, error)`` for each top-level value of the file."""
        try:
            with self.path.open(encoding="utf-8-sig", newline="") as stream:
                yield from _JsonStream(stream, decoder=decoder, name=self.name).values()
        except OSError as exc:
            raise SourceError(f"{self.name}: cannot read: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise SourceError(f"{self.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


class _Syntax(Exception):
    """Text at the reading position is not JSON (``line`` is where the problem is)."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message = message
        self.line = line


class _JsonStream:
    """Top-level JSON values of a text stream, read in chunks (a buffer that drops what was read)."""

    def __init__(self, stream, *, decoder: json.JSONDecoder, name: str):
        self.stream = stream
        self.decoder = decoder
        self.name = name
        self.buffer = ""
        self.pos = 0
        self.line = 1
        self.eof = False

    def values(self) -> Iterator[tuple[int, Any, str | None]]:
        """Yield ``(line, value, error)``: one JSON array's elements, or every value of the stream."""
        self._skip_whitespace()
        if self._at_end():
            return
        if self.buffer[self.pos] == "[":
            self.pos += 1
            yield from self._array_values()
        else:
            yield from self._stream_values()

    def _more(self) -> bool:
        """Read the next chunk (keeping what is not consumed yet); return False at end of file."""
        if self.eof:
            return False
        chunk = self.stream.read(READ_CHUNK_CHARS)
        if not chunk:
            self.eof = True
            return False
        self.buffer = self.buffer[self.pos :] + chunk
        self.pos = 0
        return True

    def _at_end(self) -> bool:
        return self.pos >= len(self.buffer) and not self._more()

    def _skip_whitespace(self) -> None:
        while True:
            end = _WHITESPACE.match(self.buffer, self.pos).end()
            self.line += self.buffer.count("\n", self.pos, end)
            self.pos = end
            if self.pos < len(self.buffer) or not self._more():
                return

    def _may_grow(self, error: json.JSONDecodeError | None = None) -> bool:
        """Read more for a value that may go on in the next chunk (within the size limit).

        A syntax error away from the end of what was read cannot be cured by reading
        more, except an unterminated string (reported where the string starts).
        """
        if error is not None:
            truncated = error.pos >= len(self.buffer) - 8 or error.msg.startswith("Unterminated string")
            if not truncated:
                return False
        return len(self.buffer) - self.pos < MAX_DOCUMENT_CHARS and self._more()

    def _decode(self) -> tuple[Any, str | None]:
        """Decode the value at the reading position; return ``(value, conversion error)``.

        Raises _Syntax when the text is not JSON. A value that is JSON but not valid
        Extended JSON (``{"$oid": "zz"}``) is skipped over and returned as an error.
        """
        while True:
            error = None
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                if self._may_grow(exc):
                    continue
                raise _Syntax(exc.msg, self.line + self.buffer.count("\n", self.pos, exc.pos)) from None
            except CONVERSION_ERRORS as exc:
                try:
                    _, end = _PLAIN_JSON.raw_decode(self.buffer, self.pos)
                except json.JSONDecodeError as syntax:
                    if self._may_grow(syntax):
                        continue
                    raise _Syntax(
                        syntax.msg, self.line + self.buffer.count("\n", self.pos, syntax.pos)
                    ) from None
                value, error = None, f"invalid Extended JSON: {exc}"
            if end == len(self.buffer) and self._may_grow():
                continue  # a number at the end of the chunk may go on in the next one
            self.line += self.buffer.count("\n", self.pos, end)
            self.pos = end
            return value, error

    def _stream_values(self) -> Iterator[tuple[int, Any, str | None]]:
        while True:
            self._skip_whitespace()
            if self._at_end():
                return
            line = self.line
            try:
                value, error = self._decode()
            except _Syntax as exc:
                yield exc.line, None, f"invalid JSON: {exc.message}"
                self._skip_past_line(exc.line)
                continue
            yield line, value, error

    def _skip_past_line(self, line: int) -> None:
        """Move the reading position to the start of the line after ``line``."""
        while True:
            newline = self.buffer.find("\n", self.pos)
            if newline < 0:
                self.pos = len(self.buffer)
                if not self._more():
                    return
                continue
            self.pos = newline + 1
            self.line += 1
            if self.line > line:
                return

    def _array_values(self) -> Iterator[tuple[int, Any, str | None]]:
        first = True
        while True:
            self._skip_whitespace()
            if self._at_end():
                raise SourceError(f"{self.name}: the JSON array is not closed (line {self.line})")
            if self.buffer[self.pos] == "]":
                self.pos += 1
                self._skip_whitespace()
                if not self._at_end():
                    raise SourceError(f"{self.name}: text after the JSON array (line {self.line})")
                return
            if not first:
                if self.buffer[self.pos] != ",":
                    raise SourceError(
                        f"{self.name}: expected ',' or ']' in the JSON array (line {self.line})"
                    )
                self.pos += 1
                self._skip_whitespace()
            line = self.line
            try:
                value, error = self._decode()
            except _Syntax as exc:
                raise SourceError(f"{self.name}: invalid JSON at line {exc.line}: {exc.message}") from None
            yield line, value, error
            first = False
