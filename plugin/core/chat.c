/* The chat application: inner XML stream, outbox, in-tunnel certificate exchange (PROTOCOL.md
 * §4-§5, draft §8.1). Everything below it is reached through XtlsChatOps.write. */
#include "chat.h"

#include <string.h>

#include "session.h"
#include "wire-private.h"
#include "xtls-error.h"

#define PUBKEY_NS "urn:xmpp:tmp:pubkey"
#define STREAMS_NS "http://etherx.jabber.org/streams"

/* Never log message text, passwords or keys (STYLE.md habit 7). */
#define CLOG(c, fmt, ...) g_debug ("[%s chat] " fmt, (c)->log_id, ##__VA_ARGS__)

typedef struct
{
  guint64 id;
  char *body; /* owned */
} Outgoing;

struct _XtlsChat
{
  const XtlsChatOps *ops; /* borrowed */
  gpointer user_data;
  char *own_jid;          /* owned */
  char *peer_jid;         /* owned */
  char *log_id;           /* owned */
  XtlsIdentity *identity; /* ref */
  XtlsXmlStream *xml;     /* owned */
  gboolean open;          /* our header is out: messages may be written */
  gboolean proven;        /* the peer's header arrived */
  gboolean closing;       /* our </stream:stream> is out */
  gboolean stopped;       /* nothing more is acted on */
  GQueue outbox;          /* Outgoing not yet written */
  GQueue unconfirmed;     /* Outgoing written before the peer's header proved the tunnel */
  char *pubkey_iq_id;     /* owned: our certificate request, or NULL */
  guint next_iq;
};

static void
outgoing_free (Outgoing *o)
{
  g_free (o->body);
  g_free (o);
}

static void
report (XtlsChat *c, GQueue *queue, gboolean sent)
{
  Outgoing *o;

  while ((o = g_queue_pop_head (queue)) != NULL)
    {
      c->ops->status (c, o->id, sent, c->user_data);
      outgoing_free (o);
    }
}

/* session.h: the largest body, every character escaped to 5 bytes, plus two 3071-byte JIDs
 * with every character escaped to 6 ("&quot;") and the tags, fits the receiver's limit with
 * more than a TLS record (16 KiB) to spare for the parser's lookahead. */
G_STATIC_ASSERT (5 * XTLS_MAX_BODY_BYTES + 2 * 6 * 3071 + 256 + 16 * 1024
                 < XTLS_XML_STREAM_DEFAULT_MAX_STANZA);

/* Appends @body as element text. XML 1.0 §2.2 allows no C0 control but tab, LF and CR, no
 * U+FFFE or U+FFFF and no invalid UTF-8: the receiver's parser would end the session
 * (not-well-formed). Each becomes U+FFFD: 3 bytes, no more than the 5 an escaped '&' costs, so
 * XTLS_MAX_BODY_BYTES still holds. CR is written as a reference, which the parser's line-end
 * normalisation would otherwise turn into LF.
 *
 * One pass that copies runs of plain bytes: a body is up to 256 KiB, and building it as a
 * libxml2 tree (a sanitised copy, the node's copy, the deep copy for the dump, the dump) made
 * the copies' page faults a seventh of the sender's CPU (bench/run.sh). */
static void
append_body_text (GString *out, const char *body)
{
  g_autofree char *valid = NULL;
  const char *run;
  const char *p;

  if (!g_utf8_validate (body, -1, NULL))
    body = valid = g_utf8_make_valid (body, -1);
  for (run = p = body; *p != '\0'; p++)
    {
      guchar b = (guchar)*p;
      const char *with;
      gsize skip = 1;

      if (b >= 0x20 && b != '&' && b != '<' && b != '>' && b != 0xEF)
        continue;
      /* Valid UTF-8: U+FFFE and U+FFFF are exactly EF BF BE and EF BF BF. */
      if (b == 0xEF && !((guchar)p[1] == 0xBF && ((guchar)p[2] == 0xBE || (guchar)p[2] == 0xBF)))
        continue;
      switch (b)
        {
          case '&':
            with = "&amp;";
            break;
          case '<':
            with = "&lt;";
            break;
          case '>':
            with = "&gt;";
            break;
          case '\r':
            with = "&#13;";
            break;
          case '\t':
          case '\n':
            continue;
          case 0xEF:
            skip = 3;
            with = "\xef\xbf\xbd";
            break;
          default:
            with = "\xef\xbf\xbd";
            break;
        }
      g_string_append_len (out, run, p - run);
      g_string_append (out, with);
      p += skip - 1;
      run = p + 1;
    }
  g_string_append_len (out, run, p - run);
}

