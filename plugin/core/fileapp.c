/* The file-transfer application of a file session (fileapp.h): the filexfer engine over the
 * security layer, wired the way the session wires chat, reporting up through XtlsFileAppOps. */
#include "fileapp.h"

#include <string.h>

struct _XtlsFileApp
{
  const XtlsFileAppOps *ops; /* borrowed */
  gpointer user_data;
  char *peer;             /* owned: the engine's log id */
  const XtlsClock *clock; /* borrowed */
  gint64 handshake_timeout_us;
  gint64 ack_timeout_us;

  XtlsFilexfer *ft;      /* owned: the sender's from the start, the receiver's once offered */
  XtlsJingleFile *offer; /* owned: what we offer (sender), NULL for the receiver */
  XtlsFileInfo info;     /* its strings point at the owned copies below */
  char *name;            /* owned */
  char *media_type;      /* owned */
  char *desc;            /* owned */
  gboolean reported;     /* file_ended was reported */
  gboolean peer_ended;   /* the peer sent session-terminate: send none back */
  gboolean session_ended;
  /* Receiver: no byte for handshake_timeout_us in mid-file, or the whole file arrived and its
   * hash did not yet (ack_timeout_us). Sender: every byte is out, the receiver's confirmation
   * is not (twice ack_timeout_us: it may be waiting for our checksum meanwhile). */
  gint64 deadline;
};

static gint64
now (XtlsFileApp *app)
{
  return xtls_clock_now (app->clock);
}

static void
set_info (XtlsFileApp *app, const char *name, guint64 size, const char *media_type,
          const char *desc, gboolean has_sha256, const guint8 *sha256)
{
  app->name = g_strdup (name);
  app->media_type = g_strdup (media_type);
  app->desc = g_strdup (desc);
  app->info = (XtlsFileInfo){
    .name = app->name,
    .size = size,
    .media_type = app->media_type,
    .desc = app->desc,
    .has_sha256 = has_sha256,
  };
  if (has_sha256)
    memcpy (app->info.sha256, sha256, XTLS_SHA256_LEN);
}

/* ---- the engine's ops --------------------------------------------------------------------- */

static gssize
ft_read (XtlsFilexfer *ft, guint8 *buf, gsize max, GError **error, gpointer user_data)
{
  XtlsFileApp *app = user_data;

  return app->ops->read (app, buf, max, error, app->user_data);
}

static gboolean
ft_write (XtlsFilexfer *ft, const guint8 *data, gsize len, gpointer user_data)
{
  XtlsFileApp *app = user_data;

  return app->ops->write (app, data, len, app->user_data);
}

/* Every byte is written. The checksum goes first, so that the receiver usually has it when
 * close_notify ends the file and need not wait (XEP-0234 §8.1). */
static void
ft_close (XtlsFilexfer *ft, gpointer user_data)
{
  XtlsFileApp *app = user_data;

  if (!app->info.has_sha256)
    app->ops->send_checksum (app, xtls_filexfer_get_digest (ft), app->user_data);
  app->ops->close (app, app->user_data);
  app->deadline = now (app) + 2 * app->ack_timeout_us;
}

static gboolean
ft_store (XtlsFilexfer *ft, const guint8 *data, gsize len, GError **error, gpointer user_data)
{
  XtlsFileApp *app = user_data;

  return app->ops->store (app, data, len, error, app->user_data);
}

static void
ft_progress (XtlsFilexfer *ft, guint64 done, guint64 total, gpointer user_data)
{
  XtlsFileApp *app = user_data;

  app->ops->progress (app, done, total, app->user_data);
}

