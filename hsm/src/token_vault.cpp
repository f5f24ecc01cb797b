// Token mode: each seed a persistent, private token object labelled "<prefix>-seed-<hex id>".
#include <map>
#include <mutex>

#include "key_specs.hpp"
#include "oracles.hpp"
#include "seed_ref.hpp"
#include "token_ops.hpp"
#include "vaults.hpp"

namespace hsm2fa::hsm {
namespace {

using SeedId = std::array<std::uint8_t, 16>;

class TokenVault final : public SeedVault {
 public:
  explicit TokenVault(std::shared_ptr<TokenImpl> token)
      : token_(std::move(token)), label_prefix_(token_->config().key_prefix + "-seed-") {}

  Status scan() {
    std::lock_guard lock(mutex_);
    return scan_locked();
  }

  Custody custody() const noexcept override { return Custody::token; }

  Result<SeedRef> generate(HashAlg alg, bool exportable) override {
    TokenSeedRef ref{alg, {}};
    Template t;
    auto created = create(ref, [&](SessionPool::Lease& lease, CK_OBJECT_HANDLE& handle) {
      add_seed_rules(t, alg, true, !exportable, exportable);
      t.number(CKA_VALUE_LEN, digest_size(alg))
          .bytes(CKA_ID, ref.id)
          .text(CKA_LABEL, label(ref.id));
      CK_MECHANISM m{CKM_GENERIC_SECRET_KEY_GEN, nullptr, 0};
      return lease.call(HSM2FA_P11(C_GenerateKey), &m, t.data(), t.size(), &handle);
    });
    if (!created) return std::move(created).error();
    return SeedRef{ref.encode()};
  }

  Result<SeedRef> import(HashAlg alg, std::span<const std::uint8_t> seed,
                         bool exportable) override {
    auto value = padded_seed(alg, seed);
    if (!value) return std::move(value).error();
    TokenSeedRef ref{alg, {}};
    Template t;
    auto created = create(ref, [&](SessionPool::Lease& lease, CK_OBJECT_HANDLE& handle) {
      add_seed_rules(t, alg, true, !exportable, exportable);
      t.bytes(CKA_VALUE, value->span()).bytes(CKA_ID, ref.id).text(CKA_LABEL, label(ref.id));
      return lease.call(HSM2FA_P11(C_CreateObject), t.data(), t.size(), &handle);
    });
    if (!created) return std::move(created).error();
    return SeedRef{ref.encode()};
  }

  Result<SeedInfo> inspect(const SeedRef& ref) override {
    auto found = find(ref);
    if (!found) return std::move(found).error();
    auto lease = token_->lease();
    if (!lease) return std::move(lease).error();
    auto exportable = readable(*lease, found->second);
    if (!exportable) return std::move(exportable).error();
    return SeedInfo{found->first.alg, *exportable};
  }

  Result<std::unique_ptr<HmacOracle>> oracle(const SeedRef& ref) override {
    auto found = find(ref);
    if (!found) return std::move(found).error();
    return make_token_key_oracle(token_, found->first.alg, found->second);
  }

  Result<SecretBytes> export_seed(const SeedRef& ref) override {
    auto found = find(ref);
    if (!found) return std::move(found).error();
    auto lease = token_->lease();
    if (!lease) return std::move(lease).error();
    auto exportable = readable(*lease, found->second);
    if (!exportable) return std::move(exportable).error();
    if (!*exportable) return make_error(Errc::export_locked, "the seed may not leave the token");
    auto value = read_secret(lease->session(), found->second, CKA_VALUE);
    if (!value) {
      lease->mark_broken_if(value.error());
      return std::move(value).error();
    }
    return std::move(*value);
  }

  Result<SeedRef> lock(const SeedRef& ref) override {
    auto found = find(ref);
    if (!found) return std::move(found).error();
    auto lease = token_->lease();
    if (!lease) return std::move(lease).error();
    const CK_OBJECT_HANDLE key = found->second;
    // Extractable off first: a sensitive but extractable key can still be wrapped out.
    for (auto [type, value] : {std::pair{CKA_EXTRACTABLE, false}, std::pair{CKA_SENSITIVE, true}}) {
      auto current = read_flag(lease->session(), key, type);
      if (!current) return std::move(current).error();
      if (*current == value) continue;
      Template t;
      t.flag(type, value);
      if (auto s = lease->call(HSM2FA_P11(C_SetAttributeValue), key, t.data(), t.size()); !s) {
        return std::move(s).error();
      }
    }
    auto exportable = readable(*lease, key);
    if (!exportable) return std::move(exportable).error();
    auto extractable = read_flag(lease->session(), key, CKA_EXTRACTABLE);
    if (!extractable) return std::move(extractable).error();
    if (*exportable || *extractable) {
      return make_error(Errc::hsm_error, "the token did not lock the seed");
    }
    return ref;
  }

