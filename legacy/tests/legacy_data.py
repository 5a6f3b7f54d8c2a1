"""Data of the original service, made in the tests: documents, real password hashes, mongoexport files.

Hashes come from werkzeug's ``generate_password_hash`` and the ``bcrypt`` package
(as Flask and flask-bcrypt make them), at low cost so the suite stays fast. Files
are written with ``bson.json_util`` in the formats mongoexport writes: one
document per line (relaxed or canonical Extended JSON), pretty-printed documents
one after another, or one JSON array.
"""

from __future__ import annotations

import os
from datetime import datetime
from io import StringIO
from pathlib import Path

import bcrypt
from bson import ObjectId, json_util
from django.core.management import call_command
from werkzeug.security import generate_password_hash

OLD_PASSWORD = "Old-Flask-Secret-7"
# Low-cost parameters: real formats, cheap to check in tests.
PBKDF2_METHOD = "pbkdf2:sha256:1000"
SCRYPT_METHOD = "scrypt:1024:8:1"
BCRYPT_COST = 4


def werkzeug_pbkdf2(password: str = OLD_PASSWORD) -> str:
    """Return a werkzeug ``pbkdf2:sha256:<n>$salt$hex`` hash of ``password``."""
    return generate_password_hash(password, method=PBKDF2_METHOD)


def werkzeug_scrypt(password: str = OLD_PASSWORD) -> str:
    """Return a werkzeug ``scrypt:<n>:<r>:<p>$salt$hex`` hash of ``password``."""
    return generate_password_hash(password, method=SCRYPT_METHOD)


def bcrypt_hash(password: str = OLD_PASSWORD, *, version: str = "2b") -> str:
    """Return a bcrypt hash of ``password`` with the ``$2a$``/``$2b$``/``$2y$`` prefix ``version``."""
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode("ascii")
    return f"${version}$" + hashed[4:]


def object_id_at(moment: datetime) -> ObjectId:
    """Return a unique ObjectId whose timestamp is ``moment`` (as MongoDB would have made it then)."""
    return ObjectId(ObjectId.from_datetime(moment).binary[:4] + os.urandom(8))


def user_doc(
    email: str, password=OLD_PASSWORD, *, _id=None, first_name="Ann", last_name="Lee", **extra
) -> dict:
    """Return a user document as the original service stored it."""
    document = {"_id": _id or ObjectId(), "first_name": first_name, "last_name": last_name, "email": email}
    if password is not None:
        document["password"] = password
    document.update(extra)
    return document


def order_doc(
    customer, *, _id=None, type="electronics", products="Phone", status="IN PROGRESS", **quantity
) -> dict:
    """Return an order of ``customer`` (a user document or its id); ``quantity=`` or ``Quantity=``."""
    customer_id = customer["_id"] if isinstance(customer, dict) else customer
    document = {"_id": _id or ObjectId(), "type": type, "products": products, "status": status}
    document.update(quantity or {"quantity": 1})
    document["customer_id"] = str(customer_id)
    return document


def write_export(path: Path, documents: list, *, layout: str = "lines", mode: str = "relaxed") -> Path:
    """Write ``documents`` as mongoexport does (``layout`` lines, pretty or array; relaxed or canonical)."""
    options = json_util.CANONICAL_JSON_OPTIONS if mode == "canonical" else json_util.RELAXED_JSON_OPTIONS
    if layout == "array":
        text = json_util.dumps(documents, json_options=options, indent=2) + "\n"
    elif layout == "pretty":
        text = "".join(
            json_util.dumps(document, json_options=options, indent=2) + "\n" for document in documents
        )
    else:
        text = "".join(json_util.dumps(document, json_options=options) + "\n" for document in documents)
    path.write_text(text, encoding="utf-8")
    return path


def import_files(tmp_path: Path, users: list | None = None, orders: list | None = None, **options) -> str:
    """Write the documents as mongoexport files in ``tmp_path``, run ``import_legacy``; return its output."""
    files = {}
    if users is not None:
        files["users_file"] = str(write_export(tmp_path / "users.json", users))
    if orders is not None:
        files["orders_file"] = str(write_export(tmp_path / "orders.json", orders))
    out = StringIO()
    call_command("import_legacy", stdout=out, stderr=StringIO(), no_progress=True, **files, **options)
    return out.getvalue()
