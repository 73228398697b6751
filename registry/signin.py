"""Sign-in protection's one piece of our own: which address a sign-in comes from.

django-axes counts failed sign-ins per (username, address); see config/settings.py."""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render


def client_address(request):
    """REMOTE_ADDR, or behind LINEAGE_LOGIN_PROXY_COUNT trusted proxies the address the
    outermost of them appended to X-Forwarded-For (entries left of it are the client's
    own words and could be anything)."""
    count = settings.LINEAGE_LOGIN_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    forwarded = [entry.strip() for entry in forwarded if entry.strip()]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def locked_out(request, original_response=None, credentials=None):
    """The log-in page again, saying why it refuses and for how long (429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    locked = (
        f"Too many failed sign-ins: signing in as this user from here is locked for "
        f"{minutes} minute{'s' if minutes != 1 else ''} after the last failed try. "
        "Wait, then try again."
    )
    context = {"form": AuthenticationForm(request), "locked": locked, "next": ""}
    return render(request, "registration/login.html", context, status=429)
