"""The WARC archive: records warcio and the publication reader both find by id."""

from pathlib import Path

from crawlers.warc import WarcArchive, read_record
from publish.warc import find_record


def test_responses_are_archived_and_found_by_record_id(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "test", max_bytes=1)  # a new file for every record
    body = "<html><body>Santé</body></html>".encode()
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
               ("Content-Length", "12")]
    path, record_id = archive.write_response("http://127.0.0.1/a.html", 200, headers, body)
    path2, record_id2 = archive.write_response("http://127.0.0.1/b.pdf", 200,
                                               [("Content-Type", "application/pdf")], b"%PDF-1.4")
    archive.close()
    assert path != path2 and record_id != record_id2
    record = read_record(path, record_id)
    assert record["url"] == "http://127.0.0.1/a.html" and record["body"] == body
    # the body is stored decoded: its headers must not claim otherwise
    assert "Content-Encoding" not in record["headers"]
    assert record["headers"]["Content-Length"] == str(len(body))
    found = find_record(path2, record_id2)
    assert found.body == b"%PDF-1.4" and found.content_type == "application/pdf"
