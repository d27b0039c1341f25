/* One XTLS chat session with one peer resource: Jingle signalling (XEP-0166 + the XTLS draft),
 * IBB transport (XEP-0047/0261), TLS (PROTOCOL.md §4) and the inner XML stream (XEP-0247).
 *
 * Layering, data in: hub -> session -> ibb -> tls -> xmlstream -> ops->message_received.
 * Data out is the reverse. The session owns its three engines and is the only one that knows
 * how they connect; each engine sees only its neighbours through its ops table. */
#include "session-private.h"

#include <string.h>

#include "fingerprint.h"
#include "ibb.h"
#include "jingle.h"
#include "xmlstream.h"
#include "xtls-error.h"

#define PUBKEY_NS "urn:xmpp:tmp:pubkey"
/* Transport bytes that may arrive before the TLS channel exists (the responder waiting for
 * its user's password): a ClientHello is a few hundred bytes, so this is generous. */
#define MAX_HELD_BYTES (64 * 1024)

/* Never log message text, passwords or keys (STYLE.md habit 7). */
#define SLOG(s, fmt, ...)                                                                      \
  g_debug ("[%s %s] " fmt, (s)->sid ? (s)->sid : "-", xtls_trust_state_to_string ((s)->state), \
           ##__VA_ARGS__)

typedef enum {
  PHASE_IDLE,
  PHASE_INITIATE_SENT,  /* initiator: waiting for session-accept */
  PHASE_OFFER_RECEIVED, /* responder: the user decides whether to trust the offer */
  PHASE_ACCEPTED,       /* accept sent or received: method, transport and TLS under way */
  PHASE_ENDING,         /* our end of the stream is closed; draining before terminate */
  PHASE_ENDED,
} Phase;

typedef struct {
  guint64 id;
  char *body; /* owned */
} Outgoing;

struct _XtlsSession {
  XtlsHub *hub; /* borrowed: the hub owns us */
  char *peer;   /* owned, full JID */
  char *peer_bare;
  gboolean initiator;
  XtlsTrustState state;
  GError *error; /* owned: why we failed */
  Phase phase;

  /* Jingle (PROTOCOL.md §2) */
  char *sid;
  XtlsJingleDialect dialect;
  XtlsJingleApp app;
  char *initiator_jid;
  char *responder_jid;
  char *content_name;
  char *content_creator;
  char *transport_sid;
  guint block_size;
  XtlsIbbVersion ibb_version;

  /* Security negotiation */
  char *peer_fingerprint; /* normalised hex as announced */
  XtlsHashAlgo peer_fingerprint_algo;
  guint peer_methods;
  gboolean peer_trusts_us; /* the responder offered x509 with its fingerprint */
  gboolean key_trusted;    /* pinned and matching, or verified by the user just now */
  gboolean key_accepted_once;
  gboolean use_password;
  char *password; /* owned, wiped */
  XtlsMethod method;
  XtlsDecision pending;

  /* Engines, created as the negotiation reaches them */
  XtlsIbb *ibb;
  XtlsTlsChannel *tls;
  XtlsXmlStream *xml;
  GByteArray *held; /* transport bytes received before the TLS channel exists */
  gboolean tls_up;
  gboolean peer_header;
  char *tls_description;
  char *pubkey_iq_id;

  /* Messages (fail closed: they only ever leave through the tunnel) */
  GQueue outbox;      /* Outgoing not yet written into the tunnel */
  GQueue unconfirmed; /* written before the peer's stream header proved the tunnel */

  /* IQs we sent and still expect an answer to: id -> deadline (µs; 0 = none) */
  GHashTable *iqs;
  gint64 handshake_deadline;
  gint64 accept_deadline;
};

static void session_end (XtlsSession *s, XtlsTrustState final, const GError *error);
static void complete_stop (XtlsSession *s);

const char *
xtls_trust_state_to_string (XtlsTrustState state)
{
  switch (state)
    {
    case XTLS_STATE_NOT_PRIVATE:
      return "not private";
    case XTLS_STATE_NEGOTIATING:
      return "negotiating";
    case XTLS_STATE_UNVERIFIED:
      return "unverified";
    case XTLS_STATE_PRIVATE:
      return "private";
    case XTLS_STATE_FINISHED:
      return "finished";
    case XTLS_STATE_FAILED:
      return "failed";
    }
  return "?";
}

static gboolean
transition_allowed (XtlsTrustState from, XtlsTrustState to)
{
  switch (from)
    {
    case XTLS_STATE_NOT_PRIVATE:
      return to == XTLS_STATE_NEGOTIATING || to == XTLS_STATE_FAILED;
    case XTLS_STATE_NEGOTIATING:
    case XTLS_STATE_UNVERIFIED:
      return to != XTLS_STATE_NOT_PRIVATE;
    case XTLS_STATE_PRIVATE:
      return to == XTLS_STATE_FINISHED || to == XTLS_STATE_FAILED;
    case XTLS_STATE_FINISHED:
    case XTLS_STATE_FAILED:
      return FALSE;
    }
  return FALSE;
}

static void
set_state (XtlsSession *s, XtlsTrustState state)
{
  XtlsHub *hub = s->hub;

  if (s->state == state)
    return;
  g_assert (transition_allowed (s->state, state));
  SLOG (s, "state %s -> %s", xtls_trust_state_to_string (s->state),
        xtls_trust_state_to_string (state));
  s->state = state;
  if (hub->ops->state_changed != NULL)
    hub->ops->state_changed (hub, s, state, s->error, hub->user_data);
}

static gint64
now (XtlsSession *s)
{
  return xtls_clock_now (s->hub->clock);
}

/* ---- Outer stanzas ---------------------------------------------------------------------- */

/* Sends an IQ set built from @iq (id filled in) and starts its ack deadline. */
static void
send_set (XtlsSession *s, XtlsIq *iq)
{
  g_autofree char *xml = NULL;

  iq->type = XTLS_IQ_SET;
  iq->id = xtls_hub_make_iq_id (s->hub);
  iq->from = s->hub->own_jid;
  iq->to = s->peer;
  xml = xtls_wire_build_iq (iq);
  g_hash_table_insert (s->iqs, g_strdup (iq->id),
                       g_memdup2 (&(gint64){ now (s) + s->hub->config.ack_timeout_us },
                                  sizeof (gint64)));
  g_free (iq->id);
  iq->id = NULL;
  iq->from = iq->to = NULL;
  xtls_hub_send (s->hub, xml);
}

static void
send_result (XtlsSession *s, const char *id)
{
  g_autofree char *xml = xtls_wire_build_result (id, s->peer);
  xtls_hub_send (s->hub, xml);
}

static void
send_error (XtlsSession *s, const char *id, XtlsStanzaCondition condition,
            XtlsJingleErrorCondition jingle_condition)
{
  g_autofree char *xml
      = xtls_wire_build_error (id, s->peer, condition, jingle_condition, s->dialect);
  xtls_hub_send (s->hub, xml);
}

static XtlsJingle *
new_jingle (XtlsSession *s, XtlsJingleAction action)
{
  XtlsJingle *j = xtls_jingle_new (action, s->sid);

  j->dialect = s->dialect;
  j->initiator = g_strdup (s->initiator_jid);
  if (action == XTLS_JINGLE_SESSION_ACCEPT)
    j->responder = g_strdup (s->responder_jid);
  return j;
}

static void
add_content (XtlsSession *s, XtlsJingle *j)
{
  j->has_content = TRUE;
  j->content_name = g_strdup (s->content_name);
  j->content_creator = g_strdup (s->content_creator);
  j->app = s->app;
}

static void
send_jingle (XtlsSession *s, XtlsJingle *j)
{
  XtlsIq iq = { .payload = XTLS_IQ_PAYLOAD_JINGLE, .jingle = j };

  SLOG (s, "send %s", xtls_jingle_action_to_string (j->action));
  send_set (s, &iq);
  xtls_jingle_free (j);
}

static void
send_terminate (XtlsSession *s, XtlsJingleReason reason)
{
  XtlsJingle *j = new_jingle (s, XTLS_JINGLE_SESSION_TERMINATE);

  j->reason = reason;
  send_jingle (s, j);
}

/* ---- Messages --------------------------------------------------------------------------- */

static void
outgoing_free (Outgoing *o)
{
  g_free (o->body);
  g_free (o);
}

static void
report_messages (XtlsSession *s, GQueue *queue, gboolean sent)
{
  XtlsHub *hub = s->hub;
  Outgoing *o;

  while ((o = g_queue_pop_head (queue)) != NULL)
    {
      if (hub->ops->message_status != NULL)
        hub->ops->message_status (hub, s, o->id, sent, hub->user_data);
      outgoing_free (o);
    }
}

static gboolean
write_message (XtlsSession *s, const Outgoing *o)
{
  xmlNode *node = xmlNewNode (NULL, BAD_CAST "message");
  gboolean ok;

  xmlNewProp (node, BAD_CAST "type", BAD_CAST "chat");
  xmlNewProp (node, BAD_CAST "to", BAD_CAST s->peer);
  xmlNewProp (node, BAD_CAST "from", BAD_CAST s->hub->own_jid);
  xmlNewTextChild (node, NULL, BAD_CAST "body", BAD_CAST o->body);
  ok = xtls_xml_stream_send_stanza (s->xml, node);
  xmlFreeNode (node);
  return ok;
}

/* Writes queued messages into the tunnel once our side of it is up. They count as sent only
 * when the peer's stream header has proved the tunnel (PROTOCOL.md §4). */
static void
flush_outbox (XtlsSession *s)
{
  Outgoing *o;

  if (!s->tls_up || s->xml == NULL)
    return;
  while ((o = g_queue_pop_head (&s->outbox)) != NULL)
    {
      if (!write_message (s, o))
        {
          g_queue_push_head (&s->outbox, o);
          return;
        }
      g_queue_push_tail (&s->unconfirmed, o);
    }
  if (s->peer_header)
    report_messages (s, &s->unconfirmed, TRUE);
}

guint64
xtls_session_send_message (XtlsSession *s, const char *body)
{
  Outgoing *o;

  g_return_val_if_fail (s != NULL, 0);
  g_return_val_if_fail (body != NULL, 0);

  if (!xtls_session_is_live (s) || s->phase == PHASE_ENDING)
    return 0;
  xtls_hub_enter (s->hub);
  o = g_new0 (Outgoing, 1);
  o->id = ++s->hub->next_message_id;
  o->body = g_strdup (body);
  g_queue_push_tail (&s->outbox, o);
  flush_outbox (s);
  xtls_hub_leave (s->hub);
  return o->id;
}

void
xtls_session_take_outbox (XtlsSession *to, XtlsSession *from)
{
  Outgoing *o;

  while ((o = g_queue_pop_head (&from->unconfirmed)) != NULL)
    g_queue_push_tail (&to->outbox, o);
  while ((o = g_queue_pop_head (&from->outbox)) != NULL)
    g_queue_push_tail (&to->outbox, o);
  flush_outbox (to);
}

/* ---- Ending ------------------------------------------------------------------------------ */

/* Releases the engines. After a clean finish the IBB engine stays until the <close/> exchange
 * (PROTOCOL.md §6), so the peer's last records in flight are acknowledged, not refused. */
static void
teardown (XtlsSession *s, gboolean keep_transport)
{
  XtlsHub *hub = s->hub;

  if (s->ibb != NULL && !keep_transport)
    xtls_hub_bury (hub, g_steal_pointer (&s->ibb), (GDestroyNotify) xtls_ibb_free);
  if (s->tls != NULL)
    xtls_hub_bury (hub, g_steal_pointer (&s->tls), (GDestroyNotify) xtls_tls_channel_free);
  if (s->xml != NULL)
    xtls_hub_bury (hub, g_steal_pointer (&s->xml), (GDestroyNotify) xtls_xml_stream_free);
  if (s->held != NULL)
    g_clear_pointer (&s->held, g_byte_array_unref);
  if (s->password != NULL)
    {
      memset (s->password, 0, strlen (s->password));
      g_clear_pointer (&s->password, g_free);
    }
  s->handshake_deadline = s->accept_deadline = 0;
  s->pending = XTLS_DECISION_NONE;
}

/* Every end goes through here: no more deadlines, engines released, messages that never made
 * it into a proven tunnel reported as not sent. */
static void
session_end (XtlsSession *s, XtlsTrustState final, const GError *error)
{
  GHashTableIter iter;
  gpointer value;

  if (s->phase == PHASE_ENDED)
    return;
  s->phase = PHASE_ENDED;
  if (error != NULL && s->error == NULL)
    s->error = g_error_copy (error);
  /* Answers to IQs we sent may still arrive; keep their ids so they are recognised as ours,
   * but no deadline runs any more. */
  g_hash_table_iter_init (&iter, s->iqs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    *(gint64 *) value = 0;
  teardown (s, final == XTLS_STATE_FINISHED && error == NULL);
  report_messages (s, &s->unconfirmed, FALSE);
  report_messages (s, &s->outbox, FALSE);
  set_state (s, final);
}

void
xtls_session_fail (XtlsSession *s, XtlsJingleReason reason, const GError *error)
{
  if (s->phase == PHASE_ENDED)
    return;
  SLOG (s, "failing: %s (terminate reason %s)", error ? error->message : "-",
        xtls_jingle_reason_to_string (reason));
  if (s->tls != NULL && error != NULL && xtls_tls_channel_get_state (s->tls) == XTLS_TLS_STATE_HANDSHAKING)
    {
      /* Mark ended first: abort reports back through tls_closed, which must not recurse. */
      Phase phase = s->phase;
      s->phase = PHASE_ENDED;
      xtls_tls_channel_abort (s->tls, error);
      s->phase = phase;
    }
  if (reason != XTLS_REASON_NONE && s->sid != NULL && s->phase != PHASE_IDLE)
    send_terminate (s, reason);
  session_end (s, XTLS_STATE_FAILED, error);
}

static void
fail_code (XtlsSession *s, XtlsJingleReason reason, XtlsError code, const char *message)
{
  g_autoptr (GError) error = g_error_new_literal (XTLS_ERROR, code, message);
  xtls_session_fail (s, reason, error);
}

/* The last step of a polite end: everything we wrote has been sent and acknowledged. */
static void
complete_stop (XtlsSession *s)
{
  send_terminate (s, XTLS_REASON_SUCCESS);
  if (s->ibb != NULL)
    xtls_ibb_close (s->ibb);
  session_end (s, XTLS_STATE_FINISHED, NULL);
}

void
xtls_session_stop (XtlsSession *s)
{
  g_return_if_fail (s != NULL);

  if (!xtls_session_is_live (s) || s->phase == PHASE_ENDING)
    return;
  xtls_hub_enter (s->hub);
  if (s->tls_up)
    {
      /* PROTOCOL.md §6: </stream:stream>, then session-terminate <success/>, then IBB <close/>,
       * once the data before them has been acknowledged so no message is cut off. */
      s->phase = PHASE_ENDING;
      xtls_xml_stream_close (s->xml);
      xtls_tls_channel_close (s->tls);
      if (xtls_ibb_get_pending_bytes (s->ibb) == 0 && xtls_ibb_get_unacked (s->ibb) == 0)
        complete_stop (s);
    }
  else
    {
      g_autoptr (GError) error
          = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_CANCELLED, "cancelled by the user");
      if (s->phase != PHASE_IDLE)
        send_terminate (s, s->initiator || s->phase != PHASE_OFFER_RECEIVED ? XTLS_REASON_CANCEL
                                                                            : XTLS_REASON_DECLINE);
      session_end (s, XTLS_STATE_FINISHED, error);
    }
  xtls_hub_leave (s->hub);
}

/* ---- The tunnel goes live ------------------------------------------------------------- */

static void
request_pubkeys (XtlsSession *s)
{
  xmlNode *iq = xmlNewNode (NULL, BAD_CAST "iq");
  xmlNode *pubkeys;

  s->pubkey_iq_id = xtls_hub_make_iq_id (s->hub);
  xmlNewProp (iq, BAD_CAST "type", BAD_CAST "get");
  xmlNewProp (iq, BAD_CAST "id", BAD_CAST s->pubkey_iq_id);
  pubkeys = xmlNewChild (iq, NULL, BAD_CAST "pubkeys", NULL);
  xmlNewNs (pubkeys, BAD_CAST PUBKEY_NS, NULL);
  xtls_xml_stream_send_stanza (s->xml, iq);
  xmlFreeNode (iq);
}

/* The peer's stream header arrived over our established TLS: the tunnel is proven both ways
 * (for the TLS 1.3 client this is the moment the server has accepted our certificate). */
static void
go_live (XtlsSession *s)
{
  s->peer_header = TRUE;
  s->handshake_deadline = 0;
  g_free (s->tls_description);
  s->tls_description = g_strdup_printf ("%s, %s", xtls_tls_channel_get_protocol_name (s->tls),
                                        xtls_tls_channel_get_cipher_name (s->tls));
  SLOG (s, "tunnel up (%s, %s)", s->method == XTLS_METHOD_SRP ? "srp" : "x509",
        s->tls_description);
  set_state (s, s->key_accepted_once && s->method == XTLS_METHOD_X509 ? XTLS_STATE_UNVERIFIED
                                                                       : XTLS_STATE_PRIVATE);
  report_messages (s, &s->unconfirmed, TRUE);
  /* After an SRP session, exchange certificates inside the tunnel so the next session can use
   * x509 (PROTOCOL.md §4, draft §8.1). Never over the server connection. */
  if (s->method == XTLS_METHOD_SRP)
    request_pubkeys (s);
}

/* ---- Inner stream callbacks ----------------------------------------------------------- */

static void
xml_send (XtlsXmlStream *stream, const char *data, gsize len, gpointer user_data)
{
  XtlsSession *s = user_data;
  g_autoptr (GError) error = NULL;

  if (s->tls == NULL)
    return;
  if (!xtls_tls_channel_send (s->tls, (const guint8 *) data, len, &error))
    SLOG (s, "dropping %" G_GSIZE_FORMAT " inner bytes: %s", len, error->message);
}

static void
xml_opened (XtlsXmlStream *stream, const char *id, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase == PHASE_ACCEPTED && s->tls_up)
    go_live (s);
}