static void
ft_ended (XtlsFilexfer *ft, XtlsFilexferState state, const GError *error, gpointer user_data)
{
  XtlsFileApp *app = user_data;
  XtlsJingleReason reason;

  app->deadline = 0;
  if (!app->reported)
    {
      app->reported = TRUE;
      app->ops->file_ended (app, error, app->user_data);
    }
  if (app->session_ended)
    return; /* the session ended first and ended the file with it */

  reason = app->peer_ended ? XTLS_REASON_NONE : xtls_filexfer_get_end_reason (ft);
  if (reason != XTLS_REASON_NONE && g_error_matches (error, XTLS_ERROR, XTLS_ERROR_TIMEOUT))
    reason = XTLS_REASON_TIMEOUT;
  switch (state)
    {
      case XTLS_FILEXFER_STATE_COMPLETE:
        if (xtls_filexfer_is_sender (ft))
          app->ops->end (app, XTLS_STATE_FINISHED, NULL, app->user_data);
        else
          {
            app->ops->send_received (app, app->user_data);
            app->ops->finish (app, app->user_data);
          }
        break;
      case XTLS_FILEXFER_STATE_CANCELLED:
        app->ops->terminate (app, reason, XTLS_STATE_FINISHED, error, app->user_data);
        break;
      case XTLS_FILEXFER_STATE_FAILED:
        app->ops->terminate (app, reason, XTLS_STATE_FAILED, error, app->user_data);
        break;
      case XTLS_FILEXFER_STATE_WAITING:
      case XTLS_FILEXFER_STATE_TRANSFERRING:
      case XTLS_FILEXFER_STATE_FINISHING:
        g_assert_not_reached ();
    }
}

static const XtlsFilexferOps ft_ops = {
  .read = ft_read,
  .write = ft_write,
  .close = ft_close,
  .store = ft_store,
  .progress = ft_progress,
  .ended = ft_ended,
};

static XtlsFilexfer *
new_engine (XtlsFileApp *app, gboolean sender)
{
  XtlsFilexferConfig config = {
    .size = app->info.size,
    .sha256 = app->info.has_sha256 ? app->info.sha256 : NULL,
  };

  return sender ? xtls_filexfer_new_sender (&config, app->peer, &ft_ops, app)
                : xtls_filexfer_new_receiver (&config, app->peer, &ft_ops, app);
}

/* ---- life cycle --------------------------------------------------------------------------- */

XtlsFileApp *
xtls_file_app_new (const XtlsFileAppConfig *config, const XtlsFileInfo *send,
                   const XtlsFileAppOps *ops, gpointer user_data)
{
  XtlsFileApp *app = g_new0 (XtlsFileApp, 1);

  app->ops = ops;
  app->user_data = user_data;
  app->peer = g_strdup (config->peer_jid);
  app->clock = config->clock;
  app->handshake_timeout_us = config->handshake_timeout_us;
  app->ack_timeout_us = config->ack_timeout_us;
  if (send == NULL)
    return app;
  set_info (app, send->name, send->size, send->media_type, send->desc, send->has_sha256,
            send->sha256);
  app->offer = g_new0 (XtlsJingleFile, 1);
  app->offer->name = g_strdup (send->name);
  app->offer->has_size = TRUE;
  app->offer->size = send->size;
  app->offer->media_type = g_strdup (send->media_type);
  app->offer->desc = g_strdup (send->desc);
  app->offer->has_sha256 = send->has_sha256;
  memcpy (app->offer->sha256, send->sha256, XTLS_SHA256_LEN);
  app->ft = new_engine (app, TRUE);
  return app;
}

void
xtls_file_app_free (XtlsFileApp *app)
{
  if (app == NULL)
    return;
  xtls_filexfer_free (app->ft);
  xtls_jingle_file_free (app->offer);
  g_free (app->peer);
  g_free (app->name);
  g_free (app->media_type);
  g_free (app->desc);
  g_free (app);
}

const XtlsJingleFile *
xtls_file_app_get_offer (XtlsFileApp *app)
{
  return app->offer;
}

/* Receiver: an admissible offer. Nothing is asked about keys before the user wants the file. */
gboolean
xtls_file_app_offered (XtlsFileApp *app, const XtlsJingleFile *file, const char *log_id)
{
  g_autofree char *safe = xtls_jingle_file_safe_name (file->name);

  if (app->ft != NULL)
    return FALSE;
  set_info (app, safe, file->size, file->media_type, file->desc, file->has_sha256, file->sha256);
  app->ft = new_engine (app, FALSE);
  g_debug ("[%s file] offered %" G_GUINT64_FORMAT " bytes (%s hash)", log_id, file->size,
           file->has_sha256 ? "with" : "without");
  return TRUE;
}

