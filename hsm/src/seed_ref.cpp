#include "seed_ref.hpp"

#include <algorithm>

#include "attributes.hpp"

namespace hsm2fa::hsm {
namespace {

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> parts;
  for (;;) {
    auto colon = text.find(':');
    parts.push_back(text.substr(0, colon));
    if (colon == std::string_view::npos) return parts;
    text = text.substr(colon + 1);
  }
}

Error bad_ref(std::string_view why) {
  return make_error(Errc::invalid_argument, "seed ref: " + std::string(why));
}

// A ref that claims to be a wrapped blob but does not parse was altered: same answer as a MAC
// mismatch.
Error altered_ref(std::string_view why) {
  return make_error(Errc::tampered, "wrapped seed ref: " + std::string(why));
}

}  // namespace

bool from_hex(std::string_view hex, std::vector<std::uint8_t>& out) {
  if (hex.size() % 2 != 0) return false;
  out.clear();
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;  // lower case only: one spelling per ref
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return true;
}

std::string TokenSeedRef::encode() const {
  return "t1:" + std::string(to_string(alg)) + ":" + to_hex(id);
}

Result<TokenSeedRef> decode_token_ref(std::string_view text) {
  auto parts = split(text);
  if (parts.size() != 3 || parts[0] != "t1") return bad_ref("not a token-mode reference");
  auto alg = parse_hash_alg(parts[1]);
  if (!alg) return bad_ref("unknown algorithm");
  std::vector<std::uint8_t> id;
  if (!from_hex(parts[2], id) || id.size() != 16) return bad_ref("bad id");
  TokenSeedRef ref;
  ref.alg = *alg;
  std::copy(id.begin(), id.end(), ref.id.begin());
  return ref;
}

std::string WrappedSeedRef::authenticated_part() const {
  return "w1:" + std::string(to_string(alg)) + ":" + (pending ? "p" : "a") + ":" + kek + ":" +
         mechanism + ":" + to_hex(wrapped);
}

std::string WrappedSeedRef::encode() const { return authenticated_part() + ":" + to_hex(mac); }

Result<WrappedSeedRef> decode_wrapped_ref(std::string_view text) {
  auto parts = split(text);
  if (parts[0] != "w1") return bad_ref("not a wrapped-mode reference");
  if (parts.size() != 7) return altered_ref("wrong number of fields");
  WrappedSeedRef ref;
  auto alg = parse_hash_alg(parts[1]);
  if (!alg) return altered_ref("unknown algorithm");
  ref.alg = *alg;
  if (parts[2] != "p" && parts[2] != "a") return altered_ref("unknown state");
  ref.pending = parts[2] == "p";
  ref.kek = std::string(parts[3]);
  ref.mechanism = std::string(parts[4]);
  if (!from_hex(parts[5], ref.wrapped) || ref.wrapped.empty())
    return altered_ref("bad wrapped key");
  if (!from_hex(parts[6], ref.mac) || ref.mac.size() != 32) return altered_ref("bad MAC");
  return ref;
}

}  // namespace hsm2fa::hsm
