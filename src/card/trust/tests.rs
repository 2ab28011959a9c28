use super::*;

fn asset(path: &str) -> String {
    let full = format!("{}/assets/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

#[test]
fn built_in_key_is_the_production_id() {
    let trust = KenmenTrust::built_in();
    assert_eq!(trust.anchors().len(), 1);
    assert_eq!(trust.configured(), 0);
    let a = &trust.anchors()[0];
    assert_eq!(a.key_id, Some(key_id(b"5000023")));
    assert_eq!(a.key.n.len(), 256);
    assert_eq!(key_id_name(&key_id(b"5000023")), "5000023/001");
}

#[test]
fn pem_round_trip_and_openssl_agree() {
    let pem = asset("cards/keys/kenmen-ca.pub.pem");
    let keys = parse_pem_keys(&pem).unwrap();
    assert_eq!(keys.len(), 1);
    // Our encoder writes what openssl wrote, byte for byte.
    assert_eq!(public_key_pem(&keys[0]), pem);
    let two = format!("comment line\n{pem}\n{pem}");
    assert_eq!(parse_pem_keys(&two).unwrap().len(), 2);
}

#[test]
fn the_test_hierarchy_pem_is_the_6000023_key() {
    let key = RsaKey::new(&JPKI_TEST_6000023_MODULUS, &E65537);
    assert_eq!(
        asset("kenmen/jpki-test-6000023.pem"),
        public_key_pem(&key),
        "assets/kenmen/jpki-test-6000023.pem is the published test CA key"
    );
    let trust = KenmenTrust::built_in()
        .with_pem(&public_key_pem(&key))
        .unwrap();
    let test_ca = &trust.anchors()[1];
    assert_eq!(test_ca.key_id, Some(key_id(b"6000023")));
    assert_eq!(trust.configured(), 1);
}

#[test]
fn bad_trust_files_are_refused_with_a_reason() {
    let cases = [
        ("", "no PUBLIC KEY"),
        (
            "-----BEGIN RSA PUBLIC KEY-----\nAA==\n-----END RSA PUBLIC KEY-----\n",
            "only",
        ),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n", "END"),
        (
            "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n",
            "base64",
        ),
        (
            "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n",
            "RSA",
        ),
    ];
    for (pem, want) in cases {
        let err = parse_pem_keys(pem).unwrap_err().to_string();
        assert!(err.contains(want), "{pem:?}: {err}");
    }
    let small = RsaKey::new(&[0xC3; 128], &E65537);
    let err = parse_pem_keys(&public_key_pem(&small)).unwrap_err();
    assert!(err.to_string().contains("2048"), "{err}");
}

#[test]
fn malformed_certificates_are_typed() {
    let trust = KenmenTrust::built_in();
    for bytes in [
        &b""[..],
        &[0x30, 0x00],
        &[0x7F, 0x21, 0x00],
        &[0x7F, 0x21, 0x04, 0x5F, 0x4E, 0x01, 0x00],
    ] {
        assert!(
            matches!(
                trust.verify_certificate(bytes),
                Err(TrustError::Malformed(_))
            ),
            "{bytes:02X?}"
        );
    }
}

#[test]
fn digest_info_is_three_digests() {
    let di = df28_digest_info([b"a", b"b", b"c"]);
    assert_eq!(di.len(), 19 + 96);
    assert_eq!(usize::from(di[1]) + 2, di.len());
    assert_eq!(
        &di[19..51],
        ring::digest::digest(&ring::digest::SHA256, b"a").as_ref()
    );
}

#[cfg(feature = "sim")]
mod signed {
    use super::*;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::traits::PublicKeyParts;
    use rsa::{Pkcs1v15Sign, RsaPrivateKey};

    fn key(name: &str) -> RsaPrivateKey {
        RsaPrivateKey::from_pkcs8_pem(&asset(&format!("cards/keys/{name}.key.pem"))).unwrap()
    }

    fn public(k: &RsaPrivateKey) -> RsaKey {
        RsaKey::new(&k.n().to_bytes_be(), &k.e().to_bytes_be())
    }

    /// EF 0004 naming `issuer`, certifying `subject`, signed by `ca`.
    fn certificate(issuer: &[u8; 7], subject: &RsaPrivateKey, ca: &RsaPrivateKey) -> Vec<u8> {
        let mut body = key_id(issuer).to_vec();
        body.extend_from_slice(&key_id(b"1234567"));
        body.extend_from_slice(&tlv::encode(0x90, &subject.e().to_bytes_be()));
        body.extend_from_slice(&tlv::encode(0x91, &subject.n().to_bytes_be()));
        assert_eq!(body.len(), CERT_BODY_LEN);
        let digest_info = crate::card::apdu::sha256_digest_info(&body);
        let signature = ca
            .sign(Pkcs1v15Sign::new_unprefixed(), &digest_info)
            .unwrap();
        let mut inner = tlv::encode(0x5F4E, &body);
        inner.extend_from_slice(&tlv::encode(0x5F37, &signature));
        tlv::encode(0x7F21, &inner)
    }

    fn trusting(ca: &RsaPrivateKey) -> KenmenTrust {
        KenmenTrust::built_in()
            .with_pem(&public_key_pem(&public(ca)))
            .unwrap()
    }

    #[test]
    fn a_configured_ca_certifies_the_ap_key() {
        let (ca, ap) = (key("kenmen-ca"), key("alice-kenmen"));
        let cert = certificate(b"9000023", &ap, &ca);
        let got = trusting(&ca).verify_certificate(&cert).unwrap();
        assert_eq!(got.key, public(&ap));
        assert_eq!(got.anchor, "configured #1");
    }

    #[test]
    fn a_certificate_from_an_untrusted_ca_fails() {
        let (ca, mallory, ap) = (key("kenmen-ca"), key("mallory-ca"), key("alice-kenmen"));
        let forged = certificate(b"9000023", &ap, &mallory);
        assert_eq!(
            trusting(&ca).verify_certificate(&forged).unwrap_err(),
            TrustError::BadCertificate("9000023/001".into())
        );
        // Nothing configured: no anchor at all for that id.
        assert_eq!(
            KenmenTrust::built_in()
                .verify_certificate(&forged)
                .unwrap_err(),
            TrustError::UnknownIssuer("9000023/001".into())
        );
    }

    #[test]
    fn a_configured_key_never_answers_for_the_production_id() {
        let (ca, ap) = (key("kenmen-ca"), key("alice-kenmen"));
        let claims_jlis = certificate(b"5000023", &ap, &ca);
        assert_eq!(
            trusting(&ca).verify_certificate(&claims_jlis).unwrap_err(),
            TrustError::BadCertificate("5000023/001".into())
        );
    }

    #[test]
    fn a_changed_body_fails() {
        let (ca, ap) = (key("kenmen-ca"), key("alice-kenmen"));
        let mut cert = certificate(b"9000023", &ap, &ca);
        let last_key_byte = 4 + 4 + CERT_BODY_LEN - 1;
        cert[last_key_byte] ^= 1;
        assert!(matches!(
            trusting(&ca).verify_certificate(&cert),
            Err(TrustError::BadCertificate(_))
        ));
    }

    #[test]
    fn df28_style_signatures_verify_only_over_their_digests() {
        let ap = key("alice-kenmen");
        let di = df28_digest_info([b"one", b"two", b"photo"]);
        let signature = ap.sign(Pkcs1v15Sign::new_unprefixed(), &di).unwrap();
        let k = public(&ap);
        assert!(k.verify_digest_info(&di, &signature));
        let other = df28_digest_info([b"one", b"two", b"another photo"]);
        assert!(!k.verify_digest_info(&other, &signature));
        let mut broken = signature.clone();
        broken[10] ^= 0x40;
        assert!(!k.verify_digest_info(&di, &broken));
        assert!(!k.verify_digest_info(&di, &signature[1..]));
        assert!(!public(&key("bob-kenmen")).verify_digest_info(&di, &signature));
    }
}
