//! An array the multi-index tables read: owned, or a range of a read-only
//! memory map of the index file (version 4 stores the tables, `io/index_tables.rs`),
//! so opening a file with tables copies nothing.

use std::ops::Deref;
use std::sync::Arc;

use bytemuck::Pod;
use memmap2::Mmap;

/// `len` values of `T`, owned or mapped.
#[derive(Clone, Debug)]
pub(crate) enum Slab<T> {
    Owned(Vec<T>),
    /// `len` values at `offset` bytes into the map; `offset` is a multiple of
    /// `align_of::<T>()` (the map itself is page-aligned), checked on creation.
    Mapped {
        map: Arc<Mmap>,
        offset: usize,
        len: usize,
    },
}

impl<T: Pod> Slab<T> {
    /// `len` values at `offset` bytes into `map`, which must hold them at an
    /// aligned offset (the caller checked the file's size and layout).
    ///
    /// # Panics
    /// If the range is out of the map or misaligned.
    pub(crate) fn mapped(map: &Arc<Mmap>, offset: usize, len: usize) -> Self {
        let bytes = len * std::mem::size_of::<T>();
        assert!(offset + bytes <= map.len(), "Slab::mapped: {bytes} bytes at {offset} past the map");
        assert_eq!((map.as_ptr() as usize + offset) % std::mem::align_of::<T>(), 0, "Slab::mapped: misaligned");
        Slab::Mapped { map: map.clone(), offset, len }
    }

    /// Heap bytes held (a map's pages are page cache, not heap).
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Slab::Owned(v) => v.capacity() * std::mem::size_of::<T>(),
            Slab::Mapped { .. } => 0,
        }
    }

    /// Whether the values are read from a map.
    pub(crate) fn is_mapped(&self) -> bool {
        matches!(self, Slab::Mapped { .. })
    }
}

impl<T: Pod> Deref for Slab<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match self {
            Slab::Owned(v) => v,
            Slab::Mapped { map, offset, len } => {
                bytemuck::cast_slice(&map[*offset..*offset + *len * std::mem::size_of::<T>()])
            }
        }
    }
}

impl<T: Pod> From<Vec<T>> for Slab<T> {
    fn from(v: Vec<T>) -> Self {
        Slab::Owned(v)
    }
}