static xmlNode *
find_child (xmlNode *parent, const char *name)
{
  for (xmlNode *c = parent->children; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && strcmp ((const char *) c->name, name) == 0)
      return c;
  return NULL;
}

static xmlNode *
find_descendant (xmlNode *node, const char *name)
{
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    {
      xmlNode *found;
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (strcmp ((const char *) c->name, name) == 0)
        return c;
      if ((found = find_descendant (c, name)) != NULL)
        return found;
    }
  return NULL;
}

static void
answer_pubkeys (XtlsSession *s, const char *id)
{
  GBytes *der = xtls_identity_get_certificate (s->hub->identity);
  g_autofree char *b64 = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  xmlNode *iq = xmlNewNode (NULL, BAD_CAST "iq");
  xmlNode *pubkeys, *keyinfo;

  xmlNewProp (iq, BAD_CAST "type", BAD_CAST "result");
  if (id != NULL)
    xmlNewProp (iq, BAD_CAST "id", BAD_CAST id);
  pubkeys = xmlNewChild (iq, NULL, BAD_CAST "pubkeys", NULL);
  xmlNewNs (pubkeys, BAD_CAST PUBKEY_NS, NULL);
  keyinfo = xmlNewChild (pubkeys, NULL, BAD_CAST "keyinfo", NULL);
  xmlNewTextChild (keyinfo, NULL, BAD_CAST "x509cert", BAD_CAST b64);
  xtls_xml_stream_send_stanza (s->xml, iq);
  xmlFreeNode (iq);
}

