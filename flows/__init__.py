"""Deployable Prefect flows and the ``selfeval`` command line."""
