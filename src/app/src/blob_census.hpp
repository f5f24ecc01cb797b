// How many wrapped blobs the store holds under each KEK: what `token rotate-kek --destroy-old`
// and `token destroy-kek` must see at zero before a KEK may go.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "hsm2fa/app/config.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::app {

// KEK name ("kek-1", "pending-kek") -> blobs, over every credential of every tenant. A ref that
// does not parse counts under "unreadable" (a KEK is never destroyed past it).
Result<std::map<std::string, std::size_t>> blobs_by_kek(const AppConfig& config);

}  // namespace hsm2fa::app
