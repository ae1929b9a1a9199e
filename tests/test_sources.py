"""Catalog, verification and upstream fetch (against a local fixture server on 127.0.0.1)."""

from __future__ import annotations

import gzip
import http.server
import threading
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner

from talentflow.cli.main import app
from talentflow.errors import ChecksumMismatch, UnknownValue
from talentflow.sources.catalog import load_catalog, select, classify
from talentflow.sources.fetch import fetch_one
from talentflow.sources.verify import check

from conftest import write_mirror


def test_catalog_covers_every_manifest_row(mirror_dir):
    cat = {d.path for d in load_catalog()}
    manifest = (mirror_dir / "conferences/MANIFEST.tsv").read_text().splitlines()[1:]
    staged = {"conferences/" + line.split("\t")[0] for line in manifest if line}
    assert staged <= cat
    assert all(d.sha256 and d.license for d in load_catalog() if d.group == "conferences")


def test_mirror_verifies(mirror_dir):
    bad = [d.id for d in load_catalog() if check(d, mirror_dir).status not in ("ok",)]
    assert bad == []


def test_classify_and_unknown_values():
    assert classify("nips2023.authors.json.gz") == ("nips", "2023", "or_enrichment")
    assert classify("eccv2018.json.gz")[2] == "excluded"
    with pytest.raises(ValueError):
        classify("README.md")
    with pytest.raises(UnknownValue, match="Did you mean: nips20"):
        select(load_catalog(), ids=["nips2032"])
    with pytest.raises(UnknownValue, match="venue"):
        select(load_catalog(), venue="neurips")


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with HTTP Range support, and a switch that cuts the first response short."""

    cut_first = [False]

    def log_message(self, *a):
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        rng = self.headers.get("Range")
        if rng:
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
        else:
            self.send_response(200)
        body = data[start:]
        if self.cut_first[0]:
            self.cut_first[0] = False
            body = body[: len(body) // 2]  # a dropped connection halfway
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def upstream(tmp_path):
    root = tmp_path / "upstream"
    handler = partial(_RangeHandler, directory=str(root))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield root, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def _one_dataset(tmp_path, upstream_root, content=b'[{"title": "T", "author": "A"}]'):
    cat = write_mirror(tmp_path / "orig", {}, raw={"aaai/aaai2021.json.gz": content})
    (ds,) = load_catalog(cat)
    up = upstream_root / ds.repo / ds.commit / ds.src_path
    up.parent.mkdir(parents=True, exist_ok=True)
    up.write_bytes(content)
    return ds


def test_fetch_downloads_verifies_and_recompresses(tmp_path, upstream):
    root, base = upstream
    ds = _one_dataset(tmp_path, root)
    data = tmp_path / "data"
    assert fetch_one(ds, data, base_url=base).status == "fetched"
    assert gzip.decompress(ds.local(data).read_bytes()) == b'[{"title": "T", "author": "A"}]'
    assert check(ds, data).status in ("ok", "content-ok")
    assert fetch_one(ds, data, base_url=base).status == "present"


def test_fetch_resumes_a_partial_download(tmp_path, upstream):
    root, base = upstream
    content = b"[" + b",".join(b'{"title": "T%d", "author": "A"}' % i for i in range(2000)) + b"]"
    ds = _one_dataset(tmp_path, root, content)
    data = tmp_path / "data"
    _RangeHandler.cut_first[0] = True
    with pytest.raises(ChecksumMismatch):  # the truncated first attempt never lands as a dataset file
        fetch_one(ds, data, base_url=base)
    assert not ds.local(data).exists()
    # a partial file left by an interrupted download is resumed with a Range request
    part = ds.local(data).with_name(ds.local(data).name + ".part")
    part.write_bytes(content[:1000])
    assert fetch_one(ds, data, base_url=base).status == "fetched"
    assert gzip.decompress(ds.local(data).read_bytes()) == content


def test_fetch_rejects_wrong_content(tmp_path, upstream):
    root, base = upstream
    ds = _one_dataset(tmp_path, root)
    (root / ds.repo / ds.commit / ds.src_path).write_bytes(b"[]")
    with pytest.raises(ChecksumMismatch, match="git blob"):
        fetch_one(ds, tmp_path / "data", base_url=base)


def test_cli_data_list_verify_and_errors(tmp_path):
    cat = write_mirror(tmp_path / "d", {"aaai/aaai2021.json.gz": [{"title": "T", "author": "A"}]})
    runner = CliRunner()
    env = {"TALENTFLOW_DATA": str(tmp_path / "d")}
    res = runner.invoke(app, ["data", "list", "--group", "conferences", "--format", "json"], env=env)
    import json
    present = {r["id"] for r in json.loads(res.stdout) if r["present"]}
    assert res.exit_code == 0 and present == {"aaai2021"}  # packaged catalog, fixture directory
    p = tmp_path / "d/conferences/aaai/aaai2021.json.gz"
    p.write_bytes(p.read_bytes()[:-4])
    (ds,) = load_catalog(cat)
    assert check(ds, tmp_path / "d").status == "mismatch"
    res = runner.invoke(app, ["data", "verify", "--group", "conferences"], env=env)
    assert res.exit_code == 1 and "aaai2021" in res.stdout
    res = runner.invoke(app, ["data", "fetch", "nips2032"], env=env)
    assert res.exit_code == 2 and "Did you mean" in res.output
    res = runner.invoke(app, ["--db", str(tmp_path / "none.duckdb"), "export", "papers"])
    assert res.exit_code == 2 and "talentflow build" in res.output


def test_catalog_ids_unique_and_kinds_known():
    from talentflow.sources.catalog import KINDS

    cat = load_catalog()
    ids = [d.id for d in cat]
    assert len(ids) == len(set(ids))
    assert {d.kind for d in cat if d.group == "conferences"} <= set(KINDS)
