//! PostgreSQL's wire protocol, version 3.0: framing, and the few messages
//! the proxy reads or writes itself. Every other message passes through
//! as the bytes it arrived as.
//!
//! Framing is ours rather than a codec crate's: the proxy forwards most
//! messages untouched, so it reads each one's tag and length, keeps the
//! body as a slice of the read buffer, and parses a body only when it has
//! to (a query's text, a command's tag, an error's fields).

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The protocol version of a startup message: 3.0.
pub const PROTOCOL_3_0: i32 = 196_608;
pub const SSL_REQUEST: i32 = 80_877_103;
pub const GSSENC_REQUEST: i32 = 80_877_104;
pub const CANCEL_REQUEST: i32 = 80_877_102;

/// The least room a read of a connection has in its buffer.
const READ_CHUNK: usize = 8192;

/// The largest startup packet accepted, as PostgreSQL's own limit.
const MAX_STARTUP: usize = 10_000;

/// Why a connection's bytes could not be read as the protocol.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the peer closed the connection")]
    Closed,
    #[error("a message of {length} bytes is over the limit of {limit} bytes")]
    TooLarge { length: usize, limit: usize },
    #[error("malformed message: {0}")]
    Malformed(String),
}

fn malformed(what: impl Into<String>) -> WireError {
    WireError::Malformed(what.into())
}

/// The first packet of a connection, which has no tag.
#[derive(Debug)]
pub enum Startup {
    Ssl,
    GssEnc,
    Cancel { pid: i32, secret: Bytes },
    Start { version: i32, parameters: Vec<(String, String)> },
}

/// One tagged message: its type byte and its body (without the length).
#[derive(Clone, Debug)]
pub struct Message {
    pub tag: u8,
    pub body: Bytes,
}

impl Message {
    /// The message as it travels: tag, length, body.
    pub fn write_to(&self, out: &mut BytesMut) {
        out.put_u8(self.tag);
        out.put_i32(self.body.len() as i32 + 4);
        out.extend_from_slice(&self.body);
    }

    pub fn fields(&self) -> Fields {
        Fields(self.body.clone())
    }
}

/// A connection's reading half, buffered, with a limit on message size,
/// and its writing half, buffered until [`Conn::flush`].
pub struct Conn<S> {
    stream: S,
    read: BytesMut,
    pub write: BytesMut,
    limit: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    pub fn new(stream: S, limit: usize) -> Conn<S> {
        Conn { stream, read: BytesMut::with_capacity(8192), write: BytesMut::with_capacity(8192), limit }
    }

    /// The stream, and what was read from it but not yet taken (nothing,
    /// when a TLS handshake is to follow).
    pub fn into_parts(self) -> (S, BytesMut) {
        (self.stream, self.read)
    }

    async fn fill(&mut self, wanted: usize) -> Result<(), WireError> {
        while self.read.len() < wanted {
            self.read.reserve(wanted - self.read.len());
            if self.stream.read_buf(&mut self.read).await? == 0 {
                return Err(WireError::Closed);
            }
        }
        Ok(())
    }

    /// How many bytes were read and not yet taken.
    pub fn buffered(&self) -> usize {
        self.read.len()
    }

    /// Reads what the peer sends next into the buffer, to be taken as
    /// messages later: how a session learns, while it holds a statement,
    /// that its client went away (`Closed`).
    pub async fn read_more(&mut self) -> Result<(), WireError> {
        self.read.reserve(4096);
        if self.stream.read_buf(&mut self.read).await? == 0 {
            return Err(WireError::Closed);
        }
        Ok(())
    }

    /// Reads the untagged first packet of a connection.
    pub async fn startup(&mut self) -> Result<Startup, WireError> {
        self.fill(4).await?;
        let length = i32::from_be_bytes(self.read[..4].try_into().unwrap());
        if !(8..=MAX_STARTUP as i32).contains(&length) {
            return Err(malformed(format!("a startup packet of {length} bytes")));
        }
        self.fill(length as usize).await?;
        let mut packet = self.read.split_to(length as usize).freeze();
        packet.advance(4);
        let code = packet.get_i32();
        Ok(match code {
            SSL_REQUEST => Startup::Ssl,
            GSSENC_REQUEST => Startup::GssEnc,
            CANCEL_REQUEST => {
                if packet.remaining() < 8 {
                    return Err(malformed("a short cancel request"));
                }
                let pid = packet.get_i32();
                Startup::Cancel { pid, secret: packet }
            }
            version => {
                let mut fields = Fields(packet);
                let mut parameters = Vec::new();
                loop {
                    let name = fields.str()?;
                    if name.is_empty() {
                        break;
                    }
                    parameters.push((name, fields.str()?));
                }
                Startup::Start { version, parameters }
            }
        })
    }

