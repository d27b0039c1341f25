/* An account's XTLS sessions: chat (one per peer resource) and encrypted file transfers
 * (several per peer, keyed by peer and Jingle sid). Routes outer IQs to the session that owns
 * them, bounds what peers can make us keep, resolves simultaneous chat offers (tie-break), runs
 * deadlines, and defers frees until no callback can still be on the stack. */
#include "hub-private.h"

#include <string.h>

#include "wire-private.h"
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
  /* Both fit a phone call: an older peer asks its user before it accepts (PROTOCOL.md §2.1). */
  if (hub->config.decision_timeout_us <= 0)
    hub->config.decision_timeout_us = 30 * 60 * G_USEC_PER_SEC;
  /* A minute more than a question may stay open: a deciding responder speaks first. */
  if (hub->config.accept_timeout_us <= 0)
    hub->config.accept_timeout_us = hub->config.decision_timeout_us + 60 * G_USEC_PER_SEC;
  if (hub->config.max_sessions == 0)
    hub->config.max_sessions = 64;
  if (hub->config.max_sessions_per_contact == 0)
    hub->config.max_sessions_per_contact = 4;
  if (hub->config.max_ended == 0)
    hub->config.max_ended = 32;
  if (hub->config.ended_linger_us <= 0)
    hub->config.ended_linger_us = 120 * G_USEC_PER_SEC;
  if (hub->config.offer_burst == 0)
    hub->config.offer_burst = 8;
  if (hub->config.offer_interval_us <= 0)
    hub->config.offer_interval_us = 2 * G_USEC_PER_SEC;
  hub->ops = ops;
  hub->user_data = user_data;
  hub->host = (XtlsSessionHost){
    .own_jid = hub->own_jid,
    .identity = hub->identity,
    .trust = hub->trust,
    .clock = hub->clock,
    .config = &hub->config,
    .ops = &xtls_hub_host_ops,
    .user_data = hub,
  };
  /* Keys are the sessions' own peer strings: the table frees nothing, xtls_session_free does. */
  hub->sessions = g_hash_table_new (g_str_hash, g_str_equal);
  hub->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  hub->offer_tokens = hub->config.offer_burst;
  hub->offer_refilled = xtls_clock_now (clock);
  hub->graveyard = g_ptr_array_new ();
  xtls_hub_net_init (hub);
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

/* A snapshot of the sessions: callbacks may add or remove sessions while we walk it (what they
 * remove is only buried, so every pointer stays valid until the outermost call returns). */
static GPtrArray *
all_sessions (XtlsHub *hub)
{
  GPtrArray *all
      = g_ptr_array_sized_new (g_hash_table_size (hub->sessions) + g_hash_table_size (hub->files));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, hub->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (all, value);
  g_hash_table_iter_init (&iter, hub->files);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (all, value);
  return all;
}

void
xtls_hub_free (XtlsHub *hub)
{
  g_autoptr (GPtrArray) all = NULL;

  if (hub == NULL)
    return;
  all = all_sessions (hub);
  xtls_hub_enter (hub);
  for (guint i = 0; i < all->len; i++)
    xtls_session_stop_now (g_ptr_array_index (all, i));
  xtls_hub_leave (hub);
  g_hash_table_remove_all (hub->sessions);
  g_hash_table_remove_all (hub->files);
  for (guint i = 0; i < all->len; i++)
    xtls_session_free (g_ptr_array_index (all, i));
  g_hash_table_unref (hub->sessions);
  g_hash_table_unref (hub->files);
  xtls_hub_net_clear (hub);
  empty_graveyard (hub);
  g_ptr_array_unref (hub->graveyard);
  xtls_identity_unref (hub->identity);
  g_free (hub->own_jid);
  g_free (hub);
}

void
xtls_hub_send_xml (XtlsHub *hub, const char *xml)
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
  return g_hash_table_lookup (hub->sessions, peer_jid);
}

guint
xtls_hub_count_sessions (XtlsHub *hub)
{
  g_return_val_if_fail (hub != NULL, 0);
  return g_hash_table_size (hub->sessions) + g_hash_table_size (hub->files);
}

