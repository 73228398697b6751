from django.urls import path, re_path

from . import views

urlpatterns = [
    path("graphql", views.graphql, name="wandb-graphql"),
    path(
        "files/<str:entity>/<str:project>/<str:run_id>/file_stream",
        views.file_stream,
        name="wandb-file-stream",
    ),
    path("storage/<str:token>", views.storage, name="wandb-storage"),
    re_path(r"^sdk/(?P<path>.*)$", views.telemetry, name="wandb-telemetry"),
]
