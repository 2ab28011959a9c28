//! TLS 1.3 with mutual authentication and certificate pinning (rustls + ring).
//!
//! There is no certificate authority. Each side has a key and a self-signed
//! certificate made by [`pair`]; each side is configured with the SHA-256
//! fingerprint(s) of the other's certificate (DER), and the custom verifiers below
//! accept a peer exactly when its certificate's fingerprint is pinned — the way
//! peer-to-peer sync tools pair devices. Names and validity dates are not checked:
//! the pin is the trust. Handshake signatures are still verified, so only the holder
//! of the pinned certificate's key gets through.

use super::LinkError;
use crate::ground::durable;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A SHA-256 certificate fingerprint.
pub type Fingerprint = [u8; 32];

/// Which side of the link a key pair is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The card reader terminal (TLS client).
    Terminal,
    /// The eligibility-check PC (TLS server).
    Pc,
}

impl Role {
    fn stem(self) -> &'static str {
        match self {
            Role::Terminal => "link-terminal",
            Role::Pc => "link-pc",
        }
    }
}

/// The certificate and key files of `role` in `state_dir` (DER; key is PKCS#8).
pub fn default_files(state_dir: &Path, role: Role) -> (PathBuf, PathBuf) {
    (
        state_dir.join(format!("{}.cert.der", role.stem())),
        state_dir.join(format!("{}.key.der", role.stem())),
    )
}

/// Makes `role`'s key and self-signed certificate in `state_dir` unless they exist,
/// and returns the certificate's SHA-256 fingerprint (64 lowercase hex digits).
pub fn pair(state_dir: &Path, role: Role) -> Result<String, LinkError> {
    let (cert_path, key_path) = default_files(state_dir, role);
    if cert_path.exists() && key_path.exists() {
        let der = read(&cert_path)?;
        return Ok(fingerprint_hex(&der));
    }
    std::fs::create_dir_all(state_dir).map_err(|e| LinkError::io(state_dir, e))?;
    let name = format!("kaonin-{}", role.stem().trim_start_matches("link-"));
    let made = rcgen::generate_simple_self_signed(vec![name])
        .map_err(|e| LinkError::Tls(format!("cannot make a certificate: {e}")))?;
    let key = made.signing_key.serialize_der();
    let cert = made.cert.der().to_vec();
    durable::write_atomic(state_dir, &key_path, &key).map_err(|e| LinkError::io(&key_path, e))?;
    durable::write_atomic(state_dir, &cert_path, &cert)
        .map_err(|e| LinkError::io(&cert_path, e))?;
    Ok(fingerprint_hex(&cert))
}

/// SHA-256 of a DER certificate.
pub fn fingerprint(der: &[u8]) -> Fingerprint {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// SHA-256 of a DER certificate as 64 lowercase hex digits.
pub fn fingerprint_hex(der: &[u8]) -> String {
    hex(&fingerprint(der))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses a fingerprint: 64 hex digits, optionally separated by `:` or spaces.
pub fn parse_fingerprint(text: &str) -> Result<Fingerprint, String> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b':' | b' ' | b'-'))
        .collect();
    if digits.len() != 64 {
        return Err(format!(
            "a SHA-256 fingerprint has 64 hex digits, got {}",
            digits.len()
        ));
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(digits.chunks(2)) {
        let text = std::str::from_utf8(pair).map_err(|_| "not hex".to_string())?;
        *slot = u8::from_str_radix(text, 16).map_err(|_| format!("`{text}` is not hex"))?;
    }
    Ok(out)
}

fn read(path: &Path) -> Result<Vec<u8>, LinkError> {
    std::fs::read(path).map_err(|e| LinkError::io(path, e))
}

/// A certificate and its private key, loaded from DER files.
pub struct KeyPair {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl KeyPair {
    /// Loads `cert` (DER) and `key` (PKCS#8 DER).
    pub fn load(cert: &Path, key: &Path) -> Result<KeyPair, LinkError> {
        let cert_der = read(cert).map_err(|e| {
            LinkError::Tls(format!(
                "{e} (run `kaonin pair` to make the link certificate)"
            ))
        })?;
        let key_der = read(key)?;
        Ok(KeyPair {
            cert: CertificateDer::from(cert_der),
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der)),
        })
    }

    /// This certificate's fingerprint.
    pub fn fingerprint_hex(&self) -> String {
        fingerprint_hex(self.cert.as_ref())
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The terminal's TLS client config: TLS 1.3 only, presents `own`, accepts only a
/// server whose certificate is `pc`.
pub fn client_config(
    own: KeyPair,
    pc: Fingerprint,
) -> Result<Arc<rustls::ClientConfig>, LinkError> {
    let provider = provider();
    let verifier = Arc::new(Pinned {
        pins: vec![pc],
        provider: provider.clone(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| LinkError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_auth_cert(vec![own.cert], own.key)
        .map_err(|e| LinkError::Tls(format!("terminal key: {e}")))?;
    Ok(Arc::new(config))
}

/// The PC's TLS server config: TLS 1.3 only, presents `own`, demands a client
/// certificate and accepts only the pinned `terminals`.
pub fn server_config(
    own: KeyPair,
    terminals: Vec<Fingerprint>,
) -> Result<Arc<rustls::ServerConfig>, LinkError> {
    let provider = provider();
    let verifier = Arc::new(Pinned {
        pins: terminals,
        provider: provider.clone(),
    });
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| LinkError::Tls(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![own.cert], own.key)
        .map_err(|e| LinkError::Tls(format!("pc key: {e}")))?;
    Ok(Arc::new(config))
}

/// Accepts exactly the certificates whose fingerprint is pinned.
#[derive(Debug)]
struct Pinned {
    pins: Vec<Fingerprint>,
    provider: Arc<CryptoProvider>,
}

impl Pinned {
    fn check(&self, end_entity: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        let seen = fingerprint(end_entity.as_ref());
        // Fingerprints are public; a plain comparison leaks nothing secret.
        if self.pins.contains(&seen) {
            Ok(())
        } else {
            tracing::warn!(fingerprint = %hex(&seen), "peer certificate is not pinned; refused");
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn tls12(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check(end_entity)
            .map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes()
    }
}

impl ClientCertVerifier for Pinned {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check(end_entity)
            .map(|()| ClientCertVerified::assertion())
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_in_common_spellings() {
        let fp = [0xabu8; 32];
        let plain = hex(&fp);
        assert_eq!(parse_fingerprint(&plain), Ok(fp));
        let colons: Vec<String> = fp.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(parse_fingerprint(&colons.join(":")), Ok(fp));
        assert!(parse_fingerprint("abc").is_err());
        assert!(parse_fingerprint(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn pair_is_idempotent_and_key_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let a = pair(dir.path(), Role::Terminal).unwrap();
        let b = pair(dir.path(), Role::Terminal).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        let c = pair(dir.path(), Role::Pc).unwrap();
        assert_ne!(a, c);
        let (cert, key) = default_files(dir.path(), Role::Terminal);
        assert_eq!(fingerprint_hex(&std::fs::read(cert).unwrap()), a);
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
