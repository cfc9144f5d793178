//! The latency the SFU adds, measured on the wire rather than by the load tool.
//!
//! The load tool's own figure (receive time minus the send time a payload carries) includes
//! the time the tool takes to read and decrypt what it receives; when the tool has more
//! participants than its core can serve, that dominates. Here `tcpdump` records every UDP
//! datagram on the interface with the kernel's timestamp, taken when the sender hands the
//! datagram to the kernel. SRTP leaves the RTP header in clear, so a publisher's packet
//! (its SSRC and sequence number) and the copy the server forwards (the subscriber's SSRC and
//! sequence number, rewritten) can both be found in the capture. Which forwarded packet is
//! the copy of which received one is what the synthetic subscribers learn when they decrypt
//! it (the publisher writes its SSRC and sequence number into the payload). The difference
//! of the two timestamps is the time between the publisher's `sendmsg` and the server's:
//! everything the server does, and nothing the load tool does on its receiving side.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead as _, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context as _};

/// One packet the server forwarded, as a subscriber received it, and the publisher's packet
/// it is a copy of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forwarded {
    /// SSRC and sequence number on the subscriber's connection.
    pub out: (u32, u16),
    /// SSRC and sequence number on the publisher's connection.
    pub from: (u32, u16),
}

/// A running `tcpdump` writing what it captures to a file.
pub struct Capture {
    child: Child,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Capture {
    /// Starts capturing the UDP traffic of `interface`, and waits until `tcpdump` listens.
    /// Only the first 96 bytes of each datagram are kept: the RTP header is all that is read.
    pub fn start(interface: &str) -> anyhow::Result<Capture> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("wire.pcap");
        let mut child = Command::new("tcpdump")
            .args(["-i", interface, "-n", "-s", "96", "-B", "65536", "-w"])
            .arg(&path)
            .arg("udp")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting tcpdump (apt-get install tcpdump; capturing needs root)")?;
        let stderr = child.stderr.take().context("tcpdump's stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("listening on") => break,
                Some(Ok(_)) => {}
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    bail!("tcpdump did not start capturing on {interface} (it needs root)");
                }
            }
        }
        // Keep reading its stderr so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Capture {
            child,
            path,
            _dir: dir,
        })
    }

    /// Stops the capture (SIGINT, so that tcpdump writes out what it buffered) and pairs the
    /// timestamps of `forwarded` packets with those of the packets they are copies of.
    /// Returns the server's added latencies in microseconds and the number of packets that
    /// could not be paired (not captured: the kernel's capture buffer overflowed).
    pub fn finish(mut self, forwarded: &[Forwarded]) -> anyhow::Result<(Vec<u32>, usize)> {
        let stopped = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        if !stopped.is_ok_and(|s| s.success()) {
            let _ = self.child.kill();
        }
        self.child.wait()?;
        let seen = rtp_timestamps(&self.path)?;
        Ok(pair(&seen, forwarded))
    }
}

/// The kernel timestamp of the first datagram carrying each (SSRC, sequence number) of RTP.
fn rtp_timestamps(path: &Path) -> anyhow::Result<HashMap<(u32, u16), Duration>> {
    let mut seen = HashMap::new();
    let mut capture = Pcap::open(BufReader::new(File::open(path)?))?;
    let link = capture.link;
    while let Some((at, frame)) = capture.next()? {
        let Some(datagram) = udp_payload(link, frame) else {
            continue;
        };
        if let Some(key) = rtp_key(datagram) {
            seen.entry(key).or_insert(at);
        }
    }
    Ok(seen)
}

/// Link types of the capture file format (tcpdump's `LINKTYPE_`).
const ETHERNET: u32 = 1;
const RAW_IP: u32 = 101;
const LINUX_COOKED: u32 = 113;

/// A reader of the classic capture file format that tcpdump writes (`pcap-savefile(5)`).
/// Written here because the `pcap-file` crate refuses the records of a capture with a
/// snapshot length, which this one has to stay small at tens of thousands of packets a
/// second.
struct Pcap<R> {
    input: R,
    link: u32,
    big_endian: bool,
    /// Nanosecond timestamps rather than microsecond ones.
    nanos: bool,
    frame: Vec<u8>,
}

