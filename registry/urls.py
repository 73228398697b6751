from django.urls import include, path

from . import views

settings_urls = [
    path("", views.settings_page, name="registry-settings"),
    path("keys/", views.create_api_key, name="registry-create-key"),
    path("keys/<int:pk>/revoke/", views.revoke_api_key, name="registry-revoke-key"),
]

registry_urls = [
    path("<str:name>/", views.registry, name="registry-registry"),
    path("<str:registry>/<str:collection>/", views.collection, name="registry-collection"),
    path(
        "<str:registry>/<str:collection>/history/",
        views.collection_history,
        name="registry-collection-history",
    ),
    path(
        "<str:registry>/<str:collection>/<str:version>/",
        views.collection,
        name="registry-collection-version",
    ),
]

artifact_urls = [
    path("", views.project_artifacts, name="registry-project-artifacts"),
    path("<str:type>/<str:name>/", views.sequence, name="registry-sequence"),
    path("<str:type>/<str:name>/<str:version>/", views.version, name="registry-version"),
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
    path("registry/", include(registry_urls)),  # registries and their collections
    path("<str:entity>/<str:project>/", include(project_urls)),  # a project's runs, artifacts
]
