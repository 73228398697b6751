"""The executable schema: schema.graphql bound to the resolvers."""

from pathlib import Path

from ariadne import load_schema_from_path, make_executable_schema

from .resolvers import artifacts, collections, common, runs, viewer

type_defs = load_schema_from_path(Path(__file__).with_name("schema.graphql"))

schema = make_executable_schema(
    type_defs,
    common.json_string,
    common.date_time,
    common.int64,
    *viewer.bindables,
    *runs.bindables,
    *artifacts.bindables,
    *collections.bindables,
)
