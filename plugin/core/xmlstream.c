/* The inner XML stream (XEP-0247, RFC 6120 §4, PROTOCOL.md §5): a libxml2 SAX2 push parser
 * that builds one small tree per top-level stanza, in the manner of libstrophe's
 * parser_libxml2.c. The peer is hostile until proven otherwise (RFC 6120 §11.1, §13.12). */
#include "xmlstream.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlIO.h>

#include "xtls-error.h"

#define NS_STREAMS "http://etherx.jabber.org/streams"
#define NS_CLIENT "jabber:client"
#define NS_STREAM_ERRORS "urn:ietf:params:xml:ns:xmpp-streams"

/* libxml2 gets at most this much per xmlParseChunk() call, and the size limit is checked after
 * every call: a token that never ends (a 10 MB attribute) is caught with at most one slice of
 * overshoot, instead of libxml2 buffering it whole while it waits for the closing '>'. */
#define SLICE_BYTES 4096
#define LOOKAHEAD_FREE (2 * SLICE_BYTES)
#define WORK_PER_STANZA 256

typedef enum
{
  XTLS_XML_STREAM_WAIT_HEADER, /* nothing or only a prolog from the peer yet */
  XTLS_XML_STREAM_OPEN,        /* the peer's <stream:stream> arrived */
  XTLS_XML_STREAM_CLOSED,      /* the peer's closing tag arrived */
  XTLS_XML_STREAM_FAILED,      /* the peer broke a rule; our stream error went out */
} XtlsXmlStreamState;

struct _XtlsXmlStream
{
  XtlsXmlStreamOps ops;
  gpointer user_data;
  gsize max_stanza;
  guint max_depth;

  xmlParserCtxt *parser; /* owned */
  XtlsXmlStreamState state;
  gboolean header_sent;
  gboolean close_sent;
  gboolean in_receive;
  GByteArray *backlog; /* owned: input that arrived re-entrantly, from inside a callback */

  /* Set inside SAX callbacks, acted upon once libxml2 has returned (RFC 6120 §4.9.3). */
  gboolean peer_closed;
  gboolean violated;
  XtlsError violation;
  const char *violation_why; /* static; never peer data */

  /* Accounting, in bytes of the peer's input. */
  guint64 fed;  /* handed to libxml2 so far */
  guint64 mark; /* where the stanza in progress (or the gap before the next one) begins */
  guint64 work; /* lookahead bytes libxml2 rescanned since @mark (see feed()) */
  gsize tree_bytes;
  gsize peak;

  /* The stanza being built. */
  guint depth;      /* open elements below the stream root */
  xmlNode *stanza;  /* owned */
  xmlNode *current; /* innermost open element of @stanza */
  xmlNs *xml_ns;    /* the "xml" prefix, declared on @stanza once used */
  xmlChar *text;    /* owned (xmlMalloc): character data not yet attached to @current */
  gsize text_len;
  gsize text_cap;
};

static const char *
state_to_string (XtlsXmlStreamState state)
{
  switch (state)
    {
      case XTLS_XML_STREAM_WAIT_HEADER:
        return "wait-header";
      case XTLS_XML_STREAM_OPEN:
        return "open";
      case XTLS_XML_STREAM_CLOSED:
        return "closed";
      case XTLS_XML_STREAM_FAILED:
        return "failed";
    }
  return "?";
}

static void
set_state (XtlsXmlStream *stream, XtlsXmlStreamState state)
{
  /* RFC 6120 §4.2: a header opens the stream; §4.4 (closing tag) and §4.9 (stream error) end
   * it, and nothing follows either. */
  g_assert ((stream->state == XTLS_XML_STREAM_WAIT_HEADER
             && (state == XTLS_XML_STREAM_OPEN || state == XTLS_XML_STREAM_FAILED))
            || (stream->state == XTLS_XML_STREAM_OPEN
                && (state == XTLS_XML_STREAM_CLOSED || state == XTLS_XML_STREAM_FAILED)));
  g_debug ("xmlstream %p: %s -> %s", (void *)stream, state_to_string (stream->state),
           state_to_string (state));
  stream->state = state;
}

