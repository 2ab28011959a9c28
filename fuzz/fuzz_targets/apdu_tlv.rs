//! APDU responses, BER-TLV and the X.509 walk over bytes from the card.
#![no_main]

use kaonin::card::{apdu::Response, tlv, x509};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = Response::parse(data.to_vec()) {
        let _ = response.kind();
        let _ = response.ok("fuzz");
    }
    if let Ok(header) = tlv::parse_header(data) {
        let _ = header.total_len();
    }
    if let Ok((one, rest)) = tlv::parse_one(data) {
        assert!(rest.len() < data.len());
        let _ = tlv::parse_all(one.value);
    }
    if let Ok(items) = tlv::parse_all(data) {
        for tag in [0x30, 0x91, 0x90, 0xDF21, 0xFF20] {
            let _ = tlv::find(&items, tag);
        }
        // What is parsed re-encodes to the same bytes (short and 81/82 forms).
        for item in &items {
            let again = tlv::encode(item.tag, item.value);
            let (back, _) = tlv::parse_one(&again).expect("own encoding parses");
            assert_eq!((back.tag, back.value), (item.tag, item.value));
        }
    }
    let now = std::time::SystemTime::now();
    if let Ok(validity) = x509::validity(data) {
        let _ = validity.check(now);
    }
    let _ = x509::serial(data);
    let _ = x509::rsa_public_key(data);
});