/* The peer's certificate, received inside an SRP-authenticated tunnel: pin it. */
static void
pin_received_certificate (XtlsSession *s, xmlNode *iq)
{
  xmlNode *cert = find_descendant (iq, "x509cert");
  g_autofree char *text = NULL;
  g_autofree guint8 *der = NULL;
  g_autofree char *fingerprint = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 0;

  if (cert == NULL || s->method != XTLS_METHOD_SRP)
    return;
  text = (char *) xmlNodeGetContent (cert);
  der = g_base64_decode (text, &len);
  if (len == 0)
    return;
  fingerprint = xtls_fingerprint_sha256 (der, len);
  if (s->peer_fingerprint != NULL && strcmp (s->peer_fingerprint, fingerprint) != 0)
    SLOG (s, "the certificate sent inside the tunnel differs from the one announced outside");
  if (!xtls_trust_store_pin (s->hub->trust, s->peer_bare, fingerprint, XTLS_VERIFIED_PASSWORD,
                             g_get_real_time () / G_USEC_PER_SEC, &error))
    SLOG (s, "could not save the peer's key: %s", error->message);
  else
    SLOG (s, "peer key pinned after password verification");
  g_free (s->peer_fingerprint);
  s->peer_fingerprint = g_steal_pointer (&fingerprint);
}

