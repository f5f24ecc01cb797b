// The wrapped vault's cache of unwrapped keys never changes what is valid: tampered refs fail with
// the cache warm, a destroyed credential's key leaves the token, eviction destroys objects (counted
// in the token with C_FindObjects), a re-login empties it, and cached keys MAC like software.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "hsm2fa/hsm/key_cache_stats.hpp"
#include "support/raw_token.hpp"
#include "support/softhsm_token.hpp"

namespace hsm2fa::hsm {
namespace {

using testing::session_keys;
using testing::ThrowAwayToken;

std::vector<std::uint8_t> seed_of(std::size_t size, std::uint8_t first) {
  std::vector<std::uint8_t> seed(size);
  for (std::size_t i = 0; i < size; ++i) seed[i] = static_cast<std::uint8_t>(first + 7 * i);
  return seed;
}

testing::OpenVault open_with_cache(std::size_t size) {
  auto config = ThrowAwayToken::get().config(Custody::wrapped);
  config.key_cache_size = size;
  return testing::open_provisioned(config);
}

// `macs` are the HMACs of `counters` under `seed`, as software computes them.
void expect_software_macs(HashAlg alg, std::span<const std::uint8_t> seed,
                          std::span<const std::uint64_t> counters,
                          const Result<std::vector<Mac>>& macs) {
  ASSERT_TRUE(macs.ok()) << macs.error().message;
  ASSERT_EQ(macs->size(), counters.size());
  for (std::size_t i = 0; i < counters.size(); ++i) {
    const Mac expected = testing::software_hmac(alg, seed, counters[i]);
    ASSERT_EQ((*macs)[i].size, expected.size);
    EXPECT_TRUE(std::equal(expected.bytes.begin(), expected.bytes.begin() + expected.size,
                           (*macs)[i].bytes.begin()));
  }
}

// The vault's MACs for `counters` equal software HMAC under `seed`.
void expect_software_macs(SeedVault& vault, const SeedRef& ref, HashAlg alg,
                          std::span<const std::uint8_t> seed) {
  const std::uint64_t counters[] = {0, 1, 59 / 30, 0x0123456789abcdefULL};
  auto oracle = vault.oracle(ref);
  ASSERT_TRUE(oracle.ok()) << oracle.error().message;
  expect_software_macs(alg, seed, counters, (*oracle)->mac_counters(counters));
}

SeedRef active(SeedVault& vault, HashAlg alg, std::span<const std::uint8_t> seed) {
  auto ref = vault.import(alg, seed, false);
  EXPECT_TRUE(ref.ok()) << ref.error().message;
  return ref ? *ref : SeedRef{};
}

TEST(KeyCache, CachedKeysMacLikeSoftwareForEveryAlgorithm) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = open_with_cache(16);
  ASSERT_TRUE(opened.vault);
  const auto before = key_cache_stats(*opened.vault);
  for (HashAlg alg : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha512}) {
    const auto seed = seed_of(digest_size(alg), 3);
    const SeedRef ref = active(*opened.vault, alg, seed);
    expect_software_macs(*opened.vault, ref, alg, seed);  // miss: unwrapped and cached
    expect_software_macs(*opened.vault, ref, alg, seed);  // hit
  }
  const auto after = key_cache_stats(*opened.vault);
  EXPECT_EQ(after.misses - before.misses, 3u);
  EXPECT_EQ(after.hits - before.hits, 3u);
  EXPECT_EQ(after.size - before.size, 3u);
  EXPECT_EQ(after.capacity, 16u);
}

TEST(KeyCache, OneOperationMacsMatchTheOraclesAndCheckTheAlgorithm) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = open_with_cache(16);
  ASSERT_TRUE(opened.vault);
  const auto seed = seed_of(32, 5);
  const SeedRef ref = active(*opened.vault, HashAlg::sha256, seed);
  const std::uint64_t counters[] = {7, 8, 9};
  for (int pass = 0; pass < 2; ++pass) {  // a miss, then a hit
    expect_software_macs(HashAlg::sha256, seed, counters,
                         opened.vault->mac_counters(ref, HashAlg::sha256, counters));
  }
  auto wrong_alg = opened.vault->mac_counters(ref, HashAlg::sha1, counters);
  ASSERT_FALSE(wrong_alg.ok());
  EXPECT_EQ(wrong_alg.error().code, Errc::tampered);
  std::string altered = ref.encoded;
  altered.back() = altered.back() == '0' ? '1' : '0';
  auto tampered = opened.vault->mac_counters(SeedRef{altered}, HashAlg::sha256, counters);
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.error().code, Errc::tampered);
}

