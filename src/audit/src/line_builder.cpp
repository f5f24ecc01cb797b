#include "line_builder.hpp"

#include <boost/json.hpp>

namespace hsm2fa::audit {
namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 if it is not a valid one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = b < 0x80           ? 1
                  : (b >> 5) == 0x6  ? 2
                  : (b >> 4) == 0xe  ? 3
                  : (b >> 3) == 0x1e ? 4
                                     : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  }
  return n;
}

boost::json::string text(std::string_view s) {
  boost::json::string out;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_length(s, i);
    if (n == 0) {
      out.push_back('?');
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

boost::json::object header(std::string_view type, std::uint64_t seq, std::string_view ts,
                           std::string_view instance) {
  boost::json::object o;
  o["type"] = text(type);
  o["seq"] = seq;
  o["ts"] = text(ts);
  o["instance"] = text(instance);
  return o;
}

std::string finish(boost::json::object& o, const Digest& prev) {
  o["prev"] = to_hex(prev);
  return boost::json::serialize(o);
}

}  // namespace

std::string event_object(std::uint64_t seq, std::string_view ts, std::string_view instance,
                         const AuditRecord& record, const Digest& prev) {
  auto o = header("event", seq, ts, instance);
  o["request_id"] = text(record.request_id);
  o["actor"] = text(record.actor);
  o["action"] = text(record.action);
  o["tenant"] = text(record.tenant);
  o["user"] = text(record.user);
  o["outcome"] = text(record.outcome);
  o["reason"] = text(record.reason);
  if (!record.ckr.empty()) o["ckr"] = text(record.ckr);
  return finish(o, prev);
}

std::string checkpoint_object(std::uint64_t seq, std::string_view ts, std::string_view instance,
                              std::string_view chain_head, std::string_view sig_base64,
                              const Digest& prev) {
  auto o = header("checkpoint", seq, ts, instance);
  o["chain_head"] = text(chain_head);
  o["sig"] = text(sig_base64);
  return finish(o, prev);
}

std::string recovery_object(std::uint64_t seq, std::string_view ts, std::string_view instance,
                            std::string_view reason, const Digest& prev) {
  auto o = header("recovery", seq, ts, instance);
  o["reason"] = text(reason);
  return finish(o, prev);
}

}  // namespace hsm2fa::audit
