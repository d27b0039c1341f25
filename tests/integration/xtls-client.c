/* xtls-client: a headless libpurple client for the integration tests.
 *
 * One XMPP account, driven by a line protocol: commands on stdin, events on stdout (one line
 * each, flushed). It is what a user of Pidgin or Finch does, minus the windows: it types into
 * conversations (purple_conv_im_send, so plugins see "sending-im-msg"), runs conversation
 * commands, answers libpurple requests and shows what libpurple writes into conversations.
 * The protocol is described in tests/integration/harness.py, which is its only user.
 *
 * Passwords (the account's, the ones typed into requests) are never printed.
 *
 * This file sets the client up from its command line, owns the account and the main loop,
 * and installs the UI ops the other files provide (xtls-client.h lists them). */
#include "xtls-client.h"

#include <glib-unix.h>
#include <glib/gstdio.h>

#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define XTLS_CLIENT_UI_ID "xtls-client"

static GMainLoop *loop;
static PurpleAccount *account;
static char *password; /* owned; libpurple forgets an unsaved password on disconnect */
static gboolean quitting;
static int exit_code;

/* Handle for purple_signal_connect of the core signals (events and transfers). */
static int core_signals_handle;

/* ---- The account and the main loop ------------------------------------------------------- */

PurpleAccount *
xtls_client_account (void)
{
  return account;
}

gboolean
xtls_client_is_ours (PurpleAccount *other)
{
  return other != NULL && other == account;
}

void
xtls_client_account_connect (void)
{
  purple_account_set_password (account, password);
  purple_account_connect (account);
}

void
xtls_client_quit (int code)
{
  if (quitting)
    return;
  quitting = TRUE;
  exit_code = code;
  g_main_loop_quit (loop);
}

gboolean
xtls_client_is_quitting (void)
{
  return quitting;
}

static gboolean
xtls_client_on_sigterm (gpointer data)
{
  xtls_client_quit (0);
  return G_SOURCE_CONTINUE;
}

static gboolean
xtls_client_lifetime_exceeded (gpointer data)
{
  xtls_client_emit ("ERROR lifetime exceeded, exiting");
  _exit (3);
  return G_SOURCE_REMOVE;
}

/* ---- Core UI ops ------------------------------------------------------------------------ */

/* --no-request-ui: a bot that has no way to ask its user anything (no request UI ops). */
static gboolean no_request_ui;

static void
xtls_client_ui_init (void)
{
  purple_conversations_set_ui_ops (xtls_client_conv_ui_ops ());
  if (!no_request_ui)
    purple_request_set_ui_ops (xtls_client_request_ui_ops ());
  purple_notify_set_ui_ops (xtls_client_notify_ui_ops ());
  purple_connections_set_ui_ops (xtls_client_connection_ui_ops ());
  purple_xfers_set_ui_ops (xtls_client_xfer_ui_ops_get ());
}

static GHashTable *
xtls_client_get_ui_info (void)
{
  static GHashTable *info;

  if (info == NULL)
    {
      info = g_hash_table_new (g_str_hash, g_str_equal);
      g_hash_table_insert (info, "name", "xtls-client");
      g_hash_table_insert (info, "version", "0.1");
      g_hash_table_insert (info, "client_type", "bot");
    }
  return info;
}

static PurpleCoreUiOps xtls_client_core_ops = {
  .debug_ui_init = NULL,
  .ui_init = xtls_client_ui_init,
  .get_ui_info = xtls_client_get_ui_info,
};

/* ---- Set-up ------------------------------------------------------------------------------ */

/* Preferences libpurple reads inside purple_core_init(), before any of our code could set
 * them: no UPnP/NAT-PMP discovery (it would send multicast), 127.0.0.1 as the "public" IP
 * for file-transfer streamhosts, no proxy, no chat logs. Written only on the first start. */
