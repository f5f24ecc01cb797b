#include "softhsm_token.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <system_error>

namespace hsm2fa::hsm::testing {
namespace {

constexpr const char* kUserPin = "1234-user";
constexpr const char* kSoPin = "5678-so";

struct Cleanup {
  std::filesystem::path dir;
  ~Cleanup() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

ThrowAwayToken make_token() {
  ThrowAwayToken token;
  std::string templ = (std::filesystem::temp_directory_path() / "hsm2fa-hsm-test-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  token.dir = templ;
  static Cleanup cleanup{token.dir};
  std::filesystem::create_directory(token.dir / "tokens");
  {
    std::ofstream conf(token.dir / "softhsm2.conf");
    conf << "directories.tokendir = " << (token.dir / "tokens").string() << "\n"
         << "objectstore.backend = file\n"
         << "log.level = ERROR\n";
  }
  setenv("SOFTHSM2_CONF", (token.dir / "softhsm2.conf").c_str(), 1);
  token.pin_file = token.dir / "user.pin";
  token.so_pin = kSoPin;
  {
    std::ofstream pin(token.pin_file);
    pin << kUserPin << "\n";
  }
  std::filesystem::permissions(
      token.pin_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto status = init_token(kSoftHsmModule, token.label, SecretBytes::from_string(kSoPin),
                           SecretBytes::from_string(kUserPin));
  if (!status) throw std::runtime_error("init_token: " + status.error().message);
  return token;
}

}  // namespace

bool softhsm_available() { return std::filesystem::exists(kSoftHsmModule); }

const ThrowAwayToken& ThrowAwayToken::get() {
  static const ThrowAwayToken token = make_token();
  return token;
}

TokenConfig ThrowAwayToken::config(Custody custody, std::string prefix) const {
  TokenConfig config;
  config.module_path = kSoftHsmModule;
  config.token_uri = "pkcs11:token=" + label;
  config.pin_file = pin_file;
  config.custody = custody;
  config.key_prefix = std::move(prefix);
  return config;
}

OpenVault open_provisioned(const TokenConfig& config) {
  OpenVault out;
  auto token = open_token(config);
  EXPECT_TRUE(token.ok()) << (token.ok() ? "" : token.error().message);
  if (!token) return out;
  out.token = *token;
  auto report = provision(*out.token, config);
  EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error().message);
  if (!report) return out;
  auto vault = make_seed_vault(out.token, config);
  EXPECT_TRUE(vault.ok()) << (vault.ok() ? "" : vault.error().message);
  if (vault) out.vault = *vault;
  return out;
}

Mac software_hmac(HashAlg alg, std::span<const std::uint8_t> key, std::uint64_t counter) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  std::string digest(to_string(alg));
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
                         OSSL_PARAM_construct_end()};
  std::uint8_t message[8];
  for (int i = 7; i >= 0; --i, counter >>= 8) message[i] = static_cast<std::uint8_t>(counter);
  Mac out;
  EVP_MAC_init(ctx, key.data(), key.size(), params);
  EVP_MAC_update(ctx, message, sizeof message);
  EVP_MAC_final(ctx, out.bytes.data(), &out.size, out.bytes.size());
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  return out;
}

std::uint32_t truncate(const Mac& mac, int digits) {
  const auto* b = mac.bytes.data();
  std::size_t offset = b[mac.size - 1] & 0x0f;
  std::uint32_t binary = (static_cast<std::uint32_t>(b[offset] & 0x7f) << 24) |
                         (static_cast<std::uint32_t>(b[offset + 1]) << 16) |
                         (static_cast<std::uint32_t>(b[offset + 2]) << 8) | b[offset + 3];
  std::uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  return binary % modulus;
}

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

}  // namespace hsm2fa::hsm::testing
