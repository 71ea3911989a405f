"""The Prefect tasks the flows sequence, one module per room (sources, quality, warehouse, report).

A task here only names a step: it opens what the step needs (``tasks/resources.py``), calls the
room's plain functions, and closes it. Being orchestration, these sit above every room, so a room
never imports them (``make lint`` checks the layers with import-linter).
"""
