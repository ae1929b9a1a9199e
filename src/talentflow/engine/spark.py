"""Spark engine (the [spark] extra): the same stage SQL, rendered by engine/render.py, on pyspark in local mode.

A database is a directory: one parquet directory per table and `catalog.json` naming them (and the views, as
canonical SQL). While an engine is open its tables are Spark DataFrames held in executor memory
(`localCheckpoint`), so a stage's many small statements never round-trip through files; `CHECKPOINT` and
`close()` write the tables that changed and then replace `catalog.json` atomically. DuckDB's temporary tables
are the same DataFrames, never written. Spark SQL has no UPDATE, DELETE or INSERT on plain tables: each is
rewritten as a query that makes the table's next version.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from . import render
from .base import Dialect, Engine

_SESSION = None
_LOCK = threading.Lock()


def _session(threads: int, memory_limit: str):
    """One local Spark per process (a JVM); each engine opens its own session on it (own temp views)."""
    global _SESSION
    with _LOCK:
        if _SESSION is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError as e:  # pragma: no cover - depends on the install
                raise ImportError("The Spark engine needs the [spark] extra: pip install 'talentflow[spark]'") from e
            mem = memory_limit.lower().replace("gb", "g").replace("mb", "m").replace(" ", "")
            _SESSION = (SparkSession.builder.master(f"local[{threads}]").appName("talentflow")
                        .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                        .config("spark.driver.memory", mem)
                        .config("spark.sql.shuffle.partitions", str(max(1, threads)))
                        # many small statements: query compilation costs more than it saves
                        .config("spark.sql.codegen.wholeStage", "false")
                        .config("spark.sql.adaptive.enabled", "false")
                        .config("spark.sql.ansi.enabled", "false")  # NULL, not an error, like DuckDB's lists
                        .config("spark.sql.legacy.sizeOfNull", "false")
                        .config("spark.sql.session.timeZone", "UTC")
                        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                        .config("spark.sql.caseSensitive", "false")
                        .getOrCreate())
            _SESSION.sparkContext.setLogLevel("ERROR")
        return _SESSION


def _error_types() -> tuple:
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JJavaError)


class SparkDialect(Dialect):
    def table_digest(self, table: str) -> str:
        return (f"SELECT count(*), coalesce(sum(CAST(xxhash64(*) AS DECIMAL(38, 0))), 0) % 18446744073709551616 "
                f"FROM `{table}`")


def _literal(v) -> str:
    """A Python parameter value as canonical SQL."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"CAST('{v!r}' AS DOUBLE)"
    if isinstance(v, (list, tuple)):
        items = [_literal(x) for x in v]
        return "[" + ", ".join(items) + "]" if items else "CAST([] AS VARCHAR[])"
    if isinstance(v, dt.datetime):
        return f"CAST('{v.isoformat(sep=' ')}' AS TIMESTAMP)"
    if isinstance(v, dt.date):
        return f"CAST('{v.isoformat()}' AS DATE)"
    if isinstance(v, decimal.Decimal):
        return f"CAST('{v}' AS DOUBLE)"
    return "'" + str(v).replace("'", "''") + "'"


def bind(sql: str, params: Sequence[Any] | None) -> str:
    """Positional `?` parameters replaced by literals (Spark SQL binds none of the types stages pass)."""
    if not params:
        return sql
    toks = [t for t in render.Canonical().tokenize(sql) if t.token_type == TokenType.PLACEHOLDER and t.text == "?"]
    if len(toks) != len(params):
        raise ValueError(f"{len(params)} parameters for {len(toks)} placeholders")
    out, pos = [], 0
    for t, v in zip(toks, params):
        out.append(sql[pos:t.start])
        out.append(_literal(v))
        pos = t.end + 1
    out.append(sql[pos:])
    return "".join(out)


