/* For tls-channel.c only: the GnuTLS objects behind an identity. */
#pragma once

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "identity.h"

/* Transfer none; valid while @identity lives. */
gnutls_x509_crt_t xtls_identity_get_gnutls_crt (XtlsIdentity *identity);
gnutls_x509_privkey_t xtls_identity_get_gnutls_key (XtlsIdentity *identity);
