//! Where an input's bytes come from (docs/ROBUSTNESS.md §1): a regular file is memory-mapped;
//! standard input (`-`), a named pipe or a device is read as a stream, in one
//! pass, since it cannot seek; a gzip-compressed input (known by its magic
//! bytes, whatever its name) is decompressed as a stream too.
//!
//! Streams of `.npy`, `.fvecs` and `.bvecs` are parsed as they arrive, so the
//! process holds the vectors once, not the raw bytes beside them. CSV, `.ivecs`
//! and labels are small or need the whole text: they are read to the end
//! first. HDF5 needs random access: on a stream it is refused with a message
//! saying to use a file (a `.gz` *file* holding HDF5 is decompressed into
//! memory and read from there).
//!
//! Nothing here allocates from a size the input claims: every buffer grows
//! with the bytes that actually arrive ([`read_up_to`]), so a 20-byte stream
//! claiming 10^12 rows costs 20 bytes. (gzip's trailer states the decompressed
//! size; it is never read.)

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::io::npy;
use crate::io::sniff::{self, Kind};
use crate::{Error, Result, Tensor};

/// The whole content of a regular file, memory-mapped when it is not empty (so
/// a multi-GB `.fvecs` costs its size once, as the output tensor, not twice),
/// or bytes read from a stream.
pub(crate) enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// An opened input.
pub(crate) enum Opened {
    /// A regular file's bytes.
    File(Bytes),
    /// A stream (standard input, a pipe, a device, or gzip-compressed data).
    Stream(Stream),
}

/// A stream and what is known about it.
pub(crate) struct Stream {
    /// The decoded bytes: the first [`sniff::SNIFF_LEN`] already read into
    /// `head` are chained back in front.
    pub reader: Box<dyn Read>,
    /// The kind its first bytes say (after gzip decompression).
    pub kind: Kind,
    /// The name whose extension tells texmex and CSV apart: the path without
    /// its `.gz`; `-` for standard input.
    pub name: PathBuf,
    /// Whether the bytes could be read again from the start (a `.gz` file):
    /// then HDF5, which needs random access, is decompressed into memory.
    pub rereadable: bool,
}

/// Whether `path` means standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Opens `path`: `-` is standard input; a folder is an error; a regular file is
/// mapped unless its bytes say gzip; anything else (a pipe, a device) is a stream.
pub(crate) fn open(path: &Path) -> Result<Opened> {
    if is_stdin(path) {
        return stream(path, Box::new(std::io::stdin()), path.to_path_buf(), false).map(Opened::Stream);
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        // Opening a folder succeeds on Unix; mapping it fails with a baffling errno.
        return Err(Error::format(path, 0, "this is a folder, not a file"));
    }
    if !meta.is_file() {
        // A FIFO or a device: mapping fails and the size is 0, so treating it as
        // a file would read a named pipe as an "empty file" and hang its writer.
        // Read it as a stream.
        return stream(path, Box::new(file), path.to_path_buf(), false).map(Opened::Stream);
    }
    if meta.len() == 0 {
        // Mapping an empty file fails on some platforms; there is nothing to map.
        return Ok(Opened::File(Bytes::Owned(Vec::new())));
    }
    // SAFETY: the map is read-only and lives only while a loader copies out of
    // it. Another process truncating the file meanwhile could fault (SIGBUS); that
    // is the documented risk of every memory-mapped reader and the price of not
    // holding a second copy of a multi-GB file.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
    if sniff::of_bytes(&map[..map.len().min(sniff::SNIFF_LEN)]) == Kind::Gzip {
        drop(map);
        return stream(path, Box::new(std::io::BufReader::new(file)), path.to_path_buf(), true).map(Opened::Stream);
    }
    Ok(Opened::File(Bytes::Mapped(map)))
}

/// A stream from `reader`, decompressed if its first bytes say gzip, with its
/// kind sniffed from the (decompressed) first bytes.
pub(crate) fn stream(path: &Path, reader: Box<dyn Read>, name: PathBuf, rereadable: bool) -> Result<Stream> {
    let (head, reader) = peek(path, reader)?;
    let (kind, reader, name) = if sniff::of_bytes(&head) == Kind::Gzip {
        // MultiGzDecoder: `cat a.gz b.gz` is one valid gzip stream of both, as
        // gunzip reads it.
        let decoded: Box<dyn Read> = Box::new(flate2::read::MultiGzDecoder::new(reader));
        let (inner, decoded) = peek(path, decoded)?;
        let stripped = match name.extension() {
            Some(e) if e.eq_ignore_ascii_case("gz") => name.with_extension(""),
            _ => name,
        };
        (sniff::of_bytes(&inner), decoded, stripped)
    } else {
        (sniff::of_bytes(&head), reader, name)
    };
    if kind == Kind::Gzip {
        return Err(Error::format(path, 0, "gzip-compressed twice: decompress it once (gunzip) first"));
    }
    Ok(Stream { reader, kind, name, rereadable })
}

/// The first [`sniff::SNIFF_LEN`] bytes of `reader` (fewer if it ends), and a
/// reader that yields them again followed by the rest.
fn peek(path: &Path, mut reader: Box<dyn Read>) -> Result<(Vec<u8>, Box<dyn Read>)> {
    let mut head = Vec::with_capacity(sniff::SNIFF_LEN);
    read_up_to(&mut reader, sniff::SNIFF_LEN, &mut head).map_err(|e| Error::io(path, e))?;
    Ok((head.clone(), Box::new(std::io::Cursor::new(head).chain(reader))))
}

