/* The account identity: key generation, self-signed certificate, atomic 0600 storage. */
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "fingerprint.h"
#include "identity-private.h"
#include "xtls-error.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("xtls-identity-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "sub", "identity.pem", NULL);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_dir_close (dir);
      g_assert_cmpint (g_rmdir (path), ==, 0);
    }
  else
    g_assert_cmpint (g_unlink (path), ==, 0);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static gboolean
is_lower_hex (const char *s)
{
  for (; *s != '\0'; s++)
    if (!g_ascii_isxdigit (*s) || g_ascii_isupper (*s))
      return FALSE;
  return TRUE;
}

static void
check_identity (XtlsIdentity *identity, XtlsKeyType type, const char *name)
{
  GBytes *der = xtls_identity_get_certificate (identity);
  const char *fingerprint = xtls_identity_get_fingerprint (identity);
  g_autofree char *expect = NULL;
  gnutls_x509_crt_t crt = xtls_identity_get_gnutls_crt (identity);
  char cn[256];
  size_t cn_len = sizeof cn;
  unsigned int verify = 1;
  gsize der_len;
  const guint8 *der_data;

  g_assert_nonnull (der);
  der_data = g_bytes_get_data (der, &der_len);
  g_assert_cmpuint (der_len, >, 100);
  g_assert_cmpuint (strlen (fingerprint), ==, 64);
  g_assert_true (is_lower_hex (fingerprint));
  expect = xtls_fingerprint_sha256 (der_data, der_len);
  g_assert_cmpstr (fingerprint, ==, expect);
  g_assert_true (xtls_fingerprint_matches (XTLS_HASH_SHA256, fingerprint, der_data, der_len));
  g_assert_cmpint (xtls_identity_get_key_type (identity), ==, type);
  g_assert_nonnull (xtls_identity_get_gnutls_key (identity));

  /* X.509 v3, CN = name, self-signed with a valid signature, ~20 years. */
  g_assert_cmpint (gnutls_x509_crt_get_version (crt), ==, 3);
  g_assert_cmpint (
      gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &cn_len), ==, 0);
  g_assert_cmpstr (cn, ==, name);
  g_assert_cmpint (gnutls_x509_crt_verify (crt, &crt, 1, 0, &verify), ==, 0);
  g_assert_cmpuint (verify, ==, 0);
  g_assert_cmpint (gnutls_x509_crt_get_expiration_time (crt)
                       - gnutls_x509_crt_get_activation_time (crt),
                   >=, (time_t)20 * 365 * 24 * 3600);
  g_assert_cmpint (gnutls_x509_crt_get_pk_algorithm (crt, NULL), ==,
                   type == XTLS_KEY_ED25519 ? GNUTLS_PK_EDDSA_ED25519 : GNUTLS_PK_ECDSA);
}

static void
test_generate (gconstpointer data)
{
  XtlsKeyType type = GPOINTER_TO_INT (data);
  g_autoptr (GError) error = NULL;
  g_autoptr (XtlsIdentity) identity = NULL;
  g_autoptr (XtlsIdentity) other = NULL;
  guint8 serial_a[32], serial_b[32];
  size_t len_a = sizeof serial_a, len_b = sizeof serial_b;

  identity = xtls_identity_generate (type, "romeo@montague.lit", &error);
  g_assert_no_error (error);
  check_identity (identity, type, "romeo@montague.lit");

  /* A second key for the same name: another fingerprint and another serial. */
  other = xtls_identity_generate (type, "romeo@montague.lit", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xtls_identity_get_fingerprint (identity), !=,
                   xtls_identity_get_fingerprint (other));
  g_assert_cmpint (
      gnutls_x509_crt_get_serial (xtls_identity_get_gnutls_crt (identity), serial_a, &len_a), ==,
      0);
  g_assert_cmpint (
      gnutls_x509_crt_get_serial (xtls_identity_get_gnutls_crt (other), serial_b, &len_b), ==, 0);
  g_assert_cmpuint (len_a, >=, 8);
  g_assert_false (len_a == len_b && memcmp (serial_a, serial_b, len_a) == 0);
  g_assert_cmpuint (serial_a[0] & 0x80, ==, 0);
}

