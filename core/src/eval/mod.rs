//! The evaluation protocol: train, encode, search, score (issue 5).
