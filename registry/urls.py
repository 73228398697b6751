from django.urls import include, path

from . import manage_views, team_views, views

settings_urls = [
    path("", views.settings_page, name="registry-settings"),
    path("keys/", views.create_api_key, name="registry-create-key"),
    path("keys/<int:pk>/revoke/", views.revoke_api_key, name="registry-revoke-key"),
]

# `settings` is no collection's name (RESERVED_COLLECTIONS): the registry's own pages.
registry_admin_urls = [
    path("", manage_views.registry_settings, name="registry-admin"),
    path("members/", manage_views.add_member, name="registry-add-member"),
    path("members/<str:username>/", manage_views.change_member, name="registry-change-member"),
    path("collections/", manage_views.create_collection, name="registry-create-collection"),
]

collection_version_urls = [
    path("", views.collection, name="registry-collection-version"),
    path("aliases/", manage_views.add_alias, name="registry-add-alias"),
    path("aliases/<str:alias>/remove/", manage_views.remove_alias, name="registry-remove-alias"),
    path("unlink/", manage_views.unlink, name="registry-unlink"),
]

registry_urls = [
    path("", manage_views.create_registry, name="registry-create"),
    path("<str:name>/", views.registry, name="registry-registry"),
    path("<str:name>/settings/", include(registry_admin_urls)),
    path("<str:registry>/<str:collection>/", views.collection, name="registry-collection"),
    path(
        "<str:registry>/<str:collection>/history/",
        views.collection_history,
        name="registry-collection-history",
    ),
    path(
        "<str:registry>/<str:collection>/description/",
        manage_views.edit_collection,
        name="registry-edit-collection",
    ),
    path("<str:registry>/<str:collection>/<str:version>/", include(collection_version_urls)),
]

artifact_urls = [
    path("", views.project_artifacts, name="registry-project-artifacts"),
    path("<str:type>/<str:name>/", views.sequence, name="registry-sequence"),
    path("<str:type>/<str:name>/<str:version>/", views.version, name="registry-version"),
    path(
        "<str:type>/<str:name>/<str:version>/link/",
        manage_views.link_version,
        name="registry-link-version",
    ),
    path(
        "<str:type>/<str:name>/<str:version>/files/<path:path>",
        views.version_file,
        name="registry-version-file",
    ),
]

project_urls = [
    path("runs/", views.project_runs, name="registry-project-runs"),
    path("runs/<str:run_id>/", views.run, name="registry-run"),
    path("artifacts/", include(artifact_urls)),
]

urlpatterns = [
    path("", views.home, name="registry-home"),
    path("settings/", include(settings_urls)),
    path("teams/", team_views.teams, name="registry-teams"),
    path("teams/<str:name>/", team_views.team, name="registry-team"),
    path("registry/", include(registry_urls)),  # registries and their collections
    path("<str:entity>/<str:project>/", include(project_urls)),  # a project's runs, artifacts
]
