"""Pieces shared by the v1 API of every app: error handling, pagination, fields."""
