"""Settings of the textbook peer: the shop's own settings, with the peer's URLs.

Same middleware, authentication, database and gunicorn configuration as the shop,
so the bench compares only how the order list is written.
"""

from shop.settings import *  # noqa: F403

ROOT_URLCONF = "bench.peer.urls"