static void
handle_inner_iq (XtlsSession *s, xmlNode *iq)
{
  g_autofree char *type = (char *) xmlGetProp (iq, BAD_CAST "type");
  g_autofree char *id = (char *) xmlGetProp (iq, BAD_CAST "id");
  xmlNode *pubkeys = find_child (iq, "pubkeys");
  gboolean is_pubkeys = pubkeys != NULL && pubkeys->ns != NULL
                        && strcmp ((const char *) pubkeys->ns->href, PUBKEY_NS) == 0;

  if (type == NULL)
    return;
  if (strcmp (type, "get") == 0 && is_pubkeys)
    answer_pubkeys (s, id);
  else if (strcmp (type, "result") == 0 && id != NULL && s->pubkey_iq_id != NULL
           && strcmp (id, s->pubkey_iq_id) == 0)
    pin_received_certificate (s, iq);
  else if (strcmp (type, "get") == 0 || strcmp (type, "set") == 0)
    {
      /* RFC 6120 §8.2.3: an IQ get/set we do not handle gets an error reply. */
      xmlNode *reply = xmlNewNode (NULL, BAD_CAST "iq");
      xmlNode *err, *cond;
      xmlNewProp (reply, BAD_CAST "type", BAD_CAST "error");
      if (id != NULL)
        xmlNewProp (reply, BAD_CAST "id", BAD_CAST id);
      err = xmlNewChild (reply, NULL, BAD_CAST "error", NULL);
      xmlNewProp (err, BAD_CAST "type", BAD_CAST "cancel");
      cond = xmlNewChild (err, NULL, BAD_CAST "service-unavailable", NULL);
      xmlNewNs (cond, BAD_CAST "urn:ietf:params:xml:ns:xmpp-stanzas", NULL);
      xtls_xml_stream_send_stanza (s->xml, reply);
      xmlFreeNode (reply);
    }
}

static void
xml_stanza (XtlsXmlStream *stream, xmlNode *stanza, gpointer user_data)
{
  XtlsSession *s = user_data;
  XtlsHub *hub = s->hub;

  /* Whatever 'from' says, the sender is the authenticated peer (PROTOCOL.md §5). */
  if (strcmp ((const char *) stanza->name, "message") == 0)
    {
      xmlNode *body = find_child (stanza, "body");
      g_autofree char *text = NULL;
      if (body == NULL)
        return; /* chat states and receipts carry no body */
      text = (char *) xmlNodeGetContent (body);
      if (text != NULL && hub->ops->message_received != NULL)
        hub->ops->message_received (hub, s, text, hub->user_data);
    }
  else if (strcmp ((const char *) stanza->name, "iq") == 0)
    handle_inner_iq (s, stanza);
  else if (strcmp ((const char *) stanza->name, "error") == 0 && stanza->ns != NULL
           && strcmp ((const char *) stanza->ns->href, "http://etherx.jabber.org/streams") == 0)
    {
      /* RFC 6120 §4.9: the peer found our stream broken and is closing it; its
       * session-terminate follows, so we send none. */
      xmlNode *condition = stanza->children;
      while (condition != NULL && condition->type != XML_ELEMENT_NODE)
        condition = condition->next;
      SLOG (s, "peer sent a stream error (%s)",
            condition != NULL ? (const char *) condition->name : "no condition");
      fail_code (s, XTLS_REASON_NONE, XTLS_ERROR_PROTOCOL,
                 "the peer reported an error in the encrypted stream");
    }
}

static void
xml_closed (XtlsXmlStream *stream, const GError *error, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase == PHASE_ENDED)
    return;
  if (error != NULL)
    {
      /* PROTOCOL.md §6: the stream error has been sent; close TLS, terminate. */
      if (s->tls != NULL)
        xtls_tls_channel_close (s->tls);
      xtls_session_fail (s, XTLS_REASON_FAILED_APPLICATION, error);
      return;
    }
  SLOG (s, "peer closed the inner stream");
  if (s->phase == PHASE_ENDING)
    {
      /* The peer answered our </stream:stream>: it has read everything we wrote before it. */
      complete_stop (s);
      return;
    }
  /* The peer is ending: close ours; its session-terminate follows. */
  xtls_xml_stream_close (s->xml);
  if (s->tls != NULL)
    xtls_tls_channel_close (s->tls);
  session_end (s, XTLS_STATE_FINISHED, NULL);
}

static const XtlsXmlStreamOps xml_ops = {
  .send = xml_send,
  .opened = xml_opened,
  .stanza = xml_stanza,
  .closed = xml_closed,
};

/* ---- TLS callbacks ------------------------------------------------------------------- */

static void
tls_send (XtlsTlsChannel *channel, const guint8 *data, gsize len, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->ibb != NULL)
    xtls_ibb_send (s->ibb, data, len);
}

static void
tls_established (XtlsTlsChannel *channel, gpointer user_data)
{
  XtlsSession *s = user_data;
  g_autofree char *stream_id = NULL;

  s->tls_up = TRUE;
  /* The initiator opens the inner stream; the responder answers with an id (XEP-0247). Both
   * send at once: waiting for the other's header would cost a round trip. */
  if (!s->initiator)
    stream_id = xtls_jingle_make_sid ();
  xtls_xml_stream_open (s->xml, s->hub->own_jid, s->peer, stream_id);
  flush_outbox (s);
}

static void
tls_receive (XtlsTlsChannel *channel, const guint8 *data, gsize len, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->xml != NULL)
    xtls_xml_stream_receive (s->xml, (const char *) data, len);
}

static void
tls_closed (XtlsTlsChannel *channel, const GError *error, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase == PHASE_ENDED)
    return;
  if (error != NULL)
    {
      /* PROTOCOL.md §6: verification failure, TLS error, bad data below TLS. */
      xtls_session_fail (s, XTLS_REASON_SECURITY_ERROR, error);
      return;
    }
  /* close_notify: the peer is ending (or answering our close); its terminate follows. */
  SLOG (s, "peer sent close_notify");
  if (s->phase == PHASE_ENDING)
    complete_stop (s);
  else
    session_end (s, XTLS_STATE_FINISHED, NULL);
}

static const XtlsTlsChannelOps tls_ops = {
  .send = tls_send,
  .established = tls_established,
  .receive = tls_receive,
  .closed = tls_closed,
};

/* ---- IBB callbacks --------------------------------------------------------------------- */

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

static void
ibb_send (XtlsIbb *ibb, const XtlsIbbPacket *pkt, gpointer user_data)
{
  XtlsSession *s = user_data;
  XtlsIq iq = { .payload = XTLS_IQ_PAYLOAD_IBB, .ibb = *pkt };
  g_autofree char *xml = NULL;

  switch (pkt->kind)
    {
    case XTLS_IBB_PACKET_OPEN:
    case XTLS_IBB_PACKET_DATA:
    case XTLS_IBB_PACKET_CLOSE:
      /* The engine names its IQs so it can match the results; we track their deadlines. */
      iq.type = XTLS_IQ_SET;
      iq.id = (char *) pkt->iq_id;
      iq.from = s->hub->own_jid;
      iq.to = s->peer;
      xml = xtls_wire_build_iq (&iq);
      g_hash_table_insert (s->iqs, g_strdup (pkt->iq_id),
                           g_memdup2 (&(gint64){ now (s) + s->hub->config.ack_timeout_us },
                                      sizeof (gint64)));
      xtls_hub_send (s->hub, xml);
      break;
    case XTLS_IBB_PACKET_RESULT:
      send_result (s, pkt->iq_id);
      break;
    case XTLS_IBB_PACKET_ERROR:
      send_error (s, pkt->iq_id, ibb_condition_to_stanza (pkt->condition),
                  XTLS_JINGLE_ERROR_NONE);
      break;
    }
}

