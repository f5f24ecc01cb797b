#include "rows.hpp"

#include "../push_columns.hpp"

namespace hsm2fa::store::sqlite {

Result<TotpCredential> read_credential(const Query& q) {
  TotpCredential c;
  c.id = q.int64(0);
  c.tenant = q.text(1);
  c.user = q.text(2);
  const std::string state = q.text(3);
  c.seed.encoded = q.text(4);
  const auto alg = parse_hash_alg(q.text(5));
  if ((state != "pending" && state != "active") || !alg) {
    return make_error(Errc::tampered, "sqlite: a stored TOTP credential has an unknown value");
  }
  c.state = state == "active" ? CredentialState::active : CredentialState::pending;
  c.alg = *alg;
  c.digits = static_cast<int>(q.int64(6));
  c.period = static_cast<int>(q.int64(7));
  c.last_step = q.int64(8);
  c.created_at = q.int64(9);
  c.expires_at = q.int64(10);
  return c;
}

PushDevice read_device(const Query& q) {
  return PushDevice{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.int64(5)};
}

Result<PushChallenge> read_challenge(const Query& q) {
  PushChallenge c;
  c.id = q.text(0);
  c.tenant = q.text(1);
  c.user = q.text(2);
  c.origin = q.text(3);
  c.ip = q.text(4);
  c.user_agent = q.text(5);
  c.nonce = q.text(6);
  c.number = static_cast<int>(q.int64(7));
  auto numbers = split_numbers(q.text(8));
  if (!numbers) return std::move(numbers).error();
  c.numbers = std::move(numbers).value();
  c.created_at = q.int64(9);
  c.expires_at = q.int64(10);
  auto state = parse_challenge_state(q.text(11));
  if (!state) return make_error(Errc::tampered, "sqlite: a stored challenge has an unknown state");
  c.state = *state;
  c.method = q.text(12);
  c.device_id = q.text(13);
  return c;
}

ThrottleState read_throttle(const Query& q, int first_column) {
  ThrottleState t;
  t.failures = static_cast<int>(q.int64(first_column));
  t.not_before_ms = q.int64(first_column + 1);
  t.locked_until_ms = q.int64(first_column + 2);
  return t;
}

}  // namespace hsm2fa::store::sqlite
