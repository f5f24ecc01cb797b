#include <cstdio>
#include <memory>
#include <vector>

#include <spdlog/spdlog.h>

#include "token_impl.hpp"
#include "token_uri.hpp"

namespace hsm2fa::hsm {
namespace {

std::string trimmed(const unsigned char* field, std::size_t size) {
  std::string out(reinterpret_cast<const char*>(field), size);
  auto end = out.find_last_not_of(std::string(" \0", 2));
  out.resize(end == std::string::npos ? 0 : end + 1);
  return out;
}

}  // namespace

Result<SecretBytes> read_pin_file(const std::filesystem::path& path) {
  constexpr std::size_t kMaxPin = 256;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) return make_error(Errc::config, "PIN file " + path.string() + " cannot be read");
  // Unbuffered: stdio's own buffer would keep a copy of the PIN that nobody wipes.
  std::setvbuf(file.get(), nullptr, _IONBF, 0);
  std::error_code ec;
  using std::filesystem::perms;
  const perms mode = std::filesystem::status(path, ec).permissions();
  if (!ec && (mode & (perms::group_all | perms::others_all)) != perms::none) {
    spdlog::warn("PIN file {} is accessible by group or others; restrict it to the service user",
                 path.string());
  }
  SecretBytes pin(kMaxPin + 1);
  std::size_t size = std::fread(pin.data(), 1, pin.size(), file.get());
  if (size > kMaxPin) return make_error(Errc::config, "PIN file " + path.string() + " is too long");
  std::size_t line = 0;
  while (line < size && pin.data()[line] != '\n' && pin.data()[line] != '\r') ++line;
  pin.truncate(line);
  if (pin.empty()) return make_error(Errc::config, "PIN file " + path.string() + " is empty");
  return pin;
}

Result<CK_SLOT_ID> select_slot(const Cryptoki& ck, const std::string& uri_text) {
  auto uri = parse_token_uri(uri_text);
  if (!uri) return std::move(uri).error();
  CK_ULONG count = 0;
  if (auto status = ck.call(HSM2FA_P11(C_GetSlotList), CK_BBOOL{CK_TRUE}, nullptr, &count);
      !status) {
    return std::move(status).error();
  }
  std::vector<CK_SLOT_ID> slots(count);
  if (auto status = ck.call(HSM2FA_P11(C_GetSlotList), CK_BBOOL{CK_TRUE}, slots.data(), &count);
      !status) {
    return std::move(status).error();
  }
  slots.resize(count);
  std::vector<CK_SLOT_ID> matching;
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info{};
    if (ck.raw(HSM2FA_P11(C_GetTokenInfo), slot, &info) != CKR_OK) continue;
    if (!(info.flags & CKF_TOKEN_INITIALIZED)) continue;
    TokenIdentity identity{slot, trimmed(info.label, sizeof info.label),
                           trimmed(info.serialNumber, sizeof info.serialNumber),
                           trimmed(info.manufacturerID, sizeof info.manufacturerID),
                           trimmed(info.model, sizeof info.model)};
    if (matches(*uri, identity)) matching.push_back(slot);
  }
  if (matching.empty()) {
    return make_error(Errc::config, "no initialised token matches " + uri_text);
  }
  if (matching.size() > 1) {
    return make_error(Errc::config, "several tokens match " + uri_text + "; narrow the URI");
  }
  return matching.front();
}

}  // namespace hsm2fa::hsm
