/* xtls-client: the plumbing a libpurple UI provides. libpurple's timers and fds run on the
 * GLib main loop, its debug output goes to stderr (only with --debug), and GLib's warnings
 * and criticals become GLOG events, which the tests check. */
#include "xtls-client.h"

#include <stdio.h>
#include <string.h>

static gboolean debug_enabled; /* --debug */

/* ---- GLib logging: warnings and criticals become events -------------------------------- */

static void
xtls_client_log_handler (const char *domain, GLogLevelFlags level, const char *message,
                         gpointer user_data)
{
  const char *name = NULL;

  if (level & G_LOG_LEVEL_ERROR)
    name = "ERROR";
  else if (level & G_LOG_LEVEL_CRITICAL)
    name = "CRITICAL";
  else if (level & G_LOG_LEVEL_WARNING)
    name = "WARNING";

  if (name != NULL)
    {
      g_autofree char *text = xtls_client_escape (message);
      xtls_client_emit ("GLOG %s %s %s", name, xtls_client_or_dash (domain), text);
    }
  if (name != NULL || debug_enabled)
    g_log_default_handler (domain, level, message, user_data);
}

void
xtls_client_log_init (gboolean debug)
{
  debug_enabled = debug;
  g_log_set_default_handler (xtls_client_log_handler, NULL);
}

/* ---- Event loop UI ops (libpurple's timers and fds on the GLib main loop) --------------- */

typedef struct
{
  PurpleInputFunction function;
  gpointer data;
} XtlsClientInput;

#define XTLS_CLIENT_READ_COND (G_IO_IN | G_IO_HUP | G_IO_ERR)
#define XTLS_CLIENT_WRITE_COND (G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL)

static gboolean
xtls_client_input_dispatch (GIOChannel *source, GIOCondition condition, gpointer data)
{
  XtlsClientInput *input = data;
  PurpleInputCondition cond = 0;

  if (condition & XTLS_CLIENT_READ_COND)
    cond |= PURPLE_INPUT_READ;
  if (condition & XTLS_CLIENT_WRITE_COND)
    cond |= PURPLE_INPUT_WRITE;
  input->function (input->data, g_io_channel_unix_get_fd (source), cond);
  return TRUE;
}

static guint
xtls_client_input_add (gint fd, PurpleInputCondition condition, PurpleInputFunction function,
                       gpointer data)
{
  XtlsClientInput *input = g_new0 (XtlsClientInput, 1);
  GIOCondition cond = 0;
  GIOChannel *channel;
  guint id;

  input->function = function;
  input->data = data;
  if (condition & PURPLE_INPUT_READ)
    cond |= XTLS_CLIENT_READ_COND;
  if (condition & PURPLE_INPUT_WRITE)
    cond |= XTLS_CLIENT_WRITE_COND;

  channel = g_io_channel_unix_new (fd);
  id = g_io_add_watch_full (channel, G_PRIORITY_DEFAULT, cond, xtls_client_input_dispatch, input,
                            g_free);
  g_io_channel_unref (channel);
  return id;
}

static PurpleEventLoopUiOps xtls_client_eventloop_ops = {
  .timeout_add = g_timeout_add,
  .timeout_remove = g_source_remove,
  .input_add = xtls_client_input_add,
  .input_remove = g_source_remove,
  .timeout_add_seconds = g_timeout_add_seconds,
};

PurpleEventLoopUiOps *
xtls_client_eventloop_ui_ops (void)
{
  return &xtls_client_eventloop_ops;
}

/* ---- Debug UI ops: libpurple's debug output goes to stderr, only with --debug ---------- */

static void
xtls_client_debug_print (PurpleDebugLevel level, const char *category, const char *arg_s)
{
  if (!debug_enabled)
    return;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S.%f");
  fprintf (stderr, "%.12s %s: %s", stamp, category != NULL ? category : "-", arg_s);
  if (*arg_s == '\0' || arg_s[strlen (arg_s) - 1] != '\n')
    fputc ('\n', stderr);
}

static gboolean
xtls_client_debug_is_enabled (PurpleDebugLevel level, const char *category)
{
  return debug_enabled;
}

static PurpleDebugUiOps xtls_client_debug_ops = {
  .print = xtls_client_debug_print,
  .is_enabled = xtls_client_debug_is_enabled,
};

PurpleDebugUiOps *
xtls_client_debug_ui_ops (void)
{
  return &xtls_client_debug_ops;
}
