/* The strict base64 decoder (plugin/core/base64.c) against an oracle: a text is valid exactly
 * when, with XML whitespace removed, it is the canonical padded encoding of some bytes (RFC
 * 4648 §4 and §3.5), and then it decodes to those bytes. */
#include <string.h>

#include "base64.h"

static char *
strip_space (const char *s)
{
  GString *out = g_string_new (NULL);
  for (; *s != '\0'; s++)
    if (!strchr (" \t\r\n", *s))
      g_string_append_c (out, *s);
  return g_string_free (out, FALSE);
}

/* What the decoder must answer for @text with @max_len, computed the slow, obvious way. */
static XtlsBase64Result
oracle (const char *text, guint max_len, GBytes **expected)
{
  g_autofree char *s = strip_space (text);
  gsize n = strlen (s);
  *expected = NULL;
  if (n > ((gsize)max_len + 2) / 3 * 4)
    return XTLS_BASE64_TOO_LARGE;
  if (n % 4 != 0)
    return XTLS_BASE64_INVALID;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && !strchr ("+/=", s[i]))
      return XTLS_BASE64_INVALID;
  gsize len = 0;
  g_autofree guint8 *raw = n > 0 ? g_base64_decode (s, &len) : NULL;
  g_autofree char *again = g_base64_encode (raw, len);
  if (strcmp (again, s) != 0)
    return XTLS_BASE64_INVALID;
  if (len > max_len)
    return XTLS_BASE64_TOO_LARGE;
  *expected = g_bytes_new (raw, len);
  return XTLS_BASE64_OK;
}

static void
check (const char *text, guint max_len)
{
  g_autoptr (GBytes) expected = NULL;
  XtlsBase64Result want = oracle (text, max_len, &expected);
  guint8 *out = NULL;
  gsize out_len = 0;
  XtlsBase64Result got = xtls_base64_decode_strict (text, max_len, &out, &out_len);
  if (got != want)
    g_error ("\"%s\" (max %u): got %d, want %d", text, max_len, got, want);
  if (got == XTLS_BASE64_OK)
    {
      gsize elen;
      const guint8 *e = g_bytes_get_data (expected, &elen);
      g_assert_cmpmem (out, out_len, e, elen);
      g_free (out);
    }
}

/* Every text of up to 6 characters over an alphabet with letters whose low bits differ
 * (A = 0, B = 1, Q = 16, g = 32, / = 63), padding, a stray character and whitespace. */
static void
test_exhaustive_short (void)
{
  const char alphabet[] = "ABQg/=* ";
  const guint k = sizeof alphabet - 1;
  char text[7];
  for (guint len = 0; len <= 6; len++)
    {
      guint total = 1;
      for (guint i = 0; i < len; i++)
        total *= k;
      for (guint code = 0; code < total; code++)
        {
          guint c = code;
          for (guint i = 0; i < len; i++, c /= k)
            text[i] = alphabet[c % k];
          text[len] = '\0';
          check (text, 3);
          check (text, 4);
        }
    }
}

/* Random bytes of every length up to 5000, encoded, with whitespace sprinkled in (XML text may
 * be wrapped), decode to themselves; one flipped character is caught or decodes differently. */
static void
test_random_round_trip (void)
{
  GRand *rand = g_rand_new_with_seed (4648);
  for (guint len = 0; len <= 5000; len += 1 + len / 16)
    {
      g_autofree guint8 *raw = g_malloc (MAX (len, 1));
      for (guint i = 0; i < len; i++)
        raw[i] = (guint8)g_rand_int (rand);
      g_autofree char *b64 = g_base64_encode (raw, len);
      GString *wrapped = g_string_new (NULL);
      for (const char *p = b64; *p != '\0'; p++)
        {
          if (g_rand_int_range (rand, 0, 60) == 0)
            g_string_append_c (wrapped, "\n \t\r"[g_rand_int_range (rand, 0, 4)]);
          g_string_append_c (wrapped, *p);
        }
      guint8 *out = NULL;
      gsize out_len = 0;
      g_assert_cmpint (xtls_base64_decode_strict (wrapped->str, MAX (len, 1), &out, &out_len),
                       ==, XTLS_BASE64_OK);
      g_assert_cmpmem (out, out_len, raw, len);
      g_free (out);
      /* A limit one quantum short: too large, before any decoding. */
      if (len > 1)
        g_assert_cmpint (xtls_base64_decode_strict (b64, len >= 3 ? len - 3 : 0, &out, &out_len),
                         ==, XTLS_BASE64_TOO_LARGE);
      if (len > 0)
        {
          gsize at = g_rand_int_range (rand, 0, (gint32)strlen (b64));
          b64[at] = b64[at] == '*' ? 'A' : '*';
          check (b64, len);
        }
      g_string_free (wrapped, TRUE);
    }
  g_rand_free (rand);
}

/* The cases XEP-0047 senders get wrong, named. */
static void
test_named_cases (void)
{
  static const struct
  {
    const char *text;
    XtlsBase64Result want;
  } cases[] = {
    { "", XTLS_BASE64_OK },
    { "AAAA", XTLS_BASE64_OK },
    { "AA==", XTLS_BASE64_OK },
    { "AAA=", XTLS_BASE64_OK },
    { "AB==", XTLS_BASE64_INVALID },  /* pad bits set */
    { "AAB=", XTLS_BASE64_INVALID },  /* pad bits set */
    { "A===", XTLS_BASE64_INVALID },  /* three pads */
    { "AA=A", XTLS_BASE64_INVALID },  /* data after padding */
    { "AA==AAAA", XTLS_BASE64_INVALID }, /* padding in the middle */
    { "AAA", XTLS_BASE64_INVALID },   /* unpadded */
    { "AA-_", XTLS_BASE64_INVALID },  /* the URL alphabet */
    { " A A\nA\tA\r", XTLS_BASE64_OK },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint8 *out = NULL;
      gsize len = 0;
      g_assert_cmpint (xtls_base64_decode_strict (cases[i].text, 16, &out, &len), ==,
                       cases[i].want);
      g_free (out);
      check (cases[i].text, 16);
    }
  /* The limit is checked on the text's length before anything is decoded. */
  guint8 *out = NULL;
  gsize len = 0;
  g_assert_cmpint (xtls_base64_decode_strict ("AAAAAAAA", 3, &out, &len), ==,
                   XTLS_BASE64_TOO_LARGE);
  g_assert_cmpint (xtls_base64_decode_strict ("AAAAA*AA", 3, &out, &len), ==,
                   XTLS_BASE64_TOO_LARGE);
  g_assert_cmpint (xtls_base64_decode_strict ("AAAA", 3, &out, &len), ==, XTLS_BASE64_OK);
  g_assert_cmpuint (len, ==, 3);
  g_free (out);
  g_assert_cmpint (xtls_base64_decode_strict (NULL, 3, &out, &len), ==, XTLS_BASE64_OK);
  g_assert_cmpuint (len, ==, 0);
  g_free (out);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/base64/named-cases", test_named_cases);
  g_test_add_func ("/base64/exhaustive-short", test_exhaustive_short);
  g_test_add_func ("/base64/random-round-trip", test_random_round_trip);
  return g_test_run ();
}