static gboolean
finished (XtlsXmlStream *stream)
{
  return stream->state == XTLS_XML_STREAM_CLOSED || stream->state == XTLS_XML_STREAM_FAILED;
}

/* Callbacks still fire for the rest of a slice after a violation or the closing tag; they are
 * ignored from then on. */
static gboolean
halted (XtlsXmlStream *stream)
{
  return stream->violated || stream->peer_closed || finished (stream);
}

static void
violate (XtlsXmlStream *stream, XtlsError code, const char *why)
{
  if (halted (stream))
    return;
  stream->violated = TRUE;
  stream->violation = code;
  stream->violation_why = why;
}

/* Bytes of the peer's input that libxml2 has parsed. Memory held for the stanza in progress is
 * @tree_bytes plus @text_cap, plus whatever libxml2 holds unparsed. */
static guint64
offset (XtlsXmlStream *stream)
{
  long consumed = xmlByteConsumed (stream->parser);

  return consumed < 0 ? stream->fed : (guint64)consumed;
}

static void
update_peak (XtlsXmlStream *stream)
{
  guint64 unparsed = stream->fed - MIN (offset (stream), stream->fed);
  gsize now = (gsize)unparsed + stream->tree_bytes + stream->text_cap + stream->backlog->len;

  stream->peak = MAX (stream->peak, now);
}

/* The stanza limit bounds its raw bytes and, at twice that, the tree they turn into (an empty
 * element costs a few bytes on the wire but a whole xmlNode here). */
static gboolean
over_limit (XtlsXmlStream *stream)
{
  if (offset (stream) > stream->mark + stream->max_stanza
      || stream->tree_bytes + stream->text_cap > 2 * stream->max_stanza)
    violate (stream, XTLS_ERROR_POLICY_VIOLATION, "stanza too large");
  return stream->violated;
}

static void
set_mark (XtlsXmlStream *stream, guint64 at)
{
  stream->mark = at;
  stream->work = 0;
}

static void
free_tree (XtlsXmlStream *stream)
{
  g_clear_pointer (&stream->stanza, xmlFreeNode);
  g_clear_pointer (&stream->text, xmlFree);
  stream->text_len = stream->text_cap = 0;
  stream->current = NULL;
  stream->xml_ns = NULL;
  stream->tree_bytes = 0;
}

/* Grows by doubling, but never past the stanza limit: text cannot outgrow the raw bytes it
 * came from, which are checked before they are appended. */
static void
append_text (XtlsXmlStream *stream, const xmlChar *ch, gsize len)
{
  gsize need = stream->text_len + len + 1;

  if (need > stream->text_cap)
    {
      gsize cap = MAX (64, MAX (need, MIN (2 * stream->text_cap, stream->max_stanza + 1)));

      stream->text = xmlRealloc (stream->text, cap);
      g_assert (stream->text != NULL);
      stream->text_cap = cap;
    }
  memcpy (stream->text + stream->text_len, ch, len);
  stream->text_len += len;
  stream->text[stream->text_len] = '\0';
}

/* The pending text becomes a text node, without a copy. */
static void
flush_text (XtlsXmlStream *stream)
{
  xmlNode *node;

  if (stream->text == NULL)
    return;
  node = xmlNewText (NULL);
  node->content = xmlRealloc (stream->text, stream->text_len + 1);
  g_assert (node->content != NULL);
  xmlAddChild (stream->current, node);
  stream->tree_bytes += sizeof (xmlNode) + stream->text_len + 1;
  stream->text = NULL;
  stream->text_len = stream->text_cap = 0;
}

/* The namespace for @prefix/@uri as seen from @node. A binding inherited from the stream root
 * is repeated on the stanza element, so that every delivered stanza stands on its own. */
