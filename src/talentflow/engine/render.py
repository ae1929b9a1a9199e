"""Stage SQL is written once, in the project's canonical dialect, and rendered for each engine.

The canonical dialect is DuckDB's spelling restricted to constructs with one meaning that every engine can render
(docs/engines.md). DuckDB runs it as written; other engines get it through `sqlglot` plus the rewrites below,
which fix what a plain transpile gets wrong (1-based list subscripts and slices, regex flags and replacement
syntax, full-match regexes, several unnests zipped in one SELECT, JSON access, ordered list aggregates).
Constructs that cannot be rendered faithfully are reported by `problems()`; tests/test_engine_seam.py runs every
statement of a fixture build through it.

Two spellings carry meaning here that DuckDB itself does not make: `len(x)` is a list's length and
`length(x)` a string's.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.spark import Spark
from sqlglot import transforms
from sqlglot.errors import ErrorLevel


class Canonical(DuckDB):
    """DuckDB's grammar, with `len` read as a list length (DuckDB accepts both for strings and lists)."""

    class Parser(DuckDB.Parser):
        FUNCTIONS = {**DuckDB.Parser.FUNCTIONS, "LEN": exp.ArraySize.from_arg_list}


class Spark4(Spark):
    """Spark 4 runs QUALIFY itself: sqlglot's rewrite into a subquery leaks its window column through `*`."""

    class Generator(Spark.Generator):
        TRANSFORMS = {**Spark.Generator.TRANSFORMS,
                      exp.Select: transforms.preprocess([transforms.eliminate_distinct_on,
                                                         transforms.unnest_to_explode, transforms.any_to_exists])}


# Functions sqlglot does not model that mean the same in Spark, or that the Spark engine registers itself
# (engine/spark_udf.py). Any other unmodelled function is a problem.
PORTABLE_FUNCTIONS = {"strip_accents", "generate_subscripts", "list_bool_and", "list_extract", "now",
                      "list_position", "list_intersect"}
# Table functions are file readers: stages get them from Engine (json_source, csv_source), never spell them.
READERS = {"read_json_objects", "read_json", "read_csv", "read_csv_auto", "read_parquet", "read_ndjson"}
# JSON functions the Spark engine provides as UDFs with DuckDB's results.
JSON_UDF = {exp.JSONType: "tf_json_type", exp.JSONExtractScalar: "tf_json_str", exp.JSONExtract: "tf_json",
            exp.JSONKeys: "tf_json_keys"}


def parse(sql: str) -> list[exp.Expression]:
    return [s for s in sqlglot.parse(sql, read=Canonical) if s is not None]


def problems(sql: str) -> list[str]:
    """Constructs of `sql` that no engine but DuckDB would run with the same meaning (empty when portable)."""
    try:
        trees = parse(sql)
    except sqlglot.errors.ParseError as e:
        return [f"does not parse: {str(e).splitlines()[0]}"]
    out = []
    for tree in trees:
        for node in tree.walk():
            out.extend(_node_problems(node))
        try:
            to_spark(tree.copy())
        except Exception as e:  # a rewrite or the generator refused
            out.append(f"cannot render: {str(e).splitlines()[0]}")
    return sorted(set(out))


