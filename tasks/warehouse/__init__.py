"""The warehouse: one schema for DuckDB and PostgreSQL, partition loads, report queries."""