impl<R: Read> Pcap<R> {
    fn open(mut input: R) -> anyhow::Result<Pcap<R>> {
        let mut header = [0u8; 24];
        input
            .read_exact(&mut header)
            .context("the capture has no header")?;
        let magic = [header[0], header[1], header[2], header[3]];
        let (big_endian, nanos) = match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] => (false, false),
            [0xa1, 0xb2, 0xc3, 0xd4] => (true, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => (false, true),
            [0xa1, 0xb2, 0x3c, 0x4d] => (true, true),
            _ => bail!("not a capture file (pcap magic number)"),
        };
        let mut pcap = Pcap {
            input,
            link: 0,
            big_endian,
            nanos,
            frame: Vec::new(),
        };
        pcap.link = pcap.u32_at(&header, 20) & 0x0fff_ffff;
        Ok(pcap)
    }

    fn u32_at(&self, bytes: &[u8], at: usize) -> u32 {
        let mut b = [0u8; 4];
        b.copy_from_slice(&bytes[at..at + 4]);
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    /// The next record: its timestamp and the bytes captured. `None` at the end, including
    /// a last record cut short (tcpdump stopped while writing it).
    fn next(&mut self) -> anyhow::Result<Option<(Duration, &[u8])>> {
        let mut header = [0u8; 16];
        if !read_all(&mut self.input, &mut header)? {
            return Ok(None);
        }
        let seconds = u64::from(self.u32_at(&header, 0));
        let fraction = self.u32_at(&header, 4);
        let length = self.u32_at(&header, 8) as usize;
        if length > 1 << 18 {
            bail!("a capture record of {length} bytes: the file is corrupt");
        }
        self.frame.resize(length, 0);
        if !read_all(&mut self.input, &mut self.frame)? {
            return Ok(None);
        }
        let at = Duration::from_secs(seconds)
            + if self.nanos {
                Duration::from_nanos(u64::from(fraction))
            } else {
                Duration::from_micros(u64::from(fraction))
            };
        Ok(Some((at, &self.frame)))
    }
}

