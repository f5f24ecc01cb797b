#include "hsm2fa/service/smtp_email_sender.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <mutex>
#include <string_view>

namespace hsm2fa::service {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

void replace_all(std::string& text, std::string_view key, std::string_view value) {
  for (std::size_t at = text.find(key); at != std::string::npos;
       at = text.find(key, at + value.size())) {
    text.replace(at, key.size(), value);
  }
}

bool one_line(std::string_view s) { return s.find_first_of("\r\n") == std::string_view::npos; }

// RFC 2047 for a Subject that is not plain ASCII (an issuer may be an IDN or have accents).
std::string header_text(const std::string& text) {
  bool ascii = true;
  for (unsigned char c : text) ascii = ascii && c >= 0x20 && c < 0x7f;
  if (ascii) return text;
  std::string b64(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  b64.resize(static_cast<std::size_t>(n));
  return "=?UTF-8?B?" + b64 + "?=";
}

std::string rfc5322_date() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

// The message being uploaded: libcurl pulls it through the read callback.
struct Upload {
  std::string_view rest;
};

size_t read_payload(char* out, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->rest.size());
  std::memcpy(out, upload->rest.data(), n);
  upload->rest.remove_prefix(n);
  return n;
}

class SmtpEmailSender final : public EmailSender {
 public:
  explicit SmtpEmailSender(SmtpConfig config) : config_(std::move(config)) {}

  Status send(const EmailMessage& message) override {
    if (!message.code || message.to.empty() || !one_line(message.to)) {
      return make_error(Errc::invalid_argument, "smtp: no code or a malformed recipient");
    }
    SecretBytes payload = SecretBytes::from_string(compose(message));
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return make_error(Errc::delivery_failed, "smtp: cannot start a transfer");
    std::unique_ptr<curl_slist, SlistDeleter> rcpt(
        curl_slist_append(nullptr, ("<" + message.to + ">").c_str()));
    if (!rcpt) return make_error(Errc::delivery_failed, "smtp: out of memory");
    Upload upload{payload.view()};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, config_.url.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, ("<" + config_.from + ">").c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_payload);
    curl_easy_setopt(c, CURLOPT_READDATA, &upload);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // worker threads: no SIGALRM for DNS timeouts
    curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(config_.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(config_.timeout.count()));
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     config_.starttls == StartTls::required ? CURLUSESSL_ALL
                     : config_.starttls == StartTls::off    ? CURLUSESSL_NONE
                                                            : CURLUSESSL_TRY);
    std::string password;
    if (!config_.username.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, config_.username.c_str());
      password.assign(config_.password.view());
      curl_easy_setopt(c, CURLOPT_PASSWORD, password.c_str());
    }
    const CURLcode rc = curl_easy_perform(c);
    secure_wipe(password.data(), password.size());
    if (rc != CURLE_OK) {
      long smtp_status = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &smtp_status);
      // The recipient's address is personal data: the log has the tenant and the failure only.
      spdlog::warn("smtp: sending an email code for tenant {} failed: {} (reply {})",
                   message.tenant, curl_easy_strerror(rc), smtp_status);
      return make_error(Errc::delivery_failed, "the mail relay did not take the message");
    }
    return {};
  }

 private:
  std::string compose(const EmailMessage& m) const {
    auto fill = [&](std::string text, bool with_code) {
      replace_all(text, "{issuer}", m.issuer);
      replace_all(text, "{user}", m.user);
      replace_all(text, "{tenant}", m.tenant);
      replace_all(text, "{minutes}", std::to_string((m.ttl_seconds + 59) / 60));
      if (with_code) replace_all(text, "{code}", m.code->view());
      return text;
    };
    std::string body = fill(config_.body, true);
    std::string crlf_body;
    crlf_body.reserve(body.size() + 16);
    for (char ch : body) {
      if (ch == '\n') crlf_body += '\r';
      if (ch != '\r') crlf_body += ch;
    }
    secure_wipe(body.data(), body.size());
    std::string out = "Date: " + rfc5322_date() + "\r\nFrom: <" + config_.from + ">\r\nTo: <" +
                      m.to + ">\r\nSubject: " + header_text(fill(config_.subject, false)) +
                      "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                      "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n" +
                      crlf_body;
    secure_wipe(crlf_body.data(), crlf_body.size());
    return out;
  }

  const SmtpConfig config_;
};

}  // namespace

Result<std::shared_ptr<EmailSender>> make_smtp_email_sender(SmtpConfig config) {
  if (config.url.rfind("smtp://", 0) != 0 && config.url.rfind("smtps://", 0) != 0) {
    return make_error(Errc::config, "email.smtp.url must start with smtp:// or smtps://");
  }
  if (config.body.find("{code}") == std::string::npos) {
    return make_error(Errc::config, "the email template has no {code}");
  }
  if (config.subject.find("{code}") != std::string::npos) {
    return make_error(Errc::config, "the email subject must not show the code");
  }
  if (!one_line(config.from) || !one_line(config.subject) || config.from.empty()) {
    return make_error(Errc::config, "email.smtp.from and the subject are single lines");
  }
  static std::once_flag curl_ready;
  std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::shared_ptr<EmailSender>(std::make_shared<SmtpEmailSender>(std::move(config)));
}

}  // namespace hsm2fa::service