static void
test_ref (void)
{
  g_autoptr (GError) error = NULL;
  XtlsIdentity *identity = xtls_identity_generate (XTLS_KEY_ED25519, "juliet@capulet.lit", &error);
  g_autofree char *fingerprint = NULL;

  g_assert_no_error (error);
  fingerprint = g_strdup (xtls_identity_get_fingerprint (identity));
  g_assert_true (xtls_identity_ref (identity) == identity);
  xtls_identity_unref (identity);
  g_assert_cmpstr (xtls_identity_get_fingerprint (identity), ==, fingerprint);
  xtls_identity_unref (identity);
}

static void
test_save_load (Fixture *f, gconstpointer data)
{
  XtlsKeyType type = GPOINTER_TO_INT (data);
  g_autoptr (GError) error = NULL;
  g_autoptr (XtlsIdentity) identity = NULL;
  g_autoptr (XtlsIdentity) loaded = NULL;
  g_autofree char *contents = NULL;
  GStatBuf st;

  identity = xtls_identity_generate (type, "romeo@montague.lit", &error);
  g_assert_no_error (error);
  g_assert_true (xtls_identity_save (identity, f->path, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (f->path, &contents, NULL, &error));
  g_assert_nonnull (strstr (contents, "-----BEGIN PRIVATE KEY-----"));
  g_assert_nonnull (strstr (contents, "-----BEGIN CERTIFICATE-----"));

  loaded = xtls_identity_load (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
  g_assert_cmpstr (xtls_identity_get_fingerprint (loaded), ==,
                   xtls_identity_get_fingerprint (identity));
  g_assert_true (g_bytes_equal (xtls_identity_get_certificate (loaded),
                                xtls_identity_get_certificate (identity)));
  check_identity (loaded, type, "romeo@montague.lit");

  /* Saving again replaces the file and keeps the mode. */
  g_assert_cmpint (g_chmod (f->path, 0644), ==, 0);
  g_assert_true (xtls_identity_save (loaded, f->path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
}

static void
test_load_missing (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  XtlsIdentity *identity = xtls_identity_load (f->path, &error);

  g_assert_null (identity);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static void
write_file (const char *path, const char *contents, gssize len)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, len, &error));
  g_assert_no_error (error);
}

/* Any damage gives an error, never a crash or a half identity. */
static void
test_load_corrupt (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XtlsIdentity) a = xtls_identity_generate (XTLS_KEY_ED25519, "a@x.lit", &error);
  g_autoptr (XtlsIdentity) b = xtls_identity_generate (XTLS_KEY_ECDSA_P256, "b@x.lit", &error);
  g_autofree char *good = NULL;
  g_autofree char *swapped = NULL;
  g_autofree char *other = NULL;
  gsize good_len;
  const char *cert_a, *cert_b;

  g_assert_no_error (error);
  g_assert_true (xtls_identity_save (a, f->path, &error));
  g_assert_true (g_file_get_contents (f->path, &good, &good_len, &error));
  g_assert_true (xtls_identity_save (b, f->path, &error));
  g_assert_true (g_file_get_contents (f->path, &other, NULL, &error));
  g_assert_no_error (error);

  /* Key of a with certificate of b. */
  cert_a = strstr (good, "-----BEGIN CERTIFICATE-----");
  cert_b = strstr (other, "-----BEGIN CERTIFICATE-----");
  swapped = g_strdup_printf ("%.*s%s", (int)(cert_a - good), good, cert_b);

  const char *cases[] = {
    "",
    "not a PEM file at all\n",
    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    swapped,
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (XtlsIdentity) loaded = NULL;

      write_file (f->path, cases[i], -1);
      loaded = xtls_identity_load (f->path, &error);
      g_assert_null (loaded);
      g_assert_error (error, XTLS_ERROR, XTLS_ERROR_FAILED);
      g_clear_error (&error);
    }

  /* Truncated in the middle of the certificate. */
  {
    g_autoptr (XtlsIdentity) loaded = NULL;

    write_file (f->path, good, (gssize)(good_len - 200));
    loaded = xtls_identity_load (f->path, &error);
    g_assert_null (loaded);
    g_assert_error (error, XTLS_ERROR, XTLS_ERROR_FAILED);
    g_clear_error (&error);
  }
  /* A flipped base64 character inside the key. */
  {
    g_autoptr (XtlsIdentity) loaded = NULL;
    g_autofree char *damaged = g_strdup (good);
    char *body = strchr (damaged, '\n') + 5;

    *body = *body == 'A' ? '!' : 'A';
    write_file (f->path, damaged, -1);
    loaded = xtls_identity_load (f->path, &error);
    g_assert_null (loaded);
    g_assert_error (error, XTLS_ERROR, XTLS_ERROR_FAILED);
    g_clear_error (&error);
  }
  /* load_or_create refuses to replace a damaged file. */
  {
    g_autoptr (XtlsIdentity) loaded = NULL;
    g_autofree char *after = NULL;

    write_file (f->path, "garbage", -1);
    loaded = xtls_identity_load_or_create (f->path, XTLS_KEY_ED25519, "a@x.lit", &error);
    g_assert_null (loaded);
    g_assert_error (error, XTLS_ERROR, XTLS_ERROR_FAILED);
    g_assert_true (g_file_get_contents (f->path, &after, NULL, NULL));
    g_assert_cmpstr (after, ==, "garbage");
  }
}

static void
test_load_or_create (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XtlsIdentity) first = NULL;
  g_autoptr (XtlsIdentity) second = NULL;
  GStatBuf st;

  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
  first = xtls_identity_load_or_create (f->path, XTLS_KEY_ECDSA_P256, "romeo@montague.lit", &error);
  g_assert_no_error (error);
  g_assert_nonnull (first);
  g_assert_cmpint (xtls_identity_get_key_type (first), ==, XTLS_KEY_ECDSA_P256);
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);

  /* The second call reloads: same key, even when asked for another type. */
  second = xtls_identity_load_or_create (f->path, XTLS_KEY_ED25519, "romeo@montague.lit", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xtls_identity_get_fingerprint (second), ==,
                   xtls_identity_get_fingerprint (first));
  g_assert_cmpint (xtls_identity_get_key_type (second), ==, XTLS_KEY_ECDSA_P256);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/identity/generate/ed25519", GINT_TO_POINTER (XTLS_KEY_ED25519),
                        test_generate);
  g_test_add_data_func ("/identity/generate/ecdsa-p256", GINT_TO_POINTER (XTLS_KEY_ECDSA_P256),
                        test_generate);
  g_test_add_func ("/identity/ref", test_ref);
  g_test_add ("/identity/save-load/ed25519", Fixture, GINT_TO_POINTER (XTLS_KEY_ED25519),
              fixture_setup, test_save_load, fixture_teardown);
  g_test_add ("/identity/save-load/ecdsa-p256", Fixture, GINT_TO_POINTER (XTLS_KEY_ECDSA_P256),
              fixture_setup, test_save_load, fixture_teardown);
  g_test_add ("/identity/load/missing", Fixture, NULL, fixture_setup, test_load_missing,
              fixture_teardown);
  g_test_add ("/identity/load/corrupt", Fixture, NULL, fixture_setup, test_load_corrupt,
              fixture_teardown);
  g_test_add ("/identity/load-or-create", Fixture, NULL, fixture_setup, test_load_or_create,
              fixture_teardown);

  return g_test_run ();
}
