"""Management commands of the orders app (``python manage.py <name>``)."""
