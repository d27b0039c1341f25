/* Certificate fingerprints (PROTOCOL.md §2): SHA-256 of the DER certificate as lowercase hex,
 * lenient parsing of what peers announce, and the two human-readable forms. */
#include "fingerprint.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "xtls-error.h"

#define SHA256_LEN 32
#define SHA1_LEN 20

static gsize
algo_digest_len (XtlsHashAlgo algo)
{
  switch (algo)
    {
      case XTLS_HASH_SHA256:
        return SHA256_LEN;
      case XTLS_HASH_SHA1:
        return SHA1_LEN;
    }
  g_return_val_if_reached (SHA256_LEN);
}

static gnutls_digest_algorithm_t
algo_to_gnutls (XtlsHashAlgo algo)
{
  switch (algo)
    {
      case XTLS_HASH_SHA256:
        return GNUTLS_DIG_SHA256;
      case XTLS_HASH_SHA1:
        return GNUTLS_DIG_SHA1;
    }
  g_return_val_if_reached (GNUTLS_DIG_SHA256);
}

static char *
bytes_to_hex (const guint8 *bytes, gsize len)
{
  static const char digits[] = "0123456789abcdef";
  char *hex = g_malloc (len * 2 + 1);

  for (gsize i = 0; i < len; i++)
    {
      hex[2 * i] = digits[bytes[i] >> 4];
      hex[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
  hex[len * 2] = '\0';
  return hex;
}

/* Hashes @der with @algo into @digest (at least SHA256_LEN bytes). */
static gboolean
digest_der (XtlsHashAlgo algo, const guint8 *der, gsize len, guint8 *digest)
{
  return gnutls_hash_fast (algo_to_gnutls (algo), der, len, digest) == 0;
}

char *
xtls_fingerprint_sha256 (const guint8 *der, gsize len)
{
  guint8 digest[SHA256_LEN];

  g_return_val_if_fail (der != NULL || len == 0, NULL);

  if (!digest_der (XTLS_HASH_SHA256, der, len, digest))
    g_error ("SHA-256 is not available from GnuTLS");
  return bytes_to_hex (digest, sizeof digest);
}

/* The algo attribute as historical peers spelled it; kaa sent no attribute at all. */
static gboolean
parse_algo_attr (const char *algo_attr, XtlsHashAlgo *algo)
{
  if (g_ascii_strcasecmp (algo_attr, "sha-256") == 0
      || g_ascii_strcasecmp (algo_attr, "sha256") == 0)
    *algo = XTLS_HASH_SHA256;
  else if (g_ascii_strcasecmp (algo_attr, "sha-1") == 0
           || g_ascii_strcasecmp (algo_attr, "sha1") == 0)
    *algo = XTLS_HASH_SHA1;
  else
    return FALSE;
  return TRUE;
}

gboolean
xtls_fingerprint_parse (const char *algo_attr, const char *text, XtlsHashAlgo *out_algo,
                        char **out_hex, GError **error)
{
  g_autoptr (GString) hex = NULL;
  XtlsHashAlgo algo = XTLS_HASH_SHA256;
  gboolean have_algo = FALSE;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (algo_attr != NULL)
    {
      if (!parse_algo_attr (algo_attr, &algo))
        {
          g_set_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL,
                       "Unsupported fingerprint algorithm \"%s\"", algo_attr);
          return FALSE;
        }
      have_algo = TRUE;
    }

  /* Colons (the openssl display form) and any whitespace (XML text may be indented or
   * wrapped) are separators; case is not significant. */
  hex = g_string_sized_new (64);
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == ':' || g_ascii_isspace (*p))
        continue;
      if (!g_ascii_isxdigit (*p))
        {
          g_set_error_literal (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL,
                               "The fingerprint contains a character that is not a hex digit");
          return FALSE;
        }
      g_string_append_c (hex, g_ascii_tolower (*p));
    }

  if (!have_algo)
    {
      /* No attribute: the length decides (PROTOCOL.md §2). */
      if (hex->len == SHA1_LEN * 2)
        algo = XTLS_HASH_SHA1;
      else if (hex->len == SHA256_LEN * 2)
        algo = XTLS_HASH_SHA256;
    }
  if (hex->len != algo_digest_len (algo) * 2)
    {
      g_set_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL,
                   "The fingerprint has %" G_GSIZE_FORMAT " hex digits, expected %" G_GSIZE_FORMAT,
                   hex->len, algo_digest_len (algo) * 2);
      return FALSE;
    }

  if (out_algo != NULL)
    *out_algo = algo;
  if (out_hex != NULL)
    *out_hex = g_string_free (g_steal_pointer (&hex), FALSE);
  return TRUE;
}

gboolean
xtls_fingerprint_matches (XtlsHashAlgo algo, const char *hex, const guint8 *der, gsize len)
{
  guint8 digest[SHA256_LEN];
  g_autofree char *actual = NULL;
  gsize expected_len;
  guint8 diff = 0;

  g_return_val_if_fail (hex != NULL, FALSE);
  g_return_val_if_fail (der != NULL || len == 0, FALSE);

  expected_len = algo_digest_len (algo) * 2;
  /* The length is public (it follows from the algorithm); only the content is compared
   * without an early exit, so timing does not reveal how long a matching prefix was. */
  if (strlen (hex) != expected_len)
    return FALSE;
  if (!digest_der (algo, der, len, digest))
    return FALSE;

  actual = bytes_to_hex (digest, algo_digest_len (algo));
  for (gsize i = 0; i < expected_len; i++)
    diff |= (guint8)(actual[i] ^ hex[i]);
  return diff == 0;
}

