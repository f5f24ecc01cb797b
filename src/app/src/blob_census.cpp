#include "blob_census.hpp"

#include "hsm2fa/hsm/key_report.hpp"
#include "hsm2fa/store/open_store.hpp"

namespace hsm2fa::app {

Result<std::map<std::string, std::size_t>> blobs_by_kek(const AppConfig& config) {
  auto store = store::open_store(config.store_url);
  if (!store) return std::move(store).error();
  std::map<std::string, std::size_t> census;
  const std::string stem = config.token.key_prefix + "-";
  std::int64_t after = 0;
  for (;;) {
    auto page = (*store)->totp_credentials_after(after, 1000);
    if (!page) return std::move(page).error();
    if (page->empty()) return census;
    for (const TotpCredential& c : *page) {
      after = c.id;
      auto where = hsm::locate_seed(c.seed, config.token.key_prefix);
      if (!where) {
        ++census["unreadable"];
      } else if (where->custody == Custody::wrapped) {
        ++census[where->kek_label.substr(stem.size())];
      }
    }
  }
}

}  // namespace hsm2fa::app
