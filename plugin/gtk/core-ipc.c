/* The core plugin's IPC calls (xtls-api.h), typed, in one place. The core is looked up on
 * every call: it may be unloaded while a dialog is open, and then every call is a no-op. */
#include <string.h>

#include "gtk-xtls.h"

PurplePlugin *
xtls_gtk_core (void)
{
  PurplePlugin *core = purple_plugins_find_with_id (XTLS_PLUGIN_ID);
  return core != NULL && purple_plugin_is_loaded (core) ? core : NULL;
}

/* purple_plugin_ipc_call() returns the value through a pointer: gboolean and int as
 * GINT_TO_POINTER, strings and lists as themselves. */
#define CALL(name, ...)                                                                            \
  (xtls_gtk_core () != NULL ? purple_plugin_ipc_call (xtls_gtk_core (), name, NULL, __VA_ARGS__)   \
                            : NULL)

gboolean
xtls_gtk_core_start (PurpleAccount *account, const char *peer)
{
  return GPOINTER_TO_INT (CALL ("start", account, peer));
}

void
xtls_gtk_core_stop (PurpleAccount *account, const char *peer)
{
  (void)CALL ("stop", account, peer);
}

int
xtls_gtk_core_get_state (PurpleAccount *account, const char *peer)
{
  return GPOINTER_TO_INT (CALL ("get-state", account, peer));
}

char *
xtls_gtk_core_peer_resource (PurpleAccount *account, const char *bare)
{
  return CALL ("get-peer-resource", account, bare);
}

void
xtls_gtk_core_decide (PurpleAccount *account, const char *peer, guint answer)
{
  (void)CALL ("decide", account, peer, answer);
}

void
xtls_gtk_core_supply_password (PurpleAccount *account, const char *peer, const char *password)
{
  (void)CALL ("supply-password", account, peer, password);
}

char *
xtls_gtk_core_fingerprint (PurpleAccount *account)
{
  return CALL ("get-fingerprint", account);
}

char *
xtls_gtk_core_peer_fingerprint (PurpleAccount *account, const char *peer)
{
  return CALL ("get-peer-fingerprint", account, peer);
}

char *
xtls_gtk_core_safety_code (PurpleAccount *account, const char *peer)
{
  return CALL ("get-safety-code", account, peer);
}

gboolean
xtls_gtk_core_trust (PurpleAccount *account, const char *bare, const char *fingerprint)
{
  return GPOINTER_TO_INT (CALL ("trust", account, bare, fingerprint));
}

gboolean
xtls_gtk_core_forget (PurpleAccount *account, const char *bare)
{
  return GPOINTER_TO_INT (CALL ("forget", account, bare));
}

static void
known_peer_free (gpointer data)
{
  XtlsGtkKnownPeer *p = data;

  g_free (p->bare);
  g_free (p->fingerprint);
  g_free (p->how);
  g_free (p);
}

void
xtls_gtk_known_peers_free (GList *peers)
{
  g_list_free_full (peers, known_peer_free);
}

/* Each item of "list-known-peers" is "bare-jid fingerprint how unix-time". */
GList *
xtls_gtk_core_known_peers (PurpleAccount *account)
{
  GList *lines = CALL ("list-known-peers", account);
  GList *peers = NULL;

  for (GList *l = lines; l != NULL; l = l->next)
    {
      g_auto (GStrv) fields = g_strsplit (l->data, " ", 4);

      if (g_strv_length (fields) == 4)
        {
          XtlsGtkKnownPeer *p = g_new0 (XtlsGtkKnownPeer, 1);
          p->bare = g_strdup (fields[0]);
          p->fingerprint = g_strdup (fields[1]);
          p->how = g_strdup (fields[2]);
          p->when = g_ascii_strtoll (fields[3], NULL, 10);
          peers = g_list_prepend (peers, p);
        }
    }
  g_list_free_full (lines, g_free);
  return g_list_reverse (peers);
}

gboolean
xtls_gtk_core_is_known (PurpleAccount *account, const char *bare)
{
  GList *peers = xtls_gtk_core_known_peers (account);
  gboolean known = FALSE;

  for (GList *l = peers; l != NULL && !known; l = l->next)
    known = g_ascii_strcasecmp (((XtlsGtkKnownPeer *)l->data)->bare, bare) == 0;
  xtls_gtk_known_peers_free (peers);
  return known;
}