static xmlNs *
tree_ns (XtlsXmlStream *stream, xmlNode *node, const xmlChar *prefix, const xmlChar *uri)
{
  xmlNs *ns;

  if (uri == NULL)
    return NULL;
  /* Without a document, xmlSearchNs() declares "xml" anew at every call. */
  if (xmlStrEqual (prefix, BAD_CAST "xml"))
    {
      if (stream->xml_ns == NULL)
        stream->xml_ns = xmlSearchNs (NULL, stream->stanza, prefix);
      return stream->xml_ns;
    }
  ns = xmlSearchNs (NULL, node, prefix);
  if (ns != NULL && xmlStrEqual (ns->href, uri))
    return ns;
  ns = xmlNewNs (stream->stanza, uri, prefix);
  if (ns == NULL)
    ns = xmlNewNs (node, uri, prefix);
  stream->tree_bytes += sizeof (xmlNs) + (gsize)xmlStrlen (uri);
  return ns;
}

/* With entity substitution off, libxml2 passes an '&' in an attribute value on as "&#38;"
 * (xmlParseAttValueInternal); every other reference is already resolved or was rejected. */
static xmlChar *
attribute_value (const xmlChar *value, const xmlChar *end)
{
  xmlChar *out = xmlStrndup (value, (int)(end - value));
  xmlChar *w = out;

  for (const xmlChar *r = out; *r != '\0'; r += strncmp ((const char *)r, "&#38;", 5) == 0 ? 5 : 1)
    *w++ = *r;
  *w = '\0';
  return out;
}

static void
start_stream (XtlsXmlStream *stream, const xmlChar *localname, int nb_attributes,
              const xmlChar **attributes)
{
  xmlChar *id = NULL;

  /* Accept <stream:stream> in its namespace and kaa's root in jabber:client alike. */
  if (!xmlStrEqual (localname, BAD_CAST "stream"))
    {
      violate (stream, XTLS_ERROR_NOT_WELL_FORMED, "root is not a stream");
      return;
    }
  for (int i = 0; i < nb_attributes; i++)
    {
      const xmlChar **a = attributes + 5 * i;

      if (a[1] == NULL && xmlStrEqual (a[0], BAD_CAST "id") && id == NULL)
        id = attribute_value (a[3], a[4]);
    }
  /* libxml2 reports the start tag with its closing '>' (or "/>") still unread. */
  set_mark (stream, offset (stream) + (stream->parser->input->cur[0] == '/' ? 2 : 1));
  set_state (stream, XTLS_XML_STREAM_OPEN);
  stream->ops.opened (stream, (const char *)id, stream->user_data);
  xmlFree (id);
}

static void
on_start_element (void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                  int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                  int nb_defaulted, const xmlChar **attributes)
{
  XtlsXmlStream *stream = ctx;
  xmlNode *node;

  if (halted (stream))
    return;
  if (stream->state == XTLS_XML_STREAM_WAIT_HEADER)
    {
      start_stream (stream, localname, nb_attributes, attributes);
      return;
    }
  if (stream->depth >= stream->max_depth)
    {
      violate (stream, XTLS_ERROR_POLICY_VIOLATION, "elements nested too deeply");
      return;
    }
  flush_text (stream);
  node = xmlNewNode (NULL, localname);
  stream->tree_bytes += sizeof (xmlNode) + (gsize)xmlStrlen (localname);
  if (stream->current == NULL)
    stream->stanza = node;
  else
    xmlAddChild (stream->current, node);
  stream->current = node;
  stream->depth++;

  for (int i = 0; i < nb_namespaces; i++)
    {
      xmlNewNs (node, namespaces[2 * i + 1], namespaces[2 * i]);
      stream->tree_bytes += sizeof (xmlNs) + (gsize)xmlStrlen (namespaces[2 * i + 1]);
    }
  /* kaa sent <stream:features/> without declaring the prefix (PROTOCOL.md §7). */
  if (uri == NULL && stream->depth == 1 && xmlStrEqual (prefix, BAD_CAST "stream"))
    uri = BAD_CAST NS_STREAMS;
  xmlSetNs (node, tree_ns (stream, node, prefix, uri));

  for (int i = 0; i < nb_attributes; i++)
    {
      const xmlChar **a = attributes + 5 * i;
      xmlChar *value = attribute_value (a[3], a[4]);

      xmlNewNsProp (node, tree_ns (stream, node, a[1], a[2]), a[0], value);
      stream->tree_bytes += sizeof (xmlAttr) + sizeof (xmlNode) + (gsize)xmlStrlen (a[0])
                            + (gsize)xmlStrlen (value);
      xmlFree (value);
    }
  over_limit (stream);
}

