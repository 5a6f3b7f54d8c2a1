"""Legacy: the original Flask service's routes (served by the v1 services) and the import of its data."""
