"""selfeval's steps: plain functions grouped by stage, with thin Prefect task wrappers.

Sub-packages follow the data as it flows: ``sources`` (read and type), ``quality``
(rules and Great Expectations), ``warehouse`` (schema, loads, report queries) and
``report`` (figures, score, rendering). ``settings`` builds the one configuration object.
"""