    /// Reads one tagged message.
    pub async fn message(&mut self) -> Result<Message, WireError> {
        loop {
            if let Some(message) = self.take()? {
                return Ok(message);
            }
            // Room for what is likely waiting, so that one read takes it
            // (a full buffer would be read 64 bytes at a time).
            self.read.reserve(READ_CHUNK);
            if self.stream.read_buf(&mut self.read).await? == 0 {
                return Err(WireError::Closed);
            }
        }
    }

    /// A whole message already read, if there is one.
    pub fn take(&mut self) -> Result<Option<Message>, WireError> {
        if self.read.len() < 5 {
            return Ok(None);
        }
        let length = i32::from_be_bytes(self.read[1..5].try_into().unwrap());
        if length < 4 {
            return Err(malformed(format!("a length of {length}")));
        }
        let length = length as usize;
        if length > self.limit {
            return Err(WireError::TooLarge { length, limit: self.limit });
        }
        if self.read.len() < 1 + length {
            self.read.reserve(1 + length - self.read.len());
            return Ok(None);
        }
        let mut frame = self.read.split_to(1 + length);
        let tag = frame[0];
        frame.advance(5);
        Ok(Some(Message { tag, body: frame.freeze() }))
    }

    /// Whether a whole message waits in the buffer.
    pub fn has_message(&self) -> bool {
        self.read.len() >= 5 && {
            let length = i32::from_be_bytes(self.read[1..5].try_into().unwrap());
            length < 4 || self.read.len() > length as usize
        }
    }

    /// Sends what the write buffer holds, if anything.
    pub async fn flush(&mut self) -> Result<(), WireError> {
        if !self.write.is_empty() {
            self.stream.write_all(&self.write).await?;
            self.write.clear();
            self.stream.flush().await?;
        }
        Ok(())
    }

    /// Writes bytes at once, outside the message buffer (the one-byte
    /// answers to SSL and GSS requests).
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await?;
        Ok(())
    }

    pub async fn shutdown(&mut self) {
        let _ = self.flush().await;
        let _ = self.stream.shutdown().await;
    }
}

/// A message body being read field by field.
pub struct Fields(pub Bytes);

impl Fields {
    /// A NUL-terminated string.
    pub fn str(&mut self) -> Result<String, WireError> {
        let end = self.0.iter().position(|&byte| byte == 0).ok_or_else(|| malformed("a string without its NUL"))?;
        let text = std::str::from_utf8(&self.0[..end]).map_err(|_| malformed("a string that is not UTF-8"))?.to_owned();
        self.0.advance(end + 1);
        Ok(text)
    }

    pub fn i16(&mut self) -> Result<i16, WireError> {
        if self.0.remaining() < 2 {
            return Err(malformed("a short message"));
        }
        Ok(self.0.get_i16())
    }

    pub fn i32(&mut self) -> Result<i32, WireError> {
        if self.0.remaining() < 4 {
            return Err(malformed("a short message"));
        }
        Ok(self.0.get_i32())
    }

    pub fn u8(&mut self) -> Result<u8, WireError> {
        if self.0.remaining() < 1 {
            return Err(malformed("a short message"));
        }
        Ok(self.0.get_u8())
    }

    pub fn bytes(&mut self, count: usize) -> Result<Bytes, WireError> {
        if self.0.remaining() < count {
            return Err(malformed("a short message"));
        }
        Ok(self.0.split_to(count))
    }

    pub fn rest(self) -> Bytes {
        self.0
    }
}

/// Appends one message whose body `body` writes.
pub fn put(out: &mut BytesMut, tag: u8, body: impl FnOnce(&mut BytesMut)) {
    out.put_u8(tag);
    let at = out.len();
    out.put_i32(0);
    body(out);
    let length = (out.len() - at) as i32;
    out[at..at + 4].copy_from_slice(&length.to_be_bytes());
}

pub fn put_str(out: &mut BytesMut, text: &str) {
    out.extend_from_slice(text.as_bytes());
    out.put_u8(0);
}

