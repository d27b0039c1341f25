/* The libpurple core plugin: loads the XTLS engines into every connected XMPP account.
 * Only purple_init_plugin is exported; all state here is static (STYLE.md habit 10). */
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "glue.h"

#define XTLS_LOG_DOMAIN "xtls"

static PurplePlugin *xtls_plugin;
static PurplePlugin *jabber_plugin;
static GHashTable *accounts; /* PurpleAccount* -> XtlsAccount* */
static guint log_handler;

PurplePlugin *
xtls_glue_plugin (void)
{
  return xtls_plugin;
}

PurplePlugin *
xtls_glue_jabber (void)
{
  return jabber_plugin;
}

XtlsAccount *
xtls_glue_find (PurpleAccount *account)
{
  return accounts != NULL && account != NULL ? g_hash_table_lookup (accounts, account) : NULL;
}

XtlsAccount *
xtls_glue_find_gc (PurpleConnection *gc)
{
  return gc != NULL ? xtls_glue_find (purple_connection_get_account (gc)) : NULL;
}

gboolean
xtls_glue_no_log (void)
{
  return purple_prefs_get_bool (XTLS_PREF_NO_LOG);
}

/* The engines log through GLib; route that to the debug window. They never log message
 * text, passwords or keys (STYLE.md habit 7). */
static void
log_to_purple (const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    purple_debug_error (XTLS_LOG_DOMAIN, "%s\n", message);
  else if (level & G_LOG_LEVEL_WARNING)
    purple_debug_warning (XTLS_LOG_DOMAIN, "%s\n", message);
  else
    purple_debug_misc (XTLS_LOG_DOMAIN, "%s\n", message);
}

/* <purple user dir>/xtls/<bare JID>/: the account's key and its known peers, mode 0700. */
static char *
account_dir (PurpleAccount *account)
{
  g_autofree char *bare = xtls_bare_of (purple_account_get_username (account));
  g_autofree char *lower = g_utf8_strdown (bare, -1);
  return g_build_filename (purple_user_dir (), "xtls", purple_escape_filename (lower), NULL);
}

XtlsIdentity *
xtls_glue_identity (PurpleAccount *account, GError **error)
{
  XtlsAccount *xa = xtls_glue_find (account);
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *bare = NULL;

  if (xa != NULL)
    return xtls_identity_ref (xa->identity);
  dir = account_dir (account);
  path = g_build_filename (dir, "identity.pem", NULL);
  bare = xtls_bare_of (purple_account_get_username (account));
  return xtls_identity_load_or_create (path, XTLS_KEY_ED25519, bare, error);
}

static gboolean
on_timer (gpointer data)
{
  XtlsAccount *xa = data;

  xa->timer = 0;
  xtls_hub_tick (xa->hub);
  xtls_conv_prune (xa);
  xtls_glue_schedule (xa);
  return FALSE;
}

/* Tests only (tests/pidgin/test_pidgin_phone.py): XTLS_TEST_CLOCK_SCALE=N makes the core's
 * clock run N times faster than real time (1..600), so that the GUI suite can pass the
 * 5- and 30-minute deadlines within seconds. Unset, the clock is the monotonic one. */
static gint64 clock_scale = 1;
static gint64 clock_base;

static gint64
scaled_now (gpointer user_data)
{
  return clock_base + (g_get_monotonic_time () - clock_base) * clock_scale;
}

static const XtlsClock scaled_clock = { .now = scaled_now };

static const XtlsClock *
glue_clock (void)
{
  static gsize once;

  if (g_once_init_enter (&once))
    {
      const char *text = g_getenv ("XTLS_TEST_CLOCK_SCALE");
      gint64 scale = text != NULL ? g_ascii_strtoll (text, NULL, 10) : 1;

      clock_scale = CLAMP (scale, 1, 600);
      clock_base = g_get_monotonic_time ();
      if (clock_scale > 1)
        purple_debug_warning (XTLS_LOG_DOMAIN,
                              "test clock: deadlines run %" G_GINT64_FORMAT " times faster\n",
                              clock_scale);
      g_once_init_leave (&once, 1);
    }
  return clock_scale > 1 ? &scaled_clock : xtls_clock_monotonic ();
}

