#include "token_impl.hpp"

#include <spdlog/spdlog.h>

#include "attributes.hpp"

namespace hsm2fa::hsm {
namespace {

GateConfig gate_config(const TokenConfig& config) {
  GateConfig gate;
  gate.call_timeout = config.call_timeout;
  gate.breaker.failures_to_open = config.breaker_failures;
  gate.breaker.first_backoff = config.breaker_backoff_min;
  gate.breaker.max_backoff = config.breaker_backoff_max;
  return gate;
}

}  // namespace
}  // namespace hsm2fa::hsm

namespace hsm2fa::hsm {

Result<std::shared_ptr<TokenImpl>> TokenImpl::open(const TokenConfig& config) {
  auto module = Module::load(config.module_path);
  if (!module) return std::move(module).error();
  auto slot = select_slot((*module)->cryptoki(), config.token_uri);
  if (!slot) return std::move(slot).error();
  std::shared_ptr<TokenImpl> token(new TokenImpl(config, std::move(*module), *slot));
  {
    std::lock_guard lock(token->login_mutex_);
    if (auto status = token->login_locked(); !status) return std::move(status).error();
  }
  token->start_recycler();
  return token;
}

TokenImpl::TokenImpl(TokenConfig config, std::shared_ptr<Module> module, CK_SLOT_ID slot)
    : config_(std::move(config)),
      module_(std::move(module)),
      stats_(std::make_unique<CallStats>()),
      slot_(slot),
      gate_(gate_config(config_)),
      pool_(Cryptoki(module_->functions(), stats_.get()), slot, config_.sessions) {}

TokenImpl::~TokenImpl() {
  if (recycler_.joinable()) {
    recycler_.request_stop();
    recycler_wake_.notify_all();
    // A recycle hook may have held the last reference to this Token: never join oneself.
    if (recycler_.get_id() == std::this_thread::get_id()) {
      recycler_.detach();
    } else {
      recycler_.join();
    }
  }
  // Pool sessions must close while the keeper still holds the login; member order ensures it
  // (pool_ is destroyed first), then the login, then the keeper, then the module.
}

// `up` follows the outcome of each attempt, so a planned re-login or recycle never shows the
// token down while it is merely paused.
Status TokenImpl::login_locked() {
  Status status = try_login_locked();
  up_ = status.ok();
  return status;
}

Status TokenImpl::try_login_locked() {
  if (!module_->initialized()) {  // a recycle's C_Initialize failed: try it again first
    if (auto status = reinitialize_locked(); !status) return status;
  }
  CK_TOKEN_INFO info{};
  if (auto status = cryptoki().call(HSM2FA_P11(C_GetTokenInfo), slot_, &info); !status) {
    return status;
  }
  // A retry with a wrong PIN on the final try would lock the token for every user.
  if (info.flags & CKF_USER_PIN_LOCKED) {
    return make_error(Errc::pin_locked, "the token reports the user PIN locked; not logging in");
  }
  if (info.flags & CKF_USER_PIN_FINAL_TRY) {
    return make_error(Errc::pin_locked,
                      "the token reports the user PIN on its final try; not logging in");
  }
  login_.reset();
  keeper_.reset();
  pool_.drop_idle();
  auto pin = read_pin_file(config_.pin_file);
  if (!pin) return std::move(pin).error();
  auto session = Session::open(cryptoki(), slot_);
  if (!session) return std::move(session).error();
  keeper_.emplace(std::move(*session));
  auto login = Login::user(*keeper_, *pin);
  if (!login) {
    keeper_.reset();
    return std::move(login).error();
  }
  login_.emplace(std::move(*login));
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  return {};
}

Status TokenImpl::check() {
  return gate_.run<void>("login probe",
                         [self = shared_from_this()] { return self->probe_login(); });
}

Status TokenImpl::probe_login() {
  std::lock_guard lock(login_mutex_);
  if (keeper_) {
    CK_SESSION_INFO info{};
    CK_RV rv = keeper_->raw(HSM2FA_P11(C_GetSessionInfo), &info);
    if (rv == CKR_OK &&
        (info.state == CKS_RW_USER_FUNCTIONS || info.state == CKS_RO_USER_FUNCTIONS)) {
      up_ = true;
      return {};
    }
    spdlog::warn("token: login lost ({}, session state {}); logging in again", ckr_name(rv),
                 rv == CKR_OK ? info.state : 0);
  }
  return login_locked();
}

Status TokenImpl::recover_if_suspect() {
  if (!pool_.take_login_suspect()) return {};
  return probe_login();
}

Result<SessionPool::Lease> TokenImpl::lease() {
  if (auto status = recover_if_suspect(); !status) return std::move(status).error();
  if (!module_->initialized()) {
    if (auto status = probe_login(); !status) return std::move(status).error();
  }
  if (recycle_due()) recycler_wake_.notify_one();
  return pool_.acquire();
}

TokenStats TokenImpl::stats() const {
  TokenStats out;
  out.calls = stats_->calls();
  out.errors_by_rv = stats_->errors();
  out.sessions_open = pool_.open_count();
  out.sessions_in_use = pool_.in_use_count();
  const bool breaker_closed = gate_.breaker().state() == CircuitBreaker::State::closed;
  out.up = up_.load() && breaker_closed;
  out.breaker_open = !breaker_closed;
  out.call_timeouts = gate_.timeouts();
  out.breaker_refusals = gate_.refusals();
  out.objects_created = stats_->objects_created();
  out.objects_destroyed = stats_->objects_destroyed();
  out.recycle_after_objects = recycle_threshold_;
  out.module_recycles = recycles_.load(std::memory_order_relaxed);
  out.recycle_deferrals = recycle_deferrals_.load(std::memory_order_relaxed);
  out.recycle_failures = recycle_failures_.load(std::memory_order_relaxed);
  out.last_recycle_seconds = last_recycle_seconds_.load(std::memory_order_relaxed);
  return out;
}

void TokenImpl::forget_key(const std::string& label) {
  std::lock_guard lock(keys_mutex_);
  keys_.erase(std::pair{CK_OBJECT_CLASS{CKO_SECRET_KEY}, label});
}

Result<CK_OBJECT_HANDLE> TokenImpl::object(CK_OBJECT_CLASS object_class, const std::string& label,
                                           const Session* on) {
  const auto epoch = login_epoch();
  const auto cache_key = std::pair{object_class, label};
  {
    std::lock_guard lock(keys_mutex_);
    auto it = keys_.find(cache_key);
    if (it != keys_.end() && it->second.first == epoch) return it->second.second;
  }
  std::optional<SessionPool::Lease> own;
  if (on == nullptr) {
    auto lease = pool_.acquire();
    if (!lease) return std::move(lease).error();
    own.emplace(std::move(*lease));
    on = &own->session();
  }
  Template match;
  match.number(CKA_CLASS, object_class).text(CKA_LABEL, label);
  auto found = find_objects(*on, match);
  if (!found) {
    if (own) own->mark_broken_if(found.error());
    return std::move(found).error();
  }
  if (found->empty()) {
    return make_error(Errc::config, "key " + label + " is missing from the token (provision it)");
  }
  if (found->size() > 1) {
    return make_error(Errc::config, "several keys are labelled " + label);
  }
  std::lock_guard lock(keys_mutex_);
  keys_[cache_key] = {epoch, found->front()};
  return found->front();
}

Result<std::shared_ptr<Token>> open_token(const TokenConfig& config) {
  auto token = TokenImpl::open(config);
  if (!token) return std::move(token).error();
  return std::shared_ptr<Token>(std::move(*token));
}

}  // namespace hsm2fa::hsm
