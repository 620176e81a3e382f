//! A small file that claims a huge size must be refused before anything of that
//! size is allocated: a 20-byte file that claims 10^12 rows must not allocate
//! (docs/ROBUSTNESS.md §3). A counting allocator measures each loader's peak allocation on
//! its own thread; every case must fail with an error naming the file, having
//! allocated less than 64 KiB. The fuzz targets check the same bound
//! (proportional to the input) on arbitrary bytes.
//!
//! The same allocator pins the index's memory claim (docs/PERFORMANCE.md, "Index
//! memory"): n codes of any width keep
//! n · bits / 8 bytes (plus < 8) in memory, and memory-mapped opens copy nothing.

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
    refused_within(name, bytes, 64 << 10, load)
}

/// [`refused`] with a limit of `limit` bytes.
fn refused_within<T: std::fmt::Debug>(
    name: &str,
    bytes: &[u8],
    limit: usize,
    load: impl FnOnce(&Path, &[u8]) -> sigah_core::Result<T>,
) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let result = load(Path::new(name), bytes);
    let peak = PEAK.with(Cell::get) - base;
    let err = result.expect_err(name).to_string();
    assert!(err.contains(name), "{err}");
    assert!(peak < limit, "{name}: {} bytes of input made the loader allocate {peak} bytes", bytes.len());
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
    idx[8..12].copy_from_slice(&2u32.to_le_bytes());
    idx[12..16].copy_from_slice(&24u32.to_le_bytes());
    refused("huge24.sigahidx", &idx, HammingIndex::from_file_bytes);
    // A safetensors header claiming a 10^6 x 10^6 tensor, and a header length of 2^40.
    let header = br#"{"w":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4000000000000]}}"#;
    let mut st = (header.len() as u64).to_le_bytes().to_vec();
    st.extend_from_slice(header);
    refused("huge.safetensors", &st, SigahModel::from_bytes);
    let mut st = (1u64 << 40).to_le_bytes().to_vec();
    st.extend_from_slice(&[b'{'; 12]);
    refused("header.safetensors", &st, SigahModel::from_bytes);
}

/// The stream readers (standard input, pipes, `.gz`) never size a
/// buffer from a claim: they grow with the bytes that arrive.
#[test]
fn streams_and_gzip_claiming_huge_sizes_are_refused_before_allocating() {
    let stream = |p: &Path, b: &[u8]| vectors::read_vectors(p, p, Box::new(std::io::Cursor::new(b.to_vec())));
    let mut fv = i32::MAX.to_le_bytes().to_vec();
    fv.extend_from_slice(&[0; 16]);
    refused("huge.fvecs", &fv, stream);
    refused("huge.bvecs", &fv, stream);
    refused("-", &npy_claiming(DType::F32, &[1_000_000_000_000, 4]), stream);
    refused("-", &npy_claiming(DType::F64, &[usize::MAX / 2, 3]), stream);
    // A version-2 .npy header claiming 4 GiB of header text.
    let mut v2 = b"\x93NUMPY\x02\x00".to_vec();
    v2.extend_from_slice(&u32::MAX.to_le_bytes());
    v2.extend_from_slice(b"{'descr': '<f4'");
    refused("-", &v2, stream);
    // gzip: its trailer's size field (here 4 GiB - 1) is never read for sizing,
    // and the data inside claims 10^12 rows. The peak is the decoder's fixed
    // state (the 32 KiB window, the inflate tables, a 32 KiB read buffer: 77 KB
    // measured), the same for any claim: 128 KiB is its bound.
    let mut gz = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&npy_claiming(DType::F32, &[1_000_000_000_000, 4])).unwrap();
        e.finish().unwrap()
    };
    refused_within("huge.npy.gz", &gz, 128 << 10, stream);
    let n = gz.len();
    gz[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
    refused_within("isize.npy.gz", &gz, 128 << 10, stream);
}

/// HDF5: files written by h5py whose `train` claims 10^12 x 128
/// (chunked, no chunk written: it would read as fill values) and 10^9 x 128
/// (contiguous, never allocated), 1,400 bytes each
/// (`fuzz/make_hdf5_seeds.py`). Decoding is capped at 1032 times the file's
/// length (DEFLATE's largest ratio) before anything is allocated.
#[test]
fn hdf5_datasets_claiming_huge_shapes_are_refused_before_allocating() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for name in ["huge_chunked.hdf5", "huge_contiguous.hdf5"] {
        let bytes = std::fs::read(data.join(name)).unwrap();
        refused(name, &bytes, |p, b| sigah_core::io::hdf5::Hdf5::open(p, b)?.vectors("train"));
    }
    // Found by the `hdf5` fuzz target: a 1,122-byte file whose object header
    // claims 65,535 messages. hdf5-reader reserves room for them before it
    // reads one (`Vec::with_capacity` of its 16-bit count, 144 bytes each):
    // 9.4 MB, the most any header can claim, whatever the file. Bounded, so
    // allowed; anything beyond it would be a claim believed.
    let bytes = std::fs::read(data.join("message_count.hdf5")).unwrap();
    refused_within("message_count.hdf5", &bytes, (64 << 10) + 65_535 * 144, |p, b| {
        sigah_core::io::hdf5::Hdf5::open(p, b)?.vectors("train")
    });
}

