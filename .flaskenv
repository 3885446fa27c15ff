# Read by `flask` (python-dotenv): the commands use the full app factory, not wsgi.py (which
# gunicorn serves without the commands, to keep workers small).
FLASK_APP=quizapp
