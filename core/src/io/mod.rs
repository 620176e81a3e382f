//! File I/O shared by every format: atomic writes and the `.npy` format.

pub mod atomic;
pub mod csv;
pub mod hdf5;
pub mod input;
pub mod npy;
pub mod sniff;
pub mod vectors;

pub use atomic::{is_stdout, stage, write_atomic, Staged};
