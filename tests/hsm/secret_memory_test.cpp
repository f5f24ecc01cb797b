// Secrets in memory (issue "Memory hygiene"): SecretBytes live on pages of their own that are
// excluded from core dumps and, where RLIMIT_MEMLOCK allows, locked against swapping; the
// pages are gone once the secret is. The PIN and exported seeds are SecretBytes.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "hsm2fa/secret.hpp"

namespace hsm2fa {
namespace {

// The VmFlags of the mapping holding `address`, from /proc/self/smaps; empty if none does.
std::string vm_flags_at(const void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> begin >> dash >> end && dash == '-' && line.find(':') > 8) {
      inside = begin <= at && at < end;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return {};
}

// AddressSanitizer's runtime turns mlock(2) into a no-op (it cannot lock its shadow memory).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMlockIsReal = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kMlockIsReal = false;
#else
constexpr bool kMlockIsReal = true;
#endif
#else
constexpr bool kMlockIsReal = true;
#endif

bool may_lock_a_page() {
  if (!kMlockIsReal) return false;
  rlimit limit{};
  return ::geteuid() == 0 || (::getrlimit(RLIMIT_MEMLOCK, &limit) == 0 &&
                              limit.rlim_cur >= static_cast<rlim_t>(::sysconf(_SC_PAGESIZE)) * 4);
}

TEST(SecretMemory, SecretPagesAreNotDumpedAndLockedWhenAllowed) {
  auto pin = SecretBytes::from_string("87654321");
  const std::string flags = vm_flags_at(pin.data());
  ASSERT_FALSE(flags.empty()) << "no mapping found for the secret";
  EXPECT_NE(flags.find(" dd"), std::string::npos) << flags;
  if (may_lock_a_page()) {
    EXPECT_NE(flags.find(" lo"), std::string::npos) << flags;
  }
}

TEST(SecretMemory, EachSecretHasItsOwnPagesAndTheyGoWithIt) {
  const void* address = nullptr;
  {
    SecretBytes seed(20);
    SecretBytes other(20);
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    EXPECT_NE(reinterpret_cast<std::uintptr_t>(seed.data()) / page,
              reinterpret_cast<std::uintptr_t>(other.data()) / page);
    address = seed.data();
  }
  EXPECT_TRUE(vm_flags_at(address).empty()) << "the secret's pages are unmapped";
}

TEST(SecretMemory, MovedSecretKeepsItsBytes) {
  auto a = SecretBytes::from_string("seed bytes");
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(b.view(), "seed bytes");
  b.truncate(4);
  EXPECT_EQ(b.view(), "seed");
}

}  // namespace
}  // namespace hsm2fa
