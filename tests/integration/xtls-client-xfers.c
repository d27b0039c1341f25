/* xtls-client: file transfers (libpurple's own, or the plugin's encrypted ones: the client
 * cannot tell them apart, as a user could not). "sendfile" starts one; incoming ones are
 * accepted at once into the download directory, as autoaccept.c does; XFER lines report
 * each step. The only transfer UI op is update_progress, as a transfer window has: it prints
 * "XFER progress" at every tenth of the file and carries out "xfercancel" (the user's click
 * on Cancel, from the main loop). */
#include "xtls-client.h"

#include <string.h>

static char *download_dir; /* owned */
static char *cancel_name;  /* owned: "xfercancel" target (the transfer's file name), or NULL */
static guint64 cancel_at;  /* ...once this many bytes have moved */
static gboolean ask;       /* "xferask on": incoming transfers go through libpurple's dialogs */

void
xtls_client_xfers_init (const char *dir)
{
  g_free (download_dir);
  download_dir = g_strdup (dir);
}

void
xtls_client_xfers_shutdown (void)
{
  g_clear_pointer (&download_dir, g_free);
  g_clear_pointer (&cancel_name, g_free);
}

static gboolean
xtls_client_cancel_idle (gpointer data)
{
  PurpleXfer *xfer = data;

  if (!purple_xfer_is_completed (xfer) && !purple_xfer_is_canceled (xfer))
    {
      xtls_client_emit ("XFER cancelling %s %" G_GSIZE_FORMAT, purple_xfer_get_filename (xfer),
                        purple_xfer_get_bytes_sent (xfer));
      purple_xfer_cancel_local (xfer);
    }
  return G_SOURCE_REMOVE;
}

static void
xtls_client_maybe_cancel (PurpleXfer *xfer)
{
  const char *name = purple_xfer_get_filename (xfer);

  if (cancel_name == NULL || name == NULL || strcmp (name, cancel_name) != 0
      || purple_xfer_get_bytes_sent (xfer) < cancel_at)
    return;
  g_clear_pointer (&cancel_name, g_free);
  purple_xfer_ref (xfer);
  g_idle_add_full (G_PRIORITY_DEFAULT, xtls_client_cancel_idle, xfer,
                   (GDestroyNotify)purple_xfer_unref);
}

void
xtls_client_cmd_xferask (const char *arg)
{
  ask = g_strcmp0 (arg, "on") == 0;
  xtls_client_emit ("XFERASK %s", ask ? "on" : "off");
}

void
xtls_client_cmd_xfercancel (const char *name, const char *bytes)
{
  g_free (cancel_name);
  cancel_name = g_strdup (name);
  cancel_at = bytes != NULL ? g_ascii_strtoull (bytes, NULL, 10) : 0;
  xtls_client_emit ("XFERCANCEL %s %" G_GUINT64_FORMAT, name, cancel_at);
  for (GList *l = purple_xfers_get_all (); l != NULL; l = l->next)
    if (xtls_client_is_ours (purple_xfer_get_account (l->data)))
      xtls_client_maybe_cancel (l->data);
}

/* A tenth of the file at a time; ui_data holds the last tenth printed, plus one. */
static void
xtls_client_xfer_progress (PurpleXfer *xfer, double percent)
{
  size_t size = purple_xfer_get_size (xfer);
  size_t done = purple_xfer_get_bytes_sent (xfer);
  int tenth = size > 0 ? (int)MIN (done * 10 / size, 10) : 0;

  if (!xtls_client_is_ours (purple_xfer_get_account (xfer)))
    return;
  if (GPOINTER_TO_INT (xfer->ui_data) < tenth + 1)
    {
      xfer->ui_data = GINT_TO_POINTER (tenth + 1);
      xtls_client_emit ("XFER progress %s %" G_GSIZE_FORMAT, purple_xfer_get_filename (xfer), done);
    }
  xtls_client_maybe_cancel (xfer);
}

static PurpleXferUiOps xtls_client_xfer_ui_ops = {
  .update_progress = xtls_client_xfer_progress,
};

PurpleXferUiOps *
xtls_client_xfer_ui_ops_get (void)
{
  return &xtls_client_xfer_ui_ops;
}

void
xtls_client_cmd_sendfile (const char *who, const char *path)
{
  if (!xtls_client_require_connection ("sendfile"))
    return;
  serv_send_file (purple_account_get_connection (xtls_client_account ()), who, path);
  xtls_client_emit ("SENDFILE %s", who);
}