/* ---- what the session hands us ------------------------------------------------------------ */

/* Receiver: a sender that stops sending in mid-file (vanished without a presence update, or
 * its end never arrived) must not hold the transfer open for ever; nothing of ours waits for
 * an answer meanwhile, so no ack deadline would notice. */
static void
arm_stall_deadline (XtlsFileApp *app)
{
  XtlsFilexfer *ft = app->ft;

  if (ft != NULL && !xtls_filexfer_is_sender (ft)
      && xtls_filexfer_get_state (ft) == XTLS_FILEXFER_STATE_TRANSFERRING)
    app->deadline = now (app) + app->handshake_timeout_us;
}

void
xtls_file_app_start (XtlsFileApp *app)
{
  if (app->ft == NULL)
    return;
  xtls_filexfer_start (app->ft);
  arm_stall_deadline (app);
}

void
xtls_file_app_receive (XtlsFileApp *app, const guint8 *data, gsize len)
{
  XtlsFilexfer *ft = app->ft;

  if (ft == NULL)
    return;
  if (xtls_filexfer_is_sender (ft))
    {
      /* senders='initiator': the receiver has nothing to send inside the tunnel. */
      g_autoptr (GError) error = g_error_new_literal (
          XTLS_FILEXFER_ERROR, XTLS_FILEXFER_ERROR_TOO_LONG, "the receiver sent file data");
      xtls_filexfer_fail (ft, error);
      return;
    }
  xtls_filexfer_receive (ft, data, len);
  arm_stall_deadline (app);
}

void
xtls_file_app_peer_closed (XtlsFileApp *app)
{
  if (app->ft == NULL)
    return;
  xtls_filexfer_peer_closed (app->ft);
  if (xtls_filexfer_is_sender (app->ft))
    return; /* the receiver's answer to ours: its confirmation is still bounded */
  app->deadline = 0;
  /* The whole file is here but not its hash: bound the wait for the <checksum/>. */
  if (!xtls_filexfer_is_sender (app->ft)
      && xtls_filexfer_get_state (app->ft) == XTLS_FILEXFER_STATE_FINISHING)
    app->deadline = now (app) + app->ack_timeout_us;
}

void
xtls_file_app_drained (XtlsFileApp *app)
{
  if (app->ft != NULL && xtls_filexfer_is_sender (app->ft))
    xtls_filexfer_writable (app->ft);
}

void
xtls_file_app_checksum (XtlsFileApp *app, const guint8 *sha256)
{
  if (app->ft != NULL && !xtls_filexfer_is_sender (app->ft))
    xtls_filexfer_set_expected_hash (app->ft, sha256);
}

void
xtls_file_app_received (XtlsFileApp *app)
{
  if (app->ft != NULL && xtls_filexfer_is_sender (app->ft))
    xtls_filexfer_confirmed (app->ft);
}

/* The peer's session-terminate with the tunnel up. XEP-0234 ends a transfer this way, so it
 * is not "interference" as for chat; but it is outer and unauthenticated, so <success/> only
 * confirms a file whose bytes all went through the tunnel. */
