// Enrolls the bench's users over the API: POST .../totp, capture the pairing secret while the
// enrollment is pending, confirm it with a code computed from that secret.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "user_pool.hpp"

namespace hsm2fa::bench {

struct EnrollPlan {
  std::filesystem::path socket;
  std::string tenant = "default";
  std::string user_prefix = "bench-";
  std::size_t users = 0;
  unsigned connections = 8;
  double max_seconds = 40;  // no user is started after this
};

struct EnrollResult {
  std::vector<BenchUser> users;  // active, with the step their confirmation used
  std::uint64_t failed = 0;      // users that did not end up active
  std::string first_failure;     // status and error code of the first failure (no secrets)
  double seconds = 0;
  bool out_of_time = false;  // max_seconds ended it before every user was enrolled
  double per_s() const { return seconds > 0 ? static_cast<double>(users.size()) / seconds : 0; }
};

// The confirmation uses the previous step's code (so the current step is left for verify); if
// the step moved on meanwhile, it retries once with the current step's code.
EnrollResult enroll_users(const EnrollPlan& plan);

// The value of "secret" in an enrollment answer, or empty. Exposed for tests.
SecretBytes extract_secret(std::string_view body);

}  // namespace hsm2fa::bench