static gboolean
xtls_client_write_prefs (const char *user_dir, GError **error)
{
  static const char prefs[] = "<?xml version='1.0' encoding='UTF-8' ?>\n"
                              "<pref version='1' name='/'>\n"
                              " <pref name='purple'>\n"
                              "  <pref name='network'>\n"
                              "   <pref name='auto_ip' type='bool' value='0'/>\n"
                              "   <pref name='map_ports' type='bool' value='0'/>\n"
                              "   <pref name='public_ip' type='string' value='127.0.0.1'/>\n"
                              "   <pref name='stun_server' type='string' value=''/>\n"
                              "   <pref name='turn_server' type='string' value=''/>\n"
                              "  </pref>\n"
                              "  <pref name='proxy'>\n"
                              "   <pref name='type' type='string' value='none'/>\n"
                              "  </pref>\n"
                              "  <pref name='logging'>\n"
                              "   <pref name='log_ims' type='bool' value='0'/>\n"
                              "   <pref name='log_chats' type='bool' value='0'/>\n"
                              "   <pref name='log_system' type='bool' value='0'/>\n"
                              "  </pref>\n"
                              " </pref>\n"
                              "</pref>\n";
  g_autofree char *path = g_build_filename (user_dir, "prefs.xml", NULL);

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  return g_file_set_contents (path, prefs, -1, error);
}

typedef struct
{
  char *user_dir;
  char *jid;
  char *password;
  int port;
  char *plugin_dir;
  gboolean no_plugin;
  char *download_dir;
  gboolean debug;
  int max_lifetime;
  gint64 max_file_size;
} XtlsClientOptions;

static void
xtls_client_setup_account (const XtlsClientOptions *opts)
{
  account = purple_accounts_find (opts->jid, "prpl-jabber");
  if (account == NULL)
    {
      account = purple_account_new (opts->jid, "prpl-jabber");
      purple_accounts_add (account);
    }
  purple_account_set_remember_password (account, FALSE);
  purple_account_set_password (account, opts->password);
  purple_account_set_string (account, "connect_server", "127.0.0.1");
  purple_account_set_int (account, "port", opts->port);
  purple_account_set_string (account, "connection_security", "opportunistic_tls");
  purple_account_set_bool (account, "auth_plain_in_clear", TRUE);
  purple_account_set_enabled (account, XTLS_CLIENT_UI_ID, TRUE);
}

