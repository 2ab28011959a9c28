//! The virtual cards' 券面 issuer: their own CA (a TEST key, never a real one), the
//! certificate (EF `0004`, `7F21 { 5F4E, 5F37 }`) in which it certifies the issuing
//! key, and the card-face file (EF `0002`) with DF28 made with that issuing key as a
//! real card's is: PKCS#1 v1.5 over the DigestInfo of the three digests of
//! `DF22 DF23 DF24`, `DF25 DF26`, `DF27`
//! (`reference/card-and-pcsc.md` §4). A terminal trusts it only when its public key is
//! in `[card] kenmen_trust` (`kaonin vcard --write-kenmen-trust FILE` writes it).

use super::profile::{Kenmen, Profile, ProfileError, VCARD_CA_KEY_PEM, VCARD_ISSUER_KEY_PEM};
use crate::card::kenmen::KenmenGuard;
use crate::card::tlv::encode;
use crate::card::trust::{self, KenmenTrust, RsaKey, VCARD_CA_KEY_ID};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};

/// The virtual cards' default 券面 CA key.
pub fn vcard_ca_key() -> RsaPrivateKey {
    // A checked-in PKCS#8 PEM (assets/cards/keys/kenmen-ca.key.pem); a test checks
    // it parses.
    RsaPrivateKey::from_pkcs8_pem(VCARD_CA_KEY_PEM)
        .unwrap_or_else(|_| unreachable!("assets/cards/keys/kenmen-ca.key.pem is a PKCS#8 RSA key"))
}

/// The virtual cards' default issuing key.
pub fn vcard_issuer_key() -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_pem(VCARD_ISSUER_KEY_PEM).unwrap_or_else(|_| {
        unreachable!("assets/cards/keys/kenmen-issuer.key.pem is a PKCS#8 RSA key")
    })
}

/// The key that signs `kenmen`'s DF28 and that its certificate certifies.
pub fn issuer_key_of(profile: &Profile, kenmen: &Kenmen) -> Result<RsaPrivateKey, ProfileError> {
    match &kenmen.issuer_key {
        Some(path) => super::card::load_key(profile, path),
        None => Ok(vcard_issuer_key()),
    }
}

/// The public half of an RSA key in the reader's form.
pub fn rsa_key(public: &RsaPublicKey) -> RsaKey {
    RsaKey::new(&public.n().to_bytes_be(), &public.e().to_bytes_be())
}

/// The built-in anchors plus the virtual cards' default CA.
pub fn vcard_trust() -> KenmenTrust {
    let pem = trust::public_key_pem(&rsa_key(&vcard_ca_key().to_public_key()));
    KenmenTrust::built_in()
        .with_pem(&pem)
        .unwrap_or_else(|_| KenmenTrust::built_in())
}

/// A 照合番号B guard (counter floor `floor`) that trusts the virtual cards' CA: what
/// tests and the demo read simulated cards with.
pub fn trusting_guard(floor: u8) -> KenmenGuard {
    KenmenGuard::new(floor).with_trust(vcard_trust())
}

/// The CA key that signs `kenmen`'s certificate.
pub fn ca_key_of(profile: &Profile, kenmen: &Kenmen) -> Result<RsaPrivateKey, ProfileError> {
    match &kenmen.ca_key {
        Some(path) => super::card::load_key(profile, path),
        None => Ok(vcard_ca_key()),
    }
}

/// The PEM `PUBLIC KEY` of the CA that signs `profile`'s 券面AP certificate, for
/// `[card] kenmen_trust`.
pub fn ca_public_pem(profile: &Profile) -> Result<String, ProfileError> {
    let key = match &profile.kenmen {
        Some(kenmen) => ca_key_of(profile, kenmen)?,
        None => vcard_ca_key(),
    };
    Ok(trust::public_key_pem(&rsa_key(&key.to_public_key())))
}

/// The PEM `PUBLIC KEY` of the virtual cards' default CA.
pub fn ca_public_pem_default() -> String {
    trust::public_key_pem(&rsa_key(&vcard_ca_key().to_public_key()))
}

