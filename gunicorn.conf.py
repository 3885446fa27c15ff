"""gunicorn settings for Needlework (`gunicorn -c gunicorn.conf.py wsgi:app`)."""

import multiprocessing
import os

from quizapp.runtime import tune_gc

bind = os.environ.get("BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
max_requests = 5000  # recycle workers now and then: bounded memory over months of uptime
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"


def post_worker_init(worker):
    """After the worker has imported the app (post_fork runs before that, when the app's
    objects do not exist yet, and froze only the server's own)."""
    if os.environ.get("GC_TUNING", "1") != "0":
        tune_gc()
