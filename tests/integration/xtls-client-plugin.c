/* xtls-client: the bridge to the xtls plugin, through its public contract only
 * (plugin/purple/xtls-api.h): loading and unloading it, its signals (SIGNAL lines), its IPC
 * calls ("ipc" -> IPC lines) and their registered signatures ("contract" -> CONTRACT lines).
 * Nothing is connected or called whose registered signature differs from xtls-api.h. */
#include "xtls-client.h"

#include <string.h>

#include "xtls-api.h"

static PurplePlugin *xtls_plugin; /* the plugin, NULL when not found or not wanted */
static gboolean claim_decisions;  /* what "xtls-decision-needed" returns */
static int plugin_signals_handle; /* its signals, reconnected after every load */
static int probe_signals_handle;

/* ---- The plugin's signals ---------------------------------------------------------------- */

/* The argument orders of the plugin's signals follow libpurple's stock marshallers
 * (xtls-api.h): the state comes after the reason. */
static void
xtls_client_xtls_state (PurpleAccount *account, const char *peer, const char *reason, guint state,
                        gpointer data)
{
  g_autofree char *text = NULL;

  if (!xtls_client_is_ours (account))
    return;
  text = xtls_client_escape (reason);
  xtls_client_emit ("SIGNAL state %s %u %s", xtls_client_or_dash (peer), state,
                    xtls_client_or_dash (text));
}

/* Returns TRUE ("my UI answers through IPC", no dialog from the plugin) only after the
 * command "claim on". */
static gboolean
xtls_client_xtls_decision (PurpleAccount *account, const char *peer, guint decision, gpointer data)
{
  if (!xtls_client_is_ours (account))
    return FALSE;
  xtls_client_emit ("SIGNAL decision %s %u", xtls_client_or_dash (peer), decision);
  return claim_decisions;
}

static void
xtls_client_xtls_message_status (PurpleAccount *account, const char *peer, const char *text,
                                 guint sent, gpointer data)
{
  g_autofree char *escaped = NULL;

  if (!xtls_client_is_ours (account))
    return;
  escaped = xtls_client_escape (text);
  xtls_client_emit ("SIGNAL msgstatus %s %d %s", xtls_client_or_dash (peer), sent ? 1 : 0, escaped);
}

/* A registered argument type, loosely: every integer-like type is "int" (they are passed
 * alike through varargs). */
static const char *
xtls_client_value_kind (PurpleValue *value)
{
  switch (purple_value_get_type (value))
    {
      case PURPLE_TYPE_SUBTYPE:
        return purple_value_get_subtype (value) == PURPLE_SUBTYPE_ACCOUNT ? "account" : "subtype";
      case PURPLE_TYPE_CHAR:
      case PURPLE_TYPE_UCHAR:
      case PURPLE_TYPE_BOOLEAN:
      case PURPLE_TYPE_SHORT:
      case PURPLE_TYPE_USHORT:
      case PURPLE_TYPE_INT:
      case PURPLE_TYPE_UINT:
      case PURPLE_TYPE_ENUM:
        return "int";
      case PURPLE_TYPE_STRING:
        return "string";
      case PURPLE_TYPE_UNKNOWN:
        return "unknown";
      default:
        return "pointer";
    }
}

/* "ret:arg,arg,..." as registered, e.g. "void:account,string,int,string"; NULL if the name
 * is not registered. */
static char *
xtls_client_describe_values (PurpleValue *ret, int n, PurpleValue **values)
{
  GString *out = g_string_new (ret != NULL ? xtls_client_value_kind (ret) : "void");

  g_string_append_c (out, ':');
  for (int i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, values[i] != NULL ? xtls_client_value_kind (values[i]) : "unknown");
    }
  return g_string_free (out, FALSE);
}

static void
xtls_client_probe_cb (void)
{
}

