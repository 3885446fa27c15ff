"""The one module that builds the app at import time: `gunicorn wsgi:app`."""

from quizapp import create_app

app = create_app(migrations=False, commands=False)  # migrations and commands run from the CLI, never in a worker
