/* Between hub.c (routing, tie-break, deadlines) and session.c (one peer's state machine). */
#pragma once

#include "session.h"
#include "wire.h"

struct _XtlsHub
{
  char *own_jid;          /* owned, full JID */
  char *own_bare;         /* owned */
  XtlsIdentity *identity; /* ref */
  XtlsTrustStore *trust;  /* borrowed */
  const XtlsClock *clock; /* borrowed */
  XtlsHubConfig config;   /* defaults filled in */
  const XtlsHubOps *ops;  /* borrowed */
  gpointer user_data;
  GHashTable *sessions; /* peer full JID (the session's string) -> owned XtlsSession */
  double offer_tokens;  /* token bucket for incoming offers */
  gint64 offer_refilled;
  GPtrArray *graveyard; /* owned: objects whose free waits until no callback runs */
  guint depth;          /* nesting of public entry points */
  guint64 next_iq;
  guint64 next_message_id;
};

/* Bracket every public entry point so that nothing is freed while a callback may still use it. */
void xtls_hub_enter (XtlsHub *hub);
void xtls_hub_leave (XtlsHub *hub);
/* Frees @object with @free_func once the outermost entry point returns. */
void xtls_hub_bury (XtlsHub *hub, gpointer object, GDestroyNotify free_func);
void xtls_hub_send (XtlsHub *hub, const char *xml);
/* A fresh IQ id; every id the core sends starts with "xtls". Transfer full. */
char *xtls_hub_make_iq_id (XtlsHub *hub);
char *xtls_bare_jid (const char *jid);

XtlsSession *xtls_session_new (XtlsHub *hub, const char *peer);
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
void xtls_session_handle_jingle (XtlsSession *session, const XtlsIq *iq);
void xtls_session_handle_ibb (XtlsSession *session, const XtlsIq *iq);
void xtls_session_handle_reply (XtlsSession *session, const XtlsIq *iq);
/* Fails the session with @error (transfer none), sending @reason if not NONE. */
void xtls_session_fail (XtlsSession *session, XtlsJingleReason reason, const GError *error);
/* Ends the session at once because the account goes away: a polite end without waiting for
 * acknowledgements; the session counts as FINISHED, not FAILED. */
void xtls_session_stop_now (XtlsSession *session);
/* Hands the unsent messages of @from over to @to (tie-break loser, restarted peer). */
void xtls_session_take_outbox (XtlsSession *to, XtlsSession *from);
gint64 xtls_session_next_deadline (XtlsSession *session);
void xtls_session_tick (XtlsSession *session, gint64 now);

/* For the full-stack tests only: writes raw bytes into the inner stream (through TLS), as a
 * hostile peer could. FALSE before the tunnel is up. */
gboolean xtls_session_write_inner_raw (XtlsSession *session, const char *data, gsize len);
