"""The ceiling: a minimal Flask app served exactly like Needlework (same gunicorn settings)."""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return "hello"
