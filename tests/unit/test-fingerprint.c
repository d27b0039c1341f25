/* Fingerprints: hashing, lenient parsing (PROTOCOL.md §2), display forms. */
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "fingerprint.h"
#include "xtls-error.h"

#define SHA256_HEX "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define SHA1_HEX "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"

static void
test_sha256 (void)
{
  /* SHA-256("test"), a published test vector. */
  g_autofree char *hex = xtls_fingerprint_sha256 ((const guint8 *)"test", 4);

  g_assert_cmpstr (hex, ==, SHA256_HEX);
}

typedef struct
{
  const char *name;
  const char *algo;
  const char *text;
  gboolean ok;
  XtlsHashAlgo expect_algo;
  const char *expect_hex;
} ParseCase;

static const ParseCase parse_cases[] = {
  { "sha-256", "sha-256", SHA256_HEX, TRUE, XTLS_HASH_SHA256, SHA256_HEX },
  { "sha256", "sha256", SHA256_HEX, TRUE, XTLS_HASH_SHA256, SHA256_HEX },
  { "SHA-256-attr", "SHA-256", SHA256_HEX, TRUE, XTLS_HASH_SHA256, SHA256_HEX },
  { "sha-1", "sha-1", SHA1_HEX, TRUE, XTLS_HASH_SHA1, SHA1_HEX },
  { "sha1", "sha1", SHA1_HEX, TRUE, XTLS_HASH_SHA1, SHA1_HEX },
  { "SHA-1-attr", "SHA-1", SHA1_HEX, TRUE, XTLS_HASH_SHA1, SHA1_HEX },
  { "no-algo-64", NULL, SHA256_HEX, TRUE, XTLS_HASH_SHA256, SHA256_HEX },
  { "no-algo-40", NULL, SHA1_HEX, TRUE, XTLS_HASH_SHA1, SHA1_HEX },
  { "colons-sha1", "sha-1", "A9:4A:8F:E5:CC:B1:9B:A6:1C:4C:08:73:D3:91:E9:87:98:2F:BB:D3", TRUE,
    XTLS_HASH_SHA1, SHA1_HEX },
  { "colons-uppercase-no-algo", NULL,
    "9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:"
    "0A:08",
    TRUE, XTLS_HASH_SHA256, SHA256_HEX },
  { "uppercase", "sha-256", "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
    TRUE, XTLS_HASH_SHA256, SHA256_HEX },
  { "spaces-and-newlines", "sha-256",
    "\n  9f86 d081 884c 7d65 9a2f eaa0 c55a d015\n  a3bf 4f1b 2b0b 822c d15d 6c15 b0f0 0a08\n",
    TRUE, XTLS_HASH_SHA256, SHA256_HEX },
  { "sha256-with-40-digits", "sha-256", SHA1_HEX, FALSE, 0, NULL },
  { "sha1-with-64-digits", "sha-1", SHA256_HEX, FALSE, 0, NULL },
  { "no-algo-63-digits", NULL, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0",
    FALSE, 0, NULL },
  { "no-algo-41-digits", NULL, SHA1_HEX "0", FALSE, 0, NULL },
  { "empty", "sha-256", "", FALSE, 0, NULL },
  { "empty-no-algo", NULL, "", FALSE, 0, NULL },
  { "non-hex", "sha-256", "zf86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", FALSE,
    0, NULL },
  { "dash-separator", NULL, "a9-4a-8f-e5-cc-b1-9b-a6-1c-4c-08-73-d3-91-e9-87-98-2f-bb-d3", FALSE, 0,
    NULL },
  { "unknown-algo", "md5", "0123456789abcdef0123456789abcdef", FALSE, 0, NULL },
  { "sha-512", "sha-512", SHA256_HEX SHA256_HEX, FALSE, 0, NULL },
};

static void
test_parse (gconstpointer data)
{
  const ParseCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *hex = NULL;
  XtlsHashAlgo algo = XTLS_HASH_SHA256;
  gboolean ok;

  ok = xtls_fingerprint_parse (c->algo, c->text, &algo, &hex, &error);
  if (c->ok)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpint (algo, ==, c->expect_algo);
      g_assert_cmpstr (hex, ==, c->expect_hex);
    }
  else
    {
      g_assert_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL);
      g_assert_false (ok);
      g_assert_null (hex);
    }
}

static void
test_format (void)
{
  g_autofree char *grouped = xtls_fingerprint_format (SHA256_HEX);
  g_autofree char *grouped_sha1 = xtls_fingerprint_format (SHA1_HEX);
  g_autofree char *empty = xtls_fingerprint_format ("");
  g_autofree char *odd = xtls_fingerprint_format ("abcdef");

  g_assert_cmpstr (grouped, ==,
                   "9f86 d081 884c 7d65 9a2f eaa0 c55a d015 a3bf 4f1b 2b0b 822c d15d 6c15 b0f0 "
                   "0a08");
  g_assert_cmpstr (grouped_sha1, ==, "a94a 8fe5 ccb1 9ba6 1c4c 0873 d391 e987 982f bbd3");
  g_assert_cmpstr (empty, ==, "");
  g_assert_cmpstr (odd, ==, "abcd ef");
}

