"""Orders: lines with price snapshots, stock reservation, status machine and history."""
