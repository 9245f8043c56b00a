"""Find one record in a WARC file (plain or gzip, one member per record) by its record id.

A small reader of the WARC 1.0/1.1 framing, enough to hand out an article's archived copy;
it reads the file front to back, which is fine for one record on demand.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


@dataclass
class Record:
    """A WARC record's type, its headers and, for a response, the HTTP parts."""

    warc_type: str
    headers: dict[str, str]
    content_type: str
    body: bytes


def _open(path: Path) -> BinaryIO:
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def _headers(stream: BinaryIO) -> dict[str, str] | None:
    line = stream.readline()
    while line in (b"\r\n", b"\n"):
        line = stream.readline()
    if not line:
        return None
    if not line.startswith(b"WARC/"):
        raise ValueError(f"not a WARC record: {line[:40]!r}")
    headers: dict[str, str] = {}
    for raw in iter(stream.readline, b""):
        if raw in (b"\r\n", b"\n"):
            break
        name, _, value = raw.decode("utf-8", "replace").partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def find_record(path: Path, record_id: str) -> Record | None:
    """The record whose WARC-Record-ID is record_id, or None."""
    with _open(path) as stream:
        while (headers := _headers(stream)) is not None:
            length = int(headers.get("content-length", "0"))
            if headers.get("warc-record-id") != record_id:
                stream.seek(length, 1)
                continue
            block = stream.read(length)
            warc_type = headers.get("warc-type", "")
            content_type = headers.get("content-type", "application/octet-stream")
            if warc_type == "response" and content_type.startswith("application/http"):
                head, _, body = block.partition(b"\r\n\r\n")
                content_type = "application/octet-stream"
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-type":
                        content_type = value.strip()
                return Record(warc_type, headers, content_type, body)
            return Record(warc_type, headers, content_type, block)
    return None
