#include "test-keys.h"

XtlsIdentity *
xtls_test_identity (const char *name)
{
  g_autoptr (GError) error = NULL;
  XtlsIdentity *identity = xtls_identity_generate (XTLS_KEY_ED25519, name, &error);

  g_assert_no_error (error);
  g_assert_nonnull (identity);
  return identity;
}
