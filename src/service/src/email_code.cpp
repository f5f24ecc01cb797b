#include "email_code.hpp"

#include <openssl/crypto.h>

#include <array>
#include <cstring>

#include "hsm2fa/hex.hpp"
#include "use_cases.hpp"
#include "validation.hpp"

namespace hsm2fa::service {
namespace {

bool same_mac(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Result<SecretBytes> random_digits(RandomSource& random, int digits) {
  SecretBytes code(static_cast<std::size_t>(digits));
  std::uint8_t* out = code.data();
  int filled = 0;
  std::array<std::uint8_t, 32> pool{};
  while (filled < digits) {
    if (auto st = random.fill(pool); !st) return std::move(st).error();
    for (std::uint8_t b : pool) {
      if (b >= 250) continue;  // 250 = 25 * 10: keeps every digit equally likely
      out[filled++] = static_cast<std::uint8_t>('0' + b % 10);
      if (filled == digits) break;
    }
  }
  secure_wipe(pool.data(), pool.size());
  return code;
}

Result<std::string> email_code_mac(const ServiceContext& ctx, std::string_view tenant,
                                   std::string_view user, std::string_view code,
                                   std::int64_t issued_at) {
  if (!ctx.ports.token_mac) {
    return make_error(Errc::hsm_unavailable, "no token MAC is configured for email codes");
  }
  std::string data;
  data.reserve(tenant.size() + user.size() + code.size() + 24);
  data.append(tenant).push_back('\0');
  data.append(user).push_back('\0');
  data.append(code).push_back('\0');
  data.append(std::to_string(issued_at));
  auto mac = ctx.ports.token_mac("email-code",
                                 {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
  secure_wipe(data.data(), data.size());
  if (!mac) return std::move(mac).error();
  return to_hex(mac->span());
}

Result<std::optional<VerifyReason>> check_email_code(const ServiceContext& ctx,
                                                     const EmailPolicy& policy,
                                                     std::string_view tenant, std::string_view user,
                                                     std::string_view code) {
  using Answer = std::optional<VerifyReason>;
  if (!policy.enabled || code.size() != static_cast<std::size_t>(policy.digits)) return Answer();
  auto live = ctx.store->email_code(tenant, user);
  if (!live) return std::move(live).error();
  if (!*live) return Answer();
  const EmailCode& stored = **live;
  auto mac = email_code_mac(ctx, tenant, user, code, stored.issued_at);
  if (!mac) return std::move(mac).error();
  const bool match = same_mac(*mac, stored.mac);
  if (ctx.now_seconds() >= stored.expires_at) {
    // An expired code is dead either way; it is removed so it stops counting as live.
    if (auto st = ctx.store->delete_email_code(tenant, user, stored.mac); !st) {
      return std::move(st).error();
    }
    return Answer(match ? VerifyReason::expired : VerifyReason::wrong_code);
  }
  if (match) {
    auto won = ctx.store->take_email_code(tenant, user, stored.mac);
    if (!won) return std::move(won).error();
    return Answer(*won ? VerifyReason::none : VerifyReason::replayed);
  }
  auto counted = ctx.store->count_email_attempt(tenant, user, stored.mac, policy.max_attempts);
  if (!counted) return std::move(counted).error();
  return Answer(VerifyReason::wrong_code);
}

namespace use_case {

Result<EmailCodeIssued> send_email_code(const ServiceContext& ctx, std::string_view tenant,
                                        std::string_view user, std::string_view email) {
  auto config = resolve_tenant(ctx, tenant, user);
  if (!config) return std::move(config).error();
  const EmailPolicy& policy = (*config)->email;
  if (!policy.enabled) return make_error(Errc::conflict, "email codes are off for this tenant");
  if (!is_email_address(email)) {
    return make_error(Errc::invalid_argument, "\"email\" must be an address like user@example.com");
  }
  auto code = random_digits(*ctx.ports.random, policy.digits);
  if (!code) return std::move(code).error();
  const std::int64_t now = ctx.now_seconds();
  auto mac = email_code_mac(ctx, tenant, user, code->view(), now);
  if (!mac) return std::move(mac).error();

  // Stored before it is sent, so a code in an inbox is always one verify knows; if the send
  // fails the code is removed again, so a failed send leaves nothing live.
  const EmailCode stored{
      std::string(tenant), std::string(user), *mac, now, now + policy.ttl.count(), 0};
  auto put = ctx.store->put_email_code(stored, policy.resend_after.count());
  if (!put) return std::move(put).error();
  if (*put) {
    Error error = make_error(Errc::rate_limited, "a code was sent recently; wait before resending");
    error.retry_after_seconds = std::max<std::int64_t>(1, **put - now);
    return error;
  }
  EmailCodeIssued issued;
  issued.expires_at = stored.expires_at;
  issued.resend_after = now + policy.resend_after.count();
  issued.delivery = policy.delivery;
  if (policy.delivery == EmailDelivery::caller) {
    issued.code = std::move(code).value();
    return issued;
  }
  const EmailMessage message{std::string(email), (*config)->issuer, std::string(tenant),
                             std::string(user),  &code.value(),     policy.ttl.count()};
  if (auto sent = ctx.ports.email_sender->send(message); !sent) {
    if (auto st = ctx.store->delete_email_code(tenant, user, stored.mac); !st) {
      // Still fail closed: nobody has this code, and it expires on its own.
      return std::move(st).error();
    }
    return std::move(sent).error();
  }
  return issued;
}

}  // namespace use_case
}  // namespace hsm2fa::service