void
xtls_glue_schedule (XtlsAccount *xa)
{
  gint64 next = xa->hub != NULL ? xtls_hub_next_deadline (xa->hub) : -1;
  gint64 delay_ms;

  if (xa->timer != 0)
    {
      purple_timeout_remove (xa->timer);
      xa->timer = 0;
    }
  if (next < 0)
    return;
  delay_ms = (next - xtls_clock_now (glue_clock ())) / clock_scale / 1000 + 1;
  xa->timer = purple_timeout_add ((guint)CLAMP (delay_ms, 1, G_MAXINT), on_timer, xa);
}

static XtlsAccount *
account_new (PurpleConnection *gc, GError **error)
{
  PurpleAccount *account = purple_connection_get_account (gc);
  g_autofree char *dir = account_dir (account);
  g_autofree char *peers = g_build_filename (dir, "known-peers", NULL);
  const char *own = purple_connection_get_display_name (gc);
  XtlsAccount *xa = g_new0 (XtlsAccount, 1);
  XtlsHubConfig config = { 0 };

  xa->account = account;
  xa->gc = gc;
  xa->identity = xtls_glue_identity (account, error);
  if (xa->identity == NULL)
    {
      g_free (xa);
      return NULL;
    }
  xa->trust = xtls_trust_store_new (peers, error);
  if (xa->trust == NULL)
    {
      xtls_identity_unref (xa->identity);
      g_free (xa);
      return NULL;
    }
  if (own == NULL || strchr (own, '/') == NULL)
    own = purple_account_get_username (account);
  xa->resources
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
  xa->contacts
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)xtls_contact_free);
  xa->messages = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  xa->disco = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, xtls_disco_query_free);
  /* XTLS_IBB_WINDOW tunes the IBB window for the benchmarks (bench/ibb_window.py). */
  config.window
      = (guint)MIN (g_ascii_strtoull (g_getenv ("XTLS_IBB_WINDOW") ?: "0", NULL, 10), 256);
  xa->hub
      = xtls_hub_new (own, xa->identity, xa->trust, glue_clock (), &config, &xtls_conv_hub_ops, xa);
  xtls_s5b_net_attach (xa);

  purple_debug_info (XTLS_LOG_DOMAIN, "ready for %s (fingerprint %s)\n", own,
                     xtls_identity_get_fingerprint (xa->identity));
  return xa;
}

/* Ends every session politely while the connection can still carry the terminate. */
static void
account_free (XtlsAccount *xa)
{
  GHashTableIter iter;
  gpointer contact;

  /* The sessions end because we go away, not because the contacts ended them. */
  g_hash_table_iter_init (&iter, xa->contacts);
  while (g_hash_table_iter_next (&iter, NULL, &contact))
    ((XtlsContact *)contact)->stopping = TRUE;
  g_hash_table_remove (accounts, xa->account);
  xtls_xfer_account_closing (xa);
  xtls_s5b_net_detach (xa);
  g_clear_pointer (&xa->hub, xtls_hub_free);
  xtls_xfer_account_gone (xa);
  xtls_xmpp_flush (xa); /* the terminates just sent, while the connection can carry them */
  if (xa->timer != 0)
    purple_timeout_remove (xa->timer);
  g_hash_table_unref (xa->contacts);
  g_hash_table_unref (xa->resources);
  g_hash_table_unref (xa->messages);
  g_hash_table_unref (xa->disco);
  xtls_trust_store_free (xa->trust);
  xtls_identity_unref (xa->identity);
  g_free (xa);
}

static gboolean
is_xmpp (PurpleConnection *gc)
{
  PurpleAccount *account = purple_connection_get_account (gc);
  return g_strcmp0 (purple_account_get_protocol_id (account), "prpl-jabber") == 0;
}

static void
attach (PurpleConnection *gc)
{
  g_autoptr (GError) error = NULL;
  XtlsAccount *xa;

  if (!is_xmpp (gc) || xtls_glue_find_gc (gc) != NULL)
    return;
  xa = account_new (gc, &error);
  if (xa == NULL)
    {
      purple_notify_error (xtls_plugin, "XTLS",
                           _ ("Private conversations are not available for this account."),
                           error != NULL ? error->message : NULL);
      return;
    }
  g_hash_table_insert (accounts, xa->account, xa);
}

static void
on_signed_on (PurpleConnection *gc, gpointer data)
{
  attach (gc);
}

static void
on_signing_off (PurpleConnection *gc, gpointer data)
{
  XtlsAccount *xa = xtls_glue_find_gc (gc);

  if (xa != NULL)
    account_free (xa);
}

