"""talentflow: where the world's top AI researchers studied and work, from open conference data."""

__version__ = "0.1.0"
