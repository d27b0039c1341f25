/* Known peers: which certificate each peer (bare JID) was verified with, how and when.
 * A GKeyFile at an injected path, written atomically with mode 0600 (STYLE.md habit 8);
 * a NULL path keeps it in memory only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  XTLS_VERIFIED_FINGERPRINT, /* the users compared fingerprints or the safety code */
  XTLS_VERIFIED_PASSWORD,    /* certificates exchanged inside an SRP session */
  XTLS_VERIFIED_TYPED,       /* the user typed the fingerprint their contact read out, perhaps
                              * before any session: pinned like the others, so the first
                              * session with another key fails as a changed key */
} XtlsVerifiedHow;

typedef struct {
  char *peer;          /* bare JID */
  char *fingerprint;   /* SHA-256 hex */
  XtlsVerifiedHow how;
  gint64 when;         /* unix seconds */
} XtlsKnownPeer;

void xtls_known_peer_free (XtlsKnownPeer *peer);

typedef struct _XtlsTrustStore XtlsTrustStore;

/* Loads @path if it exists (a missing file is an empty store). A file that is not a key file,
 * or holds an entry without a valid fingerprint and how, is an error (G_KEY_FILE_ERROR or
 * G_FILE_ERROR): it is never silently rewritten. */
XtlsTrustStore *xtls_trust_store_new (const char *path, GError **error);
void xtls_trust_store_free (XtlsTrustStore *store);

/* Every @peer argument may be a full or bare JID; it is reduced to the bare JID and lowercased.
 * A JID that cannot be stored (brackets, control characters, invalid UTF-8) is never known:
 * lookup gives NULL, pin fails with XTLS_ERROR_FAILED. */

/* The pinned SHA-256 fingerprint for @peer, or NULL. Transfer none: valid until the next pin
 * or forget of that peer. */
const char *xtls_trust_store_lookup (XtlsTrustStore *store, const char *peer);
/* Pins (replacing any earlier pin) and saves. @fingerprint must be 64 hex digits (any case).
 * On a failed save the previous pin stays, in memory as on disk. */
gboolean xtls_trust_store_pin (XtlsTrustStore *store, const char *peer, const char *fingerprint,
                               XtlsVerifiedHow how, gint64 when, GError **error);
/* Removes the pin and saves; forgetting an unknown peer succeeds without writing. */
gboolean xtls_trust_store_forget (XtlsTrustStore *store, const char *peer, GError **error);
/* Every known peer, sorted by JID. Transfer full (free with xtls_known_peer_free). */
GPtrArray *xtls_trust_store_list (XtlsTrustStore *store);

const char *xtls_verified_how_to_string (XtlsVerifiedHow how);

/* The key the store files @jid under: bare JID, lowercased; NULL if it cannot be stored.
 * Transfer full. */
char *xtls_trust_store_normalize_peer (const char *jid);

G_END_DECLS
