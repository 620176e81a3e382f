//! Every file format sigah reads or writes, and atomic writes: vectors and labels
//! (`.fvecs`/`.bvecs`/`.ivecs`, `.npy`, CSV, HDF5, standard input), the
//! memory-bounded training-vector loader, the `.safetensors` container with the
//! model file and training checkpoints in it, codes as `.npy`, and FAISS's
//! `IndexBinaryFlat` / `IndexBinaryIDMap`, and the sigah index file
//! (`index_file.rs`, its multi-index tables in `index_tables.rs`; opened for
//! search by `index_open.rs`, changed under a writers' lock, `lock.rs`, by
//! `index_write.rs`).

pub mod atomic;
pub mod checkpoint;
mod codes_file;
pub mod csv;
pub mod faiss;
pub mod hdf5;
pub mod index_file;
pub mod index_open;
mod index_tables;
pub mod index_write;
pub mod input;
pub mod lock;
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
pub use index_open::{open_codes, open_for_search, open_index};
pub use index_write::{save_index_file, update_index_file};
pub use model_file::FORMAT_VERSION;
pub use training_vectors::{load_data, load_training_vectors};