static void
on_end_element (void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
  XtlsXmlStream *stream = ctx;
  xmlNode *stanza;

  if (halted (stream) || stream->state != XTLS_XML_STREAM_OPEN)
    return;
  if (stream->depth == 0)
    {
      stream->peer_closed = TRUE; /* RFC 6120 §4.4 */
      return;
    }
  flush_text (stream);
  if (--stream->depth > 0)
    {
      stream->current = stream->current->parent;
      return;
    }
  if (over_limit (stream))
    return;
  update_peak (stream);
  stanza = stream->stanza;
  /* An empty <stream:features/> (kaa, PROTOCOL.md §7) offers nothing: there is nothing to
   * negotiate inside the TLS tunnel. */
  if (stanza->ns == NULL || !xmlStrEqual (stanza->ns->href, BAD_CAST NS_STREAMS)
      || !xmlStrEqual (stanza->name, BAD_CAST "features"))
    stream->ops.stanza (stream, stanza, stream->user_data);
  free_tree (stream);
  set_mark (stream, offset (stream));
}

static void
on_characters (void *ctx, const xmlChar *ch, int len)
{
  XtlsXmlStream *stream = ctx;

  if (halted (stream))
    return;
  if (stream->depth == 0)
    {
      /* Whitespace between stanzas (RFC 6120 §4.6.1) belongs to no stanza. */
      set_mark (stream, offset (stream));
      return;
    }
  if (!over_limit (stream))
    append_text (stream, ch, (gsize)len);
}

/* RFC 6120 §11.1: no DTD, no entity declarations or references beyond the predefined ones, no
 * processing instructions, no comments. Entity lookups go to on_get_entity alone, which finds
 * nothing: no entity (a billion laughs) is ever expanded. */
static void
on_restricted (void *ctx, const char *why)
{
  violate (ctx, XTLS_ERROR_RESTRICTED_XML, why);
}

static void
on_internal_subset (void *ctx, const xmlChar *name, const xmlChar *external_id,
                    const xmlChar *system_id)
{
  on_restricted (ctx, "DTD");
}

static void
on_entity_decl (void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                const xmlChar *system_id, xmlChar *content)
{
  on_restricted (ctx, "entity declaration");
}

/* Not called for &lt; &gt; &amp; &apos; &quot; or character references. */
static xmlEntity *
on_get_entity (void *ctx, const xmlChar *name)
{
  on_restricted (ctx, "entity reference");
  return NULL;
}

static void
on_reference (void *ctx, const xmlChar *name)
{
  on_restricted (ctx, "entity reference");
}

static void
on_processing_instruction (void *ctx, const xmlChar *target, const xmlChar *data)
{
  on_restricted (ctx, "processing instruction");
}

static void
on_comment (void *ctx, const xmlChar *value)
{
  on_restricted (ctx, "comment");
}

static gboolean
is_stream_name (const char *name)
{
  const char *colon = name != NULL ? strrchr (name, ':') : NULL;

  return name != NULL && strcmp (colon != NULL ? colon + 1 : name, "stream") == 0;
}

