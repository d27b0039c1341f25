/* The file-transfer application of a file session (XEP-0234 over the XTLS draft; issue 11), in
 * place of chat: the filexfer engine over the security layer, its ending and its waits. The
 * initiator sends (content senders='initiator'), the responder receives.
 *
 * A layer of its own, like chat.c: the session creates it and calls down into it; it reports
 * up only through XtlsFileAppOps (bytes and close_notify for the security layer, session-info
 * for the negotiation, the user's file, and how the session should end). It knows neither
 * Jingle negotiation nor TLS, and never reads the session.
 *
 * Ending (filexfer.h): the sender writes the announced size, sends a <checksum/> if the offer
 * had no hash, then close_notify. The receiver's engine checks size and hash once close_notify
 * (and the hash) arrived; on success the receiver sends <received/>, closes TLS and, once that
 * is acknowledged, session-terminate <success/> (the session's polite end). The sender counts
 * the file as delivered on <received/> (or <success/>). Any other end is a terminate with the
 * reason xtls_filexfer_get_end_reason() gives, and ops.file_ended reports why, once. */
#pragma once

#include <glib.h>

#include "clock.h"
#include "filexfer.h"
#include "jingle.h"
#include "session.h"
#include "xtls-error.h"

G_BEGIN_DECLS

typedef struct _XtlsFileApp XtlsFileApp;

typedef struct
{
  /* Down: file bytes for the security layer. FALSE if they could not be written. */
  gboolean (*write) (XtlsFileApp *app, const guint8 *data, gsize len, gpointer user_data);
  /* Down: close_notify (if the security layer exists). */
  void (*close) (XtlsFileApp *app, gpointer user_data);
  /* Down: session-info <checksum/> (XTLS_SHA256_LEN bytes) and <received/>. */
  void (*send_checksum) (XtlsFileApp *app, const guint8 *sha256, gpointer user_data);
  void (*send_received) (XtlsFileApp *app, gpointer user_data);
  /* Up: the user's file (XtlsHubOps.file_read, file_store, file_progress, file_ended).
   * file_ended comes once. */
  gssize (*read) (XtlsFileApp *app, guint8 *buf, gsize max, GError **error, gpointer user_data);
  gboolean (*store) (XtlsFileApp *app, const guint8 *data, gsize len, GError **error,
                     gpointer user_data);
  void (*progress) (XtlsFileApp *app, guint64 done, guint64 total, gpointer user_data);
  void (*file_ended) (XtlsFileApp *app, const GError *error, gpointer user_data);
  /* Up: the session should end now as @final (no terminate of ours). */
  void (*end) (XtlsFileApp *app, XtlsTrustState final, const GError *error, gpointer user_data);
  /* Up: the session should end politely (close_notify, then terminate <success/>). */
  void (*finish) (XtlsFileApp *app, gpointer user_data);
  /* Up: the session should send session-terminate @reason (NONE: none) and end as @final.
   * @reason CANCEL means the user's no (the session says <decline/> while at the offer). */
  void (*terminate) (XtlsFileApp *app, XtlsJingleReason reason, XtlsTrustState final,
                     const GError *error, gpointer user_data);
} XtlsFileAppOps;

typedef struct
{
  const char *peer_jid;   /* log id of the engine (copied) */
  const XtlsClock *clock; /* borrowed */
  gint64 handshake_timeout_us;
  gint64 ack_timeout_us;
} XtlsFileAppConfig;

/* @send: the file we offer (copied; the sender's engine is created at once), or NULL for the
 * receiver (then xtls_file_app_offered). */
XtlsFileApp *xtls_file_app_new (const XtlsFileAppConfig *config, const XtlsFileInfo *send,
                                const XtlsFileAppOps *ops, gpointer user_data);
void xtls_file_app_free (XtlsFileApp *app);

/* The file we offer, as a Jingle payload (transfer none), or NULL. */
const XtlsJingleFile *xtls_file_app_get_offer (XtlsFileApp *app);
/* Receiver: an admissible offer (@log_id: for the log). FALSE if one was offered already. */
gboolean xtls_file_app_offered (XtlsFileApp *app, const XtlsJingleFile *file, const char *log_id);

/* The tunnel is up and proven: the transfer starts. */
void xtls_file_app_start (XtlsFileApp *app);
/* Bytes from the security layer. */
void xtls_file_app_receive (XtlsFileApp *app, const guint8 *data, gsize len);
/* The peer's close_notify. */
void xtls_file_app_peer_closed (XtlsFileApp *app);
/* The layer below has drained: the sender writes on. */
void xtls_file_app_drained (XtlsFileApp *app);
/* Session-info from the peer: <checksum/> and <received/>. */
void xtls_file_app_checksum (XtlsFileApp *app, const guint8 *sha256);
void xtls_file_app_received (XtlsFileApp *app);
/* The peer's session-terminate with the tunnel up; @code/@message translate @reason. */
void xtls_file_app_terminated (XtlsFileApp *app, XtlsJingleReason reason, XtlsError code,
                               const char *message);
/* The session ends for a reason of its own: the file ends with it (@error: why, or NULL). No
 * ops but file_ended come after this. */
void xtls_file_app_session_ended (XtlsFileApp *app, const GError *error);
/* The transfer exists and is not over (a local cancel ends it through ops.terminate). */
gboolean xtls_file_app_running (XtlsFileApp *app);
/* The local user cancels the running transfer. */
void xtls_file_app_cancel (XtlsFileApp *app);

/* The application's deadline (monotonic µs), 0 if none; tick once it has passed. */
gint64 xtls_file_app_get_deadline (XtlsFileApp *app);
void xtls_file_app_tick (XtlsFileApp *app, gint64 now);

/* The file as offered (NULL before an offer), the bytes done, the engine's state. */
const XtlsFileInfo *xtls_file_app_get_info (XtlsFileApp *app);
guint64 xtls_file_app_get_done (XtlsFileApp *app);
XtlsFilexferState xtls_file_app_get_state (XtlsFileApp *app);

G_END_DECLS