TEST(KeyCache, TamperedRefStillFailsWithTheCacheWarm) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = open_with_cache(16);
  ASSERT_TRUE(opened.vault);
  const auto seed = seed_of(20, 11);
  const SeedRef ref = active(*opened.vault, HashAlg::sha1, seed);
  expect_software_macs(*opened.vault, ref, HashAlg::sha1, seed);
  expect_software_macs(*opened.vault, ref, HashAlg::sha1, seed);
  // One changed digit in the MAC, in the blob, and in the algorithm field.
  std::vector<std::string> altered;
  std::string mac_changed = ref.encoded;
  mac_changed.back() = mac_changed.back() == '0' ? '1' : '0';
  altered.push_back(mac_changed);
  std::string blob_changed = ref.encoded;
  const auto blob_at = blob_changed.rfind(':') - 1;
  blob_changed[blob_at] = blob_changed[blob_at] == '0' ? '1' : '0';
  altered.push_back(blob_changed);
  std::string alg_changed = ref.encoded;
  alg_changed.replace(3, 4, "SHA256");
  altered.push_back(alg_changed);
  for (const auto& text : altered) {
    auto oracle = opened.vault->oracle(SeedRef{text});
    ASSERT_FALSE(oracle.ok()) << text;
    EXPECT_EQ(oracle.error().code, Errc::tampered) << text;
  }
  expect_software_macs(*opened.vault, ref, HashAlg::sha1, seed);  // the genuine one still works
}

TEST(KeyCache, DestroyedCredentialsKeyLeavesTheToken) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = open_with_cache(16);
  ASSERT_TRUE(opened.vault);
  const auto seed = seed_of(20, 21);
  const SeedRef ref = active(*opened.vault, HashAlg::sha1, seed);
  const std::size_t objects = session_keys(opened.token);
  const std::size_t cached = key_cache_stats(*opened.vault).size;
  expect_software_macs(*opened.vault, ref, HashAlg::sha1, seed);
  EXPECT_EQ(session_keys(opened.token), objects + 1);
  EXPECT_EQ(key_cache_stats(*opened.vault).size, cached + 1);

  ASSERT_TRUE(opened.vault->destroy(ref).ok());
  EXPECT_EQ(session_keys(opened.token), objects);
  EXPECT_EQ(key_cache_stats(*opened.vault).size, cached);
}

TEST(KeyCache, EvictionDestroysTheLeastRecentlyUsedObject) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = open_with_cache(2);
  ASSERT_TRUE(opened.vault);
  std::vector<std::vector<std::uint8_t>> seeds;
  std::vector<SeedRef> refs;
  for (std::uint8_t i = 0; i < 3; ++i) {
    seeds.push_back(seed_of(20, static_cast<std::uint8_t>(40 + i)));
    refs.push_back(active(*opened.vault, HashAlg::sha1, seeds.back()));
  }
  expect_software_macs(*opened.vault, refs[0], HashAlg::sha1, seeds[0]);
  expect_software_macs(*opened.vault, refs[1], HashAlg::sha1, seeds[1]);
  const std::size_t full = session_keys(opened.token);
  const auto before = key_cache_stats(*opened.vault);
  EXPECT_EQ(before.size, 2u);

  expect_software_macs(*opened.vault, refs[2], HashAlg::sha1, seeds[2]);  // evicts refs[0]
  EXPECT_EQ(session_keys(opened.token), full);
  auto after = key_cache_stats(*opened.vault);
  EXPECT_EQ(after.size, 2u);
  EXPECT_EQ(after.evictions - before.evictions, 1u);

  expect_software_macs(*opened.vault, refs[1], HashAlg::sha1, seeds[1]);  // still cached
  EXPECT_EQ(key_cache_stats(*opened.vault).hits - after.hits, 1u);
  expect_software_macs(*opened.vault, refs[0], HashAlg::sha1, seeds[0]);  // evicted: a miss
  EXPECT_EQ(key_cache_stats(*opened.vault).misses - after.misses, 1u);
  EXPECT_EQ(session_keys(opened.token), full);
}