void
xtls_file_app_terminated (XtlsFileApp *app, XtlsJingleReason reason, XtlsError code,
                          const char *message)
{
  XtlsFilexfer *ft = app->ft;
  g_autoptr (GError) error = NULL;

  /* It may be forged: close the tunnel from inside too, so that the real peer learns
   * authentically that the transfer is over (PROTOCOL.md §6, as for chat). */
  app->ops->close (app, app->user_data);
  app->peer_ended = TRUE;
  if (ft == NULL || xtls_filexfer_get_state (ft) >= XTLS_FILEXFER_STATE_COMPLETE)
    {
      app->ops->end (app, XTLS_STATE_FINISHED, NULL, app->user_data);
      return;
    }
  switch (reason)
    {
      case XTLS_REASON_SUCCESS:
        if (xtls_filexfer_is_sender (ft))
          xtls_filexfer_confirmed (ft);
        if (xtls_filexfer_get_state (ft) < XTLS_FILEXFER_STATE_COMPLETE)
          {
            /* Not a real end of this transfer: the real peer may still be in it, so it gets
             * a terminate of ours (the close_notify above may sit behind queued data). */
            app->peer_ended = FALSE;
            error = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_INTERRUPTED,
                                         "the transfer was ended from outside the tunnel");
          }
        break;
      case XTLS_REASON_DECLINE:
      case XTLS_REASON_CANCEL:
      case XTLS_REASON_BUSY:
        xtls_filexfer_peer_cancelled (ft);
        break;
      case XTLS_REASON_FAILED_APPLICATION:
        error = g_error_new_literal (
            XTLS_ERROR, XTLS_ERROR_PROTOCOL,
            xtls_filexfer_is_sender (ft)
                ? "the receiver could not take the file: it did not arrive intact, or could not "
                  "be stored"
                : "the sender could not send the whole file");
        break;
      default:
        error = g_error_new_literal (XTLS_ERROR, code, message);
        break;
    }
  if (error != NULL)
    xtls_filexfer_fail (ft, error);
  /* The session ignores this if the file's end already ended it. */
  app->ops->end (app, XTLS_STATE_FINISHED, NULL, app->user_data);
}

/* The session ends for a reason of its own (negotiation, deadline, decline, account gone):
 * the file ends with it, and file_ended says why. */
void
xtls_file_app_session_ended (XtlsFileApp *app, const GError *error)
{
  XtlsFilexfer *ft = app->ft;

  app->session_ended = TRUE;
  app->deadline = 0;
  if (ft == NULL || xtls_filexfer_get_state (ft) >= XTLS_FILEXFER_STATE_COMPLETE)
    return;
  if (error == NULL || g_error_matches (error, XTLS_ERROR, XTLS_ERROR_DECLINED))
    xtls_filexfer_peer_cancelled (ft);
  else if (g_error_matches (error, XTLS_ERROR, XTLS_ERROR_CANCELLED))
    xtls_filexfer_cancel (ft);
  else
    xtls_filexfer_fail (ft, error);
}

gboolean
xtls_file_app_running (XtlsFileApp *app)
{
  return app->ft != NULL && xtls_filexfer_get_state (app->ft) < XTLS_FILEXFER_STATE_COMPLETE;
}

void
xtls_file_app_cancel (XtlsFileApp *app)
{
  if (xtls_file_app_running (app))
    xtls_filexfer_cancel (app->ft); /* ft_ended asks for the terminate */
}

gint64
xtls_file_app_get_deadline (XtlsFileApp *app)
{
  return app->deadline;
}

void
xtls_file_app_tick (XtlsFileApp *app, gint64 t)
{
  g_autoptr (GError) error = NULL;

  if (app->deadline == 0 || app->deadline > t || app->ft == NULL)
    return;
  app->deadline = 0;
  if (xtls_filexfer_is_sender (app->ft))
    error = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_TIMEOUT,
                                 "the receiver did not confirm the file in time");
  else if (xtls_filexfer_get_state (app->ft) == XTLS_FILEXFER_STATE_TRANSFERRING)
    error = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_TIMEOUT,
                                 "the sender stopped sending the file");
  else
    error = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_TIMEOUT,
                                 "the sender did not send the file's checksum in time");
  xtls_filexfer_fail (app->ft, error);
}

/* ---- accessors ---------------------------------------------------------------------------- */

const XtlsFileInfo *
xtls_file_app_get_info (XtlsFileApp *app)
{
  return app->name != NULL ? &app->info : NULL;
}

guint64
xtls_file_app_get_done (XtlsFileApp *app)
{
  return app->ft != NULL ? xtls_filexfer_get_done (app->ft) : 0;
}

XtlsFilexferState
xtls_file_app_get_state (XtlsFileApp *app)
{
  return app->ft != NULL ? xtls_filexfer_get_state (app->ft) : XTLS_FILEXFER_STATE_WAITING;
}