static gboolean
plugin_load (PurplePlugin *plugin)
{
  xtls_plugin = plugin;
  jabber_plugin = purple_find_prpl ("prpl-jabber");
  if (jabber_plugin == NULL)
    return FALSE;
  log_handler = g_log_set_handler (XTLS_LOG_DOMAIN, G_LOG_LEVEL_MASK, log_to_purple, NULL);
  accounts = g_hash_table_new (g_direct_hash, g_direct_equal);

  xtls_api_register (plugin);
  xtls_xmpp_init (plugin);
  xtls_conv_init (plugin);
  xtls_cmds_register (plugin);
  xtls_xfer_init (plugin);
  xtls_xmpp_add_features ();
  purple_signal_connect (purple_connections_get_handle (), "signed-on", plugin,
                         PURPLE_CALLBACK (on_signed_on), NULL);
  purple_signal_connect (purple_connections_get_handle (), "signing-off", plugin,
                         PURPLE_CALLBACK (on_signing_off), NULL);
  for (GList *l = purple_connections_get_all (); l != NULL; l = l->next)
    if (purple_connection_get_state (l->data) == PURPLE_CONNECTED)
      attach (l->data);
  return TRUE;
}

static gboolean
plugin_unload (PurplePlugin *plugin)
{
  GList *all = g_hash_table_get_values (accounts);

  /* Every session ends politely (</stream:stream>, terminate) and each user is told. */
  for (GList *l = all; l != NULL; l = l->next)
    account_free (l->data);
  g_list_free (all);
  g_clear_pointer (&accounts, g_hash_table_unref);
  xtls_xfer_uninit ();
  xtls_cmds_unregister ();
  purple_signals_disconnect_by_handle (plugin);
  purple_signals_unregister_by_instance (plugin);
  purple_plugin_ipc_unregister_all (plugin);
  g_log_remove_handler (XTLS_LOG_DOMAIN, log_handler);
  /* The jabber prpl has no remove_feature: the features stay advertised until the account
   * reconnects. Offers that arrive meanwhile get libpurple's own refusal. */
  return TRUE;
}

static PurplePluginInfo info = {
  .magic = PURPLE_PLUGIN_MAGIC,
  .major_version = PURPLE_MAJOR_VERSION,
  .minor_version = PURPLE_MINOR_VERSION,
  .type = PURPLE_PLUGIN_STANDARD,
  .priority = PURPLE_PRIORITY_DEFAULT,
  .id = XTLS_PLUGIN_ID,
  .name = N_ ("XTLS private conversations"),
  .version = "0.1.0",
  .summary = N_ ("End-to-end encrypted XMPP chat (XTLS)"),
  /* Translators: do not translate the command "/xtls help" */
  .description = N_ ("Private one-to-one XMPP conversations: TLS runs directly between you and "
                     "your contact, so the servers in between only see noise. Verify your contact "
                     "once, by comparing fingerprints or with a shared password. Use /xtls help "
                     "in a conversation. In Pidgin, enable \"XTLS private conversations (Pidgin "
                     "window)\" as well: it adds the padlock button and the verify dialogs."),
  .author = "pidgin-xtls developers",
  .homepage = "https://pidgin-xtls.invalid/",
  .load = plugin_load,
  .unload = plugin_unload,
};

/* Binds our gettext domain before anything is translated: at probe time, since the plugin list
 * shows the name and summary before the plugin is loaded. $XTLS_LOCALEDIR points tests run from
 * the build tree at the catalogs built in po/. */
static void
bind_translations (void)
{
  const char *dir = g_getenv ("XTLS_LOCALEDIR");

  bindtextdomain (GETTEXT_PACKAGE, dir != NULL && *dir != '\0' ? dir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}

static void
init_plugin (PurplePlugin *plugin)
{
  bind_translations ();
  info.name = (char *)_ (info.name);
  info.summary = (char *)_ (info.summary);
  info.description = (char *)_ (info.description);
  info.dependencies = g_list_append (NULL, (gpointer) "prpl-jabber");
  purple_prefs_add_none (XTLS_PREF_ROOT);
  purple_prefs_add_int (XTLS_PREF_POLICY, XTLS_API_POLICY_MANUAL);
  purple_prefs_add_bool (XTLS_PREF_NO_LOG, FALSE);
  purple_prefs_add_bool (XTLS_PREF_STRANGERS, FALSE);
}

PURPLE_INIT_PLUGIN (xtls, init_plugin, info)
