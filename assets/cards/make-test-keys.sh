#!/bin/sh
# Generates the TEST keys and certificates of the simulated cards in assets/cards/keys.
# Everything here is synthetic: a throwaway test CA, RSA-2048 user-authentication keys
# and certificates for the synthetic holders alice, bob and carol, 券面AP keys, one
# extra 券面AP key ("mallory") for the cloned-chip profile, one expired
# certificate, the virtual cards' own 券面 CA ("kenmen-ca", which signs every
# profile's EF 0004; its public key is kenmen-ca.pub.pem, for [card] kenmen_trust),
# the issuer key that CA certifies and that signs every DF28 ("kenmen-issuer")
# and a CA no terminal trusts ("mallory-ca", for the forged-card profile).
# Never put real keys or certificates here.
#
# Usage: sh assets/cards/make-test-keys.sh     (needs openssl; rewrites keys/)
set -eu
cd "$(dirname "$0")"
out=keys
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

newkey() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

# The test CA (self-signed).
newkey "$out/test-ca.key.pem"
openssl req -x509 -new -key "$out/test-ca.key.pem" -sha256 -days 7300 \
    -subj "/C=JP/O=kaonin TEST/CN=kaonin TEST JPKI User Authentication CA" \
    -outform DER -out "$out/test-ca.crt.der"
openssl x509 -inform DER -in "$out/test-ca.crt.der" -out "$work/ca.pem"

# A minimal `openssl ca` setup, so certificates get fixed validity dates.
mkdir -p "$work/new"
: > "$work/index.txt"
echo 1000 > "$work/serial"
cat > "$work/ca.cnf" <<CNF
[ ca ]
default_ca = test
[ test ]
dir = $work
database = $work/index.txt
new_certs_dir = $work/new
serial = $work/serial
certificate = $work/ca.pem
private_key = $PWD/$out/test-ca.key.pem
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
x509_extensions = auth
[ any ]
commonName = supplied
[ auth ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
CNF

# cert NAME KEY START END: a user-authentication certificate (the JPKI one carries
# no name: the subject is a serial-like CN).
cert() {
    openssl req -new -key "$2" -subj "/C=JP/CN=TEST$(printf %s "$1" | od -An -tx1 | tr -d ' \n')" \
        -out "$work/$1.csr"
    openssl ca -batch -config "$work/ca.cnf" -in "$work/$1.csr" -startdate "$3" -enddate "$4" \
        -notext -out "$work/$1.pem" 2>/dev/null
    openssl x509 -in "$work/$1.pem" -outform DER -out "$out/$1-auth.crt.der"
}

for who in alice bob carol; do
    newkey "$out/$who-auth.key.pem"
    cert "$who" "$out/$who-auth.key.pem" 20240101000000Z 20340101000000Z
    newkey "$out/$who-kenmen.key.pem"
done
newkey "$out/mallory-kenmen.key.pem"
newkey "$out/kenmen-ca.key.pem"
openssl pkey -in "$out/kenmen-ca.key.pem" -pubout -out "$out/kenmen-ca.pub.pem"
newkey "$out/kenmen-issuer.key.pem"
newkey "$out/mallory-ca.key.pem"
cert expired "$out/alice-auth.key.pem" 20150101000000Z 20200101000000Z

echo "test keys written to $(pwd)/$out"
