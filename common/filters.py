"""django-filter pieces for the API's list filters: whole-number filters bounded to the database's
range, and a FilterSet base that bounds any other number filter too.

django-filter's NumberFilter parses with a DecimalField of any size: ?benchmark=2**70 reached the
database as an overflow (a 500 on SQLite). Here such a value is a 400 naming the filter.
"""
from __future__ import annotations

from django import forms
from django_filters import rest_framework as filters

from common.numbers import INT64_MAX, INT64_MIN


class IntegerFilter(filters.NumberFilter):
    """An id or a version number: whole numbers only (no 1.5, no NaN), within the signed 64-bit
    range unless given min_value/max_value."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", INT64_MIN)
        kwargs.setdefault("max_value", INT64_MAX)
        super().__init__(*args, **kwargs)


class FilterSet(filters.FilterSet):
    """The base of every FilterSet of the API: a number filter declared without bounds (a plain
    NumberFilter, one django-filter generates from Meta.fields) gets the 64-bit range."""

    @classmethod
    def get_filters(cls):
        # Called once, when the class is made (FilterSetMetaclass), before any form field exists.
        found = super().get_filters()
        for number_filter in found.values():
            if isinstance(number_filter, filters.NumberFilter):
                number_filter.extra.setdefault("min_value", INT64_MIN)
                number_filter.extra.setdefault("max_value", INT64_MAX)
        return found
