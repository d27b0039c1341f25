/* The tunnel: IBB carries TLS records, TLS carries the inner XML stream, the stream carries
 * chat messages and the in-tunnel certificate exchange (PROTOCOL.md §3-§5). Also the outbox:
 * messages only ever leave through the tunnel (fail closed). */
#include "session-impl.h"

#include <string.h>

#define PUBKEY_NS "urn:xmpp:tmp:pubkey"
/* Transport bytes that may arrive before the TLS channel exists (the responder waiting for
 * its user's password): a ClientHello is a few hundred bytes, so this is generous. */
#define MAX_HELD_BYTES (64 * 1024)
/* session.h: the largest body, every character escaped to 5 bytes, plus two 3071-byte JIDs
 * with every character escaped to 6 ("&quot;") and the tags, fits the receiver's limit with
 * more than a TLS record (16 KiB) to spare for the parser's lookahead. */
G_STATIC_ASSERT (5 * XTLS_MAX_BODY_BYTES + 2 * 6 * 3071 + 256 + 16 * 1024
                 < XTLS_XML_STREAM_DEFAULT_MAX_STANZA);

/* ---- Messages --------------------------------------------------------------------------- */

void
xtls_outgoing_free (Outgoing *o)
{
  g_free (o->body);
  g_free (o);
}

void
xtls_session_report_messages (XtlsSession *s, GQueue *queue, gboolean sent)
{
  XtlsHub *hub = s->hub;
  Outgoing *o;

  while ((o = g_queue_pop_head (queue)) != NULL)
    {
      if (hub->ops->message_status != NULL)
        hub->ops->message_status (hub, s, o->id, sent, hub->user_data);
      xtls_outgoing_free (o);
    }
}

/* XML 1.0 §2.2 allows no C0 control but tab, LF and CR, no U+FFFE or U+FFFF and no invalid
 * UTF-8: libxml2 would write them as they are and the receiver's parser would end the session
 * (not-well-formed). Each becomes U+FFFD: 3 bytes, no more than the 5 an escaped '&' costs, so
 * XTLS_MAX_BODY_BYTES still holds. Transfer full. */
static char *
xml_safe_text (const char *body)
{
  g_autofree char *valid = g_utf8_make_valid (body, -1);
  GString *out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0xFFFE || c == 0xFFFF)
        g_string_append (out, "\xef\xbf\xbd");
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
  return g_string_free (out, FALSE);
}

static gboolean
write_message (XtlsSession *s, const Outgoing *o)
{
  xmlNode *node = xmlNewNode (NULL, BAD_CAST "message");
  g_autofree char *text = xml_safe_text (o->body);
  gboolean ok;

  xmlNewProp (node, BAD_CAST "type", BAD_CAST "chat");
  xmlNewProp (node, BAD_CAST "to", BAD_CAST s->peer);
  xmlNewProp (node, BAD_CAST "from", BAD_CAST s->hub->own_jid);
  xmlNewTextChild (node, NULL, BAD_CAST "body", BAD_CAST text);
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
    xtls_session_report_messages (s, &s->unconfirmed, TRUE);
}

gsize
xtls_session_max_body_bytes (void)
{
  return XTLS_MAX_BODY_BYTES;
}

guint64
xtls_session_send_message (XtlsSession *s, const char *body)
{
  Outgoing *o;
  guint64 id;

  g_return_val_if_fail (s != NULL, 0);
  g_return_val_if_fail (body != NULL, 0);

  /* A longer body could exceed the receiver's stanza limit once escaped, and the receiver
   * would end the session (policy-violation, PROTOCOL.md §6). */
  if (strlen (body) > XTLS_MAX_BODY_BYTES)
    {
      SLOG (s, "not sending a message body of %" G_GSIZE_FORMAT " bytes (limit %u)", strlen (body),
            (guint)XTLS_MAX_BODY_BYTES);
      return 0;
    }
  if (!xtls_session_is_live (s) || s->phase == PHASE_ENDING)
    return 0;
  xtls_hub_enter (s->hub);
  o = g_new0 (Outgoing, 1);
  o->id = id = ++s->hub->next_message_id;
  o->body = g_strdup (body);
  g_queue_push_tail (&s->outbox, o);
  flush_outbox (s); /* may report and free @o at once */
  xtls_hub_leave (s->hub);
  return id;
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

static void pin_proved_certificate (XtlsSession *s);

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
  SLOG (s, "tunnel up (%s, %s)", s->method == XTLS_METHOD_SRP ? "srp" : "x509", s->tls_description);
  xtls_session_set_state (s, s->key_accepted_once && s->method == XTLS_METHOD_X509
                                 ? XTLS_STATE_UNVERIFIED
                                 : XTLS_STATE_PRIVATE);
  xtls_session_report_messages (s, &s->unconfirmed, TRUE);
  /* After an SRP session, exchange certificates inside the tunnel so the next session can use
   * x509 (PROTOCOL.md §4, draft §8.1). Never over the server connection. */
  if (s->method == XTLS_METHOD_SRP)
    request_pubkeys (s);
  else if (s->pin_from_tunnel)
    pin_proved_certificate (s);
}

