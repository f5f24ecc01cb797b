// Wrapped mode: a seed lives only as a blob wrapped under a KEK that never leaves the token.
// Pending (exportable) seeds are wrapped under the pending KEK, whose unwrap template allows a
// readable key; locked seeds under the active KEK, whose unwrap template forces a sensitive,
// non-extractable, sign-only session key (kek_rotation = "trusted": sensitive, extractable only
// under a trusted KEK, so rewrap() can move it to a newer KEK). Every ref is authenticated by
// the service MAC key. Active keys are kept unwrapped in a bounded cache (key_cache.hpp) keyed by
// the whole ref, so a repeat verification skips the unwrap and the destroy. The ref's MAC is still
// checked every time (see oracle()).
#include <openssl/crypto.h>

#include "hsm2fa/hsm/key_cache_stats.hpp"
#include "hsm2fa/seed_rewrapper.hpp"
#include "kek_ring.hpp"
#include "key_cache.hpp"
#include "key_specs.hpp"
#include "oracles.hpp"
#include "seed_ref.hpp"
#include "token_ops.hpp"
#include "vaults.hpp"

namespace hsm2fa::hsm {
namespace {

constexpr std::string_view kRefPurpose = "seed-ref";

class WrappedVault final : public SeedVault, public SeedRewrapper {
 public:
  WrappedVault(std::shared_ptr<TokenImpl> token, CK_MECHANISM_TYPE wrap,
               std::shared_ptr<KekRing> keks)
      : token_(std::move(token)), wrap_(wrap), keks_(std::move(keks)) {
    if (const std::size_t size = token_->config().key_cache_size; size > 0) {
      cache_ = std::make_shared<KeyCache>(token_, size);
      // Before a module re-initialisation: destroy the keys while traffic goes on, then, with
      // no operation in flight, forget what was cached since and close the owner session.
      const std::weak_ptr<KeyCache> cache = cache_;
      token_->on_recycle(
          [cache] {
            if (auto live = cache.lock()) live->clear();
          },
          [cache] {
            if (auto live = cache.lock()) live->flush();
          });
    }
  }

  KeyCacheStats cache_stats() const { return cache_ ? cache_->stats() : KeyCacheStats{}; }

  Custody custody() const noexcept override { return Custody::wrapped; }

  Result<SeedRef> generate(HashAlg alg, bool exportable) override {
    auto lease = token_->lease();
    if (!lease) return std::move(lease).error();
    auto seed = generate_session_seed(*lease, alg, /*readable=*/false);
    if (!seed) return std::move(seed).error();
    return seal(*lease, alg, exportable, seed->handle());
  }

  Result<SeedRef> import(HashAlg alg, std::span<const std::uint8_t> bytes,
                         bool exportable) override {
    auto value = padded_seed(alg, bytes);
    if (!value) return std::move(value).error();
    auto lease = token_->lease();
    if (!lease) return std::move(lease).error();
    Template t;
    add_seed_rules(t, alg, false, true, true);
    t.bytes(CKA_VALUE, value->span());
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    if (auto s = lease->call(HSM2FA_P11(C_CreateObject), t.data(), t.size(), &handle); !s) {
      return std::move(s).error();
    }
    SessionObject seed(lease->session(), handle);
    return seal(*lease, alg, exportable, seed.handle());
  }

  Result<SeedInfo> inspect(const SeedRef& ref) override {
    auto lease = token_->lease();
    if (!lease) return std::move(lease).error();
    auto opened = open(*lease, ref);
    if (!opened) return std::move(opened).error();
    return SeedInfo{opened->ref.alg, opened->ref.pending};
  }

