"""Vigil's service core: settings, Redis, sources, parsers, events, pipeline, incidents, CLI."""
