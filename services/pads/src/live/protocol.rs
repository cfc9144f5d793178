//! The y-websocket wire protocol: decoding what clients send and encoding what the server
//! sends. Every message is untrusted input: decoding never panics, and rejects truncated
//! integers and buffers, unknown message types and trailing bytes.
//!
//! A message starts with a lib0 variable-length unsigned integer naming its type: 0 sync
//! (then 0 step 1, 1 step 2 or 2 update, and a buffer), 1 awareness (a buffer), 2 auth (0
//! permission denied, then a string), 3 query awareness. Type 100 is Maille's
//! acknowledgement (an integer), sent only to clients that ask for it.

/// A sync message.
pub const MESSAGE_SYNC: u64 = 0;
/// An awareness message.
pub const MESSAGE_AWARENESS: u64 = 1;
/// An auth message.
pub const MESSAGE_AUTH: u64 = 2;
/// A query for everyone's awareness state.
pub const MESSAGE_QUERY_AWARENESS: u64 = 3;
/// Maille's acknowledgement of stored updates (only with `acks=1`).
pub const MESSAGE_ACK: u64 = 100;

const SYNC_STEP_1: u64 = 0;
const SYNC_STEP_2: u64 = 1;
const SYNC_UPDATE: u64 = 2;
const AUTH_PERMISSION_DENIED: u64 = 0;

/// A message from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    /// Sync step 1: the client's state vector (encoded).
    SyncStep1(Vec<u8>),
    /// Sync step 2: an update holding what the server lacked.
    SyncStep2(Vec<u8>),
    /// An update.
    Update(Vec<u8>),
    /// An awareness update (encoded).
    Awareness(Vec<u8>),
    /// A request for every awareness state.
    QueryAwareness,
}

impl ClientMessage {
    /// The update carried, for the messages that carry one.
    pub fn update(&self) -> Option<&[u8]> {
        match self {
            ClientMessage::SyncStep2(u) | ClientMessage::Update(u) => Some(u),
            _ => None,
        }
    }
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// It ended in the middle of an integer or a buffer.
    #[error("truncated message")]
    Truncated,
    /// An integer longer than 64 bits.
    #[error("integer too large")]
    IntegerTooLarge,
    /// An unknown message or sync type.
    #[error("unknown message type {0}")]
    UnknownType(u64),
    /// Bytes after the end of the message.
    #[error("trailing bytes after the message")]
    TrailingBytes,
    /// Not valid UTF-8 or JSON where text was expected.
    #[error("invalid text")]
    InvalidText,
}

/// A reader over untrusted bytes.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, position: 0 }
    }

    /// A lib0 variable-length unsigned integer.
    pub fn var_uint(&mut self) -> Result<u64, DecodeError> {
        let mut value: u64 = 0;
        let mut shift = 0u32;
        loop {
            let byte = *self
                .bytes
                .get(self.position)
                .ok_or(DecodeError::Truncated)?;
            self.position += 1;
            let low = u64::from(byte & 0x7f);
            if shift >= 64 || (shift == 63 && low > 1) {
                return Err(DecodeError::IntegerTooLarge);
            }
            value |= low << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    /// A length-prefixed buffer.
    pub fn buffer(&mut self) -> Result<&'a [u8], DecodeError> {
        let length = usize::try_from(self.var_uint()?).map_err(|_| DecodeError::Truncated)?;
        let end = self
            .position
            .checked_add(length)
            .ok_or(DecodeError::Truncated)?;
        let slice = self
            .bytes
            .get(self.position..end)
            .ok_or(DecodeError::Truncated)?;
        self.position = end;
        Ok(slice)
    }

    /// A length-prefixed UTF-8 string.
    pub fn string(&mut self) -> Result<&'a str, DecodeError> {
        std::str::from_utf8(self.buffer()?).map_err(|_| DecodeError::InvalidText)
    }

    /// Fails unless every byte was read.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.position == self.bytes.len() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