/// EF `0004`: the card-verifiable certificate of the issuing key `subject`, naming
/// the 証明者鍵ID `ca_id` (7 digits), signed by `ca`.
pub fn certificate(ca: &RsaPrivateKey, ca_id: &str, subject: &RsaPublicKey) -> Vec<u8> {
    let mut number = [b'0'; 7];
    for (d, s) in number.iter_mut().zip(ca_id.bytes()) {
        *d = s;
    }
    let mut body = trust::key_id(&number).to_vec();
    // 被証明者鍵ID: the issuing key's id (a municipality's on a real card).
    body.extend_from_slice(&trust::key_id(b"1310160"));
    body.extend_from_slice(&encode(0x90, &subject.e().to_bytes_be()));
    body.extend_from_slice(&encode(0x91, &subject.n().to_bytes_be()));
    let digest_info = crate::card::apdu::sha256_digest_info(&body);
    let signature = ca
        .sign(Pkcs1v15Sign::new_unprefixed(), &digest_info)
        .unwrap_or_else(|_| vec![0; 256]);
    let mut inner = encode(0x5F4E, &body);
    inner.extend_from_slice(&encode(0x5F37, &signature));
    encode(0x7F21, &inner)
}

/// The 証明者鍵ID a profile's certificate names.
pub fn ca_id_of(kenmen: &Kenmen) -> &str {
    kenmen.ca_key_id.as_deref().unwrap_or(VCARD_CA_KEY_ID)
}

/// The images of the 券面 file: name (DF25) as PNG, address (DF26; a placeholder),
/// photo (DF27) as JPEG 2000, and the photo DF28 is made over (normally the same).
pub struct FaceImages<'a> {
    pub name: &'a [u8],
    pub address: &'a [u8],
    pub photo: &'a [u8],
    pub signed_photo: &'a [u8],
}

/// The 券面 file `FF20 { DF21 … DF2A }`: DF24 is the chip's key `public`, DF28 is
/// signed with the issuing key `issuer`.
pub fn face_file(
    profile: &Profile,
    issuer: &RsaPrivateKey,
    public: &RsaPublicKey,
    images: &FaceImages<'_>,
    corrupt: bool,
) -> Vec<u8> {
    let birth = encode(0xDF22, profile.holder.birth.as_bytes());
    let sex = encode(0xDF23, profile.holder.sex.as_bytes());
    let mut pk = encode(0x90, &public.e().to_bytes_be());
    pk.extend_from_slice(&encode(0x91, &public.n().to_bytes_be()));
    let pubkey = encode(0xDF24, &pk);
    let name = encode(0xDF25, images.name);
    let address = encode(0xDF26, images.address);
    let mut photo_tlv = encode(0xDF27, images.photo);
    let first: Vec<u8> = [&birth[..], &sex, &pubkey].concat();
    let second: Vec<u8> = [&name[..], &address].concat();
    let third = encode(0xDF27, images.signed_photo);
    let digest_info = trust::df28_digest_info([&first, &second, &third]);
    let signature = issuer
        .sign(Pkcs1v15Sign::new_unprefixed(), &digest_info)
        .unwrap_or_else(|_| vec![0; 256]);
    let expiry = encode(0xDF29, profile.card_face.expiry.as_bytes());
    let code = encode(0xDF2A, profile.card_face.security_code.as_bytes());
    if corrupt {
        // DF27 claims 0x7FF0 bytes: past the end of its parent.
        if let Some(len) = photo_tlv.get_mut(2..5) {
            len.copy_from_slice(&[0x82, 0x7F, 0xF0]);
        }
    }
    let offsets = encode(0xDF21, &[0u8; 8]);
    let mut inner = Vec::new();
    for part in [&offsets, &birth, &sex, &pubkey, &name, &address, &photo_tlv] {
        inner.extend_from_slice(part);
    }
    inner.extend_from_slice(&encode(0xDF28, &signature));
    inner.extend_from_slice(&expiry);
    inner.extend_from_slice(&code);
    encode(0xFF20, &inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_ca_key_parses_and_matches_its_checked_in_public_key() {
        let pem = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/cards/keys/kenmen-ca.pub.pem"
        ))
        .unwrap();
        assert_eq!(
            trust::public_key_pem(&rsa_key(&vcard_ca_key().to_public_key())),
            pem
        );
        assert_eq!(vcard_trust().configured(), 1);
    }

    #[test]
    fn certificates_verify_with_the_vcard_trust_only() {
        let ap = vcard_ca_key().to_public_key();
        let cert = certificate(&vcard_ca_key(), VCARD_CA_KEY_ID, &ap);
        let got = vcard_trust().verify_certificate(&cert).unwrap();
        assert_eq!(got.key, rsa_key(&ap));
        assert!(KenmenTrust::built_in().verify_certificate(&cert).is_err());
    }
}
