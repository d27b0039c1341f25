/* Unit tests for the inner XML stream (xmlstream.h): two streams back to back, the historical
 * forms PROTOCOL.md §5 and §7 ask us to accept, and a table of hostile input (RFC 6120 §4.9.3,
 * §11.1) with its memory bound. */
#include <string.h>

#include <glib.h>
#include <libxml/tree.h>

#include "xmlstream.h"
#include "xtls-error.h"

#define NS_CLIENT "jabber:client"
#define HEADER_A                                                                                   \
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "          \
  "from='romeo@montague.lit/orchard' to='juliet@capulet.lit/balcony' version='1.0'>"
#define LATE "<message><body>late</body></message>"
#define MB (1024 * 1024)

/* ---- a recording peer ---------------------------------------------------------------- */

typedef struct
{
  char *name;
  char *ns;
  char *type;
  char *to;
  char *from;
  char *body;
  char *child_ns; /* namespace of the first child that is not <body/> */
  char *lang;     /* xml:lang */
} Got;

typedef struct Peer Peer;
struct Peer
{
  XtlsXmlStream *stream;
  Peer *other;
  GString *out;    /* everything the stream sent */
  gsize forwarded; /* how much of @out went to @other */
  gsize split;     /* forward in pieces of this size; 0 = at once */
  gboolean live;   /* forward from inside send(), as a synchronous loopback would */
  gboolean opened;
  char *opened_id;
  GPtrArray *got; /* Got */
  guint closed;
  GError *error;
  gboolean echo;   /* send every stanza straight back from inside the callback */
  guint ping_pong; /* answer each stanza with a new one until this many arrived */
  guint close_at;  /* call close() from inside the callback at this stanza; 0 = never */
};

static char *
child_text (xmlNode *node, const char *name)
{
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && xmlStrEqual (c->name, BAD_CAST name))
      {
        xmlChar *content = xmlNodeGetContent (c);
        char *copy = g_strdup ((const char *)content);

        xmlFree (content);
        return copy;
      }
  return NULL;
}

static char *
prop (xmlNode *node, const char *name)
{
  xmlChar *value = xmlGetNoNsProp (node, BAD_CAST name);
  char *copy = g_strdup ((const char *)value);

  xmlFree (value);
  return copy;
}

static void
got_free (gpointer data)
{
  Got *got = data;

  g_free (got->name);
  g_free (got->ns);
  g_free (got->type);
  g_free (got->to);
  g_free (got->from);
  g_free (got->body);
  g_free (got->child_ns);
  g_free (got->lang);
  g_free (got);
}

static void
forward (Peer *p)
{
  while (p->other != NULL && p->forwarded < p->out->len)
    {
      gsize left = p->out->len - p->forwarded;
      gsize n = p->split == 0 ? left : MIN (left, p->split);
      g_autofree char *piece = g_strndup (p->out->str + p->forwarded, n);

      /* Advance first: the receiver may make us send (and forward) again. */
      p->forwarded += n;
      xtls_xml_stream_receive (p->other->stream, piece, n);
    }
}

static void
on_send (XtlsXmlStream *stream, const char *data, gsize len, gpointer user_data)
{
  Peer *p = user_data;

  g_assert_true (stream == p->stream);
  g_string_append_len (p->out, data, len);
  if (p->live)
    forward (p);
}

static void
on_opened (XtlsXmlStream *stream, const char *id, gpointer user_data)
{
  Peer *p = user_data;

  g_assert_false (p->opened);
  g_assert_cmpuint (p->closed, ==, 0);
  p->opened = TRUE;
  p->opened_id = g_strdup (id);
}

static void
on_stanza (XtlsXmlStream *stream, xmlNode *stanza, gpointer user_data)
{
  Peer *p = user_data;
  Got *got = g_new0 (Got, 1);

  /* Nothing is delivered once the stream has ended. */
  g_assert_cmpuint (p->closed, ==, 0);
  g_assert_true (p->opened);
  got->name = g_strdup ((const char *)stanza->name);
  got->ns = stanza->ns != NULL ? g_strdup ((const char *)stanza->ns->href) : NULL;
  got->type = prop (stanza, "type");
  got->to = prop (stanza, "to");
  got->from = prop (stanza, "from");
  got->body = child_text (stanza, "body");
  {
    xmlChar *lang = xmlNodeGetLang (stanza);

    got->lang = g_strdup ((const char *)lang);
    xmlFree (lang);
  }
  for (xmlNode *c = stanza->children; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && !xmlStrEqual (c->name, BAD_CAST "body") && c->ns != NULL)
      {
        got->child_ns = g_strdup ((const char *)c->ns->href);
        break;
      }
  g_ptr_array_add (p->got, got);

  if (p->echo && xtls_xml_stream_is_open (stream))
    g_assert_true (xtls_xml_stream_send_stanza (stream, stanza));
  if (p->ping_pong > 0 && p->got->len < p->ping_pong)
    {
      g_autofree char *n = g_strdup_printf ("%u", p->got->len);
      xmlNode *next = xmlNewNode (NULL, BAD_CAST "message");

      xmlNewTextChild (next, NULL, BAD_CAST "body", BAD_CAST n);
      g_assert_true (xtls_xml_stream_send_stanza (stream, next));
      xmlFreeNode (next);
    }
  if (p->close_at == p->got->len)
    {
      xtls_xml_stream_close (stream);
      g_assert_false (xtls_xml_stream_send_stanza (stream, stanza));
    }
}

static void
on_closed (XtlsXmlStream *stream, const GError *error, gpointer user_data)
{
  Peer *p = user_data;

  p->closed++;
  g_assert_cmpuint (p->closed, ==, 1);
  if (error != NULL)
    p->error = g_error_copy (error);
}

