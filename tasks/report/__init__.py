"""The report: figures from warehouse queries, the score, and renderers over one document."""
