/* Throwaway identities for tests. */
#pragma once

#include "identity.h"

/* A fresh Ed25519 identity named @name; aborts the test on failure. Transfer full. */
XtlsIdentity *xtls_test_identity (const char *name);