static const XtlsXmlStreamOps peer_ops = {
  .send = on_send,
  .opened = on_opened,
  .stanza = on_stanza,
  .closed = on_closed,
};

static Peer *
peer_new (const XtlsXmlStreamLimits *limits)
{
  Peer *p = g_new0 (Peer, 1);

  p->out = g_string_new (NULL);
  p->got = g_ptr_array_new_with_free_func (got_free);
  p->stream = xtls_xml_stream_new (limits, &peer_ops, p);
  return p;
}

static void
peer_free (Peer *p)
{
  xtls_xml_stream_free (p->stream);
  g_string_free (p->out, TRUE);
  g_ptr_array_unref (p->got);
  g_free (p->opened_id);
  g_clear_error (&p->error);
  g_free (p);
}

static Got *
got_at (Peer *p, guint i)
{
  g_assert_cmpuint (i, <, p->got->len);
  return p->got->pdata[i];
}

static void
link_peers (Peer *a, Peer *b, gsize split)
{
  a->other = b;
  b->other = a;
  a->split = b->split = split;
}

static void
pump (Peer *a, Peer *b)
{
  while (a->forwarded < a->out->len || b->forwarded < b->out->len)
    {
      forward (a);
      forward (b);
    }
}

/* Initiator A and responder B, both headers exchanged. */
static void
open_pair (Peer *a, Peer *b, gsize split)
{
  link_peers (a, b, split);
  xtls_xml_stream_open (a->stream, "romeo@montague.lit/orchard", "juliet@capulet.lit/balcony",
                        NULL);
  xtls_xml_stream_open (b->stream, "juliet@capulet.lit/balcony", "romeo@montague.lit/orchard",
                        "s1");
  pump (a, b);
  g_assert_true (a->opened && b->opened);
  g_assert_true (xtls_xml_stream_is_open (a->stream) && xtls_xml_stream_is_open (b->stream));
}

static xmlNode *
chat_message (const char *body)
{
  xmlNode *node = xmlNewNode (NULL, BAD_CAST "message");

  xmlNewProp (node, BAD_CAST "type", BAD_CAST "chat");
  xmlNewProp (node, BAD_CAST "to", BAD_CAST "juliet@capulet.lit/balcony");
  xmlNewTextChild (node, NULL, BAD_CAST "body", BAD_CAST body);
  return node;
}

static void
send_message (Peer *p, const char *body)
{
  xmlNode *node = chat_message (body);

  g_assert_true (xtls_xml_stream_send_stanza (p->stream, node));
  xmlFreeNode (node);
}

static void
feed (Peer *p, const char *data, gsize len, gsize piece)
{
  for (gsize off = 0; off < len; off += piece)
    xtls_xml_stream_receive (p->stream, data + off, MIN (piece, len - off));
}

static void
feed_str (Peer *p, const char *data, gsize piece)
{
  feed (p, data, strlen (data), piece == 0 ? MAX (strlen (data), 1) : piece);
}

/* ---- two streams back to back -------------------------------------------------------- */

static void
test_pair_open (void)
{
  Peer *a = peer_new (NULL);
  Peer *b = peer_new (NULL);

  link_peers (a, b, 0);
  g_assert_false (xtls_xml_stream_is_open (a->stream));
  xtls_xml_stream_open (a->stream, "romeo@montague.lit/orchard", "juliet@capulet.lit/balcony",
                        NULL);
  pump (a, b);
  g_assert_true (b->opened);
  g_assert_null (b->opened_id);
  g_assert_true (g_str_has_prefix (a->out->str, "<stream:stream xmlns='jabber:client' "
                                                "xmlns:stream='http://etherx.jabber.org/streams'"));
  g_assert_nonnull (strstr (a->out->str, " from='romeo@montague.lit/orchard'"));
  g_assert_nonnull (strstr (a->out->str, " version='1.0'>"));
  g_assert_null (strstr (a->out->str, " id="));

  /* Attribute values are escaped and read back intact. */
  xtls_xml_stream_open (b->stream, "juliet@capulet.lit/balcony", "romeo'&<x>", "id'&\"<>é");
  pump (a, b);
  g_assert_null (strstr (b->out->str, "romeo'&"));
  g_assert_true (a->opened);
  g_assert_cmpstr (a->opened_id, ==, "id'&\"<>é");
  g_assert_true (xtls_xml_stream_is_open (a->stream) && xtls_xml_stream_is_open (b->stream));
  g_assert_cmpuint (a->closed + b->closed, ==, 0);
  peer_free (a);
  peer_free (b);
}

static const char *const exchange_bodies[] = {
  "hello",
  "a < b && c > d; ]]> \"double\" 'single' &amp; &#38; &lt;",
  "héllo wörld ✓ 🎉 日本語 ﻿ zero​width",
  "line one\nline two\ttab\r\nwindows",
  "",
  NULL, /* a long unicode body, built below */
};