def _plain(v):
    """Spark values as DuckDB's Python client returns them (a struct is a dict)."""
    from pyspark.sql import Row

    if isinstance(v, Row):
        return {k: _plain(x) for k, x in v.asDict().items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


class SparkEngine(Engine):
    name = "spark"

    def __init__(self, path: Path | str, threads: int = 2, memory_limit: str = "4GB", read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not (self.path / "catalog.json").exists():
            raise FileNotFoundError(f"{self.path}: no Spark database here")
        self.spark = _session(threads, memory_limit).newSession()
        from .spark_udf import register

        register(self.spark)
        self.Error = _error_types()
        self.dialect = SparkDialect()
        self._frames: dict[str, Any] = {}  # table → DataFrame
        self._files: dict[str, str] = {}  # persistent table → its parquet directory (relative)
        self._views: dict[str, str] = {}  # view → canonical SQL
        self._temp: set[str] = set()  # temporary tables and registered Arrow tables: never written
        self._dirty: set[str] = set()
        self._seq = 0
        self._load_catalog()

    # ------------------------------------------------------------------------------------------ storage
    def _load_catalog(self) -> None:
        cat = self.path / "catalog.json"
        if not cat.exists():
            return
        doc = json.loads(cat.read_text())
        self._seq = doc.get("seq", 0)
        for name, rel in doc["tables"].items():
            self._files[name] = rel
            self._set(name, self.spark.read.parquet(str(self.path / rel)), dirty=False)
        for name, sql in doc.get("views", {}).items():
            self._views[name] = sql
            self._make_view(name, sql)

    def _set(self, name: str, df, dirty: bool = True, temp: bool = False) -> None:
        key = name.lower()
        self._frames[key] = df
        df.createOrReplaceTempView(key)
        if temp:
            self._temp.add(key)
        elif dirty:
            self._dirty.add(key)

    def flush(self) -> None:
        """Write the tables that changed, then the catalog (atomically: a reader sees the old or the new one)."""
        if self.read_only or not (self._dirty or not (self.path / "catalog.json").exists()):
            return
        self.path.mkdir(parents=True, exist_ok=True)
        for name in sorted(self._dirty):
            if name not in self._frames or name in self._temp:
                continue
            self._seq += 1
            rel = f"tables/{name}.{self._seq}"
            self._frames[name].write.mode("error").parquet(str(self.path / rel))
            self._files[name] = rel
            self._set(name, self.spark.read.parquet(str(self.path / rel)), dirty=False)
        self._dirty.clear()
        doc = {"format": "talentflow-spark-1", "seq": self._seq,
               "tables": {n: self._files[n] for n in sorted(self._files)},
               "views": {n: self._views[n] for n in sorted(self._views)}}
        tmp = self.path / "catalog.json.tmp"
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True))
        os.replace(tmp, self.path / "catalog.json")
        live = set(self._files.values())
        for d in (self.path / "tables").glob("*"):
            if f"tables/{d.name}" not in live:
                shutil.rmtree(d, ignore_errors=True)

    # ------------------------------------------------------------------------------------------ statements
    def _df(self, tree: exp.Expression):
        return self.spark.sql(render.to_spark(tree))

    def _materialise(self, df):
        return df.localCheckpoint(eager=False)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        for tree in render.parse(bind(sql, params)):
            self._statement(tree)

    def _statement(self, tree: exp.Expression):
        if isinstance(tree, exp.Create):
            return self._create(tree)
        if isinstance(tree, exp.Insert):
            return self._insert(tree)
        if isinstance(tree, exp.Delete):
            return self._delete(tree)
        if isinstance(tree, exp.Update):
            return self._update(tree)
        if isinstance(tree, exp.Drop):
            return self._drop(tree)
        if isinstance(tree, exp.Alter):
            return self._alter(tree)
        if isinstance(tree, exp.Command) and tree.name.upper() in ("CHECKPOINT", "SET", "PRAGMA"):
            if tree.name.upper() == "CHECKPOINT":
                self.flush()
            return None
        if isinstance(tree, exp.Set):
            return None
        return self._df(tree)

    def _name(self, table: exp.Expression) -> str:
        t = table.find(exp.Table) if not isinstance(table, exp.Table) else table
        return t.name.lower()

    def _create(self, tree: exp.Create) -> None:
        kind = tree.args.get("kind", "").upper()
        target = tree.this
        schema = target if isinstance(target, exp.Schema) else None
        name = self._name(target)
        exists = name in self._frames or name in self._views
        if tree.args.get("exists") and exists:
            return
        temp = any(isinstance(p, exp.TemporaryProperty) for p in (tree.args.get("properties") or exp.Properties()).expressions)
        if kind == "VIEW":
            sql = tree.expression.sql(dialect=render.Canonical)
            self._views[name] = sql
            self._frames.pop(name, None)
            self._make_view(name, sql)
            self._dirty.add("")  # the catalog changes
            return
        if tree.expression is not None:
            df = self._materialise(self._df(tree.expression))
        else:
            ddl = ", ".join(f"`{c.name}` {self._type(c.args['kind'])}" for c in schema.expressions
                            if isinstance(c, exp.ColumnDef))
            df = self.spark.createDataFrame([], ddl)
        self._views.pop(name, None)
        if not temp:
            self._temp.discard(name)
        self._set(name, df, temp=temp)

    def _make_view(self, name: str, canonical_sql: str) -> None:
        self.spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW `{name}` AS "
                       + render.to_spark(render.parse(canonical_sql)[0]))

    def _type(self, dtype: exp.DataType) -> str:
        return render.to_spark(dtype.copy())

    def _target_schema(self, name: str):
        if name not in self._frames:
            raise KeyError(f"Table {name} does not exist")
        return self._frames[name].schema

    def _conform(self, name: str, df, columns: list[str] | None):
        """A query's rows as rows of table `name`: by position (or by the named columns), cast to its types."""
        from pyspark.sql import functions as F

        schema = self._target_schema(name)
        src = [f"__c{i}" for i in range(len(df.columns))]  # a query's own names may repeat ("NULL")
        df = df.toDF(*src)
        if columns:
            by = dict(zip([c.lower() for c in columns], src))
            cols = [F.col(f"`{by[f.name.lower()]}`").cast(f.dataType).alias(f.name) if f.name.lower() in by
                    else F.lit(None).cast(f.dataType).alias(f.name) for f in schema.fields]
        else:
            if len(src) != len(schema.fields):
                raise ValueError(f"INSERT INTO {name}: {len(src)} values for {len(schema.fields)} columns")
            cols = [F.col(f"`{c}`").cast(f.dataType).alias(f.name) for c, f in zip(src, schema.fields)]
        return df.select(*cols)

    def _insert(self, tree: exp.Insert) -> None:
        target = tree.this
        cols = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else None
        name = self._name(target)
        src = tree.expression
        if isinstance(src, exp.Values):
            src = exp.select("*").from_(exp.Subquery(this=src, alias=exp.TableAlias(this=exp.to_identifier("v"))))
        if tree.args.get("with"):
            src.set("with", tree.args["with"])
        new = self._conform(name, self._df(src), cols)
        self._replace(name, self._frames[name].unionAll(new))

    def _replace(self, name: str, df) -> None:
        self._set(name, self._materialise(df), temp=name in self._temp)

    def _delete(self, tree: exp.Delete) -> None:
        name = self._name(tree.this)
        where = tree.args.get("where")
        if where is None:
            self._replace(name, self._frames[name].limit(0))
            return
        keep = exp.select("*").from_(tree.this.copy()).where(
            exp.Not(this=exp.func("coalesce", exp.Paren(this=where.this), exp.false())))
        self._replace(name, self._df(keep))

    def _update(self, tree: exp.Update) -> None:
        """UPDATE t SET c = e [FROM s] WHERE cond → every column of t, the set ones CASE WHEN cond."""
        table = tree.this
        name = self._name(table)
        alias = table.alias_or_name
        sets = {e.this.name.lower(): e.expression for e in tree.expressions}
        where = tree.args.get("where")
        src = tree.args.get("from_") or tree.args.get("from")
        hit = where.this if where is not None else exp.true()
        query = exp.select().from_(table.copy())
        if src is not None:
            s = src.this
            s_alias = s.alias_or_name
            inner = exp.Subquery(this=s.this.copy(), alias=exp.TableAlias(this=exp.to_identifier("__s"))) \
                if isinstance(s, exp.Subquery) else s.copy()
            marked = exp.Subquery(this=exp.select("*", exp.alias_(exp.true(), "__hit")).from_(inner),
                                  alias=exp.TableAlias(this=exp.to_identifier(s_alias)))
            query = query.join(marked, on=hit.copy(), join_type="left")
            hit = exp.column("__hit", table=s_alias)
        cols = []
        for f in self._target_schema(name).fields:
            col = exp.column(f.name, table=alias)
            e = sets.get(f.name.lower())
            val = col if e is None else exp.Case(ifs=[exp.If(this=exp.func("coalesce", hit.copy(), exp.false()),
                                                             true=e.copy())], default=col)
            cols.append(exp.alias_(val, f.name))
        query = query.select(*cols)
        self._replace(name, self._df(query))

    def _drop(self, tree: exp.Drop) -> None:
        for t in tree.args.get("tables") or [tree.this]:
            name = self._name(t)
            known = name in self._frames or name in self._views
            if not known and not tree.args.get("exists"):
                raise KeyError(f"Table {name} does not exist")
            self._forget(name)

    def _forget(self, name: str) -> None:
        self._frames.pop(name, None)
        self._views.pop(name, None)
        if self._files.pop(name, None) is not None or name not in self._temp:
            self._dirty.add("")
        self._temp.discard(name)
        self._dirty.discard(name)
        self.spark.catalog.dropTempView(name)

    def _alter(self, tree: exp.Alter) -> None:
        from pyspark.sql import functions as F

        name = self._name(tree.this)
        df = self._frames[name]
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None:
                col, typ = action.this.name, self._type(action.args["dtype"])
                df = df.select(*[F.expr(f"CAST(`{c}` AS {typ})").alias(c) if c.lower() == col.lower()
                                 else F.col(f"`{c}`") for c in df.columns])
            elif isinstance(action, exp.ColumnDef):
                df = df.withColumn(action.name, F.lit(None).cast(self._type(action.args["kind"])))
            elif isinstance(action, exp.AlterRename):
                new = self._name(action.this)
                self._forget(name)
                self._set(new, df, temp=False)
                return
            else:
                raise NotImplementedError(f"ALTER TABLE: {action.sql('duckdb')}")
        self._replace(name, df)

    # ------------------------------------------------------------------------------------------ reads
    def _select(self, sql: str, params):
        trees = render.parse(bind(sql, params))
        if len(trees) != 1:
            raise ValueError("one statement expected")
        return self._statement(trees[0])

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        df = self._select(sql, params)
        if df is None:
            return []
        return [tuple(_plain(v) for v in row) for row in df.collect()]

    def query_dicts(self, sql: str, params: Sequence[Any] | None = None) -> list[dict]:
        df = self._select(sql, params)
        cols = df.columns
        return [dict(zip(cols, (_plain(v) for v in row))) for row in df.collect()]

    def columns(self, sql: str) -> list[str]:
        return list(self._select(sql, None).columns)

    def arrow(self, sql: str, params: Sequence[Any] | None = None):
        return self._select(sql, params).toArrow()

    def register_arrow(self, name: str, table) -> None:
        import pyarrow as pa

        fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
        table = table.cast(pa.schema(fields))
        if table.num_rows == 0:
            from pyspark.sql.pandas.types import from_arrow_schema

            df = self.spark.createDataFrame([], from_arrow_schema(table.schema))
        else:
            df = self.spark.createDataFrame(table)
        self._set(name, self._materialise(df), temp=True)

    def copy_to(self, sql: str, path: str, fmt: str) -> None:
        import pyarrow.csv as pcsv
        import pyarrow.parquet as pq

        t = self.arrow(sql)
        if fmt == "parquet":
            pq.write_table(t, path)
        elif fmt == "csv":
            pcsv.write_csv(t, path)
        else:
            with open(path, "w", encoding="utf-8") as f:
                for row in t.to_pylist():
                    f.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")

    # ------------------------------------------------------------------------------------------ readers
    def json_objects(self, paths: list[str] | str, top: str = "array", filename: bool = False) -> str:
        from .spark_udf import raw_values
        import gzip

        import pyarrow as pa

        rows, names = [], []
        for p in [paths] if isinstance(paths, str) else paths:
            raw = Path(p).read_bytes()
            text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
            vals = raw_values(text, top)
            rows.extend(vals)
            names.extend([str(p)] * len(vals))
        self._seq += 1
        name = f"__json_{self._seq}"
        cols = {"json": pa.array(rows, pa.string())}
        if filename:
            cols["filename"] = pa.array(names, pa.string())
        self.register_arrow(name, pa.table(cols))
        return name

    def _view(self, prefix: str, df) -> str:
        self._seq += 1
        name = f"__{prefix}_{self._seq}"
        self._set(name, self._materialise(df), temp=True)
        return name

    def read_json(self, path: str, fmt: str) -> str:
        reader = self.spark.read.option("multiLine", fmt == "array")
        return self._view("json", reader.json(path))

    def read_csv(self, path: str, header: bool = True, all_varchar: bool = True, delim: str | None = None,
                 quote: str | None = None, columns: dict[str, str] | None = None) -> str:
        df = self.spark.read.csv(path, header=header, sep=delim or ",", inferSchema=False, escape='"',
                                 quote="\u0000" if quote == "" else (quote or '"'), multiLine=True)
        if columns:
            df = df.toDF(*columns)
        return self._view("csv", df)

    def json_entries(self, objects_sql: str) -> str:
        self._seq += 1
        name = f"__entries_{self._seq}"
        self.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT tf_json_entries(j) AS e FROM ({objects_sql})")
        return f"SELECT e.key, e.value FROM (SELECT explode(e) AS e FROM {name})"

    def tables(self, kind: str = "BASE TABLE") -> list[str]:
        if kind == "VIEW":
            return sorted(self._views)
        return sorted(n for n in self._frames if n not in self._temp)

    def table_columns(self, table: str) -> list[tuple[str, str]]:
        df = self._frames.get(table.lower())
        if df is None:
            df = self.spark.table(table.lower())
        return [(f.name, f.dataType.simpleString()) for f in df.schema.fields]

    def table_exists(self, name: str) -> bool:
        return name.lower() in self._frames or name.lower() in self._views

    def expression(self, sql: str) -> str:
        return render.to_spark(sqlglot.parse_one(sql, read=render.Canonical))

    def splink_api(self):
        from splink import SparkAPI

        # the comparisons use no similarity functions: splink's Scala jar is not needed
        return SparkAPI(spark_session=self.spark, break_lineage_method="persist",
                        register_udfs_automatically=False)

    def cursor(self) -> "SparkEngine":
        return self

    def interrupt(self) -> None:
        self.spark.sparkContext.cancelAllJobs()

    def close(self) -> None:
        if getattr(self, "spark", None) is None:
            return
        try:
            self.flush()
        finally:
            for name in list(self._frames) + list(self._views):
                self.spark.catalog.dropTempView(name)
            self._frames.clear()
            self.spark = None


