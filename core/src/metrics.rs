//! Retrieval metrics over a Hamming ranking (issue 5).
