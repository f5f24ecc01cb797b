// `hsm2fa keys check [--json]`: every key the service relies on and every seed, in both custody
// modes, with the attributes an auditor reads, and the findings that make it exit non-zero.
// Reads only: the token is never asked to unwrap, sign or change anything.
#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "cli_commands.hpp"
#include "hsm2fa/hsm/key_report.hpp"
#include "hsm2fa/store/open_store.hpp"

namespace hsm2fa::app {
namespace {

namespace json = boost::json;

// What the store says a seed is used for, keyed by token-mode CKA_ID (hex).
struct StoredSeed {
  std::string tenant, user;
  bool active = false;
};

struct Scan {
  std::map<std::string, StoredSeed> token_seeds;  // by id_hex
  json::array credentials;                        // wrapped mode: each blob and its KEK
  std::vector<std::string> findings;
};

std::string flag(const std::optional<bool>& v) { return v ? (*v ? "yes" : "no") : "-"; }

json::value flag_json(const std::optional<bool>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::object entry_json(const hsm::KeyEntry& e) {
  json::object o;
  o["role"] = e.role;
  o["label"] = e.label;
  o["id"] = e.id_hex;
  o["class"] = e.object_class;
  o["key_type"] = e.key_type;
  const auto& a = e.attributes;
  o["CKA_SENSITIVE"] = flag_json(a.sensitive);
  o["CKA_EXTRACTABLE"] = flag_json(a.extractable);
  o["CKA_ALWAYS_SENSITIVE"] = flag_json(a.always_sensitive);
  o["CKA_NEVER_EXTRACTABLE"] = flag_json(a.never_extractable);
  o["CKA_WRAP_WITH_TRUSTED"] = flag_json(a.wrap_with_trusted);
  o["CKA_MODIFIABLE"] = flag_json(a.modifiable);
  o["CKA_COPYABLE"] = flag_json(a.copyable);
  o["CKA_TRUSTED"] = flag_json(a.trusted);
  o["CKA_PRIVATE"] = flag_json(a.private_object);
  if (e.allowed_mechanisms) {
    json::array m;
    for (const auto& name : *e.allowed_mechanisms) m.emplace_back(name);
    o["CKA_ALLOWED_MECHANISMS"] = std::move(m);
  } else {
    o["CKA_ALLOWED_MECHANISMS"] = nullptr;  // absent: any mechanism the key type allows
  }
  if (e.unwrap_template) {
    o["CKA_UNWRAP_TEMPLATE"] = {
        {"present", e.unwrap_template->present},
        {"forces_sensitive", e.unwrap_template->forces_sensitive},
        {"forces_non_extractable", e.unwrap_template->forces_non_extractable},
        {"forces_wrap_with_trusted", e.unwrap_template->forces_wrap_with_trusted}};
  }
  o["exportable_now"] = e.exportable_now;
  return o;
}

// Reads every credential of every tenant, a page at a time.
Status scan_store(const AppConfig& config, Scan& scan) {
  auto store = store::open_store(config.store_url);
  if (!store) return std::move(store).error();
  std::int64_t after = 0;
  for (;;) {
    auto page = (*store)->totp_credentials_after(after, 1000);
    if (!page) return std::move(page).error();
    if (page->empty()) return {};
    for (const TotpCredential& c : *page) {
      after = c.id;
      const bool active = c.state == CredentialState::active;
      auto where = hsm::locate_seed(c.seed, config.token.key_prefix);
      if (!where) {
        scan.findings.push_back("credential " + std::to_string(c.id) + " (" + c.tenant + "/" +
                                c.user + "): unreadable seed reference");
        continue;
      }
      if (where->custody == Custody::token) {
        scan.token_seeds[where->id_hex] = StoredSeed{c.tenant, c.user, active};
        continue;
      }
      scan.credentials.push_back(json::object{{"id", c.id},
                                              {"tenant", c.tenant},
                                              {"user", c.user},
                                              {"state", active ? "active" : "pending"},
                                              {"kek", where->kek_label}});
      if (active && where->pending) {
        scan.findings.push_back("active credential " + std::to_string(c.id) + " (" + c.tenant +
                                "/" + c.user + ") is wrapped under the pending (exportable) KEK");
      }
    }
  }
}

// Under kek_rotation "off" a KEK must unwrap seeds sensitive and non-extractable; under
// "trusted", sensitive and extractable only under a trusted KEK (CKA_WRAP_WITH_TRUSTED).
void judge_kek(const hsm::KeyEntry& key, const hsm::TokenConfig& token, Scan& scan) {
  const bool rotating = token.kek_rotation == hsm::KekRotation::trusted;
  const auto& t = key.unwrap_template;
  if (t &&
      !(t->forces_sensitive && (rotating ? t->forces_wrap_with_trusted || t->forces_non_extractable
                                         : t->forces_non_extractable))) {
    scan.findings.push_back("KEK " + key.label +
                            (rotating ? " does not force unwrapped seeds sensitive and "
                                        "wrappable only under trusted keys"
                                      : " does not force unwrapped seeds sensitive and "
                                        "non-extractable"));
  }
  if (key.attributes.private_object == false) {
    scan.findings.push_back("KEK " + key.label + " is a public object (usable without login" +
                            (token.allow_public_kek
                                 ? "; SoftHSM2 keeps its value in clear in the token directory; "
                                   "allow_public_kek: weaker custody)"
                                 : ")"));
  }
}

void judge_keys(const hsm::KeyReport& report, const hsm::TokenConfig& token, Scan& scan) {
  for (const auto& label : report.missing) scan.findings.push_back("missing key: " + label);
  for (const auto& key : report.keys) {
    if (key.role != "audit-verify" && key.exportable_now) {
      scan.findings.push_back("service key " + key.label + " can leave the token");
    }
    if (key.role == "kek") judge_kek(key, token, scan);
  }
  // A blob whose KEK is gone can never be unwrapped again: its user has lost the credential.
  for (const auto& c : scan.credentials) {
    const auto& o = c.as_object();
    const std::string kek(o.at("kek").as_string());
    const bool present = std::any_of(report.keys.begin(), report.keys.end(),
                                     [&](const hsm::KeyEntry& k) { return k.label == kek; });
    if (!present) {
      scan.findings.push_back("credential " + std::to_string(o.at("id").as_int64()) + " (" +
                              std::string(o.at("tenant").as_string()) + "/" +
                              std::string(o.at("user").as_string()) + ") is under " + kek +
                              ", which is not in the token");
    }
  }
  for (const auto& seed : report.seeds) {
    if (!seed.exportable_now) continue;
    const auto stored = scan.token_seeds.find(seed.id_hex);
    if (stored != scan.token_seeds.end() && !stored->second.active) continue;  // pending: by design
    const std::string whose =
        stored == scan.token_seeds.end()
            ? "not referenced by any credential"
            : "active for " + stored->second.tenant + "/" + stored->second.user;
    scan.findings.push_back("exportable " + seed.role + " \"" + seed.label + "\" (id " +
                            seed.id_hex + ", " + whose + ")");
  }
}

std::string seed_state(const hsm::KeyEntry& seed, const Scan& scan) {
  const auto stored = scan.token_seeds.find(seed.id_hex);
  if (stored == scan.token_seeds.end()) return "unreferenced";
  return (stored->second.active ? "active " : "pending ") + stored->second.tenant + "/" +
         stored->second.user;
}

void print_table(const hsm::KeyReport& report, const Scan& scan) {
  std::printf("custody: %s\n\n", report.custody == Custody::token ? "token" : "wrapped");
  std::printf("%-13s %-28s %-16s S   E   AS  NE  WWT mechanisms / state\n", "ROLE", "LABEL",
              "CLASS");
  auto row = [](const hsm::KeyEntry& e, const std::string& tail) {
    const auto& a = e.attributes;
    std::printf("%-13s %-28s %-16s %-3s %-3s %-3s %-3s %-3s %s\n", e.role.c_str(), e.label.c_str(),
                e.object_class.c_str(), flag(a.sensitive).c_str(), flag(a.extractable).c_str(),
                flag(a.always_sensitive).c_str(), flag(a.never_extractable).c_str(),
                flag(a.wrap_with_trusted).c_str(), tail.c_str());
  };
  for (const auto& key : report.keys) {
    std::string mechanisms = "any";
    if (key.allowed_mechanisms) {
      mechanisms.clear();
      for (const auto& m : *key.allowed_mechanisms)
        mechanisms += (mechanisms.empty() ? "" : ",") + m;
    }
    if (key.unwrap_template && key.unwrap_template->present) {
      mechanisms +=
          std::string(" unwrap-template:") +
          (key.unwrap_template->forces_sensitive ? "sensitive" : "NOT-sensitive") +
          (key.unwrap_template->forces_non_extractable ? ",non-extractable" : ",extractable");
    }
    row(key, mechanisms);
  }
  for (const auto& seed : report.seeds) row(seed, seed_state(seed, scan));
  if (!scan.credentials.empty()) {
    std::printf(
        "\nwrapped seeds (in the store; attributes forced by their KEK's unwrap template):\n");
    for (const auto& c : scan.credentials) {
      const auto& o = c.as_object();
      std::printf("  %-8s %s/%s under %s\n", o.at("state").as_string().c_str(),
                  o.at("tenant").as_string().c_str(), o.at("user").as_string().c_str(),
                  o.at("kek").as_string().c_str());
    }
  }
  std::map<std::string, std::size_t> by_kek;
  for (const auto& c : scan.credentials) ++by_kek[std::string(c.as_object().at("kek").as_string())];
  for (const auto& [kek, blobs] : by_kek)
    std::printf("  %zu blob(s) under %s\n", blobs, kek.c_str());
  std::printf("\n%zu finding(s)\n", scan.findings.size());
  for (const auto& f : scan.findings) std::printf("FINDING: %s\n", f.c_str());
}

}  // namespace

int keys_check(const AppConfig& config, const CommandLine& args) {
  if (!args.words.empty()) {
    std::fputs("usage: hsm2fa keys check [--json]\n", stderr);
    return kExitUsage;
  }
  auto token = hsm::open_token(config.token);
  if (!token) {
    std::fprintf(stderr, "hsm2fa: token: %s\n", token.error().message.c_str());
    return kExitFailed;
  }
  auto report = hsm::key_report(**token, config.token);
  if (!report) {
    std::fprintf(stderr, "hsm2fa: key report: %s\n", report.error().message.c_str());
    return kExitFailed;
  }
  Scan scan;
  if (auto st = scan_store(config, scan); !st) {
    std::fprintf(stderr, "hsm2fa: store: %s\n", st.error().message.c_str());
    return kExitFailed;
  }
  judge_keys(*report, config.token, scan);
  std::vector<std::string> weaker;
  for (const auto& [name, tenant] : config.service.tenants) {
    if (tenant.export_policy == service::ExportPolicy::always) weaker.push_back(name);
  }
  for (const auto& name : weaker) {
    scan.findings.push_back("tenant " + name +
                            ": export_policy \"always\" lets active seeds out (weaker custody)");
  }
  if (args.options.count("json")) {
    json::object out;
    out["custody"] = report->custody == Custody::token ? "token" : "wrapped";
    json::array keys, seeds, missing, findings;
    for (const auto& k : report->keys) keys.push_back(entry_json(k));
    for (const auto& s : report->seeds) {
      json::object o = entry_json(s);
      o["state"] = seed_state(s, scan);
      seeds.push_back(std::move(o));
    }
    for (const auto& m : report->missing) missing.emplace_back(m);
    for (const auto& f : scan.findings) findings.emplace_back(f);
    out["keys"] = std::move(keys);
    out["missing"] = std::move(missing);
    out["seeds"] = std::move(seeds);
    json::object by_kek;
    for (const auto& c : scan.credentials) {
      const json::string& kek = c.as_object().at("kek").as_string();
      by_kek[kek] = (by_kek.contains(kek) ? by_kek[kek].as_int64() : 0) + 1;
    }
    out["blobs_by_kek"] = std::move(by_kek);
    out["wrapped_seeds"] = std::move(scan.credentials);
    out["findings"] = std::move(findings);
    std::printf("%s\n", json::serialize(out).c_str());
  } else {
    print_table(*report, scan);
  }
  return report->missing.empty() && scan.findings.empty() ? kExitOk : kExitFailed;
}

}  // namespace hsm2fa::app
