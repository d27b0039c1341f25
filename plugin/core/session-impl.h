/* Internals shared by session.c (life cycle, outer stanzas, ending), session-jingle.c
 * (negotiation) and session-tunnel.c (IBB, TLS and inner-stream plumbing, messages). */
#pragma once

#include "session-private.h"

#include <libxml/tree.h>

#include "fingerprint.h"
#include "ibb.h"
#include "jingle.h"
#include "xmlstream.h"
#include "xtls-error.h"

/* Never log message text, passwords or keys (STYLE.md habit 7). */
#define SLOG(s, fmt, ...)                                                                          \
  g_debug ("[%s %s] " fmt, (s)->sid ? (s)->sid : "-", xtls_trust_state_to_string ((s)->state),     \
           ##__VA_ARGS__)

typedef enum
{
  PHASE_IDLE,
  PHASE_INITIATE_SENT,  /* initiator: waiting for session-accept */
  PHASE_OFFER_RECEIVED, /* responder: the user decides whether to trust the offer */
  PHASE_ACCEPTED,       /* accept sent or received: method, transport and TLS under way */
  PHASE_ENDING,         /* our end of the stream is closed; draining before terminate */
  PHASE_ENDED,
} Phase;

typedef struct
{
  guint64 id;
  char *body; /* owned */
} Outgoing;

struct _XtlsSession
{
  XtlsHub *hub; /* borrowed: the hub owns us */
  char *peer;   /* owned, full JID */
  char *peer_bare;
  gboolean initiator;
  XtlsTrustState state;
  GError *error; /* owned: why we failed */
  Phase phase;
  gint64 ended_at; /* monotonic µs when the phase became ENDED */

  /* Jingle (PROTOCOL.md §2) */
  char *sid;
  XtlsJingleDialect dialect;
  XtlsJingleApp app;
  char *initiator_jid;
  char *responder_jid;
  char *content_name;
  char *content_creator;
  char *transport_sid;
  guint block_size;
  XtlsIbbVersion ibb_version;

  /* Security negotiation */
  char *peer_fingerprint; /* normalised hex as announced */
  XtlsHashAlgo peer_fingerprint_algo;
  guint peer_methods;
  gboolean peer_trusts_us; /* the responder offered x509 with its fingerprint */
  gboolean key_trusted;    /* pinned and matching, or verified by the user just now */
  gboolean key_accepted_once;
  gboolean peer_was_pinned; /* the announced key matched a pin made before this session */
  gboolean pin_from_tunnel; /* the user verified a SHA-1 announcement: pin the SHA-256 of the
                             * certificate the handshake proved (PROTOCOL.md §2) */
  gboolean use_password;
  char *password; /* owned, wiped */
  XtlsMethod method;
  XtlsDecision pending;

  /* Engines, created as the negotiation reaches them */
  XtlsIbb *ibb;
  XtlsTlsChannel *tls;
  XtlsXmlStream *xml;
  GByteArray *held; /* transport bytes received before the TLS channel exists */
  gboolean tls_up;
  gboolean peer_header;
  char *tls_description;
  char *pubkey_iq_id;

  /* Messages (fail closed: they only ever leave through the tunnel) */
  GQueue outbox;      /* Outgoing not yet written into the tunnel */
  GQueue unconfirmed; /* written before the peer's stream header proved the tunnel */

  /* IQs we sent and still expect an answer to: id -> deadline (µs; 0 = none) */
  GHashTable *iqs;
  gint64 handshake_deadline;
  gint64 accept_deadline;
};

/* session.c */
void xtls_session_set_state (XtlsSession *s, XtlsTrustState state);
gint64 xtls_session_now (XtlsSession *s);
void xtls_session_send_result (XtlsSession *s, const char *id);
void xtls_session_send_error (XtlsSession *s, const char *id, XtlsStanzaCondition condition,
                              XtlsJingleErrorCondition jingle_condition);
/* A Jingle payload for this session, in the peer's dialect. Transfer full. */
XtlsJingle *xtls_session_new_jingle (XtlsSession *s, XtlsJingleAction action);
void xtls_session_add_content (XtlsSession *s, XtlsJingle *j);
/* Sends @j as an IQ set with an ack deadline, and frees it. */
void xtls_session_send_jingle (XtlsSession *s, XtlsJingle *j);
void xtls_session_send_terminate (XtlsSession *s, XtlsJingleReason reason);
/* Every end goes through here (see session.c). */
void xtls_session_end (XtlsSession *s, XtlsTrustState final, const GError *error);
void xtls_session_fail_code (XtlsSession *s, XtlsJingleReason reason, XtlsError code,
                             const char *message);
void xtls_session_complete_stop (XtlsSession *s);

/* session-jingle.c */
void xtls_session_reset_jingle (XtlsSession *s);

/* session-tunnel.c */
void xtls_outgoing_free (Outgoing *o);
/* Reports every message in @queue (and empties it) as sent or not sent. */
void xtls_session_report_messages (XtlsSession *s, GQueue *queue, gboolean sent);
/* Creates the IBB engine and the inner stream once the transport is agreed. */
void xtls_session_create_transport (XtlsSession *s);
/* Creates the TLS channel for the chosen method and starts the handshake. */
gboolean xtls_session_start_tls (XtlsSession *s);
