"""WARC archive of raw responses (warcio): every fetched body, so any item can be re-extracted.

`WarcArchive` writes gzip-per-record WARC 1.1 files, rotated by size. `WarcMiddleware` is a
Scrapy downloader middleware that archives each response after decompression and puts
`warc_file` and `warc_record_id` in its meta for the spider. Enabled by the NEWSDESK_WARC_DIR
setting; NEWSDESK_WARC_NAME names files relative to the archive root (the database's folder).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# Headers describing the transfer, not the body we archive (Scrapy has already decoded it).
_TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
HTTP_REASONS = {200: "OK", 203: "Non-Authoritative Information", 301: "Moved Permanently",
                302: "Found", 404: "Not Found", 410: "Gone", 500: "Internal Server Error",
                503: "Service Unavailable"}


class WarcArchive:
    """Appends response records to `<directory>/<prefix>-<n>.warc.gz`, rotating by size."""

    def __init__(self, directory: Path, prefix: str, max_bytes: int = 1 << 30) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self._seq = 0
        self._file: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None
        self.path: Path | None = None
        self.records = 0

    def _open(self) -> None:
        self.close()
        self._seq += 1
        self.path = self.directory / f"{self.prefix}-{self._seq:05d}.warc.gz"
        self._file = open(self.path, "ab")
        self._writer = WARCWriter(self._file, gzip=True, warc_version="1.1")
        info = self._writer.create_warcinfo_record(
            self.path.name,
            {"software": "newsdesk crawler (warcio)", "format": "WARC File Format 1.1"},
        )
        self._writer.write_record(info)

    def write_response(self, url: str, status: int, headers: list[tuple[str, str]],
                       body: bytes, fetched_at: datetime | None = None) -> tuple[Path, str]:
        """Archive one HTTP response; return its file and WARC-Record-ID."""
        if self._writer is None or (self._file and self._file.tell() >= self.max_bytes):
            self._open()
        assert self._writer is not None and self.path is not None
        kept = [(k, v) for k, v in headers if k.lower() not in _TRANSFER_HEADERS]
        kept.append(("Content-Length", str(len(body))))
        reason = HTTP_REASONS.get(status, "")
        http_headers = StatusAndHeaders(f"{status} {reason}".strip(), kept, protocol="HTTP/1.1")
        when = (fetched_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = self._writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body),
            http_headers=http_headers, warc_headers_dict={"WARC-Date": when},
        )
        self._writer.write_record(record)
        self._file.flush()  # type: ignore[union-attr]
        self.records += 1
        return self.path, record.rec_headers.get_header("WARC-Record-ID")

    def close(self) -> None:
        """Close the current file."""
        if self._file is not None:
            self._file.close()
        self._file = None
        self._writer = None


class WarcMiddleware:
    """Downloader middleware: archive every response that carries a body."""

    def __init__(self, archive: WarcArchive, name_root: str) -> None:
        self.archive = archive
        self.name_root = name_root

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcMiddleware:
        directory = crawler.settings.get("NEWSDESK_WARC_DIR")
        if not directory:
            raise NotConfigured("NEWSDESK_WARC_DIR is not set")
        prefix = crawler.settings.get("NEWSDESK_WARC_PREFIX") or (
            "newsdesk-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S"))
        archive = WarcArchive(
            Path(directory), prefix, crawler.settings.getint("NEWSDESK_WARC_MAX_BYTES", 1 << 30)
        )
        middleware = cls(archive, crawler.settings.get("NEWSDESK_WARC_NAME", ""))
        from scrapy import signals

        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Response:
        if response.status == 304 or request.method != "GET":
            return response
        headers = [(k.decode("latin-1"), v.decode("latin-1"))
                   for k, values in response.headers.items() for v in values]
        path, record_id = self.archive.write_response(
            response.url, response.status, headers, response.body
        )
        name = f"{self.name_root.rstrip('/')}/{path.name}" if self.name_root else str(path)
        request.meta["warc_file"] = name
        request.meta["warc_record_id"] = record_id
        return response

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.archive.close()


def read_record(path: Path, record_id: str) -> dict[str, Any] | None:
    """The archived response with this record id: url, status, headers, body (for tests and
    re-extraction)."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as f:
        for record in ArchiveIterator(f):
            if record.rec_headers.get_header("WARC-Record-ID") == record_id:
                return {
                    "url": record.rec_headers.get_header("WARC-Target-URI"),
                    "status": int(record.http_headers.get_statuscode()),
                    "headers": dict(record.http_headers.headers),
                    "body": record.content_stream().read(),
                }
    return None