static void
ibb_deliver (XtlsIbb *ibb, const guint8 *data, gsize len, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase == PHASE_ENDED)
    return; /* the last records of a finished session */
  if (s->tls != NULL)
    {
      xtls_tls_channel_receive (s->tls, data, len);
      return;
    }
  /* The responder has not chosen its TLS credentials yet (the password is being typed). */
  if (s->held == NULL)
    s->held = g_byte_array_new ();
  if (s->held->len + len > MAX_HELD_BYTES)
    {
      fail_code (s, XTLS_REASON_FAILED_TRANSPORT, XTLS_ERROR_PROTOCOL,
                 "the peer sent too much data before the handshake could start");
      return;
    }
  g_byte_array_append (s->held, data, len);
}

static void
ibb_closed (XtlsIbb *ibb, const GError *error, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase == PHASE_ENDED)
    {
      xtls_hub_bury (s->hub, g_steal_pointer (&s->ibb), (GDestroyNotify) xtls_ibb_free);
      return;
    }
  if (error == NULL)
    return;
  /* PROTOCOL.md §3: an IBB error (or the peer's early close) ends the session. */
  xtls_session_fail (s, XTLS_REASON_FAILED_TRANSPORT, error);
}

static void
ibb_drained (XtlsIbb *ibb, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase == PHASE_ENDING)
    complete_stop (s);
}

static const XtlsIbbOps ibb_ops = {
  .send = ibb_send,
  .deliver = ibb_deliver,
  .closed = ibb_closed,
  .drained = ibb_drained,
};

/* ---- Negotiation -------------------------------------------------------------------- */

static void
create_transport (XtlsSession *s)
{
  XtlsIbbConfig config = {
    .sid = s->transport_sid,
    .version = s->ibb_version,
    .initiator = s->initiator,
    .block_size = s->block_size,
    .window = s->hub->config.window,
    .iq_prefix = s->sid,
  };
  XtlsXmlStreamLimits limits = { .max_stanza_bytes = s->hub->config.max_stanza_bytes };

  s->ibb = xtls_ibb_new (&config, &ibb_ops, s);
  s->xml = xtls_xml_stream_new (&limits, &xml_ops, s);
}

static void
ask (XtlsSession *s, XtlsDecision decision)
{
  XtlsHub *hub = s->hub;

  s->pending = decision;
  /* The user may take minutes (phoning the peer); no handshake deadline runs meanwhile. */
  s->handshake_deadline = 0;
  SLOG (s, "waiting for the user's decision (%s)",
        decision == XTLS_DECISION_PASSWORD ? "password" : "unknown key");
  set_state (s, XTLS_STATE_UNVERIFIED);
  if (hub->ops->decision_needed != NULL)
    hub->ops->decision_needed (hub, s, decision, hub->user_data);
  else if (s->pending == decision)
    xtls_session_decide (s, XTLS_ANSWER_CANCEL);
}

static gboolean
start_tls (XtlsSession *s)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *initiator_bare = xtls_bare_jid (s->initiator_jid);
  XtlsTlsConfig config = {
    .role = s->initiator ? XTLS_TLS_ROLE_CLIENT : XTLS_TLS_ROLE_SERVER,
    .method = s->method,
    .version = s->hub->config.tls_version,
    .identity = s->hub->identity,
    .peer_fingerprint = s->peer_fingerprint,
    .peer_fingerprint_algo = s->peer_fingerprint_algo,
    .srp_username = initiator_bare,
    .srp_password = s->password,
  };

  s->pending = XTLS_DECISION_NONE;
  s->tls = xtls_tls_channel_new (&config, &tls_ops, s, &error);
  if (s->tls == NULL)
    {
      xtls_session_fail (s, XTLS_REASON_GENERAL_ERROR, error);
      return FALSE;
    }
  if (s->password != NULL)
    {
      /* The channel keeps its own copy; ours is no longer needed. */
      memset (s->password, 0, strlen (s->password));
      g_clear_pointer (&s->password, g_free);
    }
  s->handshake_deadline = now (s) + s->hub->config.handshake_timeout_us;
  if (s->state == XTLS_STATE_UNVERIFIED)
    set_state (s, XTLS_STATE_NEGOTIATING);
  xtls_tls_channel_start (s->tls);
  if (s->held != NULL && s->tls != NULL)
    {
      g_autoptr (GByteArray) held = g_steal_pointer (&s->held);
      xtls_tls_channel_receive (s->tls, held->data, held->len);
    }
  return TRUE;
}

/* Initiator: the method is settled; everything that may run in parallel goes out at once
 * (PROTOCOL.md §2): security-info, IBB <open/>, ClientHello, without waiting for results. */
static void
proceed (XtlsSession *s, XtlsMethod method)
{
  XtlsJingle *info;

  s->method = method;
  SLOG (s, "method %s", method == XTLS_METHOD_SRP ? "srp" : "x509");
  info = new_jingle (s, XTLS_JINGLE_SECURITY_INFO);
  add_content (s, info);
  info->app = XTLS_APP_NONE; /* security-info carries only <security/> */
  info->has_security = TRUE;
  info->methods = method;
  send_jingle (s, info);
  xtls_ibb_open (s->ibb);
  start_tls (s);
}

typedef enum {
  KEY_NONE,    /* no fingerprint announced */
  KEY_UNKNOWN, /* never seen */
  KEY_PINNED,  /* matches the pin */
  KEY_CHANGED, /* differs from the pin */
} KeyStatus;

static KeyStatus
check_peer_key (XtlsSession *s)
{
  const char *pin;

  if (s->peer_fingerprint == NULL)
    return KEY_NONE;
  pin = xtls_trust_store_lookup (s->hub->trust, s->peer_bare);
  if (pin == NULL)
    return KEY_UNKNOWN;
  if (s->peer_fingerprint_algo == XTLS_HASH_SHA256 && g_ascii_strcasecmp (pin, s->peer_fingerprint) == 0)
    return KEY_PINNED;
  return KEY_CHANGED;
}

static void
fail_key_changed (XtlsSession *s)
{
  /* PROTOCOL.md §6: a key change is never silently bridged by falling back to SRP. */
  fail_code (s, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_KEY_CHANGED,
             "the peer's key differs from the one verified earlier");
}

static void
pin_announced_key (XtlsSession *s)
{
  g_autoptr (GError) error = NULL;

  s->key_trusted = TRUE;
  if (!xtls_trust_store_pin (s->hub->trust, s->peer_bare, s->peer_fingerprint,
                             XTLS_VERIFIED_FINGERPRINT, g_get_real_time () / G_USEC_PER_SEC,
                             &error))
    SLOG (s, "could not save the peer's key: %s", error->message);
}

/* Initiator: choose the method once the accept arrived and every decision is made. */
static void
choose_method (XtlsSession *s)
{
  gboolean x509_possible = s->peer_trusts_us && (s->key_trusted || s->key_accepted_once);
  XtlsMethod method = xtls_jingle_choose_method (XTLS_METHOD_X509 | XTLS_METHOD_SRP,
                                                 s->peer_methods, x509_possible,
                                                 s->password != NULL);

  if (s->use_password && (s->peer_methods & XTLS_METHOD_SRP))
    method = s->password != NULL ? XTLS_METHOD_SRP : 0;
  if (method != 0)
    {
      proceed (s, method);
      return;
    }
  if ((s->peer_methods & XTLS_METHOD_SRP) && s->password == NULL)
    {
      ask (s, XTLS_DECISION_PASSWORD);
      return;
    }
  fail_code (s, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_NO_COMMON_METHOD,
             "no security method both sides can use");
}

