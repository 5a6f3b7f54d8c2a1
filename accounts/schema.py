"""OpenAPI (drf-spectacular) description of the shop's bearer authentication."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class ShopJWTScheme(SimpleJWTScheme):
    """Describe ShopJWTAuthentication as simplejwt's ``Bearer`` JWT scheme (``bearerAuth``)."""

    target_class = "accounts.authentication.ShopJWTAuthentication"
    # The conventional name; Swagger UI's "Authorize" asks for the access token under it.
    name = "bearerAuth"
