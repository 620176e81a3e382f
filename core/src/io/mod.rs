//! Every file format sigah reads or writes, and atomic writes: vectors and labels
//! (`.fvecs`/`.bvecs`/`.ivecs`, `.npy`, CSV, HDF5, standard input), the
//! memory-bounded training-vector loader, the `.safetensors` container with the
//! model file and training checkpoints in it, codes as `.npy`, and FAISS's
//! `IndexBinaryFlat`, and the sigah index file (`index_file.rs`, its multi-index
//! tables in `index_tables.rs`).

pub mod atomic;
pub mod checkpoint;
mod codes_file;
pub mod csv;
pub mod faiss;
pub mod hdf5;
pub mod index_file;
mod index_tables;
pub mod input;
mod model_file;
pub mod npy;
pub mod sniff;
pub mod stfile;
pub mod temp_files;
mod training_vectors;
pub mod vectors;

pub use atomic::{is_stdout, stage, write_atomic, Staged};
pub use checkpoint::checkpoint_config;
pub use index_file::{INDEX_MAGIC, INDEX_VERSION};
pub use model_file::FORMAT_VERSION;
pub use training_vectors::{load_data, load_training_vectors};
