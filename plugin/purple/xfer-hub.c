/* Encrypted file transfer, the core's side (issue 11): the XtlsHubOps file callbacks and the
 * file sessions' key decisions, turned into what libpurple's transfer shows (xfer.c owns the
 * PurpleXfer side and explains the design). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "xfer-private.h"

/* ---- sentences ------------------------------------------------------------------------ */

static const char *
describe_failure (const GError *error, gboolean receiving)
{
  if (error == NULL)
    return "";
  if (error->domain == XTLS_FILEXFER_ERROR)
    switch ((XtlsFilexferError)error->code)
      {
        case XTLS_FILEXFER_ERROR_HASH_MISMATCH:
        case XTLS_FILEXFER_ERROR_HASH_CONFLICT:
          /* Translators: this and the next sentences say why an encrypted file transfer
           * failed; they follow "The encrypted transfer of <file> failed:" */
          return _ ("the received bytes are not the file that was announced (checksum "
                    "mismatch). The partial file was deleted.");
        case XTLS_FILEXFER_ERROR_TOO_LONG:
          return _ ("the other side sent more than the announced size. The partial file was "
                    "deleted.");
        case XTLS_FILEXFER_ERROR_TRUNCATED:
          return _ ("the other side stopped before the end of the file. The partial file was "
                    "deleted.");
        case XTLS_FILEXFER_ERROR_SOURCE_CHANGED:
          return _ ("the file changed on disk while it was being sent.");
        case XTLS_FILEXFER_ERROR_TUNNEL:
          return _ ("the encrypted connection closed before the end of the file.");
        case XTLS_FILEXFER_ERROR_CANCELLED:
          return _ ("you cancelled it.");
        case XTLS_FILEXFER_ERROR_PEER_CANCELLED:
          return _ ("your contact cancelled or declined it.");
      }
  /* <failed-application/> from the peer (or another error end): XEP-0234 says no more. */
  if (g_error_matches (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL))
    return receiving ? _ ("the sender's client ended it with an error before the whole file was "
                          "sent. A partial file is deleted.")
                     : _ ("your contact's client ended it with an error: the file did not arrive "
                          "intact there, or could not be stored.");
  if (g_error_matches (error, XTLS_ERROR, XTLS_ERROR_PEER_GONE))
    return _ ("your contact went offline. A partial file is deleted.");
  if (g_error_matches (error, XTLS_ERROR, XTLS_ERROR_TIMEOUT))
    return _ ("your contact stopped answering. A partial file is deleted.");
  if (error->domain == XTLS_ERROR)
    return xtls_error_describe (error);
  /* The glue's own errors: reading the file, or writing it (e.g. the disk is full). */
  return error->message;
}

/* ---- the core's callbacks ------------------------------------------------------------- */

/* How far the receiver can trust who sends this, before the tunnel proves it: the announced
 * key against the verified one (the handshake then checks the announcement). @changed is set
 * when a verified contact announces another key: that offer is refused, as a chat would be. */
static const char *
trust_of_offer (XtlsAccount *xa, XtlsSession *s, const char *bare, gboolean *known,
                gboolean *changed)
{
  const char *announced = xtls_session_get_peer_fingerprint (s);
  const char *pinned = xtls_trust_store_lookup (xa->trust, bare);
  XtlsContact *c = xtls_contact_find (xa, bare);
  XtlsSession *chat = c != NULL ? xtls_conv_session (xa, bare) : NULL;

  *known = TRUE;
  *changed = FALSE;
  if (announced != NULL && pinned != NULL && g_ascii_strcasecmp (announced, pinned) == 0)
    /* Translators: how far the sender of an encrypted file is trusted */
    return _ ("Their identity is verified.");
  if (announced != NULL && chat != NULL && xtls_session_get_peer_fingerprint (chat) != NULL
      && g_ascii_strcasecmp (announced, xtls_session_get_peer_fingerprint (chat)) == 0
      && xtls_session_get_state (chat) == XTLS_STATE_UNVERIFIED
      && xtls_session_get_tls_description (chat) != NULL)
    /* Translators: how far the sender of an encrypted file is trusted */
    return _ ("Their identity is NOT verified: you accepted their key for this session only.");
  *known = FALSE;
  *changed = announced != NULL && pinned != NULL;
  /* Translators: how far the sender of an encrypted file is trusted */
  return _ ("Their identity is not verified yet: if you accept, you are asked to compare the "
            "safety code (or to type a shared password) before anything is received.");
}

