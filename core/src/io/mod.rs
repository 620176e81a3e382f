//! File I/O shared by every format: atomic writes and the `.npy` format.

pub mod atomic;
pub mod npy;
pub mod vectors;

pub use atomic::{is_stdout, stage, write_atomic, Staged};
