/* A session's outer IQs and their ack deadlines (see outer.h). */
#include "outer.h"

struct _XtlsOuter
{
  const XtlsSessionHost *host; /* borrowed */
  XtlsSession *owner;          /* borrowed: passed to the host's send */
  const char *peer;            /* borrowed: the owner's full JID */
  GHashTable *iqs;             /* id -> gint64 deadline (µs; 0 = abandoned) */
};

static gint64
deadline (XtlsOuter *o)
{
  return xtls_clock_now (o->host->clock) + o->host->config->ack_timeout_us;
}

static void
send (XtlsOuter *o, const char *xml)
{
  o->host->ops->send (o->owner, xml, o->host->user_data);
}

static void
track (XtlsOuter *o, const char *id)
{
  g_hash_table_insert (o->iqs, g_strdup (id),
                       g_memdup2 (&(gint64){ deadline (o) }, sizeof (gint64)));
}

static void
send_tracked (XtlsOuter *o, XtlsIq *iq, const char *id)
{
  g_autofree char *xml = NULL;

  /* No 'from': the server stamps our full JID (RFC 6120 §8.1.2.1). */
  iq->type = XTLS_IQ_SET;
  iq->id = (char *)id;
  iq->to = (char *)o->peer;
  xml = xtls_wire_build_iq (iq);
  iq->id = iq->to = NULL;
  track (o, id);
  send (o, xml);
}

XtlsOuter *
xtls_outer_new (const XtlsSessionHost *host, XtlsSession *owner, const char *peer)
{
  XtlsOuter *o = g_new0 (XtlsOuter, 1);

  o->host = host;
  o->owner = owner;
  o->peer = peer;
  o->iqs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return o;
}

void
xtls_outer_free (XtlsOuter *o)
{
  if (o == NULL)
    return;
  g_hash_table_unref (o->iqs);
  g_free (o);
}

void
xtls_outer_send_set (XtlsOuter *o, XtlsIq *iq)
{
  g_autofree char *id = o->host->ops->make_iq_id (o->host->user_data);

  send_tracked (o, iq, id);
}

void
xtls_outer_send_result (XtlsOuter *o, const char *id)
{
  g_autofree char *xml = xtls_wire_build_result (id, o->peer);
  send (o, xml);
}

void
xtls_outer_send_error (XtlsOuter *o, const char *id, XtlsStanzaCondition condition,
                       XtlsJingleErrorCondition jingle_condition, XtlsJingleDialect dialect)
{
  g_autofree char *xml = xtls_wire_build_error (id, o->peer, condition, jingle_condition, dialect);
  send (o, xml);
}

static XtlsStanzaCondition
ibb_condition_to_stanza (XtlsIbbCondition condition)
{
  switch (condition)
    {
      case XTLS_IBB_COND_BAD_REQUEST:
        return XTLS_STANZA_ERROR_BAD_REQUEST;
      case XTLS_IBB_COND_UNEXPECTED_REQUEST:
        return XTLS_STANZA_ERROR_UNEXPECTED_REQUEST;
      case XTLS_IBB_COND_ITEM_NOT_FOUND:
        return XTLS_STANZA_ERROR_ITEM_NOT_FOUND;
      case XTLS_IBB_COND_NOT_ACCEPTABLE:
        return XTLS_STANZA_ERROR_NOT_ACCEPTABLE;
      case XTLS_IBB_COND_RESOURCE_CONSTRAINT:
        return XTLS_STANZA_ERROR_RESOURCE_CONSTRAINT;
      case XTLS_IBB_COND_NONE:
      case XTLS_IBB_COND_OTHER:
        return XTLS_STANZA_ERROR_OTHER;
    }
  return XTLS_STANZA_ERROR_OTHER;
}

void
xtls_outer_send_ibb (XtlsOuter *o, const XtlsIbbPacket *pkt, XtlsJingleDialect dialect)
{
  XtlsIq iq = { .payload = XTLS_IQ_PAYLOAD_IBB, .ibb = *pkt };

  switch (pkt->kind)
    {
      case XTLS_IBB_PACKET_OPEN:
      case XTLS_IBB_PACKET_DATA:
      case XTLS_IBB_PACKET_CLOSE:
        /* The engine names its IQs so it can match the results; we track their deadlines. */
        send_tracked (o, &iq, pkt->iq_id);
        break;
      case XTLS_IBB_PACKET_RESULT:
        xtls_outer_send_result (o, pkt->iq_id);
        break;
      case XTLS_IBB_PACKET_ERROR:
        xtls_outer_send_error (o, pkt->iq_id, ibb_condition_to_stanza (pkt->condition),
                               XTLS_JINGLE_ERROR_NONE, dialect);
        break;
    }
}

gboolean
xtls_outer_owns (XtlsOuter *o, const char *id)
{
  return id != NULL && g_hash_table_contains (o->iqs, id);
}

/* Any answer from the peer proves it is alive. A server that shapes client traffic (ejabberd's
 * shipped c2s shaper: 3000 B/s) can take longer than the ack timeout to pass a whole IBB
 * window, though the peer answers every IQ as it arrives: so the deadlines of the IQs still
 * out count from the last answer, not from when each was sent. */
static void
rearm (XtlsOuter *o)
{
  gint64 next = deadline (o);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, o->iqs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (*(gint64 *)value > 0)
      *(gint64 *)value = MAX (*(gint64 *)value, next);
}

gboolean
xtls_outer_answered (XtlsOuter *o, const char *id)
{
  gint64 *due = g_hash_table_lookup (o->iqs, id);
  gboolean awaited = due != NULL && *due != 0;

  g_hash_table_remove (o->iqs, id);
  if (awaited)
    rearm (o);
  return awaited;
}

void
xtls_outer_abandon (XtlsOuter *o)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, o->iqs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    *(gint64 *)value = 0;
}

gint64
xtls_outer_next_deadline (XtlsOuter *o)
{
  GHashTableIter iter;
  gpointer value;
  gint64 next = 0;

  g_hash_table_iter_init (&iter, o->iqs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      gint64 d = *(gint64 *)value;
      if (d > 0 && (next == 0 || d < next))
        next = d;
    }
  return next;
}
