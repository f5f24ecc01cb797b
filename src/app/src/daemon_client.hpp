// The admin CLI's side of the API: one HTTP/1.1 request to the daemon over its Unix socket.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"

namespace hsm2fa::app {

struct DaemonAnswer {
  unsigned status = 0;
  SecretBytes body;  // may hold a pairing secret
};

// Errc::hsm_unavailable is never used here: a daemon that cannot be reached (no socket, refused,
// timed out, garbled answer) is Errc::internal with a message.
Result<DaemonAnswer> call_daemon(const std::filesystem::path& socket, std::string_view method,
                                 const std::string& target, const std::string& json_body);

// "/v1/tenants/{t}/users/{u}" + suffix, each segment percent-encoded.
std::string user_target(std::string_view tenant, std::string_view user, std::string_view suffix);

}  // namespace hsm2fa::app
