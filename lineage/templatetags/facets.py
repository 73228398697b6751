"""How OpenLineage facets read in a preview: a schema as a table, SQL as code, column
lineage as output column -> input columns, anything else as indented JSON. Every value
goes through the template's autoescape; these only reshape it."""

import json

from django import template

register = template.Library()

SHOWN_CHARACTERS = 20_000  # a Spark logical plan can be megabytes; all of it is kept


@register.filter
def facet_kind(value, name):
    """`schema`, `sql`, `column_lineage` or `json`: how facet `name` is drawn."""
    if not isinstance(value, dict):
        return "json"
    if name == "schema" and isinstance(value.get("fields"), list):
        return "schema"
    if name == "sql" and isinstance(value.get("query"), str):
        return "sql"
    if name == "columnLineage" and isinstance(value.get("fields"), dict):
        return "column_lineage"
    return "json"


@register.filter
def schema_rows(value):
    """(name, type, description) of each field, nested ones as `parent.child`."""
    rows = []

    def walk(fields, prefix):
        for field in fields:
            if not isinstance(field, dict):
                continue
            name = f"{prefix}{field.get('name', '')}"
            rows.append((name, field.get("type", ""), field.get("description", "")))
            walk(field.get("fields") or [], f"{name}.")

    walk(value.get("fields") or [], "")
    return rows


@register.filter
def column_lineage_rows(value):
    """(output column, ["namespace name.field (transformation)", ...]) per column."""
    rows = []
    for column, lineage in value.get("fields", {}).items():
        inputs = lineage.get("inputFields", []) if isinstance(lineage, dict) else []
        sources = []
        for source in inputs if isinstance(inputs, list) else []:
            if not isinstance(source, dict):
                continue
            how = ", ".join(
                str(t.get("subtype") or t.get("type"))
                for t in source.get("transformations") or []
                if isinstance(t, dict)
            )
            where = (
                f"{source.get('namespace', '')} {source.get('name', '')}.{source.get('field', '')}"
            )
            sources.append(f"{where} ({how})" if how else where)
        rows.append((column, sources))
    return rows


BASE_FIELDS = ("_producer", "_schemaURL")  # on every facet; kept, not shown


@register.filter
def pretty_json(value):
    """Indented JSON without the base fields, cut past SHOWN_CHARACTERS with a note."""
    if isinstance(value, dict):
        value = {key: item for key, item in value.items() if key not in BASE_FIELDS}
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    if len(text) <= SHOWN_CHARACTERS:
        return text
    rest = len(text) - SHOWN_CHARACTERS
    return f"{text[:SHOWN_CHARACTERS]}\n… {rest:,} more characters (the whole facet is kept)"
