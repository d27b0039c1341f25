/* Between hub.c (routing, bounds, tie-break, deadlines) and session.c (one peer's life cycle):
 * the hub calls down into its sessions; sessions reach the hub only through the host's
 * callbacks. */
#pragma once

#include "session.h"
#include "s5b.h"
#include "wire.h"

/* What a session needs from the hub that owns it: the account's identity and settings, and
 * callbacks (the hub routes them to the UI's XtlsHubOps). The session never reaches into the
 * hub otherwise. */
typedef struct
{
  /* An outer stanza for the server connection. */
  void (*send) (XtlsSession *s, const char *xml, gpointer user_data);
  /* A fresh IQ id; every id the core sends starts with "xtls". Transfer full. */
  char *(*make_iq_id) (gpointer user_data);
  /* A message id, unique in the account. */
  guint64 (*make_message_id) (gpointer user_data);
  /* Frees @object with @free_func once no callback can be on the stack. */
  void (*bury) (gpointer object, GDestroyNotify free_func, gpointer user_data);
  /* Bracket the session's public entry points (what bury waits for). */
  void (*enter) (gpointer user_data);
  void (*leave) (gpointer user_data);
  /* The UI's callbacks (XtlsHubOps), for this session. decision_needed returns FALSE when no
   * UI can answer (the session then cancels). */
  void (*state_changed) (XtlsSession *s, XtlsTrustState state, const GError *error,
                         gpointer user_data);
  gboolean (*decision_needed) (XtlsSession *s, XtlsDecision decision, gpointer user_data);
  void (*message_received) (XtlsSession *s, const char *body, gpointer user_data);
  void (*message_status) (XtlsSession *s, guint64 id, gboolean sent, gpointer user_data);
  void (*key_conflict) (XtlsSession *s, const char *fingerprint, gpointer user_data);
  /* File sessions (XtlsHubOps.file_*); file_offered returns FALSE when no UI can answer (the
   * offer is then declined). */
  gboolean (*file_offered) (XtlsSession *s, gpointer user_data);
  gssize (*file_read) (XtlsSession *s, guint8 *buf, gsize max, GError **error, gpointer user_data);
  gboolean (*file_store) (XtlsSession *s, const guint8 *data, gsize len, GError **error,
                          gpointer user_data);
  void (*file_progress) (XtlsSession *s, guint64 done, guint64 total, gpointer user_data);
  void (*file_ended) (XtlsSession *s, const GError *error, gpointer user_data);
  /* SOCKS5 bytestreams (XtlsHubNetOps). s5b_offer: our transport for an offer (@peer NULL;
   * NULL return: offer IBB) or for the answer to the peer's (@peer set; NULL: no candidates).
   * Transfer full. net_connect returns the connection's number, 0 if impossible. */
  XtlsS5bTransportWire *(*s5b_offer) (XtlsSession *s, const char *sid,
                                      const XtlsS5bTransportWire *peer, gpointer user_data);
  guint (*net_connect) (XtlsSession *s, const char *host, guint16 port, gpointer user_data);
  void (*net_write) (XtlsSession *s, guint conn, const guint8 *data, gsize len, gpointer user_data);
  void (*net_close) (XtlsSession *s, guint conn, gpointer user_data);
  /* XEP-0065 §6.3.5 <activate/> to @proxy_jid; its answer: xtls_session_s5b_activated(). */
  void (*send_activate) (XtlsSession *s, const char *proxy_jid, const char *sid, const char *target,
                         gpointer user_data);
} XtlsSessionHostOps;

typedef struct
{
  const char *own_jid; /* full JID */
  XtlsIdentity *identity;
  XtlsTrustStore *trust;
  const XtlsClock *clock;
  const XtlsHubConfig *config; /* defaults filled in */
  const XtlsSessionHostOps *ops;
  gpointer user_data;
} XtlsSessionHost;

char *xtls_bare_jid (const char *jid);

/* @host must outlive the session. */
XtlsSession *xtls_session_new (const XtlsSessionHost *host, const char *peer);
/* A file session: @send is the file we offer (copied; then call xtls_session_initiate), or
 * NULL for the responder (then xtls_session_handle_offer with the peer's file offer). */
XtlsSession *xtls_session_new_file (const XtlsSessionHost *host, const char *peer,
                                    const XtlsFileInfo *send);
void xtls_session_free (XtlsSession *session);
gboolean xtls_session_is_live (XtlsSession *session);
/* When the session ended (monotonic µs), 0 while it runs. */
gint64 xtls_session_ended_at (XtlsSession *session);
/* The session waits for its user (a dialog may be open). */
gboolean xtls_session_awaits_user (XtlsSession *session);
/* The initiator side: sends session-initiate. */
void xtls_session_initiate (XtlsSession *session);
/* A session-initiate from the peer; @session is new, or ours that lost the tie-break. */
void xtls_session_handle_offer (XtlsSession *session, const XtlsIq *iq);
/* Routing helpers: does this stanza belong to the session? */
gboolean xtls_session_matches_sid (XtlsSession *session, const char *sid);
gboolean xtls_session_matches_transport (XtlsSession *session, const char *transport_sid);
gboolean xtls_session_owns_iq (XtlsSession *session, const char *iq_id);
/* Our session-initiate is still unanswered by a session-accept (tie-break candidate). */
gboolean xtls_session_awaits_accept (XtlsSession *session);
const char *xtls_session_get_sid (XtlsSession *session);
const char *xtls_session_get_transport_sid (XtlsSession *session);
void xtls_session_handle_jingle (XtlsSession *session, const XtlsIq *iq);
void xtls_session_handle_ibb (XtlsSession *session, const XtlsIq *iq);
void xtls_session_handle_reply (XtlsSession *session, const XtlsIq *iq);
/* Fails the session with @error (transfer none), sending @reason if not NONE. */
void xtls_session_fail (XtlsSession *session, XtlsJingleReason reason, const GError *error);
/* Ends the session at once because the account goes away: a polite end without waiting for
 * acknowledgements; the session counts as FINISHED, not FAILED. */
void xtls_session_stop_now (XtlsSession *session);
gint64 xtls_session_next_deadline (XtlsSession *session);
void xtls_session_tick (XtlsSession *session, gint64 now);

/* SOCKS5 bytestreams: what the hub routes to the session that owns a connection. */
gboolean xtls_session_owns_conn (XtlsSession *session, guint conn);
void xtls_session_net_connected (XtlsSession *session, guint conn);
void xtls_session_net_receive (XtlsSession *session, guint conn, const guint8 *data, gsize len);
void xtls_session_net_drained (XtlsSession *session, guint conn);
void xtls_session_net_closed (XtlsSession *session, guint conn, const GError *error);
/* The DST.ADDR that reaches our candidates while they may still be used, else NULL. */
const char *xtls_session_s5b_dst_addr (XtlsSession *session);
/* An accepted connection asked for that DST.ADDR: see xtls_s5b_transport_adopt. */
gboolean xtls_session_s5b_adopt (XtlsSession *session, guint conn, XtlsS5bConn *s5b_conn);
/* The proxy answered our activation request (@error NULL: a result). */
void xtls_session_s5b_activated (XtlsSession *session, const GError *error);

/* For the full-stack tests only: writes raw bytes into the inner stream (through TLS), as a
 * hostile peer could. FALSE before the tunnel is up. */
gboolean xtls_session_write_inner_raw (XtlsSession *session, const char *data, gsize len);
