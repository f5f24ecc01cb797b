// Email codes over SMTP through libcurl: a relay host and port, STARTTLS when the relay offers it
// (or required), optional credentials. One connection per message; blocking, so it runs on the
// worker threads like every other service call.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"
#include "hsm2fa/service/flow_ports.hpp"

namespace hsm2fa::service {

enum class StartTls {
  opportunistic,  // upgrade when the relay offers STARTTLS, else send in clear (CURLUSESSL_TRY)
  required,       // fail (delivery_failed) unless the session is encrypted (CURLUSESSL_ALL)
  off,            // never upgrade: a relay on loopback or a Unix-local MTA
};

struct SmtpConfig {
  std::string url = "smtp://127.0.0.1:25";  // smtp://host:port, or smtps:// for implicit TLS
  std::string from = "hsm2fa@localhost";    // envelope sender and From header
  StartTls starttls = StartTls::opportunistic;
  std::string username;  // empty: no AUTH
  SecretBytes password;
  std::chrono::seconds timeout{10};
  // Placeholders: {issuer}, {code}, {minutes}, {user}, {tenant}. The code appears only in the
  // body, the only part a relay's logs do not usually keep.
  std::string subject = "Your {issuer} sign-in code";
  std::string body =
      "Your {issuer} sign-in code is {code}.\n"
      "It expires in {minutes} minutes. If you did not ask for it, you can ignore this message.\n";
};

// Errors: config (the URL is not smtp:// or smtps://, a template has no {code}, a header value
// holds a line break).
Result<std::shared_ptr<EmailSender>> make_smtp_email_sender(SmtpConfig config);

}  // namespace hsm2fa::service
