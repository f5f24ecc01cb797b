#include "attributes.hpp"

#include <cstring>
#include <type_traits>

namespace hsm2fa::hsm {

Template::~Template() {
  for (auto& value : values_) {
    if (!value.empty()) secure_wipe(value.data(), value.size());
  }
}

Template& Template::add(CK_ATTRIBUTE_TYPE type, std::vector<std::uint8_t> value) {
  auto& stored = values_.emplace_back(std::move(value));
  attributes_.push_back(CK_ATTRIBUTE{type, stored.data(), stored.size()});
  return *this;
}

Template& Template::flag(CK_ATTRIBUTE_TYPE type, bool value) {
  return add(type, {static_cast<std::uint8_t>(value ? CK_TRUE : CK_FALSE)});
}

Template& Template::number(CK_ATTRIBUTE_TYPE type, CK_ULONG value) {
  std::vector<std::uint8_t> raw(sizeof value);
  std::memcpy(raw.data(), &value, sizeof value);
  return add(type, std::move(raw));
}

Template& Template::bytes(CK_ATTRIBUTE_TYPE type, std::span<const std::uint8_t> value) {
  return add(type, {value.begin(), value.end()});
}

Template& Template::text(CK_ATTRIBUTE_TYPE type, std::string_view value) {
  return add(type, {value.begin(), value.end()});
}

Template& Template::mechanisms(CK_ATTRIBUTE_TYPE type, std::vector<CK_MECHANISM_TYPE> value) {
  std::vector<std::uint8_t> raw(value.size() * sizeof(CK_MECHANISM_TYPE));
  if (!raw.empty()) std::memcpy(raw.data(), value.data(), raw.size());
  return add(type, std::move(raw));
}

Template& Template::nested(CK_ATTRIBUTE_TYPE type, Template& inner) {
  attributes_.push_back(CK_ATTRIBUTE{type, inner.attributes_.data(),
                                     inner.attributes_.size() * sizeof(CK_ATTRIBUTE)});
  return *this;
}

namespace {

Status read_into(const Session& session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE& attribute) {
  return session.call(HSM2FA_P11(C_GetAttributeValue), object, &attribute, CK_ULONG{1});
}

template <class Buffer>
Result<Buffer> read_sized(const Session& session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE attribute{type, nullptr, 0};
  if (auto status = read_into(session, object, attribute); !status) {
    return std::move(status).error();
  }
  Buffer buffer(attribute.ulValueLen);
  attribute.pValue = buffer.data();
  if (auto status = read_into(session, object, attribute); !status) {
    return std::move(status).error();
  }
  if constexpr (std::is_same_v<Buffer, SecretBytes>) {
    buffer.truncate(attribute.ulValueLen);
  } else {
    buffer.resize(attribute.ulValueLen);
  }
  return buffer;
}

}  // namespace

Result<bool> read_flag(const Session& session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
  CK_BBOOL value = CK_FALSE;
  CK_ATTRIBUTE attribute{type, &value, sizeof value};
  if (auto status = read_into(session, object, attribute); !status) {
    return std::move(status).error();
  }
  return value == CK_TRUE;
}

Result<CK_ULONG> read_number(const Session& session, CK_OBJECT_HANDLE object,
                             CK_ATTRIBUTE_TYPE type) {
  CK_ULONG value = 0;
  CK_ATTRIBUTE attribute{type, &value, sizeof value};
  if (auto status = read_into(session, object, attribute); !status) {
    return std::move(status).error();
  }
  return value;
}

Result<std::vector<std::uint8_t>> read_bytes(const Session& session, CK_OBJECT_HANDLE object,
                                             CK_ATTRIBUTE_TYPE type) {
  return read_sized<std::vector<std::uint8_t>>(session, object, type);
}

Result<SecretBytes> read_secret(const Session& session, CK_OBJECT_HANDLE object,
                                CK_ATTRIBUTE_TYPE type) {
  return read_sized<SecretBytes>(session, object, type);
}

Result<std::vector<CK_OBJECT_HANDLE>> find_objects(const Session& session, Template& match) {
  if (auto status = session.call(HSM2FA_P11(C_FindObjectsInit), match.data(), match.size());
      !status) {
    return std::move(status).error();
  }
  std::vector<CK_OBJECT_HANDLE> found;
  Status status;
  for (;;) {
    CK_OBJECT_HANDLE batch[64];
    CK_ULONG count = 0;
    status = session.call(HSM2FA_P11(C_FindObjects), batch, CK_ULONG{64}, &count);
    if (!status || count == 0) break;
    found.insert(found.end(), batch, batch + count);
  }
  auto final_status = session.call(HSM2FA_P11(C_FindObjectsFinal));
  if (!status) return std::move(status).error();
  if (!final_status) return std::move(final_status).error();
  return found;
}

}  // namespace hsm2fa::hsm
