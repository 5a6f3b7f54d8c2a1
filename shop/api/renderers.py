"""The browsable API's renderer: DRF's, with forms that start from a body that works.

DRF fills the raw-data form of a POST with the input serializer's blank values
(``{"items": []}`` for an order), which would fail as shown. A view that knows a
better start says so with ``get_form_example(action)`` (``shop.api.views.ShopViewSet``):
for an order, one unit of a product the catalog has in stock; for a new product, an
example product. Forms for changes (PATCH) start from the object as it is, rendered
by the action's input serializer, so sending the form unchanged changes nothing.
"""

from __future__ import annotations

import json

from rest_framework.renderers import BrowsableAPIRenderer


class ShopBrowsableAPIRenderer(BrowsableAPIRenderer):
    """DRF's browsable API whose raw-data forms start from the view's example body, if it has one."""

    def get_raw_data_form(self, data, view, method, request):
        """Return DRF's raw-data form for ``method``, its content set to the view's example if any."""
        form = super().get_raw_data_form(data, view, method, request)
        get_example = getattr(view, "get_form_example", None)
        if form is None or get_example is None:
            return form
        example = get_example(getattr(view, "action_map", {}).get(method.lower()))
        if example is not None:
            form.fields["_content"].initial = json.dumps(example, indent=4)
        return form
