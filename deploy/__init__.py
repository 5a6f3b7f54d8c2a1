"""Deployment: gunicorn and nginx configuration, the local production stack, container health check."""