static void
test_pair_exchange (gconstpointer data)
{
  gsize split = GPOINTER_TO_SIZE (data);
  GString *long_body = g_string_new (NULL);
  guint n = G_N_ELEMENTS (exchange_bodies);
  Peer *a = peer_new (NULL);
  Peer *b = peer_new (NULL);

  for (guint i = 0; i < 400; i++)
    g_string_append (long_body, "日本語🎉é<&>x");
  open_pair (a, b, split);
  for (guint i = 0; i < n; i++)
    {
      const char *body = exchange_bodies[i] != NULL ? exchange_bodies[i] : long_body->str;

      send_message (a, body);
      send_message (b, body);
    }
  pump (a, b);
  g_assert_cmpuint (a->got->len, ==, n);
  g_assert_cmpuint (b->got->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      const char *body = exchange_bodies[i] != NULL ? exchange_bodies[i] : long_body->str;

      for (Peer *p = a; p != NULL; p = p == a ? b : NULL)
        {
          Got *got = got_at (p, i);

          g_assert_cmpstr (got->name, ==, "message");
          g_assert_cmpstr (got->ns, ==, NS_CLIENT);
          g_assert_cmpstr (got->type, ==, "chat");
          g_assert_cmpstr (got->to, ==, "juliet@capulet.lit/balcony");
          g_assert_null (got->from);
          g_assert_cmpstr (got->body, ==, body);
        }
    }
  /* Non-ASCII text travels as UTF-8, not as character references. */
  g_assert_nonnull (strstr (a->out->str, "日本語🎉é"));
  g_assert_null (strstr (a->out->str, "&#x"));
  g_assert_null (strstr (a->out->str, "xmlns=\"jabber:client\""));

  xtls_xml_stream_close (a->stream);
  g_assert_false (xtls_xml_stream_is_open (a->stream));
  {
    xmlNode *late = chat_message ("after close");

    g_assert_false (xtls_xml_stream_send_stanza (a->stream, late));
    xmlFreeNode (late);
  }
  pump (a, b);
  g_assert_cmpuint (b->closed, ==, 1);
  g_assert_null (b->error);
  g_assert_false (xtls_xml_stream_is_open (b->stream));
  xtls_xml_stream_close (b->stream);
  pump (a, b);
  g_assert_cmpuint (a->closed, ==, 1);
  g_assert_null (a->error);
  g_assert_true (g_str_has_suffix (a->out->str, "</stream:stream>"));
  peer_free (a);
  peer_free (b);
  g_string_free (long_body, TRUE);
}

/* Callbacks that send and close on their own stream, through a synchronous loopback that feeds
 * the peer from inside send(): input then arrives while the stream is still parsing. */
static void
test_pair_reentrant (void)
{
  Peer *a = peer_new (NULL);
  Peer *b = peer_new (NULL);

  open_pair (a, b, 0);
  a->live = b->live = TRUE;
  a->ping_pong = 20;
  b->echo = TRUE;
  b->close_at = 20;
  send_message (a, "start");
  g_assert_cmpuint (a->got->len, ==, 20);
  g_assert_cmpuint (b->got->len, ==, 20);
  for (guint i = 1; i < 20; i++)
    {
      g_autofree char *n = g_strdup_printf ("%u", i);

      g_assert_cmpstr (got_at (b, i)->body, ==, n);
      g_assert_cmpstr (got_at (a, i)->body, ==, n);
    }
  /* B closed its side from inside the callback; A sees that, and can still finish talking. */
  g_assert_cmpuint (a->closed, ==, 1);
  g_assert_null (a->error);
  g_assert_false (xtls_xml_stream_is_open (b->stream));
  send_message (a, "half-closed");
  g_assert_cmpuint (b->got->len, ==, 21);
  g_assert_cmpstr (got_at (b, 20)->body, ==, "half-closed");
  xtls_xml_stream_close (a->stream);
  g_assert_cmpuint (b->closed, ==, 1);
  g_assert_null (b->error);
  peer_free (a);
  peer_free (b);
}

#define TRANSCRIPT                                                                                 \
  "<?xml version='1.0'?>" HEADER_A "<stream:features/>\n"                                          \
  "<message type='chat'><body>日本語 &lt;ok&gt; 🎉</body></message>\n"                        \
  "<presence/><iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq></stream:stream>"

static void
check_transcript (Peer *p)
{
  g_assert_true (p->opened);
  g_assert_cmpuint (p->got->len, ==, 3);
  g_assert_cmpstr (got_at (p, 0)->body, ==, "日本語 <ok> 🎉");
  g_assert_cmpstr (got_at (p, 1)->name, ==, "presence");
  g_assert_cmpstr (got_at (p, 2)->child_ns, ==, "urn:xmpp:ping");
  g_assert_cmpuint (p->closed, ==, 1);
  g_assert_null (p->error);
}

/* Input may be split anywhere, even inside a UTF-8 sequence or a tag: every split point. */
static void
test_split_every_position (void)
{
  const char *t = TRANSCRIPT;
  gsize len = strlen (t);

  for (gsize i = 0; i <= len; i++)
    {
      Peer *p = peer_new (NULL);

      xtls_xml_stream_receive (p->stream, t, i);
      xtls_xml_stream_receive (p->stream, t + i, len - i);
      check_transcript (p);
      peer_free (p);
    }
  for (gsize piece = 1; piece <= 13; piece++)
    {
      Peer *p = peer_new (NULL);

      feed (p, t, len, piece);
      check_transcript (p);
      peer_free (p);
    }
}

/* ---- what we accept (PROTOCOL.md §5, §7) ----------------------------------------------- */

typedef struct
{
  const char *name;
  const char *input;
  guint stanzas;
  const char *id;        /* expected in opened() */
  const char *last_name; /* of the last stanza; NULL = "message" */
  const char *last_body;
  const char *last_to;
  const char *last_child_ns;
  gboolean closes; /* ends with a clean close */
} TolerantCase;

