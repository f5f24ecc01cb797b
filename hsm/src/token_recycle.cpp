// Module recycling: SoftHSM2 2.6 keeps a record of every session object it ever made (destroyed or
// not) until C_Finalize, a couple of hundred bytes each. In wrapped custody every enrollment and
// every key-cache eviction leaves one, so a long-running daemon would grow without bound. After
// `recycle_after_objects` objects destroyed, a background thread first lets the key cache destroy
// its keys while traffic goes on (a live object costs SoftHSM2 several microseconds to drop at
// C_Finalize, a destroyed one about one), then waits for a moment with no lease out
// (SessionPool::drain: every operation holds a lease for as long as it uses a handle, oracles for
// their whole life) and re-initialises the module, then logs in again. Handles from before are
// dead afterwards; the login epoch moving on makes every cache of them (found keys, the key cache)
// forget them, and the hooks close the sessions others opened themselves before C_Finalize, so no
// stale session or object handle is ever used against the new instance, where numbers restart.
#include <spdlog/spdlog.h>

#include <limits>

#include "token_impl.hpp"

namespace hsm2fa::hsm {
namespace {

constexpr std::size_t kSoftHsmDefault = 10000;
constexpr std::chrono::milliseconds kDrain{100};
constexpr std::chrono::milliseconds kFirstRetry{250}, kMaxRetry{5000};

}  // namespace

void TokenImpl::start_recycler() {
  if (config_.recycle_after_objects) {
    recycle_threshold_ = *config_.recycle_after_objects;
  } else if (config_.custody == Custody::wrapped &&
             module_->manufacturer().find("SoftHSM") != std::string::npos) {
    recycle_threshold_ = kSoftHsmDefault;
  }
  if (recycle_threshold_ == 0) return;
  if (config_.custody != Custody::wrapped) {
    // Token custody keeps a handle per seed between leases; recycling would cost a full rescan.
    spdlog::warn("token: recycle_after_objects applies to wrapped custody only; off");
    recycle_threshold_ = 0;
    return;
  }
  recycler_ = std::jthread([this](std::stop_token stop) { recycler_loop(std::move(stop)); });
}

bool TokenImpl::recycle_due() const noexcept {
  return recycle_threshold_ > 0 &&
         stats_->objects_destroyed() - objects_at_init_.load(std::memory_order_relaxed) >=
             recycle_threshold_;
}

std::uint64_t TokenImpl::destroys_before_recycle() const noexcept {
  if (recycle_threshold_ == 0) return std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t done =
      stats_->objects_destroyed() - objects_at_init_.load(std::memory_order_relaxed);
  return done >= recycle_threshold_ ? 0 : recycle_threshold_ - done;
}

void TokenImpl::on_recycle(std::function<void()> prepare, std::function<void()> forget) {
  std::lock_guard lock(hooks_mutex_);
  recycle_hooks_.emplace_back(std::move(prepare), std::move(forget));
}

void TokenImpl::recycler_loop(std::stop_token stop) {
  std::chrono::milliseconds retry = kFirstRetry;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(recycler_mutex_);
      // Woken by lease() once due; the timed wait also catches a wake-up sent before this wait.
      if (!recycler_wake_.wait_for(lock, stop, std::chrono::seconds(1),
                                   [&] { return recycle_due(); })) {
        continue;
      }
    }
    auto done = recycle_module(kDrain);
    if (done && *done) {
      retry = kFirstRetry;
      continue;
    }
    if (!done) spdlog::warn("token: module re-initialisation failed: {}", done.error().message);
    std::unique_lock lock(recycler_mutex_);
    recycler_wake_.wait_for(lock, stop, retry, [] { return false; });
    retry = std::min(retry * 2, kMaxRetry);
  }
}

Result<bool> TokenImpl::recycle_module(std::chrono::milliseconds drain) {
  if (module_->shared()) {
    return make_error(Errc::config, "PKCS#11 module " + config_.module_path +
                                        " is shared in this process; not re-initialising it");
  }
  std::vector<std::pair<std::function<void()>, std::function<void()>>> hooks;
  {
    std::lock_guard lock(hooks_mutex_);
    hooks = recycle_hooks_;
  }
  for (auto& hook : hooks) hook.first();
  const auto start = std::chrono::steady_clock::now();
  if (!pool_.drain(drain)) {
    recycle_deferrals_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // No lease is out and none is handed out until resume(): nothing holds a handle now.
  for (auto& hook : hooks) hook.second();
  const std::uint64_t destroyed =
      stats_->objects_destroyed() - objects_at_init_.load(std::memory_order_relaxed);
  Status status;
  CK_SLOT_ID slot = 0;
  {
    std::lock_guard lock(login_mutex_);
    pool_.drop_idle();
    login_.reset();  // C_Logout and C_CloseSession while the module still knows them
    keeper_.reset();
    status = reinitialize_locked();
    if (status) {
      status = login_locked();  // sets up_ by its outcome
    } else {
      up_ = false;
    }
    slot = slot_;
  }
  pool_.resume(slot);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  last_recycle_seconds_.store(took.count(), std::memory_order_relaxed);
  if (!status) {
    recycle_failures_.fetch_add(1, std::memory_order_relaxed);
    return std::move(status).error();
  }
  recycles_.fetch_add(1, std::memory_order_relaxed);
  spdlog::info(
      "token: module re-initialised after {} objects destroyed ({:.1f} ms of held operations)",
      destroyed, took.count() * 1000);
  return true;
}

Status TokenImpl::reinitialize_locked() {
  objects_at_init_.store(stats_->objects_destroyed(), std::memory_order_relaxed);
  // Every handle of the old instance is dead from here, even if what follows fails.
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  if (auto status = module_->reinitialize(); !status) return status;
  auto slot = select_slot(cryptoki(), config_.token_uri);
  if (!slot) return std::move(slot).error();
  slot_ = *slot;
  pool_.set_slot(slot_);
  return {};
}

}  // namespace hsm2fa::hsm