/// Appends `value` as a lib0 variable-length unsigned integer.
pub fn write_var_uint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        // Truncation is the point: the low seven bits, with the continuation bit.
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends a length-prefixed buffer.
pub fn write_buffer(out: &mut Vec<u8>, bytes: &[u8]) {
    write_var_uint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Decodes a client's message.
pub fn decode(bytes: &[u8]) -> Result<ClientMessage, DecodeError> {
    let mut reader = Reader::new(bytes);
    let message = match reader.var_uint()? {
        MESSAGE_SYNC => {
            let kind = reader.var_uint()?;
            let payload = reader.buffer()?.to_vec();
            match kind {
                SYNC_STEP_1 => ClientMessage::SyncStep1(payload),
                SYNC_STEP_2 => ClientMessage::SyncStep2(payload),
                SYNC_UPDATE => ClientMessage::Update(payload),
                other => return Err(DecodeError::UnknownType(other)),
            }
        }
        MESSAGE_AWARENESS => ClientMessage::Awareness(reader.buffer()?.to_vec()),
        MESSAGE_QUERY_AWARENESS => ClientMessage::QueryAwareness,
        other => return Err(DecodeError::UnknownType(other)),
    };
    reader.finish()?;
    Ok(message)
}

fn sync(kind: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    write_var_uint(&mut out, MESSAGE_SYNC);
    write_var_uint(&mut out, kind);
    write_buffer(&mut out, payload);
    out
}

/// Sync step 1 with this state vector.
pub fn sync_step_1(state_vector: &[u8]) -> Vec<u8> {
    sync(SYNC_STEP_1, state_vector)
}

/// Sync step 2 with this update.
pub fn sync_step_2(update: &[u8]) -> Vec<u8> {
    sync(SYNC_STEP_2, update)
}

/// An update message.
pub fn update(update: &[u8]) -> Vec<u8> {
    sync(SYNC_UPDATE, update)
}

/// An awareness message carrying this encoded awareness update.
pub fn awareness(encoded: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded.len() + 6);
    write_var_uint(&mut out, MESSAGE_AWARENESS);
    write_buffer(&mut out, encoded);
    out
}

/// An auth message: permission denied, with the reason.
pub fn permission_denied(reason: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(reason.len() + 4);
    write_var_uint(&mut out, MESSAGE_AUTH);
    write_var_uint(&mut out, AUTH_PERMISSION_DENIED);
    write_buffer(&mut out, reason.as_bytes());
    out
}

/// Maille's acknowledgement: `stored` of the connection's update-carrying messages are stored.
pub fn ack(stored: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(12);
    write_var_uint(&mut out, MESSAGE_ACK);
    write_var_uint(&mut out, stored);
    out
}

/// One client's entry in an awareness update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwarenessEntry {
    /// The Yjs client id.
    pub client: u64,
    /// Its clock: a higher one replaces a lower one.
    pub clock: u64,
    /// Its state as JSON text; `null` when it left.
    pub state: String,
}

/// Decodes an awareness update.
pub fn decode_awareness(bytes: &[u8]) -> Result<Vec<AwarenessEntry>, DecodeError> {
    let mut reader = Reader::new(bytes);
    let count = reader.var_uint()?;
    // Every entry takes at least three bytes: a count larger than that is a lie.
    if count > bytes.len() as u64 {
        return Err(DecodeError::Truncated);
    }
    let mut entries = Vec::new();
    for _ in 0..count {
        let client = reader.var_uint()?;
        let clock = reader.var_uint()?;
        let state = reader.string()?;
        if serde_json::from_str::<serde_json::Value>(state).is_err() {
            return Err(DecodeError::InvalidText);
        }
        entries.push(AwarenessEntry {
            client,
            clock,
            state: state.to_owned(),
        });
    }
    reader.finish()?;
    Ok(entries)
}

/// Encodes an awareness update.
pub fn encode_awareness<'a>(entries: impl IntoIterator<Item = &'a AwarenessEntry>) -> Vec<u8> {
    let entries: Vec<&AwarenessEntry> = entries.into_iter().collect();
    let mut out = Vec::new();
    write_var_uint(&mut out, entries.len() as u64);
    for entry in entries {
        write_var_uint(&mut out, entry.client);
        write_var_uint(&mut out, entry.clock);
        write_buffer(&mut out, entry.state.as_bytes());
    }
    out
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