static char *
xtls_client_signal_signature (PurplePlugin *p, const char *name)
{
  PurpleValue *ret = NULL;
  PurpleValue **values = NULL;
  int n = -1;

  /* Both purple_signal_get_values() and purple_signal_connect() raise a critical when the
   * plugin registered no signal at all; the plugin registers its signals with its IPC, so a
   * plugin without the "start" call (asked quietly) is taken to have none. For a single
   * missing signal connect only logs a debug line: probe with a connection (nothing is
   * emitted before it is disconnected again, we are on the main loop). */
  if (!purple_plugin_ipc_get_params (p, "start", NULL, NULL, NULL))
    return NULL;
  if (purple_signal_connect (p, name, &probe_signals_handle, PURPLE_CALLBACK (xtls_client_probe_cb),
                             NULL)
      == 0)
    return NULL;
  purple_signal_disconnect (p, name, &probe_signals_handle, PURPLE_CALLBACK (xtls_client_probe_cb));
  purple_signal_get_values (p, name, &ret, &n, &values);
  if (n < 0)
    return NULL;
  return xtls_client_describe_values (ret, n, values);
}

static char *
xtls_client_ipc_signature (PurplePlugin *p, const char *name)
{
  PurpleValue *ret = NULL;
  PurpleValue **values = NULL;
  int n = 0;

  if (!purple_plugin_ipc_get_params (p, name, &ret, &n, &values))
    return NULL;
  return xtls_client_describe_values (ret, n, values);
}

/* The plugin signals of xtls-api.h with the argument kinds the header documents. */
static const struct
{
  const char *name;
  const char *signature;
  GCallback callback;
} xtls_client_signal_table[] = {
  { "xtls-state-changed", "void:account,string,string,int", G_CALLBACK (xtls_client_xtls_state) },
  { "xtls-decision-needed", "int:account,string,int", G_CALLBACK (xtls_client_xtls_decision) },
  { "xtls-message-status", "void:account,string,string,int",
    G_CALLBACK (xtls_client_xtls_message_status) },
};

/* Connects the plugin's signals after checking each registered signature against
 * xtls-api.h: calling a handler with other argument types would crash this client. */
static void
xtls_client_connect_plugin_signals (void)
{
  void *h = &plugin_signals_handle;
  PurplePlugin *p = xtls_plugin;
  int connected = 0;

  purple_signals_disconnect_by_handle (h);
  if (p == NULL || !purple_plugin_is_loaded (p))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (xtls_client_signal_table); i++)
    {
      const char *name = xtls_client_signal_table[i].name;
      g_autofree char *sig = xtls_client_signal_signature (p, name);
      GCallback cb = xtls_client_signal_table[i].callback;

      if (sig == NULL)
        {
          xtls_client_emit ("PLUGIN contract-mismatch signal %s not registered", name);
          continue;
        }
      if (!g_str_equal (sig, xtls_client_signal_table[i].signature))
        {
          xtls_client_emit ("PLUGIN contract-mismatch signal %s registered %s, xtls-api.h %s", name,
                            sig, xtls_client_signal_table[i].signature);
          continue;
        }
      connected += purple_signal_connect (p, name, h, PURPLE_CALLBACK (cb), NULL) != 0;
    }
  xtls_client_emit ("PLUGIN signals %d", connected);
}

void
xtls_client_plugin_disconnect_signals (void)
{
  purple_signals_disconnect_by_handle (&plugin_signals_handle);
}

void
xtls_client_cmd_claim (const char *arg)
{
  claim_decisions = g_strcmp0 (arg, "on") == 0;
  xtls_client_emit ("CLAIM %s", claim_decisions ? "on" : "off");
}

/* ---- Load and unload --------------------------------------------------------------------- */

static void
xtls_client_report_plugin_loaded (void)
{
  xtls_client_emit ("PLUGIN loaded %s", xtls_plugin->path);
  xtls_client_connect_plugin_signals ();
}