/* A file session's key: the peer's full JID and the Jingle sid (a sid alone could be chosen
 * by one peer to collide with another's). */
char *
xtls_hub_file_key (const char *peer, const char *sid)
{
  return g_strconcat (peer, "\n", sid, NULL);
}

XtlsSession *
xtls_hub_lookup_file (XtlsHub *hub, const char *peer, const char *sid)
{
  g_autofree char *key = NULL;

  if (peer == NULL || sid == NULL)
    return NULL;
  key = xtls_hub_file_key (peer, sid);
  return g_hash_table_lookup (hub->files, key);
}

/* File sessions with @peer that @match accepts (a transport sid, an IQ id). */
static XtlsSession *
find_file (XtlsHub *hub, const char *peer, gboolean (*match) (XtlsSession *, const char *),
           const char *what)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, hub->files);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (strcmp (xtls_session_get_peer (value), peer) == 0 && match (value, what))
      return value;
  return NULL;
}

static void
release (XtlsHub *hub, XtlsSession *s)
{
  if (xtls_session_is_file (s))
    {
      g_autofree char *key
          = xtls_hub_file_key (xtls_session_get_peer (s), xtls_session_get_sid (s));
      g_hash_table_remove (hub->files, key);
    }
  else
    g_hash_table_remove (hub->sessions, xtls_session_get_peer (s));
  xtls_hub_bury (hub, s, (GDestroyNotify)xtls_session_free);
}

/* Ended sessions are kept a while so that late stanzas for them are answered as the protocol
 * says (PROTOCOL.md §3: <item-not-found/>), then released; never more than max_ended. */
static void
release_ended (XtlsHub *hub, gint64 now)
{
  g_autoptr (GPtrArray) all = all_sessions (hub);
  XtlsSession *oldest = NULL;
  guint ended = 0;

  for (guint i = 0; i < all->len; i++)
    {
      XtlsSession *s = g_ptr_array_index (all, i);
      gint64 at = xtls_session_ended_at (s);
      if (at == 0)
        continue;
      if (now - at >= hub->config.ended_linger_us)
        {
          release (hub, s);
          continue;
        }
      ended++;
      if (oldest == NULL || at < xtls_session_ended_at (oldest))
        oldest = s;
    }
  if (ended > hub->config.max_ended && oldest != NULL)
    {
      release (hub, oldest);
      release_ended (hub, now); /* one at a time keeps the oldest-first order */
    }
}

/* A new session for @peer_jid, replacing an ended one (its messages were already reported). */
static XtlsSession *
replace_session (XtlsHub *hub, XtlsSession *old, const char *peer_jid)
{
  XtlsSession *s = xtls_session_new (&hub->host, peer_jid);

  if (old != NULL)
    {
      g_hash_table_remove (hub->sessions, xtls_session_get_peer (old));
      xtls_hub_bury (hub, old, (GDestroyNotify)xtls_session_free);
    }
  g_hash_table_insert (hub->sessions, (gpointer)xtls_session_get_peer (s), s);
  release_ended (hub, xtls_clock_now (hub->clock));
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
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GError) error = NULL;

  g_return_if_fail (hub != NULL && peer_jid != NULL);

  all = all_sessions (hub);
  error
      = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_PEER_GONE, "the peer's resource went offline");
  xtls_hub_enter (hub);
  for (guint i = 0; i < all->len; i++)
    {
      XtlsSession *s = g_ptr_array_index (all, i);
      if (xtls_session_is_live (s) && strcmp (xtls_session_get_peer (s), peer_jid) == 0)
        xtls_session_fail (s, XTLS_REASON_NONE, error);
    }
  xtls_hub_leave (hub);
}

/* Longest attribute we keep from an offer. Jingle and IBB sids are short tokens and content
 * names are words; a JID is at most 3071 bytes (RFC 7622 §3.1). */
#define MAX_TOKEN_BYTES 256
#define MAX_JID_BYTES 3071

