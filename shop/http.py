"""What the shop reads off an HTTP request, the same way everywhere."""

from __future__ import annotations

from rest_framework.throttling import BaseThrottle

UNKNOWN_CLIENT_ADDRESS = "unknown"


def client_address(request) -> str:
    """Return the address attempts from ``request`` are counted under (login lockout, registrations).

    DRF's rule for its throttles, with ``NUM_PROXIES`` from ``TRUSTED_PROXY_COUNT``:
    with no trusted proxy (the default) the peer address, ``REMOTE_ADDR``, since a
    client writes ``X-Forwarded-For`` itself and could pick a fresh address per try;
    behind N trusted proxies, the N-th address from the right of ``X-Forwarded-For``,
    the one the outermost trusted proxy saw. Without that, every client behind a
    proxy would share the proxy's address, and one client's failures would lock
    everyone out. Works on Django's and DRF's requests alike.
    """
    if request is None:
        return UNKNOWN_CLIENT_ADDRESS
    return BaseThrottle().get_ident(request) or UNKNOWN_CLIENT_ADDRESS