/* ---- Inner stream callbacks ----------------------------------------------------------- */

static void
xml_send (XtlsXmlStream *stream, const char *data, gsize len, gpointer user_data)
{
  XtlsSession *s = user_data;
  g_autoptr (GError) error = NULL;

  if (s->tls == NULL)
    return;
  if (!xtls_tls_channel_send (s->tls, (const guint8 *)data, len, &error))
    SLOG (s, "dropping %" G_GSIZE_FORMAT " inner bytes: %s", len, error->message);
}

/* Once the session has ended (a stanza earlier in the same TLS record may have ended it),
 * nothing more from the peer is acted on. */
static gboolean
ended (XtlsSession *s)
{
  return s->phase == PHASE_ENDED || s->xml == NULL;
}

static void
xml_opened (XtlsXmlStream *stream, const char *id, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (ended (s))
    return;
  if (s->phase == PHASE_ACCEPTED && s->tls_up)
    go_live (s);
}

static xmlNode *
find_child (xmlNode *parent, const char *name)
{
  for (xmlNode *c = parent->children; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && strcmp ((const char *)c->name, name) == 0)
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
      if (strcmp ((const char *)c->name, name) == 0)
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
  const char *pin;
  gsize len = 0;

  if (cert == NULL || s->method != XTLS_METHOD_SRP)
    return;
  text = (char *)xmlNodeGetContent (cert);
  der = g_base64_decode (text, &len);
  if (len == 0)
    return;
  fingerprint = xtls_fingerprint_sha256 (der, len);
  if (s->peer_fingerprint != NULL && strcmp (s->peer_fingerprint, fingerprint) != 0)
    SLOG (s, "the certificate sent inside the tunnel differs from the one announced outside");
  pin = xtls_trust_store_lookup (s->hub->trust, s->peer_bare);
  if (pin != NULL && g_ascii_strcasecmp (pin, fingerprint) != 0)
    {
      /* Replacing a pin needs the user's consent, even inside a password-verified tunnel. */
      SLOG (s, "the peer's certificate differs from its pin; not replaced without consent");
      if (s->hub->ops->key_conflict != NULL)
        s->hub->ops->key_conflict (s->hub, s, fingerprint, s->hub->user_data);
    }
  else if (!xtls_trust_store_pin (s->hub->trust, s->peer_bare, fingerprint, XTLS_VERIFIED_PASSWORD,
                                  g_get_real_time () / G_USEC_PER_SEC, &error))
    SLOG (s, "could not save the peer's key: %s", error != NULL ? error->message : "invalid");
  else
    SLOG (s, "peer key pinned after password verification");
  g_free (s->peer_fingerprint);
  s->peer_fingerprint = g_steal_pointer (&fingerprint);
}

/* The user verified a SHA-1 announcement; the handshake has proved the certificate behind it,
 * whose SHA-256 is what we pin. */
