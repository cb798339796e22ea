"""Search: the index on disk, BM25, the query path (retrieval) and how sure an answer is."""