char *
xtls_fingerprint_format (const char *hex)
{
  GString *out;
  gsize len;

  g_return_val_if_fail (hex != NULL, NULL);

  len = strlen (hex);
  out = g_string_sized_new (len + len / 4);
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && i % 4 == 0)
        g_string_append_c (out, ' ');
      g_string_append_c (out, hex[i]);
    }
  return g_string_free (out, FALSE);
}

/* The safety code, derived so that both users see the same digits:
 *
 *   a, b   = the two fingerprints, lowercased
 *   lo, hi = a and b sorted bytewise (strcmp), so the order of the arguments does not matter
 *   D      = SHA-256 ("xtls-safety-code-v1" 0x00 lo 0x00 hi)
 *   group i (i = 0..9) = (D[3i] << 16 | D[3i+1] << 8 | D[3i+2]) mod 10000, four digits with
 *                        leading zeros
 *
 * The label keeps the hash separate from any other use of SHA-256 over fingerprints; the NUL
 * separators make the encoding unambiguous. 2^24 mod 10000 = 7216, so the low values of each
 * group are very slightly more likely (1678 against 1677 chances in 2^24), which does not matter
 * for comparison by eye. Ten groups of ~13.3 bits give ~133 bits, more than an attacker can search
 * for a second preimage. */
#define SAFETY_LABEL "xtls-safety-code-v1"
#define SAFETY_GROUPS 10

char *
xtls_fingerprint_safety_code (const char *hex_a, const char *hex_b)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  const char *lo, *hi;
  gnutls_hash_hd_t hash;
  guint8 digest[SHA256_LEN];
  GString *out;

  g_return_val_if_fail (hex_a != NULL, NULL);
  g_return_val_if_fail (hex_b != NULL, NULL);

  a = g_ascii_strdown (hex_a, -1);
  b = g_ascii_strdown (hex_b, -1);
  if (strcmp (a, b) <= 0)
    {
      lo = a;
      hi = b;
    }
  else
    {
      lo = b;
      hi = a;
    }

  if (gnutls_hash_init (&hash, GNUTLS_DIG_SHA256) < 0)
    g_error ("SHA-256 is not available from GnuTLS");
  /* sizeof includes the terminating NUL, which is the first separator. */
  gnutls_hash (hash, SAFETY_LABEL, sizeof SAFETY_LABEL);
  gnutls_hash (hash, lo, strlen (lo) + 1);
  gnutls_hash (hash, hi, strlen (hi));
  gnutls_hash_deinit (hash, digest);

  out = g_string_sized_new (SAFETY_GROUPS * 5);
  for (guint i = 0; i < SAFETY_GROUPS; i++)
    {
      guint32 v
          = ((guint32)digest[3 * i] << 16) | ((guint32)digest[3 * i + 1] << 8) | digest[3 * i + 2];
      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append_printf (out, "%04u", v % 10000);
    }
  return g_string_free (out, FALSE);
}

#define MAX_TYPED_BYTES 256

XtlsTypedKind
xtls_fingerprint_read_typed (const char *typed, char **out)
{
  GString *norm;
  gboolean only_digits = TRUE;

  g_return_val_if_fail (out != NULL, XTLS_TYPED_INVALID);
  *out = NULL;
  if (typed == NULL || strlen (typed) > MAX_TYPED_BYTES)
    return XTLS_TYPED_INVALID;
  norm = g_string_sized_new (64);
  for (const char *p = typed; *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p) || *p == ':' || *p == '-')
        continue;
      if (!g_ascii_isxdigit (*p))
        {
          g_string_free (norm, TRUE);
          return XTLS_TYPED_INVALID;
        }
      only_digits &= g_ascii_isdigit (*p);
      g_string_append_c (norm, g_ascii_tolower (*p));
    }
  if (norm->len == 64)
    {
      *out = g_string_free (norm, FALSE);
      return XTLS_TYPED_FINGERPRINT;
    }
  if (norm->len == SAFETY_GROUPS * 4 && only_digits)
    {
      *out = g_string_free (norm, FALSE);
      return XTLS_TYPED_SAFETY_CODE;
    }
  g_string_free (norm, TRUE);
  return XTLS_TYPED_INVALID;
}

gboolean
xtls_fingerprint_typed_matches (const char *typed, const char *own_hex, const char *peer_hex)
{
  g_autofree char *norm = NULL;
  g_autofree char *code = NULL;
  g_autofree char *peer = NULL;
  XtlsTypedKind kind = xtls_fingerprint_read_typed (typed, &norm);

  if (peer_hex == NULL || strlen (peer_hex) != 64)
    return FALSE;
  peer = g_ascii_strdown (peer_hex, -1);
  switch (kind)
    {
      case XTLS_TYPED_FINGERPRINT:
        return strcmp (norm, peer) == 0;
      case XTLS_TYPED_SAFETY_CODE:
        if (own_hex == NULL || strlen (own_hex) != 64)
          return FALSE;
        code = xtls_fingerprint_safety_code (own_hex, peer);
        {
          g_autofree char *plain = NULL;
          xtls_fingerprint_read_typed (code, &plain);
          return plain != NULL && strcmp (plain, norm) == 0;
        }
      case XTLS_TYPED_INVALID:
        break;
    }
  return FALSE;
}
