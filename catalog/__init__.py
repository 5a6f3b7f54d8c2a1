"""Catalog: categories and products with stock."""
