#include "hsm2fa/service/change_feed.hpp"

#include <vector>

namespace hsm2fa::service {

ChangeFeed::Subscription& ChangeFeed::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    feed_ = std::move(other.feed_);
    id_ = other.id_;
    other.id_ = 0;
  }
  return *this;
}

void ChangeFeed::Subscription::reset() noexcept {
  if (id_ == 0) return;
  if (auto feed = feed_.lock()) feed->unsubscribe(id_);
  id_ = 0;
}

std::string ChangeFeed::challenge_key(std::string_view challenge_id) {
  return "challenge:" + std::string(challenge_id);
}

std::string ChangeFeed::user_key(std::string_view tenant, std::string_view user) {
  // NUL cannot occur in identifiers, so no two (tenant, user) pairs share a key.
  std::string key = "user:";
  key.append(tenant).push_back('\0');
  key.append(user);
  return key;
}

ChangeFeed::Subscription ChangeFeed::subscribe(std::string key, Listener listener) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  keys_.emplace(id, key);
  listeners_.emplace(std::move(key), std::make_pair(id, std::move(listener)));
  return Subscription(weak_from_this(), id);
}

void ChangeFeed::publish(std::string_view key) {
  version_.fetch_add(1);
  std::vector<Listener> due;
  {
    std::lock_guard lock(mutex_);
    auto [first, last] = listeners_.equal_range(key);
    for (auto it = first; it != last; ++it) due.push_back(it->second.second);
  }
  for (auto& listener : due) listener();
}

std::size_t ChangeFeed::subscribers() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

void ChangeFeed::unsubscribe(std::uint64_t id) noexcept {
  std::lock_guard lock(mutex_);
  auto key = keys_.find(id);
  if (key == keys_.end()) return;
  auto [first, last] = listeners_.equal_range(key->second);
  for (auto it = first; it != last; ++it) {
    if (it->second.first == id) {
      listeners_.erase(it);
      break;
    }
  }
  keys_.erase(key);
}

}  // namespace hsm2fa::service
