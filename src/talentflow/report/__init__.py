"""The published face: a static report (`build_report`) and the shared, privacy-safe access to metrics
(`MetricSource`) that the web dashboard uses too."""

from .source import Filters, MetricSource, MetricsUnavailable

__all__ = ["Filters", "MetricSource", "MetricsUnavailable", "build_report"]


def __getattr__(name):  # the site builder pulls in jinja2/altair: import it only when asked for
    if name == "build_report":
        from .site import build_report

        return build_report
    raise AttributeError(name)
