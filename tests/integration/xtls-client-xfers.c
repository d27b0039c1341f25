/* xtls-client: libpurple's own file transfers. "sendfile" starts one; incoming ones are
 * accepted at once into the download directory, as autoaccept.c does; XFER lines report
 * each step. There are no transfer UI ops: the xfer signals say everything the tests need. */
#include "xtls-client.h"

static char *download_dir; /* owned */

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

static void
xtls_client_file_cancel (PurpleXfer *xfer, gpointer data)
{
  const char *name = purple_xfer_get_local_filename (xfer);
  g_autofree char *base = g_path_get_basename (name != NULL ? name : "unnamed");

  xtls_client_emit ("XFER failed %s", base);
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