static void
on_error (void *ctx, xmlError *error)
{
  XtlsXmlStream *stream = ctx;

  if (error->level == XML_ERR_WARNING || halted (stream))
    return;
  /* kaa's undeclared "stream:" prefix on a top-level element (PROTOCOL.md §7). */
  if (error->domain == XML_FROM_NAMESPACE && error->code == XML_NS_ERR_UNDEFINED_NAMESPACE
      && stream->depth == 0 && error->str3 == NULL && g_strcmp0 (error->str1, "stream") == 0)
    return;
  /* kaa closed <stream:stream> with </stream>: the root's end tag, whatever its prefix, ends
   * the stream (PROTOCOL.md §5, §7). With a stanza still open it is just a mismatch. */
  if (error->code == XML_ERR_TAG_NAME_MISMATCH && stream->state == XTLS_XML_STREAM_OPEN
      && stream->depth == 0 && is_stream_name (error->str2))
    {
      stream->peer_closed = TRUE;
      return;
    }
  /* The code only, never the message: it can quote the peer's data. */
  g_debug ("xmlstream %p: libxml2 error %d/%d", (void *)stream, error->domain, error->code);
  violate (stream, XTLS_ERROR_NOT_WELL_FORMED, "not well-formed");
}

XtlsXmlStream *
xtls_xml_stream_new (const XtlsXmlStreamLimits *limits, const XtlsXmlStreamOps *ops,
                     gpointer user_data)
{
  XtlsXmlStream *stream;
  xmlSAXHandler sax;

  g_return_val_if_fail (ops != NULL && ops->send != NULL && ops->opened != NULL
                            && ops->stanza != NULL && ops->closed != NULL,
                        NULL);
  xmlInitParser ();
  stream = g_new0 (XtlsXmlStream, 1);
  stream->ops = *ops;
  stream->user_data = user_data;
  stream->max_stanza = limits != NULL && limits->max_stanza_bytes != 0
                           ? limits->max_stanza_bytes
                           : XTLS_XML_STREAM_DEFAULT_MAX_STANZA;
  stream->max_depth = limits != NULL && limits->max_depth != 0 ? limits->max_depth
                                                               : XTLS_XML_STREAM_DEFAULT_MAX_DEPTH;
  stream->backlog = g_byte_array_new ();
  memset (&sax, 0, sizeof sax);
  sax.initialized = XML_SAX2_MAGIC;
  sax.startElementNs = on_start_element;
  sax.endElementNs = on_end_element;
  sax.characters = on_characters;
  sax.ignorableWhitespace = on_characters;
  sax.cdataBlock = on_characters;
  sax.serror = on_error;
  sax.internalSubset = on_internal_subset;
  sax.externalSubset = on_internal_subset;
  sax.entityDecl = on_entity_decl;
  sax.getEntity = on_get_entity;
  sax.getParameterEntity = on_get_entity;
  sax.reference = on_reference;
  sax.processingInstruction = on_processing_instruction;
  sax.comment = on_comment;

  stream->parser = xmlCreatePushParserCtxt (&sax, stream, NULL, 0, NULL);
  g_assert (stream->parser != NULL);
  /* Nothing is loaded or substituted: no XML_PARSE_NOENT, DTDLOAD or HUGE, so libxml2's own
   * limits stay on. RFC 6120 §11.6: the stream is UTF-8, whatever the prolog claims. */
  xmlCtxtUseOptions (stream->parser, XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
  xmlSwitchEncoding (stream->parser, XML_CHAR_ENCODING_UTF8);
  return stream;
}

void
xtls_xml_stream_free (XtlsXmlStream *stream)
{
  if (stream == NULL)
    return;
  g_return_if_fail (!stream->in_receive);
  free_tree (stream);
  g_clear_pointer (&stream->parser->myDoc, xmlFreeDoc);
  xmlFreeParserCtxt (stream->parser);
  g_byte_array_unref (stream->backlog);
  g_free (stream);
}

static void
send_header (XtlsXmlStream *stream, const char *from, const char *to, const char *id)
{
  GString *header
      = g_string_new ("<stream:stream xmlns='" NS_CLIENT "' xmlns:stream='" NS_STREAMS "'");
  const char *names[] = { "from", "to", "id" };
  const char *values[] = { from, to, id };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *escaped = NULL;

      if (values[i] == NULL)
        continue;
      escaped = g_markup_escape_text (values[i], -1);
      g_string_append_printf (header, " %s='%s'", names[i], escaped);
    }
  g_string_append (header, " version='1.0'>");
  stream->header_sent = TRUE;
  stream->ops.send (stream, header->str, header->len, stream->user_data);
  g_string_free (header, TRUE);
}

