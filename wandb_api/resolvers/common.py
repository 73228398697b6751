"""Scalars, connections and the namespaces (entities, projects) every group shares."""

import json

from ariadne import ScalarType

from registry.models import Project, Registry, RegistryMember
from registry.names import REGISTRY_PREFIX

from .. import ids

# Registries belong to the installation's one organisation; the client links into
# `<organisation entity>/wandb-registry-<registry>` and reads back from there.
ORGANIZATION = "organization"

json_string = ScalarType("JSONString")
date_time = ScalarType("DateTime")
int64 = ScalarType("Int64")


@json_string.serializer
def serialize_json(value):
    return value if isinstance(value, str) else json.dumps(value)


@json_string.value_parser
def parse_json(value):
    return json.loads(value) if isinstance(value, str) else value


@date_time.serializer
def serialize_date_time(value):
    return value.isoformat()


@int64.serializer
def serialize_int64(value):
    return int(value)


def user_of(info):
    return info.context["user"]


def entity(name):
    return {"id": ids.encode("Entity", name), "name": name, "isTeam": False}


def organization():
    return {
        "id": ids.encode("Organization", ORGANIZATION),
        "name": ORGANIZATION,
        "orgEntity": entity(ORGANIZATION),
        "coreWeaveOrganizationId": None,
    }


def user_node(user):
    return {
        "id": ids.encode("User", user.pk),
        "name": user.get_full_name() or user.get_username(),
        "username": user.get_username(),
        "email": user.email or None,
        "entity": user.get_username(),
        "admin": user.is_superuser,
        "flags": "{}",
        "teams": {"edges": []},
        "organizations": [organization()],
    }


class RegistryProject:
    """A registry seen as the client sees it: project `wandb-registry-<name>` of the
    organisation's entity."""

    def __init__(self, registry):
        self.registry = registry
        self.pk = registry.pk
        self.name = REGISTRY_PREFIX + registry.name
        self.entity = ORGANIZATION
        self.created_at = registry.created_at


def project_of(collection):
    """The namespace a collection lives in, as a GraphQL Project."""
    if collection.registry_id:
        return RegistryProject(collection.registry)
    return collection.project


def project_named(user, entity_name, name):
    """The project, or the registry a `wandb-registry-` name points at (404 when the
    user may not see it); None when there is none."""
    if not name:
        return None
    if name.startswith(REGISTRY_PREFIX):
        return RegistryProject(
            Registry.objects.named(name, user, RegistryMember.Role.RESTRICTED_VIEWER)
        )
    projects = Project.objects.visible_to(user)
    return projects.filter(entity=entity_name or user.get_username(), name=name).first()


def connection(items, first=None, after=None, limit=10000):
    """A page of `items` (a queryset or list) as a GraphQL connection; cursors are
    offsets."""
    start = int(after) if after and str(after).isdigit() else 0
    size = max(1, min(first or limit, limit))
    page = list(items[start : start + size + 1])
    more = len(page) > size
    page = page[:size]
    return {
        "totalCount": None,
        "pageInfo": {
            "startCursor": str(start) if page else None,
            "endCursor": str(start + len(page)) if page else None,
            "hasNextPage": more,
            "hasPreviousPage": start > 0,
        },
        "edges": [{"cursor": str(start + i + 1), "node": node} for i, node in enumerate(page)],
    }
