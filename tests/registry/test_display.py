"""Durations, times and JSON values as the pages show them (registry/templatetags/display.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from registry.models import Project, Run
from registry.templatetags.display import data_table, duration, when


@pytest.mark.parametrize(
    "delta, shown",
    [
        (timedelta(microseconds=273155), "273 ms"),
        (timedelta(seconds=42.4), "42s"),
        (timedelta(minutes=12), "12m 0s"),
        (timedelta(minutes=12, seconds=5), "12m 5s"),
        (timedelta(hours=1, minutes=3, seconds=59), "1h 3m"),
        (timedelta(days=2, hours=4, minutes=1), "2d 4h"),
        (None, "—"),
    ],
)
def test_durations_read_as_hours_minutes_and_seconds(delta, shown):
    assert duration(delta) == shown


def test_a_time_names_its_zone_and_is_exact_on_hover(settings):
    moment = datetime(2026, 12, 2, 1, 34, 12, tzinfo=UTC)
    html = when(moment)
    assert '<time datetime="2026-12-02T01:34:12+00:00"' in html
    assert ">2026-12-02 01:34 UTC</time>" in html
    assert 'title="2026-12-02 01:34:12 UTC (' in html and " ago)" in html
    assert ">2026-12-02 01:34:12 UTC<" in when(moment, "seconds")
    assert when(None) == "—"


def test_json_values_read_as_json_in_nested_tables_never_as_python_reprs():
    html = data_table({"flag": True, "none": None, "opt": {"name": "adam", "betas": [0.9, 0.99]}})
    assert "True" not in html and "None" not in html and "{'" not in html
    assert '<th scope="row">flag</th><td><code>true</code></td>' in html
    assert '<th scope="row">none</th><td><code>null</code></td>' in html
    assert '<th scope="row">opt</th><td><table class="table compact data">' in html
    assert '<th scope="row">name</th><td>adam</td>' in html
    assert "<code>[0.9, 0.99]</code>" in html
    deep = data_table({"a": {"b": {"c": {"d": {"e": 1}}}}, "rows": [{"x": 1}]})
    assert deep.count("<table") == 4  # then indented JSON
    assert '<pre class="data-json"><code>{\n  &quot;e&quot;: 1\n}</code></pre>' in deep
    assert "&quot;x&quot;: 1" in deep
    assert data_table({}) == '<p class="muted">Empty.</p>'


def test_json_keys_and_values_are_escaped():
    html = data_table({"<b>k</b>": "<i>v</i>", "n": {"<s>": ["<u>"]}})
    assert "<b>" not in html and "<i>" not in html and "<s>" not in html and "<u>" not in html
    assert "&lt;b&gt;k&lt;/b&gt;" in html and "&lt;i&gt;v&lt;/i&gt;" in html


def test_the_run_page_shows_duration_time_zone_and_config_as_json(client, alice):
    project = Project.get_or_create_path("acme", "zoo")
    started = datetime(2026, 11, 25, 4, 57, 38, tzinfo=UTC)
    run = Run.objects.create(
        project=project,
        name="r1",
        config={"augment": True, "decay": None, "opt": {"lr": 0.1}},
        summary={"acc": 0.93},
    )
    Run.objects.filter(pk=run.pk).update(
        started_at=started, finished_at=started + timedelta(minutes=12), state="finished"
    )
    client.force_login(alice)
    body = client.get(run.get_absolute_url()).content.decode()
    assert "<dd>12m 0s</dd>" in body
    assert ">2026-11-25 04:57:38 UTC</time>" in body
    assert "<code>true</code>" in body and "<code>null</code>" in body
    assert "<code>0.93</code>" in body
    assert "True" not in body and "None" not in body
    preview = client.get(f"/lineage/preview/run:{run.pk}/").content.decode()
    assert "<dd>12m 0s</dd>" in preview and "04:57:38 UTC</time>" in preview


def test_a_name_may_wrap_after_its_separators_and_stays_escaped():
    from registry.templatetags.display import breakable

    assert breakable("zoo-eval_v2:v0") == "zoo-<wbr>eval_<wbr>v2:<wbr>v0"
    assert breakable("acme/zoo/a.b") == "acme/<wbr>zoo/<wbr>a.<wbr>b"
    assert breakable("<b>x-y</b>") == "&lt;b&gt;x-<wbr>y&lt;/<wbr>b&gt;"


def test_action_history_names_each_version_name_vN_in_a_fixed_number_of_queries(
    client, alice, build
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    models = [build.art("zoo-model", "model") for _ in range(3)]  # zoo-model:v0..v2
    build.link("model", "classifier", models[2])  # v0 of the collection
    client.force_login(alice)
    url = "/registry/model/classifier/history/"
    with CaptureQueriesContext(connection) as one:
        body = client.get(url).content.decode()
    assert 'v0 <span class="muted">(zoo-model:v2)</span>' in body
    for version in models[:2]:
        build.link("model", "classifier", version)
    with CaptureQueriesContext(connection) as three:
        body = client.get(url).content.decode()
    assert 'v2 <span class="muted">(zoo-model:v1)</span>' in body
    assert len(three) == len(one)
