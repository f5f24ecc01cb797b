// The token-work gate: at most N threads inside the token at once, however many worker threads
// serve requests. SoftHSM2 serialises a token's operations behind its own locks and loses
// throughput when two threads contend for them (DESIGN.md: 67k HMAC/s on one thread, 41k/s on
// two), while the workers must outnumber it so that one request's token work overlaps other
// requests' database fsyncs. The gate wraps the ports through which the service reaches the
// token (the seed vault, the token MAC, the token RNG, the health probe).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>

#include "hsm2fa/seed_vault.hpp"
#include "hsm2fa/service/flow_ports.hpp"

namespace hsm2fa::service {

class TokenPermits {
 public:
  // A permit to work in the token; given back when dropped.
  class Permit {
   public:
    explicit Permit(TokenPermits& gate) : gate_(&gate) { gate_->enter(); }
    ~Permit() {
      if (gate_ != nullptr) gate_->leave();
    }
    Permit(Permit&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)) {}
    Permit& operator=(Permit&&) = delete;

   private:
    TokenPermits* gate_;
  };

  explicit TokenPermits(std::size_t permits) : free_(permits == 0 ? 1 : permits) {}
  TokenPermits(const TokenPermits&) = delete;
  TokenPermits& operator=(const TokenPermits&) = delete;

 private:
  void enter();
  void leave() noexcept;

  std::mutex mu_;
  std::condition_variable freed_;
  std::size_t free_;
};

// Every SeedVault call under a permit. An oracle holds one permit from its creation until it is
// destroyed (in wrapped custody it owns a token session and a session key all that time, so
// gating its calls one by one could leave a permit holder waiting for a session that a
// permit-less oracle keeps). So: never call the vault while holding an oracle.
std::shared_ptr<SeedVault> gate_vault(std::shared_ptr<SeedVault> vault,
                                      std::shared_ptr<TokenPermits> gate);

// The same for the flows' token ports and the health probe; empty ones stay empty.
TokenMac gate_token_mac(TokenMac mac, std::shared_ptr<TokenPermits> gate);
std::shared_ptr<RandomSource> gate_random(std::shared_ptr<RandomSource> random,
                                          std::shared_ptr<TokenPermits> gate);
std::function<Status()> gate_probe(std::function<Status()> probe,
                                   std::shared_ptr<TokenPermits> gate);

}  // namespace hsm2fa::service
