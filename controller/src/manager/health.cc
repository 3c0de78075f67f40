#include "controller/health.h"

#include <algorithm>
#include <exception>

#include "base/exception_type.h"
#include "controller/log.h"

namespace ctrl {

Status HealthChecks::add(std::string name, HealthCheck check) {
  const bool badName = name.empty() || std::any_of(name.begin(), name.end(), [](char c) {
                         return c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
                       });
  if (badName) {
    return errorStatus(Code::kInvalidArgument, "invalid " + endpoint_ + " check name \"" + name +
                                                   "\" (non-empty, no '/' or spaces)");
  }
  if (!check) {
    return errorStatus(Code::kInvalidArgument, endpoint_ + " check \"" + name + "\" is empty");
  }
  std::lock_guard lock(mu_);
  for (const Entry& e : checks_) {
    if (e.first == name) {
      return errorStatus(Code::kInvalidArgument,
                         endpoint_ + " check \"" + name + "\" is already registered");
    }
  }
  checks_.emplace_back(std::move(name), std::move(check));
  return Status::ok();
}

std::vector<HealthChecks::Entry> HealthChecks::snapshot() const {
  std::lock_guard lock(mu_);
  return checks_;
}

std::vector<std::string> HealthChecks::names() const {
  std::vector<std::string> out;
  for (const Entry& e : snapshot()) out.push_back(e.first);
  return out;
}

bool HealthChecks::passes(const Entry& check) const {
  Status result;
  try {
    result = check.second();
  } catch (...) {
    // The type only: what() may quote input (see base/exception_type.h).
    result = errorStatus(Code::kInternal, "check threw " + internal::currentExceptionType());
  }
  if (result.isOk()) return true;
  log::named("health").info(
      "Health check failed",
      {{"endpoint", endpoint_}, {"check", check.first}, {"reason", result.toString()}});
  return false;
}

HttpServerResponse HealthChecks::serveAll() const {
  // Checks run outside the lock: a slow check must not hold up add().
  const std::vector<Entry> checks = snapshot();
  std::string report;
  bool allPassed = true;
  for (const Entry& check : checks) {
    if (passes(check)) {
      report += "[+]" + check.first + " ok\n";
    } else {
      allPassed = false;
      report += "[-]" + check.first + " failed: reason withheld\n";
    }
  }
  HttpServerResponse response;
  if (allPassed) {
    response.body = "ok";
  } else {
    response.status = 500;
    response.body = report + endpoint_ + " check failed\n";
  }
  return response;
}

HttpServerResponse HealthChecks::serveOne(std::string_view name) const {
  HttpServerResponse response;
  for (const Entry& check : snapshot()) {
    if (check.first != name) continue;
    if (passes(check)) {
      response.body = "ok";
    } else {
      response.status = 500;
      response.body = "[-]" + check.first + " failed: reason withheld\n";
    }
    return response;
  }
  response.status = 404;
  response.body = "404 page not found\n";
  return response;
}

void HealthChecks::registerOn(HttpServer& server) const {
  server.handle("/" + endpoint_, [this](const std::string&) { return serveAll(); });
  for (const std::string& name : names()) {
    server.handle("/" + endpoint_ + "/" + name,
                  [this, name](const std::string&) { return serveOne(name); });
  }
}

}  // namespace ctrl
