//! Baseline hash methods: LSH, PCAH, ITQ (issue 5).
