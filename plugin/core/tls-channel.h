/* TLS over an abstract byte transport (PROTOCOL.md §4).
 *
 * GnuTLS non-blocking with push/pull functions over in-memory buffers, driven entirely by the
 * caller (glib-networking's GnuTLS backend, without its handshake thread): ciphertext comes in
 * through xtls_tls_channel_receive(), leaves through XtlsTlsChannelOps.send. No threads, no
 * sockets, nothing blocks. */
#pragma once

#include <glib.h>

#include "fingerprint.h"
#include "identity.h"

G_BEGIN_DECLS

typedef enum {
  XTLS_METHOD_X509 = 1 << 0,
  XTLS_METHOD_SRP = 1 << 1,
} XtlsMethod;

typedef enum {
  XTLS_TLS_ROLE_CLIENT, /* the Jingle initiator */
  XTLS_TLS_ROLE_SERVER, /* the Jingle responder; requires the client certificate */
} XtlsTlsRole;

typedef enum {
  XTLS_TLS_STATE_IDLE,        /* created, handshake not started */
  XTLS_TLS_STATE_HANDSHAKING,
  XTLS_TLS_STATE_ESTABLISHED, /* our handshake finished; application data flows */
  XTLS_TLS_STATE_CLOSED,      /* close_notify sent or received */
  XTLS_TLS_STATE_FAILED,
} XtlsTlsState;

typedef struct _XtlsTlsChannel XtlsTlsChannel;

typedef struct {
  /* Ciphertext for the transport. Required. */
  void (*send) (XtlsTlsChannel *channel, const guint8 *data, gsize len, gpointer user_data);
  /* Our side of the handshake finished (for the TLS 1.3 client this is before the server
   * judged our certificate: PROTOCOL.md §4). Required. */
  void (*established) (XtlsTlsChannel *channel, gpointer user_data);
  /* Decrypted application data. Required. */
  void (*receive) (XtlsTlsChannel *channel, const guint8 *data, gsize len, gpointer user_data);
  /* The peer sent close_notify (@error NULL), or the channel failed (XTLS_ERROR_TLS,
   * XTLS_ERROR_CERT_MISMATCH, XTLS_ERROR_BAD_PASSWORD). A fatal alert has already been sent
   * where the failure is ours to report. Called once. Required. */
  void (*closed) (XtlsTlsChannel *channel, const GError *error, gpointer user_data);
} XtlsTlsChannelOps;

typedef enum {
  XTLS_TLS_VERSION_ANY, /* x509: TLS 1.3 preferred, 1.2 allowed. SRP: always 1.2. */
  XTLS_TLS_VERSION_1_2, /* x509 limited to 1.2 (tests run both) */
} XtlsTlsVersionLimit;

typedef struct {
  XtlsTlsRole role;
  XtlsMethod method;               /* exactly one of X509 or SRP */
  XtlsTlsVersionLimit version;
  /* x509 */
  XtlsIdentity *identity;          /* our key and certificate (borrowed, ref taken) */
  const char *peer_fingerprint;    /* normalised hex the peer's certificate must hash to */
  XtlsHashAlgo peer_fingerprint_algo;
  /* srp */
  const char *srp_username;        /* the initiator's bare JID (server accepts the full JID too) */
  const char *srp_password;        /* the shared secret; copied and wiped on free */
} XtlsTlsConfig;

/* Creates a channel; nothing is sent until xtls_tls_channel_start(). Callbacks run inside
 * xtls_tls_channel_* calls; the channel must not be freed from inside its own callback. */
XtlsTlsChannel *xtls_tls_channel_new (const XtlsTlsConfig *config, const XtlsTlsChannelOps *ops,
                                      gpointer user_data, GError **error);
/* Frees without sending anything. */
void xtls_tls_channel_free (XtlsTlsChannel *channel);

/* Begins the handshake: the client sends its ClientHello; the server waits for it. */
void xtls_tls_channel_start (XtlsTlsChannel *channel);

/* Feeds ciphertext from the transport. Drives the handshake and decrypts records. */
void xtls_tls_channel_receive (XtlsTlsChannel *channel, const guint8 *data, gsize len);

/* Encrypts application data. Only in ESTABLISHED. Returns FALSE with @error otherwise. */
gboolean xtls_tls_channel_send (XtlsTlsChannel *channel, const guint8 *data, gsize len,
                                GError **error);

/* Sends close_notify (once). */
void xtls_tls_channel_close (XtlsTlsChannel *channel);

/* Fails the channel from outside (deadline, lower layer broke): sends a fatal alert if the
 * handshake had started, then reports @error through ops->closed. */
void xtls_tls_channel_abort (XtlsTlsChannel *channel, const GError *error);

XtlsTlsState xtls_tls_channel_get_state (XtlsTlsChannel *channel);
const char *xtls_tls_channel_state_to_string (XtlsTlsState state);
/* After the handshake: the peer's DER certificate (x509; NULL for SRP), transfer none. */
GBytes *xtls_tls_channel_get_peer_certificate (XtlsTlsChannel *channel);
/* After the handshake: e.g. "TLS1.3" and "AES-256-GCM". Static strings. */
const char *xtls_tls_channel_get_protocol_name (XtlsTlsChannel *channel);
const char *xtls_tls_channel_get_cipher_name (XtlsTlsChannel *channel);

/* Maps a GnuTLS error code to a GError in XTLS_ERROR (the one place that does: glib-networking's
 * end_gnutls_io). @method tells whether a decryption failure in the handshake means a wrong
 * SRP password. */
void xtls_tls_set_error_from_gnutls (GError **error, int gnutls_code, XtlsMethod method,
                                     gboolean handshaking, const char *context);

G_END_DECLS
