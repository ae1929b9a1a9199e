"""Talent metrics over the built database: `MetricQuery` (who is counted), `ALLOWED` (valid parameter values)
and the metric functions, each returning a list of dict rows with share, count, interval, n and coverage."""

from .claims import check_talent_claims
from .compute import (cohort, cohort_basis, explain_cohort, flows, institutions, person, retention,
                      retention_from_flows, shares, trend)
from .query import ALLOWED, MetricQuery


def preload(eng) -> bool:
    """Ready a long-running reader (the web server) before its first query: metric_rows and the stored trend
    years held in memory for the connection and its cursors (metrics.rowstore, metrics.cube), the lazily imported
    modules and allowed values loaded. The
    database must not change while it is held. True when the rows are held."""
    import pyarrow.compute  # noqa: F401  (imported on first use by the unit and cohort code)

    from .compute import warm_up
    from .cube import hold_trend
    from .query import _countries, _subfield_parts, _venues
    from .rowstore import hold

    _venues(), _subfield_parts(), _countries()
    held = hold(eng) is not None
    hold_trend(eng)
    warm_up(eng)
    return held

__all__ = ["ALLOWED", "MetricQuery", "check_talent_claims", "shares", "flows", "retention", "retention_from_flows",
           "cohort", "cohort_basis", "explain_cohort", "trend", "institutions", "person", "preload"]
