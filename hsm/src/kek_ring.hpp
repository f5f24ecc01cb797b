// The active KEKs a wrapped vault knows: "kek-1" alone with kek_rotation = "off"; with
// "trusted", every "<prefix>-kek-N" in the token, the highest N sealing new blobs. Thread-safe:
// a rotation's refresh() races with enrollments reading active().
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "token_impl.hpp"

namespace hsm2fa::hsm {

class KekRing {
 public:
  KekRing(std::string prefix, bool rotating) : prefix_(std::move(prefix)), rotating_(rotating) {}

  bool rotating() const noexcept { return rotating_; }
  // The name ("kek-N") new active blobs are sealed under.
  std::string active() const;
  std::string label(std::string_view name) const { return prefix_ + "-" + std::string(name); }
  // Whether an authenticated ref naming `name` may be opened: "kek-1" when not rotating, any
  // "kek-N" otherwise (a ref under a KEK that is gone then fails at the token's key lookup).
  bool accepts(std::string_view name) const;
  // Rescans the token; the highest kek-N becomes active (never a lower one than before).
  // Errc::config when the token holds none. Returns the active name.
  Result<std::string> refresh(TokenImpl& token);

 private:
  const std::string prefix_;
  const bool rotating_;
  mutable std::mutex mutex_;
  std::string active_ = "kek-1";
};

// The N of every secret key labelled "<prefix>-kek-N" the session can see, ascending.
Result<std::vector<unsigned>> kek_numbers(const Session& session, const std::string& prefix);

}  // namespace hsm2fa::hsm
