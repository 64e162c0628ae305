"""Implementations of the dettrack sub-commands (the parser lives in dettrack.cli)."""
