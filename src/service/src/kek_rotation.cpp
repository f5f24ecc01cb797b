#include "hsm2fa/service/kek_rotation.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "hsm2fa/service/two_factor_service.hpp"

namespace hsm2fa::service {
namespace {

constexpr std::size_t kPage = 500;
constexpr int kOutageRetries = 60;  // one a second

bool outage(Errc code) { return code == Errc::hsm_unavailable || code == Errc::store_unavailable; }

class BackgroundRotation final : public KekRotation {
 public:
  BackgroundRotation(std::shared_ptr<Store> store, std::shared_ptr<SeedRewrapper> rewrapper,
                     std::shared_ptr<AuditSink> audit, bool public_kek)
      : store_(std::move(store)),
        rewrapper_(std::move(rewrapper)),
        audit_(std::move(audit)),
        public_kek_(public_kek) {}

  ~BackgroundRotation() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

  Result<KekRotationProgress> start(const Caller& caller) override {
    std::unique_lock lock(mutex_);
    if (progress_.state == "running") return progress_;
    if (auto ready = audit_->ready(); !ready) return std::move(ready).error();
    auto target = rewrapper_->refresh_target();
    if (!target) return std::move(target).error();
    if (worker_.joinable()) worker_.join();  // the previous pass has ended
    progress_ = KekRotationProgress{};
    progress_.state = "running";
    progress_.target = *target;
    if (auto st = audit_->record(caller, AuditEvent{"kek.rotate", "", "", "started", *target});
        !st) {
      progress_.state = "idle";
      return make_error(Errc::audit_unavailable, st.error().message);
    }
    spdlog::info("kek rotation: re-wrapping active blobs under {}", *target);
    worker_ = std::thread([this, caller] { run(caller); });
    return progress_;
  }

  KekRotationProgress progress() const override {
    std::lock_guard lock(mutex_);
    return progress_;
  }

  bool public_kek() const noexcept override { return public_kek_; }

 private:
  // Sleeps up to `d`; false when the rotation is being destroyed.
  bool pause(std::chrono::seconds d) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, d, [this] { return stopping_; });
  }
  bool stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  // Every page of credentials, in id order; `each` sees one credential. False on a store error
  // (recorded as the pass's error) or when stopping.
  template <class Each>
  bool scan(Each&& each) {
    std::int64_t after = 0;
    for (;;) {
      if (stopping()) return false;
      auto page = store_->totp_credentials_after(after, kPage);
      for (int tries = 0; !page && outage(page.error().code) && tries < kOutageRetries; ++tries) {
        if (!pause(std::chrono::seconds(1))) return false;
        page = store_->totp_credentials_after(after, kPage);
      }
      if (!page) return stop_with(page.error());
      if (page->empty()) return true;
      for (const TotpCredential& c : *page) {
        after = c.id;
        if (stopping() || !each(c)) return false;
      }
    }
  }

  bool stop_with(const Error& error) {
    std::lock_guard lock(mutex_);
    progress_.error = error.message;
    return false;
  }

  // One blob: re-wrap, then the compare-and-set. False when the pass must stop.
  bool move(const TotpCredential& c) {
    if (!rewrapper_->needs_rewrap(c.seed)) return true;
    for (int tries = 0;; ++tries) {
      auto fresh = rewrapper_->rewrap(c.seed);
      Result<bool> stored = fresh ? store_->replace_seed(c.id, c.seed, *fresh)
                                  : Result<bool>(std::move(fresh).error());
      if (stored) {
        std::lock_guard lock(mutex_);
        ++(*stored ? progress_.done : progress_.skipped);
        return true;
      }
      if (outage(stored.error().code) && tries < kOutageRetries) {
        if (!pause(std::chrono::seconds(1))) return false;
        continue;
      }
      if (outage(stored.error().code)) return stop_with(stored.error());
      spdlog::error("kek rotation: credential {}: {}", c.id, stored.error().message);
      std::lock_guard lock(mutex_);
      ++progress_.failed;
      return true;
    }
  }

  void run(const Caller& caller) {
    std::uint64_t total = 0;
    bool ok = scan([&](const TotpCredential& c) {
      if (rewrapper_->needs_rewrap(c.seed)) ++total;
      return true;
    });
    if (ok) {
      {
        std::lock_guard lock(mutex_);
        progress_.total = total;
      }
      ok = scan([&](const TotpCredential& c) { return move(c); });
    }
    KekRotationProgress end;
    {
      std::lock_guard lock(mutex_);
      if (ok && progress_.failed == 0) {
        progress_.state = "done";
      } else {
        progress_.state = "failed";
        if (progress_.error.empty() && !ok) progress_.error = "stopped";
        if (progress_.error.empty()) progress_.error = "some blobs could not be re-wrapped";
      }
      end = progress_;
    }
    spdlog::info("kek rotation to {}: {} ({} re-wrapped, {} changed meanwhile, {} failed)",
                 end.target, end.state, end.done, end.skipped, end.failed);
    // Nobody waits for this answer: a failed record is logged, the log's own health shows it.
    if (auto st = audit_->record(caller, AuditEvent{"kek.rotate", "", "", end.state, end.target});
        !st) {
      spdlog::error("kek rotation: audit record failed: {}", st.error().message);
    }
  }

  std::shared_ptr<Store> store_;
  std::shared_ptr<SeedRewrapper> rewrapper_;
  std::shared_ptr<AuditSink> audit_;
  const bool public_kek_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  KekRotationProgress progress_;
  std::thread worker_;  // last: joined before the members it uses go
};

}  // namespace

std::unique_ptr<KekRotation> make_kek_rotation(std::shared_ptr<Store> store,
                                               std::shared_ptr<SeedRewrapper> rewrapper,
                                               std::shared_ptr<AuditSink> audit, bool public_kek) {
  if (!audit) audit = make_no_audit_sink();
  return std::make_unique<BackgroundRotation>(std::move(store), std::move(rewrapper),
                                              std::move(audit), public_kek);
}

}  // namespace hsm2fa::service
