#include <cstring>
#include <vector>

#include "handles.hpp"
#include "hsm2fa/hsm/token.hpp"
#include "module.hpp"

namespace hsm2fa::hsm {

Status init_token(const std::string& module_path, std::string_view label, const SecretBytes& so_pin,
                  const SecretBytes& user_pin) {
  if (label.empty() || label.size() > 32) {
    return make_error(Errc::invalid_argument, "token label must be 1 to 32 bytes");
  }
  auto module = Module::load(module_path);
  if (!module) return std::move(module).error();
  Cryptoki ck = (*module)->cryptoki();

  CK_ULONG count = 0;
  if (auto s = ck.call(HSM2FA_P11(C_GetSlotList), CK_BBOOL{CK_TRUE}, nullptr, &count); !s) return s;
  std::vector<CK_SLOT_ID> slots(count);
  if (auto s = ck.call(HSM2FA_P11(C_GetSlotList), CK_BBOOL{CK_TRUE}, slots.data(), &count); !s) {
    return s;
  }
  slots.resize(count);
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info{};
    if (ck.raw(HSM2FA_P11(C_GetTokenInfo), slot, &info) != CKR_OK) continue;
    if (info.flags & CKF_TOKEN_INITIALIZED) continue;

    unsigned char padded[32];
    std::memset(padded, ' ', sizeof padded);
    std::memcpy(padded, label.data(), label.size());
    auto s = ck.call(HSM2FA_P11(C_InitToken), slot, const_cast<CK_UTF8CHAR*>(so_pin.data()),
                     CK_ULONG{so_pin.size()}, padded);
    if (!s) return s;
    auto session = Session::open(ck, slot);
    if (!session) return std::move(session).error();
    CK_RV rv = session->raw(HSM2FA_P11(C_Login), CK_USER_TYPE{CKU_SO},
                            const_cast<CK_UTF8CHAR*>(so_pin.data()), CK_ULONG{so_pin.size()});
    if (rv != CKR_OK) return Cryptoki::error("C_Login (SO)", rv);
    s = session->call(HSM2FA_P11(C_InitPIN), const_cast<CK_UTF8CHAR*>(user_pin.data()),
                      CK_ULONG{user_pin.size()});
    CK_RV logout = session->raw(HSM2FA_P11(C_Logout));
    if (!s) return s;
    if (logout != CKR_OK) return Cryptoki::error("C_Logout (SO)", logout);
    return {};
  }
  return make_error(Errc::not_found, "module " + module_path + " has no uninitialised token slot");
}

}  // namespace hsm2fa::hsm
