//! The reverse-mode autodiff tape (filled in by the autodiff work, issue 3).