static void
send_accept (XtlsSession *s, gboolean offer_x509)
{
  XtlsJingle *accept = new_jingle (s, XTLS_JINGLE_SESSION_ACCEPT);

  add_content (s, accept);
  accept->has_transport = TRUE;
  accept->ibb_version = s->ibb_version;
  accept->transport_sid = g_strdup (s->transport_sid);
  accept->block_size = s->block_size;
  accept->has_security = TRUE;
  /* Draft §6: the fingerprint (and x509) only when we can verify the initiator's key. */
  if (offer_x509)
    {
      accept->fingerprint = g_strdup (xtls_identity_get_fingerprint (s->hub->identity));
      accept->fingerprint_algo = XTLS_HASH_SHA256;
      accept->methods = XTLS_METHOD_X509 | XTLS_METHOD_SRP;
    }
  else
    accept->methods = XTLS_METHOD_SRP;
  s->phase = PHASE_ACCEPTED;
  send_jingle (s, accept);
  create_transport (s);
  xtls_ibb_open (s->ibb);
  s->handshake_deadline = now (s) + s->hub->config.handshake_timeout_us;
  if (s->use_password && s->password == NULL)
    ask (s, XTLS_DECISION_PASSWORD);
  else if (s->state == XTLS_STATE_UNVERIFIED)
    set_state (s, XTLS_STATE_NEGOTIATING);
}

void
xtls_session_decide (XtlsSession *s, XtlsAnswer answer)
{
  g_return_if_fail (s != NULL);

  if (s->pending == XTLS_DECISION_NONE || s->phase == PHASE_ENDED)
    return;
  xtls_hub_enter (s->hub);
  if (answer == XTLS_ANSWER_CANCEL)
    {
      g_autoptr (GError) error
          = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_CANCELLED, "cancelled by the user");
      s->pending = XTLS_DECISION_NONE;
      xtls_session_fail (s, s->phase == PHASE_OFFER_RECEIVED ? XTLS_REASON_DECLINE
                                                             : XTLS_REASON_CANCEL,
                         error);
    }
  else if (s->pending == XTLS_DECISION_UNKNOWN_KEY)
    {
      s->pending = XTLS_DECISION_NONE;
      if (answer == XTLS_ANSWER_VERIFIED)
        pin_announced_key (s);
      else if (answer == XTLS_ANSWER_ACCEPT_ONCE)
        s->key_accepted_once = TRUE;
      else
        s->use_password = TRUE;
      if (s->phase == PHASE_OFFER_RECEIVED)
        send_accept (s, !s->use_password);
      else
        choose_method (s);
    }
  xtls_hub_leave (s->hub);
}

void
xtls_session_supply_password (XtlsSession *s, const char *password)
{
  g_return_if_fail (s != NULL);
  g_return_if_fail (password != NULL);

  if (s->phase == PHASE_ENDED || s->tls != NULL)
    return;
  xtls_hub_enter (s->hub);
  if (s->password != NULL)
    memset (s->password, 0, strlen (s->password));
  g_free (s->password);
  s->password = g_strdup (password);
  s->use_password = TRUE;
  if (s->pending == XTLS_DECISION_PASSWORD)
    {
      s->pending = XTLS_DECISION_NONE;
      if (s->initiator)
        choose_method (s);
      else if (s->method == XTLS_METHOD_SRP)
        start_tls (s);
      else
        set_state (s, XTLS_STATE_NEGOTIATING);
    }
  xtls_hub_leave (s->hub);
}

void
xtls_session_initiate (XtlsSession *s)
{
  XtlsJingle *j;

  s->initiator = TRUE;
  s->sid = xtls_jingle_make_sid ();
  s->transport_sid = xtls_jingle_make_sid ();
  s->dialect = XTLS_JINGLE_NS_1;
  s->app = XTLS_APP_XMLSTREAM;
  s->initiator_jid = g_strdup (s->hub->own_jid);
  s->responder_jid = g_strdup (s->peer);
  s->content_name = g_strdup ("xmlstream");
  s->content_creator = g_strdup ("initiator");
  s->block_size = s->hub->config.block_size;
  s->ibb_version = XTLS_IBB_VERSION_1;

  j = new_jingle (s, XTLS_JINGLE_SESSION_INITIATE);
  add_content (s, j);
  j->has_transport = TRUE;
  j->ibb_version = s->ibb_version;
  j->transport_sid = g_strdup (s->transport_sid);
  j->block_size = s->block_size;
  j->has_security = TRUE;
  j->fingerprint = g_strdup (xtls_identity_get_fingerprint (s->hub->identity));
  j->fingerprint_algo = XTLS_HASH_SHA256;
  j->methods = XTLS_METHOD_X509 | XTLS_METHOD_SRP;
  s->phase = PHASE_INITIATE_SENT;
  set_state (s, XTLS_STATE_NEGOTIATING);
  s->accept_deadline = now (s) + s->hub->config.accept_timeout_us;
  send_jingle (s, j);
}

static void
reset_jingle (XtlsSession *s)
{
  g_clear_pointer (&s->sid, g_free);
  g_clear_pointer (&s->transport_sid, g_free);
  g_clear_pointer (&s->initiator_jid, g_free);
  g_clear_pointer (&s->responder_jid, g_free);
  g_clear_pointer (&s->content_name, g_free);
  g_clear_pointer (&s->content_creator, g_free);
  g_clear_pointer (&s->peer_fingerprint, g_free);
}

void
xtls_session_handle_offer (XtlsSession *s, const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;
  XtlsHub *hub = s->hub;
  XtlsJingleReason problem;
  GHashTableIter iter;
  gpointer value;

  if (s->phase == PHASE_INITIATE_SENT)
    {
      /* We lost the tie-break (PROTOCOL.md §6): our offer is dropped, theirs continues with
       * our queued messages. Its answer (the tie-break error) is still recognised as ours. */
      SLOG (s, "lost the tie-break to %s", j->sid);
      g_hash_table_iter_init (&iter, s->iqs);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        *(gint64 *) value = 0;
      reset_jingle (s);
      s->accept_deadline = 0;
    }
  s->initiator = FALSE;
  s->sid = g_strdup (j->sid);
  s->dialect = j->dialect;
  s->app = j->app;
  s->initiator_jid = g_strdup (j->initiator != NULL ? j->initiator : iq->from);
  s->responder_jid = g_strdup (hub->own_jid);
  s->content_name = g_strdup (j->content_name != NULL ? j->content_name : "xmlstream");
  s->content_creator = g_strdup (j->content_creator != NULL ? j->content_creator : "initiator");
  s->transport_sid = g_strdup (j->transport_sid);
  s->ibb_version = j->ibb_version;
  /* The responder may lower block-size, never raise it (XEP-0261 §2). */
  s->block_size = j->block_size != 0 ? j->block_size : XTLS_IBB_DEFAULT_BLOCK_SIZE;
  s->block_size = MIN (s->block_size, hub->config.block_size);
  s->peer_fingerprint = g_strdup (j->fingerprint);
  s->peer_fingerprint_algo = j->fingerprint_algo;
  s->peer_methods = j->methods;
  s->phase = PHASE_OFFER_RECEIVED;

  send_result (s, iq->id);
  if (s->state == XTLS_STATE_NOT_PRIVATE)
    set_state (s, XTLS_STATE_NEGOTIATING);

  problem = xtls_jingle_check_offer (j);
  if (problem != XTLS_REASON_NONE || s->transport_sid == NULL)
    {
      fail_code (s, problem != XTLS_REASON_NONE ? problem : XTLS_REASON_UNSUPPORTED_TRANSPORTS,
                 XTLS_ERROR_PROTOCOL,
                 problem == XTLS_REASON_SECURITY_ERROR
                     ? "the peer offered a conversation without encryption"
                     : "the peer's offer is not a usable XTLS chat offer");
      return;
    }
  if (hub->ops->incoming != NULL && !hub->ops->incoming (hub, s, hub->user_data))
    {
      fail_code (s, XTLS_REASON_DECLINE, XTLS_ERROR_CANCELLED, "declined by local policy");
      return;
    }

  switch (check_peer_key (s))
    {
    case KEY_CHANGED:
      fail_key_changed (s);
      break;
    case KEY_PINNED:
      s->key_trusted = TRUE;
      send_accept (s, TRUE);
      break;
    case KEY_UNKNOWN:
      if (s->peer_methods & XTLS_METHOD_X509)
        ask (s, XTLS_DECISION_UNKNOWN_KEY);
      else
        {
          s->use_password = TRUE;
          send_accept (s, FALSE);
        }
      break;
    case KEY_NONE:
      s->use_password = TRUE;
      send_accept (s, FALSE);
      break;
    }
}

