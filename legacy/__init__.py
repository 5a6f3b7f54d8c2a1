"""Legacy routes: the original Flask service's API, served by the same services as v1."""