  Status destroy(const SeedRef& ref) override {
    auto found = find(ref);
    if (!found) return std::move(found).error();
    {
      auto lease = token_->lease();
      if (!lease) return std::move(lease).error();
      if (auto s = lease->call(HSM2FA_P11(C_DestroyObject), found->second); !s) return s;
    }
    std::lock_guard lock(mutex_);
    handles_.erase(found->first.id);
    return {};
  }

 private:
  std::string label(const SeedId& id) const { return label_prefix_ + to_hex(id); }

  // Draws a fresh id, runs `make` on a leased session and caches the new handle. The lease is
  // returned before mutex_ is taken: find() holds mutex_ while it waits for a lease.
  template <class Make>
  Status create(TokenSeedRef& ref, Make make) {
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    {
      auto lease = token_->lease();
      if (!lease) return std::move(lease).error();
      if (auto status = random_bytes(*lease, ref.id); !status) return status;
      if (auto status = make(*lease, handle); !status) return status;
    }
    std::lock_guard lock(mutex_);
    if (epoch_ == token_->login_epoch()) handles_[ref.id] = handle;
    return {};
  }

  // Exportable = readable by C_GetAttributeValue(CKA_VALUE): not sensitive and extractable.
  static Result<bool> readable(SessionPool::Lease& lease, CK_OBJECT_HANDLE key) {
    auto sensitive = read_flag(lease.session(), key, CKA_SENSITIVE);
    if (!sensitive) return std::move(sensitive).error();
    auto extractable = read_flag(lease.session(), key, CKA_EXTRACTABLE);
    if (!extractable) return std::move(extractable).error();
    return !*sensitive && *extractable;
  }

  // All this vault's seeds in one C_FindObjects scan. Requires mutex_.
  Status scan_locked() {
    auto lease = token_->lease();
    if (!lease) return std::move(lease).error();
    const auto epoch = token_->login_epoch();
    Template match;
    match.number(CKA_CLASS, CKO_SECRET_KEY).number(CKA_KEY_TYPE, CKK_GENERIC_SECRET);
    auto objects = find_objects(lease->session(), match);
    if (!objects) return std::move(objects).error();
    std::map<SeedId, CK_OBJECT_HANDLE> handles;
    // Start-up cost is linear in the seeds: one C_GetAttributeValue each (label and id together,
    // into buffers that fit ours), not a size query and a read per attribute. A label or id that
    // does not fit is not one of our seeds.
    const std::size_t label_size = label_prefix_.size() + 2 * std::tuple_size_v<SeedId>;
    for (CK_OBJECT_HANDLE object : *objects) {
      std::array<char, 256> name{};
      SeedId key{};
      CK_ATTRIBUTE wanted[] = {{CKA_LABEL, name.data(), name.size()},
                               {CKA_ID, key.data(), key.size()}};
      CK_RV rv = lease->raw(HSM2FA_P11(C_GetAttributeValue), object, wanted, CK_ULONG{2});
      if (rv == CKR_BUFFER_TOO_SMALL) continue;
      if (rv != CKR_OK) return Cryptoki::error("C_GetAttributeValue", rv);
      if (wanted[0].ulValueLen != label_size || wanted[1].ulValueLen != key.size()) continue;
      if (std::string_view(name.data(), label_size).rfind(label_prefix_, 0) != 0) continue;
      handles[key] = object;
    }
    handles_ = std::move(handles);
    epoch_ = epoch;
    return {};
  }

  // The seed's ref and handle. A miss (a seed made by another instance) costs one lookup by label.
  Result<std::pair<TokenSeedRef, CK_OBJECT_HANDLE>> find(const SeedRef& ref) {
    auto decoded = decode_token_ref(ref.encoded);
    if (!decoded) return std::move(decoded).error();
    if (auto status = token_->recover_if_suspect(); !status) return std::move(status).error();
    std::lock_guard lock(mutex_);
    if (epoch_ != token_->login_epoch()) {
      if (auto status = scan_locked(); !status) return std::move(status).error();
    }
    if (auto it = handles_.find(decoded->id); it != handles_.end()) {
      return std::pair{*decoded, it->second};
    }
    auto lease = token_->lease();
    if (!lease) return std::move(lease).error();
    Template match;
    match.number(CKA_CLASS, CKO_SECRET_KEY).text(CKA_LABEL, label(decoded->id));
    auto objects = find_objects(lease->session(), match);
    if (!objects) return std::move(objects).error();
    if (objects->size() != 1) return make_error(Errc::not_found, "no such seed in the token");
    handles_[decoded->id] = objects->front();
    return std::pair{*decoded, objects->front()};
  }

  std::shared_ptr<TokenImpl> token_;
  std::string label_prefix_;
  std::mutex mutex_;
  std::map<SeedId, CK_OBJECT_HANDLE> handles_;
  std::uint64_t epoch_ = 0;
};

}  // namespace

Result<std::shared_ptr<SeedVault>> make_token_vault(std::shared_ptr<TokenImpl> token) {
  auto vault = std::make_shared<TokenVault>(std::move(token));
  if (auto status = vault->scan(); !status) return std::move(status).error();
  return std::shared_ptr<SeedVault>(std::move(vault));
}

}  // namespace hsm2fa::hsm
