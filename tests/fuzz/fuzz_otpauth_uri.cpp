// The pairing URI built from hostile issuer and account names. Contract checked
// (otp/otpauth_uri.hpp): neither name can split the label or the query, so the URI always has
// the fixed shape, the label and issuer parameter decode back to exactly the inputs, and the
// seed appears once, untouched.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hsm2fa/otp/otpauth_uri.hpp"

namespace {

using hsm2fa::HashAlg;

void require(bool condition) {
  if (!condition) std::abort();
}

// The inverse of percent_encode for its own output: only unreserved characters and %XX.
std::string decode_strict(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    std::abort();  // lower case or other: percent_encode never writes it
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      require(i + 2 < text.size());
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      require((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~');
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

// Input: issuer '\0' account '\0' rest; the first byte of rest picks algorithm, digits, period.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t a = in.find('\0');
  if (a == std::string_view::npos) return 0;
  const std::size_t b = in.find('\0', a + 1);
  if (b == std::string_view::npos) return 0;
  const std::string_view issuer = in.substr(0, a), account = in.substr(a + 1, b - a - 1);
  const std::string_view rest = in.substr(b + 1);
  const unsigned knob = rest.empty() ? 0 : static_cast<unsigned char>(rest[0]);
  const HashAlg alg = knob % 3 == 0   ? HashAlg::sha1
                      : knob % 3 == 1 ? HashAlg::sha256
                                      : HashAlg::sha512;
  const int digits = 6 + static_cast<int>(knob % 3);
  const int period = 30 * (1 + static_cast<int>(knob % 2));
  const auto secret = hsm2fa::SecretBytes::from_string("JBSWY3DPEHPK3PXP");

  const auto uri = hsm2fa::otp::otpauth_uri(issuer, account, secret, alg, digits, period);
  const std::string_view u = uri.view();
  constexpr std::string_view kScheme = "otpauth://totp/";
  require(u.substr(0, kScheme.size()) == kScheme);
  const std::size_t q = u.find('?');
  require(q != std::string_view::npos && u.find('?', q + 1) == std::string_view::npos);
  require(u.find('#') == std::string_view::npos && u.find(' ') == std::string_view::npos);

  const std::string_view label = u.substr(kScheme.size(), q - kScheme.size());
  const std::size_t colon = label.find(':');
  if (issuer.empty()) {
    require(colon == std::string_view::npos);
    require(decode_strict(label) == account);
  } else {
    require(colon != std::string_view::npos &&
            label.find(':', colon + 1) == std::string_view::npos);
    require(decode_strict(label.substr(0, colon)) == issuer);
    require(decode_strict(label.substr(colon + 1)) == account);
  }

  std::string expected_query = "secret=JBSWY3DPEHPK3PXP";
  if (!issuer.empty()) expected_query += "&issuer=" + hsm2fa::otp::percent_encode(issuer);
  expected_query += "&algorithm=" + std::string(hsm2fa::to_string(alg)) +
                    "&digits=" + std::to_string(digits) + "&period=" + std::to_string(period);
  require(u.substr(q + 1) == expected_query);
  return 0;
}
