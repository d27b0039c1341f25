/* Known peers: which certificate each peer (bare JID) was verified with, how and when.
 * A GKeyFile at an injected path, written atomically with mode 0600 (STYLE.md habit 8);
 * a NULL path keeps it in memory only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  XTLS_VERIFIED_FINGERPRINT, /* the users compared fingerprints or the safety code */
  XTLS_VERIFIED_PASSWORD,    /* certificates exchanged inside an SRP session */
} XtlsVerifiedHow;

typedef struct {
  char *peer;          /* bare JID */
  char *fingerprint;   /* SHA-256 hex */
  XtlsVerifiedHow how;
  gint64 when;         /* unix seconds */
} XtlsKnownPeer;

void xtls_known_peer_free (XtlsKnownPeer *peer);

typedef struct _XtlsTrustStore XtlsTrustStore;

/* Loads @path if it exists (a missing file is an empty store). */
XtlsTrustStore *xtls_trust_store_new (const char *path, GError **error);
void xtls_trust_store_free (XtlsTrustStore *store);

/* The pinned SHA-256 fingerprint for @peer (bare JID), or NULL. Transfer none. */
const char *xtls_trust_store_lookup (XtlsTrustStore *store, const char *peer);
/* Pins (replacing any earlier pin) and saves. */
gboolean xtls_trust_store_pin (XtlsTrustStore *store, const char *peer, const char *fingerprint,
                               XtlsVerifiedHow how, gint64 when, GError **error);
gboolean xtls_trust_store_forget (XtlsTrustStore *store, const char *peer, GError **error);
/* Every known peer, sorted by JID. Transfer full (free with xtls_known_peer_free). */
GPtrArray *xtls_trust_store_list (XtlsTrustStore *store);

const char *xtls_verified_how_to_string (XtlsVerifiedHow how);

G_END_DECLS
