#include "kek_ring.hpp"

#include <algorithm>

#include "key_specs.hpp"

namespace hsm2fa::hsm {

std::string KekRing::active() const {
  std::lock_guard lock(mutex_);
  return active_;
}

bool KekRing::accepts(std::string_view name) const {
  if (!rotating_) return name == "kek-1";
  return kek_number(name).has_value();
}

Result<std::string> KekRing::refresh(TokenImpl& token) {
  if (!rotating_) return active();
  auto lease = token.lease();
  if (!lease) return std::move(lease).error();
  auto numbers = kek_numbers(lease->session(), prefix_);
  if (!numbers) {
    lease->mark_broken_if(numbers.error());
    return std::move(numbers).error();
  }
  if (numbers->empty()) {
    return make_error(Errc::config, "no key " + prefix_ + "-kek-N in the token: provision it");
  }
  std::lock_guard lock(mutex_);
  const unsigned newest = numbers->back();
  if (newest >= kek_number(active_).value_or(0)) active_ = "kek-" + std::to_string(newest);
  return active_;
}

Result<std::vector<unsigned>> kek_numbers(const Session& session, const std::string& prefix) {
  Template match;
  match.number(CKA_CLASS, CKO_SECRET_KEY).number(CKA_KEY_TYPE, CKK_AES);
  auto keys = find_objects(session, match);
  if (!keys) return std::move(keys).error();
  std::vector<unsigned> numbers;
  const std::string stem = prefix + "-";
  for (CK_OBJECT_HANDLE key : *keys) {
    auto label = read_bytes(session, key, CKA_LABEL);
    if (!label) return std::move(label).error();
    const std::string text(label->begin(), label->end());
    if (text.rfind(stem, 0) != 0) continue;
    if (auto n = kek_number(std::string_view(text).substr(stem.size()))) numbers.push_back(*n);
  }
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  return numbers;
}

}  // namespace hsm2fa::hsm
