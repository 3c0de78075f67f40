#include "token/public_key.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>

#include <utility>

#include "token/encoding.h"
#include "token/ossl.h"
#include "token/token_hash.h"

namespace st {
namespace {

using ctrl::Code;
using ctrl::Json;
using ctrl::Status;
using ctrl::StatusOr;

constexpr size_t kCoordinateBytes = 32;  // Ed25519 public key; P-256 field element
constexpr size_t kSignatureBytes = 64;   // Ed25519 signature; ES256 r||s
constexpr size_t kMaxKidLength = 256;

Status invalidJwk(std::string what) {
  return Status(Code::kInvalidArgument, "invalid JWK: " + std::move(what));
}

std::shared_ptr<EVP_PKEY> share(ossl::PkeyPtr key) {
  return std::shared_ptr<EVP_PKEY>(key.release(), ossl::PkeyFree());
}

StatusOr<ossl::PkeyPtr> ed25519PublicKey(std::string_view x) {
  ossl::PkeyPtr key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, ossl::bytes(x), x.size()));
  if (!key) {
    ERR_clear_error();
    return Status(Code::kInvalidArgument, "not a valid Ed25519 public key");
  }
  return key;
}

StatusOr<ossl::PkeyPtr> p256PublicKey(std::string_view x, std::string_view y) {
  // SEC 1 uncompressed point: 0x04 || x || y.
  std::string point;
  point.reserve(1 + x.size() + y.size());
  point.push_back('\x04');
  point.append(x);
  point.append(y);

  ossl::ParamBldPtr build(OSSL_PARAM_BLD_new());
  if (!build ||
      OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    ERR_clear_error();
    return Status(Code::kInternal, "cannot build EC key parameters");
  }
  ossl::ParamPtr params(OSSL_PARAM_BLD_to_param(build.get()));
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    ERR_clear_error();
    return Status(Code::kInternal, "cannot create an EC key context");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return Status(Code::kInvalidArgument, "not a valid P-256 public key");
  }
  ossl::PkeyPtr key(raw);
  // fromdata already refuses points off the curve; the explicit check also
  // covers the point at infinity and documents the requirement.
  ossl::PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ERR_clear_error();
    return Status(Code::kInvalidArgument, "not a valid P-256 public key");
  }
  return key;
}

// Converts a JOSE r||s signature into the DER ECDSA-Sig-Value OpenSSL verifies.
StatusOr<std::string> rawToDer(std::string_view raw) {
  ossl::EcdsaSigPtr sig(ECDSA_SIG_new());
  ossl::BnPtr r(BN_bin2bn(ossl::bytes(raw), static_cast<int>(raw.size() / 2), nullptr));
  ossl::BnPtr s(
      BN_bin2bn(ossl::bytes(raw) + raw.size() / 2, static_cast<int>(raw.size() / 2), nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    ERR_clear_error();
    return Status(Code::kInternal, "cannot build an ECDSA signature");
  }
  r.release();  // owned by sig now
  s.release();
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) {
    ERR_clear_error();
    return Status(Code::kInternal, "cannot encode an ECDSA signature");
  }
  std::string der(static_cast<size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != length) {
    ERR_clear_error();
    return Status(Code::kInternal, "cannot encode an ECDSA signature");
  }
  return der;
}

StatusOr<std::string> decodeMember(const Json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return invalidJwk(std::string("member \"") + name + "\" is missing or not a string");
  }
  auto decoded = base64UrlDecode(it->get_ref<const std::string&>());
  if (!decoded.isOk()) {
    return invalidJwk(std::string("member \"") + name + "\" is not valid base64url");
  }
  return std::move(decoded).value();
}

const std::string* stringMember(const Json& jwk, const char* name) {
  auto it = jwk.find(name);
  return it != jwk.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

}  // namespace

std::string_view keyAlgorithmName(KeyAlgorithm alg) {
  return alg == KeyAlgorithm::kEd25519 ? "Ed25519" : "ES256";
}

std::string_view jwsAlgorithm(KeyAlgorithm alg) {
  return alg == KeyAlgorithm::kEd25519 ? "EdDSA" : "ES256";
}

StatusOr<KeyAlgorithm> parseKeyAlgorithm(std::string_view name) {
  if (name == "Ed25519" || name == "EdDSA") return KeyAlgorithm::kEd25519;
  if (name == "ES256") return KeyAlgorithm::kEs256;
  return Status(Code::kInvalidArgument,
                "unsupported signing algorithm (supported: Ed25519, ES256)");
}

PublicKey::PublicKey(KeyAlgorithm alg, std::string x, std::string y, std::shared_ptr<EVP_PKEY> key,
                     std::string kid)
    : alg_(alg), x_(std::move(x)), y_(std::move(y)), key_(std::move(key)), kid_(std::move(kid)) {}