static const TolerantCase tolerant_cases[] = {
  { "prolog",
    "<?xml version='1.0' encoding='UTF-8'?>\n" HEADER_A "<message><body>x</body></message>", 1,
    NULL, NULL, "x" },
  /* RFC 6120 §11.6: UTF-8 whatever the declaration claims. */
  { "prolog-latin1",
    "<?xml version='1.0' encoding='ISO-8859-1'?>" HEADER_A "<message><body>é</body></message>", 1,
    NULL, NULL, "é" },
  { "features-empty", HEADER_A "<stream:features/><message><body>x</body></message>", 1, NULL, NULL,
    "x" },
  { "features-full",
    HEADER_A "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
             "</starttls></stream:features><message><body>x</body></message>",
    1, NULL, NULL, "x" },
  { "no-to-from",
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "version='1.0' id='abc'><message><body>x</body></message><presence/>"
    "<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>",
    3, "abc", "iq", NULL, NULL, "urn:xmpp:ping" },
  { "close-stream-stream", HEADER_A "<message><body>x</body></message></stream:stream>", 1, NULL,
    NULL, "x", NULL, NULL, TRUE },
  { "close-stream", HEADER_A "<message><body>x</body></message></stream>", 1, NULL, NULL, "x", NULL,
    NULL, TRUE },
  { "close-other-prefix", HEADER_A "</foo:stream >", 0, NULL, NULL, NULL, NULL, NULL, TRUE },
  { "root-default-ns",
    "<stream xmlns='jabber:client' version='1.0'><message><body>x</body></message></stream>", 1,
    NULL, NULL, "x", NULL, NULL, TRUE },
  { "root-default-ns-prefixed-close",
    "<stream xmlns='jabber:client'><message><body>x</body></message></stream:stream>", 1, NULL,
    NULL, "x", NULL, NULL, TRUE },
  /* kaa.xmpp's responder, byte for byte as it wrote it (PROTOCOL.md §7). */
  { "kaa",
    "<?xml version=\"1.0\"?>\n            <stream:stream from=\"juliet@capulet.lit/balcony\" "
    "id=\"streamid\" xmlns=\"jabber:client\"\n                "
    "xmlns:stream=\"http://etherx.jabber.org/streams\"\n                version=\"1.0\">"
    "<stream:features />"
    "<message type=\"chat\"><body>hi</body></message></stream>",
    1, "streamid", NULL, "hi", NULL, NULL, TRUE },
  { "kaa-undeclared-prefix",
    "<stream xmlns='jabber:client'><stream:features/><message><body>hi</body></message></stream>",
    1, NULL, NULL, "hi", NULL, NULL, TRUE },
  { "whitespace",
    HEADER_A "\n  \n<message><body>a</body></message>\n \t\n<message><body>b</body></message>  ", 2,
    NULL, NULL, "b" },
  { "cdata", HEADER_A "<message><body><![CDATA[a<b&c]]></body></message>", 1, NULL, NULL, "a<b&c" },
  { "references",
    HEADER_A "<message><body>&#x1F389;&#233;&lt;&amp;&gt;&quot;&apos;&#38;</body></message>", 1,
    NULL, NULL, "🎉é<&>\"'&" },
  { "attribute-references", HEADER_A "<message to='a&amp;b&#38;c&lt;&#x27;&quot;&gt;d'/>", 1, NULL,
    NULL, NULL, "a&b&c<'\">d" },
  { "xml-attributes",
    HEADER_A "<message xml:lang='en' xml:space='preserve'><body xml:lang='de'>x</body></message>",
    1, NULL, NULL, "x" },
  { "extension-namespace",
    HEADER_A "<message><active xmlns='http://jabber.org/protocol/chatstates'/></message>", 1, NULL,
    NULL, NULL, NULL, "http://jabber.org/protocol/chatstates" },
  /* The peer's own stream error is handed on; its closing tag follows. */
  { "peer-stream-error",
    HEADER_A "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
             "</stream:error></stream:stream>",
    1, NULL, "error", NULL, NULL, "urn:ietf:params:xml:ns:xmpp-streams", TRUE },
};

static void
test_tolerant (gconstpointer data)
{
  const TolerantCase *c = data;
  const gsize pieces[] = { 0, 1, 2, 7 };

  for (guint i = 0; i < G_N_ELEMENTS (pieces); i++)
    {
      Peer *p = peer_new (NULL);

      xtls_xml_stream_open (p->stream, "romeo@montague.lit/orchard", NULL, "x");
      feed_str (p, c->input, pieces[i]);
      g_assert_true (p->opened);
      g_assert_cmpstr (p->opened_id, ==, c->id);
      g_assert_null (p->error);
      g_assert_cmpuint (p->got->len, ==, c->stanzas);
      if (c->stanzas > 0)
        {
          Got *last = got_at (p, c->stanzas - 1);

          g_assert_cmpstr (last->name, ==, c->last_name != NULL ? c->last_name : "message");
          g_assert_cmpstr (last->body, ==, c->last_body);
          g_assert_cmpstr (last->to, ==, c->last_to);
          g_assert_cmpstr (last->child_ns, ==, c->last_child_ns);
          if (g_strcmp0 (last->name, "error") != 0)
            g_assert_cmpstr (last->ns, ==, NS_CLIENT);
        }
      g_assert_cmpuint (p->closed, ==, c->closes ? 1 : 0);
      g_assert_true (xtls_xml_stream_is_open (p->stream) == !c->closes);
      /* Nothing was sent back but our header. */
      g_assert_null (strstr (p->out->str, "stream:error"));
      peer_free (p);
    }
}

/* ---- what we refuse (RFC 6120 §4.9.3, §11.1) ---------------------------------------- */

typedef struct
{
  const char *name;
  const char *prefix;
  const char *unit; /* repeated @count times after @prefix */
  gsize count;
  const char *suffix;
  gsize max_stanza; /* 0 = default (1 MiB) */
  guint max_depth;  /* 0 = default (32) */
  XtlsError code;
  guint stanzas; /* delivered before the violation */
  gboolean huge; /* fed in big pieces only; the memory bound is checked */
} HostileCase;

