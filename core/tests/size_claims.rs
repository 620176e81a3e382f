//! A small file that claims a huge size must be refused before anything of that
//! size is allocated (issue 7: "a 20-byte file that claims 10^12 rows must not
//! allocate"). A counting allocator measures each loader's peak allocation on
//! its own thread; every case must fail with an error naming the file, having
//! allocated less than 64 KiB. The fuzz targets check the same bound
//! (proportional to the input) on arbitrary bytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use sigah_core::index::HammingIndex;
use sigah_core::io::npy::{self, DType};
use sigah_core::io::vectors;
use sigah_core::model::SigahModel;
use sigah_core::Codes;

struct Counting;

thread_local! {
    // `const` thread-locals need no allocation to initialise: safe inside an allocator.
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grew(n: usize) {
    let _ = LIVE.try_with(|l| {
        l.set(l.get() + n);
        let _ = PEAK.try_with(|p| p.set(p.get().max(l.get())));
    });
}

fn shrank(n: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(n)));
}

// SAFETY: every call forwards to the system allocator with the caller's layout;
// the thread-local counters are bookkeeping only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        shrank(layout.size());
        grew(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `load`, which must fail naming `name`, within 64 KiB of allocation.
fn refused<T: std::fmt::Debug>(name: &str, bytes: &[u8], load: impl FnOnce(&Path, &[u8]) -> sigah_core::Result<T>) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let result = load(Path::new(name), bytes);
    let peak = PEAK.with(Cell::get) - base;
    let err = result.expect_err(name).to_string();
    assert!(err.contains(name), "{err}");
    assert!(peak < 64 << 10, "{name}: {} bytes of input made the loader allocate {peak} bytes", bytes.len());
    println!("{name} ({} bytes, peak {peak} B allocated): {err}", bytes.len());
}

fn npy_claiming(dtype: DType, shape: &[usize]) -> Vec<u8> {
    let mut b = npy::header_bytes(dtype, shape);
    b.extend_from_slice(&[0; 20]);
    b
}

#[test]
fn huge_size_claims_are_refused_before_allocating() {
    // texmex: a 20-byte file whose first row claims 2^31 - 1 dimensions.
    let mut fv = i32::MAX.to_le_bytes().to_vec();
    fv.extend_from_slice(&[0; 16]);
    refused("huge.fvecs", &fv, vectors::parse_fvecs);
    refused("huge.bvecs", &fv, vectors::parse_bvecs);
    refused("huge.ivecs", &fv, vectors::parse_ivecs);
    // npy: 10^12 rows, and a shape whose product overflows.
    let rows = npy_claiming(DType::F32, &[1_000_000_000_000, 4]);
    refused("rows.npy", &rows, vectors::parse_npy_vectors);
    refused("rows.npy", &rows, npy::parse_header);
    let overflow = npy_claiming(DType::F32, &[usize::MAX / 2, 3]);
    refused("overflow.npy", &overflow, vectors::parse_npy_vectors);
    refused("labels.npy", &npy_claiming(DType::I64, &[1_000_000_000_000]), vectors::parse_npy_labels);
    refused("codes.npy", &npy_claiming(DType::U8, &[1_000_000_000_000, 8]), Codes::parse_npy);
    // A sigah index header claiming 10^12 codes.
    let mut idx = vec![0u8; 64];
    idx[..8].copy_from_slice(b"SIGAHIDX");
    idx[8..12].copy_from_slice(&1u32.to_le_bytes());
    idx[12..16].copy_from_slice(&64u32.to_le_bytes());
    idx[16..24].copy_from_slice(&1_000_000_000_000u64.to_le_bytes());
    refused("huge.sigahidx", &idx, HammingIndex::from_file_bytes);
    // A safetensors header claiming a 10^6 x 10^6 tensor, and a header length of 2^40.
    let header = br#"{"w":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4000000000000]}}"#;
    let mut st = (header.len() as u64).to_le_bytes().to_vec();
    st.extend_from_slice(header);
    refused("huge.safetensors", &st, SigahModel::from_bytes);
    let mut st = (1u64 << 40).to_le_bytes().to_vec();
    st.extend_from_slice(&[b'{'; 12]);
    refused("header.safetensors", &st, SigahModel::from_bytes);
}
