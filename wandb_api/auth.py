"""The wandb client's credentials: HTTP Basic with user `api` and one of our API keys."""

import base64
import binascii

from registry.models import ApiKey


def user_from_basic(request):
    """The key's user, or None when the header is missing, malformed or the key unknown."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, _, key = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return ApiKey.objects.authenticate(key) if username == "api" else None
