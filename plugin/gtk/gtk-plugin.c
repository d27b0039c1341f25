/* The Pidgin plugin "gtk-xtls": the window UI for the core plugin "core-xtls", which it lists
 * as a dependency (enabling this one in Tools → Plugins loads the core too). It listens to the
 * core's signals and to Pidgin's conversation signals and hands each event to the file that
 * owns the widget concerned. Unloading removes every widget it added; the core keeps running.
 * Only purple_init_plugin is exported. */
#include <string.h>

#include "gtk-xtls.h"

#include <pidgin.h>
#include <gtkconv.h>
#include <gtkplugin.h>

/* ---- the core's signals --------------------------------------------------------------------- */

static void
on_state_changed (PurpleAccount *account, const char *peer, const char *reason, guint state,
                  gpointer data)
{
  XtlsGtkPeer *p;

  if (account == NULL || peer == NULL)
    return;
  p = xtls_gtk_peer_get (account, peer);
  xtls_gtk_peer_update (p, strchr (peer, '/') != NULL ? peer : NULL, (int)state, reason);
  xtls_gtk_status_refresh (p);
  xtls_gtk_verify_state_changed (p);
  xtls_gtk_password_state_changed (p, reason);
  if (state == XTLS_API_STATE_FAILED
      && xtls_gtk_core_failure (account, peer) == XTLS_API_FAILURE_KEY_CHANGED)
    {
      /* The core has just shown its own notification for this event (a plain purple_notify
       * error, for UIs without this plugin). Ours says the same, plus what to do and a way to
       * forget the key: close the core's so the user gets one warning, not two. The core's
       * plugin handle owns no other open notification in normal use. */
      PurplePlugin *core = xtls_gtk_core ();
      if (core != NULL)
        purple_notify_close_with_handle (core);
      xtls_gtk_key_changed_open (account, p->bare);
    }
  if (state == XTLS_API_STATE_PRIVATE)
    xtls_gtk_prefs_refresh (); /* a password verification remembers the key */
}

/* We answer every decision with our own dialogs (TRUE), so the core's generic request dialogs
 * stay closed. */
static gboolean
on_decision_needed (PurpleAccount *account, const char *peer, guint decision, gpointer data)
{
  XtlsGtkPeer *p;

  if (account == NULL || peer == NULL)
    return FALSE;
  p = xtls_gtk_peer_get (account, peer);
  if (strchr (peer, '/') != NULL)
    xtls_gtk_peer_update (p, peer, XTLS_API_STATE_UNVERIFIED, NULL);
  switch (decision)
    {
      case XTLS_API_DECISION_UNKNOWN_KEY:
        if (!xtls_gtk_password_claims (p, decision))
          {
            p->pending = decision;
            xtls_gtk_verify_open (account, p->bare);
          }
        break;
      case XTLS_API_DECISION_PASSWORD:
        if (p->pending == XTLS_API_DECISION_UNKNOWN_KEY)
          xtls_gtk_verify_question_replaced (p);
        if (!xtls_gtk_password_claims (p, decision))
          {
            xtls_gtk_password_open (account, p->bare);
            xtls_gtk_password_claims (p, decision);
          }
        break;
      default:
        return FALSE;
    }
  xtls_gtk_status_refresh (p);
  return TRUE;
}

/* ---- Pidgin's conversations and libpurple's accounts ---------------------------------------- */

static void
on_conversation_created (PurpleConversation *conv, gpointer data)
{
  xtls_gtk_status_attach (conv);
}

static void
on_conversation_displayed (PidginConversation *gtkconv, gpointer data)
{
  xtls_gtk_status_attach (gtkconv->active_conv);
}

/* Tabs get their button when created; a conversation created hidden gets it when shown. */
static void
on_conversation_switched (PurpleConversation *conv, gpointer data)
{
  xtls_gtk_status_attach (conv);
}

static void
on_deleting_conversation (PurpleConversation *conv, gpointer data)
{
  xtls_gtk_status_detach (conv);
}

static void
on_signed_on (PurpleConnection *gc, gpointer data)
{
  xtls_gtk_prefs_refresh ();
}

/* The core drops its sessions with the connection; ask it again for every conversation. */
static void
on_signed_off (PurpleConnection *gc, gpointer data)
{
  xtls_gtk_peers_forget_account (purple_connection_get_account (gc));
  xtls_gtk_status_refresh_all ();
  xtls_gtk_prefs_refresh ();
}

static void
on_account_removed (PurpleAccount *account, gpointer data)
{
  xtls_gtk_peers_forget_account (account);
  xtls_gtk_prefs_refresh ();
}

/* ---- plugin entry ----------------------------------------------------------------------- */

