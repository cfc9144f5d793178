//! A minimal ZIP writer, for OpenDocument files: entries stored or deflated, in the order
//! written, no encryption, no ZIP64 (an exported pad is far below 4 GB).

use std::io::Write as _;

use flate2::write::DeflateEncoder;
use flate2::Compression;

/// How an entry is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// As is (ODF requires it for `mimetype`).
    Stored,
    /// Deflated.
    Deflated,
}

struct Entry {
    name: String,
    method: Method,
    crc: u32,
    compressed: u32,
    size: u32,
    offset: u32,
}

/// A ZIP archive being written into memory.
#[derive(Default)]
pub struct ZipWriter {
    out: Vec<u8>,
    entries: Vec<Entry>,
}

/// 1980-01-01 00:00, the earliest MS-DOS date: exports carry no time of their own.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;

fn u16_le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u32_le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn small(n: usize) -> std::io::Result<u32> {
    u32::try_from(n).map_err(|_| std::io::Error::other("too large for a ZIP without ZIP64"))
}

impl ZipWriter {
    /// Adds `name` with `data`.
    pub fn add(&mut self, name: &str, data: &[u8], method: Method) -> std::io::Result<()> {
        let compressed = match method {
            Method::Stored => data.to_vec(),
            Method::Deflated => {
                let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
                encoder.write_all(data)?;
                encoder.finish()?
            }
        };
        let entry = Entry {
            name: name.to_owned(),
            method,
            crc: crc32fast::hash(data),
            compressed: small(compressed.len())?,
            size: small(data.len())?,
            offset: small(self.out.len())?,
        };
        let out = &mut self.out;
        u32_le(out, 0x0403_4b50);
        u16_le(out, 20); // version needed: 2.0
        u16_le(out, 0x0800); // flags: names in UTF-8
        u16_le(out, entry.method_code());
        u16_le(out, DOS_TIME);
        u16_le(out, DOS_DATE);
        u32_le(out, entry.crc);
        u32_le(out, entry.compressed);
        u32_le(out, entry.size);
        u16_le(
            out,
            u16::try_from(name.len()).map_err(std::io::Error::other)?,
        );
        u16_le(out, 0); // no extra field
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&compressed);
        self.entries.push(entry);
        Ok(())
    }

    /// The archive, with its central directory.
    pub fn finish(mut self) -> std::io::Result<Vec<u8>> {
        let directory_offset = small(self.out.len())?;
        let out = &mut self.out;
        for entry in &self.entries {
            u32_le(out, 0x0201_4b50);
            u16_le(out, 20); // made by: 2.0, MS-DOS attributes
            u16_le(out, 20);
            u16_le(out, 0x0800);
            u16_le(out, entry.method_code());
            u16_le(out, DOS_TIME);
            u16_le(out, DOS_DATE);
            u32_le(out, entry.crc);
            u32_le(out, entry.compressed);
            u32_le(out, entry.size);
            u16_le(
                out,
                u16::try_from(entry.name.len()).map_err(std::io::Error::other)?,
            );
            u16_le(out, 0); // extra
            u16_le(out, 0); // comment
            u16_le(out, 0); // disk
            u16_le(out, 0); // internal attributes
            u32_le(out, 0); // external attributes
            u32_le(out, entry.offset);
            out.extend_from_slice(entry.name.as_bytes());
        }
        let directory_size = small(out.len())? - directory_offset;
        let count = u16::try_from(self.entries.len()).map_err(std::io::Error::other)?;
        u32_le(out, 0x0605_4b50);
        u16_le(out, 0);
        u16_le(out, 0);
        u16_le(out, count);
        u16_le(out, count);
        u32_le(out, directory_size);
        u32_le(out, directory_offset);
        u16_le(out, 0);
        Ok(self.out)
    }
}

impl Entry {
    fn method_code(&self) -> u16 {
        match self.method {
            Method::Stored => 0,
            Method::Deflated => 8,
        }
    }
}
