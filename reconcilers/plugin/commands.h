// The kubectl-servicetoken commands (PRODUCT.md §1 "Copy / Download", §6):
// status, download, rotate, revoke and rotate-signing-key. Each is a function over the API client
// and an output stream, so tests drive them with an in-memory client; plugin_main.cc only parses
// flags and builds the client.
//
// Every command returns OK or an error whose message is meant for the user
// as is (see target.h for the NotFound wording); exitCodeFor() maps it to the
// process exit code. Nothing here ever prints or returns a token value.
// Not thread-safe in the sense that `out` is written without locking; the
// commands hold no state of their own.
#pragma once

#include <ostream>
#include <string>

#include "controller/client.h"
#include "controller/clock.h"
#include "controller/status.h"
#include "plugin/target.h"

namespace st::plugin {

// Prints the ServiceToken's status in plain words (status_text.h), with
// relative times computed from `clock`. Reads only the ServiceToken (never
// the Secret). Errors: tokenError() of the GET; InvalidArgument when the
// object cannot be decoded.
ctrl::Status showStatus(ctrl::Reader& client, const ctrl::Clock& clock, const Target& target,
                        std::ostream& out);

struct DownloadOptions {
  std::string outputDir = ".";
  // Replace an existing file, and download even when the phase is not Active.
  bool force = false;
};

// Writes the token (Secret data.token, decoded) to
// `outputDir`/downloadFileName(spec.displayName) with mode 0600 and prints
// the path. Refuses (error, nothing written):
// - a ServiceToken whose phase is not Active, unless options.force;
// - a Secret (status.secretName, else the spec's name) that does not carry
//   both servicetoken.dev/servicetoken=NAME and
//   app.kubernetes.io/managed-by=servicetoken-operator, even with force;
// - a Secret without a token;
// - an existing file, unless options.force (then replaced atomically).
// Errors: tokenError() for the ServiceToken; NotFound naming the Secret;
// Conflict for the refusals above; the errors of writeTokenFile().
ctrl::Status downloadToken(ctrl::Reader& client, const Target& target,
                           const DownloadOptions& options, std::ostream& out);

// Asks the operator for one rotation: sets the annotation
// servicetoken.dev/rotate to clock.wallNow() as RFC 3339 with microseconds
// (so two requests differ even within a second) with a JSON merge patch, and
// prints what it did. Errors: tokenError() of the PATCH.
ctrl::Status requestRotation(ctrl::Writer& client, const ctrl::Clock& clock, const Target& target,
                             std::ostream& out);

// Revokes the token for good: sets spec.revoked to true with a JSON merge
// patch (the CRD refuses to set it back) and prints what follows: the
// operator removes the token from its Secret and never mints again, and
// verifiers refuse it. Revoking a revoked token is not an error. Errors:
// tokenError() of the PATCH.
ctrl::Status revokeToken(ctrl::Writer& client, const Target& target, std::ostream& out);

struct SigningKeyTarget {
  std::string ns = "servicetoken-system";  // the operator's namespace
  std::string secret = "servicetoken-signing-keys";
};

// Asks the operator for one signing-key rotation: sets the annotation
// servicetoken.dev/rotate-signing-key on the key Secret to clock.wallNow()
// (RFC 3339, microseconds) with a JSON merge patch, and
// servicetoken.dev/retire-old to "true" when `retireOld` (else removes it),
// then prints what follows. Needs `patch` on that Secret, nothing else: the
// keys are never read. Errors: NotFound naming the Secret and the flag to
// use; other errors of the PATCH with the server's message.
ctrl::Status requestSigningKeyRotation(ctrl::Writer& client, const ctrl::Clock& clock,
                                       const SigningKeyTarget& target, bool retireOld,
                                       std::ostream& out);

}  // namespace st::plugin