/// The fields of an ErrorResponse or NoticeResponse.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// `ERROR`, `FATAL`, `NOTICE`, ...
    pub severity: &'static str,
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl Report {
    pub fn error(code: &str, message: impl Into<String>) -> Report {
        Report { severity: "ERROR", code: code.to_owned(), message: message.into(), ..Report::default() }
    }

    pub fn fatal(code: &str, message: impl Into<String>) -> Report {
        Report { severity: "FATAL", ..Report::error(code, message) }
    }

    pub fn notice(message: impl Into<String>) -> Report {
        Report { severity: "NOTICE", ..Report::error("01000", message) }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Report {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Report {
        self.hint = Some(hint.into());
        self
    }

    pub fn write_to(&self, out: &mut BytesMut) {
        let tag = if matches!(self.severity, "ERROR" | "FATAL" | "PANIC") { b'E' } else { b'N' };
        put(out, tag, |body| {
            for (field, value) in [
                (b'S', Some(self.severity)),
                (b'V', Some(self.severity)),
                (b'C', Some(self.code.as_str())),
                (b'M', Some(self.message.as_str())),
                (b'D', self.detail.as_deref()),
                (b'H', self.hint.as_deref()),
            ] {
                if let Some(value) = value {
                    body.put_u8(field);
                    put_str(body, value);
                }
            }
            body.put_u8(0);
        });
    }

    /// Reads an ErrorResponse's or NoticeResponse's fields (code, message,
    /// detail, hint; others are skipped).
    pub fn parse(body: &Bytes) -> Result<Report, WireError> {
        let mut fields = Fields(body.clone());
        let mut report = Report { severity: "ERROR", ..Report::default() };
        loop {
            let field = fields.u8()?;
            if field == 0 {
                break;
            }
            let value = fields.str()?;
            match field {
                b'V' | b'S' if value == "FATAL" => report.severity = "FATAL",
                b'C' => report.code = value,
                b'M' => report.message = value,
                b'D' => report.detail = Some(value),
                b'H' => report.hint = Some(value),
                _ => {}
            }
        }
        Ok(report)
    }
}

pub fn ready_for_query(out: &mut BytesMut, status: u8) {
    put(out, b'Z', |body| body.put_u8(status));
}

pub fn parameter_status(out: &mut BytesMut, name: &str, value: &str) {
    put(out, b'S', |body| {
        put_str(body, name);
        put_str(body, value);
    });
}

pub fn backend_key_data(out: &mut BytesMut, pid: i32, secret: i32) {
    put(out, b'K', |body| {
        body.put_i32(pid);
        body.put_i32(secret);
    });
}

/// An Authentication message: its code and the data after it.
pub fn authentication(out: &mut BytesMut, code: i32, data: &[u8]) {
    put(out, b'R', |body| {
        body.put_i32(code);
        body.extend_from_slice(data);
    });
}

pub fn query(out: &mut BytesMut, text: &str) {
    put(out, b'Q', |body| put_str(body, text));
}

/// A startup message for protocol 3.0.
pub fn startup(out: &mut BytesMut, parameters: &[(String, String)]) {
    let at = out.len();
    out.put_i32(0);
    out.put_i32(PROTOCOL_3_0);
    for (name, value) in parameters {
        put_str(out, name);
        put_str(out, value);
    }
    out.put_u8(0);
    let length = (out.len() - at) as i32;
    out[at..at + 4].copy_from_slice(&length.to_be_bytes());
}

/// A command's tag (`UPDATE 3`) and the rows it names, when it names any.
pub fn command_rows(tag: &str) -> Option<u64> {
    let mut words = tag.split(' ');
    let verb = words.next()?;
    let last = tag.rsplit(' ').next()?;
    match verb {
        "INSERT" | "UPDATE" | "DELETE" | "SELECT" | "MOVE" | "FETCH" | "COPY" | "MERGE" => last.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_framed_and_read_back() {
        let mut out = BytesMut::new();
        query(&mut out, "SELECT 1");
        Report::error("42501", "refused").with_hint("ask").write_to(&mut out);
        let bytes = out.freeze();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let mut conn = Conn::new(tokio_test_stream(bytes), 1 << 20);
            let query = conn.message().await.unwrap();
            assert_eq!(query.tag, b'Q');
            assert_eq!(query.fields().str().unwrap(), "SELECT 1");
            let error = conn.message().await.unwrap();
            assert_eq!(error.tag, b'E');
            let report = Report::parse(&error.body).unwrap();
            assert_eq!((report.code.as_str(), report.message.as_str()), ("42501", "refused"));
            assert_eq!(report.hint.as_deref(), Some("ask"));
            assert!(matches!(conn.message().await, Err(WireError::Closed)));
        });
    }

    #[test]
    fn oversized_and_negative_lengths_are_refused_before_reading_the_body() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let mut conn = Conn::new(tokio_test_stream(Bytes::from_static(b"Q\x7f\xff\xff\xff")), 1 << 20);
            assert!(matches!(conn.message().await, Err(WireError::TooLarge { .. })));
            let mut conn = Conn::new(tokio_test_stream(Bytes::from_static(b"Q\x00\x00\x00\x02")), 1 << 20);
            assert!(matches!(conn.message().await, Err(WireError::Malformed(_))));
        });
    }

    #[test]
    fn command_tags_name_their_rows() {
        let cases = [
            ("INSERT 0 5", Some(5)),
            ("UPDATE 12", Some(12)),
            ("DELETE 0", Some(0)),
            ("SELECT 3", Some(3)),
            ("COPY 7", Some(7)),
            ("MERGE 2", Some(2)),
            ("CREATE TABLE", None),
            ("BEGIN", None),
        ];
        for (tag, rows) in cases {
            assert_eq!(command_rows(tag), rows, "{tag}");
        }
    }

    /// A stream that yields `bytes` and then ends, and discards writes.
    fn tokio_test_stream(bytes: Bytes) -> impl AsyncRead + AsyncWrite + Unpin {
        let (mut near, far) = tokio::io::duplex(1 << 16);
        tokio::spawn(async move {
            near.write_all(&bytes).await.unwrap();
        });
        far
    }
}