static void
xtls_client_file_recv_request (PurpleXfer *xfer, gpointer data)
{
  const char *name = purple_xfer_get_filename (xfer);
  g_autofree char *base = g_path_get_basename (name != NULL ? name : "unnamed");
  g_autofree char *path = g_build_filename (download_dir, base, NULL);

  if (!xtls_client_is_ours (purple_xfer_get_account (xfer)))
    return;
  xtls_client_emit ("XFER request %s %s %" G_GSIZE_FORMAT, purple_xfer_get_remote_user (xfer), base,
                    purple_xfer_get_size (xfer));
  if (ask)
    return; /* libpurple asks: accept/cancel, then where to save (REQUEST events) */
  for (int n = 1; g_file_test (path, G_FILE_TEST_EXISTS); n++)
    {
      g_autofree char *unique = g_strdup_printf ("%s-%d", base, n);
      g_free (path);
      path = g_build_filename (download_dir, unique, NULL);
    }
  /* Accepting inside the signal is what autoaccept.c does: libpurple then asks nothing. */
  purple_xfer_request_accepted (xfer, path);
}

/* "file-*-complete" comes from purple_xfer_set_completed(), before the last chunk is counted
 * and before the file is closed: report from an idle callback, once libpurple is done. */
static gboolean
xtls_client_file_done_idle (gpointer data)
{
  PurpleXfer *xfer = data;
  const char *what = purple_xfer_get_type (xfer) == PURPLE_XFER_RECEIVE ? "done" : "sent";
  const char *name = purple_xfer_get_local_filename (xfer);
  g_autofree char *base = g_path_get_basename (name != NULL ? name : "unnamed");

  xtls_client_emit ("XFER %s %s %" G_GSIZE_FORMAT, what, base, purple_xfer_get_bytes_sent (xfer));
  return G_SOURCE_REMOVE;
}

static void
xtls_client_file_done (PurpleXfer *xfer, gpointer data)
{
  purple_xfer_ref (xfer);
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, xtls_client_file_done_idle, xfer,
                   (GDestroyNotify)purple_xfer_unref);
}

/* Named by the transfer's file name (a partial file may have another name on disk). */
static void
xtls_client_file_cancel (PurpleXfer *xfer, gpointer data)
{
  const char *name = purple_xfer_get_filename (xfer);
  const char *local = purple_xfer_get_local_filename (xfer);
  g_autofree char *base = g_path_get_basename (name != NULL    ? name
                                               : local != NULL ? local
                                                               : "unnamed");

  if (!xtls_client_is_ours (purple_xfer_get_account (xfer)))
    return;
  xtls_client_emit ("XFER failed %s %d", base,
                    purple_xfer_get_status (xfer) == PURPLE_XFER_STATUS_CANCEL_LOCAL ? 1 : 0);
}

static void
xtls_client_file_start (PurpleXfer *xfer, gpointer data)
{
  const char *name = purple_xfer_get_local_filename (xfer);
  g_autofree char *base = g_path_get_basename (name != NULL ? name : "unnamed");

  xtls_client_emit ("XFER start %s", base);
}

void
xtls_client_xfers_connect_signals (void *handle)
{
  purple_signal_connect (purple_xfers_get_handle (), "file-recv-request", handle,
                         PURPLE_CALLBACK (xtls_client_file_recv_request), NULL);
  purple_signal_connect (purple_xfers_get_handle (), "file-recv-complete", handle,
                         PURPLE_CALLBACK (xtls_client_file_done), NULL);
  purple_signal_connect (purple_xfers_get_handle (), "file-send-complete", handle,
                         PURPLE_CALLBACK (xtls_client_file_done), NULL);
  purple_signal_connect (purple_xfers_get_handle (), "file-recv-cancel", handle,
                         PURPLE_CALLBACK (xtls_client_file_cancel), NULL);
  purple_signal_connect (purple_xfers_get_handle (), "file-send-cancel", handle,
                         PURPLE_CALLBACK (xtls_client_file_cancel), NULL);
  purple_signal_connect (purple_xfers_get_handle (), "file-recv-start", handle,
                         PURPLE_CALLBACK (xtls_client_file_start), NULL);
  purple_signal_connect (purple_xfers_get_handle (), "file-send-start", handle,
                         PURPLE_CALLBACK (xtls_client_file_start), NULL);
}
