"""Who is asking, what this server offers, and the namespaces they write into."""

from ariadne import ObjectType, QueryType

from registry.models import RegistryMember

from .. import ids
from .common import ORGANIZATION, RegistryProject, entity, organization, project_named, user_node

query = QueryType()
project = ObjectType("Project")
entity_type = ObjectType("Entity")

# Features change which query text the client sends. This one makes `useArtifact` say
# where the version was found, so using it through a registry needs the viewer role
# there, as on the JSON API.
FEATURES = ["USE_ARTIFACT_WITH_ENTITY_AND_PROJECT_INFORMATION"]


@query.field("viewer")
def resolve_viewer(_, info):
    return user_node(info.context["user"])


@query.field("serverInfo")
def resolve_server_info(*_):
    return {
        "features": [{"name": name, "isEnabled": True} for name in FEATURES],
        "cliVersionInfo": "{}",
        "latestLocalVersionInfo": None,
        "defaultCloudRegion": None,
    }


@query.field("entity")
def resolve_entity(_, info, name):
    return {**entity(name), "organization": organization(), "user": None}


@entity_type.field("organization")
def resolve_entity_organization(obj, info):
    return obj.get("organization") or organization()


@query.field("project")
@query.field("model")
def resolve_project(_, info, name=None, entityName=None):
    return project_named(info.context["user"], entityName, name)


@project.field("id")
def resolve_project_id(obj, info):
    return ids.encode(type(obj).__name__, obj.pk)


@project.field("internalId")
def resolve_project_internal_id(obj, info):
    return str(obj.pk)


@project.field("entityName")
def resolve_project_entity_name(obj, info):
    return obj.entity


@project.field("entity")
def resolve_project_entity(obj, info):
    node = entity(obj.entity)
    return {**node, "organization": organization()} if obj.entity == ORGANIZATION else node


@project.field("createdAt")
def resolve_project_created_at(obj, info):
    return obj.created_at


@project.field("readOnly")
def resolve_project_read_only(obj, info):
    """Whether the user may write here: a registry takes the member role; a project
    takes its entity's members."""
    if not is_registry(obj):
        return not obj.is_writable_by(info.context["user"])
    role = obj.registry.role_of(info.context["user"])
    return role is None or role < RegistryMember.Role.MEMBER


def is_registry(obj):
    return isinstance(obj, RegistryProject)


bindables = [query, project, entity_type]
