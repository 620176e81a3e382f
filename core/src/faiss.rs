//! Export to the FAISS IndexBinaryFlat file format (issue 4).