static void
assert_safety_code_shape (const char *code)
{
  g_auto (GStrv) groups = g_strsplit (code, " ", -1);

  g_assert_cmpuint (g_strv_length (groups), ==, 10);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_assert_cmpuint (strlen (groups[i]), ==, 4);
      for (guint j = 0; j < 4; j++)
        g_assert_true (g_ascii_isdigit (groups[i][j]));
    }
}

static void
test_safety_code (void)
{
  g_autofree char *a = xtls_fingerprint_sha256 ((const guint8 *)"alice", 5);
  g_autofree char *b = xtls_fingerprint_sha256 ((const guint8 *)"bob", 3);
  g_autofree char *c = xtls_fingerprint_sha256 ((const guint8 *)"carol", 5);
  g_autofree char *a_upper = g_ascii_strup (a, -1);
  g_autofree char *ab = xtls_fingerprint_safety_code (a, b);
  g_autofree char *ba = xtls_fingerprint_safety_code (b, a);
  g_autofree char *ab_upper = xtls_fingerprint_safety_code (a_upper, b);
  g_autofree char *ac = xtls_fingerprint_safety_code (a, c);
  g_autofree char *cb = xtls_fingerprint_safety_code (c, b);
  g_autofree char *aa = xtls_fingerprint_safety_code (a, a);
  g_autofree char *again = xtls_fingerprint_safety_code (a, b);

  assert_safety_code_shape (ab);
  assert_safety_code_shape (aa);
  /* Both users see the same code, whoever is "a". */
  g_assert_cmpstr (ab, ==, ba);
  g_assert_cmpstr (ab, ==, again);
  g_assert_cmpstr (ab, ==, ab_upper);
  /* Any other key gives another code. */
  g_assert_cmpstr (ab, !=, ac);
  g_assert_cmpstr (ab, !=, cb);
  g_assert_cmpstr (ac, !=, cb);
  g_assert_cmpstr (ab, !=, aa);
}

/* The documented derivation, recomputed independently. */
static void
test_safety_code_derivation (void)
{
  const char *lo = "1111111111111111111111111111111111111111111111111111111111111111";
  const char *hi = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
  g_autoptr (GString) input = g_string_new (NULL);
  g_autoptr (GString) expect = g_string_new (NULL);
  g_autofree char *code = xtls_fingerprint_safety_code (hi, lo);
  guint8 digest[32];

  g_string_append_len (input, "xtls-safety-code-v1\0", 20);
  g_string_append_len (input, lo, 64);
  g_string_append_c (input, '\0');
  g_string_append_len (input, hi, 64);
  g_assert_cmpint (gnutls_hash_fast (GNUTLS_DIG_SHA256, input->str, input->len, digest), ==, 0);
  for (guint i = 0; i < 10; i++)
    {
      guint32 v
          = ((guint32)digest[3 * i] << 16) | ((guint32)digest[3 * i + 1] << 8) | digest[3 * i + 2];
      g_string_append_printf (expect, "%s%04u", i > 0 ? " " : "", v % 10000);
    }
  g_assert_cmpstr (code, ==, expect->str);
}

static void
test_matches (void)
{
  const guint8 der[] = "pretend this is a DER certificate";
  g_autofree char *sha256 = xtls_fingerprint_sha256 (der, sizeof der);
  g_autofree char *other = xtls_fingerprint_sha256 (der, sizeof der - 1);
  g_autofree char *truncated = g_strndup (sha256, 62);
  guint8 sha1_digest[20];
  g_autoptr (GString) sha1 = g_string_new (NULL);

  g_assert_true (xtls_fingerprint_matches (XTLS_HASH_SHA256, sha256, der, sizeof der));
  g_assert_false (xtls_fingerprint_matches (XTLS_HASH_SHA256, other, der, sizeof der));
  g_assert_false (xtls_fingerprint_matches (XTLS_HASH_SHA256, truncated, der, sizeof der));
  g_assert_false (xtls_fingerprint_matches (XTLS_HASH_SHA256, "", der, sizeof der));
  /* The right digest under the wrong algorithm does not match. */
  g_assert_false (xtls_fingerprint_matches (XTLS_HASH_SHA1, sha256, der, sizeof der));

  g_assert_cmpint (gnutls_hash_fast (GNUTLS_DIG_SHA1, der, sizeof der, sha1_digest), ==, 0);
  for (guint i = 0; i < sizeof sha1_digest; i++)
    g_string_append_printf (sha1, "%02x", sha1_digest[i]);
  g_assert_true (xtls_fingerprint_matches (XTLS_HASH_SHA1, sha1->str, der, sizeof der));
  g_assert_false (xtls_fingerprint_matches (XTLS_HASH_SHA256, sha1->str, der, sizeof der));

  /* A one-digit difference anywhere is a mismatch. */
  for (gsize i = 0; i < 64; i += 7)
    {
      g_autofree char *flipped = g_strdup (sha256);
      flipped[i] = flipped[i] == '0' ? '1' : '0';
      g_assert_false (xtls_fingerprint_matches (XTLS_HASH_SHA256, flipped, der, sizeof der));
    }
}

