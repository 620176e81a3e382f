//! Loading training vectors within the memory budget: a training set is often
//! most of the machine's memory, so loading it must not hold it twice (peak
//! RSS measured in docs/PERFORMANCE.md, "Training ... vs PyTorch").
//!
//! The general loader ([`crate::io::vectors::load_vectors`]) maps the file and
//! copies it into the tensor, so while it runs the process holds the file's pages
//! *and* the tensor: twice the data. For the two float formats (`.npy` f32 and
//! `.fvecs`) this loader copies the mapped file in slices and releases each slice's
//! pages behind it (`madvise(MADV_DONTNEED)`), so the peak is the tensor plus one
//! slice. It handles only well-formed files: at the first irregularity (ragged or
//! truncated row, NaN, another dtype) it hands over to the general loader, whose
//! error names the file, the row and the problem. It decides the format with the
//! general loader's one detection step ([`Format::of_content`]) and reads the
//! headers with its parsers (`npy::parse_header`, `vectors::texmex_head`).

use std::path::Path;

use crate::io::input;
use crate::io::npy::{self, DType};
use crate::io::vectors::{load_vectors, texmex_head, Format};
use crate::{Error, Result, Tensor};

/// Loads the vectors a command trains on or encodes: a regular file through
/// the lean loader ([`load_training_vectors`], which holds the
/// data once), anything else (standard input, a named pipe, a device) through
/// [`load_vectors`]. The lean loader opens the file to look at it: a pipe
/// opened and closed so loses what its writer had written, and the second
/// opening then waits for a writer that never comes (a hang). The
/// check here only asks the file system (`stat`), which opens nothing.
pub fn load_data(path: &Path) -> Result<Tensor> {
    if !input::is_stdin(path) && std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        load_training_vectors(path)
    } else {
        load_vectors(path)
    }
}

/// Bytes copied between two releases of the mapped pages.
const SLICE: usize = 1 << 20;

/// Loads a vector file (any format [`load_vectors`] reads) as an `n × d` tensor,
/// without holding two copies of `.npy` f32 and `.fvecs` data.
pub fn load_training_vectors(path: &Path) -> Result<Tensor> {
    match lean_load(path)? {
        Some(t) => Ok(t),
        None => load_vectors(path),
    }
}

/// The mapped file, or `None` if it cannot be mapped (empty), is in another
/// format (`.gz` included) or cannot be read in slices.
fn lean_load(path: &Path) -> Result<Option<Tensor>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    let len = meta.len();
    // Not a regular file (a folder, a pipe): the general loader says what it is.
    if !meta.is_file() || len == 0 || usize::try_from(len).is_err() {
        return Ok(None);
    }
    // SAFETY: a read-only shared mapping of a file we only read; a concurrent
    // truncation by another process could fault, the documented risk of every
    // mapped reader (the general loader takes the same one).
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
    let mut released = 0usize;
    let mut release_up_to = |end: usize| {
        let page = 4096;
        let end = end.min(map.len()) / page * page;
        if end > released {
            // SAFETY: MADV_DONTNEED on a shared read-only file mapping only drops
            // the pages from this process; touching them again re-reads the file,
            // so no memory is invalidated. The range lies inside the mapping.
            let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, released, end - released) };
            released = end;
        }
    };
    let bytes: &[u8] = &map;
    let format = Format::of_content(path, bytes).ok();
    if format == Some(Format::Npy) {
        let Ok(header) = npy::parse_header(path, bytes) else { return Ok(None) };
        let (DType::F32, [n, d]) = (header.dtype, header.shape.as_slice()) else { return Ok(None) };
        let (n, d) = (*n, *d);
        let mut data = Vec::with_capacity(n * d);
        let body = &bytes[header.data_offset..header.data_offset + 4 * n * d];
        for (k, slice) in body.chunks(SLICE).enumerate() {
            let before = data.len();
            data.extend(slice.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])));
            if !data[before..].iter().all(|v| v.is_finite()) {
                return Ok(None);
            }
            release_up_to(header.data_offset + (k + 1) * SLICE);
        }
        return Ok(Some(Tensor::new(n, d, data)));
    }
    if format != Some(Format::Fvecs) {
        return Ok(None);
    }
    // .fvecs: every row is an i32 dimension then that many f32.
    let Ok((n, d, row_bytes)) = texmex_head(path, bytes, 4) else { return Ok(None) };
    if n * row_bytes != bytes.len() {
        return Ok(None);
    }
    let head = &bytes[..4];
    let mut data = Vec::with_capacity(n * d);
    let mut next_release = SLICE;
    for (i, row) in bytes.chunks_exact(row_bytes).enumerate() {
        if row[..4] != head[..] {
            return Ok(None);
        }
        let before = data.len();
        data.extend(row[4..].chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])));
        if !data[before..].iter().all(|v| v.is_finite()) {
            return Ok(None);
        }
        if (i + 1) * row_bytes >= next_release {
            release_up_to((i + 1) * row_bytes);
            next_release += SLICE;
        }
    }
    Ok(Some(Tensor::new(n, d, data)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lean_and_general_loaders_agree_and_errors_come_from_the_general_one() {
        let dir = tempfile::tempdir().unwrap();
        let (n, d) = (9000, 37); // several slices of the npy body
        let vals: Vec<f32> = (0..n * d).map(|i| (i as f32 * 0.37).sin()).collect();
        let np = dir.path().join("a.npy");
        npy::write(&np, &[n, d], &vals).unwrap();
        let fv = dir.path().join("a.fvecs");
        let mut b = Vec::new();
        for r in vals.chunks(d) {
            b.extend((d as i32).to_le_bytes());
            r.iter().for_each(|v| b.extend(v.to_le_bytes()));
        }
        std::fs::write(&fv, &b).unwrap();
        for p in [&np, &fv] {
            let t = load_training_vectors(p).unwrap();
            assert_eq!(t, load_vectors(p).unwrap());
            assert_eq!((t.rows, t.cols), (n, d));
        }
        // NaN in row 2000: the general loader's located error.
        let mut bad = b.clone();
        let off = 2000 * (4 + 4 * d) + 4 + 4 * 5;
        bad[off..off + 4].copy_from_slice(&f32::NAN.to_le_bytes());
        std::fs::write(&fv, &bad).unwrap();
        let e = load_training_vectors(&fv).unwrap_err().to_string();
        assert!(e.contains("row 2000") && e.contains("column 5"), "{e}");
        // Truncated.
        std::fs::write(&fv, &b[..b.len() - 3]).unwrap();
        let e = load_training_vectors(&fv).unwrap_err().to_string();
        assert!(e.contains("truncated row 8999"), "{e}");
    }
}