static gboolean
write_message (XtlsChat *c, const Outgoing *o)
{
  gsize len = strlen (o->body);
  g_autoptr (GString) out
      = g_string_sized_new (len + len / 8 + strlen (c->peer_jid) + strlen (c->own_jid) + 64);

  g_string_append (out, "<message type='chat'");
  xtls_wire_append_attr (out, "to", c->peer_jid);
  xtls_wire_append_attr (out, "from", c->own_jid);
  g_string_append (out, "><body>");
  append_body_text (out, o->body);
  g_string_append (out, "</body></message>");
  return xtls_xml_stream_send_serialized (c->xml, out->str, out->len);
}

/* Writes queued messages once our stream is open; they count as sent only when the peer's
 * stream header has proved the tunnel (PROTOCOL.md §4). */
static void
flush (XtlsChat *c)
{
  Outgoing *o;

  if (!c->open || c->closing || c->stopped)
    return;
  while ((o = g_queue_pop_head (&c->outbox)) != NULL)
    {
      if (!write_message (c, o))
        {
          g_queue_push_head (&c->outbox, o);
          return;
        }
      g_queue_push_tail (&c->unconfirmed, o);
    }
  if (c->proven)
    report (c, &c->unconfirmed, TRUE);
}

/* ---- inner stream callbacks ------------------------------------------------------------ */

static void
xml_send (XtlsXmlStream *stream, const char *data, gsize len, gpointer user_data)
{
  XtlsChat *c = user_data;

  if (!c->ops->write (c, data, len, c->user_data))
    CLOG (c, "dropping %" G_GSIZE_FORMAT " stream bytes: the tunnel is closed", len);
}

static void
xml_opened (XtlsXmlStream *stream, const char *id, gpointer user_data)
{
  XtlsChat *c = user_data;

  if (c->stopped || c->proven)
    return;
  c->proven = TRUE;
  c->ops->opened (c, c->user_data);
  if (!c->stopped)
    report (c, &c->unconfirmed, TRUE);
}

static xmlNode *
find_child (xmlNode *parent, const char *name)
{
  for (xmlNode *n = parent->children; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && strcmp ((const char *)n->name, name) == 0)
      return n;
  return NULL;
}

static xmlNode *
find_descendant (xmlNode *node, const char *name)
{
  for (xmlNode *n = node->children; n != NULL; n = n->next)
    {
      xmlNode *found;
      if (n->type != XML_ELEMENT_NODE)
        continue;
      if (strcmp ((const char *)n->name, name) == 0)
        return n;
      if ((found = find_descendant (n, name)) != NULL)
        return found;
    }
  return NULL;
}

static void
send_iq (XtlsChat *c, const char *type, const char *id, xmlNode *child)
{
  xmlNode *iq = xmlNewNode (NULL, BAD_CAST "iq");

  xmlNewProp (iq, BAD_CAST "type", BAD_CAST type);
  if (id != NULL)
    xmlNewProp (iq, BAD_CAST "id", BAD_CAST id);
  xmlAddChild (iq, child);
  xtls_xml_stream_send_stanza (c->xml, iq);
  xmlFreeNode (iq);
}

static xmlNode *
new_pubkeys (void)
{
  xmlNode *pubkeys = xmlNewNode (NULL, BAD_CAST "pubkeys");

  xmlSetNs (pubkeys, xmlNewNs (pubkeys, BAD_CAST PUBKEY_NS, NULL));
  return pubkeys;
}

