/* An account's XTLS sessions: routes outer IQs to the session that owns them, resolves
 * simultaneous offers (tie-break), runs deadlines, and defers frees until no callback can
 * still be on the stack. */
#include "session-private.h"

#include <string.h>

#include "xtls-error.h"

typedef struct
{
  gpointer object;
  GDestroyNotify free_func;
} Grave;

char *
xtls_bare_jid (const char *jid)
{
  const char *slash = jid != NULL ? strchr (jid, '/') : NULL;

  if (jid == NULL)
    return NULL;
  return slash != NULL ? g_strndup (jid, slash - jid) : g_strdup (jid);
}

XtlsHub *
xtls_hub_new (const char *own_jid, XtlsIdentity *identity, XtlsTrustStore *trust,
              const XtlsClock *clock, const XtlsHubConfig *config, const XtlsHubOps *ops,
              gpointer user_data)
{
  XtlsHub *hub;

  g_return_val_if_fail (own_jid != NULL, NULL);
  g_return_val_if_fail (identity != NULL, NULL);
  g_return_val_if_fail (trust != NULL, NULL);
  g_return_val_if_fail (clock != NULL, NULL);
  g_return_val_if_fail (ops != NULL && ops->send != NULL, NULL);

  hub = g_new0 (XtlsHub, 1);
  hub->own_jid = g_strdup (own_jid);
  hub->own_bare = xtls_bare_jid (own_jid);
  hub->identity = xtls_identity_ref (identity);
  hub->trust = trust;
  hub->clock = clock;
  if (config != NULL)
    hub->config = *config;
  if (hub->config.block_size == 0 || hub->config.block_size > XTLS_IBB_MAX_BLOCK_SIZE)
    hub->config.block_size = XTLS_IBB_DEFAULT_BLOCK_SIZE;
  if (hub->config.window == 0)
    hub->config.window = XTLS_IBB_DEFAULT_WINDOW;
  if (hub->config.ack_timeout_us <= 0)
    hub->config.ack_timeout_us = 30 * G_USEC_PER_SEC;
  if (hub->config.handshake_timeout_us <= 0)
    hub->config.handshake_timeout_us = 120 * G_USEC_PER_SEC;
  if (hub->config.accept_timeout_us <= 0)
    hub->config.accept_timeout_us = 300 * G_USEC_PER_SEC;
  hub->ops = ops;
  hub->user_data = user_data;
  hub->sessions = g_ptr_array_new ();
  hub->graveyard = g_ptr_array_new ();
  return hub;
}

static void
empty_graveyard (XtlsHub *hub)
{
  /* Freeing may not add graves (engines do not call back from free), but be safe. */
  while (hub->graveyard->len > 0)
    {
      Grave *grave = g_ptr_array_steal_index (hub->graveyard, hub->graveyard->len - 1);
      grave->free_func (grave->object);
      g_free (grave);
    }
}

void
xtls_hub_enter (XtlsHub *hub)
{
  hub->depth++;
}

void
xtls_hub_leave (XtlsHub *hub)
{
  g_assert (hub->depth > 0);
  if (--hub->depth == 0)
    empty_graveyard (hub);
}

void
xtls_hub_bury (XtlsHub *hub, gpointer object, GDestroyNotify free_func)
{
  Grave *grave = g_new0 (Grave, 1);

  grave->object = object;
  grave->free_func = free_func;
  g_ptr_array_add (hub->graveyard, grave);
  if (hub->depth == 0)
    empty_graveyard (hub);
}

void
xtls_hub_free (XtlsHub *hub)
{
  if (hub == NULL)
    return;
  xtls_hub_enter (hub);
  for (guint i = 0; i < hub->sessions->len; i++)
    xtls_session_stop_now (g_ptr_array_index (hub->sessions, i));
  xtls_hub_leave (hub);
  for (guint i = 0; i < hub->sessions->len; i++)
    xtls_session_free (g_ptr_array_index (hub->sessions, i));
  g_ptr_array_unref (hub->sessions);
  g_ptr_array_unref (hub->graveyard);
  xtls_identity_unref (hub->identity);
  g_free (hub->own_jid);
  g_free (hub->own_bare);
  g_free (hub);
}

void
xtls_hub_send (XtlsHub *hub, const char *xml)
{
  hub->ops->send (hub, xml, hub->user_data);
}

char *
xtls_hub_make_iq_id (XtlsHub *hub)
{
  return g_strdup_printf ("xtls%" G_GUINT64_FORMAT, ++hub->next_iq);
}

XtlsSession *
xtls_hub_lookup (XtlsHub *hub, const char *peer_jid)
{
  g_return_val_if_fail (hub != NULL, NULL);

  if (peer_jid == NULL)
    return NULL;
  for (guint i = 0; i < hub->sessions->len; i++)
    {
      XtlsSession *s = g_ptr_array_index (hub->sessions, i);
      if (strcmp (xtls_session_get_peer (s), peer_jid) == 0)
        return s;
    }
  return NULL;
}

/* A new session for @peer_jid, replacing an ended one (whose unsent messages move over). */
static XtlsSession *
replace_session (XtlsHub *hub, XtlsSession *old, const char *peer_jid)
{
  XtlsSession *s = xtls_session_new (hub, peer_jid);

  if (old != NULL)
    {
      g_ptr_array_remove (hub->sessions, old);
      xtls_session_take_outbox (s, old);
      xtls_hub_bury (hub, old, (GDestroyNotify)xtls_session_free);
    }
  g_ptr_array_add (hub->sessions, s);
  return s;
}

