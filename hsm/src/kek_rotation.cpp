#include "hsm2fa/hsm/kek_rotation.hpp"

#include "kek_custody.hpp"
#include "kek_ring.hpp"
#include "key_specs.hpp"
#include "module.hpp"
#include "vaults.hpp"

namespace hsm2fa::hsm {
namespace {

TokenImpl* impl_of(Token& token) { return dynamic_cast<TokenImpl*>(&token); }

}  // namespace

Result<KekListing> list_keks(Token& token, const TokenConfig& config) {
  TokenImpl* impl = impl_of(token);
  if (impl == nullptr) return make_error(Errc::internal, "list_keks: not a PKCS#11 token");
  KekListing listing;
  auto softhsm = token_is_softhsm(*impl);
  if (!softhsm) return std::move(softhsm).error();
  listing.softhsm = *softhsm;
  auto lease = impl->lease();
  if (!lease) return std::move(lease).error();
  auto numbers = kek_numbers(lease->session(), config.key_prefix);
  if (!numbers) {
    lease->mark_broken_if(numbers.error());
    return std::move(numbers).error();
  }
  for (unsigned n : *numbers) listing.names.push_back("kek-" + std::to_string(n));
  return listing;
}

Result<std::string> create_trusted_kek(const TokenConfig& config, const SecretBytes& so_pin,
                                       unsigned number, bool public_object) {
  auto wrap = parse_wrap_mechanism(config.wrap_mechanism);
  if (!wrap) return std::move(wrap).error();
  auto module = Module::load(config.module_path);
  if (!module) return std::move(module).error();
  const Cryptoki ck = (*module)->cryptoki();
  auto slot = select_slot(ck, config.token_uri);
  if (!slot) return std::move(slot).error();
  auto session = Session::open(ck, *slot);
  if (!session) return std::move(session).error();
  const CK_RV rv = session->raw(HSM2FA_P11(C_Login), CK_USER_TYPE{CKU_SO},
                                const_cast<CK_UTF8CHAR*>(so_pin.data()), CK_ULONG{so_pin.size()});
  if (rv != CKR_OK) return Cryptoki::error("C_Login (SO)", rv);
  const KeySpec spec = trusted_kek_spec(config.key_prefix, number, *wrap, public_object);
  Status made = generate_key(*session, spec);
  const CK_RV logout = session->raw(HSM2FA_P11(C_Logout));
  if (!made) {
    Error error = std::move(made).error();
    error.message = "creating " + spec.label + " as the security officer (" +
                    (public_object ? "public" : "private") + ", CKA_TRUSTED): " + error.message;
    return error;
  }
  if (logout != CKR_OK) return Cryptoki::error("C_Logout (SO)", logout);
  return spec.label;
}

Status destroy_kek(Token& token, const TokenConfig& config, std::string_view name) {
  TokenImpl* impl = impl_of(token);
  if (impl == nullptr) return make_error(Errc::internal, "destroy_kek: not a PKCS#11 token");
  auto listing = list_keks(token, config);
  if (!listing) return std::move(listing).error();
  if (!kek_number(name)) return make_error(Errc::invalid_argument, "not a KEK name: kek-N");
  if (!listing->names.empty() && listing->names.back() == name) {
    return make_error(Errc::conflict, std::string(name) + " is the active KEK");
  }
  const std::string label = config.key_prefix + "-" + std::string(name);
  auto lease = impl->lease();
  if (!lease) return std::move(lease).error();
  auto key = impl->key(label, &lease->session());
  if (!key) return std::move(key).error();
  auto destroyed = lease->call(HSM2FA_P11(C_DestroyObject), *key);
  // This process's vault must not keep opening blobs through the dead handle (or, with the key
  // cache, keep verifying them from a cached key).
  if (destroyed) impl->forget_key(label);
  return destroyed;
}

std::shared_ptr<SeedRewrapper> seed_rewrapper(const std::shared_ptr<SeedVault>& vault,
                                              const TokenConfig& config) {
  if (config.kek_rotation != KekRotation::trusted) return nullptr;
  return std::dynamic_pointer_cast<SeedRewrapper>(ungated(vault));
}

bool public_kek_custody(Token& token, const TokenConfig& config) {
  TokenImpl* impl = impl_of(token);
  if (impl == nullptr || config.kek_rotation != KekRotation::trusted || !config.allow_public_kek) {
    return false;
  }
  auto softhsm = token_is_softhsm(*impl);
  return !softhsm || *softhsm;  // cannot tell: announce rather than hide
}

}  // namespace hsm2fa::hsm
