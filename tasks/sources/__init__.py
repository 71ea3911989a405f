"""Sources: read finance, statistics and registry data as received, then type it.

Each source is one interface (:class:`tasks.sources.base.Source`) with interchangeable
implementations chosen by configuration: a folder of files, an HTTP API or a database.
Reading keeps data as received (:class:`RawTable`); staging types it and names every bad
cell by file, row and column.
"""
