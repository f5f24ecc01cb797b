// The one include of pkcs11.h in the project (p11-kit's copy, in PKCS#11 compatibility names).
#pragma once

#include <p11-kit/pkcs11.h>
