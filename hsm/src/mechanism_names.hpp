// CKM_*, CKO_* and CKK_* values as the names an auditor reads; unknown ones as hex.
#pragma once

#include <string>

#include "p11.hpp"

namespace hsm2fa::hsm {

std::string mechanism_name(CK_MECHANISM_TYPE mechanism);
std::string object_class_name(CK_OBJECT_CLASS object_class);
std::string key_type_name(CK_KEY_TYPE key_type);

}  // namespace hsm2fa::hsm
