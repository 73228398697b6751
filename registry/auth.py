"""How API callers prove who they are: a per-user key, `Authorization: Bearer <key>`."""

from ninja.security import HttpBearer, django_auth

from .models import ApiKey


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request, token):
        user = ApiKey.objects.authenticate(token)
        if user is not None:
            request.user = user
        return user


api_key = ApiKeyAuth()
# Read-only endpoints the pages call from the browser also accept the login session.
key_or_session = [api_key, django_auth]
