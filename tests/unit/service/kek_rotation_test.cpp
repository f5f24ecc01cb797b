// The daemon's KEK rotation pass over an in-memory store and a rewrapper that renames refs:
// every active blob under an older KEK moves, pending ones stay, a blob changed meanwhile is
// left to whoever changed it, an outage is waited out, and a refused blob is reported.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "fake_store.hpp"
#include "hsm2fa/service/kek_rotation.hpp"
#include "hsm2fa/service/two_factor_service.hpp"

namespace hsm2fa::testing {
namespace {

using service::KekRotationProgress;

// Active refs look like "a:<KEK>:<name>", pending ones "p:<name>". rewrap() moves one to
// "a:kek-2:<name>".
class RenamingRewrapper final : public SeedRewrapper {
 public:
  Result<std::string> refresh_target() override { return std::string("kek-2"); }
  bool needs_rewrap(const SeedRef& ref) const override {
    return ref.encoded.rfind("a:", 0) == 0 && ref.encoded.rfind("a:kek-2:", 0) != 0;
  }
  Result<SeedRef> rewrap(const SeedRef& ref) override {
    const std::string name = ref.encoded.substr(ref.encoded.rfind(':') + 1);
    {
      std::lock_guard lock(mutex_);
      if (outages_ > 0) {
        --outages_;
        return make_error(Errc::hsm_unavailable, "token gone for a moment");
      }
      if (tampered_.count(name)) return make_error(Errc::tampered, "bad MAC");
    }
    if (before_rewrap) before_rewrap(name);
    return SeedRef{"a:kek-2:" + name};
  }
  void outages(int n) {
    std::lock_guard lock(mutex_);
    outages_ = n;
  }
  void tamper(const std::string& name) {
    std::lock_guard lock(mutex_);
    tampered_.insert(name);
  }
  std::function<void(const std::string&)> before_rewrap;  // set before the pass starts

 private:
  std::mutex mutex_;
  int outages_ = 0;
  std::set<std::string> tampered_;
};

class RecordingAudit final : public service::AuditSink {
 public:
  Status record(const service::Caller&, const service::AuditEvent& event) override {
    std::lock_guard lock(mutex_);
    if (broken) return make_error(Errc::audit_unavailable, "disk full");
    lines.push_back(std::string(event.action) + " " + std::string(event.outcome) + " " +
                    std::string(event.reason));
    return {};
  }
  Status ready() override {
    if (broken) return make_error(Errc::audit_unavailable, "disk full");
    return {};
  }
  std::vector<std::string> snapshot() {
    std::lock_guard lock(mutex_);
    return lines;
  }
  bool broken = false;

 private:
  std::mutex mutex_;
  std::vector<std::string> lines;
};

class KekRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = std::make_shared<FakeStore>();
    rewrapper = std::make_shared<RenamingRewrapper>();
    audit = std::make_shared<RecordingAudit>();
  }

  // An active credential for `user` whose ref is `ref`.
  std::int64_t active(const std::string& user, const std::string& ref) {
    TotpCredential c;
    c.tenant = "default";
    c.user = user;
    c.seed = SeedRef{"p:" + user};
    auto put = store->put_pending_totp(c);
    EXPECT_TRUE(put.ok());
    EXPECT_TRUE(store->activate_totp(put->id, SeedRef{ref}, 1).ok());
    return put->id;
  }
  void pending(const std::string& user) {
    TotpCredential c;
    c.tenant = "default";
    c.user = user;
    c.seed = SeedRef{"p:" + user};
    ASSERT_TRUE(store->put_pending_totp(c).ok());
  }
  std::string ref_of(const std::string& user) {
    auto list = store->totp_credentials("default", user);
    return list && !list->empty() ? list->front().seed.encoded : "";
  }