void
xtls_client_cmd_load (void)
{
  if (xtls_plugin == NULL)
    {
      xtls_client_emit ("PLUGIN missing");
      return;
    }
  if (!purple_plugin_is_loaded (xtls_plugin) && !purple_plugin_load (xtls_plugin))
    {
      g_autofree char *error = xtls_client_escape (xtls_plugin->error);
      xtls_client_emit ("PLUGIN load-failed %s", error);
      return;
    }
  xtls_client_report_plugin_loaded ();
}

void
xtls_client_cmd_unload (void)
{
  if (xtls_plugin == NULL || !purple_plugin_is_loaded (xtls_plugin))
    {
      xtls_client_emit ("PLUGIN not-loaded");
      return;
    }
  purple_signals_disconnect_by_handle (&plugin_signals_handle);
  if (purple_plugin_unload (xtls_plugin))
    xtls_client_emit ("PLUGIN unloaded");
  else
    xtls_client_emit ("PLUGIN unload-failed");
}

void
xtls_client_plugin_init (void)
{
  xtls_plugin = purple_plugins_find_with_id (XTLS_PLUGIN_ID);
  if (xtls_plugin == NULL)
    xtls_client_emit ("PLUGIN missing");
  else
    xtls_client_cmd_load ();
}

/* ---- IPC and contract -------------------------------------------------------------------- */

/* The IPC calls of xtls-api.h: return kind ('b' gboolean, 'i' int, 's' char *, 'l' GList of
 * char *, 'v' void) and the argument kinds after the implicit account ('s' string, 'i' int). */
static const struct
{
  const char *name;
  char ret;
  const char *args;
} xtls_client_ipc_table[] = {
  { "start", 'b', "s" },           { "stop", 'v', "s" },
  { "get-state", 'i', "s" },       { "get-peer-resource", 's', "s" },
  { "decide", 'v', "si" },         { "supply-password", 'v', "ss" },
  { "get-fingerprint", 's', "" },  { "get-peer-fingerprint", 's', "s" },
  { "get-safety-code", 's', "s" }, { "list-known-peers", 'l', "" },
  { "trust", 'b', "ss" },          { "forget", 'b', "s" },
  { "verify-typed", 'i', "ss" },   { "list-devices", 'l', "s" },
  { "get-failure", 'i', "s" },
};

