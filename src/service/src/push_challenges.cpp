#include <algorithm>
#include <ctime>

#include "email_code.hpp"
#include "push_key.hpp"
#include "use_cases.hpp"

namespace hsm2fa::service {

std::string rfc3339_utc(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string push_signed_message(const PushChallenge& c, bool approve, std::optional<int> number) {
  std::string m = "hsm2fa-push-v1\n";
  for (const std::string* line : {&c.id, &c.nonce, &c.tenant, &c.user, &c.origin}) {
    m += *line;
    m += '\n';
  }
  m += rfc3339_utc(c.expires_at);
  m += approve ? "\napprove\n" : "\ndeny\n";
  if (number) m += std::to_string(*number);
  return m;
}

namespace use_case {
namespace {

constexpr std::int64_t kRateWindow = 60;

// Shown text bound into a challenge: printable, no line breaks (the signed message is lines).
bool is_shown_text(std::string_view s, std::size_t min, std::size_t max) {
  if (s.size() < min || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c != 0x7f;
  });
}

std::string state_of(const PushChallenge& c, std::int64_t now) {
  switch (c.state) {
    case ChallengeState::approved:
      return "approved";
    case ChallengeState::denied:
      return "denied";
    case ChallengeState::pending:
      break;
  }
  return now >= c.expires_at ? "expired" : "pending";
}

ChallengeStatus status_of(const PushChallenge& c, std::int64_t now) {
  return ChallengeStatus{c.tenant, c.user, state_of(c, now),
                         c.state == ChallengeState::approved ? c.method : std::string()};
}

Result<PushChallenge> load(const ServiceContext& ctx, std::string_view id) {
  auto c = ctx.store->challenge(id);
  if (!c) return std::move(c).error();
  if (!*c) return make_error(Errc::not_found, "no such challenge");
  return std::move(**c);
}

// Three distinct numbers 10..99, the right one among them at a random place.
Result<std::vector<int>> pick_numbers(RandomSource& random) {
  std::vector<int> numbers;
  while (numbers.size() < 3) {
    std::uint8_t b = 0;
    if (auto st = random.fill({&b, 1}); !st) return std::move(st).error();
    if (b >= 180) continue;  // 180 = 2 * 90: no bias
    const int n = 10 + b % 90;
    if (std::find(numbers.begin(), numbers.end(), n) == numbers.end()) numbers.push_back(n);
  }
  return numbers;
}

void publish(const ServiceContext& ctx, const PushChallenge& c) {
  ctx.feed->publish(ChangeFeed::challenge_key(c.id));
  ctx.feed->publish(ChangeFeed::user_key(c.tenant, c.user));
}

}  // namespace

Result<ChallengeCreated> create_challenge(const ServiceContext& ctx, std::string_view tenant,
                                          std::string_view user, const ChallengeRequest& request) {
  auto config = resolve_tenant(ctx, tenant, user);
  if (!config) return std::move(config).error();
  if (!is_shown_text(request.origin, 1, 253) || !is_shown_text(request.ip, 0, 45) ||
      !is_shown_text(request.user_agent, 0, 512)) {
    return make_error(Errc::invalid_argument,
                      "origin (1-253), ip (0-45) and user_agent (0-512) are printable text");
  }
  const PushPolicy& policy = (*config)->push;
  PushChallenge c;
  auto id = random_hex_id(*ctx.ports.random);
  if (!id) return std::move(id).error();
  auto nonce = random_hex_id(*ctx.ports.random);
  if (!nonce) return std::move(nonce).error();
  c.id = std::move(id).value();
  c.nonce = std::move(nonce).value();
  c.tenant = std::string(tenant);
  c.user = std::string(user);
  c.origin = request.origin;
  c.ip = request.ip;
  c.user_agent = request.user_agent;
  c.created_at = ctx.now_seconds();
  c.expires_at = c.created_at + policy.challenge_ttl.count();
  if (policy.number_matching) {
    auto numbers = pick_numbers(*ctx.ports.random);
    if (!numbers) return std::move(numbers).error();
    c.numbers = std::move(numbers).value();
    std::uint8_t b = 0;
    do {
      if (auto st = ctx.ports.random->fill({&b, 1}); !st) return std::move(st).error();
    } while (b >= 255);  // 255 = 3 * 85
    c.number = c.numbers[b % 3];
  }
  auto added = ctx.store->add_challenge(c, policy.max_challenges_per_minute,
                                        c.created_at - kRateWindow + 1, kRateWindow);
  if (!added) return std::move(added).error();
  if (*added) {
    Error error = make_error(Errc::rate_limited, "too many login approvals asked; wait a minute");
    error.retry_after_seconds = std::max<std::int64_t>(1, **added - c.created_at);
    return error;
  }
  publish(ctx, c);
  return ChallengeCreated{c.id, c.expires_at, c.number};
}

Result<ChallengeStatus> challenge_status(const ServiceContext& ctx, std::string_view id) {
  auto c = load(ctx, id);
  if (!c) return std::move(c).error();
  return status_of(*c, ctx.now_seconds());
}

Result<DeviceInbox> device_challenges(const ServiceContext& ctx, std::string_view device_id) {
  auto device = ctx.store->device(device_id);
  if (!device) return std::move(device).error();
  if (!*device) return make_error(Errc::not_found, "no such device");
  auto pending =
      ctx.store->pending_challenges((*device)->tenant, (*device)->user, ctx.now_seconds());
  if (!pending) return std::move(pending).error();
  return DeviceInbox{(*device)->tenant, (*device)->user, std::move(pending).value()};
}

Result<ChallengeStatus> answer_challenge(const ServiceContext& ctx, std::string_view id,
                                         const PushAnswer& answer) {
  auto c = load(ctx, id);
  if (!c) return std::move(c).error();
  auto device = ctx.store->device(answer.device_id);
  if (!device) return std::move(device).error();
  if (!*device || (*device)->tenant != c->tenant || (*device)->user != c->user) {
    return make_error(Errc::not_found, "no such device for this challenge's user");
  }
  const std::int64_t now = ctx.now_seconds();
  if (c->state != ChallengeState::pending) {
    return make_error(Errc::conflict, "the challenge was already answered");
  }
  if (now >= c->expires_at) return make_error(Errc::conflict, "the challenge has expired");
  const bool matching = !c->numbers.empty();
  if (matching && answer.approve && !answer.number) {
    return make_error(Errc::invalid_argument, "this challenge needs the \"number\" shown");
  }
  const std::optional<int> signed_number = matching ? answer.number : std::nullopt;
  if (!verify_p256_signature((*device)->public_key_pem,
                             push_signed_message(*c, answer.approve, signed_number),
                             answer.signature)) {
    return make_error(Errc::signature_invalid, "the signature does not verify");
  }
  // A signed approval of the wrong number is someone else's login on the user's screen (or a
  // slip): the challenge is denied, not left open for another try.
  const bool wrong_number = matching && answer.approve && *answer.number != c->number;
  const ChallengeState state =
      answer.approve && !wrong_number ? ChallengeState::approved : ChallengeState::denied;
  auto won = ctx.store->answer_challenge(id, state, "push", answer.device_id, now);
  if (!won) return std::move(won).error();
  if (!*won) return make_error(Errc::conflict, "the challenge was already answered or expired");
  c->state = state;
  c->method = "push";
  publish(ctx, *c);
  if (wrong_number) return make_error(Errc::conflict, "wrong number: the login was refused");
  return status_of(*c, now);
}

Result<ChallengeCodeResult> challenge_code(const ServiceContext& ctx, std::string_view id,
                                           std::string_view code) {
  auto c = load(ctx, id);
  if (!c) return std::move(c).error();
  if (c->state != ChallengeState::pending || ctx.now_seconds() >= c->expires_at) {
    return make_error(Errc::conflict, "the challenge is no longer pending");
  }
  auto verified = verify(ctx, c->tenant, c->user, code);
  if (!verified) return std::move(verified).error();
  if (!verified->valid) return ChallengeCodeResult{false, state_of(*c, ctx.now_seconds())};
  auto won = ctx.store->answer_challenge(id, ChallengeState::approved, verified->method, "",
                                         ctx.now_seconds());
  if (!won) return std::move(won).error();
  auto after = load(ctx, id);
  if (!after) return std::move(after).error();
  if (*won) publish(ctx, *after);
  // The code was spent either way; the state says whether it approved this challenge.
  return ChallengeCodeResult{true, state_of(*after, ctx.now_seconds())};
}

}  // namespace use_case
}  // namespace hsm2fa::service
