#include "verifier/forward_auth.h"

#include "verifier/bearer.h"
#include "verifier/grant.h"

namespace st::verifier {
namespace {

constexpr const char* kChallenge = "Bearer realm=\"servicetoken\"";

// Header values come from ServiceUsers and token claims: never let one
// carry a control character (header injection).
std::string headerValue(std::string_view v) {
  std::string out(v);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = ' ';
  }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

ctrl::HttpServerResponse refusal(int status, std::string challenge, std::string body) {
  ctrl::HttpServerResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("WWW-Authenticate", std::move(challenge));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

ForwardAuthInput forwardAuthInput(const ctrl::HttpServerRequest& request) {
  ForwardAuthInput in;
  in.authorization = request.header("Authorization");
  in.authorizationHeaders = request.headerCount("Authorization");
  if (request.headerCount("X-Original-URI") > 0) {
    in.originalUri = request.header("X-Original-URI");
  } else if (request.headerCount("X-Forwarded-Uri") > 0) {
    in.originalUri = request.header("X-Forwarded-Uri");
  } else {
    const std::string_view target = request.target();
    if (target.size() > kForwardAuthPath.size() &&
        target.substr(0, kForwardAuthPath.size()) == kForwardAuthPath &&
        target[kForwardAuthPath.size()] == '/') {
      in.originalUri = target.substr(kForwardAuthPath.size());
    }
  }
  in.originalMethod = request.header("X-Original-Method");
  if (in.originalMethod.empty()) in.originalMethod = request.header("X-Forwarded-Method");
  return in;
}

Decision decideForwardAuth(const ForwardAuthInput& input, const Authenticator& authenticator) {
  // Two Authorization headers could be read differently by the upstream.
  if (input.authorizationHeaders > 1) return {Reason::kMalformedHeader, nullptr};
  const Bearer bearer = extractBearer(input.authorization);
  switch (bearer.result) {
    case BearerResult::kOk:
      break;
    case BearerResult::kMissing:
      return {Reason::kMissingToken, nullptr};
    case BearerResult::kMalformed:
    case BearerResult::kTooLarge:
      return {Reason::kMalformedHeader, nullptr};
  }
  Decision d = authenticator.authenticate(bearer.token);
  if (!d.allowed()) return d;
  const Reason scope = checkScope(*d.grant, input.originalUri);
  if (scope != Reason::kAllowed) d.reason = scope;
  return d;
}

ctrl::HttpServerResponse forwardAuthResponse(const Decision& decision) {
  switch (decision.reason) {
    case Reason::kAllowed: {
      const Grant& g = *decision.grant;
      ctrl::HttpServerResponse r;
      r.status = 200;
      r.headers.reserve(9);
      r.headers.emplace_back(kUserHeader, headerValue(g.userId));
      if (!g.email.empty()) r.headers.emplace_back(kEmailHeader, headerValue(g.email));
      if (!g.role.empty()) r.headers.emplace_back(kRoleHeader, headerValue(g.role));
      if (!g.teams.empty()) r.headers.emplace_back(kTeamsHeader, headerValue(join(g.teams)));
      r.headers.emplace_back(kScopeHeader, std::string(tokenScopeName(g.scope)));
      r.headers.emplace_back(kTokenIdHeader, headerValue(g.tokenId));
      r.headers.emplace_back(kTokenNameHeader, headerValue(g.tokenName));
      r.headers.emplace_back(kTokenTypeHeader, std::string(tokenUseName(g.use)));
      r.headers.emplace_back("Cache-Control", "no-store");
      return r;
    }
    case Reason::kMissingToken:
      return refusal(401, kChallenge, "401 Unauthorized\n");
    case Reason::kMalformedHeader:
      return refusal(401, std::string(kChallenge) + ", error=\"invalid_request\"",
                     "401 Unauthorized\n");
    case Reason::kInsufficientScope:
      return refusal(403, std::string(kChallenge) + ", error=\"insufficient_scope\", scope=\"api\"",
                     "403 Forbidden\n");
    case Reason::kNotReady: {
      ctrl::HttpServerResponse r;
      r.status = 503;
      r.body = "503 verifier not ready\n";
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    default:
      return refusal(401, std::string(kChallenge) + ", error=\"invalid_token\"",
                     "401 Unauthorized\n");
  }
}

}  // namespace st::verifier
