/* The file-transfer application of a session (XEP-0234 over the XTLS draft; issue 11), in
 * place of chat: the filexfer engine over the security layer, wired the way session.c wires
 * chat. The initiator sends (content senders='initiator'), the responder receives.
 *
 * Ending (filexfer.h): the sender writes the announced size, sends a <checksum/> if the offer
 * had no hash, then close_notify. The receiver's engine checks size and hash once close_notify
 * (and the hash) arrived; on success the receiver sends <received/>, closes TLS and, once that
 * is acknowledged, session-terminate <success/> (session.c's polite end). The sender counts
 * the file as delivered on <received/> (or <success/>). Any other end is a terminate with the
 * reason xtls_filexfer_get_end_reason() gives, and file_ended reports why, once. */
#include "session-impl.h"

#include <string.h>

#include "xtls-error.h"

#define FSLOG(s, fmt, ...) g_debug ("[%s file] " fmt, xtls_session_log_id (s), ##__VA_ARGS__)

struct _XtlsSessionFile
{
  XtlsFilexfer *ft;      /* owned: the sender's from the start, the receiver's once offered */
  XtlsJingleFile *offer; /* owned: what we offer (sender), NULL for the receiver */
  XtlsFileInfo info;     /* its strings point at the owned copies below */
  char *name;            /* owned */
  char *media_type;      /* owned */
  char *desc;            /* owned */
  gboolean reported;     /* file_ended was reported */
  gboolean peer_ended;   /* the peer sent session-terminate: send none back */
  /* Receiver: no byte for handshake_timeout_us in mid-file, or the whole file arrived and its
   * hash did not yet (ack_timeout_us). Sender: every byte is out, the receiver's confirmation
   * is not (twice ack_timeout_us: it may be waiting for our checksum meanwhile). */
  gint64 deadline;
};

static void
set_info (XtlsSessionFile *f, const char *name, guint64 size, const char *media_type,
          const char *desc, gboolean has_sha256, const guint8 *sha256)
{
  f->name = g_strdup (name);
  f->media_type = g_strdup (media_type);
  f->desc = g_strdup (desc);
  f->info = (XtlsFileInfo){
    .name = f->name,
    .size = size,
    .media_type = f->media_type,
    .desc = f->desc,
    .has_sha256 = has_sha256,
  };
  if (has_sha256)
    memcpy (f->info.sha256, sha256, XTLS_SHA256_LEN);
}

/* ---- the engine's ops --------------------------------------------------------------------- */

static gssize
ft_read (XtlsFilexfer *ft, guint8 *buf, gsize max, GError **error, gpointer user_data)
{
  XtlsSession *s = user_data;

  return s->host->ops->file_read (s, buf, max, error, s->host->user_data);
}

static gboolean
ft_write (XtlsFilexfer *ft, const guint8 *data, gsize len, gpointer user_data)
{
  XtlsSession *s = user_data;

  return s->sec != NULL && xtls_security_send (s->sec, data, len, NULL);
}

/* Every byte is written. The checksum goes first, so that the receiver usually has it when
 * close_notify ends the file and need not wait (XEP-0234 §8.1). */
static void
ft_close (XtlsFilexfer *ft, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (!s->file->info.has_sha256)
    xtls_negotiation_send_checksum (s->neg, xtls_filexfer_get_digest (ft));
  if (s->sec != NULL)
    xtls_security_close (s->sec);
  s->file->deadline = xtls_clock_now (s->host->clock) + 2 * s->host->config->ack_timeout_us;
}

static gboolean
ft_store (XtlsFilexfer *ft, const guint8 *data, gsize len, GError **error, gpointer user_data)
{
  XtlsSession *s = user_data;

  return s->host->ops->file_store (s, data, len, error, s->host->user_data);
}

static void
ft_progress (XtlsFilexfer *ft, guint64 done, guint64 total, gpointer user_data)
{
  XtlsSession *s = user_data;

  s->host->ops->file_progress (s, done, total, s->host->user_data);
}

