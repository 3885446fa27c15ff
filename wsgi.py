"""The one module that builds the app at import time: `gunicorn wsgi:app`."""

from quizapp import create_app

app = create_app(migrations=False)  # migrations run from the CLI (`flask db upgrade`), never in a worker
