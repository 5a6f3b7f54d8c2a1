"""The shop's SQLite database engine: Django's, with boolean filters an index can serve.

``ENGINE: "shop.sqlite"`` is ``django.db.backends.sqlite3`` in every respect but one:
``filter(is_active=True)`` compiles to ``"is_active" = 1`` rather than to the bare
column. SQLite stores booleans as integers and uses an index only for a comparison
(https://www.sqlite.org/optoverview.html), so with the bare column the product list
ignored ``catalog_product_active_name`` (``is_active, name, id``): every page was a
full scan and a sort of the whole table. Django 6.0 makes the same change for every
backend without a native boolean type (ticket #36492); this engine can go when the
shop moves to it.
"""