static void
answer_pubkeys (XtlsChat *c, const char *id)
{
  GBytes *der = xtls_identity_get_certificate (c->identity);
  g_autofree char *b64 = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  xmlNode *pubkeys = new_pubkeys ();
  xmlNode *keyinfo = xmlNewChild (pubkeys, NULL, BAD_CAST "keyinfo", NULL);

  xmlNewTextChild (keyinfo, NULL, BAD_CAST "x509cert", BAD_CAST b64);
  send_iq (c, "result", id, pubkeys);
}

static void
receive_certificate (XtlsChat *c, xmlNode *iq)
{
  xmlNode *cert = find_descendant (iq, "x509cert");
  g_autofree char *text = NULL;
  g_autofree guint8 *der = NULL;
  gsize len = 0;

  g_clear_pointer (&c->pubkey_iq_id, g_free);
  if (cert == NULL)
    return;
  text = (char *)xmlNodeGetContent (cert);
  der = g_base64_decode (text, &len);
  if (len > 0)
    c->ops->certificate (c, der, len, c->user_data);
}

/* RFC 6120 §8.2.3: an IQ get/set we do not handle gets an error reply. */
static void
refuse_iq (XtlsChat *c, const char *id)
{
  xmlNode *err = xmlNewNode (NULL, BAD_CAST "error");
  xmlNode *cond;

  xmlNewProp (err, BAD_CAST "type", BAD_CAST "cancel");
  cond = xmlNewChild (err, NULL, BAD_CAST "service-unavailable", NULL);
  xmlSetNs (cond, xmlNewNs (cond, BAD_CAST "urn:ietf:params:xml:ns:xmpp-stanzas", NULL));
  send_iq (c, "error", id, err);
}

static void
handle_iq (XtlsChat *c, xmlNode *iq)
{
  g_autofree char *type = (char *)xmlGetProp (iq, BAD_CAST "type");
  g_autofree char *id = (char *)xmlGetProp (iq, BAD_CAST "id");
  xmlNode *pubkeys = find_child (iq, "pubkeys");
  gboolean is_pubkeys = pubkeys != NULL && pubkeys->ns != NULL
                        && strcmp ((const char *)pubkeys->ns->href, PUBKEY_NS) == 0;

  if (type == NULL)
    return;
  if (strcmp (type, "get") == 0 && is_pubkeys)
    answer_pubkeys (c, id);
  else if (strcmp (type, "result") == 0 && id != NULL && g_strcmp0 (id, c->pubkey_iq_id) == 0)
    receive_certificate (c, iq);
  else if (strcmp (type, "get") == 0 || strcmp (type, "set") == 0)
    refuse_iq (c, id);
}

static void
xml_stanza (XtlsXmlStream *stream, xmlNode *stanza, gpointer user_data)
{
  XtlsChat *c = user_data;

  /* A stanza earlier in the same TLS record may have ended the session. */
  if (c->stopped)
    return;
  /* Whatever 'from' says, the sender is the authenticated peer (PROTOCOL.md §5). */
  if (strcmp ((const char *)stanza->name, "message") == 0)
    {
      xmlNode *body = find_child (stanza, "body");
      g_autofree char *text = body != NULL ? (char *)xmlNodeGetContent (body) : NULL;
      if (text != NULL) /* chat states and receipts carry no body */
        c->ops->message (c, text, c->user_data);
    }
  else if (strcmp ((const char *)stanza->name, "iq") == 0)
    handle_iq (c, stanza);
  else if (strcmp ((const char *)stanza->name, "error") == 0 && stanza->ns != NULL
           && strcmp ((const char *)stanza->ns->href, STREAMS_NS) == 0)
    {
      /* RFC 6120 §4.9: the peer found our stream broken and is closing it. */
      g_autoptr (GError) error = g_error_new_literal (
          XTLS_ERROR, XTLS_ERROR_PROTOCOL, "the peer reported an error in the encrypted stream");
      xmlNode *condition = stanza->children;
      while (condition != NULL && condition->type != XML_ELEMENT_NODE)
        condition = condition->next;
      CLOG (c, "peer sent a stream error (%s)",
            condition != NULL ? (const char *)condition->name : "no condition");
      c->ops->ended (c, XTLS_CHAT_END_PEER_ERROR, error, c->user_data);
    }
}

