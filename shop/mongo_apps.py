"""App configs that give Django's contrib apps ObjectId primary keys on MongoDB.

Used instead of the plain contrib apps when ``MONGODB_URI`` is set (see settings).
"""

from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig

from shop.config import MONGODB_AUTO_FIELD


class MongoAdminConfig(AdminConfig):
    """django.contrib.admin with ObjectId primary keys."""

    default_auto_field = MONGODB_AUTO_FIELD


class MongoAuthConfig(AuthConfig):
    """django.contrib.auth with ObjectId primary keys."""

    default_auto_field = MONGODB_AUTO_FIELD


class MongoContentTypesConfig(ContentTypesConfig):
    """django.contrib.contenttypes with ObjectId primary keys."""

    default_auto_field = MONGODB_AUTO_FIELD
