/* The inner XML stream carried inside TLS (XEP-0247, RFC 6120 §4, PROTOCOL.md §5).
 *
 * A libxml2 push parser (libstrophe's parser_libxml2.c is the model). Input is treated as
 * hostile: no DTD, no entity declarations or references beyond the five predefined ones, a
 * maximum stanza size and nesting depth. Breaking a rule sends the matching <stream:error/>,
 * closes the stream and reports the failure; memory stays bounded by the limits. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

#define XTLS_XML_STREAM_DEFAULT_MAX_STANZA (1536 * 1024)
#define XTLS_XML_STREAM_DEFAULT_MAX_DEPTH 32

typedef struct _XtlsXmlStream XtlsXmlStream;

typedef struct
{
  /* Serialized XML for the TLS channel. Required. */
  void (*send) (XtlsXmlStream *stream, const char *data, gsize len, gpointer user_data);
  /* The peer's stream header arrived. @id is its id attribute or NULL. Required. */
  void (*opened) (XtlsXmlStream *stream, const char *id, gpointer user_data);
  /* One complete top-level stanza (message, presence, iq, ...). The node belongs to the
   * stream and is freed after the callback returns. Required.
   * The tree stands alone: namespaces inherited from the stream header (jabber:client) are
   * declared on the stanza. <stream:features/> is swallowed; other elements in the streams
   * namespace (a peer's <stream:error/>, whose closing tag follows) are delivered too. */
  void (*stanza) (XtlsXmlStream *stream, xmlNode *stanza, gpointer user_data);
  /* The peer closed the stream (</stream:stream> or </stream>; @error NULL) or broke a rule
   * (@error in XTLS_ERROR: NOT_WELL_FORMED, RESTRICTED_XML, POLICY_VIOLATION; the matching
   * <stream:error/> and our closing tag have already been sent). Called once. Required. */
  void (*closed) (XtlsXmlStream *stream, const GError *error, gpointer user_data);
} XtlsXmlStreamOps;

typedef struct
{
  /* Raw bytes from a stanza's '<' to its last '>'; the tree built from them may take at most
   * twice that. Whitespace between stanzas counts for nothing. */
  gsize max_stanza_bytes; /* 0 = XTLS_XML_STREAM_DEFAULT_MAX_STANZA */
  guint max_depth;        /* element depth below the stream element; 0 = default */
} XtlsXmlStreamLimits;

/* @limits may be NULL. The stream must not be freed from inside its own callback. */
XtlsXmlStream *xtls_xml_stream_new (const XtlsXmlStreamLimits *limits, const XtlsXmlStreamOps *ops,
                                    gpointer user_data);
void xtls_xml_stream_free (XtlsXmlStream *stream);

/* Sends our stream header: the initiator passes @id NULL, the responder a fresh id. */
void xtls_xml_stream_open (XtlsXmlStream *stream, const char *from, const char *to, const char *id);

/* Feeds decrypted bytes from the peer; they may split anywhere, even inside a UTF-8 sequence.
 * Ignored once the stream has closed or failed. May be called from inside a callback (a
 * synchronous loopback): the bytes then wait until the current ones are parsed. */
void xtls_xml_stream_receive (XtlsXmlStream *stream, const char *data, gsize len);

/* Serializes and sends one stanza (the node stays the caller's). FALSE once closed. */
gboolean xtls_xml_stream_send_stanza (XtlsXmlStream *stream, xmlNode *stanza);
/* The same for a stanza the caller has serialized itself: one well-formed element, escaped,
 * declaring every namespace it uses (or using only the stream's default). Sent as it is. */
gboolean xtls_xml_stream_send_serialized (XtlsXmlStream *stream, const char *xml, gsize len);

/* Sends </stream:stream> (once). The peer's side stays readable until its own closing tag
 * (RFC 6120 §4.4); on closed(NULL), call this to answer it. */
void xtls_xml_stream_close (XtlsXmlStream *stream);

gboolean xtls_xml_stream_is_open (XtlsXmlStream *stream); /* peer header received, not closed */
/* Largest number of bytes the stream held buffered at any time (for the memory tests): input
 * libxml2 has not parsed yet, the stanza tree in progress and input queued by re-entrant
 * receive() calls. */
gsize xtls_xml_stream_get_peak_buffered (XtlsXmlStream *stream);

G_END_DECLS
