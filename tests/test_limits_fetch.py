"""`data fetch` bounds (limits.py): a byte cap from the catalog, a total timeout, clean errors for a broken
transfer — against a loopback server (127.0.0.1) that streams too much, trickles and cuts transfers short."""

from __future__ import annotations

import gzip
import http.server
import threading
import time

import pytest
from typer.testing import CliRunner

from conftest import write_mirror
from talentflow.cli.main import app
from talentflow.errors import TalentflowError
from talentflow.sources.catalog import load_catalog
from talentflow.sources.fetch import fetch_one

CONTENT = b"[" + b",".join(b'{"title": "Paper %d", "author": "A B;C D"}' % i for i in range(400)) + b"]"


class _Upstream(http.server.BaseHTTPRequestHandler):
    """The first path segment picks the behaviour: ok (with Range), flood (endless body, no length), biglength
    (a Content-Length far above the file), trickle (a byte every 50 ms), truncate (half the promised body)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _body(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.server.sent[0] += len(data)  # per server: a handler left over from another test counts apart
        except OSError:
            raise ConnectionAbortedError from None

    def do_GET(self):
        mode = self.path.split("/")[1]
        self.server.sent[0] = 0
        data = self.server.content
        try:
            if mode == "ok":
                start = int(self.headers["Range"].split("=")[1].split("-")[0]) if self.headers["Range"] else 0
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                self._body(data[start:])
            elif mode == "flood":  # 64 MiB for a file of a few kB, no Content-Length
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                for _ in range(1024):
                    self._body(b"\0" * 65536)
            elif mode == "biglength":
                self.send_response(200)
                self.send_header("Content-Length", str(300 << 20))
                self.end_headers()
                for _ in range(1024):
                    self._body(b"\0" * 65536)
            elif mode == "trickle":  # never silent long enough for a per-read timeout; 15 s in all
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                for i in range(300):
                    self._body(data[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.05)
            elif mode == "truncate":
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self._body(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
            else:
                self.send_error(404)
        except ConnectionAbortedError:
            self.close_connection = True


@pytest.fixture()
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    srv.daemon_threads = True
    srv.sent = [0]  # body bytes written by the last response
    srv.content = CONTENT
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}"
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture()
def ds(tmp_path):
    (d,) = load_catalog(write_mirror(tmp_path / "orig", {}, raw={"aaai/aaai2021.json.gz": CONTENT}))
    return d


def _files(ds, data):
    t = ds.local(data)
    return sorted(p.name for p in t.parent.glob(t.name + "*")) if t.parent.exists() else []


def test_a_flood_is_refused_at_the_cap_and_nothing_is_kept(tmp_path, server, ds):
    data = tmp_path / "data"
    t = time.monotonic()
    read = []
    with pytest.raises(TalentflowError, match="sent more than") as e:
        fetch_one(ds, data, base_url=f"{server.url}/flood", progress=read.append)
    from talentflow.limits import content_cap

    cap = content_cap(ds.bytes, ds.path)
    assert cap < 2 << 20 and f"{cap:,}" in str(e.value)
    assert sum(read) <= cap  # stopped reading at the cap, not after 64 MiB
    assert server.sent[0] < 64 << 20  # the flood was cut (what the server wrote includes socket buffers)
    assert time.monotonic() - t < 10
    assert _files(ds, data) == []


def test_a_content_length_above_the_cap_is_refused_before_the_body(tmp_path, server, ds):
    with pytest.raises(TalentflowError, match="sent more than"):
        fetch_one(ds, tmp_path / "data", base_url=f"{server.url}/biglength")
    assert server.sent[0] < 64 << 20  # refused on the header: the body was never read to its end


def test_the_timeout_is_total_not_per_read(tmp_path, server, ds):
    t = time.monotonic()
    with pytest.raises(TalentflowError, match="longer than --timeout 2 s"):
        fetch_one(ds, tmp_path / "data", base_url=f"{server.url}/trickle", timeout=2)
    assert time.monotonic() - t < 4.5  # the server would trickle for 15 s


def test_a_truncated_transfer_is_a_clean_error_and_resumes(tmp_path, server, ds):
    data = tmp_path / "data"
    with pytest.raises(TalentflowError, match="cut short") as e:
        fetch_one(ds, data, base_url=f"{server.url}/truncate")
    assert f"after {len(CONTENT) // 2:,} bytes" in str(e.value)
    part = ds.local(data).with_name(ds.local(data).name + ".part")
    assert part.read_bytes() == CONTENT[: len(CONTENT) // 2]
    assert fetch_one(ds, data, base_url=f"{server.url}/ok").status == "fetched"  # a Range request for the rest
    assert server.sent[0] == len(CONTENT) - len(CONTENT) // 2
    assert gzip.decompress(ds.local(data).read_bytes()) == CONTENT and _files(ds, data) == [ds.local(data).name]


@pytest.mark.parametrize("mode,message", [("truncate", "cut short"), ("flood", "sent more than"),
                                          ("trickle", "longer than --timeout 1 s")])
def test_cli_fetch_errors_are_one_line_not_tracebacks(tmp_path, server, mode, message):
    (ds,) = [d for d in load_catalog() if d.id == "aaai2021"]  # the packaged catalog's entry
    server.content = b"x" * 4096 if mode != "flood" else CONTENT
    res = CliRunner().invoke(app, ["--data", str(tmp_path / "data"), "data", "fetch", "aaai2021",
                                   "--base-url", f"{server.url}/{mode}",
                                   "--timeout", "1" if mode == "trickle" else "60"])
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_cli_rejects_a_nonpositive_timeout(tmp_path):
    res = CliRunner().invoke(app, ["--data", str(tmp_path), "data", "fetch", "aaai2021", "--timeout", "0"])
    assert res.exit_code == 2 and "--timeout" in res.output