TEST(KeyCache, ReloginEmptiesTheCacheAndKeysStillWork) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = open_with_cache(16);
  ASSERT_TRUE(opened.vault);
  const auto seed = seed_of(32, 5);
  const SeedRef ref = active(*opened.vault, HashAlg::sha256, seed);
  expect_software_macs(*opened.vault, ref, HashAlg::sha256, seed);
  {
    auto lease = testing::impl_of(opened.token).lease();
    ASSERT_TRUE(lease.ok());
    ASSERT_EQ(lease->raw(HSM2FA_P11(C_Logout)), CKR_OK);  // every private session object dies
  }
  ASSERT_TRUE(opened.token->check().ok());  // logs in again: a new epoch
  const auto before = key_cache_stats(*opened.vault);
  expect_software_macs(*opened.vault, ref, HashAlg::sha256, seed);
  const auto after = key_cache_stats(*opened.vault);
  EXPECT_EQ(after.misses - before.misses, 1u);
  EXPECT_EQ(after.hits, before.hits);
  EXPECT_EQ(after.size, 1u);  // only the key unwrapped after the re-login
  EXPECT_EQ(session_keys(opened.token), 1u);
}

TEST(KeyCache, PendingKeysAreNeverCached) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = open_with_cache(16);
  ASSERT_TRUE(opened.vault);
  const auto seed = seed_of(20, 60);
  auto pending = opened.vault->import(HashAlg::sha1, seed, true);
  ASSERT_TRUE(pending.ok());
  const auto before = key_cache_stats(*opened.vault);
  expect_software_macs(*opened.vault, *pending, HashAlg::sha1, seed);
  expect_software_macs(*opened.vault, *pending, HashAlg::sha1, seed);
  EXPECT_EQ(key_cache_stats(*opened.vault).size, before.size);
}

TEST(KeyCache, SizeZeroDisablesIt) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = open_with_cache(0);
  ASSERT_TRUE(opened.vault);
  const auto seed = seed_of(20, 70);
  const SeedRef ref = active(*opened.vault, HashAlg::sha1, seed);
  expect_software_macs(*opened.vault, ref, HashAlg::sha1, seed);
  expect_software_macs(*opened.vault, ref, HashAlg::sha1, seed);
  const auto stats = key_cache_stats(*opened.vault);
  EXPECT_EQ(stats.capacity, 0u);
  EXPECT_EQ(stats.hits + stats.misses + stats.size, 0u);
  EXPECT_EQ(session_keys(opened.token), 0u);
}

TEST(KeyCache, ConcurrentVerifiersAgreeWithSoftware) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = open_with_cache(3);  // smaller than the working set: evictions race with use
  ASSERT_TRUE(opened.vault);
  std::vector<std::vector<std::uint8_t>> seeds;
  std::vector<SeedRef> refs;
  for (std::uint8_t i = 0; i < 5; ++i) {
    seeds.push_back(seed_of(20, static_cast<std::uint8_t>(90 + i)));
    refs.push_back(active(*opened.vault, HashAlg::sha1, seeds.back()));
  }
  std::atomic<int> wrong{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 150; ++i) {
        const std::size_t u = static_cast<std::size_t>(t * 7 + i) % refs.size();
        const std::uint64_t counter = static_cast<std::uint64_t>(i);
        auto oracle = opened.vault->oracle(refs[u]);
        if (!oracle) {
          ++failed;
          continue;
        }
        auto macs = (*oracle)->mac_counters(std::span(&counter, 1));
        if (!macs) {
          ++failed;
          continue;
        }
        const Mac expected = testing::software_hmac(HashAlg::sha1, seeds[u], counter);
        if (!std::equal(expected.bytes.begin(), expected.bytes.begin() + expected.size,
                        (*macs)[0].bytes.begin())) {
          ++wrong;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(key_cache_stats(*opened.vault).size, 3u);
  EXPECT_LE(session_keys(opened.token), 3u);
}

}  // namespace
}  // namespace hsm2fa::hsm
