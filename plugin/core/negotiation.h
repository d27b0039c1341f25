/* Negotiation (XEP-0166 + the XTLS draft, PROTOCOL.md §2 and §6): offer, accept, security-info
 * and terminate; the trust decisions (pinned, unknown, changed keys; downgrades) and the choice
 * of method. It speaks Jingle only: outer stanzas leave through its ops, and what it settles
 * (a transport, a method and its credentials, a decision to ask, an end) is reported to the
 * session through callbacks. It never touches the transport, TLS or the application. */
#pragma once

#include <glib.h>

#include "clock.h"
#include "identity.h"
#include "jingle.h"
#include "ibb.h"
#include "session.h"
#include "tls-channel.h"
#include "trust-store.h"
#include "wire.h"
#include "xtls-error.h"

G_BEGIN_DECLS

typedef struct _XtlsNegotiation XtlsNegotiation;

typedef struct
{
  /* Down: a Jingle request for the peer (transfer full), an IQ result, an IQ error. */
  void (*send_jingle) (XtlsNegotiation *neg, XtlsJingle *jingle, gpointer user_data);
  void (*send_result) (XtlsNegotiation *neg, const char *id, gpointer user_data);
  void (*send_error) (XtlsNegotiation *neg, const char *id, XtlsStanzaCondition condition,
                      XtlsJingleErrorCondition jingle_condition, gpointer user_data);
  /* Up: the user must decide; the negotiation waits. */
  void (*asking) (XtlsNegotiation *neg, XtlsDecision decision, gpointer user_data);
  /* Up: the user decided; the set-up goes on. */
  void (*resumed) (XtlsNegotiation *neg, gpointer user_data);
  /* Up: the peer says its user is still deciding (session-info <deciding/>): a handshake we
   * started waits for that person, its deadline starts again. May be NULL. */
  void (*peer_deciding) (XtlsNegotiation *neg, gpointer user_data);
  /* Up: session-accept sent or received: the transport is agreed (xtls_negotiation_transport). */
  void (*transport_agreed) (XtlsNegotiation *neg, gpointer user_data);
  /* Up: the method and its credentials are settled: TLS may start (xtls_negotiation_tls). */
  void (*secure) (XtlsNegotiation *neg, gpointer user_data);
  /* Up: the negotiation failed; terminate the session with @reason (NONE: send nothing). */
  void (*failed) (XtlsNegotiation *neg, XtlsJingleReason reason, XtlsError code,
                  const char *message, gpointer user_data);
  /* Up: the peer sent session-terminate; @code/@message translate @reason. */
  void (*terminated) (XtlsNegotiation *neg, XtlsJingleReason reason, XtlsError code,
                      const char *message, gpointer user_data);
  /* Up: a certificate learned in a password session differs from the pin (not replaced). */
  void (*key_conflict) (XtlsNegotiation *neg, const char *fingerprint, gpointer user_data);
  /* File sessions only; NULL for chat. */
  /* Up: an admissible file offer: answer with xtls_negotiation_accept_file(). */
  void (*file_offered) (XtlsNegotiation *neg, const XtlsJingleFile *file, gpointer user_data);
  /* Up: the sender's <checksum/> (XEP-0234 §8.1): XTLS_SHA256_LEN bytes. */
  void (*checksum) (XtlsNegotiation *neg, const guint8 *sha256, gpointer user_data);
  /* Up: the receiver's <received/> (XEP-0234 §8.2). */
  void (*received) (XtlsNegotiation *neg, gpointer user_data);
  /* SOCKS5 bytestreams (XEP-0260), file sessions only; all NULL: IBB only. */
  /* Down: our s5b transport for the offer (@peer NULL; return NULL to offer IBB instead) or for
   * the accept of the peer's s5b offer @peer (NULL: we offer no candidates). @sid is the
   * transport's sid. Transfer full. */
  XtlsS5bTransportWire *(*s5b_offer) (XtlsNegotiation *neg, const char *sid,
                                      const XtlsS5bTransportWire *peer, gpointer user_data);
  /* Up: the peer's s5b transport-info (already acknowledged). */
  void (*transport_info) (XtlsNegotiation *neg, const XtlsS5bTransportWire *info,
                          gpointer user_data);
  /* Up: the transport was replaced by IBB (XEP-0260 §2.6, XEP-0261): transport-accept sent
   * (responder) or received (initiator). xtls_negotiation_transport() now gives the IBB. */
  void (*transport_replaced) (XtlsNegotiation *neg, gpointer user_data);
} XtlsNegotiationOps;

typedef struct
{
  const char *own_jid;    /* full JID (borrowed) */
  const char *peer_jid;   /* full JID (borrowed) */
  XtlsIdentity *identity; /* borrowed */
  XtlsTrustStore *trust;  /* borrowed */
  const XtlsClock *clock; /* borrowed */
  guint block_size;       /* what we offer / the most we accept */
  guint window;           /* IBB window for the transport */
  gint64 accept_timeout_us;
  gint64 decision_timeout_us; /* how long our user's question stays open */
  /* Initiator of a file session: the file to offer (copied at initiate); NULL for chat. */
  const XtlsJingleFile *file;
} XtlsNegotiationConfig;

/* The strings and objects in @config must outlive the negotiation. */
XtlsNegotiation *xtls_negotiation_new (const XtlsNegotiationConfig *config,
                                       const XtlsNegotiationOps *ops, gpointer user_data);
void xtls_negotiation_free (XtlsNegotiation *neg);

