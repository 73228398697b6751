"""Request-time housekeeping that must not wait for a cron job."""

import logging
import time

from django.conf import settings
from django.db import DatabaseError

from .models import Run

log = logging.getLogger(__name__)


class CrashSilentRuns:
    """Marks runs crashed whose client stopped sending heartbeats: before a request, once
    LINEAGE_RUN_CRASH_CHECK_SECONDS have passed since this process last looked, so what a
    page or the API shows is at most that much behind (one UPDATE on an index, usually of
    no row). The first look is that long after the process starts."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.last_check = time.monotonic()

    def __call__(self, request):
        if time.monotonic() - self.last_check >= settings.LINEAGE_RUN_CRASH_CHECK_SECONDS:
            self.last_check = time.monotonic()
            try:
                Run.objects.crash_silent()
            except DatabaseError:  # housekeeping never fails the request; the next one retries
                log.warning("Could not mark silent runs crashed", exc_info=True)
        return self.get_response(request)
