"""Resolvers of schema.graphql, grouped by concept. They parse what the client sends and
call the domain's model methods; every rule lives there, not here."""
