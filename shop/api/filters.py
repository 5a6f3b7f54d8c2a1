"""Query-string filtering of the v1 lists: django-filter, with a browsable form that works as shown.

The browsable API shows a list's filters as an HTML form. A GET form sends every
field, blank ones included, and the product list refuses a blank ``ordering`` or
``in_stock`` (400: a blank value is not one of the choices). So the form's choices
never send a blank: a choice without a neutral value starts on a placeholder that
browsers do not submit (:class:`PlaceholderSelect`), and the form has a "Clear" link
back to the unfiltered list.
"""

from __future__ import annotations

from django import forms
from django_filters.rest_framework import DjangoFilterBackend


class PlaceholderSelect(forms.Select):
    """A select whose empty choice is a placeholder: chosen while nothing else is, never submitted.

    The empty option is ``disabled``, and HTML forms leave out a select whose chosen
    option is disabled, so an untouched field sends nothing at all.
    """

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        """Return the option; the empty one is disabled."""
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        if value in ("", None):
            option["attrs"]["disabled"] = True
        return option


class ShopFilterBackend(DjangoFilterBackend):
    """django-filter's DRF backend, with the shop's filter form (labels, a Clear link)."""

    template = "shop_api/filter_form.html"
