"""Sentence embeddings computed in-process: all-MiniLM-L6-v2 in numpy (`minilm`), as the cache's Embedder (`local`)."""
