//! EF 0002 of the 券面AP (the card-face file: TLV, DF24 key, DF25 name PNG, DF27
//! photo), and the printed values that make 照合番号B.
#![no_main]

use kaonin::card::kenmen::{self, KenmenKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = kenmen::parse_face_file(data) {
        assert!(file.modulus.len() >= 128);
        assert!(!file.exponent.is_empty() && file.exponent.len() <= 8);
        let _ = format!("{file:?}");
        let key = KenmenKey {
            birth: file.birth.clone(),
            expiry: file.expiry.clone(),
            security_code: "1234".into(),
        };
        let _ = key.key_b();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = kenmen::era_yymmdd(text);
        let mut parts = text.splitn(3, ',');
        let key = KenmenKey {
            birth: parts.next().unwrap_or_default().into(),
            expiry: parts.next().unwrap_or_default().into(),
            security_code: parts.next().unwrap_or_default().into(),
        };
        if let Ok(b) = key.key_b() {
            assert_eq!(b.len(), 14);
            assert!(b.iter().all(u8::is_ascii_digit));
        }
    }
});
