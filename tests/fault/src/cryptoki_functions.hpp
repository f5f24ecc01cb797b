// The 68 entries of a Cryptoki 2.40 CK_FUNCTION_LIST, in the struct's order. One list drives both
// the forwarding table and the names used by rules and stats, so they cannot drift apart.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

// X(name) for every function pointer of CK_FUNCTION_LIST, in declaration order.
#define HSM2FA_FAULT_CRYPTOKI_FUNCTIONS(X) \
  X(C_Initialize)                          \
  X(C_Finalize)                            \
  X(C_GetInfo)                             \
  X(C_GetFunctionList)                     \
  X(C_GetSlotList)                         \
  X(C_GetSlotInfo)                         \
  X(C_GetTokenInfo)                        \
  X(C_GetMechanismList)                    \
  X(C_GetMechanismInfo)                    \
  X(C_InitToken)                           \
  X(C_InitPIN)                             \
  X(C_SetPIN)                              \
  X(C_OpenSession)                         \
  X(C_CloseSession)                        \
  X(C_CloseAllSessions)                    \
  X(C_GetSessionInfo)                      \
  X(C_GetOperationState)                   \
  X(C_SetOperationState)                   \
  X(C_Login)                               \
  X(C_Logout)                              \
  X(C_CreateObject)                        \
  X(C_CopyObject)                          \
  X(C_DestroyObject)                       \
  X(C_GetObjectSize)                       \
  X(C_GetAttributeValue)                   \
  X(C_SetAttributeValue)                   \
  X(C_FindObjectsInit)                     \
  X(C_FindObjects)                         \
  X(C_FindObjectsFinal)                    \
  X(C_EncryptInit)                         \
  X(C_Encrypt)                             \
  X(C_EncryptUpdate)                       \
  X(C_EncryptFinal)                        \
  X(C_DecryptInit)                         \
  X(C_Decrypt)                             \
  X(C_DecryptUpdate)                       \
  X(C_DecryptFinal)                        \
  X(C_DigestInit)                          \
  X(C_Digest)                              \
  X(C_DigestUpdate)                        \
  X(C_DigestKey)                           \
  X(C_DigestFinal)                         \
  X(C_SignInit)                            \
  X(C_Sign)                                \
  X(C_SignUpdate)                          \
  X(C_SignFinal)                           \
  X(C_SignRecoverInit)                     \
  X(C_SignRecover)                         \
  X(C_VerifyInit)                          \
  X(C_Verify)                              \
  X(C_VerifyUpdate)                        \
  X(C_VerifyFinal)                         \
  X(C_VerifyRecoverInit)                   \
  X(C_VerifyRecover)                       \
  X(C_DigestEncryptUpdate)                 \
  X(C_DecryptDigestUpdate)                 \
  X(C_SignEncryptUpdate)                   \
  X(C_DecryptVerifyUpdate)                 \
  X(C_GenerateKey)                         \
  X(C_GenerateKeyPair)                     \
  X(C_WrapKey)                             \
  X(C_UnwrapKey)                           \
  X(C_DeriveKey)                           \
  X(C_SeedRandom)                          \
  X(C_GenerateRandom)                      \
  X(C_GetFunctionStatus)                   \
  X(C_CancelFunction)                      \
  X(C_WaitForSlotEvent)

namespace hsm2fa::fault {

#define HSM2FA_FAULT_NAME(name) std::string_view{#name},
inline constexpr std::array kFunctionNames{HSM2FA_FAULT_CRYPTOKI_FUNCTIONS(HSM2FA_FAULT_NAME)};
#undef HSM2FA_FAULT_NAME

inline constexpr std::size_t kFunctionCount = kFunctionNames.size();

// Index of `name` in kFunctionNames, or nullopt for a name that is not a Cryptoki 2.40 function.
constexpr std::optional<std::size_t> function_index(std::string_view name) {
  for (std::size_t i = 0; i < kFunctionCount; ++i) {
    if (kFunctionNames[i] == name) return i;
  }
  return std::nullopt;
}

}  // namespace hsm2fa::fault
