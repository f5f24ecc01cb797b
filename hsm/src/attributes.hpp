// Attribute templates with owned storage, and typed reads of single attributes.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string_view>
#include <vector>

#include "handles.hpp"
#include "hsm2fa/hex.hpp"
#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"

namespace hsm2fa::hsm {

// Owns every value it points to; values are wiped on destruction (a template may carry a seed).
// Not copyable or movable: CK_ATTRIBUTEs point into it, and nested templates point at others.
class Template {
 public:
  Template() = default;
  Template(const Template&) = delete;
  Template& operator=(const Template&) = delete;
  ~Template();

  Template& flag(CK_ATTRIBUTE_TYPE type, bool value);
  Template& number(CK_ATTRIBUTE_TYPE type, CK_ULONG value);
  Template& bytes(CK_ATTRIBUTE_TYPE type, std::span<const std::uint8_t> value);
  Template& text(CK_ATTRIBUTE_TYPE type, std::string_view value);
  Template& mechanisms(CK_ATTRIBUTE_TYPE type, std::vector<CK_MECHANISM_TYPE> value);
  // An attribute whose value is `inner`'s attribute array; `inner` must outlive this template.
  Template& nested(CK_ATTRIBUTE_TYPE type, Template& inner);

  CK_ATTRIBUTE* data() noexcept { return attributes_.data(); }
  CK_ULONG size() const noexcept { return attributes_.size(); }

 private:
  Template& add(CK_ATTRIBUTE_TYPE type, std::vector<std::uint8_t> value);
  std::deque<std::vector<std::uint8_t>> values_;
  std::vector<CK_ATTRIBUTE> attributes_;
};

// One attribute read. CK_RV errors keep their mapping; CKR_ATTRIBUTE_SENSITIVE /
// CKR_ATTRIBUTE_TYPE_INVALID come back as hsm_error with the name in the message.
Result<bool> read_flag(const Session& session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type);
Result<CK_ULONG> read_number(const Session& session, CK_OBJECT_HANDLE object,
                             CK_ATTRIBUTE_TYPE type);
Result<std::vector<std::uint8_t>> read_bytes(const Session& session, CK_OBJECT_HANDLE object,
                                             CK_ATTRIBUTE_TYPE type);
Result<SecretBytes> read_secret(const Session& session, CK_OBJECT_HANDLE object,
                                CK_ATTRIBUTE_TYPE type);

// Every object matching `match`, in one C_FindObjects scan.
Result<std::vector<CK_OBJECT_HANDLE>> find_objects(const Session& session, Template& match);

}  // namespace hsm2fa::hsm