static gboolean
too_long (const char *text, gsize max)
{
  return text != NULL && strnlen (text, max + 1) > max;
}

static gboolean
offer_is_oversized (const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  return too_long (iq->from, MAX_JID_BYTES) || too_long (j->initiator, MAX_JID_BYTES)
         || too_long (j->responder, MAX_JID_BYTES) || too_long (j->sid, MAX_TOKEN_BYTES)
         || too_long (j->transport_sid, MAX_TOKEN_BYTES)
         || too_long (j->content_name, MAX_TOKEN_BYTES)
         || too_long (j->content_creator, MAX_TOKEN_BYTES);
}

/* One token per offer, refilled at offer_interval_us up to offer_burst. */
static gboolean
take_offer_token (XtlsHub *hub)
{
  gint64 now = xtls_clock_now (hub->clock);
  double refill = (double)(now - hub->offer_refilled) / (double)hub->config.offer_interval_us;

  hub->offer_tokens = MIN ((double)hub->config.offer_burst, hub->offer_tokens + refill);
  hub->offer_refilled = now;
  if (hub->offer_tokens < 1.0)
    return FALSE;
  hub->offer_tokens -= 1.0;
  return TRUE;
}

/* Whether a new session for @peer fits the bounds: live sessions in all and per contact, and
 * one session waiting for its user per contact (so at most one dialog per contact). */
static gboolean
has_room (XtlsHub *hub, const char *peer, XtlsSession *replaced)
{
  g_autofree char *bare = xtls_bare_jid (peer);
  g_autoptr (GPtrArray) all = all_sessions (hub);
  guint live = 0, of_contact = 0;
  gboolean contact_waits = FALSE;

  for (guint i = 0; i < all->len; i++)
    {
      XtlsSession *s = g_ptr_array_index (all, i);
      g_autofree char *b = NULL;
      if (s == replaced || !xtls_session_is_live (s))
        continue;
      live++;
      b = xtls_bare_jid (xtls_session_get_peer (s));
      if (g_ascii_strcasecmp (b, bare) == 0)
        {
          of_contact++;
          contact_waits |= xtls_session_awaits_user (s);
        }
    }
  return live < hub->config.max_sessions && of_contact < hub->config.max_sessions_per_contact
         && !contact_waits;
}

static void
refuse (XtlsHub *hub, const XtlsIq *iq, XtlsStanzaCondition condition, const char *why)
{
  g_autofree char *xml = xtls_wire_build_error (iq->id, iq->from, condition, XTLS_JINGLE_ERROR_NONE,
                                                iq->jingle->dialect);

  g_debug ("[-] refused an offer: %s", why);
  xtls_hub_send_xml (hub, xml);
}

/* The user's policy declines: ack, then session-terminate <decline/> (XEP-0166 §6.7), without
 * creating a session. */
static void
decline (XtlsHub *hub, const XtlsIq *iq)
{
  g_autofree char *ack = xtls_wire_build_result (iq->id, iq->from);
  g_autofree char *xml = NULL;
  XtlsJingle *j = xtls_jingle_new (XTLS_JINGLE_SESSION_TERMINATE, iq->jingle->sid);
  XtlsIq out = { .type = XTLS_IQ_SET, .payload = XTLS_IQ_PAYLOAD_JINGLE, .jingle = j };

  j->dialect = iq->jingle->dialect;
  j->initiator = g_strdup (iq->jingle->initiator != NULL ? iq->jingle->initiator : iq->from);
  j->reason = XTLS_REASON_DECLINE;
  out.id = xtls_hub_make_iq_id (hub);
  out.to = iq->from;
  xml = xtls_wire_build_iq (&out);
  g_free (out.id);
  xtls_jingle_free (j);
  xtls_hub_send_xml (hub, ack);
  xtls_hub_send_xml (hub, xml);
}

