"""WSGI entry point: `gunicorn wsgi:app`."""
from motions import create_app

app = create_app()