def _node_problems(node: exp.Expression) -> list[str]:
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        if name in READERS:
            return [f"file reader {name}() in stage SQL (use the Engine's readers)"]
        if name not in PORTABLE_FUNCTIONS:
            return [f"function {name}() has no rendering"]
    if isinstance(node, (exp.ReadCSV,)):
        return ["file reader read_csv() in stage SQL (use Engine.csv_source)"]
    if isinstance(node, exp.Columns):
        return ["COLUMNS(...) (name the columns)"]
    if isinstance(node, exp.Star) and node.args.get("replace"):
        return ["* REPLACE (...) (select the columns)"]
    if isinstance(node, exp.RegexpReplace):
        mods = node.args.get("modifiers")
        flags = mods.name if isinstance(mods, exp.Literal) else ""
        pat = node.expression
        if "g" not in flags and not (isinstance(pat, exp.Literal) and _anchored(pat.name)):
            return ["regexp_replace without 'g' on an unanchored pattern (replaces only the first match)"]
        if set(flags) - {"g", "i"}:
            return [f"regexp_replace flags {flags!r}"]
    if isinstance(node, exp.RegexpFullMatch) and not isinstance(node.expression, exp.Literal):
        return ["regexp_full_match with a computed pattern"]
    if isinstance(node, exp.In) and isinstance(node.this, exp.Tuple):
        q = node.args.get("query")
        sel = q.this if isinstance(q, exp.Subquery) else q
        if isinstance(sel, exp.Select) and any(isinstance(e.unalias(), exp.Tuple) for e in sel.expressions):
            return ["(a, b) IN (SELECT (a, b) …): a row value compared with a struct (select the columns)"]
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1 and isinstance(node.this, exp.Bracket):
        return []
    if isinstance(node, exp.Hash if hasattr(exp, "Hash") else ()):
        return ["hash() differs between engines"]
    if isinstance(node, exp.DataType) and node.this in (exp.DataType.Type.MAP, exp.DataType.Type.STRUCT):
        if isinstance(node.parent, exp.Cast):
            return [f"CAST to {node.sql('duckdb')}"]
    if isinstance(node, exp.Lambda) and isinstance(node.this, exp.Literal):
        return ["f(x -> 'key') reads as a lambda: parenthesise the JSON arrow, f((x -> 'key'))"]
    if isinstance(node, exp.Placeholder) and node.name not in ("", "?"):
        return [f"named parameter ${node.name}"]
    return []


def _anchored(pattern: str) -> bool:
    """A pattern that can match only once per string: global and first-match replacement agree."""
    return pattern.startswith("^") or (pattern.endswith("$") and not pattern.endswith("\\$"))


# ---------------------------------------------------------------------------------------------------- Spark


def _lit(n: int) -> exp.Expression:
    return exp.Literal.number(n) if n >= 0 else exp.Neg(this=exp.Literal.number(-n))