/* Judges a new offer before anything of it is kept. FALSE: it has been answered. */
static gboolean
admit_offer (XtlsHub *hub, XtlsSession *replaced, const XtlsIq *iq)
{
  XtlsOfferVerdict verdict = XTLS_OFFER_ACCEPT;

  if (offer_is_oversized (iq))
    {
      refuse (hub, iq, XTLS_STANZA_ERROR_BAD_REQUEST, "oversized attributes");
      return FALSE;
    }
  if (hub->ops->incoming != NULL)
    verdict = hub->ops->incoming (hub, iq->from, hub->user_data);
  switch (verdict)
    {
      case XTLS_OFFER_ACCEPT:
        break;
      case XTLS_OFFER_DECLINE:
        decline (hub, iq);
        return FALSE;
      case XTLS_OFFER_REFUSE:
        refuse (hub, iq, XTLS_STANZA_ERROR_SERVICE_UNAVAILABLE, "local policy");
        return FALSE;
    }
  if (!has_room (hub, iq->from, replaced) || !take_offer_token (hub))
    {
      refuse (hub, iq, XTLS_STANZA_ERROR_RESOURCE_CONSTRAINT, "too many sessions or offers");
      return FALSE;
    }
  return TRUE;
}

/* An offer from @iq->from. PROTOCOL.md §6: when both sides initiate at once, the session with
 * the lower sid wins; the loser's offer is answered with <conflict/><tie-break/>. */