  // Starts a pass and waits (no deadline asserted) until it has ended.
  KekRotationProgress run_pass(service::KekRotation& rotation) {
    auto started = rotation.start(service::Caller{"uid=0", "req-1"});
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    EXPECT_EQ(started->target, "kek-2");
    while (rotation.progress().state == "running") {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return rotation.progress();
  }

  std::shared_ptr<FakeStore> store;
  std::shared_ptr<RenamingRewrapper> rewrapper;
  std::shared_ptr<RecordingAudit> audit;
};

TEST_F(KekRotationTest, MovesEveryActiveBlobAndLeavesPendingOnes) {
  for (int i = 0; i < 1200; ++i) active("u" + std::to_string(i), "a:kek-1:u" + std::to_string(i));
  active("already", "a:kek-2:already");
  pending("waiting");
  auto rotation = service::make_kek_rotation(store, rewrapper, audit, false);
  const KekRotationProgress end = run_pass(*rotation);
  EXPECT_EQ(end.state, "done");
  EXPECT_EQ(end.total, 1200u);
  EXPECT_EQ(end.done, 1200u);
  EXPECT_EQ(end.failed, 0u);
  EXPECT_EQ(end.remaining(), 0u);
  EXPECT_EQ(ref_of("u0"), "a:kek-2:u0");
  EXPECT_EQ(ref_of("u1199"), "a:kek-2:u1199");
  EXPECT_EQ(ref_of("already"), "a:kek-2:already");
  EXPECT_EQ(ref_of("waiting"), "p:waiting");
  EXPECT_EQ(audit->snapshot(),
            (std::vector<std::string>{"kek.rotate started kek-2", "kek.rotate done kek-2"}));
  EXPECT_FALSE(rotation->public_kek());
}

TEST_F(KekRotationTest, ABlobChangedMeanwhileIsLeftToTheChange) {
  active("stays", "a:kek-1:stays");
  active("deleted", "a:kek-1:deleted");
  rewrapper->before_rewrap = [this](const std::string& name) {
    if (name == "deleted") {
      ASSERT_TRUE(store->delete_totp("default", "deleted").ok());
    }
  };
  auto rotation = service::make_kek_rotation(store, rewrapper, audit, false);
  const KekRotationProgress end = run_pass(*rotation);
  EXPECT_EQ(end.state, "done");
  EXPECT_EQ(end.done, 1u);
  EXPECT_EQ(end.skipped, 1u);
  EXPECT_EQ(ref_of("stays"), "a:kek-2:stays");
  EXPECT_EQ(ref_of("deleted"), "");
}

TEST_F(KekRotationTest, AnOutageIsWaitedOutOnTheSameBlob) {
  active("u", "a:kek-1:u");
  rewrapper->outages(2);
  auto rotation = service::make_kek_rotation(store, rewrapper, audit, false);
  const KekRotationProgress end = run_pass(*rotation);
  EXPECT_EQ(end.state, "done");
  EXPECT_EQ(end.done, 1u);
  EXPECT_EQ(end.failed, 0u);
  EXPECT_EQ(ref_of("u"), "a:kek-2:u");
}

TEST_F(KekRotationTest, ARefusedBlobFailsThePassButNotTheOthers) {
  active("bad", "a:kek-1:bad");
  active("good", "a:kek-1:good");
  rewrapper->tamper("bad");
  auto rotation = service::make_kek_rotation(store, rewrapper, audit, false);
  const KekRotationProgress end = run_pass(*rotation);
  EXPECT_EQ(end.state, "failed");
  EXPECT_EQ(end.failed, 1u);
  EXPECT_EQ(end.done, 1u);
  EXPECT_FALSE(end.error.empty());
  EXPECT_EQ(ref_of("bad"), "a:kek-1:bad");
  EXPECT_EQ(ref_of("good"), "a:kek-2:good");
  EXPECT_EQ(audit->snapshot().back(), "kek.rotate failed kek-2");
}

TEST_F(KekRotationTest, NoPassWithoutAnAuditRecord) {
  active("u", "a:kek-1:u");
  audit->broken = true;
  auto rotation = service::make_kek_rotation(store, rewrapper, audit, true);
  auto started = rotation->start(service::Caller{"uid=0", "req-1"});
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, Errc::audit_unavailable);
  EXPECT_EQ(rotation->progress().state, "idle");
  EXPECT_EQ(ref_of("u"), "a:kek-1:u");
  EXPECT_TRUE(rotation->public_kek());
}

}  // namespace
}  // namespace hsm2fa::testing