int
main (int argc, char **argv)
{
  XtlsClientOptions opts = { .port = 5222 };
  GOptionEntry entries[] = {
    { "user-dir", 0, 0, G_OPTION_ARG_FILENAME, &opts.user_dir, "libpurple user dir", "DIR" },
    { "jid", 0, 0, G_OPTION_ARG_STRING, &opts.jid, "full JID", "JID" },
    { "password", 0, 0, G_OPTION_ARG_STRING, &opts.password, "account password", "PW" },
    { "port", 0, 0, G_OPTION_ARG_INT, &opts.port, "server port on 127.0.0.1", "N" },
    { "plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &opts.plugin_dir, "load core-xtls from DIR",
      "DIR" },
    { "no-plugin", 0, 0, G_OPTION_ARG_NONE, &opts.no_plugin, "do not load the xtls plugin", NULL },
    { "no-request-ui", 0, 0, G_OPTION_ARG_NONE, &no_request_ui,
      "no request UI ops (a bot that cannot ask)", NULL },
    { "download-dir", 0, 0, G_OPTION_ARG_FILENAME, &opts.download_dir, "incoming files", "DIR" },
    { "debug", 0, 0, G_OPTION_ARG_NONE, &opts.debug, "libpurple debug output on stderr", NULL },
    { "max-lifetime", 0, 0, G_OPTION_ARG_INT, &opts.max_lifetime,
      "exit after N seconds whatever happens", "N" },
    { "max-file-size", 0, 0, G_OPTION_ARG_INT64, &opts.max_file_size,
      "no file may grow beyond N bytes (a full disk: writes fail with EFBIG)", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- headless libpurple client");
  g_autoptr (GError) error = NULL;
  g_autofree char *download_dir = NULL;
  g_autofree char *gst_registry = NULL;

#ifdef __linux__
  /* Never outlive the test driver, whatever happens to it. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
  if (getppid () == 1)
    return 2;
#endif

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "xtls-client: %s\n", error->message);
      return 2;
    }
  if (opts.user_dir == NULL || opts.jid == NULL || opts.password == NULL)
    {
      fprintf (stderr, "xtls-client: --user-dir, --jid and --password are required\n");
      return 2;
    }
  if (opts.max_file_size > 0)
    {
      /* A disk that is full for this process: write() fails with EFBIG past the limit,
       * instead of SIGXFSZ killing it. */
      struct rlimit limit
          = { .rlim_cur = (rlim_t)opts.max_file_size, .rlim_max = (rlim_t)opts.max_file_size };
      signal (SIGXFSZ, SIG_IGN);
      if (setrlimit (RLIMIT_FSIZE, &limit) != 0)
        {
          fprintf (stderr, "xtls-client: cannot limit the file size\n");
          return 2;
        }
    }
  xtls_client_requests_init ();
  download_dir = opts.download_dir != NULL ? g_strdup (opts.download_dir)
                                           : g_build_filename (opts.user_dir, "downloads", NULL);
  xtls_client_log_init (opts.debug);

  if (g_mkdir_with_parents (opts.user_dir, 0700) != 0
      || g_mkdir_with_parents (download_dir, 0700) != 0)
    {
      fprintf (stderr, "xtls-client: cannot create %s or %s\n", opts.user_dir, download_dir);
      return 2;
    }
  xtls_client_xfers_init (download_dir);
  if (!xtls_client_write_prefs (opts.user_dir, &error))
    {
      fprintf (stderr, "xtls-client: %s\n", error->message);
      return 2;
    }
  /* GStreamer scans its plugins on the first start (seconds): keep the registry private. */
  gst_registry = g_build_filename (opts.user_dir, "gst-registry.bin", NULL);
  g_setenv ("GST_REGISTRY", gst_registry, FALSE);

  loop = g_main_loop_new (NULL, FALSE);
  purple_util_set_user_dir (opts.user_dir);
  purple_debug_set_enabled (FALSE);
  purple_debug_set_ui_ops (xtls_client_debug_ui_ops ());
  if (opts.plugin_dir != NULL && !opts.no_plugin)
    purple_plugins_add_search_path (opts.plugin_dir);
  purple_core_set_ui_ops (&xtls_client_core_ops);
  purple_eventloop_set_ui_ops (xtls_client_eventloop_ui_ops ());
  if (!purple_core_init (XTLS_CLIENT_UI_ID))
    {
      fprintf (stderr, "xtls-client: libpurple failed to initialize\n");
      return 1;
    }
  purple_set_blist (purple_blist_new ());
  purple_blist_load ();
  xtls_client_events_connect_signals (&core_signals_handle);
  xtls_client_xfers_connect_signals (&core_signals_handle);

  if (opts.plugin_dir != NULL && !opts.no_plugin)
    xtls_client_plugin_init ();
  else
    xtls_client_emit ("PLUGIN none");

  g_unix_signal_add (SIGTERM, xtls_client_on_sigterm, NULL);
  g_unix_signal_add (SIGINT, xtls_client_on_sigterm, NULL);
  if (opts.max_lifetime > 0)
    g_timeout_add_seconds ((guint)opts.max_lifetime, xtls_client_lifetime_exceeded, NULL);

  xtls_client_commands_watch_stdin ();

  xtls_client_setup_account (&opts);
  password = g_steal_pointer (&opts.password);
  purple_savedstatus_activate (purple_savedstatus_new (NULL, PURPLE_STATUS_AVAILABLE));

  g_main_loop_run (loop);

  xtls_client_plugin_disconnect_signals ();
  purple_signals_disconnect_by_handle (&core_signals_handle);
  purple_core_quit ();
  xtls_client_emit ("BYE");
  xtls_client_requests_shutdown ();
  g_main_loop_unref (loop);
  xtls_client_xfers_shutdown ();
  g_free (password);
  g_free (opts.user_dir);
  g_free (opts.jid);
  g_free (opts.password);
  g_free (opts.plugin_dir);
  g_free (opts.download_dir);
  return exit_code;
}
