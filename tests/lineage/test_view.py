"""The one definition of a lineage view and its one encoding (lineage/view.py)."""

from dataclasses import fields

import pytest
from django.http import QueryDict

from lineage.view import InvalidView, View

EVERYTHING = View(
    upstream=2,
    downstream=0,
    artifact_types=frozenset({"model", "dataset"}),
    job_types=frozenset({"train"}),
    extended=True,
    generated=True,
    expand_clusters=True,
    extract=frozenset({"run:7", "artifact:3"}),
)


def test_it_encodes_lists_joined_flags_as_digits_and_leaves_defaults_out():
    assert EVERYTHING.to_query() == {
        "upstream": "2",
        "downstream": "0",
        "artifact_types": "dataset,model",
        "job_types": "train",
        "extended": "1",
        "generated": "1",
        "expand_clusters": "1",
        "extract": "artifact:3,run:7",
    }
    assert View().to_query() == {}
    assert View(extended=False, upstream=4).to_query() == {"upstream": "4"}


def test_it_reads_back_what_it_writes():
    query = QueryDict(mutable=True)
    query.update(EVERYTHING.to_query())
    assert View.from_query(query) == EVERYTHING
    assert View.from_query(QueryDict("")) == View()
    assert View.from_query(QueryDict("upstream=&artifact_types=")) == View()


@pytest.mark.parametrize(
    "query, message",
    [
        ("upstream=11", "upstream must be between 0 and 10"),
        ("downstream=-1", "downstream must be between 0 and 10"),
        ("downstream=many", "downstream must be between 0 and 10"),
        ("extended=on", "extended must be 1 or 0"),
        ("extended=true", "extended must be 1 or 0"),
        ("job_types=a&job_types=b", "give job_types once"),
    ],
)
def test_it_refuses_a_value_outside_its_encoding(query, message):
    with pytest.raises(InvalidView, match=message):
        View.from_query(QueryDict(query))


def test_it_refuses_unknown_keys_only_when_told_which_others_are_fine():
    query = QueryDict("node=run:1&hops=2")
    assert View.from_query(query) == View()  # a page URL has keys of its own
    with pytest.raises(InvalidView, match="unknown key 'hops'. It takes node, upstream"):
        View.from_query(query, others=["node"])


def test_it_checks_views_made_in_code_too():
    assert View(extract=["run:1"]).extract == frozenset({"run:1"})
    with pytest.raises(InvalidView, match="between 0 and 10"):
        View(upstream=True)
    with pytest.raises(InvalidView, match="extended cannot be 'yes'"):
        View(extended="yes")


def test_it_describes_every_field_for_the_page_and_the_api():
    spec = View.spec()
    assert [s["name"] for s in spec] == [f.name for f in fields(View)]
    assert {s["name"]: s["default"] for s in spec}["upstream"] == "3"
    assert {s["name"]: s["kind"] for s in spec}["extract"] == "list"
    assert [s["name"] for s in spec if not s["onForm"]] == ["extract", "grow"]
