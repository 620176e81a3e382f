//! Datasets: base, queries, labels or ground truth (issue 5).
