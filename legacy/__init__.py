"""Legacy: the original Flask service's routes, served by the same services as v1, and the import of its data."""