  Result<std::unique_ptr<HmacOracle>> oracle(const SeedRef& ref) override {
    auto lease = token_->lease();  // first: it notices a lost login, which empties the cache
    if (!lease) return std::move(lease).error();
    // The MAC check runs on hits too: it costs one HMAC under a token key, and it is what proves
    // the token still holds its keys. A session object can outlive them (SoftHSM2 keeps it in
    // the process's memory after the token is zeroised or its directory removed); without the
    // check, a cached key would keep verifying with the token gone.
    auto opened = open(*lease, ref);
    if (!opened) {
      if (cache_ && opened.error().code == Errc::hsm_unavailable) cache_->flush();
      return std::move(opened).error();
    }
    if (cache_ && !opened->ref.pending) {  // pending keys are readable: never kept
      if (auto key = cache_->find(ref.encoded)) {
        return make_cached_key_oracle(std::move(*lease), std::move(key), cache_);
      }
      auto key = cache_->insert(ref.encoded, opened->ref.alg, *lease,
                                [&](const Session& owner) { return unwrap_in(owner, *opened); });
      if (!key) return std::move(key).error();
      return make_cached_key_oracle(std::move(*lease), std::move(*key), cache_);
    }
    auto key = unwrap(*lease, *opened);
    if (!key) return std::move(key).error();
    return make_session_key_oracle(token_, opened->ref.alg, std::move(*lease), std::move(*key));
  }

  Result<SecretBytes> export_seed(const SeedRef& ref) override {
    auto lease = token_->lease();
    if (!lease) return std::move(lease).error();
    auto opened = open(*lease, ref);
    if (!opened) return std::move(opened).error();
    if (!opened->ref.pending) {
      return make_error(Errc::export_locked, "the seed may not leave the token");
    }
    auto key = unwrap(*lease, *opened);
    if (!key) return std::move(key).error();
    auto value = read_secret(lease->session(), key->handle(), CKA_VALUE);
    if (!value) return std::move(value).error();
    // Key wrapping pads to whole 8-byte blocks: drop trailing zeros down to the digest length,
    // which leaves every HMAC unchanged.
    std::size_t size = value->size();
    while (size > digest_size(opened->ref.alg) && value->data()[size - 1] == 0) --size;
    value->truncate(size);
    return std::move(*value);
  }

  Result<SeedRef> lock(const SeedRef& ref) override {
    auto lease = token_->lease();
    if (!lease) return std::move(lease).error();
    auto opened = open(*lease, ref);
    if (!opened) return std::move(opened).error();
    if (!opened->ref.pending) return ref;
    auto key = unwrap(*lease, *opened);
    if (!key) return std::move(key).error();
    return seal(*lease, opened->ref.alg, false, key->handle());
  }

  // One lease for the seed's birth and its pairing export: generated readable (it is readable
  // whenever the pending KEK unwraps it anyway), read, sealed under the pending KEK, destroyed.
  Result<PairingSeed> generate_for_pairing(HashAlg alg) override {
    auto lease = token_->lease();
    if (!lease) return std::move(lease).error();
    auto seed = generate_session_seed(*lease, alg, /*readable=*/true);
    if (!seed) return std::move(seed).error();
    auto value = read_secret(lease->session(), seed->handle(), CKA_VALUE);
    if (!value) return std::move(value).error();
    if (value->size() != digest_size(alg)) {
      return make_error(Errc::hsm_error, "the token generated a seed of the wrong length");
    }
    auto ref = seal(*lease, alg, true, seed->handle());
    if (!ref) return std::move(ref).error();
    return PairingSeed{std::move(*ref), std::move(*value)};
  }

  // The pending seed is unwrapped once for the check and, if it passes, sealed from that same
  // session key under the active KEK.
  Result<std::optional<SeedRef>> lock_if(const SeedRef& ref, HashAlg alg,
                                         const SeedCheck& check) override {
    auto decoded = decode_wrapped_ref(ref.encoded);
    if (!decoded) return std::move(decoded).error();
    if (!decoded->pending) return SeedVault::lock_if(ref, alg, check);  // lock() is a no-op
    auto lease = token_->lease();
    if (!lease) return std::move(lease).error();
    auto opened = open(*lease, ref);
    if (!opened) return std::move(opened).error();
    if (opened->ref.alg != alg) {
      return make_error(Errc::tampered, "seed algorithm differs from the credential's");
    }
    auto key = unwrap(*lease, *opened);
    if (!key) return std::move(key).error();
    auto accepted = check(*make_borrowed_key_oracle(*lease, alg, key->handle()));
    if (!accepted) return std::move(accepted).error();
    if (!*accepted) return std::optional<SeedRef>();
    auto locked = seal(*lease, alg, false, key->handle());
    if (!locked) return std::move(locked).error();
    return std::optional<SeedRef>(std::move(*locked));
  }

