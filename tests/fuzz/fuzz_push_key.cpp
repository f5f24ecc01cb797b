// A push device's public key (PEM) and its signatures, from hostile input. Input: PEM `\0`
// message `\0` DER signature (missing parts are empty). Contracts checked
// (src/service/src/push_key.hpp):
// - neither function crashes or leaks, whatever the bytes;
// - a PEM that check_p256_public_key refuses never verifies anything;
// - a signature verifies under a hostile PEM only if that PEM carries the very key that made it
//   (a signature by the fuzzer's own key on the message, under a key that is not that key, fails);
// - the fuzzer's own key verifies its own signature of the message, and not of another message.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "push_key.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// One P-256 key for the whole run: signing it on every input would make the fuzzer slow.
struct OwnKey {
  Pkey key{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  std::string pem;
  OwnKey() {
    require(key != nullptr);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    require(bio && PEM_write_bio_PUBKEY(bio.get(), key.get()) == 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    pem.assign(data, static_cast<std::size_t>(size));
  }
  std::string sign(std::string_view message) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::string sig(80, '\0');
    std::size_t size = sig.size();
    require(ctx && EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.get(),
                                         nullptr) == 1);
    require(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &size,
                           reinterpret_cast<const unsigned char*>(message.data()),
                           message.size()) == 1);
    sig.resize(size);
    return sig;
  }
};

// Whether `pem` holds the same public key as `own` (read without the code under test).
bool same_key(std::string_view pem, const EVP_PKEY* own) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return false;
  Pkey key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  return key && EVP_PKEY_eq(key.get(), own) == 1;
}

// The next part up to a NUL byte (or the end); `rest` moves past it.
std::string_view take_part(std::string_view& rest) {
  const auto end = rest.find('\0');
  const std::string_view part = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hsm2fa::service;
  static const OwnKey own;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view pem = take_part(rest);
  const std::string_view message = take_part(rest);
  const std::string_view signature = rest;

  const bool accepted = check_p256_public_key(pem).ok();
  const bool verified = verify_p256_signature(pem, message, signature);
  require(accepted || !verified);

  const std::string own_signature = own.sign(message);
  if (verify_p256_signature(pem, message, own_signature)) require(same_key(pem, own.key.get()));

  require(verify_p256_signature(own.pem, message, own_signature));
  require(!verify_p256_signature(own.pem, std::string(message) + "x", own_signature));
  return 0;
}