#define LOLS(x) "<!ENTITY lol" #x " '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
#define TEN_MB (10 * MB)

static const HostileCase hostile_cases[] = {
  { "garbage", "this is not XML", NULL, 0, "", 0, 0, XTLS_ERROR_NOT_WELL_FORMED, 0 },
  { "garbage-after-stanza", HEADER_A "<message><body>ok</body></message><<>>", NULL, 0, "", 0, 0,
    XTLS_ERROR_NOT_WELL_FORMED, 1 },
  { "mismatched-tags", HEADER_A "<message><body>x</message>", NULL, 0, "", 0, 0,
    XTLS_ERROR_NOT_WELL_FORMED, 0 },
  { "close-inside-stanza", HEADER_A "<message><body>x</body></stream:stream>", NULL, 0, "", 0, 0,
    XTLS_ERROR_NOT_WELL_FORMED, 0 },
  { "invalid-utf8", HEADER_A "<message><body>\xff\xfe</body></message>", NULL, 0, "", 0, 0,
    XTLS_ERROR_NOT_WELL_FORMED, 0 },
  { "undeclared-prefix", HEADER_A "<message><foo:bar/></message>", NULL, 0, "", 0, 0,
    XTLS_ERROR_NOT_WELL_FORMED, 0 },
  { "root-not-stream", "<message><body>x</body></message>", NULL, 0, "", 0, 0,
    XTLS_ERROR_NOT_WELL_FORMED, 0 },
  { "xml-declaration-inside", HEADER_A "<?xml version='1.0'?>", NULL, 0, "", 0, 0,
    XTLS_ERROR_NOT_WELL_FORMED, 0 },
  { "dtd-internal", "<?xml version='1.0'?><!DOCTYPE stream [<!ELEMENT stream ANY>]>" HEADER_A, NULL,
    0, "", 0, 0, XTLS_ERROR_RESTRICTED_XML, 0 },
  { "dtd-external", "<!DOCTYPE stream SYSTEM 'http://127.0.0.1:9/x.dtd'>" HEADER_A, NULL, 0, "", 0,
    0, XTLS_ERROR_RESTRICTED_XML, 0 },
  { "entity-declaration", "<!DOCTYPE s [<!ENTITY e 'x'>]>" HEADER_A "<message><body>&e;</body>",
    NULL, 0, "</message>", 0, 0, XTLS_ERROR_RESTRICTED_XML, 0 },
  { "billion-laughs",
    "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>" LOLS (1) LOLS (2) LOLS (3) LOLS (4)
        LOLS (5) LOLS (6) LOLS (7) LOLS (8) LOLS (9) "]>" HEADER_A "<message><body>&lol9;",
    NULL, 0, "</body></message>", 0, 0, XTLS_ERROR_RESTRICTED_XML, 0 },
  { "undefined-entity", HEADER_A "<message><body>&foo;</body></message>", NULL, 0, "", 0, 0,
    XTLS_ERROR_RESTRICTED_XML, 0 },
  { "undefined-entity-attribute", HEADER_A "<message to='&foo;'/>", NULL, 0, "", 0, 0,
    XTLS_ERROR_RESTRICTED_XML, 0 },
  { "pi-between-stanzas", HEADER_A "<message><body>a</body></message><?php evil()?>", NULL, 0, "",
    0, 0, XTLS_ERROR_RESTRICTED_XML, 1 },
  { "pi-inside-stanza", HEADER_A "<message><?x y?></message>", NULL, 0, "", 0, 0,
    XTLS_ERROR_RESTRICTED_XML, 0 },
  { "pi-after-prolog", "<?xml version='1.0'?><?xml-stylesheet href='x'?>" HEADER_A, NULL, 0, "", 0,
    0, XTLS_ERROR_RESTRICTED_XML, 0 },
  { "comment", HEADER_A "<message><body>a</body></message><!-- hi -->", NULL, 0, "", 0, 0,
    XTLS_ERROR_RESTRICTED_XML, 1 },
  { "deep-nesting", HEADER_A "<message>", "<a>", 40, "", 0, 0, XTLS_ERROR_POLICY_VIOLATION, 0 },
  { "deep-nesting-huge", HEADER_A, "<a>", 3 * MB, "", 0, 0, XTLS_ERROR_POLICY_VIOLATION, 0, TRUE },
  /* Few bytes on the wire, a whole xmlNode each in the tree. */
  { "wide-tree", HEADER_A "<message>", "<a/>", 10000, "</message>", 64 * 1024, 0,
    XTLS_ERROR_POLICY_VIOLATION, 0 },
  { "over-limit-small", HEADER_A "<message><body>", "x", 2000, "</body></message>", 1024, 0,
    XTLS_ERROR_POLICY_VIOLATION, 0 },
  { "huge-text", HEADER_A "<message><body>", "x", TEN_MB, "</body></message>", 0, 0,
    XTLS_ERROR_POLICY_VIOLATION, 0, TRUE },
  { "huge-text-unicode", HEADER_A "<message><body>", "é日🎉", TEN_MB / 9, "</body></message>", 0, 0,
    XTLS_ERROR_POLICY_VIOLATION, 0, TRUE },
  { "huge-attribute", HEADER_A "<message to='", "x", TEN_MB, "'/>", 0, 0,
    XTLS_ERROR_POLICY_VIOLATION, 0, TRUE },
  { "huge-attribute-gt", HEADER_A "<message to='", "x>", TEN_MB / 2, "'/>", 0, 0,
    XTLS_ERROR_POLICY_VIOLATION, 0, TRUE },
  { "huge-name", HEADER_A "<message><", "a", TEN_MB, "/></message>", 0, 0,
    XTLS_ERROR_POLICY_VIOLATION, 0, TRUE },
  { "huge-header", "<stream:stream xmlns='jabber:client' to='", "x", TEN_MB, "'>", 0, 0,
    XTLS_ERROR_POLICY_VIOLATION, 0, TRUE },
  { "huge-cdata", HEADER_A "<message><body><![CDATA[", "x", TEN_MB, "]]></body></message>", 0, 0,
    XTLS_ERROR_POLICY_VIOLATION, 0, TRUE },
  { "huge-comment", HEADER_A "<!--", "x", TEN_MB, "-->", 0, 0, XTLS_ERROR_POLICY_VIOLATION, 0,
    TRUE },
  { "huge-entity-count", HEADER_A "<message><body>", "&amp;", TEN_MB / 5, "</body></message>", 0, 0,
    XTLS_ERROR_POLICY_VIOLATION, 0, TRUE },
};