  Status destroy(const SeedRef& ref) override {
    if (cache_) cache_->forget(ref.encoded);
    auto lease = token_->lease();
    if (!lease) return std::move(lease).error();
    auto opened = open(*lease, ref);
    if (!opened) return std::move(opened).error();
    return {};
  }

  Result<std::string> refresh_target() override { return keks_->refresh(*token_); }

  bool needs_rewrap(const SeedRef& ref) const override {
    auto decoded = decode_wrapped_ref(ref.encoded);
    return keks_->rotating() && decoded && !decoded->pending && decoded->kek != keks_->active();
  }

  Result<SeedRef> rewrap(const SeedRef& ref) override {
    if (!keks_->rotating()) return make_error(Errc::config, "kek_rotation is off");
    auto lease = token_->lease();
    if (!lease) return std::move(lease).error();
    auto opened = open(*lease, ref);
    if (!opened) return std::move(opened).error();
    if (opened->ref.pending || opened->ref.kek == keks_->active()) return ref;
    auto key = unwrap(*lease, *opened);
    if (!key) return std::move(key).error();
    return seal(*lease, opened->ref.alg, false, key->handle());
  }

 private:
  struct Opened {
    WrappedSeedRef ref;
    CK_MECHANISM_TYPE mechanism;
    CK_OBJECT_HANDLE kek;
  };

  // The KEK a new blob in this state is sealed under.
  std::string kek_name(bool pending) const {
    return pending ? pending_kek_label(token_->config().key_prefix)
                         .substr(token_->config().key_prefix.size() + 1)
                   : keks_->active();
  }
  std::string kek_label_for(bool pending) const { return keks_->label(kek_name(pending)); }

  // A new seed of digest_size(alg) bytes as a session object (extractable, for the wrap).
  static Result<SessionObject> generate_session_seed(SessionPool::Lease& lease, HashAlg alg,
                                                     bool readable) {
    Template t;
    add_seed_rules(t, alg, false, /*sensitive=*/!readable, /*extractable=*/true);
    t.number(CKA_VALUE_LEN, digest_size(alg));
    CK_MECHANISM m{CKM_GENERIC_SECRET_KEY_GEN, nullptr, 0};
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    if (auto s = lease.call(HSM2FA_P11(C_GenerateKey), &m, t.data(), t.size(), &handle); !s) {
      return std::move(s).error();
    }
    return SessionObject(lease.session(), handle);
  }

  // Wraps `seed` under the KEK for its state and authenticates the result.
  Result<SeedRef> seal(SessionPool::Lease& lease, HashAlg alg, bool pending,
                       CK_OBJECT_HANDLE seed) {
    auto kek = token_->key(kek_label_for(pending), &lease.session());
    if (!kek) return std::move(kek).error();
    auto mac_key = token_->key(mac_key_label(token_->config().key_prefix), &lease.session());
    if (!mac_key) return std::move(mac_key).error();
    auto wrapped = wrap_key(lease, wrap_, *kek, seed);
    if (!wrapped) return std::move(wrapped).error();
    WrappedSeedRef ref;
    ref.alg = alg;
    ref.pending = pending;
    ref.kek = kek_name(pending);
    ref.mechanism = wrap_ == CKM_AES_KEY_WRAP_PAD ? "KWP" : "KW";
    ref.wrapped = std::move(*wrapped);
    const std::string covered = ref.authenticated_part();
    auto mac = purpose_mac(lease, *mac_key, kRefPurpose,
                           {reinterpret_cast<const std::uint8_t*>(covered.data()), covered.size()});
    if (!mac) return std::move(mac).error();
    ref.mac.assign(mac->span().begin(), mac->span().end());
    return SeedRef{ref.encode()};
  }

