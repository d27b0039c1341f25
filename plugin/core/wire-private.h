/* Shared by wire.c (parsing) and wire-build.c (building): namespaces and name tables. */
#pragma once

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
#define NS_IBB "http://jabber.org/protocol/ibb"

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
