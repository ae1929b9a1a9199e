"""Thin command-line layer: parses options, calls the library, turns typed errors into actionable messages."""