  // Decodes `ref` and checks its MAC in the token before anything uses it.
  Result<Opened> open(SessionPool::Lease& lease, const SeedRef& text) {
    auto ref = decode_wrapped_ref(text.encoded);
    if (!ref) return std::move(ref).error();
    auto mac_key = token_->key(mac_key_label(token_->config().key_prefix), &lease.session());
    if (!mac_key) return std::move(mac_key).error();
    const std::string covered = ref->authenticated_part();
    auto mac = purpose_mac(lease, *mac_key, kRefPurpose,
                           {reinterpret_cast<const std::uint8_t*>(covered.data()), covered.size()});
    if (!mac) return std::move(mac).error();
    if (mac->size != ref->mac.size() ||
        CRYPTO_memcmp(mac->bytes.data(), ref->mac.data(), mac->size) != 0) {
      return make_error(Errc::tampered, "wrapped seed ref failed its integrity check");
    }
    // Authentic from here on; these only fail for refs made under another configuration.
    CK_MECHANISM_TYPE mechanism = ref->mechanism == "KWP" ? CKM_AES_KEY_WRAP_PAD : CKM_AES_KEY_WRAP;
    const bool known_kek = ref->pending ? ref->kek == kek_name(true) : keks_->accepts(ref->kek);
    if ((ref->mechanism != "KWP" && ref->mechanism != "KW") || !known_kek) {
      return make_error(Errc::config, "wrapped seed ref names a KEK or mechanism not configured");
    }
    auto kek = token_->key(keks_->label(ref->kek), &lease.session());
    if (!kek) return std::move(kek).error();
    return Opened{std::move(*ref), mechanism, *kek};
  }

  // Repeats the KEK's unwrap template (SoftHSM2 does not merge it): readable only for pending.
  void fill_unwrap_template(Template& t, const Opened& opened) const {
    if (!opened.ref.pending && keks_->rotating()) {
      add_rotatable_unwrap_rules(t);
    } else {
      add_unwrap_rules(t, opened.ref.pending);
    }
    t.mechanisms(CKA_ALLOWED_MECHANISMS, {hmac_mechanism(opened.ref.alg)});
  }

  Result<SessionObject> unwrap(SessionPool::Lease& lease, const Opened& opened) {
    Template t;
    fill_unwrap_template(t, opened);
    return unwrap_key(lease, opened.mechanism, opened.kek, opened.ref.wrapped, t);
  }

  // The same unwrap into `owner`, the key cache's session; the cache owns the result.
  Result<CK_OBJECT_HANDLE> unwrap_in(const Session& owner, const Opened& opened) const {
    Template t;
    fill_unwrap_template(t, opened);
    CK_MECHANISM m{opened.mechanism, nullptr, 0};
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    auto* wrapped = const_cast<CK_BYTE*>(opened.ref.wrapped.data());
    if (auto status = owner.call(HSM2FA_P11(C_UnwrapKey), &m, opened.kek, wrapped,
                                 CK_ULONG{opened.ref.wrapped.size()}, t.data(), t.size(), &handle);
        !status) {
      return std::move(status).error();
    }
    return handle;
  }

  std::shared_ptr<TokenImpl> token_;
  CK_MECHANISM_TYPE wrap_;
  std::shared_ptr<KekRing> keks_;
  std::shared_ptr<KeyCache> cache_;  // null when key_cache_size is 0
};

}  // namespace

KeyCacheStats key_cache_stats(const SeedVault& vault) {
  const auto* wrapped = dynamic_cast<const WrappedVault*>(&ungated(vault));
  return wrapped ? wrapped->cache_stats() : KeyCacheStats{};
}

Result<std::shared_ptr<SeedVault>> make_wrapped_vault(std::shared_ptr<TokenImpl> token,
                                                      CK_MECHANISM_TYPE wrap,
                                                      std::shared_ptr<KekRing> keks) {
  if (!keks) keks = std::make_shared<KekRing>(token->config().key_prefix, false);
  return std::shared_ptr<SeedVault>(
      std::make_shared<WrappedVault>(std::move(token), wrap, std::move(keks)));
}

}  // namespace hsm2fa::hsm