static void
ft_ended (XtlsFilexfer *ft, XtlsFilexferState state, const GError *error, gpointer user_data)
{
  XtlsSession *s = user_data;
  XtlsSessionFile *f = s->file;
  XtlsJingleReason reason;

  f->deadline = 0;
  if (!f->reported)
    {
      f->reported = TRUE;
      s->host->ops->file_ended (s, error, s->host->user_data);
    }
  if (s->phase == PHASE_ENDED)
    return; /* the session ended first and ended the file with it */

  reason = f->peer_ended ? XTLS_REASON_NONE : xtls_filexfer_get_end_reason (ft);
  if (reason != XTLS_REASON_NONE && g_error_matches (error, XTLS_ERROR, XTLS_ERROR_TIMEOUT))
    reason = XTLS_REASON_TIMEOUT;
  if (reason == XTLS_REASON_CANCEL && xtls_negotiation_at_offer (s->neg))
    reason = XTLS_REASON_DECLINE; /* XEP-0234 §3: the user said no to the offer */
  switch (state)
    {
      case XTLS_FILEXFER_STATE_COMPLETE:
        if (xtls_filexfer_is_sender (ft))
          xtls_session_end (s, XTLS_STATE_FINISHED, NULL);
        else
          {
            xtls_negotiation_send_received (s->neg);
            xtls_session_finish (s);
          }
        break;
      case XTLS_FILEXFER_STATE_CANCELLED:
        xtls_session_terminate (s, reason, XTLS_STATE_FINISHED, error);
        break;
      case XTLS_FILEXFER_STATE_FAILED:
        xtls_session_terminate (s, reason, XTLS_STATE_FAILED, error);
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
new_engine (XtlsSession *s, gboolean sender)
{
  XtlsFilexferConfig config = {
    .size = s->file->info.size,
    .sha256 = s->file->info.has_sha256 ? s->file->info.sha256 : NULL,
  };

  return sender ? xtls_filexfer_new_sender (&config, s->peer, &ft_ops, s)
                : xtls_filexfer_new_receiver (&config, s->peer, &ft_ops, s);
}

/* ---- what session.c hands us -------------------------------------------------------------- */

XtlsSessionFile *
xtls_session_file_new (XtlsSession *s, const XtlsFileInfo *send)
{
  XtlsSessionFile *f = g_new0 (XtlsSessionFile, 1);

  s->file = f;
  if (send == NULL)
    return f;
  set_info (f, send->name, send->size, send->media_type, send->desc, send->has_sha256,
            send->sha256);
  f->offer = g_new0 (XtlsJingleFile, 1);
  f->offer->name = g_strdup (send->name);
  f->offer->has_size = TRUE;
  f->offer->size = send->size;
  f->offer->media_type = g_strdup (send->media_type);
  f->offer->desc = g_strdup (send->desc);
  f->offer->has_sha256 = send->has_sha256;
  memcpy (f->offer->sha256, send->sha256, XTLS_SHA256_LEN);
  f->ft = new_engine (s, TRUE);
  return f;
}

void
xtls_session_file_free (XtlsSessionFile *f)
{
  if (f == NULL)
    return;
  xtls_filexfer_free (f->ft);
  xtls_jingle_file_free (f->offer);
  g_free (f->name);
  g_free (f->media_type);
  g_free (f->desc);
  g_free (f);
}

const XtlsJingleFile *
xtls_session_file_get_offer (XtlsSessionFile *f)
{
  return f->offer;
}

/* Responder: an admissible offer. Nothing is asked about keys before the user wants the file. */
void
xtls_session_file_offered (XtlsSession *s, const XtlsJingleFile *file)
{
  XtlsSessionFile *f = s->file;
  g_autofree char *safe = xtls_jingle_file_safe_name (file->name);

  if (f->ft != NULL)
    return;
  set_info (f, safe, file->size, file->media_type, file->desc, file->has_sha256, file->sha256);
  f->ft = new_engine (s, FALSE);
  FSLOG (s, "offered %" G_GUINT64_FORMAT " bytes (%s hash)", file->size,
         file->has_sha256 ? "with" : "without");
  if (!s->host->ops->file_offered (s, s->host->user_data)
      && xtls_negotiation_awaits_file_answer (s->neg))
    xtls_session_file_cancel (s); /* no UI: declined */
}

/* Receiver: a sender that stops sending in mid-file (vanished without a presence update, or
 * its end never arrived) must not hold the transfer open for ever; nothing of ours waits for
 * an answer meanwhile, so no ack deadline would notice. */
static void
arm_stall_deadline (XtlsSession *s)
{
  XtlsFilexfer *ft = s->file->ft;

  if (ft != NULL && !xtls_filexfer_is_sender (ft)
      && xtls_filexfer_get_state (ft) == XTLS_FILEXFER_STATE_TRANSFERRING)
    s->file->deadline = xtls_clock_now (s->host->clock) + s->host->config->handshake_timeout_us;
}

void
xtls_session_file_established (XtlsSession *s)
{
  xtls_session_go_live (s);
  if (s->phase == PHASE_ACTIVE && s->file->ft != NULL)
    {
      xtls_filexfer_start (s->file->ft);
      arm_stall_deadline (s);
    }
}

void
xtls_session_file_data (XtlsSession *s, const guint8 *data, gsize len)
{
  XtlsFilexfer *ft = s->file->ft;

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
  arm_stall_deadline (s);
}

void
xtls_session_file_peer_closed (XtlsSession *s)
{
  XtlsSessionFile *f = s->file;

  if (f->ft == NULL)
    return;
  xtls_filexfer_peer_closed (f->ft);
  if (xtls_filexfer_is_sender (f->ft))
    return; /* the receiver's answer to ours: its confirmation is still bounded */
  f->deadline = 0;
  /* The whole file is here but not its hash: bound the wait for the <checksum/>. */
  if (!xtls_filexfer_is_sender (f->ft)
      && xtls_filexfer_get_state (f->ft) == XTLS_FILEXFER_STATE_FINISHING)
    f->deadline = xtls_clock_now (s->host->clock) + s->host->config->ack_timeout_us;
}

void
xtls_session_file_drained (XtlsSession *s)
{
  if (s->file->ft != NULL && xtls_filexfer_is_sender (s->file->ft))
    xtls_filexfer_writable (s->file->ft);
}

void
xtls_session_file_checksum (XtlsSession *s, const guint8 *sha256)
{
  if (s->file->ft != NULL && !xtls_filexfer_is_sender (s->file->ft))
    xtls_filexfer_set_expected_hash (s->file->ft, sha256);
}

void
xtls_session_file_received (XtlsSession *s)
{
  if (s->file->ft != NULL && xtls_filexfer_is_sender (s->file->ft))
    xtls_filexfer_confirmed (s->file->ft);
}

/* The peer's session-terminate with the tunnel up. XEP-0234 ends a transfer this way, so it
 * is not "interference" as for chat; but it is outer and unauthenticated, so <success/> only
 * confirms a file whose bytes all went through the tunnel. */
void
xtls_session_file_terminated (XtlsSession *s, XtlsJingleReason reason, XtlsError code,
                              const char *message)
{
  XtlsSessionFile *f = s->file;
  XtlsFilexfer *ft = f->ft;
  g_autoptr (GError) error = NULL;

  /* It may be forged: close the tunnel from inside too, so that the real peer learns
   * authentically that the transfer is over (PROTOCOL.md §6, as for chat). */
  if (s->sec != NULL)
    xtls_security_close (s->sec);
  f->peer_ended = TRUE;
  if (ft == NULL || xtls_filexfer_get_state (ft) >= XTLS_FILEXFER_STATE_COMPLETE)
    {
      xtls_session_end (s, XTLS_STATE_FINISHED, NULL);
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
            f->peer_ended = FALSE;
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
  if (s->phase != PHASE_ENDED)
    xtls_session_end (s, XTLS_STATE_FINISHED, NULL);
}

/* The session ends for a reason of its own (negotiation, deadline, decline, account gone):
 * the file ends with it, and file_ended says why. */
void
xtls_session_file_session_ended (XtlsSession *s, XtlsTrustState final, const GError *error)
{
  XtlsFilexfer *ft = s->file->ft;

  s->file->deadline = 0;
  if (ft == NULL || xtls_filexfer_get_state (ft) >= XTLS_FILEXFER_STATE_COMPLETE)
    return;
  if (error == NULL || g_error_matches (error, XTLS_ERROR, XTLS_ERROR_DECLINED))
    xtls_filexfer_peer_cancelled (ft);
  else if (g_error_matches (error, XTLS_ERROR, XTLS_ERROR_CANCELLED))
    xtls_filexfer_cancel (ft);
  else
    xtls_filexfer_fail (ft, error);
}

void
xtls_session_file_cancel (XtlsSession *s)
{
  XtlsFilexfer *ft = s->file->ft;
  g_autoptr (GError) error = NULL;

  if (!xtls_session_is_live (s))
    return;
  if (ft != NULL && xtls_filexfer_get_state (ft) < XTLS_FILEXFER_STATE_COMPLETE)
    {
      xtls_negotiation_accept_file (s->neg, FALSE);
      xtls_filexfer_cancel (ft); /* ft_ended terminates the session */
      return;
    }
  error = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_CANCELLED, "cancelled by the user");
  xtls_session_terminate (s, XTLS_REASON_CANCEL, XTLS_STATE_FINISHED, error);
}

gint64
xtls_session_file_deadline (XtlsSession *s)
{
  return s->file->deadline;
}

void
xtls_session_file_tick (XtlsSession *s, gint64 now)
{
  XtlsSessionFile *f = s->file;
  g_autoptr (GError) error = NULL;

  if (f->deadline == 0 || f->deadline > now || f->ft == NULL)
    return;
  f->deadline = 0;
  if (xtls_filexfer_is_sender (f->ft))
    error = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_TIMEOUT,
                                 "the receiver did not confirm the file in time");
  else if (xtls_filexfer_get_state (f->ft) == XTLS_FILEXFER_STATE_TRANSFERRING)
    error = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_TIMEOUT,
                                 "the sender stopped sending the file");
  else
    error = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_TIMEOUT,
                                 "the sender did not send the file's checksum in time");
  xtls_filexfer_fail (f->ft, error);
}