/* Feeds @unit repeated @count times, in pieces of @piece bytes, never holding it all. Stops
 * once the stream has ended. */
static void
feed_repeated (Peer *p, const char *unit, gsize count, gsize piece)
{
  gsize unit_len = strlen (unit);
  gsize total = unit_len * count;
  g_autofree char *buf = g_malloc (piece);

  /* Once the stream has ended, the rest would be ignored anyway (checked elsewhere). */
  for (gsize off = 0; off < total && p->closed == 0; off += piece)
    {
      gsize n = MIN (piece, total - off);

      for (gsize i = 0; i < n; i++)
        buf[i] = unit[(off + i) % unit_len];
      xtls_xml_stream_receive (p->stream, buf, n);
    }
}

static const char *
condition_of (XtlsError code)
{
  switch (code)
    {
      case XTLS_ERROR_NOT_WELL_FORMED:
        return "not-well-formed";
      case XTLS_ERROR_RESTRICTED_XML:
        return "restricted-xml";
      case XTLS_ERROR_POLICY_VIOLATION:
        return "policy-violation";
      default:
        g_assert_not_reached ();
    }
}

static void
test_hostile (gconstpointer data)
{
  const HostileCase *c = data;
  const gsize small_pieces[] = { 0, 1, 3, 4096 };
  const gsize huge_pieces[] = { 4096, 1000, 65536 };
  const gsize *pieces = c->huge ? huge_pieces : small_pieces;
  guint n_pieces = c->huge ? G_N_ELEMENTS (huge_pieces) : G_N_ELEMENTS (small_pieces);
  XtlsXmlStreamLimits limits = { c->max_stanza, c->max_depth };
  gsize limit = c->max_stanza != 0 ? c->max_stanza : XTLS_XML_STREAM_DEFAULT_MAX_STANZA;

  for (guint i = 0; i < n_pieces; i++)
    {
      gsize piece = pieces[i];
      Peer *p = peer_new (&limits);
      g_autofree char *expected
          = g_strdup_printf ("<stream:error><%s xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                             "</stream:error></stream:stream>",
                             condition_of (c->code));
      g_autofree char *tail = g_strconcat (c->suffix, LATE, NULL);
      gsize out_len;

      xtls_xml_stream_open (p->stream, "juliet@capulet.lit/balcony", "romeo@montague.lit/orchard",
                            "s1");
      feed_str (p, c->prefix, piece);
      if (c->unit != NULL)
        feed_repeated (p, c->unit, c->count, piece == 0 ? 4096 : piece);
      /* The stanza after the bad part often arrives in the same piece: it must not get out. */
      feed_str (p, tail, piece);

      g_assert_cmpuint (p->closed, ==, 1);
      g_assert_error (p->error, XTLS_ERROR, (gint)c->code);
      g_assert_cmpuint (p->got->len, ==, c->stanzas);
      g_assert_true (g_str_has_suffix (p->out->str, expected));
      g_assert_nonnull (strstr (p->out->str, "<stream:stream"));
      g_assert_false (xtls_xml_stream_is_open (p->stream));
      g_assert_false (xtls_xml_stream_send_stanza (
          p->stream, &(xmlNode){ .type = XML_ELEMENT_NODE, .name = BAD_CAST "x" }));

      /* Whatever follows is ignored, and nothing more is sent. */
      out_len = p->out->len;
      feed_str (p, HEADER_A LATE, 0);
      g_assert_cmpuint (p->out->len, ==, out_len);
      g_assert_cmpuint (p->closed, ==, 1);
      g_assert_cmpuint (p->got->len, ==, c->stanzas);

      if (c->huge)
        {
          gsize peak = xtls_xml_stream_get_peak_buffered (p->stream);

          g_test_message ("%s, %" G_GSIZE_FORMAT "-byte pieces: peak buffered %" G_GSIZE_FORMAT
                          " bytes (limit %" G_GSIZE_FORMAT ")",
                          c->name, piece, peak, limit);
          g_assert_cmpuint (peak, <, 2 * limit);
        }
      else
        g_assert_cmpuint (xtls_xml_stream_get_peak_buffered (p->stream), <, 2 * limit + 4096);
      peer_free (p);
    }
}

/* An error before our own header went out still gets a stream to travel in (RFC 6120
 * §4.9.1.2). */