/// Appends up to `n` bytes of `reader` to `out`, fewer only at its end, and
/// returns how many. `out` grows with the bytes that arrive, 64 KiB at a time,
/// never by `n` up front: `n` may come from a size the input claims.
pub fn read_up_to<R: Read + ?Sized>(reader: &mut R, n: usize, out: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut buf = [0u8; 1 << 16];
    let mut got = 0;
    while got < n {
        let want = (n - got).min(buf.len());
        match reader.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(k) => {
                out.extend_from_slice(&buf[..k]);
                got += k;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

impl Stream {
    /// The rest of the stream, read to its end.
    pub fn read_all(mut self, path: &Path) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.reader.read_to_end(&mut out).map_err(|e| Error::io(path, e))?;
        Ok(out)
    }

    /// Refuses HDF5 on a stream that cannot be read again (see the module doc).
    pub fn check_seekable(&self, path: &Path) -> Result<()> {
        if self.kind == Kind::Hdf5 && !self.rereadable {
            return Err(Error::format(
                path,
                0,
                "HDF5 is read by seeking, which standard input and pipes cannot do: save it as a file and give its path",
            ));
        }
        Ok(())
    }
}

/// Reads a texmex stream (`.fvecs` when `elem` is 4, `.bvecs` when 1) row by
/// row: the same checks and messages as [`crate::io::vectors::parse_fvecs`],
/// with byte offsets counted in the stream.
pub fn read_texmex<R: Read>(path: &Path, mut reader: R, elem: usize) -> Result<Tensor> {
    let io = |e| Error::io(path, e);
    let mut data = Vec::new();
    let mut row_bytes = Vec::new();
    let (mut dim, mut rows, mut offset) = (0usize, 0usize, 0u64);
    loop {
        let mut head = Vec::with_capacity(4);
        match read_up_to(&mut reader, 4, &mut head).map_err(io)? {
            0 => break,
            4 => {}
            _ => {
                return Err(Error::format(path, offset, format!("truncated row {rows}: no room for its dimension")));
            }
        }
        let d = i32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        if d <= 0 {
            return Err(Error::format(path, offset, format!("row {rows} claims dimension {d}, which is not positive")));
        }
        if rows == 0 {
            dim = d as usize;
        } else if d as usize != dim {
            return Err(Error::format(path, offset, format!("row {rows} has dimension {d}, but row 0 has {dim}")));
        }
        let need = dim * elem;
        row_bytes.clear();
        let got = read_up_to(&mut reader, need, &mut row_bytes).map_err(io)?;
        if got < need {
            return Err(Error::format(
                path,
                offset,
                format!("truncated row {rows}: {} bytes, a row of dimension {dim} needs {}", got + 4, need + 4),
            ));
        }
        if elem == 1 {
            data.extend(row_bytes.iter().map(|&b| b as f32));
        } else {
            for (j, c) in row_bytes.chunks_exact(4).enumerate() {
                let v = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                if !v.is_finite() {
                    let at = offset + 4 + 4 * j as u64;
                    return Err(Error::format(path, at, format!("row {rows}, column {j}: value {v} is not finite")));
                }
                data.push(v);
            }
        }
        rows += 1;
        offset += (need + 4) as u64;
    }
    if rows == 0 {
        return Err(Error::format(path, 0, "empty file: no vectors"));
    }
    Ok(Tensor::new(rows, dim, data))
}

/// Reads a `.npy` stream of vectors: the header, then the data in 1 MiB
/// pieces converted to f32 as they arrive (the same dtypes, checks and
/// messages as [`crate::io::vectors::parse_npy_vectors`]).
pub fn read_npy<R: Read>(path: &Path, mut reader: R) -> Result<Tensor> {
    let io = |e| Error::io(path, e);
    let mut head = Vec::new();
    read_up_to(&mut reader, 12, &mut head).map_err(io)?;
    // The header length sits at bytes 8..10 (version 1) or 8..12 (2 and 3);
    // parse_header_only names a bad magic or version from these bytes.
    let (len, start) = match (head.get(6), head.get(8..12)) {
        (Some(1), Some(b)) => (u16::from_le_bytes([b[0], b[1]]) as usize, 10),
        (Some(2 | 3), Some(b)) => (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12),
        _ => (0, 0),
    };
    let more = (start + len).saturating_sub(head.len());
    read_up_to(&mut reader, more, &mut head).map_err(io)?;
    let header = npy::parse_header_only(path, &head)?;
    let (n, d) = npy::vector_shape(path, &header)?;
    let body = npy::body_len(path, &header)?;
    // The header's last bytes may have come with the first read: start the
    // data with whatever followed the header.
    let mut pending = head.split_off(header.data_offset.min(head.len()));
    let size = header.dtype.size();
    let piece = (1 << 20) / size * size;
    let mut data = Vec::new();
    let mut done = 0usize;
    while done < body {
        let want = (body - done).min(piece);
        let have = pending.len().min(want);
        let mut chunk: Vec<u8> = pending.drain(..have).collect();
        let got = have + read_up_to(&mut reader, want - have, &mut chunk).map_err(io)?;
        if got < want {
            return Err(Error::format(
                path,
                (header.data_offset + done + got) as u64,
                format!(
                    "truncated: shape {:?} of {} needs {body} bytes of data, the stream has {}",
                    header.shape,
                    header.dtype.descr(),
                    done + got
                ),
            ));
        }
        let first = done / size;
        let values = npy::to_f32(header.dtype, &chunk, want / size)
            .map_err(|(i, v)| npy::vector_value_error(path, &header, d, first + i, v))?;
        data.extend_from_slice(&values);
        done += want;
    }
    // Read to the end, as the file loader ignores what follows the data: a
    // gzip stream's checksum is only checked there (a cut or corrupt `.gz`
    // must not pass for whole), and a writer into a pipe is not cut off.
    std::io::copy(&mut reader, &mut std::io::sink()).map_err(io)?;
    Ok(Tensor::new(n, d, data))
}