/// Fills `buf`; `false` when the input ends first.
fn read_all(input: &mut impl Read, buf: &mut [u8]) -> anyhow::Result<bool> {
    match input.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The payload of an IPv4 or IPv6 UDP datagram in a frame of `link`.
fn udp_payload(link: u32, frame: &[u8]) -> Option<&[u8]> {
    let ip = match link {
        ETHERNET => {
            let ethertype = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
            if ethertype != 0x0800 && ethertype != 0x86dd {
                return None;
            }
            frame.get(14..)?
        }
        RAW_IP => frame,
        // `tcpdump -i any`: a 16-byte header.
        LINUX_COOKED => frame.get(16..)?,
        _ => return None,
    };
    let udp = match ip.first()? >> 4 {
        4 => {
            if *ip.get(9)? != 17 {
                return None;
            }
            ip.get(usize::from(ip[0] & 0x0f) * 4..)?
        }
        6 => {
            // No extension headers on the datagrams this tool sends.
            if *ip.get(6)? != 17 {
                return None;
            }
            ip.get(40..)?
        }
        _ => return None,
    };
    udp.get(8..)
}

/// (SSRC, sequence number) of an RTP packet; `None` for RTCP, STUN, DTLS or anything else.
fn rtp_key(datagram: &[u8]) -> Option<(u32, u16)> {
    let header = datagram.get(..12)?;
    if header[0] >> 6 != 2 {
        return None;
    }
    // RTCP packet types 192-223 (RFC 5761 demultiplexing).
    if (64..=95).contains(&(header[1] & 0x7f)) {
        return None;
    }
    let seq = u16::from_be_bytes([header[2], header[3]]);
    let ssrc = u32::from_be_bytes([header[8], header[9], header[10], header[11]]);
    Some((ssrc, seq))
}

/// Latencies in microseconds of the forwarded packets found with their originals, and how
/// many were not.
fn pair(seen: &HashMap<(u32, u16), Duration>, forwarded: &[Forwarded]) -> (Vec<u32>, usize) {
    let mut latencies = Vec::with_capacity(forwarded.len());
    let mut unpaired = 0;
    for f in forwarded {
        match (seen.get(&f.from), seen.get(&f.out)) {
            (Some(sent), Some(out)) => {
                let micros = out.saturating_sub(*sent).as_micros();
                latencies.push(u32::try_from(micros).unwrap_or(u32::MAX));
            }
            _ => unpaired += 1,
        }
    }
    (latencies, unpaired)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtp(ssrc: u32, seq: u16) -> Vec<u8> {
        let mut p = vec![0x90, 96];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 1]);
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(&[0xbe, 0xde, 0, 0]);
        p
    }

    fn ethernet_ipv4_udp(payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0]);
        f.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
        f.extend_from_slice(&[0x9c, 0x40, 0x9c, 0x41, 0, 0, 0, 0]);
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn rtp_is_told_from_rtcp_stun_and_dtls() {
        assert_eq!(rtp_key(&rtp(7, 9)), Some((7, 9)));
        let mut rtcp = rtp(7, 9);
        rtcp[1] = 200; // a sender report
        assert_eq!(rtp_key(&rtcp), None);
        let mut twcc = rtp(7, 9);
        twcc[1] = 205;
        assert_eq!(rtp_key(&twcc), None);
        assert_eq!(
            rtp_key(&[0x00, 0x01, 0, 0, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0]),
            None
        );
        assert_eq!(rtp_key(&[22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(rtp_key(&[0x80, 96]), None);
    }

    #[test]
    fn the_udp_payload_is_found_in_an_ethernet_frame_and_not_in_tcp() {
        let frame = ethernet_ipv4_udp(&rtp(1, 2));
        assert_eq!(udp_payload(ETHERNET, &frame), Some(&rtp(1, 2)[..]));
        let mut tcp = frame.clone();
        tcp[14 + 9] = 6;
        assert_eq!(udp_payload(ETHERNET, &tcp), None);
        assert_eq!(udp_payload(ETHERNET, &frame[..20]), None);
    }

    #[test]
    fn a_capture_with_a_snapshot_length_is_read_and_a_cut_last_record_ignored() {
        let mut file = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
        file.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        file.extend_from_slice(&64u32.to_le_bytes());
        file.extend_from_slice(&ETHERNET.to_le_bytes());
        let frame = ethernet_ipv4_udp(&rtp(5, 6));
        for (seconds, micros) in [(100u32, 250u32), (101, 0)] {
            file.extend_from_slice(&seconds.to_le_bytes());
            file.extend_from_slice(&micros.to_le_bytes());
            file.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            file.extend_from_slice(&1400u32.to_le_bytes());
            file.extend_from_slice(&frame);
        }
        file.truncate(file.len() - 3);
        let mut pcap = Pcap::open(&file[..]).unwrap();
        assert_eq!(pcap.link, ETHERNET);
        let (at, got) = pcap.next().unwrap().unwrap();
        assert_eq!(at, Duration::from_micros(100_000_250));
        assert_eq!(rtp_key(udp_payload(ETHERNET, got).unwrap()), Some((5, 6)));
        assert!(pcap.next().unwrap().is_none());
        assert!(Pcap::open(&b"not a capture file at all"[..]).is_err());
    }

    #[test]
    fn forwarded_packets_are_paired_with_what_they_copy() {
        let seen = HashMap::from([
            ((10, 1), Duration::from_micros(1_000)),
            ((20, 501), Duration::from_micros(1_350)),
            ((10, 2), Duration::from_micros(2_000)),
        ]);
        let forwarded = [
            Forwarded {
                out: (20, 501),
                from: (10, 1),
            },
            // The copy of (10, 2) was not captured.
            Forwarded {
                out: (20, 502),
                from: (10, 2),
            },
        ];
        assert_eq!(pair(&seen, &forwarded), (vec![350], 1));
    }
}
