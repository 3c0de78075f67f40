#include "verifier/token_review.h"

#include <string>
#include <vector>

#include "controller/json.h"
#include "verifier/bearer.h"

namespace st::verifier {
namespace {

using ctrl::Json;

ctrl::HttpServerResponse jsonResponse(int status, const Json& body) {
  ctrl::HttpServerResponse r;
  r.status = status;
  r.contentType = "application/json";
  r.body = body.dump();
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// A Kubernetes Status, the body of API errors.
ctrl::HttpServerResponse failure(int status, const char* reason, std::string message) {
  return jsonResponse(status, Json{{"apiVersion", "v1"},
                                   {"kind", "Status"},
                                   {"status", "Failure"},
                                   {"reason", reason},
                                   {"code", status},
                                   {"message", std::move(message)}});
}

struct Review {
  std::string apiVersion;
  std::string token;
  std::vector<std::string> audiences;
};

ctrl::StatusOr<Review> parseReview(std::string_view body) {
  const auto bad = [](const char* what) {
    return ctrl::Status(ctrl::Code::kInvalidArgument, std::string("TokenReview: ") + what);
  };
  if (body.size() > kMaxReviewBytes) return bad("larger than 65536 bytes");
  auto json = ctrl::parseJson(body, ctrl::JsonLimits{.maxBytes = kMaxReviewBytes, .maxDepth = 8});
  if (!json.isOk()) return json.status().withContext("TokenReview");
  if (!json->is_object()) return bad("not a JSON object");
  Review r;
  const auto apiVersion = json->find("apiVersion");
  if (apiVersion != json->end() && apiVersion->is_string())
    r.apiVersion = apiVersion->get<std::string>();
  if (r.apiVersion != "authentication.k8s.io/v1" &&
      r.apiVersion != "authentication.k8s.io/v1beta1") {
    return bad("apiVersion must be authentication.k8s.io/v1");
  }
  const auto kind = json->find("kind");
  if (kind == json->end() || !kind->is_string() || *kind != "TokenReview") {
    return bad("kind must be TokenReview");
  }
  const auto spec = json->find("spec");
  if (spec == json->end() || !spec->is_object()) return bad("spec is missing");
  const auto token = spec->find("token");
  if (token == spec->end() || !token->is_string()) return bad("spec.token must be a string");
  r.token = token->get<std::string>();
  if (const auto auds = spec->find("audiences"); auds != spec->end() && !auds->is_null()) {
    if (!auds->is_array() || auds->size() > kMaxReviewAudiences) {
      return bad("spec.audiences must be a list of at most 32 strings");
    }
    for (const Json& a : *auds) {
      if (!a.is_string()) return bad("spec.audiences must be a list of at most 32 strings");
      r.audiences.push_back(a.get<std::string>());
    }
  }
  return r;
}

Json authenticatedStatus(const Grant& g, bool withAudiences) {
  Json groups = Json::array();
  if (!g.role.empty()) groups.push_back("servicetoken:role:" + g.role);
  groups.push_back("servicetoken:scope:" + std::string(tokenScopeName(g.scope)));
  for (const auto& team : g.teams) groups.push_back("servicetoken:team:" + team);
  Json user = {{"username", g.userId},
               {"groups", std::move(groups)},
               {"extra",
                {{"servicetoken.dev/token-id", Json::array({g.tokenId})},
                 {"servicetoken.dev/token-name", Json::array({g.tokenName})},
                 {"servicetoken.dev/servicetoken",
                  Json::array({g.serviceTokenNamespace + "/" + g.serviceTokenName})}}}};
  if (!g.uid.empty()) user["uid"] = g.uid;
  Json status = {{"authenticated", true}, {"user", std::move(user)}};
  if (withAudiences) status["audiences"] = Json::array({g.audience});
  return status;
}

}  // namespace

TokenReviewOutcome serveTokenReview(std::string_view method, std::string_view body,
                                    const Authenticator& authenticator) {
  if (method != "POST") {
    TokenReviewOutcome out{failure(405, "MethodNotAllowed", "TokenReview accepts POST only"),
                           std::nullopt};
    out.response.headers.emplace_back("Allow", "POST");
    return out;
  }
  auto review = parseReview(body);
  if (!review.isOk()) return {failure(400, "BadRequest", review.status().message()), std::nullopt};

  // The webhook sends the bare token; a token with characters outside
  // b64token cannot be ours.
  Decision decision;
  const std::string header = "Bearer " + review->token;
  const Bearer bearer = extractBearer(header);
  if (bearer.result != BearerResult::kOk) {
    decision = {review->token.empty() ? Reason::kMissingToken : Reason::kMalformedToken, nullptr};
  } else {
    AudienceRule rule;
    rule.apiOnly = review->audiences.empty();
    rule.oneOf = review->audiences;
    decision = authenticator.authenticate(bearer.token, rule);
  }
  if (decision.reason == Reason::kNotReady) {
    return {failure(503, "ServiceUnavailable", "the verifier's caches are not ready"), decision};
  }
  Json status =
      decision.allowed()
          ? authenticatedStatus(*decision.grant, !review->audiences.empty())
          : Json{{"authenticated", false},
                 {"error", "token rejected: " + std::string(reasonName(decision.reason))}};
  Json answer = {{"apiVersion", review->apiVersion},
                 {"kind", "TokenReview"},
                 {"metadata", {{"creationTimestamp", nullptr}}},
                 {"spec", Json::object()},
                 {"status", std::move(status)}};
  if (!review->audiences.empty()) answer["spec"]["audiences"] = review->audiences;
  return {jsonResponse(200, answer), decision};
}

}  // namespace st::verifier