static void
handle_offer (XtlsHub *hub, XtlsSession *existing, const XtlsIq *iq)
{
  XtlsSession *s = existing;

  if (existing == NULL || !xtls_session_awaits_accept (existing))
    {
      if (!admit_offer (hub, existing, iq))
        return;
    }
  else if (offer_is_oversized (iq))
    {
      refuse (hub, iq, XTLS_STANZA_ERROR_BAD_REQUEST, "oversized attributes");
      return;
    }

  if (existing != NULL && xtls_session_awaits_accept (existing))
    {
      if (xtls_jingle_tie_break_we_win (xtls_session_get_sid (existing), iq->jingle->sid))
        {
          g_autofree char *xml
              = xtls_wire_build_error (iq->id, iq->from, XTLS_STANZA_ERROR_CONFLICT,
                                       XTLS_JINGLE_ERROR_TIE_BREAK, iq->jingle->dialect);
          g_debug ("[%s] tie-break won against %s", xtls_session_get_sid (existing),
                   iq->jingle->sid);
          xtls_hub_send_xml (hub, xml);
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

/* A file offer with <security/>: its own session, under the same bounds as chat offers. */
static void
handle_file_offer (XtlsHub *hub, const XtlsIq *iq)
{
  XtlsSession *s;

  if (!admit_offer (hub, NULL, iq))
    return;
  s = xtls_session_new_file (&hub->host, iq->from, NULL);
  g_hash_table_insert (hub->files, xtls_hub_file_key (iq->from, iq->jingle->sid), s);
  release_ended (hub, xtls_clock_now (hub->clock));
  xtls_session_handle_offer (s, iq);
}

XtlsSession *
xtls_hub_send_file (XtlsHub *hub, const char *peer_jid, const XtlsFileInfo *file)
{
  XtlsSession *s;

  g_return_val_if_fail (hub != NULL, NULL);
  g_return_val_if_fail (peer_jid != NULL && strchr (peer_jid, '/') != NULL, NULL);
  g_return_val_if_fail (file != NULL && file->name != NULL, NULL);

  if (!has_room (hub, peer_jid, NULL))
    return NULL;
  xtls_hub_enter (hub);
  s = xtls_session_new_file (&hub->host, peer_jid, file);
  xtls_session_initiate (s); /* the sid exists from here */
  g_hash_table_insert (hub->files, xtls_hub_file_key (peer_jid, xtls_session_get_sid (s)), s);
  release_ended (hub, xtls_clock_now (hub->clock));
  xtls_hub_leave (hub);
  return s;
}

static gboolean
route (XtlsHub *hub, const XtlsIq *iq)
{
  XtlsSession *s = xtls_hub_lookup (hub, iq->from);
  XtlsSession *f;

  switch (iq->type)
    {
      case XTLS_IQ_RESULT:
      case XTLS_IQ_ERROR:
        /* Only answers to IQs we sent (matched by id and sender) are ours. */
        if (xtls_hub_net_route_reply (hub, iq))
          return TRUE;
        if (s == NULL || !xtls_session_owns_iq (s, iq->id))
          s = find_file (hub, iq->from, xtls_session_owns_iq, iq->id);
        if (s == NULL)
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
        f = xtls_hub_lookup_file (hub, iq->from, iq->jingle->sid);
        if (f != NULL)
          {
            xtls_session_handle_jingle (f, iq);
            return TRUE;
          }
        /* An encrypted file offer is ours; a plain Jingle file transfer stays libpurple's. */
        if (iq->jingle->action == XTLS_JINGLE_SESSION_INITIATE
            && iq->jingle->app == XTLS_APP_FILE_TRANSFER && iq->jingle->has_security
            && (iq->jingle->methods & (XTLS_METHOD_X509 | XTLS_METHOD_SRP)) != 0)
          {
            handle_file_offer (hub, iq);
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
          s = find_file (hub, iq->from, xtls_session_matches_transport, iq->ibb.sid);
        if (s == NULL)
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
  /* Ids we answer are echoed back: an absurd one (we never send ids that long) is not ours. */
  if (iq == NULL || iq->from == NULL || iq->id == NULL || too_long (iq->id, MAX_TOKEN_BYTES))
    return FALSE;
  xtls_hub_enter (hub);
  ours = route (hub, iq);
  xtls_hub_leave (hub);
  return ours;
}

gboolean
xtls_hub_receive_ibb_data (XtlsHub *hub, const char *from, const char *id, const char *sid,
                           const char *seq, const char *data)
{
  XtlsIq iq = { .type = XTLS_IQ_SET, .payload = XTLS_IQ_PAYLOAD_IBB };
  gboolean ours;

  g_return_val_if_fail (hub != NULL, FALSE);

  /* The checks xtls_wire_parse_iq() and xtls_hub_receive() make for the same stanza. */
  if (from == NULL || id == NULL || too_long (id, MAX_TOKEN_BYTES) || sid == NULL || sid[0] == '\0')
    return FALSE;
  iq.id = (char *)id;
  iq.from = (char *)from;
  iq.ibb.kind = XTLS_IBB_PACKET_DATA;
  iq.ibb.iq_id = id;
  iq.ibb.sid = sid;
  /* XEP-0047 §3: anything but a 16-bit decimal is "no seq", for the IBB engine to reject. */
  iq.ibb.has_seq = xtls_wire_parse_decimal (seq, 65535, &iq.ibb.seq);
  if (!iq.ibb.has_seq)
    iq.ibb.seq = 0;
  iq.ibb.data = data != NULL ? data : "";
  xtls_hub_enter (hub);
  ours = route (hub, &iq);
  xtls_hub_leave (hub);
  return ours;
}

gint64
xtls_hub_next_deadline (XtlsHub *hub)
{
  g_autoptr (GPtrArray) all = all_sessions (hub);
  gint64 next = -1;

  for (guint i = 0; i < all->len; i++)
    {
      /* Ended sessions add no deadline: they are released on the next tick or offer after
       * their linger, and never more than max_ended are kept in between. */
      gint64 d = xtls_session_next_deadline (g_ptr_array_index (all, i));
      if (d > 0 && (next < 0 || d < next))
        next = d;
    }
  {
    gint64 d = xtls_hub_net_next_deadline (hub);
    if (d > 0 && (next < 0 || d < next))
      next = d;
  }
  return next;
}

void
xtls_hub_tick (XtlsHub *hub)
{
  gint64 t = xtls_clock_now (hub->clock);
  g_autoptr (GPtrArray) all = all_sessions (hub);

  xtls_hub_enter (hub);
  for (guint i = 0; i < all->len; i++)
    xtls_session_tick (g_ptr_array_index (all, i), t);
  xtls_hub_net_tick (hub);
  release_ended (hub, t);
  xtls_hub_leave (hub);
}
