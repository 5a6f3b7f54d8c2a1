"""The base of the v1 viewsets: plain page titles for people, input serializers per action, form examples.

Every resource is a viewset on the router (``shop.api.urls``) and stays thin: an
action validates with its input serializer, calls one service, and renders with the
output serializer. :class:`ShopViewSet` adds what makes the browsable API read well:

- titles: ``list_name`` on the list page, ``detail_name`` on an object's page, and
  the ``name`` given to each ``@action`` (DRF would show "Order List" or
  "Product Instance");
- descriptions: DRF shows the viewset's docstring (and an action's docstring on its
  page) as plain text, so those docstrings are written for the people using the API,
  without markup;
- forms: the serializer DRF's forms are built from is the action's input serializer
  (``input_serializers``), so a form offers exactly what the action accepts; where a
  blank form would be useless, :meth:`get_form_example` gives the body the form starts
  from (``shop.api.renderers``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import viewsets


class ShopViewSet(viewsets.GenericViewSet):
    """A GenericViewSet with titles for people and an input serializer per action."""

    list_name: ClassVar[str] = ""
    detail_name: ClassVar[str] = ""
    # The serializer each action reads its body with; other actions use serializer_class.
    input_serializers: ClassVar[dict[str, type]] = {}

    def get_view_name(self) -> str:
        """Return the page title: the action's name, or the list's or the object's."""
        if self.name:
            return self.name
        return self.detail_name if self.detail else self.list_name

    def get_serializer_class(self):
        """Return the input serializer of the current action, else ``serializer_class``."""
        return self.input_serializers.get(self.action, self.serializer_class)

    def get_form_example(self, action: str | None) -> Any:
        """Return the body the browsable API's form for ``action`` starts from, or None for DRF's own."""
        return None