void
xtls_xfer_offered (XtlsHub *hub, XtlsSession *s, gpointer user_data)
{
  XtlsAccount *xa = user_data;
  const XtlsFileInfo *file = xtls_session_get_file (s);
  g_autofree char *bare = xtls_bare_of (xtls_session_get_peer (s));
  g_autofree char *size = purple_str_size_to_units ((size_t)file->size);
  gboolean known, changed;
  const char *trust = trust_of_offer (xa, s, bare, &known, &changed);
  PurpleXfer *xfer;
  XtlsXfer *x;

  if (changed)
    {
      /* Not a routine question: the key differs from the verified one (xtls_prompt_key_changed
       * says what to do about it when the chat meets it). */
      xtls_conv_notice (xa, bare, PURPLE_MESSAGE_ERROR,
                        /* Translators: the first %s is the contact, the second the file name;
                         * do not translate the command */
                        _ ("%s offered the encrypted file %s with a key that is not the one you "
                           "verified, so it was refused. Ask them by phone or in person whether "
                           "their key changed; if it did, type /xtls forget and verify them "
                           "again."),
                        bare, file->name);
      xtls_session_accept_file (s, FALSE);
      return;
    }
  xtls_conv_notice (xa, bare, 0,
                    /* Translators: the first %s is the contact, the second the file name, the
                     * third its size ("1.0 MB"), the fourth how far the sender is trusted */
                    _ ("%s offers the file %s (%s) through an end-to-end encrypted connection. "
                       "%s"),
                    bare, file->name, size, trust);
  xfer = xtls_xfer_new_purple (xa, PURPLE_XFER_RECEIVE, bare, xtls_session_get_peer (s));
  x = xfer->data;
  x->session = s;
  purple_xfer_set_filename (xfer, file->name);
  purple_xfer_set_size (xfer, (size_t)file->size);
  purple_xfer_request (xfer);
}

gssize
xtls_xfer_read (XtlsHub *hub, XtlsSession *s, guint8 *buf, gsize max, GError **error,
                gpointer user_data)
{
  XtlsXfer *x = xtls_xfer_lookup_session (s);
  gssize n;

  if (x == NULL || x->fd < 0)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_BADF, _ ("the file is not open"));
      return -1;
    }
  do
    n = read (x->fd, buf, max);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                 /* Translators: %s is the system's reason */
                 _ ("the file could not be read (%s)"), g_strerror (errno));
  return n;
}

gboolean
xtls_xfer_store (XtlsHub *hub, XtlsSession *s, const guint8 *data, gsize len, GError **error,
                 gpointer user_data)
{
  XtlsXfer *x = xtls_xfer_lookup_session (s);

  if (x == NULL || x->fd < 0)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_BADF, _ ("the file is not open"));
      return FALSE;
    }
  while (len > 0)
    {
      gssize n = write (x->fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (n < 0 ? errno : ENOSPC),
                       /* Translators: %s is the system's reason, e.g. "No space left on
                        * device" */
                       _ ("the file could not be saved (%s). The partial file was deleted."),
                       g_strerror (n < 0 ? errno : ENOSPC));
          return FALSE;
        }
      data += n;
      len -= (gsize)n;
    }
  return TRUE;
}

void
xtls_xfer_progress (XtlsHub *hub, XtlsSession *s, guint64 done, guint64 total, gpointer user_data)
{
  XtlsXfer *x = xtls_xfer_lookup_session (s);
  gint64 now = g_get_monotonic_time ();

  if (x == NULL || x->xfer == NULL)
    return;
  if (purple_xfer_get_status (x->xfer) != PURPLE_XFER_STATUS_STARTED)
    purple_xfer_start (x->xfer, -1, NULL, 0); /* sender: the receiver accepted */
  purple_xfer_set_bytes_sent (x->xfer, (size_t)MIN (done, total));
  if (done >= total || now - x->last_update >= XTLS_XFER_PROGRESS_INTERVAL_US)
    {
      x->last_update = now;
      purple_xfer_update_progress (x->xfer);
    }
}

static gboolean
finish_received (XtlsXfer *x, GError **error)
{
  int fd = x->fd;

  x->fd = -1;
  if (fsync (fd) != 0 || close (fd) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   _ ("the file could not be saved (%s). The partial file was deleted."),
                   g_strerror (errno));
      return FALSE;
    }
  if (g_rename (x->part_path, x->final_path) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   _ ("the file could not be saved (%s). The partial file was deleted."),
                   g_strerror (errno));
      return FALSE;
    }
  g_clear_pointer (&x->part_path, g_free);
  return TRUE;
}

