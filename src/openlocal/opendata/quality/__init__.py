"""The data quality report at ``/data/quality``: how complete and consistent each dataset is.

``datasets`` computes each dataset's report, ``selectors`` serves it from the cache,
``presenters`` and ``views`` show it; see ``docs/data-quality.md``.
"""