static void
pin_proved_certificate (XtlsSession *s)
{
  GBytes *der = xtls_tls_channel_get_peer_certificate (s->tls);
  g_autofree char *fingerprint = NULL;
  g_autoptr (GError) error = NULL;

  s->pin_from_tunnel = FALSE;
  if (der == NULL)
    return;
  fingerprint = xtls_fingerprint_sha256 (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  if (!xtls_trust_store_pin (s->hub->trust, s->peer_bare, fingerprint, XTLS_VERIFIED_FINGERPRINT,
                             g_get_real_time () / G_USEC_PER_SEC, &error))
    SLOG (s, "could not save the peer's key: %s", error != NULL ? error->message : "invalid");
}

static void
handle_inner_iq (XtlsSession *s, xmlNode *iq)
{
  g_autofree char *type = (char *)xmlGetProp (iq, BAD_CAST "type");
  g_autofree char *id = (char *)xmlGetProp (iq, BAD_CAST "id");
  xmlNode *pubkeys = find_child (iq, "pubkeys");
  gboolean is_pubkeys = pubkeys != NULL && pubkeys->ns != NULL
                        && strcmp ((const char *)pubkeys->ns->href, PUBKEY_NS) == 0;

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

  if (ended (s))
    return;
  /* Whatever 'from' says, the sender is the authenticated peer (PROTOCOL.md §5). */
  if (strcmp ((const char *)stanza->name, "message") == 0)
    {
      xmlNode *body = find_child (stanza, "body");
      g_autofree char *text = NULL;
      if (body == NULL)
        return; /* chat states and receipts carry no body */
      text = (char *)xmlNodeGetContent (body);
      if (text != NULL && hub->ops->message_received != NULL)
        hub->ops->message_received (hub, s, text, hub->user_data);
    }
  else if (strcmp ((const char *)stanza->name, "iq") == 0)
    handle_inner_iq (s, stanza);
  else if (strcmp ((const char *)stanza->name, "error") == 0 && stanza->ns != NULL
           && strcmp ((const char *)stanza->ns->href, "http://etherx.jabber.org/streams") == 0)
    {
      /* RFC 6120 §4.9: the peer found our stream broken and is closing it; its
       * session-terminate follows, so we send none. */
      xmlNode *condition = stanza->children;
      while (condition != NULL && condition->type != XML_ELEMENT_NODE)
        condition = condition->next;
      SLOG (s, "peer sent a stream error (%s)",
            condition != NULL ? (const char *)condition->name : "no condition");
      xtls_session_fail_code (s, XTLS_REASON_NONE, XTLS_ERROR_PROTOCOL,
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
      xtls_session_complete_stop (s);
      return;
    }
  /* The peer is ending: close ours; its session-terminate follows. */
  xtls_xml_stream_close (s->xml);
  if (s->tls != NULL)
    xtls_tls_channel_close (s->tls);
  xtls_session_end (s, XTLS_STATE_FINISHED, NULL);
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

  if (s->phase != PHASE_ENDED && s->xml != NULL)
    xtls_xml_stream_receive (s->xml, (const char *)data, len);
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
    xtls_session_complete_stop (s);
  else
    xtls_session_end (s, XTLS_STATE_FINISHED, NULL);
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
        iq.id = (char *)pkt->iq_id;
        iq.from = s->hub->own_jid;
        iq.to = s->peer;
        xml = xtls_wire_build_iq (&iq);
        g_hash_table_insert (
            s->iqs, g_strdup (pkt->iq_id),
            g_memdup2 (&(gint64){ xtls_session_now (s) + s->hub->config.ack_timeout_us },
                       sizeof (gint64)));
        xtls_hub_send (s->hub, xml);
        break;
      case XTLS_IBB_PACKET_RESULT:
        xtls_session_send_result (s, pkt->iq_id);
        break;
      case XTLS_IBB_PACKET_ERROR:
        xtls_session_send_error (s, pkt->iq_id, ibb_condition_to_stanza (pkt->condition),
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
      xtls_session_fail_code (s, XTLS_REASON_FAILED_TRANSPORT, XTLS_ERROR_PROTOCOL,
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
      xtls_hub_bury (s->hub, g_steal_pointer (&s->ibb), (GDestroyNotify)xtls_ibb_free);
      return;
    }
  if (error == NULL)
    return;
  /* PROTOCOL.md §3: an IBB error (or the peer's early close) ends the session. A <close/> is
   * outer and unauthenticated: with the tunnel up it may have been forged (PROTOCOL.md §6). */
  if (s->tls_up && g_error_matches (error, XTLS_ERROR, XTLS_ERROR_IBB_CLOSED))
    {
      xtls_session_fail_code (s, XTLS_REASON_FAILED_TRANSPORT, XTLS_ERROR_INTERRUPTED,
                              "the bytestream was closed from outside the tunnel");
      return;
    }
  xtls_session_fail (s, XTLS_REASON_FAILED_TRANSPORT, error);
}

static void
ibb_drained (XtlsIbb *ibb, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase == PHASE_ENDING)
    xtls_session_complete_stop (s);
}

static const XtlsIbbOps ibb_ops = {
  .send = ibb_send,
  .deliver = ibb_deliver,
  .closed = ibb_closed,
  .drained = ibb_drained,
};

/* ---- Engines ---------------------------------------------------------------------------- */

void
xtls_session_create_transport (XtlsSession *s)
{
  /* Every IQ id we send starts with "xtls", so the glue can claim answers by id cheaply. */
  g_autofree char *prefix = g_strconcat ("xtls-", s->sid, NULL);
  XtlsIbbConfig config = {
    .sid = s->transport_sid,
    .version = s->ibb_version,
    .initiator = s->initiator,
    .block_size = s->block_size,
    .window = s->hub->config.window,
    .iq_prefix = prefix,
  };
  XtlsXmlStreamLimits limits = { .max_stanza_bytes = s->hub->config.max_stanza_bytes };

  s->ibb = xtls_ibb_new (&config, &ibb_ops, s);
  s->xml = xtls_xml_stream_new (&limits, &xml_ops, s);
}

gboolean
xtls_session_start_tls (XtlsSession *s)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *bare = xtls_bare_jid (s->initiator_jid);
  /* Both sides derive the SRP username the same way: node and domain are case-insensitive
   * (RFC 7622 §3.2-3.3), GnuTLS compares bytes. */
  g_autofree char *initiator_bare = g_ascii_strdown (bare, -1);
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
  s->handshake_deadline = xtls_session_now (s) + s->hub->config.handshake_timeout_us;
  if (s->state == XTLS_STATE_UNVERIFIED)
    xtls_session_set_state (s, XTLS_STATE_NEGOTIATING);
  xtls_tls_channel_start (s->tls);
  if (s->held != NULL && s->tls != NULL)
    {
      g_autoptr (GByteArray) held = g_steal_pointer (&s->held);
      xtls_tls_channel_receive (s->tls, held->data, held->len);
    }
  return TRUE;
}

gboolean
xtls_session_write_inner_raw (XtlsSession *s, const char *data, gsize len)
{
  gboolean ok;

  if (s->tls == NULL || !s->tls_up)
    return FALSE;
  xtls_hub_enter (s->hub);
  ok = xtls_tls_channel_send (s->tls, (const guint8 *)data, len, NULL);
  xtls_hub_leave (s->hub);
  return ok;
}
