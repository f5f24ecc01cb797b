// JSON text for people as well as programs: Boost.JSON 1.81 writes doubles in exponent form
// ("1.77351E2"); this writer gives the shortest plain decimal that round-trips ("177.351").
#pragma once

#include <string>

#include <boost/json/value.hpp>

namespace hsm2fa::bench {

std::string json_text(const boost::json::value& v);

}  // namespace hsm2fa::bench