static void
handle_accept (XtlsSession *s, const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  send_result (s, iq->id);
  if (s->phase != PHASE_INITIATE_SENT)
    return;
  if (!j->has_security)
    {
      fail_code (s, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_PROTOCOL,
                 "the peer accepted without encryption");
      return;
    }
  s->phase = PHASE_ACCEPTED;
  s->accept_deadline = 0;
  if (j->has_transport)
    {
      s->ibb_version = j->ibb_version;
      if (j->block_size != 0)
        s->block_size = MIN (s->block_size, j->block_size);
    }
  s->peer_methods = j->methods;
  s->peer_fingerprint = g_strdup (j->fingerprint);
  s->peer_fingerprint_algo = j->fingerprint_algo;
  s->peer_trusts_us = (j->methods & XTLS_METHOD_X509) && j->fingerprint != NULL;
  create_transport (s);

  switch (check_peer_key (s))
    {
    case KEY_CHANGED:
      fail_key_changed (s);
      return;
    case KEY_PINNED:
      s->key_trusted = TRUE;
      break;
    case KEY_UNKNOWN:
      if (s->peer_trusts_us && !s->use_password)
        {
          ask (s, XTLS_DECISION_UNKNOWN_KEY);
          return;
        }
      break;
    case KEY_NONE:
      break;
    }
  choose_method (s);
}

static void
handle_security_info (XtlsSession *s, const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  send_result (s, iq->id);
  if (s->initiator || s->phase != PHASE_ACCEPTED || s->method != 0)
    return;
  if (j->methods == XTLS_METHOD_X509 && (s->key_trusted || s->key_accepted_once))
    s->method = XTLS_METHOD_X509;
  else if (j->methods == XTLS_METHOD_SRP)
    s->method = XTLS_METHOD_SRP;
  else
    {
      fail_code (s, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_NO_COMMON_METHOD,
                 "the peer chose a method we did not offer");
      return;
    }
  SLOG (s, "peer chose %s", s->method == XTLS_METHOD_SRP ? "srp" : "x509");
  if (s->method == XTLS_METHOD_SRP && s->password == NULL)
    ask (s, XTLS_DECISION_PASSWORD);
  else if (s->pending == XTLS_DECISION_NONE)
    start_tls (s);
}

static XtlsError
reason_to_error (XtlsJingleReason reason, const char **message)
{
  switch (reason)
    {
    case XTLS_REASON_SECURITY_ERROR:
      *message = "the peer ended the session with a security error";
      return XTLS_ERROR_SECURITY;
    case XTLS_REASON_DECLINE:
    case XTLS_REASON_CANCEL:
    case XTLS_REASON_BUSY:
      *message = "the peer declined or cancelled";
      return XTLS_ERROR_DECLINED;
    case XTLS_REASON_TIMEOUT:
      *message = "the peer timed out";
      return XTLS_ERROR_TIMEOUT;
    case XTLS_REASON_GONE:
      *message = "the peer went away";
      return XTLS_ERROR_PEER_GONE;
    case XTLS_REASON_FAILED_TRANSPORT:
    case XTLS_REASON_CONNECTIVITY_ERROR:
      *message = "the peer reported a transport failure";
      return XTLS_ERROR_IBB_CLOSED;
    case XTLS_REASON_UNSUPPORTED_APPLICATIONS:
    case XTLS_REASON_UNSUPPORTED_TRANSPORTS:
      *message = "the peer does not support XTLS chat";
      return XTLS_ERROR_UNSUPPORTED;
    case XTLS_REASON_NONE:
    case XTLS_REASON_SUCCESS:
    case XTLS_REASON_FAILED_APPLICATION:
    case XTLS_REASON_GENERAL_ERROR:
    case XTLS_REASON_INCOMPATIBLE_PARAMETERS:
    case XTLS_REASON_OTHER:
      break;
    }
  *message = "the peer ended the session with an error";
  return XTLS_ERROR_PROTOCOL;
}

static void
handle_terminate (XtlsSession *s, const XtlsIq *iq)
{
  XtlsJingleReason reason = iq->jingle->reason;
  const char *message;
  XtlsError code;

  send_result (s, iq->id);
  if (s->phase == PHASE_ENDED)
    return;
  SLOG (s, "peer terminated: %s", xtls_jingle_reason_to_string (reason));
  if (reason == XTLS_REASON_SUCCESS || (reason == XTLS_REASON_NONE && s->tls_up))
    {
      session_end (s, XTLS_STATE_FINISHED, NULL);
      return;
    }
  code = reason_to_error (reason, &message);
  {
    g_autoptr (GError) error = g_error_new_literal (XTLS_ERROR, code, message);
    if (s->tls != NULL && xtls_tls_channel_get_state (s->tls) == XTLS_TLS_STATE_HANDSHAKING)
      {
        Phase phase = s->phase;
        s->phase = PHASE_ENDED; /* no alert loop through tls_closed */
        xtls_tls_channel_abort (s->tls, error);
        s->phase = phase;
      }
    session_end (s, reason == XTLS_REASON_DECLINE || reason == XTLS_REASON_CANCEL
                        ? XTLS_STATE_FINISHED
                        : XTLS_STATE_FAILED,
                 error);
  }
}

void
xtls_session_handle_jingle (XtlsSession *s, const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  if (s->phase == PHASE_ENDED && j->action != XTLS_JINGLE_SESSION_TERMINATE)
    {
      send_error (s, iq->id, XTLS_STANZA_ERROR_ITEM_NOT_FOUND, XTLS_JINGLE_ERROR_UNKNOWN_SESSION);
      return;
    }
  switch (j->action)
    {
    case XTLS_JINGLE_SESSION_ACCEPT:
      handle_accept (s, iq);
      break;
    case XTLS_JINGLE_SECURITY_INFO:
      handle_security_info (s, iq);
      break;
    case XTLS_JINGLE_SESSION_TERMINATE:
      handle_terminate (s, iq);
      break;
    case XTLS_JINGLE_SESSION_INITIATE:
      /* A repeated initiate for the same sid (server retransmission) is acknowledged again. */
      send_result (s, iq->id);
      break;
    case XTLS_JINGLE_SESSION_INFO:
    case XTLS_JINGLE_OTHER:
      send_result (s, iq->id);
      break;
    }
}

