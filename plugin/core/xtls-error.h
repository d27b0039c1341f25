/* Error domain for everything a peer or the network can cause. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define XTLS_ERROR (xtls_error_quark ())
GQuark xtls_error_quark (void);

/* Each code maps to one protocol answer (PROTOCOL.md §3, §6) and one sentence a user can read
 * (xtls_error_describe). */
typedef enum
{
  XTLS_ERROR_FAILED, /* anything not listed below */
  /* IBB (XEP-0047 §2) */
  XTLS_ERROR_IBB_BAD_REQUEST, /* bad base64 or a chunk larger than block-size */
  XTLS_ERROR_IBB_UNEXPECTED,  /* repeated or out-of-order seq */
  XTLS_ERROR_IBB_NOT_FOUND,   /* data for a sid we do not know or that has ended */
  XTLS_ERROR_IBB_CLOSED,      /* the peer closed the bytestream before the session ended */
  XTLS_ERROR_IBB_REJECTED,    /* the peer answered one of our IQs with an error */
  /* TLS (PROTOCOL.md §4) */
  XTLS_ERROR_TLS,              /* handshake or record failure, garbage instead of TLS */
  XTLS_ERROR_CERT_MISMATCH,    /* the certificate in the handshake differs from the announced one */
  XTLS_ERROR_KEY_CHANGED,      /* the announced fingerprint differs from the pinned one */
  XTLS_ERROR_BAD_PASSWORD,     /* the SRP passwords did not match */
  XTLS_ERROR_NO_COMMON_METHOD, /* no security method both sides can use */
  /* inner stream (PROTOCOL.md §5, RFC 6120 §4.9.3) */
  XTLS_ERROR_NOT_WELL_FORMED,
  XTLS_ERROR_RESTRICTED_XML,   /* DTD, entity declaration or reference, PI */
  XTLS_ERROR_POLICY_VIOLATION, /* stanza over the size or depth limit */
  /* session */
  XTLS_ERROR_TIMEOUT,     /* a deadline passed: the peer stopped answering */
  XTLS_ERROR_PEER_GONE,   /* the peer's resource went offline */
  XTLS_ERROR_DECLINED,    /* the peer declined or cancelled */
  XTLS_ERROR_CANCELLED,   /* the local user cancelled */
  XTLS_ERROR_SECURITY,    /* the peer ended the session with <security-error/> */
  XTLS_ERROR_PROTOCOL,    /* the peer broke the protocol (bad Jingle, no <security/>) */
  XTLS_ERROR_UNSUPPORTED, /* the peer does not support XTLS chat */
  /* outside the tunnel: may be forged by a server (PROTOCOL.md §6) */
  XTLS_ERROR_INTERRUPTED,     /* a running tunnel was ended by something that did not come through
                               * it (session-terminate, IBB close): possibly interfered with */
  XTLS_ERROR_DOWNGRADE,       /* a verified pair was asked to switch away from x509 */
  XTLS_ERROR_BUSY,            /* too many sessions or offers: refused to stay bounded */
  XTLS_ERROR_CONNECTION_LOST, /* a file's SOCKS5 bytestream broke before TLS closed on it */
  /* a person deciding (PROTOCOL.md §2.1): our user's question stayed open longer than allowed;
   * the peer stopped waiting while our user was deciding */
  XTLS_ERROR_NO_DECISION,
  XTLS_ERROR_PEER_GAVE_UP,
} XtlsError;

/* A sentence for the user (no jargon beyond "key" and "password") for @error.
 * Returns a static string. */
const char *xtls_error_describe (const GError *error);

G_END_DECLS
