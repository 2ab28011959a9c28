//! BER-TLV parsing for the card's files: one- or two-byte tags, short or `81`/`82`
//! long-form lengths (the only forms the My Number card uses).
//!
//! Every function takes untrusted bytes and returns a typed [`TlvError`] instead of
//! panicking on truncated or inconsistent input.

/// What is wrong with a TLV encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TlvError {
    /// The input ended inside a tag, a length or a value.
    #[error("TLV truncated")]
    Truncated,
    /// A tag longer than two bytes, or an indefinite / too long length form.
    #[error("unsupported TLV form")]
    Unsupported,
    /// A tag that must be present is missing.
    #[error("TLV tag {0:04X} missing")]
    Missing(u16),
    /// A value that does not have the expected content.
    #[error("TLV tag {0:04X} has a bad value")]
    BadValue(u16),
}

/// A tag and length header: how many bytes it takes and how long the value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The tag (one byte, or two bytes big-endian).
    pub tag: u16,
    /// Bytes taken by tag and length.
    pub header_len: usize,
    /// Length of the value.
    pub value_len: usize,
}

impl Header {
    /// Header plus value length.
    pub fn total_len(&self) -> usize {
        self.header_len + self.value_len
    }
}

/// Parses the tag and length at the start of `bytes` (the value may be absent).
pub fn parse_header(bytes: &[u8]) -> Result<Header, TlvError> {
    let first = *bytes.first().ok_or(TlvError::Truncated)?;
    let (tag, mut pos) = if first & 0x1F == 0x1F {
        let second = *bytes.get(1).ok_or(TlvError::Truncated)?;
        if second & 0x80 != 0 {
            return Err(TlvError::Unsupported);
        }
        (u16::from_be_bytes([first, second]), 2)
    } else {
        (u16::from(first), 1)
    };
    let len_byte = *bytes.get(pos).ok_or(TlvError::Truncated)?;
    pos += 1;
    let value_len = match len_byte {
        0x00..=0x7F => usize::from(len_byte),
        0x81 => {
            let b = *bytes.get(pos).ok_or(TlvError::Truncated)?;
            pos += 1;
            usize::from(b)
        }
        0x82 => {
            let hi = *bytes.get(pos).ok_or(TlvError::Truncated)?;
            let lo = *bytes.get(pos + 1).ok_or(TlvError::Truncated)?;
            pos += 2;
            usize::from(u16::from_be_bytes([hi, lo]))
        }
        _ => return Err(TlvError::Unsupported),
    };
    Ok(Header {
        tag,
        header_len: pos,
        value_len,
    })
}

/// One parsed element: its tag and value, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag.
    pub tag: u16,
    /// The value bytes.
    pub value: &'a [u8],
}

/// Parses one element at the start of `bytes`; returns it and the rest.
pub fn parse_one(bytes: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let header = parse_header(bytes)?;
    let end = header.total_len();
    let value = bytes
        .get(header.header_len..end)
        .ok_or(TlvError::Truncated)?;
    let rest = bytes.get(end..).ok_or(TlvError::Truncated)?;
    Ok((
        Tlv {
            tag: header.tag,
            value,
        },
        rest,
    ))
}

/// Parses a sequence of elements that fills `bytes` exactly. Trailing `00` or `FF`
/// padding (as found at the end of card files) is ignored.
pub fn parse_all(mut bytes: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut out = Vec::new();
    while !bytes.is_empty() && !bytes.iter().all(|&b| b == 0x00 || b == 0xFF) {
        let (tlv, rest) = parse_one(bytes)?;
        out.push(tlv);
        bytes = rest;
    }
    Ok(out)
}

/// The value of the first element tagged `tag`.
pub fn find<'a>(items: &[Tlv<'a>], tag: u16) -> Result<&'a [u8], TlvError> {
    items
        .iter()
        .find(|t| t.tag == tag)
        .map(|t| t.value)
        .ok_or(TlvError::Missing(tag))
}

/// Encodes one element (used by the simulated card and by tests).
pub fn encode(tag: u16, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 5);
    if tag > 0xFF {
        out.extend_from_slice(&tag.to_be_bytes());
    } else {
        out.push(tag as u8);
    }
    match value.len() {
        n @ 0..=0x7F => out.push(n as u8),
        n @ 0x80..=0xFF => out.extend_from_slice(&[0x81, n as u8]),
        n => {
            let n = u16::try_from(n).unwrap_or(u16::MAX);
            out.push(0x82);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_of_card_files() {
        let h = parse_header(&[0x30, 0x82, 0x02, 0xC9]).unwrap();
        assert_eq!((h.tag, h.header_len, h.value_len), (0x30, 4, 0x2C9));
        let h = parse_header(&[0xFF, 0x20, 0x82, 0x0B, 0xF9]).unwrap();
        assert_eq!((h.tag, h.header_len, h.value_len), (0xFF20, 5, 0x0BF9));
        let h = parse_header(&[0xDF, 0x22, 0x81, 0x90]).unwrap();
        assert_eq!((h.tag, h.header_len, h.value_len), (0xDF22, 4, 0x90));
        let h = parse_header(&[0x90, 0x03]).unwrap();
        assert_eq!((h.tag, h.header_len, h.value_len), (0x90, 2, 3));
    }

    #[test]
    fn bad_forms_are_typed_errors() {
        assert_eq!(parse_header(&[]), Err(TlvError::Truncated));
        assert_eq!(parse_header(&[0xDF]), Err(TlvError::Truncated));
        assert_eq!(parse_header(&[0x30, 0x82, 0x01]), Err(TlvError::Truncated));
        assert_eq!(parse_header(&[0x30, 0x80]), Err(TlvError::Unsupported));
        assert_eq!(
            parse_header(&[0x30, 0x83, 0, 0, 1]),
            Err(TlvError::Unsupported)
        );
        assert_eq!(
            parse_header(&[0xDF, 0x81, 0x01]),
            Err(TlvError::Unsupported)
        );
        assert_eq!(parse_one(&[0x04, 0x05, 1, 2]), Err(TlvError::Truncated));
    }

    #[test]
    fn encode_and_parse_round_trip() {
        for len in [0usize, 1, 127, 128, 255, 256, 3000] {
            let value = vec![0xAB; len];
            let bytes = encode(0xDF27, &value);
            let (tlv, rest) = parse_one(&bytes).unwrap();
            assert_eq!(tlv.tag, 0xDF27);
            assert_eq!(tlv.value.len(), len);
            assert!(rest.is_empty());
        }
    }

    #[test]
    fn padding_after_elements_is_ignored() {
        let mut bytes = encode(0x90, &[1, 0, 1]);
        bytes.extend_from_slice(&[0xFF, 0xFF, 0x00]);
        let items = parse_all(&bytes).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(find(&items, 0x90).unwrap(), &[1, 0, 1]);
        assert_eq!(find(&items, 0x91), Err(TlvError::Missing(0x91)));
    }
}