/* RFC 6120 §4.9.3.13, §4.9.3.18, §4.9.3.14: one condition per XtlsError of the inner stream. */
static const char *
condition_for (XtlsError code)
{
  static const char *const conditions[]
      = { "not-well-formed", "restricted-xml", "policy-violation" };

  g_assert (code >= XTLS_ERROR_NOT_WELL_FORMED && code <= XTLS_ERROR_POLICY_VIOLATION);
  return conditions[code - XTLS_ERROR_NOT_WELL_FORMED];
}

/* Acts on what the SAX callbacks flagged during the last slice. */
static void
finish (XtlsXmlStream *stream)
{
  g_autoptr (GError) error = NULL;

  xmlStopParser (stream->parser);
  /* libxml2 records entity declarations in a document of its own even for a SAX parser
   * ("expat compatibility"); it is never used for lookups here, but it is ours to free. */
  g_clear_pointer (&stream->parser->myDoc, xmlFreeDoc);
  free_tree (stream);
  g_byte_array_set_size (stream->backlog, 0);
  if (stream->violated)
    {
      const char *condition = condition_for (stream->violation);
      g_autofree char *text = g_strdup_printf ("<stream:error><%s xmlns='" NS_STREAM_ERRORS
                                               "'/></stream:error></stream:stream>",
                                               condition);

      g_debug ("xmlstream %p: closing with <%s/> (%s)", (void *)stream, condition,
               stream->violation_why);
      error = g_error_new (XTLS_ERROR, stream->violation, "Inner stream error <%s/>: %s", condition,
                           stream->violation_why);
      set_state (stream, XTLS_XML_STREAM_FAILED);
      /* RFC 6120 §4.9.1: the stream error, then our closing tag. Before our own header there is
       * no stream to put it in, so a bare one goes first (§4.9.1.2); after our closing tag,
       * nothing may follow. */
      if (!stream->close_sent)
        {
          if (!stream->header_sent)
            send_header (stream, NULL, NULL, NULL);
          stream->close_sent = TRUE;
          stream->ops.send (stream, text, strlen (text), stream->user_data);
        }
    }
  else
    set_state (stream, XTLS_XML_STREAM_CLOSED);
  stream->ops.closed (stream, error, stream->user_data);
}

static void
feed (XtlsXmlStream *stream, const char *data, gsize len)
{
  while (len > 0 && !finished (stream))
    {
      gsize n = MIN (len, SLICE_BYTES);
      gboolean rescan = memchr (data, '>', n) != NULL;
      guint64 unparsed;

      stream->fed += n;
      xmlParseChunk (stream->parser, data, (int)n, 0);
      data += n;
      len -= n;
      /* Waiting for the end of a tag (or comment), libxml2 rescans all it holds unparsed
       * whenever a '>' arrives: a huge tag trickled in with a '>' in every tiny piece would
       * cost quadratic time. Bound that work per stanza; ordinary input never comes near. */
      unparsed = stream->fed - MIN (offset (stream), stream->fed);
      if (rescan && unparsed > LOOKAHEAD_FREE)
        stream->work += unparsed - LOOKAHEAD_FREE;
      if (stream->work > WORK_PER_STANZA * (guint64)stream->max_stanza)
        violate (stream, XTLS_ERROR_POLICY_VIOLATION, "stanza too costly to parse");
      /* A fatal error that bypassed on_error (allocation failure inside libxml2). */
      if (stream->parser->instate == XML_PARSER_EOF && !stream->peer_closed)
        violate (stream, XTLS_ERROR_NOT_WELL_FORMED, "parser stopped");
      /* Everything since the stanza began, libxml2's unparsed lookahead included. */
      if (stream->fed > stream->mark + stream->max_stanza)
        violate (stream, XTLS_ERROR_POLICY_VIOLATION, "stanza too large");
      update_peak (stream);
      if (stream->violated || stream->peer_closed)
        finish (stream);
    }
}

