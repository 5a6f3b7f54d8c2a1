"""Migrations for the MongoDB profile (selected by MIGRATION_MODULES in settings).

Generate with ``make migrations``; a test proves they match the models.
"""
