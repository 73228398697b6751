from django.urls import path

from . import views

urlpatterns = [
    path("lineage/", views.page_for_node, name="lineage-node"),
    path("lineage/preview/<str:node_id>/", views.preview, name="lineage-preview"),
    path("lineage/cluster/", views.cluster, name="lineage-cluster"),
    path("lineage/<str:node_id>/", views.page, name="lineage-page"),
]
