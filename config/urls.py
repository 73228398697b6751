from django.contrib import admin
from django.urls import include, path

from registry.views import LoginView

from .api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),  # says how to make the first user
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("wandb_api.urls")),
    path("", include("registry.urls")),
    path("", include("lineage.urls")),
]

handler500 = "config.errors.server_error"
