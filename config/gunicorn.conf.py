"""Gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Threaded workers (gthread): an idle keep-alive connection waits in the worker's selector instead of
holding a whole worker, so fifty users thinking between clicks do not queue behind each other.
Override with GUNICORN_WORKERS / GUNICORN_THREADS / GUNICORN_BIND.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * multiprocessing.cpu_count())))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 5
timeout = 60
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