/* ---- public API ----------------------------------------------------------------------------- */

gboolean
xtls_session_is_file (XtlsSession *s)
{
  g_return_val_if_fail (s != NULL, FALSE);
  return s->file != NULL;
}

const XtlsFileInfo *
xtls_session_get_file (XtlsSession *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  return s->file != NULL && s->file->name != NULL ? &s->file->info : NULL;
}

void
xtls_session_accept_file (XtlsSession *s, gboolean accept)
{
  g_return_if_fail (s != NULL && s->file != NULL);

  if (!xtls_session_is_live (s) || !xtls_negotiation_awaits_file_answer (s->neg))
    return;
  s->host->ops->enter (s->host->user_data);
  if (accept)
    xtls_negotiation_accept_file (s->neg, TRUE);
  else
    xtls_session_file_cancel (s);
  s->host->ops->leave (s->host->user_data);
}

void
xtls_session_cancel_file (XtlsSession *s)
{
  g_return_if_fail (s != NULL && s->file != NULL);

  s->host->ops->enter (s->host->user_data);
  xtls_session_file_cancel (s);
  s->host->ops->leave (s->host->user_data);
}

guint64
xtls_session_get_file_done (XtlsSession *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->file != NULL && s->file->ft != NULL ? xtls_filexfer_get_done (s->file->ft) : 0;
}

XtlsFilexferState
xtls_session_get_file_state (XtlsSession *s)
{
  g_return_val_if_fail (s != NULL, XTLS_FILEXFER_STATE_FAILED);
  return s->file != NULL && s->file->ft != NULL ? xtls_filexfer_get_state (s->file->ft)
                                                : XTLS_FILEXFER_STATE_WAITING;
}
