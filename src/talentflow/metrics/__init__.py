"""Talent metrics over the built database: `MetricQuery` (who is counted), `ALLOWED` (valid parameter values)
and the metric functions, each returning a list of dict rows with share, count, interval, n and coverage."""

from .claims import check_talent_claims
from .compute import (cohort, cohort_basis, explain_cohort, flows, institutions, person, retention,
                      retention_from_flows, shares, trend)
from .query import ALLOWED, MetricQuery

__all__ = ["ALLOWED", "MetricQuery", "check_talent_claims", "shares", "flows", "retention", "retention_from_flows",
           "cohort", "cohort_basis", "explain_cohort", "trend", "institutions", "person"]