XtlsSession *
xtls_hub_start (XtlsHub *hub, const char *peer_jid)
{
  XtlsSession *s;

  g_return_val_if_fail (hub != NULL, NULL);
  g_return_val_if_fail (peer_jid != NULL && strchr (peer_jid, '/') != NULL, NULL);

  s = xtls_hub_lookup (hub, peer_jid);
  if (s != NULL && xtls_session_is_live (s))
    return s;
  xtls_hub_enter (hub);
  s = replace_session (hub, s, peer_jid);
  xtls_session_initiate (s);
  xtls_hub_leave (hub);
  return s;
}

void
xtls_hub_peer_offline (XtlsHub *hub, const char *peer_jid)
{
  XtlsSession *s = xtls_hub_lookup (hub, peer_jid);
  g_autoptr (GError) error = NULL;

  if (s == NULL || !xtls_session_is_live (s))
    return;
  xtls_hub_enter (hub);
  error
      = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_PEER_GONE, "the peer's resource went offline");
  xtls_session_fail (s, XTLS_REASON_NONE, error);
  xtls_hub_leave (hub);
}

/* An offer from @iq->from. PROTOCOL.md §6: when both sides initiate at once, the session with
 * the lower sid wins; the loser's offer is answered with <conflict/><tie-break/>. */
static void
handle_offer (XtlsHub *hub, XtlsSession *existing, const XtlsIq *iq)
{
  XtlsSession *s = existing;

  if (existing != NULL && xtls_session_awaits_accept (existing))
    {
      if (xtls_jingle_tie_break_we_win (xtls_session_get_sid (existing), iq->jingle->sid))
        {
          g_autofree char *xml
              = xtls_wire_build_error (iq->id, iq->from, XTLS_STANZA_ERROR_CONFLICT,
                                       XTLS_JINGLE_ERROR_TIE_BREAK, iq->jingle->dialect);
          g_debug ("[%s] tie-break won against %s", xtls_session_get_sid (existing),
                   iq->jingle->sid);
          xtls_hub_send (hub, xml);
          return;
        }
      /* We lose: the same session object continues as the responder. */
    }
  else if (existing == NULL || xtls_session_is_live (existing))
    {
      if (existing != NULL)
        {
          /* The peer started over (a restarted client): the old session cannot continue. */
          g_autoptr (GError) error = g_error_new_literal (
              XTLS_ERROR, XTLS_ERROR_DECLINED, "the peer started a new private conversation");
          xtls_session_fail (existing, XTLS_REASON_NONE, error);
        }
      s = replace_session (hub, existing, iq->from);
    }
  else
    s = replace_session (hub, existing, iq->from);
  xtls_session_handle_offer (s, iq);
}

static gboolean
route (XtlsHub *hub, const XtlsIq *iq)
{
  XtlsSession *s = xtls_hub_lookup (hub, iq->from);

  switch (iq->type)
    {
      case XTLS_IQ_RESULT:
      case XTLS_IQ_ERROR:
        /* Only answers to IQs we sent (matched by id and sender) are ours. */
        if (s == NULL || !xtls_session_owns_iq (s, iq->id))
          return FALSE;
        xtls_session_handle_reply (s, iq);
        return TRUE;
      case XTLS_IQ_GET:
      case XTLS_IQ_SET:
        break;
    }

  switch (iq->payload)
    {
      case XTLS_IQ_PAYLOAD_JINGLE:
        if (s != NULL && xtls_session_matches_sid (s, iq->jingle->sid))
          {
            xtls_session_handle_jingle (s, iq);
            return TRUE;
          }
        /* Offers for other applications (voice, video, file transfer) are libpurple's. */
        if (iq->jingle->action == XTLS_JINGLE_SESSION_INITIATE
            && (iq->jingle->app == XTLS_APP_XMLSTREAM || iq->jingle->app == XTLS_APP_XMLSTREAM_TMP))
          {
            handle_offer (hub, s, iq);
            return TRUE;
          }
        return FALSE;
      case XTLS_IQ_PAYLOAD_IBB:
        if (s == NULL || !xtls_session_matches_transport (s, iq->ibb.sid))
          return FALSE;
        xtls_session_handle_ibb (s, iq);
        return TRUE;
      case XTLS_IQ_PAYLOAD_NONE:
      case XTLS_IQ_PAYLOAD_OTHER:
        return FALSE;
    }
  return FALSE;
}

gboolean
xtls_hub_receive (XtlsHub *hub, const char *xml, gssize len)
{
  g_autoptr (XtlsIq) iq = NULL;
  g_autoptr (GError) error = NULL;
  gboolean ours;

  g_return_val_if_fail (hub != NULL, FALSE);
  g_return_val_if_fail (xml != NULL, FALSE);

  iq = xtls_wire_parse_iq (xml, len, &error);
  /* Every IQ reaching us has a sender stamped by the server; without one it is not ours. */
  if (iq == NULL || iq->from == NULL || iq->id == NULL)
    return FALSE;
  xtls_hub_enter (hub);
  ours = route (hub, iq);
  xtls_hub_leave (hub);
  return ours;
}

gint64
xtls_hub_next_deadline (XtlsHub *hub)
{
  gint64 next = -1;

  for (guint i = 0; i < hub->sessions->len; i++)
    {
      gint64 d = xtls_session_next_deadline (g_ptr_array_index (hub->sessions, i));
      if (d > 0 && (next < 0 || d < next))
        next = d;
    }
  return next;
}

void
xtls_hub_tick (XtlsHub *hub)
{
  gint64 t = xtls_clock_now (hub->clock);

  xtls_hub_enter (hub);
  for (guint i = 0; i < hub->sessions->len; i++)
    xtls_session_tick (g_ptr_array_index (hub->sessions, i), t);
  xtls_hub_leave (hub);
}
