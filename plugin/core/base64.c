/* Strict base64 (RFC 4648 §4), as XEP-0047 §2.2 and XEP-0300 require (see base64.h). */
#include "base64.h"

#include <string.h>

static int
b64_value (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

static gboolean
is_xml_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

XtlsBase64Result
xtls_base64_decode_strict (const char *text, guint max_len, guint8 **out, gsize *out_len)
{
  /* Longest text that can decode to max_len bytes, checked before anything is allocated. */
  gsize limit = ((gsize)max_len + 2) / 3 * 4;
  gsize text_len = text != NULL ? strlen (text) : 0;
  g_autofree char *s = g_malloc (MIN (text_len, limit) + 1);
  gsize n = 0;

  for (gsize i = 0; i < text_len; i++)
    {
      if (is_xml_space (text[i]))
        continue;
      if (n == limit)
        return XTLS_BASE64_TOO_LARGE;
      s[n++] = text[i];
    }

  if (n % 4 != 0)
    return XTLS_BASE64_INVALID;

  gsize pad = 0;
  if (n > 0 && s[n - 1] == '=')
    pad = (s[n - 2] == '=') ? 2 : 1;
  for (gsize i = 0; i < n - pad; i++)
    if (b64_value (s[i]) < 0)
      return XTLS_BASE64_INVALID;
  if ((pad == 2 && (b64_value (s[n - 3]) & 0x0f) != 0)
      || (pad == 1 && (b64_value (s[n - 2]) & 0x03) != 0))
    return XTLS_BASE64_INVALID;

  gsize len = n / 4 * 3 - pad;
  if (len > max_len)
    return XTLS_BASE64_TOO_LARGE;

  guint8 *buf = g_malloc (MAX (len, 1));
  gsize o = 0;
  for (gsize i = 0; i < n; i += 4)
    {
      guint32 v = 0;
      for (gsize j = 0; j < 4; j++)
        v = (v << 6) | (s[i + j] == '=' ? 0 : (guint32)b64_value (s[i + j]));
      guint8 bytes[3] = { (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
      for (gsize j = 0; j < 3 && o < len; j++)
        buf[o++] = bytes[j];
    }
  *out = buf;
  *out_len = len;
  return XTLS_BASE64_OK;
}