void
xtls_xml_stream_receive (XtlsXmlStream *stream, const char *data, gsize len)
{
  g_return_if_fail (stream != NULL);
  g_return_if_fail (data != NULL || len == 0);

  if (finished (stream))
    return;
  /* A callback fed us more (a synchronous loopback): libxml2 is not re-entrant, so it waits. */
  if (stream->in_receive)
    {
      g_byte_array_append (stream->backlog, (const guint8 *)data, (guint)len);
      update_peak (stream);
      return;
    }
  stream->in_receive = TRUE;
  feed (stream, data, len);
  while (stream->backlog->len > 0 && !finished (stream))
    {
      GByteArray *pending = stream->backlog;

      stream->backlog = g_byte_array_new ();
      feed (stream, (const char *)pending->data, pending->len);
      g_byte_array_unref (pending);
    }
  stream->in_receive = FALSE;
}

void
xtls_xml_stream_open (XtlsXmlStream *stream, const char *from, const char *to, const char *id)
{
  g_return_if_fail (stream != NULL);
  g_return_if_fail (!stream->header_sent);

  send_header (stream, from, to, id);
}

gboolean
xtls_xml_stream_send_stanza (XtlsXmlStream *stream, xmlNode *stanza)
{
  xmlNode *copy;
  xmlOutputBuffer *out;

  g_return_val_if_fail (stream != NULL, FALSE);
  g_return_val_if_fail (stanza != NULL && stanza->type == XML_ELEMENT_NODE, FALSE);
  g_return_val_if_fail (stream->header_sent, FALSE);

  if (stream->close_sent)
    return FALSE;
  /* A deep copy carries every namespace it uses, even ones declared on the caller's ancestors
   * or document, so the dump is well-formed on its own. */
  copy = xmlCopyNode (stanza, 1);
  out = xmlAllocOutputBuffer (NULL);
  /* With an explicit UTF-8 encoding, non-ASCII text goes out as is, not as &#x...; refs. */
  xmlNodeDumpOutput (out, NULL, copy, 0, 0, "UTF-8");
  xmlOutputBufferFlush (out);
  stream->ops.send (stream, (const char *)xmlOutputBufferGetContent (out),
                    xmlOutputBufferGetSize (out), stream->user_data);
  xmlOutputBufferClose (out);
  xmlFreeNode (copy);
  return TRUE;
}

gboolean
xtls_xml_stream_send_serialized (XtlsXmlStream *stream, const char *xml, gsize len)
{
  g_return_val_if_fail (stream != NULL, FALSE);
  g_return_val_if_fail (xml != NULL, FALSE);
  g_return_val_if_fail (stream->header_sent, FALSE);

  if (stream->close_sent)
    return FALSE;
  stream->ops.send (stream, xml, len, stream->user_data);
  return TRUE;
}

void
xtls_xml_stream_close (XtlsXmlStream *stream)
{
  g_return_if_fail (stream != NULL);

  if (stream->close_sent)
    return;
  stream->close_sent = TRUE;
  if (stream->header_sent)
    stream->ops.send (stream, "</stream:stream>", 16, stream->user_data);
}

gboolean
xtls_xml_stream_is_open (XtlsXmlStream *stream)
{
  g_return_val_if_fail (stream != NULL, FALSE);

  return stream->state == XTLS_XML_STREAM_OPEN && !stream->close_sent;
}

gsize
xtls_xml_stream_get_peak_buffered (XtlsXmlStream *stream)
{
  g_return_val_if_fail (stream != NULL, 0);

  return stream->peak;
}
