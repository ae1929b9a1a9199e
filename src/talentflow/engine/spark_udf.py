"""Python functions the Spark engine registers so canonical SQL keeps DuckDB's meaning where Spark has no
built-in: JSON values read the way DuckDB's JSON extension reads them, and accent stripping.

JSON texts are re-serialised the way DuckDB does it (compact, keys in file order, duplicates kept, non-ASCII
characters unescaped); a value's type is named with DuckDB's json_type names.
"""

from __future__ import annotations

import json
import re
import unicodedata

_MISSING = object()


class _Num(str):
    """A JSON number kept as its text (its type decides json_type; DuckDB re-writes floats compactly)."""


def _float_text(s: str) -> str:
    v = float(s)
    r = repr(v)
    if "e" in r:
        mant, exp_ = r.split("e")
        return f"{mant}e{int(exp_)}"
    return r


def dumps(v) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, _Num):
        return v if re.fullmatch(r"-?\d+", v) else _float_text(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, _Obj):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + dumps(x) for k, x in v) + "}"
    return "[" + ",".join(dumps(x) for x in v) + "]"


class _Obj(list):
    """An object's (key, value) pairs in file order."""


def _parse(text: str):
    return json.loads(text, object_pairs_hook=_Obj, parse_int=_Num, parse_float=_Num, parse_constant=_Num)


_PATH = re.compile(r'\.(?:"((?:[^"\\]|\\.)*)"|([^.\[]+))|\[(-?\d+)\]')


def _steps(path: str) -> list:
    if not path.startswith("$"):
        return [path]  # a bare key (j -> 'records')
    out, pos = [], 1
    while pos < len(path):
        m = _PATH.match(path, pos)
        if m is None:
            raise ValueError(f"JSON path {path!r}")
        out.append(m.group(1) if m.group(1) is not None else m.group(2) if m.group(2) is not None
                   else int(m.group(3)))
        pos = m.end()
    return out


def _get(text: str | None, path: str | None):
    if text is None:
        return _MISSING
    try:
        v = _parse(text)
    except ValueError:
        return _MISSING
    for step in _steps(path or "$"):
        if isinstance(step, int):
            if not isinstance(v, list) or isinstance(v, _Obj):
                return _MISSING
            idx = step if step >= 0 else len(v) + step
            if not 0 <= idx < len(v):
                return _MISSING
            v = v[idx]
        else:
            if not isinstance(v, _Obj):
                return _MISSING
            hit = [x for k, x in v if k == step]
            if not hit:
                return _MISSING
            v = hit[0]
    return v


def _type(v) -> str | None:
    if v is _MISSING:
        return None
    if v is None:
        return "NULL"
    if v is True or v is False:
        return "BOOLEAN"
    if isinstance(v, _Num):
        if re.fullmatch(r"-?\d+", v):
            n = int(v)
            return "BIGINT" if -2 ** 63 <= n < 2 ** 63 else "UBIGINT" if 0 <= n < 2 ** 64 else "DOUBLE"
        return "DOUBLE"
    if isinstance(v, str):
        return "VARCHAR"
    return "OBJECT" if isinstance(v, _Obj) else "ARRAY"


def json_type(text, path):
    return _type(_get(text, path))


def json_str(text, path):
    """DuckDB's ->> / json_extract_string: a string's value, NULL for JSON null or a missing path, else JSON."""
    v = _get(text, path)
    if v is _MISSING or v is None:
        return None
    return v if isinstance(v, str) and not isinstance(v, _Num) else dumps(v)


def json_value(text, path):
    """DuckDB's -> : the value as JSON text ('null' for JSON null), NULL for a missing path."""
    v = _get(text, path)
    return None if v is _MISSING else dumps(v)


def json_keys(text):
    v = _get(text, "$")
    return [k for k, _ in v] if isinstance(v, _Obj) else None


def json_list(text):
    """CAST(json AS JSON[]): the elements as JSON texts (a JSON null element is SQL NULL)."""
    v = _get(text, "$")
    if not isinstance(v, list) or isinstance(v, _Obj):
        return None
    return [None if x is None else dumps(x) for x in v]


def json_strings(text):
    """CAST(json AS VARCHAR[]): the elements as text (strings unquoted)."""
    v = _get(text, "$")
    if not isinstance(v, list) or isinstance(v, _Obj):
        return None
    return [None if x is None else x if isinstance(x, str) and not isinstance(x, _Num) else dumps(x) for x in v]


def json_types(text, paths):
    """json_type(j, [paths]): one parse for every path."""
    if text is None:
        return None
    return [_type(_get(text, p)) for p in paths]


def json_strs(text, paths):
    if text is None:
        return None
    out = []
    for p in paths:
        v = _get(text, p)
        out.append(None if v is _MISSING or v is None else v if isinstance(v, str) and not isinstance(v, _Num)
                   else dumps(v))
    return out


def json_entries(text):
    v = _get(text, "$")
    return [(k, dumps(x)) for k, x in v] if isinstance(v, _Obj) else None


def strip_accents(s):
    if s is None:
        return None
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", s)
                                                 if unicodedata.category(c) != "Mn"))


def strip_accents_list(items):
    return None if items is None else [strip_accents(x) for x in items]


def register(spark) -> None:
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    s, a = StringType(), ArrayType(StringType())
    kv = ArrayType(StructType([StructField("key", s), StructField("value", s)]))
    for name, fn, typ in (("tf_json_types", json_types, a), ("tf_json_strs", json_strs, a),
                          ("tf_json_entries", json_entries, kv), ("tf_json_type", json_type, s), ("tf_json_str", json_str, s),
                          ("tf_json", json_value, s), ("tf_json_keys", json_keys, a),
                          ("tf_json_list", json_list, a), ("tf_json_strings", json_strings, a),
                          ("tf_strip_accents", strip_accents, s), ("tf_strip_accents_list", strip_accents_list, a)):
        spark.udf.register(name, fn, typ)


def raw_values(text: str, top: str) -> list[str]:
    """The JSON values of a file as their raw text, like DuckDB's read_json_objects: the elements of a top-level
    array (top='array'), or every top-level value (top='object')."""
    dec = json.JSONDecoder()
    ws = re.compile(r"[ \t\n\r]*")
    pos = ws.match(text, 0).end()
    out = []
    if top == "array":
        if not text.startswith("[", pos):
            raise ValueError("expected a top-level JSON array")
        pos = ws.match(text, pos + 1).end()
        if text.startswith("]", pos):
            return out
        while True:
            _, end = dec.raw_decode(text, pos)
            out.append(text[pos:end])
            pos = ws.match(text, end).end()
            if text.startswith(",", pos):
                pos = ws.match(text, pos + 1).end()
                continue
            if text.startswith("]", pos):
                return out
            raise ValueError(f"malformed JSON array at {pos}")
    while pos < len(text):
        _, end = dec.raw_decode(text, pos)
        out.append(text[pos:end])
        pos = ws.match(text, end).end()
    return out