def _fn(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _index(node: exp.Expression) -> exp.Expression:
    """sqlglot stores a literal DuckDB subscript 0-based; give back the 1-based value that was written."""
    if isinstance(node, exp.Literal) and not node.is_string:
        return _lit(int(node.name) + 1)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        return _lit(-int(node.this.name) + 1)
    return node


def _arith(kind, a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return kind(this=exp.Paren(this=a), expression=exp.Paren(this=b))


def _int(e: exp.Expression) -> exp.Expression:
    """Spark's list functions take INT positions; DuckDB's arithmetic gives BIGINT."""
    return e if isinstance(e, (exp.Literal, exp.Neg)) else exp.Cast(this=e, to=exp.DataType.build("INT"))


def _lambda(body: exp.Expression, *names: str) -> exp.Lambda:
    return exp.Lambda(this=body, expressions=[exp.to_identifier(n) for n in names])


def _bracket(node: exp.Bracket) -> exp.Expression:
    if len(node.expressions) != 1:
        return node
    key = node.expressions[0]
    if isinstance(key, exp.Slice):
        lo = key.this if key.this is not None else exp.Literal.number(1)
        hi = key.expression
        src = node.this
        if hi is None:  # x[lo:] → to the end
            length = _arith(exp.Sub, _arith(exp.Add, exp.ArraySize(this=src.copy()), exp.Literal.number(1)), lo.copy())
        else:
            length = _arith(exp.Add, _arith(exp.Sub, hi, lo.copy()), exp.Literal.number(1))
        return _fn("slice", src, _int(lo), _int(_fn("greatest", length, exp.Literal.number(0))))
    if isinstance(key, exp.Literal) and key.is_string:
        return node  # struct field / map key
    idx = _index(key)
    # a computed subscript may be 0 (NULL in DuckDB, an error in Spark's element_at)
    if isinstance(idx, (exp.Literal, exp.Neg)):
        return _fn("element_at", node.this, idx)
    return _fn("try_element_at", node.this, _int(idx))


def _java_replacement(s: str) -> str:
    """RE2's \\1 back-references → Java's $1; a literal $ escaped."""
    s = s.replace("$", "\\$")
    return re.sub(r"\\(\d)", r"$\1", s)


def _regexp_replace(node: exp.RegexpReplace) -> exp.Expression:
    mods = node.args.get("modifiers")
    flags = mods.name if isinstance(mods, exp.Literal) else ""
    pat = node.expression
    if "i" in flags and isinstance(pat, exp.Literal):
        pat = exp.Literal.string("(?i)" + pat.name)
    rep = node.args.get("replacement")
    if isinstance(rep, exp.Literal):
        rep = exp.Literal.string(_java_replacement(rep.name))
    return _fn("regexp_replace", node.this, pat, rep)


def _full_match(node: exp.RegexpFullMatch) -> exp.Expression:
    return exp.RegexpLike(this=node.this, expression=exp.Literal.string(r"\A(?:" + node.expression.name + r")\z"))


def _json_path(node: exp.Expression) -> exp.Expression:
    """A JSON path argument as the text DuckDB would have taken ('$.a', '$[0]', or a bare key)."""
    if isinstance(node, exp.JSONPath):
        return exp.Literal.string(node.sql("duckdb").strip("'"))
    return node


def _variant_type(v: exp.Expression) -> exp.Expression:
    """DuckDB's json_type name of a VARIANT (NULL when missing)."""
    return sqlglot.parse_one(
        "CASE WHEN schema_of_variant(V) IS NULL THEN NULL WHEN schema_of_variant(V) LIKE 'OBJECT%' THEN 'OBJECT' "
        "WHEN schema_of_variant(V) LIKE 'ARRAY%' THEN 'ARRAY' WHEN schema_of_variant(V) = 'STRING' THEN 'VARCHAR' "
        "WHEN schema_of_variant(V) = 'BOOLEAN' THEN 'BOOLEAN' WHEN schema_of_variant(V) = 'VOID' THEN 'NULL' "
        "WHEN schema_of_variant(V) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'BIGINT' ELSE 'DOUBLE' END",
        read="spark").transform(lambda n: v.copy() if isinstance(n, exp.Column) and n.name == "V" else n)


def _json_in_lambda(node: exp.Expression, path: exp.Expression) -> exp.Expression:
    """Inside a lambda Spark calls no Python function: JSON through Spark's VARIANT built-ins instead."""
    v = _fn("parse_json", node.this)
    if not (isinstance(path, exp.Literal) and path.name == "$"):
        v = _fn("variant_get", v, path)
    if isinstance(node, exp.JSONType):
        out = _variant_type(v)
    elif isinstance(node, exp.JSONExtractScalar):
        out = _fn("variant_get", v, exp.Literal.string("$"), exp.Literal.string("string"))
    else:
        out = _fn("to_json", v)
    out.meta["json"] = True
    return out


def _json(node: exp.Expression) -> exp.Expression:
    name = JSON_UDF[type(node)]
    if isinstance(node, exp.JSONKeys):
        out = _fn(name, node.this)
        out.meta["json"] = True
        return out
    path = node.expression
    path = exp.Literal.string("$") if path is None else _json_path(path)
    if node.find_ancestor(exp.Lambda) is not None and not isinstance(path, exp.Array):
        return _json_in_lambda(node, path)
    if isinstance(path, exp.Array):  # json_type(j, ['$.a', '$.b']) → a list, one per path, one parse
        many = {"tf_json_type": "tf_json_types", "tf_json_str": "tf_json_strs"}[name]
        out = _fn(many, node.this, exp.Array(expressions=[_json_path(p) for p in path.expressions]))
    else:
        out = _fn(name, node.this, path)
    out.meta["json"] = True
    return out


def _cast(node: exp.Cast) -> exp.Expression:
    to = node.to
    inner = node.this
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if to.this == exp.DataType.Type.JSON:
        return inner  # JSON is text in Spark
    if to.this == exp.DataType.Type.ARRAY and inner.meta.get("json"):  # a JSON list → a list
        elem = to.expressions[0] if to.expressions else None
        elem = exp.DataType.Type.JSON if elem is not None and (elem.this == exp.DataType.Type.JSON
                                                              or elem.meta.get("was_json")) else None
        if node.find_ancestor(exp.Lambda) is not None:
            v = _fn("parse_json", inner)
            if elem == exp.DataType.Type.JSON:
                e = exp.column("__e")
                item = exp.Case(ifs=[exp.If(this=exp.EQ(this=_fn("schema_of_variant", e.copy()),
                                                        expression=exp.Literal.string("VOID")), true=exp.Null())],
                                default=_fn("to_json", e.copy()))
                return exp.Transform(this=exp.Cast(this=v, to=exp.DataType.build("ARRAY<VARIANT>", dialect="spark")),
                                     expression=_lambda(item, "__e"))
            return _fn("variant_get", v, exp.Literal.string("$"), exp.Literal.string("array<string>"))
        fn = "tf_json_list" if elem == exp.DataType.Type.JSON else "tf_json_strings"
        return _fn(fn, inner)
    return node


def _list_bool_and(arg: exp.Expression) -> exp.Expression:
    """DuckDB's list_bool_and: NULLs ignored, NULL for an empty list."""
    v = exp.column("__v")
    keep = _fn("filter", arg, _lambda(exp.Not(this=exp.Is(this=v.copy(), expression=exp.Null())), "__v"))
    step = exp.And(this=exp.func("coalesce", exp.column("__acc"), exp.true()), expression=v.copy())
    return _fn("aggregate", keep, exp.Cast(this=exp.Null(), to=exp.DataType.build("BOOLEAN")),
               _lambda(step, "__acc", "__v"))


def _ordered_list(value: exp.Expression, order: exp.Order) -> exp.Expression:
    """list(x ORDER BY k…) → the values of collect_list(struct) sorted by the keys."""
    distinct = isinstance(value, exp.Distinct)
    if distinct:  # DISTINCT x ORDER BY x: the distinct (key, value) pairs are the distinct values
        value = value.expressions[0]
    keys = [o.this for o in order.expressions]
    fields = [exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=k.copy()) for i, k in enumerate(keys)]
    fields.append(exp.PropertyEQ(this=exp.to_identifier("v"), expression=value.copy()))
    coll = exp.ArrayAgg(this=exp.Struct(expressions=fields))
    if distinct:
        coll = exp.ArrayDistinct(this=coll)
    cmp = []
    for i, o in enumerate(order.expressions):
        a, b = f"l.k{i}", f"r.k{i}"
        desc = bool(o.args.get("desc"))
        nulls_first = bool(o.args.get("nulls_first"))
        lo, hi = (b, a) if desc else (a, b)
        cmp.append(f"WHEN {a} IS NULL AND {b} IS NULL THEN 0 WHEN {a} IS NULL THEN {-1 if nulls_first else 1} "
                   f"WHEN {b} IS NULL THEN {1 if nulls_first else -1} WHEN {lo} < {hi} THEN -1 "
                   f"WHEN {lo} > {hi} THEN 1")
    body = sqlglot.parse_one(f"CASE {' '.join(cmp)} ELSE 0 END", read="spark")
    sort = _fn("array_sort", coll, _lambda(body, "l", "r"))
    return exp.Transform(this=sort, expression=_lambda(sqlglot.parse_one("s.v", read="spark"), "s"))


def _list_agg(node: exp.Expression) -> exp.Expression:
    inner = node.this
    if isinstance(node, (exp.First, exp.Last)) and isinstance(inner, exp.Order):
        pos = exp.Literal.number(1) if isinstance(node, exp.First) else _lit(-1)
        return _fn("element_at", _ordered_list(inner.this, inner), pos)
    if isinstance(node, exp.ArrayAgg) and isinstance(inner, exp.Order):
        return _ordered_list(inner.this, inner)
    if isinstance(node, exp.GroupConcat):
        sep = node.args.get("separator") or exp.Literal.string(",")
        if isinstance(inner, exp.Order):
            return exp.ArrayToString(this=_ordered_list(inner.this, inner), expression=sep)
        agg = exp.ArrayAgg(this=inner.expressions[0]) if isinstance(inner, exp.Distinct) else exp.ArrayAgg(this=inner)
        if isinstance(inner, exp.Distinct):
            agg = exp.ArrayDistinct(this=agg)
        return exp.ArrayToString(this=agg, expression=sep)
    return node


def _is_subscripts(node: exp.Expression) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.lower() == "generate_subscripts"


def _positions(n: exp.Expression) -> exp.Expression:
    """[1, …, n] ([] for 0, NULL for NULL): sequence(1, 0) would count down."""
    return _fn("filter", _fn("sequence", exp.Literal.number(0), n),
               _lambda(exp.GTE(this=exp.column("__p"), expression=exp.Literal.number(1)), "__p"))


def _lift_unnests(select: exp.Select) -> None:
    """f(unnest(L)) → unnest(list_transform(L, x -> f(x))): Spark takes a generator only at the top of a
    SELECT item."""
    items = []
    for p in select.expressions:
        body = p.unalias()
        inner = [n for n in body.find_all(exp.Explode, exp.Unnest) if n is not body]
        if len(inner) == 1 and not isinstance(body, (exp.Explode, exp.Unnest)):
            gen = inner[0]
            src = gen.expressions[0] if isinstance(gen, exp.Unnest) else gen.this
            body = body.copy()
            hole = next(n for n in body.find_all(exp.Explode, exp.Unnest))
            hole.replace(exp.column("__x"))
            new = exp.Explode(this=exp.Transform(this=src.copy(), expression=_lambda(body, "__x")))
            p = exp.alias_(new, p.alias) if isinstance(p, exp.Alias) else exp.alias_(new, body.output_name or "col")
        items.append(p)
    select.set("expressions", items)


def _zip_unnests(select: exp.Select) -> exp.Select:
    """DuckDB zips every unnest()/generate_subscripts() of one SELECT list (padding with NULL to the longest);
    Spark allows one generator: render them as one inline() over the positions."""
    gens = [p for p in select.expressions if isinstance(p.unalias(), (exp.Explode, exp.Unnest)) or _is_subscripts(p.unalias())]
    if len(gens) < 2:
        return select
    lists, fields = [], []
    for i, g in enumerate(gens):
        node = g.unalias()
        alias = g.alias if isinstance(g, exp.Alias) else f"col{i}"
        src = node.expressions[0] if isinstance(node, (exp.Anonymous, exp.Unnest)) else node.this
        lists.append(src)
        pos = exp.column("__p")
        val = pos.copy() if _is_subscripts(node) else _fn("element_at", src.copy(), pos.copy())
        fields.append(exp.PropertyEQ(this=exp.to_identifier(alias), expression=val))
    n = _fn("greatest", *[exp.func("coalesce", exp.ArraySize(this=s.copy()), exp.Literal.number(0)) for s in lists])
    gen = _fn("inline", exp.Transform(this=_positions(n), expression=_lambda(exp.Struct(expressions=fields), "__p")))
    first = select.expressions.index(gens[0])
    keep = [p for p in select.expressions if p not in gens]
    keep.insert(first, gen)
    select.set("expressions", keep)
    return select


RANKING = (exp.RowNumber, exp.Rank, exp.DenseRank, exp.PercentRank, exp.CumeDist, exp.Ntile)


def _window(node: exp.Window) -> exp.Window:
    """A ranking window without ORDER BY numbers rows in no particular order in DuckDB; Spark insists on an
    ORDER BY, and gets one that decides nothing."""
    if isinstance(node.this, RANKING) and node.args.get("order") is None:
        keys = [p.copy() for p in node.args.get("partition_by") or []] or [exp.Literal.number(1)]
        node.set("order", exp.Order(expressions=[exp.Ordered(this=k, nulls_first=True) for k in keys]))
    return node


def _filter(node: exp.Filter) -> exp.Expression:
    """agg(...) FILTER (WHERE c) whose aggregate became an expression around collect_list: the filter goes to
    the collect_list."""
    if isinstance(node.this, exp.AggFunc):
        return node
    agg = next(node.this.find_all(exp.ArrayAgg), None)
    if agg is None:
        return node
    agg.replace(exp.Filter(this=agg.copy(), expression=node.expression))
    return node.this


def _trim(node: exp.Trim) -> exp.Expression:
    """DuckDB's trim(x) strips Unicode space separators (a no-break space too), Spark's only ' '."""
    if node.expression is not None:
        return node
    where = (node.args.get("position") or "BOTH").upper()
    pat = {"LEADING": r"^\p{Zs}+", "TRAILING": r"\p{Zs}+$"}.get(where, r"^\p{Zs}+|\p{Zs}+$")
    return _fn("regexp_replace", node.this, exp.Literal.string(pat), exp.Literal.string(""))


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Trim):
        return _trim(node)
    if isinstance(node, exp.Filter):
        return _filter(node)
    if isinstance(node, exp.Window):
        return _window(node)
    if isinstance(node, exp.Bracket):
        return _bracket(node)
    if isinstance(node, exp.RegexpReplace):
        return _regexp_replace(node)
    if isinstance(node, exp.RegexpFullMatch):
        return _full_match(node)
    if type(node) in JSON_UDF:
        return _json(node)
    if isinstance(node, exp.Cast):
        return _cast(node)
    if isinstance(node, exp.ArrayOverlaps):  # list_has_any; Spark has no && on arrays
        return _fn("arrays_overlap", node.this, node.expression)
    if isinstance(node, (exp.ArrayAgg, exp.GroupConcat, exp.First, exp.Last)):
        return _list_agg(node)
    if isinstance(node, exp.Literal) and not node.is_string and re.search(r"[.eE]", node.name):
        return exp.Cast(this=node, to=exp.DataType.build("DOUBLE"))  # DuckDB computes with these as doubles
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        if name == "strip_accents":
            return _fn("tf_strip_accents", *node.expressions)
        if name == "now":
            return exp.CurrentTimestamp()
        if name == "list_bool_and":
            return _list_bool_and(node.expressions[0])
        if name == "list_extract":
            return _fn("try_element_at", node.expressions[0], _int(node.expressions[1]))
        if name == "list_position":
            return _fn("array_position", *node.expressions)
        if name == "list_intersect":  # both: the distinct common elements
            return _fn("array_intersect", *node.expressions)
        if name == "generate_subscripts":  # alone in its SELECT: the positions of the list
            return exp.Explode(this=_positions(exp.ArraySize(this=node.expressions[0])))
    if isinstance(node, exp.DataType):
        if node.this in (exp.DataType.Type.INT128, exp.DataType.Type.UBIGINT):
            return exp.DataType.build("DECIMAL(38, 0)")
        if node.this == exp.DataType.Type.JSON:
            out = exp.DataType.build("STRING")
            out.meta["was_json"] = True  # CAST(… AS JSON[]) still means a list of JSON texts
            return out
    return node