static void
test_hostile_before_open (void)
{
  Peer *p = peer_new (NULL);

  feed_str (p, "\x01garbage", 0);
  g_assert_cmpuint (p->closed, ==, 1);
  g_assert_error (p->error, XTLS_ERROR, XTLS_ERROR_NOT_WELL_FORMED);
  g_assert_cmpstr (p->out->str, ==,
                   "<stream:stream xmlns='jabber:client' "
                   "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
                   "<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                   "</stream:error></stream:stream>");
  peer_free (p);
}

/* After our closing tag nothing more may be written, not even the stream error. */
static void
test_hostile_after_close (void)
{
  Peer *p = peer_new (NULL);
  gsize out_len;

  xtls_xml_stream_open (p->stream, NULL, NULL, NULL);
  xtls_xml_stream_close (p->stream);
  xtls_xml_stream_close (p->stream);
  g_assert_cmpstr (p->out->str, ==,
                   "<stream:stream xmlns='jabber:client' "
                   "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
                   "</stream:stream>");
  out_len = p->out->len;
  feed_str (p, HEADER_A "<message><body>still read</body></message><!-- -->", 0);
  g_assert_cmpuint (p->got->len, ==, 1);
  g_assert_cmpuint (p->closed, ==, 1);
  g_assert_error (p->error, XTLS_ERROR, XTLS_ERROR_RESTRICTED_XML);
  g_assert_cmpuint (p->out->len, ==, out_len);
  peer_free (p);
}

/* A tag trickled in one byte at a time, each piece with a '>' that makes libxml2 rescan all it
 * holds: refused long before the work turns quadratic. */
static void
test_hostile_trickled_tag (void)
{
  Peer *p = peer_new (NULL);
  gint64 start = g_get_monotonic_time ();

  xtls_xml_stream_open (p->stream, NULL, NULL, "s");
  feed_str (p, HEADER_A "<message to='", 0);
  feed_repeated (p, "x>", 512 * 1024, 1);
  g_assert_cmpuint (p->closed, ==, 1);
  g_assert_error (p->error, XTLS_ERROR, XTLS_ERROR_POLICY_VIOLATION);
  g_assert_cmpuint (xtls_xml_stream_get_peak_buffered (p->stream), <, 64 * 1024);
  g_test_message ("trickled tag refused after %" G_GINT64_FORMAT " ms, peak %" G_GSIZE_FORMAT,
                  (g_get_monotonic_time () - start) / 1000,
                  xtls_xml_stream_get_peak_buffered (p->stream));
  peer_free (p);
}

/* ---- limits ---------------------------------------------------------------------------- */

static char *
stanza_of_size (gsize size)
{
  const char *head = "<message><body>";
  const char *tail = "</body></message>";
  gsize fill = size - strlen (head) - strlen (tail);
  g_autofree char *x = g_strnfill (fill, 'x');

  return g_strconcat (head, x, tail, NULL);
}

/* The limit counts the stanza's raw bytes, from its '<' to its last '>'. */
static void
test_limit_size (void)
{
  const gsize limit = 1000;
  const gsize pieces[] = { 0, 1, 7, 4096 };
  XtlsXmlStreamLimits limits = { limit, 0 };
  g_autofree char *at = stanza_of_size (limit);
  g_autofree char *over = stanza_of_size (limit + 1);

  for (guint i = 0; i < G_N_ELEMENTS (pieces); i++)
    {
      Peer *p = peer_new (&limits);
      g_autofree char *input = g_strconcat (HEADER_A, at, "\n", at, " \n", at, over, LATE, NULL);

      xtls_xml_stream_open (p->stream, NULL, NULL, "s");
      feed_str (p, input, pieces[i]);
      g_assert_cmpuint (p->got->len, ==, 3);
      g_assert_cmpuint (strlen (got_at (p, 2)->body), ==, limit - 32);
      g_assert_cmpuint (p->closed, ==, 1);
      g_assert_error (p->error, XTLS_ERROR, XTLS_ERROR_POLICY_VIOLATION);
      g_assert_true (g_str_has_suffix (p->out->str, "<policy-violation "
                                                    "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                                                    "</stream:error></stream:stream>"));
      peer_free (p);
    }
}

static void
test_limit_depth (void)
{
  XtlsXmlStreamLimits limits = { 0, 4 };
  Peer *p = peer_new (&limits);

  feed_str (p, HEADER_A "<message><a><b><c/></b></a></message>", 1);
  g_assert_cmpuint (p->got->len, ==, 1);
  g_assert_cmpuint (p->closed, ==, 0);
  feed_str (p, "<message><a><b><c><d/></c></b></a></message>", 1);
  g_assert_cmpuint (p->got->len, ==, 1);
  g_assert_cmpuint (p->closed, ==, 1);
  g_assert_error (p->error, XTLS_ERROR, XTLS_ERROR_POLICY_VIOLATION);
  peer_free (p);
}

/* Whitespace keepalives (RFC 6120 §4.6.1) belong to no stanza: any amount is fine. */
static void
test_limit_whitespace (void)
{
  XtlsXmlStreamLimits limits = { 4096, 0 };
  Peer *p = peer_new (&limits);

  feed_str (p, HEADER_A, 0);
  feed_repeated (p, " \n\t", MB, 1000);
  feed_str (p, "<message><body>awake</body></message>", 0);
  g_assert_cmpuint (p->closed, ==, 0);
  g_assert_cmpuint (p->got->len, ==, 1);
  g_assert_cmpuint (xtls_xml_stream_get_peak_buffered (p->stream), <, 2 * 4096);
  peer_free (p);
}

/* A big tag in ordinary pieces is only bound by the stanza limit. */
static void
test_limit_big_tag (void)
{
  const gsize pieces[] = { 1000, 4096, 16384 };

  for (guint i = 0; i < G_N_ELEMENTS (pieces); i++)
    {
      Peer *p = peer_new (NULL);

      feed_str (p, HEADER_A "<message to='", 0);
      feed_repeated (p, "x>", 300 * 1024, pieces[i]);
      feed_str (p, "'><body>big</body></message>", 0);
      g_assert_cmpuint (p->closed, ==, 0);
      g_assert_cmpuint (p->got->len, ==, 1);
      g_assert_cmpuint (strlen (got_at (p, 0)->to), ==, 600 * 1024);
      peer_free (p);
    }
}

/* ---- serialising ----------------------------------------------------------------------- */

static void
test_send_namespaces (void)
{
  Peer *a = peer_new (NULL);
  Peer *b = peer_new (NULL);
  xmlNode *plain = chat_message ("plain");
  xmlNode *declared = xmlNewNode (NULL, BAD_CAST "message");
  xmlDoc *doc = xmlNewDoc (BAD_CAST "1.0");
  xmlNode *wrapper = xmlNewDocNode (doc, NULL, BAD_CAST "wrapper", NULL);
  xmlNs *c = xmlNewNs (wrapper, BAD_CAST NS_CLIENT, BAD_CAST "c");
  xmlNode *prefixed;
  xmlNode *state = chat_message ("with state");
  gsize before;

  open_pair (a, b, 0);

  /* Declared on the stanza itself: harmlessly repeated on the wire. */
  xmlSetNs (declared, xmlNewNs (declared, BAD_CAST NS_CLIENT, NULL));
  xmlNewTextChild (declared, declared->ns, BAD_CAST "body", BAD_CAST "declared");
  /* Declared with a prefix on an ancestor the stanza leaves behind. */
  xmlDocSetRootElement (doc, wrapper);
  prefixed = xmlNewChild (wrapper, c, BAD_CAST "message", NULL);
  xmlNewTextChild (prefixed, c, BAD_CAST "body", BAD_CAST "prefixed");
  /* An extension namespace on a child. */
  xmlSetNs (xmlNewChild (state, NULL, BAD_CAST "active", NULL),
            xmlNewNs (state->last, BAD_CAST "http://jabber.org/protocol/chatstates", NULL));

  g_assert_true (xtls_xml_stream_send_stanza (a->stream, plain));
  before = a->out->len;
  g_assert_true (xtls_xml_stream_send_stanza (a->stream, declared));
  g_assert_cmpstr (a->out->str + before, ==,
                   "<message xmlns=\"jabber:client\"><body>declared</body></message>");
  g_assert_true (xtls_xml_stream_send_stanza (a->stream, prefixed));
  g_assert_true (xtls_xml_stream_send_stanza (a->stream, state));
  pump (a, b);

  g_assert_cmpuint (b->got->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      g_assert_cmpstr (got_at (b, i)->name, ==, "message");
      g_assert_cmpstr (got_at (b, i)->ns, ==, NS_CLIENT);
    }
  g_assert_cmpstr (got_at (b, 0)->body, ==, "plain");
  g_assert_cmpstr (got_at (b, 1)->body, ==, "declared");
  g_assert_cmpstr (got_at (b, 2)->body, ==, "prefixed");
  g_assert_cmpstr (got_at (b, 3)->body, ==, "with state");
  g_assert_cmpstr (got_at (b, 3)->child_ns, ==, "http://jabber.org/protocol/chatstates");
  /* The caller's nodes are untouched. */
  g_assert_true (declared->nsDef != NULL && prefixed->parent == wrapper);

  /* A delivered stanza can be sent on as it is, xml:lang included. */
  b->echo = TRUE;
  feed_str (b, "<message xml:lang='en'><body>echo</body></message>", 0);
  pump (a, b);
  g_assert_cmpuint (a->got->len, ==, 1);
  g_assert_cmpstr (got_at (a, 0)->body, ==, "echo");
  g_assert_cmpstr (got_at (a, 0)->ns, ==, NS_CLIENT);
  g_assert_cmpstr (got_at (a, 0)->lang, ==, "en");

  xmlFreeNode (plain);
  xmlFreeNode (declared);
  xmlFreeNode (state);
  xmlFreeDoc (doc);
  peer_free (a);
  peer_free (b);
}

int
main (int argc, char **argv)
{
  const gsize splits[] = { 0, 1, 2, 3, 5, 7, 64, 4096 };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/xmlstream/pair/open", test_pair_open);
  for (guint i = 0; i < G_N_ELEMENTS (splits); i++)
    {
      g_autofree char *path
          = g_strdup_printf ("/xmlstream/pair/exchange/split-%" G_GSIZE_FORMAT, splits[i]);

      g_test_add_data_func (path, GSIZE_TO_POINTER (splits[i]), test_pair_exchange);
    }
  g_test_add_func ("/xmlstream/pair/reentrant", test_pair_reentrant);
  g_test_add_func ("/xmlstream/split/every-position", test_split_every_position);
  for (guint i = 0; i < G_N_ELEMENTS (tolerant_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/xmlstream/tolerant/", tolerant_cases[i].name, NULL);

      g_test_add_data_func (path, &tolerant_cases[i], test_tolerant);
    }
  for (guint i = 0; i < G_N_ELEMENTS (hostile_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/xmlstream/hostile/", hostile_cases[i].name, NULL);

      g_test_add_data_func (path, &hostile_cases[i], test_hostile);
    }
  g_test_add_func ("/xmlstream/hostile/before-open", test_hostile_before_open);
  g_test_add_func ("/xmlstream/hostile/after-close", test_hostile_after_close);
  g_test_add_func ("/xmlstream/hostile/trickled-tag", test_hostile_trickled_tag);
  g_test_add_func ("/xmlstream/limits/size", test_limit_size);
  g_test_add_func ("/xmlstream/limits/depth", test_limit_depth);
  g_test_add_func ("/xmlstream/limits/whitespace", test_limit_whitespace);
  g_test_add_func ("/xmlstream/limits/big-tag", test_limit_big_tag);
  g_test_add_func ("/xmlstream/send/namespaces", test_send_namespaces);

  return g_test_run ();
}
