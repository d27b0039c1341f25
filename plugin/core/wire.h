/* The one place where outer stanzas (the IQs that cross the servers) become structs and back.
 * XML text in, XML text out, via libxml2; the libpurple glue converts its xmlnode to and from
 * text. Parses every historical dialect of PROTOCOL.md §7; builds only the current one. */
#pragma once

#include <glib.h>

#include "ibb.h"
#include "jingle.h"

G_BEGIN_DECLS

typedef enum {
  XTLS_IQ_GET,
  XTLS_IQ_SET,
  XTLS_IQ_RESULT,
  XTLS_IQ_ERROR,
} XtlsIqType;

typedef enum {
  XTLS_IQ_PAYLOAD_NONE,   /* a result (or error) without a payload we understand */
  XTLS_IQ_PAYLOAD_JINGLE,
  XTLS_IQ_PAYLOAD_IBB,    /* ibb.kind is OPEN, DATA or CLOSE */
  XTLS_IQ_PAYLOAD_OTHER,  /* some other namespace: not ours */
} XtlsIqPayload;

/* Stanza error conditions we send or read (RFC 6120 §8.3.3), plus the Jingle-specific ones. */
typedef enum {
  XTLS_STANZA_ERROR_NONE,
  XTLS_STANZA_ERROR_BAD_REQUEST,
  XTLS_STANZA_ERROR_UNEXPECTED_REQUEST,
  XTLS_STANZA_ERROR_ITEM_NOT_FOUND,
  XTLS_STANZA_ERROR_CONFLICT,
  XTLS_STANZA_ERROR_NOT_ACCEPTABLE,
  XTLS_STANZA_ERROR_FEATURE_NOT_IMPLEMENTED,
  XTLS_STANZA_ERROR_SERVICE_UNAVAILABLE,
  XTLS_STANZA_ERROR_RECIPIENT_UNAVAILABLE,
  XTLS_STANZA_ERROR_RESOURCE_CONSTRAINT,
  XTLS_STANZA_ERROR_OTHER,
} XtlsStanzaCondition;

typedef enum {
  XTLS_JINGLE_ERROR_NONE,
  XTLS_JINGLE_ERROR_TIE_BREAK,
  XTLS_JINGLE_ERROR_UNKNOWN_SESSION,
  XTLS_JINGLE_ERROR_OUT_OF_ORDER,
  XTLS_JINGLE_ERROR_UNSUPPORTED_INFO,
  XTLS_JINGLE_ERROR_SECURITY_REQUIRED,
} XtlsJingleErrorCondition;

/* One outer IQ. Owns every string; ibb's pointers point into storage owned by the IQ. */
typedef struct {
  XtlsIqType type;
  char *id;
  char *from;
  char *to;
  XtlsIqPayload payload;
  XtlsJingle *jingle;       /* PAYLOAD_JINGLE (also kept in an error that echoes it) */
  XtlsIbbPacket ibb;        /* PAYLOAD_IBB; for RESULT/ERROR only kind and iq_id are set */
  XtlsStanzaCondition condition;          /* type ERROR */
  XtlsJingleErrorCondition jingle_condition;
  /* private storage behind ibb's strings */
  char *ibb_sid_;
  char *ibb_data_;
} XtlsIq;

void xtls_iq_free (XtlsIq *iq);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XtlsIq, xtls_iq_free)

/* Parses one <iq/> (text of a single element, attributes in any order, any prefix-free
 * namespace form). Rejects DTDs and entities. Returns NULL with XTLS_ERROR_PROTOCOL for text
 * that is not an iq. An iq with an unknown payload parses as PAYLOAD_OTHER.
 *
 * Rules beyond the above:
 * - type and id are required (RFC 6120 §8.1.3, §8.2.3); a missing one is an error.
 * - A <jingle/> or IBB <open/>/<data/>/<close/> without a sid cannot belong to a session of
 *   ours: it parses as PAYLOAD_OTHER, so it passes through to libpurple.
 * - block-size (transport and <open/>) outside 1..65535 or not a plain decimal number reads
 *   as 0 = absent = the default; the rest of the payload is still parsed.
 * - seq is a plain decimal 0..65535 (leading zeros allowed); otherwise has_seq is FALSE.
 * - RESULT and ERROR always set ibb.kind (RESULT/ERROR), ibb.iq_id and, for ERROR,
 *   ibb.condition, whatever the payload; an echoed IBB child counts as PAYLOAD_NONE, an echoed
 *   <jingle/> as PAYLOAD_JINGLE. An error without a known condition has condition OTHER.
 * - An unparsable fingerprint leaves jingle->fingerprint NULL; unknown methods are ignored;
 *   several <content/>s: the xmlstream one, else the first.
 * - File transfer (XEP-0234 :5, :4, :3; XEP-0300 hashes:2 or :1) and the s5b transport
 *   (XEP-0260) are strict, because their values size buffers and pick sockets: the IQ is a
 *   parse error (XTLS_ERROR_PROTOCOL) for a file description without <file/>, a <file/>
 *   without a name in an offer, a size that is not a plain decimal 0..2^64-1, a sha-256 hash
 *   that is not 32 bytes of valid base64, any text or attribute over the bounds of jingle.h,
 *   an s5b transport without a sid or with a mode other than tcp/udp, a candidate without
 *   cid, host, jid or a priority 1..2^31-1, with a port outside 1..65535 or an unknown type,
 *   more than XTLS_S5B_MAX_CANDIDATES candidates, <candidate-used/> or <activated/> without
 *   a cid, and a session-info <checksum/> without a <file/>. Hashes of other algorithms and
 *   an unparsable <date/> are ignored.
 * - transport-info/-replace/-accept/-reject parse as action OTHER with transport_action set;
 *   session-info <checksum/>/<received/> set jingle->info. */
XtlsIq *xtls_wire_parse_iq (const char *xml, gssize len, GError **error);

/* Serializes. The caller sets type, id, to (from is optional: the server stamps it) and one
 * payload. Transfer full. */
char *xtls_wire_build_iq (const XtlsIq *iq);

/* Helpers that fill a stack XtlsIq for the common answers; strings are borrowed. */
char *xtls_wire_build_result (const char *id, const char *to);
/* An IQ-set carrying @jingle, in the namespace of jingle->dialect. Transfer full. */
char *xtls_wire_build_jingle (const XtlsJingle *jingle, const char *id, const char *to);
/* Whatever the IBB engine hands to XtlsIbbOps.send: OPEN/DATA/CLOSE as IQ-set with id
 * pkt->iq_id, RESULT as a result, ERROR as an error with pkt->condition. Transfer full. */
char *xtls_wire_build_ibb (const XtlsIbbPacket *pkt, const char *to);
/* An error reply; a Jingle condition is written in the errors namespace matching @dialect
 * (errors:1 for JINGLE_1, errors:0 otherwise). */
char *xtls_wire_build_error (const char *id, const char *to, XtlsStanzaCondition condition,
                             XtlsJingleErrorCondition jingle_condition, XtlsJingleDialect dialect);

/* XEP-0065 §6.3.5: asks proxy @to to activate bytestream @sid towards @target (an IQ set with
 * <query xmlns='http://jabber.org/protocol/bytestreams' sid><activate>target</activate>).
 * Transfer full. */
char *xtls_wire_build_s5b_activate (const char *id, const char *to, const char *sid,
                                    const char *target);

G_END_DECLS
