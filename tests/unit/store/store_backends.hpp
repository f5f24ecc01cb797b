// Backends the Store conformance suite runs against. Adding one (PostgreSQL) is one entry in
// store_backends(): a name and a way to make a fresh, empty store's URL.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hsm2fa/store.hpp"
#include "hsm2fa/store/open_store.hpp"

namespace hsm2fa::store::testing {

// A directory removed with everything in it when dropped.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hsm2fa-store-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct StoreBackend {
  std::string name;
  // A URL naming a new, empty store that lives as long as `scratch`; nullopt skips the backend
  // (e.g. no server reachable), with the reason in `skip_reason`.
  std::function<std::optional<std::string>(const TempDir& scratch)> fresh_url;
  std::string skip_reason;
};

// PostgreSQL: a fresh schema per test on the test server (pg_test_server.hpp).
StoreBackend postgres_backend();

inline std::vector<StoreBackend> store_backends() {
  return {
      {"SQLite",
       [](const TempDir& scratch) -> std::optional<std::string> {
         return "sqlite:" + (scratch.path() / "hsm2fa.db").string();
       },
       ""},
      postgres_backend(),
  };
}

inline void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

inline std::string backend_name(const ::testing::TestParamInfo<StoreBackend>& backend) {
  return backend.param.name;
}

// A fresh store per test, reopenable to check durability.
class StoreTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    auto url = GetParam().fresh_url(scratch_);
    if (!url) GTEST_SKIP() << GetParam().skip_reason;
    url_ = *url;
    store_ = open();
    ASSERT_NE(store_, nullptr);
  }

  std::shared_ptr<Store> open() {
    auto store = open_store(url_);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? *store : nullptr;
  }

  // Drops the store (closing the database) and opens it again.
  void reopen() {
    store_.reset();
    store_ = open();
    ASSERT_NE(store_, nullptr);
  }

  TempDir scratch_;
  std::string url_;
  std::shared_ptr<Store> store_;
};

inline TotpCredential pending_credential(std::string tenant, std::string user,
                                         std::string seed_ref) {
  TotpCredential c;
  c.tenant = std::move(tenant);
  c.user = std::move(user);
  c.state = CredentialState::pending;
  c.seed = SeedRef{std::move(seed_ref)};
  c.alg = HashAlg::sha1;
  c.digits = 6;
  c.period = 30;
  c.created_at = 1700000000;
  c.expires_at = 1700000600;
  return c;
}

}  // namespace hsm2fa::store::testing
