"""Marshmallow schemas of the HTTP API: one place for validation, serialisation and the spec."""
