"""The admin is the operators' console: it lists every team's rows, which only superusers
may see, and edits them without the role checks of the pages. So
staff status alone opens nothing here: team and registry admins do their work in the
browser pages, where the access rules apply, and the admin asks for a superuser."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class OperatorsAdminSite(admin.AdminSite):
    site_header = "Lineage Registry operations"

    def has_permission(self, request):
        return request.user.is_active and request.user.is_superuser


class OperatorsAdminConfig(AdminConfig):
    default_site = "config.admin_site.OperatorsAdminSite"