def _bottom_up(node: exp.Expression) -> exp.Expression:
    """Children first, so every rewrite sees rewritten children (sqlglot's transform skips a replaced subtree);
    a SELECT list's unnests are zipped before their arguments are rewritten."""
    if isinstance(node, exp.Select):
        _lift_unnests(node)
        node = _zip_unnests(node)
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expression):
            node.set(key, _bottom_up(value))
        elif isinstance(value, list):
            node.set(key, [_bottom_up(v) if isinstance(v, exp.Expression) else v for v in value])
    return _rewrite(node)


# Python functions with a list form, for calls inside a lambda (Spark calls no Python function there).
LIST_UDF = {"tf_strip_accents": "tf_strip_accents_list"}


def _lift_udfs(node: exp.Expression) -> exp.Expression:
    """transform(L, x -> …f(g(x))…) with f a Python function → zip_with(L, f_list(transform(L, x -> g(x))),
    (x, u) -> …u…): the function runs on the whole list, outside the lambda."""
    if not isinstance(node, exp.Transform) or not isinstance(node.expression, exp.Lambda):
        return node
    lam = node.expression
    names = {i.name for i in lam.expressions}
    if len(names) != 1:
        return node
    (var,) = names
    calls = [c for c in lam.this.find_all(exp.Anonymous) if c.name.lower() in LIST_UDF
             and {col.name for col in c.find_all(exp.Column)} <= names
             and all(a.find_ancestor(exp.Lambda) is lam for a in [c])]
    if not calls:
        return node
    call = calls[0]
    per_item = exp.Transform(this=node.this.copy(), expression=_lambda(call.expressions[0].copy(), var))
    lifted = _fn(LIST_UDF[call.name.lower()], per_item)
    body = lam.this.copy()
    for c in body.find_all(exp.Anonymous):
        if c.sql() == call.sql():
            c.replace(exp.column("__u"))
    return _lift_udfs(_fn("zip_with", node.this, lifted, _lambda(body, var, "__u")))


def to_spark(tree: exp.Expression) -> str:
    """Spark SQL for one parsed canonical statement (the tree is rewritten in place)."""
    tree = _bottom_up(tree)
    tree = tree.transform(_lift_udfs, copy=False)
    return tree.sql(dialect=Spark4, unsupported_level=ErrorLevel.RAISE)


@lru_cache(maxsize=4096)
def spark_statements(sql: str) -> tuple[str, ...]:
    """Spark SQL for every statement of a canonical SQL text (no parameters)."""
    return tuple(to_spark(t) for t in parse(sql))
