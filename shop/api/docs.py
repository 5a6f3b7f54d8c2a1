"""The API documentation pages' own assets, so that they load nothing from outside this server.

ReDoc's bundle (from drf-spectacular-sidecar) shows a "Redocly" logo that it always
loads from cdn.redoc.ly; :func:`redoc_bundle` serves the same bundle with that one
image as an inline SVG, so the page's Content-Security-Policy (images from this
server and ``data:`` only) holds without a refused request.
"""

from __future__ import annotations

import functools
from base64 import b64encode

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
# A plain mark in ReDoc's place: a small circle in the documentation's accent colour.
LOCAL_LOGO_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    b'<circle cx="8" cy="8" r="6" fill="#32329f"/></svg>'
)


@functools.cache
def redoc_bundle_source() -> bytes:
    """Return ReDoc's bundle with its remote logo replaced by an inline one (read once per process)."""
    path = finders.find(REDOC_BUNDLE)
    if path is None:
        raise FileNotFoundError(f"{REDOC_BUNDLE} is missing: is drf-spectacular-sidecar installed?")
    with open(path, "rb") as bundle:
        source = bundle.read()
    logo = b"data:image/svg+xml;base64," + b64encode(LOCAL_LOGO_SVG)
    if REDOCLY_LOGO.encode() not in source:
        raise ValueError(f"{REDOC_BUNDLE} no longer names {REDOCLY_LOGO}: review shop.api.docs")
    return source.replace(REDOCLY_LOGO.encode(), logo)


@require_safe
@cache_control(public=True, max_age=24 * 3600)
def redoc_bundle(request):
    """Serve ReDoc's standalone bundle without its remote logo."""
    return HttpResponse(redoc_bundle_source(), content_type="text/javascript; charset=utf-8")
