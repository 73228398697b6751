"""How values read on the pages: durations as `12m 0s`, times with their time zone, and
config, summary and metadata as nested tables of JSON values (never Python reprs).

Everything user-written goes through format_html/escape here; the filters only shape it."""

import json
import re
from datetime import timedelta

from django import template
from django.template.defaultfilters import date as format_date
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from registry import models as registry_models

register = template.Library()

BREAK_AFTER = re.compile(r"([-_./:@])")  # where a long name may wrap: after its separators
NESTED_TABLES = 3  # deeper than this, a value is shown as indented JSON
SHORT_LIST = 12  # lists of scalars up to this long read as one line


@register.filter
def counted(value):
    """A count from `capped_count_of`: `1,234`, or `10,000+` once it passed the cap."""
    cap = registry_models.COUNTED_UP_TO
    return f"{cap:,}+" if value > cap else f"{value:,}"


@register.filter
def duration(value):
    """A timedelta as `273 ms`, `42s`, `12m 0s`, `1h 3m` or `2d 4h`; None as an em dash."""
    if not isinstance(value, timedelta):
        return "—"
    seconds = value.total_seconds()
    if seconds < 1:
        return f"{max(seconds, 0) * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {seconds}s"


@register.filter
def breakable(name):
    """A name that wraps after its separators (`zoo-eval-` `ylbchv20:` `v0`), never in the
    middle of a word; escaped, then <wbr> after each `-`, `_`, `.`, `/`, `:` or `@`."""
    return mark_safe(BREAK_AFTER.sub(r"\1<wbr>", escape(name)))


@register.filter
def when(value, precision="minutes"):
    """A <time> in the server's time zone, named (`2026-12-02 01:34 UTC`); hovering
    shows it to the second and how long ago it was. None reads as an em dash."""
    if value is None:
        return "—"
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    shown = format_date(local, "Y-m-d H:i:s T" if precision == "seconds" else "Y-m-d H:i T")
    exact = format_date(local, "Y-m-d H:i:s T")
    ago = timesince(value) if value <= timezone.now() else None
    title = f"{exact} ({ago} ago)" if ago else exact
    return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(), title, shown)


def _scalar(value):
    """A string as itself, anything else as JSON (`true`, `null`, `0.5`)."""
    if isinstance(value, str):
        return format_html("{}", value)
    return format_html("<code>{}</code>", json.dumps(value, ensure_ascii=False))


def _value(value, depth):
    if isinstance(value, dict) and value and depth < NESTED_TABLES:
        return _table(value, depth + 1)
    if isinstance(value, list) and len(value) <= SHORT_LIST:
        if not any(isinstance(item, (dict, list)) for item in value):
            return format_html("<code>{}</code>", json.dumps(value, ensure_ascii=False))
    if isinstance(value, (dict, list)):
        text = json.dumps(value, indent=2, ensure_ascii=False)
        return format_html('<pre class="data-json"><code>{}</code></pre>', text)
    return _scalar(value)


def _table(data, depth):
    rows = format_html_join(
        "",
        '<tr><th scope="row">{}</th><td>{}</td></tr>',
        ((k, _value(v, depth)) for k, v in data.items()),
    )
    return format_html('<table class="table compact data"><tbody>{}</tbody></table>', rows)


@register.filter
def data_table(data):
    """A JSON object (a run's config or summary, a version's metadata) as a table of its
    keys, nested objects as tables inside; an empty one says so."""
    if not data:
        return mark_safe('<p class="muted">Empty.</p>')
    return _table(data, 0) if isinstance(data, dict) else _value(data, 0)
