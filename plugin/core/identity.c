/* An account's long-lived TLS identity (PROTOCOL.md §4): a private key and a self-signed
 * certificate whose SHA-256 fingerprint peers pin. Nothing here logs key material. */
#include "identity-private.h"

#include <errno.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "fingerprint.h"
#include "xtls-error.h"

/* Validity dates are not checked by anyone (the pinned fingerprint is the trust), but the
 * certificate must carry some: 20 years keeps it from expiring in practice. */
#define VALIDITY_SECONDS ((time_t)20 * 365 * 24 * 60 * 60)
/* RFC 5280 §4.1.2.2: a positive integer of at most 20 octets. */
#define SERIAL_LEN 16

#define PEM_CERT_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_KEY_BEGIN "-----BEGIN PRIVATE KEY-----"

struct _XtlsIdentity
{
  grefcount ref;
  XtlsKeyType type;
  gnutls_x509_privkey_t key; /* owned */
  gnutls_x509_crt_t crt;     /* owned */
  GBytes *der;               /* owned: the certificate in DER */
  char *fingerprint;         /* owned: SHA-256 of der, lowercase hex */
};

static void
set_gnutls_error (GError **error, int code, const char *what)
{
  g_set_error (error, XTLS_ERROR, XTLS_ERROR_FAILED, "%s: %s", what, gnutls_strerror (code));
}

static void
identity_free (XtlsIdentity *identity)
{
  if (identity->key != NULL)
    gnutls_x509_privkey_deinit (identity->key);
  if (identity->crt != NULL)
    gnutls_x509_crt_deinit (identity->crt);
  g_clear_pointer (&identity->der, g_bytes_unref);
  g_free (identity->fingerprint);
  g_free (identity);
}

static XtlsIdentity *
identity_new (void)
{
  XtlsIdentity *identity = g_new0 (XtlsIdentity, 1);

  g_ref_count_init (&identity->ref);
  return identity;
}

/* Fills der and fingerprint from crt. */
static gboolean
identity_finish (XtlsIdentity *identity, GError **error)
{
  gnutls_datum_t der = { NULL, 0 };
  int ret;

  ret = gnutls_x509_crt_export2 (identity->crt, GNUTLS_X509_FMT_DER, &der);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Could not encode the certificate");
      return FALSE;
    }
  identity->der = g_bytes_new (der.data, der.size);
  gnutls_free (der.data);
  identity->fingerprint = xtls_fingerprint_sha256 (g_bytes_get_data (identity->der, NULL),
                                                   g_bytes_get_size (identity->der));
  return TRUE;
}

static gboolean
key_type_from_key (gnutls_x509_privkey_t key, XtlsKeyType *type)
{
  gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
  int pk = gnutls_x509_privkey_get_pk_algorithm2 (key, NULL);

  if (pk == GNUTLS_PK_EDDSA_ED25519)
    {
      *type = XTLS_KEY_ED25519;
      return TRUE;
    }
  if (pk == GNUTLS_PK_ECDSA
      && gnutls_x509_privkey_export_ecc_raw (key, &curve, NULL, NULL, NULL) == 0
      && curve == GNUTLS_ECC_CURVE_SECP256R1)
    {
      *type = XTLS_KEY_ECDSA_P256;
      return TRUE;
    }
  return FALSE;
}

