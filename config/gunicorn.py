"""gunicorn's settings for `make serve`, every one from the environment.

    BIND=0.0.0.0:8000 WEB_CONCURRENCY=4 WEB_THREADS=4 make serve

Threaded workers (gthread): WEB_CONCURRENCY processes, each answering WEB_THREADS
requests at once, so a process holds at most WEB_THREADS database connections (one more
while it builds its lineage index, lineage/index.py). A long upload occupies one thread,
not a process, and the process keeps reporting alive while it streams, so WEB_TIMEOUT
only ends a process that stopped responding, never a slow upload.
"""

import os

bind = os.environ.get("BIND", "0.0.0.0:8000").split(",")
workers = int(os.environ.get("WEB_CONCURRENCY", 2))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", 4))
timeout = int(os.environ.get("WEB_TIMEOUT", 60))
# A stop or reload lets requests in flight (an upload of a large file, say) finish.
graceful_timeout = 300
keepalive = 5
accesslog = "-"
# gunicorn's runtime control socket lives at one path per user: several servers on one
# machine (the tests, the load benchmark) would share it. Nothing here uses it.
control_socket_disable = True
