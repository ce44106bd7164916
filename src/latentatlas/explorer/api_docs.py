"""The explorer's API reference as one offline HTML page, drawn from its OpenAPI description.

FastAPI's own ``/docs`` (Swagger UI) and ``/redoc`` load their scripts from a CDN, so they are
blank without the internet; this page needs no script at all. ``/openapi.json`` stays the
machine-readable description.
"""

from __future__ import annotations

import html
from typing import Any

#: Schema keywords shown as constraints, with the words they are shown with.
_CONSTRAINTS = {
    "minimum": ">=",
    "maximum": "<=",
    "exclusiveMinimum": ">",
    "exclusiveMaximum": "<",
    "minLength": "length >=",
    "maxLength": "length <=",
    "minItems": "items >=",
    "maxItems": "items <=",
}


def api_page(spec: dict[str, Any]) -> str:
    """The HTML page of an OpenAPI description: every operation with its inputs and answers."""
    info = spec.get("info", {})
    sections = [
        _operation(method, path, operation, spec)
        for path, methods in spec.get("paths", {}).items()
        for method, operation in methods.items()
    ]
    title = html.escape(str(info.get("title", "API")))
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}: API</title><style>"
        "body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:60rem;color:#222}"
        "section{border-top:1px solid #ccc;padding:.5rem 0}code{background:#f4f4f4}"
        "table{border-collapse:collapse}td,th{text-align:left;padding:.15rem .6rem .15rem 0}"
        ".method{font-weight:bold;text-transform:uppercase;margin-right:.5rem}</style></head><body>"
        f"<h1>{title}</h1><p>{html.escape(str(info.get('description', '')))}</p>"
        "<p>The machine-readable description: <a href='/openapi.json'>/openapi.json</a>. "
        "A request that fails validation is answered 422, an unknown run or point 404, "
        'each with <code>{"detail": "one sentence"}</code>.</p>'
        f"{''.join(sections)}</body></html>\n"
    )


def _operation(method: str, path: str, operation: dict[str, Any], spec: dict[str, Any]) -> str:
    rows = [
        (p["name"], p.get("in", ""), p.get("required", False), p.get("schema", {}), p)
        for p in operation.get("parameters", [])
    ]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    if body:
        schema = _resolve(body.get("schema", {}), spec)
        required = set(schema.get("required", []))
        for name, field in schema.get("properties", {}).items():
            rows.append((name, "body", name in required, field, field))
    answers = ", ".join(
        f"{code} {html.escape(str(answer.get('description', '')))}"
        for code, answer in operation.get("responses", {}).items()
    )
    table = "".join(_row(*row, spec) for row in rows)
    return (
        f"<section><h2><span class='method'>{html.escape(method)}</span>"
        f"<code>{html.escape(path)}</code></h2>"
        f"<p>{html.escape(str(operation.get('summary', '')))}</p>"
        + (
            "<table><tr><th>name</th><th>in</th><th>type</th><th>rules</th><th>about</th></tr>"
            f"{table}</table>"
            if rows
            else ""
        )
        + f"<p>Answers: {answers}</p></section>"
    )


def _row(
    name: str, where: str, required: bool, schema: dict[str, Any], about: dict[str, Any], spec: Any
) -> str:
    schema = _resolve(schema, spec)
    rules = _rules(schema, spec)
    if "default" in schema:
        rules.append(f"default {schema['default']}")
    if required:
        rules.append("required")
    cells = (name, where, _type(schema, spec), "; ".join(rules), about.get("description", ""))
    return "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in cells) + "</tr>"


def _rules(schema: dict[str, Any], spec: dict[str, Any], prefix: str = "") -> list[str]:
    """The constraints of ``schema``, of each ``anyOf`` option and of its items (``each ...``)."""
    schema = _resolve(schema, spec)
    rules = [f"{prefix}{word} {schema[k]:g}" for k, word in _CONSTRAINTS.items() if k in schema]
    if "enum" in schema:
        rules.append(f"{prefix}one of " + ", ".join(map(str, schema["enum"])))
    for option in schema.get("anyOf", []):
        rules += _rules(option, spec, prefix)
    if "items" in schema:
        rules += _rules(schema["items"], spec, "each ")
    return rules


def _type(schema: dict[str, Any], spec: dict[str, Any]) -> str:
    schema = _resolve(schema, spec)
    if "anyOf" in schema:
        return " or ".join(_type(option, spec) for option in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_type(schema.get('items', {}), spec)}"
    return str(schema.get("type", "any"))


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with a ``$ref`` to ``#/components/schemas/X`` replaced by that schema."""
    reference = schema.get("$ref", "")
    if not reference.startswith("#/components/schemas/"):
        return schema
    return spec.get("components", {}).get("schemas", {}).get(reference.rsplit("/", 1)[1], {})