int
xtls_gtk_core_verify_typed (PurpleAccount *account, const char *bare, const char *typed)
{
  return xtls_gtk_core () != NULL ? GPOINTER_TO_INT (CALL ("verify-typed", account, bare, typed))
                                  : XTLS_API_TYPED_FAILED;
}

static void
device_free (gpointer data)
{
  XtlsGtkDevice *d = data;

  g_free (d->jid);
  g_free (d->client);
  g_free (d);
}

void
xtls_gtk_devices_free (GList *devices)
{
  g_list_free_full (devices, device_free);
}

/* Each item of "list-devices" is "full-jid<TAB>client<TAB>supported". */
GList *
xtls_gtk_core_devices (PurpleAccount *account, const char *bare)
{
  GList *lines = CALL ("list-devices", account, bare);
  GList *devices = NULL;

  for (GList *l = lines; l != NULL; l = l->next)
    {
      g_auto (GStrv) fields = g_strsplit (l->data, "\t", 3);

      if (g_strv_length (fields) == 3 && strchr (fields[0], '/') != NULL)
        {
          XtlsGtkDevice *d = g_new0 (XtlsGtkDevice, 1);
          d->jid = g_strdup (fields[0]);
          d->client = *fields[1] != '\0' ? g_strdup (fields[1]) : NULL;
          d->supported = strcmp (fields[2], "1") == 0;
          devices = g_list_prepend (devices, d);
        }
    }
  g_list_free_full (lines, g_free);
  return g_list_reverse (devices);
}

char *
xtls_gtk_device_label (const char *jid, GList *devices)
{
  const char *slash = jid != NULL ? strchr (jid, '/') : NULL;
  const char *client = NULL;

  if (slash == NULL)
    return NULL;
  for (GList *l = devices; l != NULL && client == NULL; l = l->next)
    if (g_strcmp0 (((XtlsGtkDevice *)l->data)->jid, jid) == 0)
      client = ((XtlsGtkDevice *)l->data)->client;
  if (client != NULL)
    /* Translators: a contact's device: the first %s is its XMPP resource (e.g. "phone"), the
     * second the client program from its capabilities (e.g. "Gajim") */
    return g_strdup_printf (_ ("“%s” (%s)"), slash + 1, client);
  /* Translators: a contact's device: %s is its XMPP resource (e.g. "phone") */
  return g_strdup_printf (_ ("“%s”"), slash + 1);
}

/* ---- reasons ------------------------------------------------------------------------------ */

/* Decisions follow the core's machine-readable end reason, never its (translated) sentence. */
int
xtls_gtk_core_failure (PurpleAccount *account, const char *peer)
{
  return GPOINTER_TO_INT (CALL ("get-failure", account, peer));
}

/* ---- small helpers ------------------------------------------------------------------------ */

char *
xtls_gtk_group (const char *text, guint group, guint per_line)
{
  GString *out = g_string_new (NULL);
  guint n = 0;

  for (const char *p = text; p != NULL && *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p))
        continue;
      if (n > 0 && n % group == 0)
        g_string_append_c (out, per_line > 0 && n % (group * per_line) == 0 ? '\n' : ' ');
      g_string_append_c (out, *p);
      n++;
    }
  return g_string_free (out, FALSE);
}

char *
xtls_gtk_bare (const char *jid)
{
  const char *slash = jid != NULL ? strchr (jid, '/') : NULL;
  g_autofree char *bare = slash != NULL ? g_strndup (jid, slash - jid) : g_strdup (jid);

  return bare != NULL ? g_utf8_strdown (bare, -1) : NULL;
}

const char *
xtls_gtk_display_name (PurpleAccount *account, const char *bare)
{
  PurpleBuddy *buddy = purple_find_buddy (account, bare);
  return buddy != NULL ? purple_buddy_get_contact_alias (buddy) : bare;
}

gboolean
xtls_gtk_account_alive (PurpleAccount *account)
{
  return account != NULL && g_list_find (purple_accounts_get_all (), account) != NULL;
}
