"""Search engine: a Tantivy index following the change sequence (``Record.seq``).

Public interface (stable, see ``pop.search.interface``)::

    from pop.search.interface import (SimpleQuery, ExpertQuery, SearchResult, Hit, QueryError,
                                      search, facets, map_clusters, validate_expert, suggest)

Modules:
- ``schema``   the Tantivy schema derived from the registry (full text by weight, keyword / strict /
               trigram forms per public field, numbers and dates, the cross-base core, facets);
- ``documents`` record views (``read_records(level=PUBLIC)``) → index documents;
- ``store``    index directories, the live-index pointer, the checkpoint, sync / rebuild / check;
- ``engine``   simple search, facets, sorts, keyset pagination;
- ``expert``   expert rule trees: validation against the registry and compilation to Tantivy queries;
- ``geo``      bounding boxes and server-side map clustering;
- ``text``     folding and tokenisation helpers shared by indexing and querying.

Commands: ``pop index sync | follow | rebuild | check | status``.
"""
