/* What the UI knows about each contact: the trust level the core last reported, why the last
 * session failed, and whether we claimed a decision the user has not answered yet. One record
 * per (account, bare JID), computed here only (pidgin-otr's single trust level). */
#include "gtk-xtls.h"

static GHashTable *peers; /* "account-pointer bare" -> XtlsGtkPeer, owned */

static void
peer_free (gpointer data)
{
  XtlsGtkPeer *p = data;

  g_free (p->bare);
  g_free (p->peer);
  g_free (p->failure);
  g_free (p);
}

void
xtls_gtk_peers_init (void)
{
  peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, peer_free);
}

void
xtls_gtk_peers_shutdown (void)
{
  g_clear_pointer (&peers, g_hash_table_unref);
}

static char *
peer_key (PurpleAccount *account, const char *bare)
{
  return g_strdup_printf ("%p %s", (void *)account, bare);
}

XtlsGtkPeer *
xtls_gtk_peer_get (PurpleAccount *account, const char *jid)
{
  g_autofree char *bare = xtls_gtk_bare (jid);
  g_autofree char *key = peer_key (account, bare);
  XtlsGtkPeer *p = g_hash_table_lookup (peers, key);

  if (p != NULL)
    return p;
  p = g_new0 (XtlsGtkPeer, 1);
  p->account = account;
  p->bare = g_steal_pointer (&bare);
  p->state = xtls_gtk_core_get_state (account, p->bare);
  p->peer = xtls_gtk_core_peer_resource (account, p->bare);
  g_hash_table_insert (peers, g_steal_pointer (&key), p);
  return p;
}

const char *
xtls_gtk_peer_target (const XtlsGtkPeer *p)
{
  return p->peer != NULL ? p->peer : p->bare;
}

void
xtls_gtk_peer_update (XtlsGtkPeer *p, const char *full_jid, int state, const char *reason)
{
  if (full_jid != NULL && g_strcmp0 (full_jid, p->peer) != 0)
    {
      g_free (p->peer);
      p->peer = g_strdup (full_jid);
    }
  p->state = state;
  if (state == XTLS_API_STATE_NEGOTIATING)
    p->stopped = FALSE; /* a new session */
  /* A decision is only ever asked while the session is unverified; any other state means it
   * was answered (here, by a command or by the other side) or the session is gone. */
  if (state != XTLS_API_STATE_UNVERIFIED)
    p->pending = 0;
  if (state == XTLS_API_STATE_FAILED || (state == XTLS_API_STATE_FINISHED && reason != NULL))
    {
      g_free (p->failure);
      p->failure = g_strdup (reason);
    }
  else if (state == XTLS_API_STATE_PRIVATE)
    g_clear_pointer (&p->failure, g_free);
}

int
xtls_gtk_peer_shown_state (const XtlsGtkPeer *p)
{
  return p->state == XTLS_API_STATE_FINISHED && p->stopped ? XTLS_API_STATE_NOT_PRIVATE : p->state;
}

void
xtls_gtk_peer_stop (XtlsGtkPeer *p)
{
  p->stopped = TRUE;
  xtls_gtk_core_stop (p->account, p->bare);
}

void
xtls_gtk_peers_forget_account (PurpleAccount *account)
{
  GHashTableIter iter;
  gpointer value;

  if (peers == NULL)
    return;
  g_hash_table_iter_init (&iter, peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((XtlsGtkPeer *)value)->account == account)
      g_hash_table_iter_remove (&iter);
}

const char *
xtls_gtk_state_word (int state)
{
  switch (state)
    {
      case XTLS_API_STATE_NOT_PRIVATE:
        /* Translators: the status button in a conversation; keep these six words short */
        return _ ("Not private");
      case XTLS_API_STATE_NEGOTIATING:
        return _ ("Negotiating");
      case XTLS_API_STATE_UNVERIFIED:
        return _ ("Unverified");
      case XTLS_API_STATE_PRIVATE:
        return _ ("Private");
      case XTLS_API_STATE_FINISHED:
        return _ ("Finished");
      case XTLS_API_STATE_FAILED:
        return _ ("Failed");
    }
  return _ ("Not private");
}

const char *
xtls_gtk_state_sentence (int state)
{
  switch (state)
    {
      case XTLS_API_STATE_NOT_PRIVATE:
        return _ ("Not private: messages go through the server unencrypted.");
      case XTLS_API_STATE_NEGOTIATING:
        return _ ("Negotiating: a private conversation is being set up. What you type waits "
                  "until it is ready.");
      case XTLS_API_STATE_UNVERIFIED:
        return _ ("Unverified: encrypted (or about to be), but you have not checked that this "
                  "is really your contact.");
      case XTLS_API_STATE_PRIVATE:
        return _ ("Private: end-to-end encrypted, and your contact is verified.");
      case XTLS_API_STATE_FINISHED:
        return _ ("Finished: the private conversation has ended.");
      case XTLS_API_STATE_FAILED:
        return _ ("Failed: the private conversation could not be set up.");
    }
  return "";
}
