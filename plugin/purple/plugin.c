/* Minimal entry point so the build already produces the loadable module. The libpurple
 * integration (hooks, conversations, trust prompts) arrives with issue 3. */
#include <glib.h>
#include <purple.h>

#include "clock.h"

static gboolean
plugin_load (PurplePlugin *plugin)
{
  purple_debug_info ("xtls", "XTLS core loaded (libpurple integration not yet enabled)\n");
  return TRUE;
}

static gboolean
plugin_unload (PurplePlugin *plugin)
{
  return TRUE;
}

static PurplePluginInfo info = {
  .magic = PURPLE_PLUGIN_MAGIC,
  .major_version = PURPLE_MAJOR_VERSION,
  .minor_version = PURPLE_MINOR_VERSION,
  .type = PURPLE_PLUGIN_STANDARD,
  .priority = PURPLE_PRIORITY_DEFAULT,
  .id = "core-xtls",
  .name = "XTLS end-to-end encryption",
  .version = "0.1.0",
  .summary = "End-to-end encrypted XMPP chat with XTLS",
  .description = "Runs TLS between two XMPP clients over a Jingle In-Band Bytestream.",
  .author = "pidgin-xtls developers",
  .homepage = "https://example.invalid/pidgin-xtls",
  .load = plugin_load,
  .unload = plugin_unload,
};

static void
init_plugin (PurplePlugin *plugin)
{
  static const char *deps[] = { "prpl-jabber", NULL };
  info.dependencies = g_list_append (NULL, (gpointer)deps[0]);
}

PURPLE_INIT_PLUGIN (xtls, init_plugin, info)