static void
xml_closed (XtlsXmlStream *stream, const GError *error, gpointer user_data)
{
  XtlsChat *c = user_data;

  if (c->stopped)
    return;
  if (error == NULL)
    CLOG (c, "peer closed the inner stream");
  c->ops->ended (c, error != NULL ? XTLS_CHAT_END_BAD_INPUT : XTLS_CHAT_END_PEER_CLOSED, error,
                 c->user_data);
}

static const XtlsXmlStreamOps xml_ops = {
  .send = xml_send,
  .opened = xml_opened,
  .stanza = xml_stanza,
  .closed = xml_closed,
};

/* ---- API ------------------------------------------------------------------------------- */

XtlsChat *
xtls_chat_new (const char *own_jid, const char *peer_jid, XtlsIdentity *identity,
               const XtlsXmlStreamLimits *limits, const char *log_id, const XtlsChatOps *ops,
               gpointer user_data)
{
  XtlsChat *c = g_new0 (XtlsChat, 1);

  c->ops = ops;
  c->user_data = user_data;
  c->own_jid = g_strdup (own_jid);
  c->peer_jid = g_strdup (peer_jid);
  c->log_id = g_strdup (log_id != NULL ? log_id : "-");
  c->identity = xtls_identity_ref (identity);
  c->xml = xtls_xml_stream_new (limits, &xml_ops, c);
  g_queue_init (&c->outbox);
  g_queue_init (&c->unconfirmed);
  return c;
}

void
xtls_chat_free (XtlsChat *c)
{
  if (c == NULL)
    return;
  xtls_xml_stream_free (c->xml);
  g_queue_clear_full (&c->outbox, (GDestroyNotify)outgoing_free);
  g_queue_clear_full (&c->unconfirmed, (GDestroyNotify)outgoing_free);
  xtls_identity_unref (c->identity);
  g_free (c->own_jid);
  g_free (c->peer_jid);
  g_free (c->log_id);
  g_free (c->pubkey_iq_id);
  g_free (c);
}

void
xtls_chat_open (XtlsChat *c, const char *stream_id)
{
  if (c->open || c->stopped)
    return;
  c->open = TRUE;
  xtls_xml_stream_open (c->xml, c->own_jid, c->peer_jid, stream_id);
  flush (c);
}

void
xtls_chat_receive (XtlsChat *c, const char *data, gsize len)
{
  if (!c->stopped)
    xtls_xml_stream_receive (c->xml, data, len);
}

void
xtls_chat_queue (XtlsChat *c, guint64 id, const char *body)
{
  Outgoing *o = g_new0 (Outgoing, 1);

  o->id = id;
  o->body = g_strdup (body);
  g_queue_push_tail (&c->outbox, o);
  flush (c); /* may report @id at once */
}

void
xtls_chat_request_certificate (XtlsChat *c)
{
  if (c->stopped || c->pubkey_iq_id != NULL)
    return;
  c->pubkey_iq_id = g_strdup_printf ("xtls-pk%u", ++c->next_iq);
  send_iq (c, "get", c->pubkey_iq_id, new_pubkeys ());
}

void
xtls_chat_close (XtlsChat *c)
{
  if (c->closing || !c->open)
    return;
  c->closing = TRUE;
  xtls_xml_stream_close (c->xml);
}

void
xtls_chat_stop (XtlsChat *c)
{
  c->stopped = TRUE;
  report (c, &c->unconfirmed, FALSE);
  report (c, &c->outbox, FALSE);
}

gboolean
xtls_chat_is_proven (XtlsChat *c)
{
  return c->proven;
}
