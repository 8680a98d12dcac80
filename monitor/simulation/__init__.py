"""Labelled ALS traffic for measuring the detectors: a world, everyday use, attacks."""
