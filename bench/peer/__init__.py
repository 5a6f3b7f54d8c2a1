"""The bench's peer: the shop's order list written the textbook DRF way (issue 20, item 3)."""
