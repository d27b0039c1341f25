/* Strict base64 decoding (RFC 4648 §4): what IBB data (XEP-0047 §2.2) and hashes (XEP-0300)
 * must be. g_base64_decode() silently skips junk and accepts bad padding; this does not. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  XTLS_BASE64_OK,
  XTLS_BASE64_INVALID,   /* outside the alphabet, misplaced padding, length, pad bits */
  XTLS_BASE64_TOO_LARGE, /* would decode to more than @max_len bytes (checked before decoding) */
} XtlsBase64Result;

/* Decodes @text on its own (kaa's block-size-character slices are whole quanta, so they
 * qualify). XML whitespace is skipped, as XML text may be wrapped; anything else outside the
 * alphabet, padding anywhere but the end, a length that is not a multiple of 4, and non-zero
 * pad bits (RFC 4648 §3.5) are rejected. On XTLS_BASE64_OK *out (transfer full) holds
 * *out_len <= @max_len bytes. */
XtlsBase64Result xtls_base64_decode_strict (const char *text, guint max_len, guint8 **out,
                                            gsize *out_len);

G_END_DECLS
