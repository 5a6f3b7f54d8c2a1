"""The v1 API's router: DRF's DefaultRouter with an API root that lists every resource.

DefaultRouter's root lists only the prefixes that have a list route, so the account
(``accounts/me/``, actions of a viewset without a list) and the token endpoints
(plain views) would be missing. :class:`ShopRouter` takes the root's entries
explicitly, in the order a newcomer needs them: how to get a token, the account, the
catalog, the orders, then the documentation. Paths use Django's ``str`` converter, so
any id string reaches the view (a malformed one is a 404 there, never a 500) and the
OpenAPI document describes ids as strings. No ``.json`` format suffixes: the paths
are exactly those of API.md.
"""

from __future__ import annotations

from rest_framework.permissions import AllowAny
from rest_framework.routers import APIRootView, DefaultRouter


class ShopAPIRootView(APIRootView):
    """Every resource of the shop's API. Follow a link to open it.

    Browse the catalog without logging in. To place and follow orders, register, then
    either log in here (top right) or get a token from auth/token and send it as
    "Authorization: Bearer <access>". The documentation (Swagger UI and ReDoc) lists
    every operation with examples.
    """

    name = "API root"
    permission_classes = [AllowAny]


class ShopRouter(DefaultRouter):
    """A DefaultRouter whose API root lists ``root_entries`` (``{key: url name}``), in order."""

    APIRootView = ShopAPIRootView
    include_format_suffixes = False

    def __init__(self, *, root_entries: dict[str, str]):
        super().__init__(use_regex_path=False)
        self.root_entries = root_entries

    def get_api_root_view(self, api_urls=None):
        """Return the root view listing ``root_entries`` (those that cannot be reversed are left out)."""
        return self.APIRootView.as_view(api_root_dict=self.root_entries)
