//! The Hamming index: exact kNN and radius search over packed codes (issue 4).
