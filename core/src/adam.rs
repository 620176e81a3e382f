//! Adam with bias correction (issue 3).