static gboolean
make_certificate (XtlsIdentity *identity, const char *name, GError **error)
{
  guint8 serial[SERIAL_LEN];
  time_t now = time (NULL);
  int ret;

  if ((ret = gnutls_x509_crt_init (&identity->crt)) < 0)
    goto fail;
  if ((ret = gnutls_x509_crt_set_version (identity->crt, 3)) < 0)
    goto fail;
  if ((ret = gnutls_x509_crt_set_dn_by_oid (identity->crt, GNUTLS_OID_X520_COMMON_NAME, 0, name,
                                            strlen (name)))
      < 0)
    goto fail;
  if ((ret = gnutls_x509_crt_set_key (identity->crt, identity->key)) < 0)
    goto fail;

  /* A random serial keeps two certificates of the same name from having the same
   * issuer/serial pair (RFC 5280 §4.1.2.2). DER integers are signed: the top bit is cleared so
   * the serial stays positive, the next one set so it needs no leading zero octet. */
  if ((ret = gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial)) < 0)
    goto fail;
  serial[0] = (guint8)((serial[0] & 0x7f) | 0x40);
  if ((ret = gnutls_x509_crt_set_serial (identity->crt, serial, sizeof serial)) < 0)
    goto fail;

  if ((ret = gnutls_x509_crt_set_activation_time (identity->crt, now)) < 0)
    goto fail;
  if ((ret = gnutls_x509_crt_set_expiration_time (identity->crt, now + VALIDITY_SECONDS)) < 0)
    goto fail;
  /* An end-entity key that signs handshakes (RFC 8446 §4.4.2.2 requires digitalSignature
   * when keyUsage is present; GnuTLS checks it). */
  if ((ret = gnutls_x509_crt_set_basic_constraints (identity->crt, 0, -1)) < 0)
    goto fail;
  if ((ret = gnutls_x509_crt_set_key_usage (identity->crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0)
    goto fail;
  if ((ret = gnutls_x509_crt_set_key_purpose_oid (identity->crt, GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0)
    goto fail;
  if ((ret = gnutls_x509_crt_set_key_purpose_oid (identity->crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0)
    goto fail;

  /* Digest 0 lets GnuTLS choose: Ed25519 hashes internally (RFC 8410), P-256 gets SHA-256. */
  if ((ret = gnutls_x509_crt_sign2 (identity->crt, identity->crt, identity->key, 0, 0)) < 0)
    goto fail;
  return TRUE;

fail:
  set_gnutls_error (error, ret, "Could not create the certificate");
  return FALSE;
}

XtlsIdentity *
xtls_identity_generate (XtlsKeyType type, const char *name, GError **error)
{
  g_autoptr (XtlsIdentity) identity = NULL;
  gnutls_pk_algorithm_t pk;
  unsigned int bits;
  int ret;

  g_return_val_if_fail (name != NULL && *name != '\0', NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  switch (type)
    {
      case XTLS_KEY_ED25519:
        pk = GNUTLS_PK_EDDSA_ED25519;
        bits = GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_ED25519);
        break;
      case XTLS_KEY_ECDSA_P256:
        pk = GNUTLS_PK_ECDSA;
        bits = GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1);
        break;
      default:
        g_return_val_if_reached (NULL);
    }

  identity = identity_new ();
  identity->type = type;
  ret = gnutls_x509_privkey_init (&identity->key);
  if (ret >= 0)
    ret = gnutls_x509_privkey_generate2 (identity->key, pk, bits, 0, NULL, 0);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Could not generate a key");
      return NULL;
    }
  if (!make_certificate (identity, name, error) || !identity_finish (identity, error))
    return NULL;

  g_debug ("identity: generated a new %s key, fingerprint %s",
           type == XTLS_KEY_ED25519 ? "Ed25519" : "ECDSA P-256", identity->fingerprint);
  return g_steal_pointer (&identity);
}

/* The PEM block of @contents that starts with @begin, up to the end of the file (GnuTLS stops
 * at the matching END line), or NULL. */
static gboolean
find_pem_block (const char *contents, gsize len, const char *begin, gnutls_datum_t *out)
{
  const char *start = g_strstr_len (contents, len, begin);

  if (start == NULL)
    return FALSE;
  out->data = (unsigned char *)start;
  out->size = (unsigned int)(len - (gsize)(start - contents));
  return TRUE;
}

/* Parses key and certificate out of @contents (not NUL-terminated necessarily). */
static XtlsIdentity *
identity_from_pem (const char *contents, gsize len, GError **error)
{
  g_autoptr (XtlsIdentity) identity = identity_new ();
  gnutls_datum_t key_pem, cert_pem;
  guint8 key_id[64], crt_id[64];
  size_t key_id_len = sizeof key_id, crt_id_len = sizeof crt_id;
  int ret;

  if (!find_pem_block (contents, len, PEM_KEY_BEGIN, &key_pem)
      || !find_pem_block (contents, len, PEM_CERT_BEGIN, &cert_pem))
    {
      g_set_error_literal (error, XTLS_ERROR, XTLS_ERROR_FAILED,
                           "The identity file lacks a private key or a certificate");
      return NULL;
    }

  ret = gnutls_x509_privkey_init (&identity->key);
  if (ret >= 0)
    ret = gnutls_x509_privkey_import2 (identity->key, &key_pem, GNUTLS_X509_FMT_PEM, NULL,
                                       GNUTLS_PKCS_PLAIN);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Could not read the private key");
      return NULL;
    }
  if (!key_type_from_key (identity->key, &identity->type))
    {
      g_set_error_literal (error, XTLS_ERROR, XTLS_ERROR_FAILED,
                           "The identity file holds an unsupported key type");
      return NULL;
    }

  ret = gnutls_x509_crt_init (&identity->crt);
  if (ret >= 0)
    ret = gnutls_x509_crt_import (identity->crt, &cert_pem, GNUTLS_X509_FMT_PEM);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Could not read the certificate");
      return NULL;
    }

  /* A certificate for another key would make every handshake fail; refuse it here. */
  if (gnutls_x509_privkey_get_key_id (identity->key, GNUTLS_KEYID_USE_SHA256, key_id, &key_id_len)
          < 0
      || gnutls_x509_crt_get_key_id (identity->crt, GNUTLS_KEYID_USE_SHA256, crt_id, &crt_id_len)
             < 0
      || key_id_len != crt_id_len || memcmp (key_id, crt_id, key_id_len) != 0)
    {
      g_set_error_literal (error, XTLS_ERROR, XTLS_ERROR_FAILED,
                           "The certificate in the identity file does not belong to its key");
      return NULL;
    }

  if (!identity_finish (identity, error))
    return NULL;
  return g_steal_pointer (&identity);
}

XtlsIdentity *
xtls_identity_load (const char *path, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  char *contents = NULL;
  gsize len = 0;
  XtlsIdentity *identity;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  identity = identity_from_pem (contents, len, &local_error);
  /* The buffer held the private key. */
  gnutls_memset (contents, 0, len);
  g_free (contents);

  if (identity == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s: ", path);
      return NULL;
    }
  return identity;
}

gboolean
xtls_identity_save (XtlsIdentity *identity, const char *path, GError **error)
{
  gnutls_datum_t key_pem = { NULL, 0 }, cert_pem = { NULL, 0 };
  g_autofree char *dir = NULL;
  GString *contents;
  gboolean ok = FALSE;
  int ret;

  g_return_val_if_fail (identity != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* PKCS#8 (RFC 5958) is the one PEM form that carries both Ed25519 and ECDSA keys. */
  ret = gnutls_x509_privkey_export2_pkcs8 (identity->key, GNUTLS_X509_FMT_PEM, NULL,
                                           GNUTLS_PKCS_PLAIN, &key_pem);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Could not encode the private key");
      return FALSE;
    }
  ret = gnutls_x509_crt_export2 (identity->crt, GNUTLS_X509_FMT_PEM, &cert_pem);
  if (ret < 0)
    {
      gnutls_memset (key_pem.data, 0, key_pem.size);
      gnutls_free (key_pem.data);
      set_gnutls_error (error, ret, "Could not encode the certificate");
      return FALSE;
    }

  contents = g_string_sized_new (key_pem.size + cert_pem.size + 1);
  g_string_append_len (contents, (const char *)key_pem.data, key_pem.size);
  g_string_append_len (contents, (const char *)cert_pem.data, cert_pem.size);
  gnutls_memset (key_pem.data, 0, key_pem.size);
  gnutls_free (key_pem.data);
  gnutls_free (cert_pem.data);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Could not create %s: %s", dir, g_strerror (saved_errno));
    }
  /* CONSISTENT: write a temporary file, fsync, rename, so a crash never leaves a half-written
   * key; the mode applies to the new file from its creation, so the key is never readable by
   * others, not even briefly. */
  else if (g_file_set_contents_full (path, contents->str, (gssize)contents->len,
                                     G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    ok = TRUE;

  gnutls_memset (contents->str, 0, contents->len);
  g_string_free (contents, TRUE);
  return ok;
}

XtlsIdentity *
xtls_identity_load_or_create (const char *path, XtlsKeyType type, const char *name, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (XtlsIdentity) identity = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  identity = xtls_identity_load (path, &local_error);
  if (identity != NULL)
    return g_steal_pointer (&identity);
  /* Only a missing file means "first use". A damaged one is reported and left alone: replacing
   * it would silently change the key that peers have pinned. */
  if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  identity = xtls_identity_generate (type, name, error);
  if (identity == NULL || !xtls_identity_save (identity, path, error))
    return NULL;
  return g_steal_pointer (&identity);
}

XtlsIdentity *
xtls_identity_ref (XtlsIdentity *identity)
{
  g_return_val_if_fail (identity != NULL, NULL);

  g_ref_count_inc (&identity->ref);
  return identity;
}

void
xtls_identity_unref (XtlsIdentity *identity)
{
  g_return_if_fail (identity != NULL);

  if (g_ref_count_dec (&identity->ref))
    identity_free (identity);
}

const char *
xtls_identity_get_fingerprint (XtlsIdentity *identity)
{
  g_return_val_if_fail (identity != NULL, NULL);

  return identity->fingerprint;
}

GBytes *
xtls_identity_get_certificate (XtlsIdentity *identity)
{
  g_return_val_if_fail (identity != NULL, NULL);

  return identity->der;
}

XtlsKeyType
xtls_identity_get_key_type (XtlsIdentity *identity)
{
  g_return_val_if_fail (identity != NULL, XTLS_KEY_ED25519);

  return identity->type;
}

gnutls_x509_crt_t
xtls_identity_get_gnutls_crt (XtlsIdentity *identity)
{
  g_return_val_if_fail (identity != NULL, NULL);

  return identity->crt;
}

gnutls_x509_privkey_t
xtls_identity_get_gnutls_key (XtlsIdentity *identity)
{
  g_return_val_if_fail (identity != NULL, NULL);

  return identity->key;
}
