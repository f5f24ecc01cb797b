#include "email_code.hpp"
#include "hsm2fa/hex.hpp"
#include "push_key.hpp"
#include "use_cases.hpp"

namespace hsm2fa::service {

// 128 random bits as 32 lower-case hex digits: device and challenge ids, nonces.
Result<std::string> random_hex_id(RandomSource& random) {
  std::array<std::uint8_t, 16> bytes{};
  if (auto st = random.fill(bytes); !st) return std::move(st).error();
  return to_hex(bytes);
}

namespace use_case {
namespace {

bool is_device_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

Result<std::string> register_device(const ServiceContext& ctx, std::string_view tenant,
                                    std::string_view user, std::string_view name,
                                    std::string_view pem) {
  if (auto config = resolve_tenant(ctx, tenant, user); !config) return std::move(config).error();
  if (!is_device_name(name)) {
    return make_error(Errc::invalid_argument, "\"name\" must be 1-64 printable bytes");
  }
  if (auto st = check_p256_public_key(pem); !st) return std::move(st).error();
  auto id = random_hex_id(*ctx.ports.random);
  if (!id) return std::move(id).error();
  const PushDevice device{*id,
                          std::string(tenant),
                          std::string(user),
                          std::string(name),
                          std::string(pem),
                          ctx.now_seconds()};
  if (auto st = ctx.store->add_device(device); !st) return std::move(st).error();
  return id;
}

Result<std::vector<DeviceInfo>> devices(const ServiceContext& ctx, std::string_view tenant,
                                        std::string_view user) {
  if (auto config = resolve_tenant(ctx, tenant, user); !config) return std::move(config).error();
  auto all = ctx.store->devices(tenant, user);
  if (!all) return std::move(all).error();
  std::vector<DeviceInfo> out;
  for (const auto& d : *all) out.push_back(DeviceInfo{d.id, d.name, d.created_at});
  return out;
}

Status delete_device(const ServiceContext& ctx, std::string_view tenant, std::string_view user,
                     std::string_view device_id) {
  if (auto config = resolve_tenant(ctx, tenant, user); !config) return std::move(config).error();
  auto removed = ctx.store->delete_device(tenant, user, device_id);
  if (!removed) return std::move(removed).error();
  if (!*removed) return make_error(Errc::not_found, "no such device for this user");
  return {};
}

}  // namespace use_case
}  // namespace hsm2fa::service