/// Heap bytes `f`'s result keeps alive on this thread, and the peak above the start.
fn kept_and_peak<T>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    (out, LIVE.with(Cell::get).saturating_sub(base), PEAK.with(Cell::get) - base)
}

#[test]
fn codes_cost_n_times_bits_over_8_bytes_and_maps_cost_none() {
    // docs/SCALE.md: an index of n codes uses n · bits / 8 bytes plus O(1), and a mapped
    // index (or codes file) opens in O(1): no copy, whatever the width.
    let dir = tempfile::tempdir().unwrap();
    let n = 100_000;
    for bits in [8, 16, 24, 32, 40, 64, 72, 96, 128] {
        let want = n * bits / 8;
        let bytes: Vec<u8> = (0..want).map(|i| (i * 31 % 251) as u8).collect();
        let codes = Codes::from_bytes(bits, &bytes).unwrap();
        let npy_path = dir.path().join(format!("c{bits}.npy"));
        codes.write_npy(&npy_path).unwrap();
        let idx_path = dir.path().join(format!("i{bits}.sigahidx"));
        HammingIndex::from_codes(codes.clone()).save(&idx_path).unwrap();
        assert_eq!(std::fs::metadata(&idx_path).unwrap().len() as usize, 64 + want);

        // In memory: the rows plus under 8 bytes of rounding.
        let (c, kept, _) = kept_and_peak(|| Codes::from_bytes(bits, &bytes).unwrap());
        assert!(kept >= want && kept < want + 8, "{bits} bits: from_bytes keeps {kept} B for {want} B of codes");
        assert_eq!(c.memory_bytes(), kept);
        let (i, kept, _) = kept_and_peak(|| HammingIndex::load(&idx_path).unwrap());
        assert!(kept >= want && kept < want + 8, "{bits} bits: a loaded index keeps {kept} B for {want} B");
        assert_eq!(i.memory_bytes(), std::mem::size_of::<HammingIndex>() + kept);
        let (_, kept, _) = kept_and_peak(|| Codes::read_npy(&npy_path).unwrap());
        assert!(kept >= want && kept < want + 8, "{bits} bits: read_npy keeps {kept} B for {want} B");

        // Mapped: no copy of the rows, at any point.
        let (m, _, peak) = kept_and_peak(|| Codes::open_npy(&npy_path).unwrap());
        assert!(m.is_mapped() && m == codes);
        assert!(peak < 64 << 10, "{bits} bits: open_npy allocated {peak} B for {want} B of codes");
        let (m, _, peak) = kept_and_peak(|| HammingIndex::open(&idx_path).unwrap());
        assert!(m.codes().is_mapped() && m.codes() == &codes);
        assert!(peak < 64 << 10, "{bits} bits: HammingIndex::open allocated {peak} B for {want} B of codes");
    }
}

#[test]
fn opening_an_index_with_stored_tables_maps_them_without_allocating() {
    // docs/PERFORMANCE.md, "Multi-index hashing": multi-index tables are stored in the index file (version 4) and
    // opening maps them: 1M codes, O(1) heap at any point of the open.
    let dir = tempfile::tempdir().unwrap();
    let n = 1_000_000;
    for bits in [64, 128] {
        let bytes: Vec<u8> =
            (0..n * bits / 8).map(|i| ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8).collect();
        let mut index = HammingIndex::from_codes(Codes::from_bytes(bits, &bytes).unwrap());
        index.build_multi_index(None).unwrap();
        let path = dir.path().join(format!("t{bits}.sigah"));
        index.save(&path).unwrap();
        let (opened, _, peak) = kept_and_peak(|| HammingIndex::open(&path).unwrap());
        let mi = opened.multi_index().expect("tables stored");
        assert!(mi.is_mapped() && opened.codes().is_mapped());
        assert!(mi.table_bytes() > n * 4, "{bits} bits: {} table bytes", mi.table_bytes());
        assert!(peak < 64 << 10, "{bits} bits: opening allocated {peak} B");
        let codes = opened.codes().memory_bytes();
        assert_eq!(opened.memory_bytes(), std::mem::size_of::<HammingIndex>() + codes + mi.memory_bytes());
    }
}
