//! A small DER walk over an X.509 certificate: just enough to check its validity
//! dates and to find its RSA public key. Certificates come from the card and are
//! untrusted input; every failure is a typed [`CertError`].

use super::tlv::{self, Tlv};
use crate::ground::civil::days_from_civil;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What is wrong with a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// Not a DER X.509 certificate the walk understands.
    #[error("malformed certificate")]
    Malformed,
    /// `now` is after notAfter.
    #[error("certificate expired")]
    Expired,
    /// `now` is before notBefore.
    #[error("certificate not yet valid")]
    NotYetValid,
}

/// The validity period of a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// notBefore.
    pub not_before: SystemTime,
    /// notAfter.
    pub not_after: SystemTime,
}

impl Validity {
    /// `Ok` if `now` lies within the period.
    pub fn check(&self, now: SystemTime) -> Result<(), CertError> {
        if now < self.not_before {
            Err(CertError::NotYetValid)
        } else if now > self.not_after {
            Err(CertError::Expired)
        } else {
            Ok(())
        }
    }
}

/// The elements of the TBSCertificate, without the optional `[0]` version.
fn tbs_fields(der: &[u8]) -> Result<Vec<Tlv<'_>>, CertError> {
    let (cert, _) = tlv::parse_one(der).map_err(|_| CertError::Malformed)?;
    if cert.tag != 0x30 {
        return Err(CertError::Malformed);
    }
    let (tbs, _) = tlv::parse_one(cert.value).map_err(|_| CertError::Malformed)?;
    if tbs.tag != 0x30 {
        return Err(CertError::Malformed);
    }
    let mut fields = tlv::parse_all(tbs.value).map_err(|_| CertError::Malformed)?;
    if fields.first().map(|f| f.tag) == Some(0xA0) {
        fields.remove(0);
    }
    Ok(fields)
}

/// The validity period of `der`.
pub fn validity(der: &[u8]) -> Result<Validity, CertError> {
    // serial, signature, issuer, validity, subject, spki
    let fields = tbs_fields(der)?;
    let validity = fields.get(3).ok_or(CertError::Malformed)?;
    let times = tlv::parse_all(validity.value).map_err(|_| CertError::Malformed)?;
    match times.as_slice() {
        [nb, na] => Ok(Validity {
            not_before: parse_time(nb)?,
            not_after: parse_time(na)?,
        }),
        _ => Err(CertError::Malformed),
    }
}

/// The serial number bytes of `der` (used to tell cards apart, never logged).
pub fn serial(der: &[u8]) -> Result<Vec<u8>, CertError> {
    let fields = tbs_fields(der)?;
    let serial = fields.first().filter(|f| f.tag == 0x02);
    serial.map(|s| s.value.to_vec()).ok_or(CertError::Malformed)
}

/// The subjectPublicKey of `der` as a PKCS#1 `RSAPublicKey` (what `ring` verifies
/// RSA signatures with).
pub fn rsa_public_key(der: &[u8]) -> Result<Vec<u8>, CertError> {
    let fields = tbs_fields(der)?;
    let spki = fields.get(5).ok_or(CertError::Malformed)?;
    let parts = tlv::parse_all(spki.value).map_err(|_| CertError::Malformed)?;
    let bits = parts
        .get(1)
        .filter(|b| b.tag == 0x03)
        .ok_or(CertError::Malformed)?;
    match bits.value.split_first() {
        Some((0, key)) => Ok(key.to_vec()),
        _ => Err(CertError::Malformed),
    }
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn parse_time(t: &Tlv<'_>) -> Result<SystemTime, CertError> {
    let text = std::str::from_utf8(t.value).map_err(|_| CertError::Malformed)?;
    let digits = text.strip_suffix('Z').ok_or(CertError::Malformed)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CertError::Malformed);
    }
    let num = |r: std::ops::Range<usize>| -> Result<u32, CertError> {
        digits
            .get(r)
            .and_then(|s| s.parse().ok())
            .ok_or(CertError::Malformed)
    };
    let (year, rest) = match (t.tag, digits.len()) {
        (0x17, 12) => {
            let yy = num(0..2)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
        }
        (0x18, 14) => (num(0..4)?, 4),
        _ => return Err(CertError::Malformed),
    };
    let month = num(rest..rest + 2)?;
    let day = num(rest + 2..rest + 4)?;
    let hour = num(rest + 4..rest + 6)?;
    let minute = num(rest + 6..rest + 8)?;
    let second = num(rest + 8..rest + 10)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return Err(CertError::Malformed);
    }
    if second > 60 || year < 1970 {
        return Err(CertError::Malformed);
    }
    let days = days_from_civil(i64::from(year), month, day).max(0) as u64;
    let secs = days * 86_400 + u64::from(hour * 3600 + minute * 60 + second);
    Ok(UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse() {
        let utc = Tlv {
            tag: 0x17,
            value: b"260101000000Z",
        };
        let gen = Tlv {
            tag: 0x18,
            value: b"20260101000000Z",
        };
        assert_eq!(parse_time(&utc).unwrap(), parse_time(&gen).unwrap());
        let bad = Tlv {
            tag: 0x17,
            value: b"26010100000Z",
        };
        assert_eq!(parse_time(&bad), Err(CertError::Malformed));
        let bad = Tlv {
            tag: 0x18,
            value: b"20261301000000Z",
        };
        assert_eq!(parse_time(&bad), Err(CertError::Malformed));
    }

    #[test]
    fn garbage_is_malformed() {
        assert_eq!(validity(&[]), Err(CertError::Malformed));
        assert_eq!(
            validity(&[0x30, 0x03, 0x02, 0x01, 0x01]),
            Err(CertError::Malformed)
        );
        assert_eq!(rsa_public_key(&[0x04, 0x00]), Err(CertError::Malformed));
    }
}