void
xtls_xfer_ended (XtlsHub *hub, XtlsSession *s, const GError *error, gpointer user_data)
{
  XtlsAccount *xa = user_data;
  XtlsXfer *x = xtls_xfer_lookup_session (s);
  g_autoptr (GError) local = NULL;
  g_autofree char *x_peer = NULL;
  gboolean closing, told;
  PurpleXfer *xfer;
  const char *name;
  gboolean receiving;

  if (x == NULL)
    return;
  x->session = NULL;
  closing = x->closing;
  told = x->told;
  x_peer = g_strdup (x->peer);
  xfer = x->xfer;
  purple_xfer_ref (xfer);
  name = purple_xfer_get_filename (xfer);
  receiving = purple_xfer_get_type (xfer) == PURPLE_XFER_RECEIVE;
  if (error == NULL && receiving && !finish_received (x, &local))
    error = local;
  if (error == NULL)
    {
      const char *tls = xtls_session_get_tls_description (s);
      if (receiving)
        purple_xfer_set_local_filename (xfer, x->final_path);
      purple_xfer_set_bytes_sent (xfer, purple_xfer_get_size (xfer));
      purple_xfer_update_progress (xfer);
      xtls_conv_notice (xa, x->bare, 0,
                        receiving
                            /* Translators: the first %s is the file name, the second the
                             * encryption in technical terms, e.g. "TLS1.3, AES-256-GCM" */
                            ? _ ("%s was received privately: end-to-end encrypted (%s), size "
                                 "and checksum verified.")
                            /* Translators: the first %s is the file name, the second the
                             * encryption in technical terms, e.g. "TLS1.3, AES-256-GCM" */
                            : _ ("%s was sent privately: end-to-end encrypted (%s), and your "
                                 "contact's client confirmed that it arrived intact."),
                        name, tls != NULL ? tls : "TLS");
      xtls_xfer_release (x);
      if (purple_xfer_get_status (xfer) != PURPLE_XFER_STATUS_STARTED)
        purple_xfer_start (xfer, -1, NULL, 0);
      purple_xfer_set_completed (xfer, TRUE);
      purple_xfer_end (xfer);
      purple_xfer_unref (xfer);
      return;
    }
  xtls_xfer_remove_partial (x);
  xtls_xfer_release (x);
  if (!receiving && !closing && g_error_matches (error, XTLS_ERROR, XTLS_ERROR_UNSUPPORTED)
      && !purple_xfer_is_canceled (xfer))
    {
      /* Their client answered that it cannot take an encrypted file (an XTLS client that only
       * does chat): nothing of the file left; the user may choose to send it unencrypted. */
      g_autofree char *path = g_strdup (purple_xfer_get_local_filename (xfer));
      g_autofree char *who = g_strdup (purple_xfer_get_remote_user (xfer));
      g_autofree char *peer = g_strdup (x_peer);
      purple_xfer_cancel_local (xfer);
      /* Translators: a reason in "The file was not sent to %s: %s." */
      xtls_xfer_ask_unencrypted (xa, peer != NULL ? peer : who, who, path,
                                 _ ("their client refused an encrypted file"));
      purple_xfer_unref (xfer);
      return;
    }
  if (!purple_xfer_is_canceled (xfer) && !purple_xfer_is_completed (xfer))
    {
      gboolean by_peer
          = g_error_matches (error, XTLS_FILEXFER_ERROR, XTLS_FILEXFER_ERROR_PEER_CANCELLED)
            || g_error_matches (error, XTLS_ERROR, XTLS_ERROR_DECLINED);
      if (closing)
        xtls_conv_notice (xa, purple_xfer_get_remote_user (xfer), PURPLE_MESSAGE_ERROR,
                          /* Translators: %s is the file name */
                          _ ("The encrypted transfer of %s stopped: your account is going "
                             "offline (or the plugin was turned off). A partial file is "
                             "deleted."),
                          name);
      else if (by_peer && !receiving && purple_xfer_get_status (xfer) != PURPLE_XFER_STATUS_STARTED)
        xtls_conv_notice (xa, purple_xfer_get_remote_user (xfer), 0,
                          /* Translators: the first %s is the contact, the second the file
                           * name; do not translate the command */
                          _ ("%s did not accept %s."), purple_xfer_get_remote_user (xfer), name);
      else if (!by_peer && !told)
        xtls_conv_notice (xa, purple_xfer_get_remote_user (xfer), PURPLE_MESSAGE_ERROR,
                          /* Translators: the first %s is the file name, the second a sentence
                           * saying why */
                          _ ("The encrypted transfer of %s failed: %s"), name,
                          describe_failure (error, receiving));
      /* libpurple's window says "Failed" for a remote end, "Cancelled" for a local one. */
      if (!closing
          && (purple_xfer_get_status (xfer) == PURPLE_XFER_STATUS_STARTED
              || purple_xfer_get_status (xfer) == PURPLE_XFER_STATUS_ACCEPTED || by_peer))
        purple_xfer_cancel_remote (xfer);
      else
        purple_xfer_cancel_local (xfer);
    }
  purple_xfer_unref (xfer);
}

/* A file session needs a decision about the peer's key. The key the user accepted for the
 * running private conversation is accepted again without asking; otherwise the user gets the
 * chat's questions (verify, shared password, this time only, cancel), naming the file. */
void
xtls_xfer_decision (XtlsAccount *xa, XtlsSession *s, XtlsDecision decision)
{
  g_autofree char *bare = xtls_bare_of (xtls_session_get_peer (s));
  gboolean known = FALSE, changed = FALSE;

  if (decision == XTLS_DECISION_UNKNOWN_KEY)
    trust_of_offer (xa, s, bare, &known, &changed);
  if (known)
    {
      xtls_session_decide (s, XTLS_ANSWER_ACCEPT_ONCE);
      return;
    }
  xtls_prompt_decision (xa, s, decision);
}
