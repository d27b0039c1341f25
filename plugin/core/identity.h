/* An account's long-lived TLS identity: private key plus self-signed certificate
 * (PROTOCOL.md §4). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  XTLS_KEY_ED25519,
  XTLS_KEY_ECDSA_P256,
} XtlsKeyType;

typedef struct _XtlsIdentity XtlsIdentity;

/* Generates a new key and a self-signed certificate whose CN is @name (usually the bare JID).
 * Valid for 20 years; nothing checks validity dates, the fingerprint is what is trusted. */
XtlsIdentity *xtls_identity_generate (XtlsKeyType type, const char *name, GError **error);

/* Loads an identity written by xtls_identity_save() (PEM key + PEM certificate). */
XtlsIdentity *xtls_identity_load (const char *path, GError **error);

/* Writes the identity atomically with mode 0600. */
gboolean xtls_identity_save (XtlsIdentity *identity, const char *path, GError **error);

/* Loads @path, or generates and saves a new identity there when the file does not exist. */
XtlsIdentity *xtls_identity_load_or_create (const char *path, XtlsKeyType type, const char *name,
                                            GError **error);

XtlsIdentity *xtls_identity_ref (XtlsIdentity *identity);
void xtls_identity_unref (XtlsIdentity *identity);

/* SHA-256 of the DER certificate, lowercase hex. Owned by the identity. */
const char *xtls_identity_get_fingerprint (XtlsIdentity *identity);
/* The DER certificate. Transfer none. */
GBytes *xtls_identity_get_certificate (XtlsIdentity *identity);
XtlsKeyType xtls_identity_get_key_type (XtlsIdentity *identity);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (XtlsIdentity, xtls_identity_unref)

G_END_DECLS