StatusOr<PublicKey> PublicKey::fromCoordinates(KeyAlgorithm alg, std::string_view x,
                                               std::string_view y, std::string kid) {
  if (kid.size() > kMaxKidLength) {
    return Status(Code::kInvalidArgument, "key id longer than 256 characters");
  }
  if (alg == KeyAlgorithm::kEd25519 && (x.size() != kCoordinateBytes || !y.empty())) {
    return Status(Code::kInvalidArgument, "an Ed25519 public key is 32 bytes");
  }
  if (alg == KeyAlgorithm::kEs256 &&
      (x.size() != kCoordinateBytes || y.size() != kCoordinateBytes)) {
    return Status(Code::kInvalidArgument, "P-256 coordinates are 32 bytes each");
  }
  auto key = alg == KeyAlgorithm::kEd25519 ? ed25519PublicKey(x) : p256PublicKey(x, y);
  if (!key.isOk()) return key.status();
  PublicKey result(alg, std::string(x), std::string(y), share(std::move(key).value()),
                   std::move(kid));
  if (result.kid_.empty()) result.kid_ = result.thumbprint();
  return result;
}

bool PublicKey::isSupportedJwk(const Json& jwk) {
  if (!jwk.is_object()) return false;
  const std::string* kty = stringMember(jwk, "kty");
  const std::string* crv = stringMember(jwk, "crv");
  if (!kty || !crv) return false;
  return (*kty == "OKP" && *crv == "Ed25519") || (*kty == "EC" && *crv == "P-256");
}

StatusOr<PublicKey> PublicKey::fromJwk(const Json& jwk) {
  if (!isSupportedJwk(jwk)) {
    return invalidJwk("unsupported key type (supported: OKP/Ed25519, EC/P-256)");
  }
  if (jwk.contains("d")) return invalidJwk("contains private key material");
  const KeyAlgorithm alg =
      *stringMember(jwk, "kty") == "OKP" ? KeyAlgorithm::kEd25519 : KeyAlgorithm::kEs256;

  const std::string* kid = stringMember(jwk, "kid");
  if (!kid || kid->empty()) return invalidJwk("member \"kid\" is missing or empty");
  if (jwk.contains("alg")) {
    const std::string* name = stringMember(jwk, "alg");
    if (!name || *name != jwsAlgorithm(alg)) {
      return invalidJwk("member \"alg\" does not match the key type");
    }
  }
  if (jwk.contains("use")) {
    const std::string* use = stringMember(jwk, "use");
    if (!use || *use != "sig") return invalidJwk("member \"use\" is not \"sig\"");
  }

  auto x = decodeMember(jwk, "x");
  if (!x.isOk()) return x.status();
  std::string y;
  if (alg == KeyAlgorithm::kEs256) {
    auto decoded = decodeMember(jwk, "y");
    if (!decoded.isOk()) return decoded.status();
    y = std::move(decoded).value();
  }
  auto key = fromCoordinates(alg, *x, y, *kid);
  if (!key.isOk()) return key.status().withContext("invalid JWK");
  return key;
}

Json PublicKey::toJwk() const {
  Json jwk = Json::object();
  if (alg_ == KeyAlgorithm::kEd25519) {
    jwk["kty"] = "OKP";
    jwk["crv"] = "Ed25519";
    jwk["x"] = base64UrlEncode(x_);
  } else {
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    jwk["x"] = base64UrlEncode(x_);
    jwk["y"] = base64UrlEncode(y_);
  }
  jwk["kid"] = kid_;
  jwk["alg"] = std::string(jwsAlgorithm(alg_));
  jwk["use"] = "sig";
  return jwk;
}

std::string PublicKey::thumbprint() const {
  // RFC 7638 §3.2: only the required members, lexicographic order, no
  // whitespace. nlohmann::json objects are ordered maps and dump() writes no
  // whitespace; the values are base64url and fixed names, so nothing is
  // escaped.
  Json members = Json::object();
  if (alg_ == KeyAlgorithm::kEd25519) {
    members["crv"] = "Ed25519";
    members["kty"] = "OKP";
    members["x"] = base64UrlEncode(x_);
  } else {
    members["crv"] = "P-256";
    members["kty"] = "EC";
    members["x"] = base64UrlEncode(x_);
    members["y"] = base64UrlEncode(y_);
  }
  return base64UrlEncode(sha256(members.dump()));
}

Status PublicKey::verify(std::string_view signingInput, std::string_view signature) const {
  const Status invalid(Code::kUnauthorized, "invalid signature");
  if (signature.size() != kSignatureBytes) return invalid;

  std::string der;
  const EVP_MD* digest = nullptr;  // Ed25519 hashes internally
  if (alg_ == KeyAlgorithm::kEs256) {
    auto converted = rawToDer(signature);
    if (!converted.isOk()) return converted.status();
    der = std::move(converted).value();
    signature = der;
    digest = EVP_sha256();
  }

  ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, digest, nullptr, key_.get()) != 1) {
    ERR_clear_error();
    return Status(Code::kInternal, "cannot initialise signature verification");
  }
  const int rc = EVP_DigestVerify(ctx.get(), ossl::bytes(signature), signature.size(),
                                  ossl::bytes(signingInput), signingInput.size());
  ERR_clear_error();
  return rc == 1 ? Status::ok() : invalid;
}

}  // namespace st
