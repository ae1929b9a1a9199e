"""Companion national indicators (STEM graduates, patents, models, leaderboards, investment) and the US–China
scorecard that sets them beside talentflow's own figures."""
