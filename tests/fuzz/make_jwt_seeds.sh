#!/usr/bin/env bash
# Writes the seed tokens of corpus/jwt and the seed JWKS of corpus/jwks, signed
# with the fixture keys of fuzz_keys.h (the RFC 8032 test-1 Ed25519 seed and
# data/jwt/es256.pem) with the openssl command line. Rerun it when those
# keys change: tests/fuzz/make_jwt_seeds.sh (needs openssl and xxd).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
unhex() { xxd -r -p; }

# The Ed25519 key as PKCS#8: the fixed prefix, then the 32-byte seed.
printf '302e020100300506032b657004220420%s' \
  9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60 | unhex >"$tmp/ed.der"
openssl pkey -inform DER -in "$tmp/ed.der" -out "$tmp/ed.pem"
es=data/jwt/es256.pem

ed_x=$(openssl pkey -in "$tmp/ed.pem" -pubout -outform DER | tail -c 32 | b64url)
es_point=$(openssl pkey -in "$es" -pubout -outform DER | tail -c 64 | xxd -p | tr -d '\n')
es_x=$(printf '%s' "${es_point:0:64}" | unhex | b64url)
es_y=$(printf '%s' "${es_point:64:64}" | unhex | b64url)
ed_kid=$(printf '{"crv":"Ed25519","kty":"OKP","x":"%s"}' "$ed_x" | openssl dgst -sha256 -binary | b64url)
es_kid=$(printf '{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}' "$es_x" "$es_y" |
  openssl dgst -sha256 -binary | b64url)

# sign ALG KID CLAIMS: a compact JWS. ES256 signatures are DER from openssl;
# JOSE wants r||s, each 32 bytes.
sign() {
  local alg=$1 kid=$2 claims=$3 input sig
  input="$(printf '{"alg":"%s","kid":"%s","typ":"JWT"}' "$alg" "$kid" | b64url).$(printf '%s' "$claims" | b64url)"
  printf '%s' "$input" >"$tmp/input"
  if [ "$alg" = EdDSA ]; then
    sig=$(openssl pkeyutl -sign -rawin -inkey "$tmp/ed.pem" -in "$tmp/input" | b64url)
  else
    local r s
    openssl dgst -sha256 -sign "$es" -out "$tmp/sig.der" "$tmp/input"
    read -r r s < <(openssl asn1parse -inform DER -in "$tmp/sig.der" | awk -F: '/INTEGER/ {print $NF}' | tr '\n' ' ') || true
    sig=$(printf '%064s%064s' "$r" "$s" | tr ' ' 0 | unhex | b64url)
  fi
  printf '%s.%s' "$input" "$sig"
}

iss=https://servicetoken.example
aud=https://api.example
claims() {  # claims EXP-JSON-MEMBER
  printf '{"aud":"%s","email":"airflow@example.com","iat":1767000000,%s"iss":"%s","jti":"0123456789abcdef0123456789abcdef","name":"Airflow Service User","scope":"api","sub":"airflow_service_user@service","token_use":"service"}' \
    "$aud" "$1" "$iss"
}

mkdir -p corpus/jwt corpus/jwks corpus/jwt_claims
sign EdDSA "$ed_kid" "$(claims '"exp":1774776000,')" >corpus/jwt/eddsa-valid.jwt
sign EdDSA "$ed_kid" "$(claims '')" >corpus/jwt/eddsa-never.jwt
sign EdDSA "$ed_kid" "$(claims '"exp":1767000001,')" >corpus/jwt/eddsa-expired.jwt
sign ES256 "$es_kid" "$(claims '"exp":1774776000,')" >corpus/jwt/es256-valid.jwt
sign ES256 "$ed_kid" "$(claims '"exp":1774776000,')" >corpus/jwt/alg-mismatch.jwt
sign EdDSA unknown-kid "$(claims '')" >corpus/jwt/unknown-kid.jwt
printf '%s.%s.' "$(printf '{"alg":"none"}' | b64url)" "$(claims '' | b64url)" >corpus/jwt/alg-none.jwt
claims '"exp":1774776000,' >corpus/jwt_claims/service.json
printf '{"aud":"a","iat":0,"exp":253402300799,"iss":"i","jti":"j","name":"n","scope":"scim","sub":"s","token_use":"personal"}' \
  >corpus/jwt_claims/regress-exp-year-9999.json
printf '{"aud":["a"],"iat":-1,"iss":1,"jti":null,"name":"\\u00e9","scope":"x","sub":"s","token_use":"x"}' \
  >corpus/jwt_claims/wrong-types.json

printf '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"%s","kid":"%s","alg":"EdDSA","use":"sig"},{"kty":"EC","crv":"P-256","x":"%s","y":"%s","kid":"%s","alg":"ES256","use":"sig"}]}' \
  "$ed_x" "$ed_kid" "$es_x" "$es_y" "$es_kid" >corpus/jwks/fixture.json
printf '{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"r"},{"kty":"OKP","crv":"Ed25519","x":"%s","kid":"a"},{"kty":"OKP","crv":"X25519","x":"%s","kid":"b"}]}' \
  "$ed_x" "$ed_x" >corpus/jwks/skips-unsupported.json
printf '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"%s","kid":"a","d":"%s"}]}' "$ed_x" "$ed_x" \
  >corpus/jwks/private-member.json
printf '{"keys":[{"kty":"EC","crv":"P-256","x":"%s","y":"%s","kid":"a","alg":"EdDSA"},{"kty":"EC","crv":"P-256","x":"%s","y":"%s","kid":"a"}]}' \
  "$es_x" "$es_x" "$es_x" "$es_y" "$es_x" "$es_y" >corpus/jwks/bad-point-and-duplicate.json
echo "wrote corpus/jwt, corpus/jwt_claims and corpus/jwks seeds"
