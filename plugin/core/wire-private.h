/* Shared by wire.c (parsing), wire-build.c (building) and wire-ft.c (file-transfer and SOCKS5
 * payloads, both ways): namespaces, name tables, tree and string helpers. */
#pragma once

#include <libxml/tree.h>

#include "wire.h"

#define NS_CLIENT "jabber:client"
#define NS_SERVER "jabber:server"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_JINGLE_1 "urn:xmpp:jingle:1"
#define NS_JINGLE_0 "urn:xmpp:jingle:0"
#define NS_JINGLE_TMP "urn:xmpp:tmp:jingle"
#define NS_JINGLE_ERRORS_1 "urn:xmpp:jingle:errors:1"
#define NS_JINGLE_ERRORS_0 "urn:xmpp:jingle:errors:0"
#define NS_XMLSTREAM "urn:xmpp:jingle:apps:xmlstream:0"
#define NS_XMLSTREAM_TMP "urn:xmpp:tmp:jingle:apps:xmlstream"
#define NS_IBB_TRANSPORT_1 "urn:xmpp:jingle:transports:ibb:1"
#define NS_IBB_TRANSPORT_0 "urn:xmpp:jingle:transports:ibb:0"
#define NS_XTLS "urn:xmpp:jingle:security:xtls:0"
#define NS_XTLS_DECIDE "urn:xmpp:tmp:xtls:decide:0"
#define NS_IBB "http://jabber.org/protocol/ibb"
#define NS_FT_5 "urn:xmpp:jingle:apps:file-transfer:5"
#define NS_FT_4 "urn:xmpp:jingle:apps:file-transfer:4"
#define NS_FT_3 "urn:xmpp:jingle:apps:file-transfer:3"
#define NS_HASHES_2 "urn:xmpp:hashes:2"
#define NS_HASHES_1 "urn:xmpp:hashes:1"
#define NS_S5B_TRANSPORT "urn:xmpp:jingle:transports:s5b:1"
#define NS_BYTESTREAMS "http://jabber.org/protocol/bytestreams"

typedef struct
{
  const char *name; /* element name; NULL for NONE */
  const char *type; /* the error type we send with it (RFC 6120 §8.3.2) */
  XtlsIbbCondition ibb;
} XtlsWireStanzaCondition;

typedef struct
{
  const char *name;
  XtlsStanzaCondition stanza; /* the stanza condition XEP-0166 §10 pairs it with */
  const char *type;
} XtlsWireJingleCondition;

/* Indexed by the enums of wire.h and jingle.h. */
extern const XtlsWireStanzaCondition xtls_wire_stanza_conditions[XTLS_STANZA_ERROR_OTHER + 1];
extern const XtlsWireJingleCondition
    xtls_wire_jingle_conditions[XTLS_JINGLE_ERROR_SECURITY_REQUIRED + 1];
extern const char *const xtls_wire_jingle_namespaces[XTLS_JINGLE_NS_TMP + 1];
extern const char *const xtls_wire_iq_types[XTLS_IQ_ERROR + 1];

/* ---- wire.c: tree helpers (libxml2 strings become g_malloc'd ones) ---- */
const char *xtls_wire_node_ns (const xmlNode *node);
gboolean xtls_wire_node_is (const xmlNode *node, const char *name, const char *ns);
char *xtls_wire_dup_attr (const xmlNode *node, const char *name);
char *xtls_wire_dup_text (const xmlNode *node); /* "" for an empty element */
/* Strict unsigned decimal up to @max (digits only, leading zeros allowed). */
gboolean xtls_wire_parse_decimal (const char *text, guint max, guint *out);

/* ---- wire-build.c: escaping (attribute values single-quoted) ---- */
void xtls_wire_append_escaped (GString *out, const char *text);
void xtls_wire_append_attr (GString *out, const char *name, const char *value);

/* ---- wire-ft.c ---- */
/* TRUE if @node is an XEP-0234 <description/> of a version we accept; sets *version. */
gboolean xtls_wire_ft_is_description (const xmlNode *node, XtlsFtVersion *version);
/* Reads the <file/> of a file-offer <description/> into jingle->file (app, ft_version too).
 * FALSE with XTLS_ERROR_PROTOCOL for a malformed one (wire.h). */
gboolean xtls_wire_ft_parse_description (XtlsJingle *jingle, const xmlNode *description,
                                         XtlsFtVersion version, GError **error);
/* A session-info child: <checksum/> or <received/> in an FT namespace sets jingle->info;
 * anything else is left alone (TRUE). FALSE with an error for a malformed checksum. */
gboolean xtls_wire_ft_parse_info (XtlsJingle *jingle, const xmlNode *child, GError **error);
/* <transport xmlns=s5b:1/> into jingle->s5b. FALSE with an error for a malformed one. */
gboolean xtls_wire_s5b_parse_transport (XtlsJingle *jingle, const xmlNode *transport,
                                        GError **error);
/* Building: the <description/>, the s5b <transport/>, the session-info payload. */
void xtls_wire_ft_append_description (GString *out, const XtlsJingle *jingle);
void xtls_wire_s5b_append_transport (GString *out, const XtlsS5bTransportWire *transport);
void xtls_wire_ft_append_info (GString *out, const XtlsJingle *jingle);
