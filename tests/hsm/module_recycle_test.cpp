// Module recycling (TokenConfig::recycle_after_objects): the module is re-initialised only when no
// lease is out, what was cached from the old instance is forgotten (its session objects are gone
// from the token), verification gives the same MACs before, across and after, and a module
// shared with another Token in the process is never re-initialised under it.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "hsm2fa/hsm/key_cache_stats.hpp"
#include "support/raw_token.hpp"
#include "support/softhsm_token.hpp"

namespace hsm2fa::hsm {
namespace {

using testing::session_keys;
using testing::ThrowAwayToken;

std::vector<std::uint8_t> seed_of(std::uint8_t first) {
  std::vector<std::uint8_t> seed(20);
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(first + 5 * i);
  return seed;
}

testing::OpenVault open_wrapped(std::optional<std::size_t> recycle_after) {
  auto config = ThrowAwayToken::get().config(Custody::wrapped);
  config.key_cache_size = 8;
  config.recycle_after_objects = recycle_after;
  return testing::open_provisioned(config);
}

// True when `oracle` MACs counter `c` exactly as software HMAC under `seed` does.
bool macs_right(HmacOracle& oracle, std::span<const std::uint8_t> seed, std::uint64_t c) {
  const std::uint64_t counters[] = {c};
  auto macs = oracle.mac_counters(counters);
  if (!macs || macs->size() != 1) return false;
  const Mac expected = testing::software_hmac(HashAlg::sha1, seed, c);
  return (*macs)[0].size == expected.size &&
         std::equal(expected.bytes.begin(), expected.bytes.begin() + expected.size,
                    (*macs)[0].bytes.begin());
}

bool verifies(SeedVault& vault, const SeedRef& ref, std::span<const std::uint8_t> seed,
              std::uint64_t c) {
  auto oracle = vault.oracle(ref);
  return oracle && macs_right(**oracle, seed, c);
}

TEST(ModuleRecycle, DefaultIsOnForSoftHsmInWrappedCustodyOnly) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto wrapped = open_wrapped(std::nullopt);
  ASSERT_TRUE(wrapped.token);
  EXPECT_EQ(wrapped.token->stats().recycle_after_objects, 10000u);
  wrapped = {};
  auto config = ThrowAwayToken::get().config(Custody::token);
  config.recycle_after_objects = 100;
  auto token = testing::open_provisioned(config);
  ASSERT_TRUE(token.token);
  EXPECT_EQ(token.token->stats().recycle_after_objects, 0u);
}

TEST(ModuleRecycle, WaitsForHeldOraclesThenForgetsEveryOldObject) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = open_wrapped(0);  // no background recycler: this test drives it
  ASSERT_TRUE(opened.vault);
  auto& impl = testing::impl_of(opened.token);
  const auto seed = seed_of(3);
  auto ref = opened.vault->import(HashAlg::sha1, seed, false);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  ASSERT_TRUE(verifies(*opened.vault, *ref, seed, 1));  // cached now: one session object
  EXPECT_GE(session_keys(opened.token), 1u);

  auto held = opened.vault->oracle(*ref);  // holds a lease, and a handle, for its life
  ASSERT_TRUE(held.ok());
  auto deferred = impl.recycle_module(std::chrono::milliseconds(50));
  ASSERT_TRUE(deferred.ok()) << deferred.error().message;
  EXPECT_FALSE(*deferred);
  EXPECT_EQ(opened.token->stats().recycle_deferrals, 1u);
  EXPECT_TRUE(macs_right(**held, seed, 2));  // its handle still names its key
  held->reset();                             // its lease goes back

  const auto epoch = impl.login_epoch();
  auto done = impl.recycle_module(std::chrono::milliseconds(1000));
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_TRUE(*done);
  EXPECT_GT(impl.login_epoch(), epoch);
  EXPECT_EQ(opened.token->stats().module_recycles, 1u);
  EXPECT_TRUE(opened.token->stats().up);
  EXPECT_EQ(session_keys(opened.token), 0u);  // the old instance's objects are gone
  EXPECT_EQ(key_cache_stats(*opened.vault).size, 0u);

