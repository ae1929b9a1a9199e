"""The command line with awkward input: rich markup in user text prints literally, an unknown --format is an
error listing the formats (every command that has the option), a bad --out is a clear message before any work,
and files users pass may start with a UTF-8 byte-order mark."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from talentflow.cli.common import emit_rows
from talentflow.cli.main import app
from talentflow.pipeline import build

from conftest import fixture_settings

MARKUP = "Dept. of CS [/] Stanford [bold]x[/bold] [red]y[/] :smile:"
BOM = "\ufeff"


@pytest.fixture()
def empty_data(tmp_path, monkeypatch) -> Path:
    """A data directory without registry files (the resolver runs on curated data) and a private cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TALENTFLOW_DATA", raising=False)
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    s = fixture_settings(tmp_path_factory.mktemp("cli"), {"aaai/aaai2021.json.gz": [
        {"id": "1", "title": "A title", "author": "Ann Lee"}]})
    build(s, stages=["talentflow.ingest.stage", "talentflow.ingest.live", "talentflow.ingest.datasets"])
    return s


def _run(*args, **kw):
    """Invoke the CLI; a wide terminal, so error panels do not fold long paths."""
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "400", **kw.pop("env", {})}, **kw)


def _flat(output: str) -> str:
    """Output with panel borders removed and whitespace collapsed."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


def test_table_cells_and_titles_print_markup_literally(capsys):
    emit_rows([{"institution": MARKUP, "[col]": "[/]"}], "table", title="of [/] [bold]")
    out = capsys.readouterr().out
    for text in ("[/] Stanford", "[bold]x[/bold]", "[red]y[/]", ":smile:", "[col]", "of [/] [bold]"):
        assert text in out, (text, out)


def test_resolve_prints_the_affiliation_literally(empty_data):
    r = _run("--data", empty_data, "resolve", MARKUP)
    assert r.exit_code == 0, r.output
    assert MARKUP in r.output


def test_error_messages_print_paths_literally(empty_data):
    r = _run("--data", empty_data, "resolve", "--input", empty_data / "no [/] such [bold].tsv")
    out = " ".join(r.output.split())  # the message wraps at the terminal width (a long tmp path wraps anywhere)
    assert r.exit_code == 2 and "no [/] such [bold].tsv: input file not found" in out, r.output


def _format_commands() -> list[list[str]]:
    """Every command with a --format option (walked from the CLI itself, so a new command is checked too)."""
    root = typer.main.get_command(app)
    out = []

    def walk(cmd, path):
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, path + [name])
        if not hasattr(cmd, "commands") and any("--format" in p.opts for p in cmd.params):
            out.append(path)

    walk(root, [])
    return out


FORMAT_COMMANDS = _format_commands()


def test_every_format_option_is_found():
    assert len(FORMAT_COMMANDS) >= 20 and ["export"] in FORMAT_COMMANDS and ["data", "report"] in FORMAT_COMMANDS


@pytest.mark.parametrize("path", FORMAT_COMMANDS, ids=" ".join)
def test_unknown_format_is_an_error_listing_the_formats(path, tmp_path):
    r = _run("--db", tmp_path / "none.duckdb", "--data", tmp_path, *path, "--format", "nonsense")
    assert r.exit_code == 2, r.output
    assert "unknown format 'nonsense': use one of" in _flat(r.output)
    assert "Traceback" not in r.output


def test_resolve_one_affiliation_refuses_batch_formats(empty_data):
    r = _run("--data", empty_data, "resolve", "MIT", "--format", "csv")
    assert r.exit_code == 2 and "use text or json" in r.output


@pytest.mark.parametrize("args,out,message", [
    (["export", "papers"], "missing/x.csv", "directory {tmp}/missing does not exist"),
    (["export", "papers"], ".", "{tmp} is a directory: give a file name"),
    (["data", "report", "--format", "json"], "missing/x.json", "directory {tmp}/missing does not exist"),
    (["data", "report", "--format", "markdown"], ".", "is a directory"),
    (["data", "report", "--format", "csv"], "afile/x.csv", "{tmp}/afile is not a directory"),
    (["report"], "afile", "{tmp}/afile exists and is not a directory"),
    (["report"], "afile/sub/dir", "{tmp}/afile is a file, so {tmp}/afile/sub/dir cannot be created"),
])
def test_bad_out_is_a_clear_message_before_any_work(built, tmp_path, args, out, message):
    (tmp_path / "afile").write_text("x")
    r = _run("--db", built.db_path, *args, "--out", tmp_path / out)
    assert r.exit_code == 2, r.output
    assert message.format(tmp=tmp_path) in _flat(r.output), r.output
    assert "Traceback" not in r.output


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["export", "papers"], ["data", "report", "--format", "markdown"],
                                  ["data", "report", "--format", "csv"]])
def test_failed_write_names_the_file_without_a_traceback(built, args):
    r = _run("--db", built.db_path, *args, "--out", "/dev/full")  # every write fails: no space left
    assert r.exit_code == 2, r.output
    assert "cannot write /dev/full" in r.output and "No space left" in _flat(r.output)
    assert "Traceback" not in r.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_out_is_a_clear_message(built, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        r = _run("--db", built.db_path, "export", "papers", "--out", ro / "x.csv")
        assert r.exit_code == 2 and f"{ro} is not writable" in _flat(r.output), r.output
    finally:
        ro.chmod(0o755)


def test_bom_in_resolve_input_and_stdin(empty_data, tmp_path):
    f = tmp_path / "in.tsv"
    f.write_text(BOM + "affiliation\tdomain\nMIT\tmit.edu\n", encoding="utf-8")
    r = _run("--data", empty_data, "resolve", "--input", f)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.splitlines()[0])["affiliation"] == "MIT"
    r = _run("--data", empty_data, "resolve", "--input", "-", input=BOM + "affiliation\nMIT\n")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.splitlines()[0])["affiliation"] == "MIT"


def test_bom_in_label_files(tmp_path):
    from talentflow.careers.subfield_eval import LABEL_COLUMNS as SUB_COLUMNS, load_labels
    from talentflow.resolve.evaluate import LABEL_COLUMNS, read_labels

    f = tmp_path / "labels.tsv"
    f.write_text(BOM + "\t".join(LABEL_COLUMNS) + "\nMIT\tmit.edu\thead\t3\tMIT\tUS\tUS\tacademia\t\n", encoding="utf-8")
    (lab,) = read_labels(f)
    assert (lab.affiliation, lab.n) == ("MIT", 3)
    g = tmp_path / "sub.tsv"
    g.write_text(BOM + "\t".join(SUB_COLUMNS) + "\nnips\t2022\tP1\tvision\tT\n", encoding="utf-8")
    (row,) = load_labels(g, {"vision": "Vision"})
    assert (row["venue"], row["year"]) == ("nips", 2022)


def test_bom_in_a_profile_dump(tmp_path):
    dump = tmp_path / "profiles.jsonl"
    dump.write_text(BOM + json.dumps({"id": "~Ann_Lee1", "content": {"names": [{"fullname": "Ann Lee"}]}}) + "\n",
                    encoding="utf-8")
    r = _run("--data", tmp_path / "data", "data", "import-profiles", dump, "--format", "json")
    assert r.exit_code == 0, r.output
    assert "1 profiles imported, 0 lines rejected" in _flat(r.output)


# ---- tables that fit 80 columns --------------------------------------------------------------------------------

RETENTION_ROW = {"country": "US", "from_stage": "graduate", "to_stage": "work", "share": 0.8437, "count": 1234,
                 "ci_low": 0.431, "ci_high": 0.452, "n": 1463, "outflow": 229, "inflow": 507, "net": 278,
                 "n_people": 85945, "n_both_known": 3785, "n_from_unknown": 507544, "n_to_unknown": 63802,
                 "n_from_profile": 0, "n_to_profile": 0, "rule": "location", "suppressed": False}
HIDDEN_ROW = {**RETENTION_ROW, "country": "AE", "share": None, "count": None, "ci_low": None, "ci_high": None,
              "n": None, "outflow": None, "inflow": None, "net": None, "suppressed": True}


def _headers(out: str) -> list[str]:
    """The header line of each table in `out`: the line above its header rule (a line of ─)."""
    lines = out.splitlines()
    return [lines[i - 1] for i, ln in enumerate(lines) if i and ln and set(ln) == {"─"}]


def _assert_fits(out: str, width: int = 80, headers: tuple = ()) -> None:
    """No line wider than `width`, and every expected header whole on its table's header line (a folded header
    would be split over two lines)."""
    from rich.cells import cell_len

    long = [ln for ln in out.splitlines() if cell_len(ln) > width]
    assert not long, long
    found = _headers(out)
    assert found, out
    for want in headers:
        assert any(f" {want} " in f" {h} " for h in found), (want, found)


def _emit(monkeypatch, rows, width=80, **kw) -> tuple[str, str]:
    import io

    from rich.console import Console

    import talentflow.cli.common as common

    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(common, "console", Console(file=out, width=width, emoji=False))
    monkeypatch.setattr(common, "err_console", Console(file=err, width=width, emoji=False))
    if kw.get("wide"):
        monkeypatch.setattr(common, "Console", lambda **a: Console(file=out, **a))
    emit_rows(rows, "table", **kw)
    return out.getvalue(), err.getvalue()


def test_a_wide_table_fits_80_columns_in_words(monkeypatch):
    out, err = _emit(monkeypatch, [RETENTION_ROW, HIDDEN_ROW], view="retention", title="Retention")
    _assert_fits(out, headers=("Country", "Stay rate", "95% CI", "People", "Left", "Arrived"))
    flat = " ".join(out.split())
    assert "United States" in flat and "84.4%" in flat and "43.1–45.2%" in flat and "1,463" in flat
    assert "0.844" not in flat and "507544" not in flat and "False" not in flat  # no raw values
    assert "United Arab Em…" in flat and "suppressed" in flat  # a long name is cut; a withheld cell says so
    assert "more columns with --wide" in err


def test_wide_shows_every_column_without_folding(monkeypatch):
    out, err = _emit(monkeypatch, [RETENTION_ROW, HIDDEN_ROW], view="retention", wide=True)
    (header,) = _headers(out)
    for want in ("Country", "From stage", "Net", "Researchers", "From unknown", "Suppressed", "Rule", "CI low"):
        assert f" {want} " in f" {header} ", (want, header)
    assert "507,544" in out and "location rule" in out and not err


def test_long_names_are_cut_not_folded(monkeypatch):
    rows = [{"rank": i, "institution": "Massachusetts Institute of Technology Computer Science and Artificial "
             f"Intelligence Laboratory {i}", "country": "US", "count": 1000 * i, "share": 0.01 * i, "n": 9}
            for i in range(1, 4)]
    out, _ = _emit(monkeypatch, rows, view="institutions")
    _assert_fits(out, headers=("Rank", "Institution", "Country", "People", "Share"))
    assert "…" in out and "3,000" in out and "3.0%" in out
    narrow, _ = _emit(monkeypatch, rows, width=40, view="institutions")
    _assert_fits(narrow, width=40, headers=("Rank", "Institution"))  # columns leave from the right
    assert "Massachusetts In…" in narrow and "Share" not in narrow


@pytest.fixture(scope="module")
def metrics_db(tmp_path_factory):
    from careers_fixtures import careers_engine, run_careers

    path = tmp_path_factory.mktemp("metrics-tables") / "t.duckdb"
    e = careers_engine(str(path))
    run_careers(e)
    e.execute("CHECKPOINT")
    e.close()
    return path


METRIC_TABLES = [
    (["shares", "--venue", "nips", "--year", "2022", "--stage", "current"], ("Country", "Share", "95% CI", "People",
                                                                              "Coverage")),
    (["shares", "--venue", "nips", "--year", "2022", "--stage", "current", "--by", "institution"],
     ("Institution", "Share", "95% CI")),
    (["flows", "--venue", "nips", "--year", "2022", "--proxy"], ("From", "To", "People", "Share", "95% CI")),
    (["retention", "--venue", "nips", "--year", "2022", "--from", "origin", "--proxy"], ("Country", "Stay rate")),
    (["cohort", "--venue", "nips", "--year", "2022"], ("Where now", "Share", "95% CI", "People")),
    (["trend", "--venue", "nips", "--stage", "current"], ("Year", "Country", "Share", "95% CI")),
    (["institutions", "--venue", "nips", "--year", "2022", "--stage", "current"], ("Rank", "Institution", "People")),
]


@pytest.mark.parametrize("args,headers", METRIC_TABLES, ids=lambda a: " ".join(a[:1]) if isinstance(a, list) else "")
def test_metric_tables_fit_80_columns_and_csv_json_stay_complete(metrics_db, args, headers):
    base = ["--db", metrics_db, *args, "--n-boot", "20", "--min-cell", "1"]
    r = _run(*base, env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    _assert_fits(r.stdout, headers=headers)
    w = _run(*base, "--wide", env={"COLUMNS": "80"})
    assert w.exit_code == 0, w.output
    assert "Rule" in _headers(w.stdout)[0] and "Suppressed" in _headers(w.stdout)[0]  # every column
    rows = json.loads(_run(*base, "--format", "json").stdout)
    csv_out = _run(*base, "--format", "csv").stdout
    assert rows and csv_out.splitlines()[0].split(",") == list(rows[0])  # every column, raw names
    assert isinstance(rows[0]["share"], float) and {"ci_low", "ci_high", "n", "suppressed"} <= set(rows[0])


def test_every_table_command_has_wide():
    root = typer.main.get_command(app)
    for path in FORMAT_COMMANDS:
        cmd = root
        for name in path:
            cmd = cmd.commands[name]
        fmt = next(p for p in cmd.params if "--format" in p.opts)
        if fmt.default == "table":  # the commands that print tables (resolve and export print records)
            assert any("--wide" in p.opts for p in cmd.params), path
