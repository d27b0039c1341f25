/* In-Band Bytestream engine (XEP-0047 v2.0, XEP-0261, PROTOCOL.md §3).
 *
 * No I/O: IQs come in through xtls_ibb_receive() as XtlsIbbPacket structs and leave through
 * XtlsIbbOps.send. Converting packets to and from XML is wire.c's job. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define XTLS_IBB_DEFAULT_BLOCK_SIZE 4096
#define XTLS_IBB_MAX_BLOCK_SIZE 65535
/* Unacknowledged data IQs in flight; see README "IBB window" for the measurement. */
#define XTLS_IBB_DEFAULT_WINDOW 16

typedef enum {
  XTLS_IBB_PACKET_OPEN,   /* iq set <open sid block-size stanza='iq'/> */
  XTLS_IBB_PACKET_DATA,   /* iq set <data sid seq>base64</data> */
  XTLS_IBB_PACKET_CLOSE,  /* iq set <close sid/> */
  XTLS_IBB_PACKET_RESULT, /* iq result answering one of the above */
  XTLS_IBB_PACKET_ERROR,  /* iq error answering one of the above */
} XtlsIbbPacketKind;

/* Stanza error conditions IBB uses (RFC 6120 §8.3.3). */
typedef enum {
  XTLS_IBB_COND_NONE,
  XTLS_IBB_COND_BAD_REQUEST,
  XTLS_IBB_COND_UNEXPECTED_REQUEST,
  XTLS_IBB_COND_ITEM_NOT_FOUND,
  XTLS_IBB_COND_NOT_ACCEPTABLE,
  XTLS_IBB_COND_RESOURCE_CONSTRAINT,
  XTLS_IBB_COND_OTHER,
} XtlsIbbCondition;

/* One IBB IQ. All strings are borrowed when passed to xtls_ibb_receive() or to
 * XtlsIbbOps.send; nothing here is freed by the engine. */
typedef struct {
  XtlsIbbPacketKind kind;
  const char *iq_id;          /* the IQ's id: ours for OPEN/DATA/CLOSE we send, echoed in RESULT/ERROR */
  const char *sid;            /* OPEN, DATA, CLOSE */
  guint32 seq;                /* DATA: 0..65535; values > 65535 are invalid input */
  gboolean has_seq;           /* DATA: FALSE when the attribute was missing or not a number */
  guint block_size;           /* OPEN */
  const char *data;           /* DATA: base64 text as it appeared on the wire (may hold whitespace) */
  XtlsIbbCondition condition; /* ERROR */
} XtlsIbbPacket;

typedef enum {
  XTLS_IBB_VERSION_0, /* urn:xmpp:jingle:transports:ibb:0: no <open/>, data after session-accept */
  XTLS_IBB_VERSION_1, /* urn:xmpp:jingle:transports:ibb:1: the initiator sends <open/> first */
} XtlsIbbVersion;

typedef enum {
  XTLS_IBB_STATE_CLOSED_INIT, /* created, not yet open */
  XTLS_IBB_STATE_OPEN,
  XTLS_IBB_STATE_CLOSED,      /* closed cleanly (either side) */
  XTLS_IBB_STATE_FAILED,
} XtlsIbbState;

typedef struct _XtlsIbb XtlsIbb;

typedef struct {
  /* An IQ to put on the wire. @pkt and its strings are valid for the call only. Required. */
  void (*send) (XtlsIbb *ibb, const XtlsIbbPacket *pkt, gpointer user_data);
  /* In-order decoded bytes from the peer. Required. */
  void (*deliver) (XtlsIbb *ibb, const guint8 *data, gsize len, gpointer user_data);
  /* The bytestream ended: @error is NULL after a clean close by either side, else why it
   * failed (XTLS_ERROR_IBB_*). Called once. Required. */
  void (*closed) (XtlsIbb *ibb, const GError *error, gpointer user_data);
  /* Optional: the send buffer drained (every byte sent and acknowledged). */
  void (*drained) (XtlsIbb *ibb, gpointer user_data);
} XtlsIbbOps;

typedef struct {
  const char *sid;        /* the transport sid (copied) */
  XtlsIbbVersion version;
  gboolean initiator;     /* we sent session-initiate (opens the stream in ibb:1) */
  guint block_size;       /* negotiated, raw bytes before base64, 1..65535 */
  guint window;           /* max unacknowledged data IQs, >= 1; 0 = default */
  const char *iq_prefix;  /* prefix for the ids of IQs we send (copied); NULL = "ibb" */
} XtlsIbbConfig;

/* Creates an engine. The ops table must outlive the engine. Callbacks may run inside any
 * xtls_ibb_* call; the engine must not be freed from inside its own callback. */
XtlsIbb *xtls_ibb_new (const XtlsIbbConfig *config, const XtlsIbbOps *ops, gpointer user_data);
void xtls_ibb_free (XtlsIbb *ibb);

/* ibb:1 initiator: send <open/>. Data queued with xtls_ibb_send() may follow at once without
 * waiting for the open's result (PROTOCOL.md §2). For ibb:0, or on the responder, marks the
 * stream open without sending anything. */
void xtls_ibb_open (XtlsIbb *ibb);

/* Queues bytes; they go out as DATA IQs of at most block_size raw bytes while the window
 * allows. Returns FALSE (and sends nothing) after close or failure. */
gboolean xtls_ibb_send (XtlsIbb *ibb, const guint8 *data, gsize len);

/* Polite close: sends <close/> once every queued byte is sent (not necessarily acknowledged). */
void xtls_ibb_close (XtlsIbb *ibb);

/* Feeds one IQ addressed to this engine (sid or iq_id matched by the caller with
 * xtls_ibb_owns()). Answers it (RESULT or ERROR through ops->send) where IBB requires. */
void xtls_ibb_receive (XtlsIbb *ibb, const XtlsIbbPacket *pkt);

/* TRUE if @pkt belongs to this engine: OPEN/DATA/CLOSE with our sid, or RESULT/ERROR whose
 * iq_id is one we sent and still wait for. */
gboolean xtls_ibb_owns (XtlsIbb *ibb, const XtlsIbbPacket *pkt);

XtlsIbbState xtls_ibb_get_state (XtlsIbb *ibb);
const char *xtls_ibb_state_to_string (XtlsIbbState state);
const char *xtls_ibb_get_sid (XtlsIbb *ibb);
/* Bytes queued but not yet sent, and data IQs sent but not yet acknowledged. */
gsize xtls_ibb_get_pending_bytes (XtlsIbb *ibb);
guint xtls_ibb_get_unacked (XtlsIbb *ibb);
/* The oldest unacknowledged IQ's send time is the caller's to track; this gives the count of
 * IQs sent so far, for statistics. */
guint64 xtls_ibb_get_packets_sent (XtlsIbb *ibb);

G_END_DECLS