  EXPECT_TRUE(verifies(*opened.vault, *ref, seed, 3));  // unwrapped again in the new instance
  EXPECT_EQ(key_cache_stats(*opened.vault).size, 1u);
  auto fresh = opened.vault->generate(HashAlg::sha1, true);  // the KEKs and MAC key work too
  ASSERT_TRUE(fresh.ok()) << fresh.error().message;
  auto exported = opened.vault->export_seed(*fresh);
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  auto locked = opened.vault->lock(*fresh);
  ASSERT_TRUE(locked.ok()) << locked.error().message;
  EXPECT_TRUE(verifies(*opened.vault, *locked, exported->span(), 4));
}

TEST(ModuleRecycle, ConcurrentVerificationsStayRightAcrossBackgroundRecycles) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = open_wrapped(25);
  ASSERT_TRUE(opened.vault);
  constexpr int kUsers = 12;  // more than the cache holds: misses make objects
  std::vector<std::vector<std::uint8_t>> seeds;
  std::vector<SeedRef> refs;
  for (int i = 0; i < kUsers; ++i) {
    seeds.push_back(seed_of(static_cast<std::uint8_t>(10 * i)));
    auto ref = opened.vault->import(HashAlg::sha1, seeds.back(), false);
    ASSERT_TRUE(ref.ok()) << ref.error().message;
    refs.push_back(*ref);
  }
  std::atomic<int> wrong{0}, failed{0};
  std::atomic<std::uint64_t> recycles{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      // Until several recycles were seen (bounded: a hung recycler fails the count below).
      for (int i = 0; i < 3000 && recycles.load() < 4; ++i) {
        const int user = (t * 7 + i) % kUsers;
        auto oracle = opened.vault->oracle(refs[user]);
        if (!oracle) {
          ++failed;
          continue;
        }
        if (!macs_right(**oracle, seeds[user], static_cast<std::uint64_t>(i))) ++wrong;
        recycles = opened.token->stats().module_recycles;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  const auto stats = opened.token->stats();
  EXPECT_GE(stats.module_recycles, 4u);
  EXPECT_EQ(stats.recycle_failures, 0u);
  EXPECT_TRUE(stats.up);
}

TEST(ModuleRecycle, KeyCacheRunsDownAsARecycleNears) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = open_wrapped(60);  // a cache of 8 keys
  ASSERT_TRUE(opened.vault);
  auto& impl = testing::impl_of(opened.token);
  constexpr int kUsers = 12;  // more than the cache holds: every oracle misses and evicts
  std::vector<SeedRef> refs;
  for (int i = 0; i < kUsers; ++i) {
    auto ref = opened.vault->import(HashAlg::sha1, seed_of(static_cast<std::uint8_t>(i)), false);
    ASSERT_TRUE(ref.ok()) << ref.error().message;
    refs.push_back(*ref);
  }
  int near = 0;
  for (int i = 0; i < 300; ++i) {
    auto oracle = opened.vault->oracle(refs[i % kUsers]);
    ASSERT_TRUE(oracle.ok()) << oracle.error().message;
    oracle->reset();  // its key may be destroyed now if it was evicted
    const std::size_t size = key_cache_stats(*opened.vault).size;
    const std::uint64_t room = impl.destroys_before_recycle();
    // The last insert allowed half the room it saw; its own evictions used up to two more since.
    EXPECT_LE(size, std::max<std::uint64_t>(1, std::min<std::uint64_t>(8, room / 2 + 2)))
        << "with " << room << " destroys left before the recycle";
    if (room <= 6) ++near;
  }
  EXPECT_GT(near, 0);  // the loop saw recycles come close
  EXPECT_GE(opened.token->stats().module_recycles, 1u);
}

TEST(ModuleRecycle, RefusesAModuleSharedWithAnotherToken) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = open_wrapped(0);
  ASSERT_TRUE(opened.vault);
  auto other = open_token(ThrowAwayToken::get().config(Custody::wrapped));
  ASSERT_TRUE(other.ok()) << other.error().message;
  auto refused = testing::impl_of(opened.token).recycle_module(std::chrono::milliseconds(100));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::config);
  EXPECT_TRUE((*other)->check().ok());  // its login survived
  const auto seed = seed_of(99);
  auto ref = opened.vault->import(HashAlg::sha1, seed, false);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  EXPECT_TRUE(verifies(*opened.vault, *ref, seed, 7));
}

}  // namespace
}  // namespace hsm2fa::hsm
