from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="registry-home"),
    path("settings/", views.settings_page, name="registry-settings"),
    path("settings/keys/", views.create_api_key, name="registry-create-key"),
    path("settings/keys/<int:pk>/revoke/", views.revoke_api_key, name="registry-revoke-key"),
    # Registries and their collections
    path("registry/<str:name>/", views.registry, name="registry-registry"),
    path("registry/<str:registry>/<str:collection>/", views.collection, name="registry-collection"),
    path(
        "registry/<str:registry>/<str:collection>/history/",
        views.collection_history,
        name="registry-collection-history",
    ),
    path(
        "registry/<str:registry>/<str:collection>/<str:version>/",
        views.collection,
        name="registry-collection-version",
    ),
    # A project's runs and artifacts
    path("<str:entity>/<str:project>/runs/", views.project_runs, name="registry-project-runs"),
    path("<str:entity>/<str:project>/runs/<str:run_id>/", views.run, name="registry-run"),
    path(
        "<str:entity>/<str:project>/artifacts/",
        views.project_artifacts,
        name="registry-project-artifacts",
    ),
    path(
        "<str:entity>/<str:project>/artifacts/<str:type>/<str:name>/",
        views.sequence,
        name="registry-sequence",
    ),
    path(
        "<str:entity>/<str:project>/artifacts/<str:type>/<str:name>/<str:version>/",
        views.version,
        name="registry-version",
    ),
    path(
        "<str:entity>/<str:project>/artifacts/<str:type>/<str:name>/<str:version>/files/<path:path>",
        views.version_file,
        name="registry-version-file",
    ),
]
