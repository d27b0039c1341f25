/* Inside one session: shared by session.c (life cycle, trust state, the layers, chat) and
 * session-file.c (the file-transfer application in place of chat). Fields belong to
 * session.c except what XtlsSessionFile holds, which is session-file.c's. */
#pragma once

#include "chat.h"
#include "negotiation.h"
#include "outer.h"
#include "security.h"
#include "session-private.h"

typedef struct _XtlsSessionFile XtlsSessionFile;

/* Never log message text, passwords or keys (STYLE.md habit 7). */
#define SLOG(s, fmt, ...)                                                                          \
  g_debug ("[%s %s] " fmt, xtls_session_log_id (s), xtls_trust_state_to_string ((s)->state),       \
           ##__VA_ARGS__)

typedef enum
{
  PHASE_IDLE,
  PHASE_ACTIVE, /* negotiating or running (the negotiation knows which step) */
  PHASE_ENDING, /* our end of the stream is closed; draining before terminate */
  PHASE_ENDED,
} Phase;

struct _XtlsSession
{
  const XtlsSessionHost *host; /* borrowed: the hub owns us */
  char *peer;                  /* owned, full JID */
  XtlsTrustState state;
  GError *error; /* owned: why we failed */
  Phase phase;
  gint64 ended_at; /* monotonic µs when the phase became ENDED */

  XtlsNegotiation *neg;  /* owned */
  XtlsSecurity *sec;     /* owned, once the transport is agreed */
  XtlsChat *chat;        /* owned until the end: it holds the messages that wait */
  char *tls_description; /* owned: "TLS1.3, AES-256-GCM" once the tunnel is proven */

  XtlsOuter *outer; /* owned: the IQs we sent and their ack deadlines */
  gint64 handshake_deadline;

  XtlsSessionFile *file; /* owned, file sessions only (session-file.c); then chat is NULL */
};

const char *xtls_session_log_id (XtlsSession *s);

/* session.c, for session-file.c */
/* Every end goes through here (once): deadlines off, layers released, state set. */
void xtls_session_end (XtlsSession *s, XtlsTrustState final, const GError *error);
/* The tunnel is up and proven: trust state, pins (no deadline runs any more). */
void xtls_session_go_live (XtlsSession *s);
/* A polite end with the tunnel up: close_notify, then once drained session-terminate
 * <success/>, IBB <close/>, FINISHED. */
void xtls_session_finish (XtlsSession *s);
/* Sends session-terminate @reason (NONE: nothing) and ends as @final with @error. */
void xtls_session_terminate (XtlsSession *s, XtlsJingleReason reason, XtlsTrustState final,
                             const GError *error);

/* session-file.c, for session.c */
/* @send: the file we offer (copied; the sender's engine is created at once), or NULL. */
XtlsSessionFile *xtls_session_file_new (XtlsSession *s, const XtlsFileInfo *send);
void xtls_session_file_free (XtlsSessionFile *file);
/* The file we offer, as a Jingle payload (transfer none), or NULL. */
const XtlsJingleFile *xtls_session_file_get_offer (XtlsSessionFile *file);
void xtls_session_file_established (XtlsSession *s);
void xtls_session_file_data (XtlsSession *s, const guint8 *data, gsize len);
void xtls_session_file_peer_closed (XtlsSession *s);
void xtls_session_file_drained (XtlsSession *s);
void xtls_session_file_terminated (XtlsSession *s, XtlsJingleReason reason, XtlsError code,
                                   const char *message);
/* The session ends (from xtls_session_end): the file ends with it, reported once. */
void xtls_session_file_session_ended (XtlsSession *s, XtlsTrustState final, const GError *error);
/* Local user: stop / cancel. */
void xtls_session_file_cancel (XtlsSession *s);
gint64 xtls_session_file_deadline (XtlsSession *s);
void xtls_session_file_tick (XtlsSession *s, gint64 now);
/* Negotiation reports for file sessions. */
void xtls_session_file_offered (XtlsSession *s, const XtlsJingleFile *file);
void xtls_session_file_checksum (XtlsSession *s, const guint8 *sha256);
void xtls_session_file_received (XtlsSession *s);