void
xtls_client_cmd_ipc (const char *name, const char *rest)
{
  PurplePlugin *p = xtls_plugin;
  const char *ret_kind = NULL;
  const char *arg_kinds = NULL;
  g_auto (GStrv) args = NULL;
  gboolean ok = FALSE;
  void *result = NULL;
  guint nargs;

  for (guint i = 0; i < G_N_ELEMENTS (xtls_client_ipc_table); i++)
    {
      if (g_strcmp0 (xtls_client_ipc_table[i].name, name) == 0)
        {
          ret_kind = &xtls_client_ipc_table[i].ret;
          arg_kinds = xtls_client_ipc_table[i].args;
        }
    }
  if (ret_kind == NULL)
    {
      xtls_client_emit ("IPC %s ERROR unknown-call", name);
      return;
    }
  if (p == NULL || !purple_plugin_is_loaded (p))
    {
      xtls_client_emit ("IPC %s ERROR no-plugin", name);
      return;
    }
  nargs = strlen (arg_kinds);
  /* Calling through a marshaller with other argument kinds would crash: check first. */
  {
    g_autofree char *sig = xtls_client_ipc_signature (p, name);
    g_autoptr (GString) want = g_string_new (NULL);

    g_string_append (want, *ret_kind == 'b' || *ret_kind == 'i' ? "int"
                           : *ret_kind == 'v'                   ? "void"
                           : *ret_kind == 's'                   ? "string"
                                                                : "pointer");
    g_string_append (want, ":account");
    for (const char *k = arg_kinds; *k != '\0'; k++)
      g_string_append (want, *k == 's' ? ",string" : ",int");
    if (sig == NULL)
      {
        xtls_client_emit ("IPC %s ERROR not-registered", name);
        return;
      }
    if (!g_str_equal (sig, want->str)
        && !(*ret_kind == 's' && g_str_has_prefix (sig, "pointer:")
             && g_str_equal (strchr (sig, ':'), strchr (want->str, ':'))))
      {
        xtls_client_emit ("IPC %s ERROR signature registered %s, xtls-api.h %s", name, sig,
                          want->str);
        return;
      }
  }
  args = nargs > 0 ? g_strsplit (rest != NULL ? rest : "", " ", (gint)nargs) : g_new0 (char *, 1);
  if (g_strv_length (args) != nargs)
    {
      xtls_client_emit ("IPC %s ERROR wants-%u-args", name, nargs);
      return;
    }

  if (g_strcmp0 (arg_kinds, "") == 0)
    result = purple_plugin_ipc_call (p, name, &ok, xtls_client_account ());
  else if (g_strcmp0 (arg_kinds, "s") == 0)
    result = purple_plugin_ipc_call (p, name, &ok, xtls_client_account (), args[0]);
  else if (g_strcmp0 (arg_kinds, "si") == 0)
    result = purple_plugin_ipc_call (p, name, &ok, xtls_client_account (), args[0],
                                     (int)g_ascii_strtoll (args[1], NULL, 10));
  else if (g_strcmp0 (arg_kinds, "ss") == 0)
    result = purple_plugin_ipc_call (p, name, &ok, xtls_client_account (), args[0], args[1]);

  if (!ok)
    {
      xtls_client_emit ("IPC %s ERROR not-registered", name);
      return;
    }
  switch (*ret_kind)
    {
      case 'b':
        xtls_client_emit ("IPC %s %d", name, GPOINTER_TO_INT (result) ? 1 : 0);
        break;
      case 'i':
        xtls_client_emit ("IPC %s %d", name, GPOINTER_TO_INT (result));
        break;
      case 's':
        {
          g_autofree char *owned = result;
          g_autofree char *escaped = xtls_client_escape (owned);
          xtls_client_emit ("IPC %s %s", name, owned != NULL ? escaped : "(null)");
          break;
        }
      case 'l':
        {
          GList *list = result;
          g_autoptr (GString) joined = g_string_new (NULL);
          for (GList *l = list; l != NULL; l = l->next)
            {
              g_autofree char *escaped = xtls_client_escape (l->data);
              if (l != list)
                g_string_append_c (joined, '|');
              g_string_append (joined, escaped);
            }
          g_list_free_full (list, g_free);
          xtls_client_emit ("IPC %s %s", name, joined->str);
          break;
        }
      default:
        xtls_client_emit ("IPC %s void", name);
        break;
    }
}

/* Prints the registered signatures of every signal and IPC call xtls-api.h names. */
void
xtls_client_cmd_contract (void)
{
  PurplePlugin *p = xtls_plugin;

  if (p == NULL || !purple_plugin_is_loaded (p))
    {
      xtls_client_emit ("CONTRACT ERROR no-plugin");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (xtls_client_signal_table); i++)
    {
      g_autofree char *sig = xtls_client_signal_signature (p, xtls_client_signal_table[i].name);
      xtls_client_emit ("CONTRACT signal %s %s", xtls_client_signal_table[i].name,
                        sig != NULL ? sig : "missing");
    }
  for (guint i = 0; i < G_N_ELEMENTS (xtls_client_ipc_table); i++)
    {
      g_autofree char *sig = xtls_client_ipc_signature (p, xtls_client_ipc_table[i].name);
      xtls_client_emit ("CONTRACT ipc %s %s", xtls_client_ipc_table[i].name,
                        sig != NULL ? sig : "missing");
    }
  xtls_client_emit ("CONTRACT end");
}
