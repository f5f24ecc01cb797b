#include "token_ops.hpp"

#include <vector>

namespace hsm2fa::hsm {

Result<Mac> sign_mac(SessionPool::Lease& lease, CK_MECHANISM_TYPE mechanism, CK_OBJECT_HANDLE key,
                     std::span<const std::uint8_t> data) {
  CK_MECHANISM m{mechanism, nullptr, 0};
  if (auto status = lease.call(HSM2FA_P11(C_SignInit), &m, key); !status)
    return std::move(status).error();
  Mac mac;
  CK_ULONG size = mac.bytes.size();
  if (auto status = lease.call(HSM2FA_P11(C_Sign), const_cast<CK_BYTE*>(data.data()),
                               CK_ULONG{data.size()}, mac.bytes.data(), &size);
      !status) {
    return std::move(status).error();
  }
  mac.size = size;
  return mac;
}

Result<Mac> purpose_mac(SessionPool::Lease& lease, CK_OBJECT_HANDLE mac_key,
                        std::string_view purpose, std::span<const std::uint8_t> data) {
  if (purpose.empty() || purpose.find('\0') != std::string_view::npos) {
    return make_error(Errc::invalid_argument, "service MAC purpose must be non-empty, no NUL");
  }
  std::vector<std::uint8_t> message(purpose.begin(), purpose.end());
  message.push_back(0);
  message.insert(message.end(), data.begin(), data.end());
  return sign_mac(lease, CKM_SHA256_HMAC, mac_key, message);
}

Result<std::vector<std::uint8_t>> wrap_key(SessionPool::Lease& lease, CK_MECHANISM_TYPE mechanism,
                                           CK_OBJECT_HANDLE kek, CK_OBJECT_HANDLE key) {
  // Room for any seed's blob (64 bytes + the 8 of key wrapping) in one call: a length query is a
  // whole wrap in some modules (SoftHSM2 wraps, then reports the size). The query only follows
  // if the token asks for more room.
  constexpr CK_ULONG kSeedBlobRoom = 256;
  CK_MECHANISM m{mechanism, nullptr, 0};
  std::vector<std::uint8_t> wrapped(kSeedBlobRoom);
  CK_ULONG size = kSeedBlobRoom;
  CK_RV rv = lease.raw(HSM2FA_P11(C_WrapKey), &m, kek, key, wrapped.data(), &size);
  if (rv == CKR_BUFFER_TOO_SMALL) {
    if (auto status = lease.call(HSM2FA_P11(C_WrapKey), &m, kek, key, nullptr, &size); !status) {
      return std::move(status).error();
    }
    wrapped.resize(size);
    rv = lease.raw(HSM2FA_P11(C_WrapKey), &m, kek, key, wrapped.data(), &size);
  }
  if (rv != CKR_OK) return Cryptoki::error("C_WrapKey", rv);
  wrapped.resize(size);
  return wrapped;
}

Result<SessionObject> unwrap_key(SessionPool::Lease& lease, CK_MECHANISM_TYPE mechanism,
                                 CK_OBJECT_HANDLE kek, std::span<const std::uint8_t> wrapped,
                                 Template& attributes) {
  CK_MECHANISM m{mechanism, nullptr, 0};
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  if (auto status =
          lease.call(HSM2FA_P11(C_UnwrapKey), &m, kek, const_cast<CK_BYTE*>(wrapped.data()),
                     CK_ULONG{wrapped.size()}, attributes.data(), attributes.size(), &handle);
      !status) {
    return std::move(status).error();
  }
  return SessionObject(lease.session(), handle);
}

Status random_bytes(SessionPool::Lease& lease, std::span<std::uint8_t> out) {
  return lease.call(HSM2FA_P11(C_GenerateRandom), out.data(), CK_ULONG{out.size()});
}

}  // namespace hsm2fa::hsm
