"""Password hashing: Argon2id at OWASP's recommended minimum cost.

OWASP's Password Storage Cheat Sheet recommends Argon2id with at least 19 MiB of
memory, 2 iterations and 1 degree of parallelism. Django's own defaults (100 MiB,
p=8) cost several times more CPU per login on a small server without being a
stronger choice per OWASP, so the shop uses exactly the recommended minimum.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class ShopArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with m=19 MiB, t=2, p=1."""

    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
