/* Certificate fingerprints: computing, lenient parsing (PROTOCOL.md §2), display. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  XTLS_HASH_SHA256,
  XTLS_HASH_SHA1, /* accepted from historical peers (kaa), never sent */
} XtlsHashAlgo;

/* SHA-256 of @der as 64 lowercase hex digits. Transfer full. */
char *xtls_fingerprint_sha256 (const guint8 *der, gsize len);

/* Parses a fingerprint as peers send it: @algo_attr may be "sha-256", "sha256", "sha-1",
 * "sha1" (any case) or NULL (then 40 hex digits mean SHA-1, 64 mean SHA-256); colons,
 * spaces and upper case are allowed in @text. On success stores the algorithm and the
 * normalised form (lowercase hex, no separators; transfer full). */
gboolean xtls_fingerprint_parse (const char *algo_attr, const char *text, XtlsHashAlgo *out_algo,
                                 char **out_hex, GError **error);

/* TRUE if @der hashes (with @algo) to the normalised @hex. Constant-time comparison. */
gboolean xtls_fingerprint_matches (XtlsHashAlgo algo, const char *hex, const guint8 *der,
                                   gsize len);

/* "ab12 cd34 ..." in groups of four, for reading aloud. Transfer full. */
char *xtls_fingerprint_format (const char *hex);

/* The combined safety code both users see identically: derived from both fingerprints,
 * independent of their order. Ten groups of four digits. Transfer full. */
char *xtls_fingerprint_safety_code (const char *hex_a, const char *hex_b);

/* What a user typed or pasted to verify a contact by hand. */
typedef enum {
  XTLS_TYPED_INVALID,     /* neither of the two below */
  XTLS_TYPED_FINGERPRINT, /* 64 hex digits; spaces, colons, dashes and case are ignored */
  XTLS_TYPED_SAFETY_CODE, /* 40 decimal digits (the safety code); spaces, dashes ignored */
} XtlsTypedKind;

/* Reads @typed (bounded: more than 256 bytes is invalid). On success stores the normal form
 * in @out (lowercase hex, or 40 digits without spaces; transfer full). */
XtlsTypedKind xtls_fingerprint_read_typed (const char *typed, char **out);

/* TRUE if @typed names @peer_hex: it is that fingerprint, or the safety code of @own_hex and
 * @peer_hex. A typed safety code can only be checked against a key: there is no way back from
 * a code to a fingerprint. */
gboolean xtls_fingerprint_typed_matches (const char *typed, const char *own_hex,
                                         const char *peer_hex);

G_END_DECLS