void
xtls_session_handle_ibb (XtlsSession *s, const XtlsIq *iq)
{
  if (s->ibb != NULL)
    {
      xtls_ibb_receive (s->ibb, &iq->ibb);
      return;
    }
  /* PROTOCOL.md §3: data for a sid of ours that has ended gets <item-not-found/>; a late
   * <close/> after our terminate is simply acknowledged. */
  if (iq->ibb.kind == XTLS_IBB_PACKET_CLOSE)
    send_result (s, iq->id);
  else
    send_error (s, iq->id, XTLS_STANZA_ERROR_ITEM_NOT_FOUND, XTLS_JINGLE_ERROR_NONE);
}

void
xtls_session_handle_reply (XtlsSession *s, const XtlsIq *iq)
{
  gint64 *deadline = g_hash_table_lookup (s->iqs, iq->id);
  gboolean abandoned = deadline == NULL || *deadline == 0;
  XtlsIbbPacket pkt = {
    .kind = iq->type == XTLS_IQ_RESULT ? XTLS_IBB_PACKET_RESULT : XTLS_IBB_PACKET_ERROR,
    .iq_id = iq->id,
    .condition = iq->condition == XTLS_STANZA_ERROR_BAD_REQUEST ? XTLS_IBB_COND_BAD_REQUEST
                                                                 : XTLS_IBB_COND_OTHER,
  };

  g_hash_table_remove (s->iqs, iq->id);
  if (s->phase == PHASE_ENDED || abandoned)
    return;
  if (s->ibb != NULL && xtls_ibb_owns (s->ibb, &pkt))
    {
      xtls_ibb_receive (s->ibb, &pkt);
      return;
    }
  if (iq->type != XTLS_IQ_ERROR)
    return;
  /* One of our Jingle requests was refused. */
  if (iq->jingle_condition == XTLS_JINGLE_ERROR_TIE_BREAK)
    return; /* the peer's own offer wins and is on its way */
  if (s->phase == PHASE_INITIATE_SENT)
    fail_code (s, XTLS_REASON_NONE, XTLS_ERROR_UNSUPPORTED,
               "the peer's client refused the offer: it does not support XTLS chat");
  else
    fail_code (s, XTLS_REASON_GENERAL_ERROR, XTLS_ERROR_PROTOCOL,
               "the peer rejected a session request");
}

/* ---- Deadlines ------------------------------------------------------------------------ */

static gint64
earliest (gint64 a, gint64 b)
{
  if (a <= 0)
    return b;
  if (b <= 0)
    return a;
  return MIN (a, b);
}

gint64
xtls_session_next_deadline (XtlsSession *s)
{
  GHashTableIter iter;
  gpointer value;
  gint64 next;

  if (s->phase == PHASE_ENDED)
    return -1;
  next = earliest (s->handshake_deadline, s->accept_deadline);
  g_hash_table_iter_init (&iter, s->iqs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    next = earliest (next, *(gint64 *) value);
  return next > 0 ? next : -1;
}

void
xtls_session_tick (XtlsSession *s, gint64 t)
{
  gint64 next = xtls_session_next_deadline (s);

  if (next < 0 || next > t)
    return;
  if (s->handshake_deadline > 0 && s->handshake_deadline <= t)
    fail_code (s, XTLS_REASON_TIMEOUT, XTLS_ERROR_TIMEOUT,
               "the encryption handshake did not finish in time");
  else if (s->accept_deadline > 0 && s->accept_deadline <= t)
    fail_code (s, XTLS_REASON_TIMEOUT, XTLS_ERROR_TIMEOUT, "the peer did not accept in time");
  else
    fail_code (s, XTLS_REASON_TIMEOUT, XTLS_ERROR_TIMEOUT, "the peer stopped answering");
}

/* ---- Life cycle and accessors ---------------------------------------------------------- */

XtlsSession *
xtls_session_new (XtlsHub *hub, const char *peer)
{
  XtlsSession *s = g_new0 (XtlsSession, 1);

  s->hub = hub;
  s->peer = g_strdup (peer);
  s->peer_bare = xtls_bare_jid (peer);
  s->state = XTLS_STATE_NOT_PRIVATE;
  s->phase = PHASE_IDLE;
  g_queue_init (&s->outbox);
  g_queue_init (&s->unconfirmed);
  s->iqs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return s;
}

void
xtls_session_free (XtlsSession *s)
{
  if (s == NULL)
    return;
  g_assert (s->tls == NULL && s->xml == NULL);
  g_clear_pointer (&s->ibb, xtls_ibb_free);
  g_queue_clear_full (&s->outbox, (GDestroyNotify) outgoing_free);
  g_queue_clear_full (&s->unconfirmed, (GDestroyNotify) outgoing_free);
  g_hash_table_unref (s->iqs);
  reset_jingle (s);
  g_clear_error (&s->error);
  g_free (s->peer);
  g_free (s->peer_bare);
  g_free (s->tls_description);
  g_free (s->pubkey_iq_id);
  g_free (s);
}

gboolean
xtls_session_is_live (XtlsSession *s)
{
  return s->phase != PHASE_ENDED && s->phase != PHASE_IDLE;
}

gboolean
xtls_session_matches_sid (XtlsSession *s, const char *sid)
{
  return s->sid != NULL && sid != NULL && strcmp (s->sid, sid) == 0;
}

gboolean
xtls_session_matches_transport (XtlsSession *s, const char *transport_sid)
{
  return s->transport_sid != NULL && transport_sid != NULL
         && strcmp (s->transport_sid, transport_sid) == 0;
}

gboolean
xtls_session_owns_iq (XtlsSession *s, const char *iq_id)
{
  return iq_id != NULL && g_hash_table_contains (s->iqs, iq_id);
}

gboolean
xtls_session_awaits_accept (XtlsSession *s)
{
  return s->phase == PHASE_INITIATE_SENT;
}

const char *
xtls_session_get_sid (XtlsSession *s)
{
  return s->sid;
}

XtlsTrustState
xtls_session_get_state (XtlsSession *s)
{
  return s->state;
}

const GError *
xtls_session_get_error (XtlsSession *s)
{
  return s->error;
}

const char *
xtls_session_get_peer (XtlsSession *s)
{
  return s->peer;
}

gboolean
xtls_session_is_initiator (XtlsSession *s)
{
  return s->initiator;
}

XtlsMethod
xtls_session_get_method (XtlsSession *s)
{
  return s->method;
}

const char *
xtls_session_get_peer_fingerprint (XtlsSession *s)
{
  return s->peer_fingerprint;
}

XtlsDecision
xtls_session_get_pending_decision (XtlsSession *s)
{
  return s->pending;
}

const char *
xtls_session_get_tls_description (XtlsSession *s)
{
  return s->peer_header ? s->tls_description : NULL;
}

gboolean
xtls_session_write_inner_raw (XtlsSession *s, const char *data, gsize len)
{
  gboolean ok;

  if (s->tls == NULL || !s->tls_up)
    return FALSE;
  xtls_hub_enter (s->hub);
  ok = xtls_tls_channel_send (s->tls, (const guint8 *) data, len, NULL);
  xtls_hub_leave (s->hub);
  return ok;
}
