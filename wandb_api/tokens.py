"""Signed, short-lived URLs for the transfers that carry no credentials.

The client PUTs file contents and GETs downloads without its API key, so each URL holds
what it may do (upload this file of this staged artifact, read this blob), signed with
SECRET_KEY and refused after MAX_AGE seconds.
"""

from django.core import signing
from django.urls import reverse

SALT = "wandb_api.storage"
MAX_AGE = 60 * 60  # long enough for a large file to wait its turn in the upload queue


def url(request, kind, **claims):
    token = signing.dumps({"k": kind, **claims}, salt=SALT, compress=True)
    return request.build_absolute_uri(reverse("wandb-storage", args=[token]))


def read(token):
    """The claims of a valid token, or None when it is forged, altered or too old."""
    try:
        return signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