/* Initiator: sends session-initiate. */
void xtls_negotiation_initiate (XtlsNegotiation *neg);
/* Responder: a session-initiate from the peer (already admitted by the hub). */
void xtls_negotiation_offer (XtlsNegotiation *neg, const XtlsIq *iq);
/* Any other Jingle request for our sid. */
void xtls_negotiation_receive (XtlsNegotiation *neg, const XtlsIq *iq);
/* The user's answers (see xtls_session_decide / xtls_session_supply_password). */
void xtls_negotiation_decide (XtlsNegotiation *neg, XtlsAnswer answer);
void xtls_negotiation_supply_password (XtlsNegotiation *neg, const char *password);
/* Sends session-terminate with @reason. */
void xtls_negotiation_terminate (XtlsNegotiation *neg, XtlsJingleReason reason);
/* The session ended: nothing more is asked or sent on its own. */
void xtls_negotiation_end (XtlsNegotiation *neg);

/* The agreed transport, for the security layer (strings owned by @neg). */
void xtls_negotiation_transport (XtlsNegotiation *neg, XtlsIbbConfig *out);
/* The TLS role, method and credentials (strings owned by @neg); @out's other fields are left
 * alone. Forgets our copy of the password once TLS has its own (call after the start). */
void xtls_negotiation_tls (XtlsNegotiation *neg, XtlsTlsConfig *out);
void xtls_negotiation_forget_password (XtlsNegotiation *neg);

/* The tunnel proved the peer (its stream header arrived over TLS): pins what the user
 * verified during this session. @certificate: the handshake's peer certificate or NULL. */
void xtls_negotiation_tunnel_proven (XtlsNegotiation *neg, GBytes *certificate);
/* The peer's certificate received inside a password-verified tunnel. */
void xtls_negotiation_peer_certificate (XtlsNegotiation *neg, const guint8 *der, gsize len);

gboolean xtls_negotiation_is_initiator (XtlsNegotiation *neg);
gboolean xtls_negotiation_awaits_accept (XtlsNegotiation *neg);
/* Still at the offer (the user has not accepted it). */
gboolean xtls_negotiation_at_offer (XtlsNegotiation *neg);
/* Responder whose user has not agreed yet (at the offer, or deciding after an early accept):
 * its refusal is a <decline/> (XEP-0166 §7.4). */
gboolean xtls_negotiation_not_agreed (XtlsNegotiation *neg);
/* The accept is sent or received (the transport exists). */
gboolean xtls_negotiation_accepted (XtlsNegotiation *neg);
/* The peer is verified (pinned, or by password), not merely accepted for this session. */
gboolean xtls_negotiation_is_verified (XtlsNegotiation *neg);
XtlsVerification xtls_negotiation_get_verification (XtlsNegotiation *neg);
const char *xtls_negotiation_get_sid (XtlsNegotiation *neg);
/* The Jingle namespace the peer speaks (we answer in it). */
XtlsJingleDialect xtls_negotiation_get_dialect (XtlsNegotiation *neg);
const char *xtls_negotiation_get_transport_sid (XtlsNegotiation *neg);
const char *xtls_negotiation_get_initiator (XtlsNegotiation *neg);
XtlsMethod xtls_negotiation_get_method (XtlsNegotiation *neg);
const char *xtls_negotiation_get_peer_fingerprint (XtlsNegotiation *neg);
XtlsDecision xtls_negotiation_get_pending (XtlsNegotiation *neg);
/* Our user decided; the other user's decision (or method choice) has not arrived yet. */
gboolean xtls_negotiation_awaits_peer_user (XtlsNegotiation *neg);
/* ---- file transfer (XEP-0234 over the XTLS draft) ---- */

/* The session offers or was offered a file (XTLS_APP_FILE_TRANSFER). */
gboolean xtls_negotiation_is_file (XtlsNegotiation *neg);
/* The file as offered (ours, or the peer's as received: its name is untrusted), or NULL. */
const XtlsJingleFile *xtls_negotiation_get_file (XtlsNegotiation *neg);
/* Responder: the user's answer to file_offered. TRUE goes on to the key decisions and the
 * accept; FALSE only forgets the question (the caller terminates with <decline/>). */
void xtls_negotiation_accept_file (XtlsNegotiation *neg, gboolean accept);
/* Responder: file_offered was reported and not answered yet. */
gboolean xtls_negotiation_awaits_file_answer (XtlsNegotiation *neg);
/* Sender: session-info <checksum/> with the file's SHA-256 (the offer carried none). */
void xtls_negotiation_send_checksum (XtlsNegotiation *neg, const guint8 *sha256);
/* Receiver: session-info <received/>. */
void xtls_negotiation_send_received (XtlsNegotiation *neg);

/* ---- SOCKS5 bytestreams (XEP-0260) ---- */

/* The agreed transport is s5b (until it is replaced by IBB). */
gboolean xtls_negotiation_uses_s5b (XtlsNegotiation *neg);
/* Our s5b transport as offered or answered, and the peer's (transfer none; NULL before). */
const XtlsS5bTransportWire *xtls_negotiation_get_s5b_ours (XtlsNegotiation *neg);
const XtlsS5bTransportWire *xtls_negotiation_get_s5b_theirs (XtlsNegotiation *neg);
/* Sends transport-info with @info (@cid for CANDIDATE_USED and ACTIVATED). */
void xtls_negotiation_send_transport_info (XtlsNegotiation *neg, XtlsS5bInfo info, const char *cid);
/* Initiator: the bytestream failed; transport-replace with IBB (XEP-0260 §2.6). Once. */
void xtls_negotiation_replace_with_ibb (XtlsNegotiation *neg);

/* The next deadline (monotonic µs: the accept, our user's question, the peer's next sign of
 * life, our next keepalive), 0 if none. */
gint64 xtls_negotiation_get_deadline (XtlsNegotiation *neg);
/* Runs the deadlines due at @now: fails the negotiation, or sends a keepalive. */
void xtls_negotiation_tick (XtlsNegotiation *neg, gint64 now);

G_END_DECLS
