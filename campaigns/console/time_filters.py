"""The templates' way to show a time: in the office's zone (SCREENING_OFFICE_TIMEZONE), read from
the app's settings through the request each page is rendered with.

    {{ moment|local }}            2024-03-05 17:00          (a table cell; the header names the zone)
    {{ moment|local('%H:%M') }}   17:00
    {{ moment|local_stamped }}    2024-03-05 17:00 CST      (in a sentence)
    {{ office_zone() }}           Asia/Shanghai
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional
from zoneinfo import ZoneInfo

from jinja2 import Environment, pass_context

from campaigns.records import local_times


def install(env: Environment) -> None:
    env.filters["local"] = _local
    env.filters["local_stamped"] = _stamped
    env.globals["office_zone"] = _zone_name


def office_zone(request) -> ZoneInfo:
    """The office's zone, for pages that format times in Python."""
    return local_times.zone(request.app.state.settings.office_timezone)


def _office(context) -> ZoneInfo:
    request = context.get("request")
    return office_zone(request) if request is not None else local_times.zone("UTC")


@pass_context
def _local(context, moment: Optional[datetime], fmt: str = local_times.MINUTES) -> str:
    return local_times.local(moment, _office(context), fmt)


@pass_context
def _stamped(context, moment: Optional[datetime]) -> str:
    return local_times.stamped(moment, _office(context))


@pass_context
def _zone_name(context) -> str:
    return _office(context).key