typedef struct
{
  const char *name;
  const char *typed;
  XtlsTypedKind kind;
  const char *norm;
} TypedCase;

static const TypedCase typed_cases[] = {
  { "hex", SHA256_HEX, XTLS_TYPED_FINGERPRINT, SHA256_HEX },
  { "grouped-upper",
    "9F86 D081 884C 7D65 9A2F EAA0 C55A D015 A3BF 4F1B 2B0B 822C D15D 6C15 B0F0 0A08",
    XTLS_TYPED_FINGERPRINT, SHA256_HEX },
  { "colons-newline",
    "9f:86:d0:81:88:4c:7d:65:9a:2f:ea:a0:c5:5a:d0:15:\na3:bf:4f:1b:2b:0b:82:2c:d1:5d:6c:15:b0:f0:"
    "0a:08",
    XTLS_TYPED_FINGERPRINT, SHA256_HEX },
  { "code", "0123 4567 8901 2345 6789 0123 4567 8901 2345 6789", XTLS_TYPED_SAFETY_CODE,
    "0123456789012345678901234567890123456789" },
  { "code-dashes", "0123-4567-8901-2345-6789-0123-4567-8901-2345-6789", XTLS_TYPED_SAFETY_CODE,
    "0123456789012345678901234567890123456789" },
  { "sha1-length", SHA1_HEX, XTLS_TYPED_INVALID, NULL },
  { "40-hex-not-code", "a123 4567 8901 2345 6789 0123 4567 8901 2345 6789", XTLS_TYPED_INVALID,
    NULL },
  { "one-short", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0",
    XTLS_TYPED_INVALID, NULL },
  { "letters", "the fingerprint is 9f86", XTLS_TYPED_INVALID, NULL },
  { "empty", "", XTLS_TYPED_INVALID, NULL },
};

static void
test_typed (gconstpointer data)
{
  const TypedCase *c = data;
  g_autofree char *norm = NULL;

  g_assert_cmpint (xtls_fingerprint_read_typed (c->typed, &norm), ==, c->kind);
  g_assert_cmpstr (norm, ==, c->norm);
}

static void
test_typed_bounded (void)
{
  g_autoptr (GString) huge = g_string_new (SHA256_HEX);
  g_autofree char *norm = NULL;

  for (guint i = 0; i < 200; i++)
    g_string_append_c (huge, ' ');
  g_assert_cmpint (xtls_fingerprint_read_typed (huge->str, &norm), ==, XTLS_TYPED_INVALID);
  g_assert_null (norm);
  g_assert_cmpint (xtls_fingerprint_read_typed (NULL, &norm), ==, XTLS_TYPED_INVALID);
}

static void
test_typed_matches (void)
{
  const char *own = "1111111111111111111111111111111111111111111111111111111111111111";
  const char *other = "2222222222222222222222222222222222222222222222222222222222222222";
  g_autofree char *code = xtls_fingerprint_safety_code (own, SHA256_HEX);
  g_autofree char *wrong_code = xtls_fingerprint_safety_code (own, other);
  g_autofree char *upper = g_ascii_strup (SHA256_HEX, -1);
  g_autofree char *grouped = xtls_fingerprint_format (SHA256_HEX);

  g_assert_true (xtls_fingerprint_typed_matches (grouped, own, SHA256_HEX));
  g_assert_true (xtls_fingerprint_typed_matches (SHA256_HEX, NULL, upper));
  g_assert_false (xtls_fingerprint_typed_matches (other, own, SHA256_HEX));
  /* The code of the two keys matches; the code of another pair does not. */
  g_assert_true (xtls_fingerprint_typed_matches (code, own, SHA256_HEX));
  g_assert_false (xtls_fingerprint_typed_matches (wrong_code, own, SHA256_HEX));
  /* A code cannot be checked without our own key, nor anything without theirs. */
  g_assert_false (xtls_fingerprint_typed_matches (code, NULL, SHA256_HEX));
  g_assert_false (xtls_fingerprint_typed_matches (SHA256_HEX, own, NULL));
  g_assert_false (xtls_fingerprint_typed_matches ("nonsense", own, SHA256_HEX));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fingerprint/sha256", test_sha256);
  for (gsize i = 0; i < G_N_ELEMENTS (parse_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/fingerprint/parse/%s", parse_cases[i].name);
      g_test_add_data_func (path, &parse_cases[i], test_parse);
    }
  g_test_add_func ("/fingerprint/format", test_format);
  g_test_add_func ("/fingerprint/safety-code/symmetric", test_safety_code);
  g_test_add_func ("/fingerprint/safety-code/derivation", test_safety_code_derivation);
  g_test_add_func ("/fingerprint/matches", test_matches);
  for (gsize i = 0; i < G_N_ELEMENTS (typed_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/fingerprint/typed/%s", typed_cases[i].name);
      g_test_add_data_func (path, &typed_cases[i], test_typed);
    }
  g_test_add_func ("/fingerprint/typed/bounded", test_typed_bounded);
  g_test_add_func ("/fingerprint/typed/matches", test_typed_matches);

  return g_test_run ();
}
