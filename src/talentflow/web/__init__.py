"""The local dashboard and JSON API (`talentflow serve`): FastAPI over the read-only database."""