static gboolean
plugin_load (PurplePlugin *plugin)
{
  PurplePlugin *core = xtls_gtk_core ();
  void *convs = purple_conversations_get_handle ();
  void *gtkconvs = pidgin_conversations_get_handle ();

  if (core == NULL)
    return FALSE;
  xtls_gtk_peers_init ();
  xtls_gtk_icons_init (plugin);
  xtls_gtk_marks_init (plugin);
  xtls_gtk_buddy_menu_init (plugin);

  purple_signal_connect (core, "xtls-state-changed", plugin, PURPLE_CALLBACK (on_state_changed),
                         NULL);
  purple_signal_connect (core, "xtls-decision-needed", plugin, PURPLE_CALLBACK (on_decision_needed),
                         NULL);
  purple_signal_connect (convs, "conversation-created", plugin,
                         PURPLE_CALLBACK (on_conversation_created), NULL);
  purple_signal_connect (convs, "deleting-conversation", plugin,
                         PURPLE_CALLBACK (on_deleting_conversation), NULL);
  purple_signal_connect (gtkconvs, "conversation-displayed", plugin,
                         PURPLE_CALLBACK (on_conversation_displayed), NULL);
  purple_signal_connect (gtkconvs, "conversation-switched", plugin,
                         PURPLE_CALLBACK (on_conversation_switched), NULL);
  purple_signal_connect (purple_connections_get_handle (), "signed-on", plugin,
                         PURPLE_CALLBACK (on_signed_on), NULL);
  purple_signal_connect (purple_connections_get_handle (), "signed-off", plugin,
                         PURPLE_CALLBACK (on_signed_off), NULL);
  purple_signal_connect (purple_accounts_get_handle (), "account-removed", plugin,
                         PURPLE_CALLBACK (on_account_removed), NULL);

  for (GList *l = purple_get_ims (); l != NULL; l = l->next)
    xtls_gtk_status_attach (l->data);
  return TRUE;
}

/* Every widget we added goes; the core and its sessions stay. A decision we claimed and the
 * user has not answered stays pending in the core: the conversation says how to answer it with
 * /xtls commands. */
static gboolean
plugin_unload (PurplePlugin *plugin)
{
  purple_signals_disconnect_by_handle (plugin);
  xtls_gtk_status_detach_all ();
  xtls_gtk_verify_close_all ();
  xtls_gtk_password_close_all ();
  xtls_gtk_key_changed_close_all ();
  xtls_gtk_fingerprint_close_all ();
  xtls_gtk_small_dialogs_close_all ();
  xtls_gtk_prefs_destroy ();
  xtls_gtk_peers_shutdown ();
  xtls_gtk_marks_shutdown ();
  xtls_gtk_icons_shutdown ();
  return TRUE;
}

static PidginPluginUiInfo ui_info = {
  .get_config_frame = xtls_gtk_prefs_frame,
};

static PurplePluginInfo info = {
  .magic = PURPLE_PLUGIN_MAGIC,
  .major_version = PURPLE_MAJOR_VERSION,
  .minor_version = PURPLE_MINOR_VERSION,
  .type = PURPLE_PLUGIN_STANDARD,
  .ui_requirement = PIDGIN_UI,
  .priority = PURPLE_PRIORITY_DEFAULT,
  .id = XTLS_GTK_PLUGIN_ID,
  .name = N_ ("XTLS private conversations (Pidgin window)"),
  .version = "0.1.0",
  .summary = N_ ("Status button, verify and password dialogs for XTLS private conversations"),
  .description = N_ ("Shows in every XMPP conversation how private it is, and lets you start, "
                     "stop and verify private conversations with a click: compare a safety code "
                     "or type a shared password. Lists the contacts whose keys you know. Loads "
                     "\"XTLS private conversations\" too."),
  .author = "pidgin-xtls developers",
  .homepage = "https://pidgin-xtls.invalid/",
  .load = plugin_load,
  .unload = plugin_unload,
  .ui_info = &ui_info,
};

static void
init_plugin (PurplePlugin *plugin)
{
  const char *dir = g_getenv ("XTLS_LOCALEDIR");

  /* The plugin list shows our name before anything is loaded: bind the (shared) domain now. */
  bindtextdomain (GETTEXT_PACKAGE, dir != NULL && *dir != '\0' ? dir : XTLS_GTK_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  info.name = (char *)_ (info.name);
  info.summary = (char *)_ (info.summary);
  info.description = (char *)_ (info.description);
  info.dependencies = g_list_append (NULL, (gpointer)XTLS_PLUGIN_ID);
}

PURPLE_INIT_PLUGIN (gtk_xtls, init_plugin, info)
