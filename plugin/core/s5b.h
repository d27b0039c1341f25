/* Jingle SOCKS5 Bytestreams transport (XEP-0260, urn:xmpp:jingle:transports:s5b:1) over
 * SOCKS5 (RFC 1928) as XEP-0065 profiles it.
 *
 * Two parts, both without I/O:
 *  - candidates: priorities, our own candidate list, the nomination rule (XEP-0260 §2.2-§2.4);
 *  - XtlsS5bConn, one SOCKS5 connection to or from one candidate. The glue owns the socket:
 *    it reports "TCP is up" with xtls_s5b_conn_start(), feeds what it reads to
 *    xtls_s5b_conn_receive() and writes what XtlsS5bConnOps.send gives it.
 * Converting candidates to and from XML, and the proxy's <activate/> IQ, are wire.c's job. */
#pragma once

#include <glib.h>

#include "clock.h"
#include "jingle.h"

G_BEGIN_DECLS

/* VER CMD RSV ATYP LEN DST.ADDR(255) DST.PORT: the largest SOCKS5 request (RFC 1928 §4). */
#define XTLS_S5B_MAX_REQUEST 262
/* SHA-1 as lowercase hex (XEP-0065 §5.3.2). */
#define XTLS_S5B_DST_ADDR_LEN 40
/* Per attempt: TCP connect plus the SOCKS5 exchange, and again for proxy activation. */
#define XTLS_S5B_DEFAULT_TIMEOUT_US (10 * G_USEC_PER_SEC)
/* Bytes the peer may send on a finished connection before we know it is the nominated one
 * (its candidate-used can arrive after its data): one TLS flight fits. */
#define XTLS_S5B_MAX_EARLY_DATA 65536

/* ---- candidates (XEP-0260 §2.2) ----
 * A candidate is jingle.h's XtlsS5bCandidateWire (with XtlsS5bCandidateType and its
 * to/from_string): the same struct for ours, the peer's, and the wire. */

/* XEP-0260 §2.2: 126 / 120 / 110 / 10, and (2^16 * type preference) + local preference. */
guint xtls_s5b_type_preference (XtlsS5bCandidateType type);
guint32 xtls_s5b_priority (XtlsS5bCandidateType type, guint16 local_preference);

/* One address we listen on (or that a NAT maps to our listener). Strings borrowed. */
typedef struct
{
  const char *host;
  guint16 port;
  XtlsS5bCandidateType type; /* DIRECT, ASSISTED or TUNNEL */
} XtlsS5bLocalAddress;

/* A SOCKS5 proxy found through disco (XEP-0065 §4). Strings borrowed. */
typedef struct
{
  const char *jid;
  const char *host;
  guint16 port;
} XtlsS5bStreamhost;

/* Our candidates: one per address (earlier addresses get the higher local preference) with
 * @our_jid as jid, then @proxy if given, each with a fresh random cid, sorted by priority.
 * Duplicate host/port pairs are dropped, and so is any pair the peer already offered in
 * @peer_candidates (nullable; XEP-0260 §2.2: the responder MUST NOT repeat them, which also
 * keeps a shared proxy from seeing one hash twice). Cids are also unique against the peer's.
 * Returns an array of XtlsS5bCandidateWire that frees them with xtls_s5b_candidate_wire_free
 * (transfer full), fit to replace an XtlsS5bTransportWire's candidates. */
GPtrArray *xtls_s5b_candidates_build (const char *our_jid, const XtlsS5bLocalAddress *addresses,
                                      gsize n_addresses, const XtlsS5bStreamhost *proxy,
                                      const GPtrArray *peer_candidates);

/* Sorts XtlsS5bCandidateWire pointers highest priority first; equal priorities keep their order
 * (the try order of XEP-0260 §2.3). */
void xtls_s5b_candidates_sort (GPtrArray *candidates);

/* The candidate with @cid, transfer none, or NULL. */
XtlsS5bCandidateWire *xtls_s5b_candidates_find (const GPtrArray *candidates, const char *cid);

/* XEP-0260 §2.4. @we_used: the peer's candidate we connected to and named in our
 * candidate-used (NULL: we sent candidate-error). @peer_used: our candidate the peer named in
 * its candidate-used (NULL: it sent candidate-error). */
typedef enum
{
  XTLS_S5B_NOMINATED_NONE, /* both sent candidate-error: fall back (to IBB) */
  XTLS_S5B_NOMINATED_OURS, /* @we_used: we are the SOCKS5 client on it */
  XTLS_S5B_NOMINATED_PEERS /* @peer_used: we serve it (direct) or must activate it (proxy) */
} XtlsS5bNomination;

/* The higher priority wins; on a tie, the initiator's candidate-used wins. */
XtlsS5bNomination xtls_s5b_nominate (gboolean we_are_initiator, const XtlsS5bCandidateWire *we_used,
                                     const XtlsS5bCandidateWire *peer_used);

/* XEP-0260 §2.3: after the peer's candidate-used for @peer_used, is connecting to @untried
 * (one of the peer's candidates) still worth it, i.e. could it win the nomination? */
gboolean xtls_s5b_worth_trying (gboolean we_are_initiator, const XtlsS5bCandidateWire *untried,
                                const XtlsS5bCandidateWire *peer_used);

/* SOCKS5 DST.ADDR, SHA1(sid + requester JID + target JID) in lowercase hex (XEP-0065 §5.3.2),
 * transfer full. XEP-0260 §2.2: the requester is whoever offered the candidate: for the
 * initiator's candidates SHA1(sid + initiator + responder), for the responder's
 * SHA1(sid + responder + initiator). JIDs must already be normalised (RFC 6122 stringprep);
 * the sid is the transport's sid, not the Jingle session's. */
char *xtls_s5b_dst_addr (const char *sid, const char *requester_jid, const char *target_jid);

/* ---- one SOCKS5 connection ---- */

typedef enum
{
  XTLS_S5B_ROLE_CLIENT, /* we connected to the peer's candidate or to a proxy */
  XTLS_S5B_ROLE_SERVER, /* the peer connected to our direct candidate's listener */
} XtlsS5bRole;

typedef enum
{
  XTLS_S5B_STATE_IDLE,        /* created; the TCP connection is not up yet */
  XTLS_S5B_STATE_GREETING,    /* client: greeting sent; server: waiting for it (RFC 1928 §3) */
  XTLS_S5B_STATE_REQUEST,     /* client: CONNECT sent; server: waiting for it (RFC 1928 §4) */
  XTLS_S5B_STATE_CONNECTED,   /* SOCKS5 done; waiting for the nomination, peer bytes buffered */
  XTLS_S5B_STATE_ACTIVATING,  /* nominated proxy: waiting for activation (XEP-0260 §2.4) */
  XTLS_S5B_STATE_ESTABLISHED, /* application bytes flow both ways */
  XTLS_S5B_STATE_CLOSED,      /* closed by us, or EOF after ESTABLISHED */
  XTLS_S5B_STATE_FAILED,
} XtlsS5bState;

typedef struct _XtlsS5bConn XtlsS5bConn;

typedef struct
{
  /* Bytes for the socket; valid for the call only. Required. */
  void (*send) (XtlsS5bConn *conn, const guint8 *data, gsize len, gpointer user_data);
  /* The SOCKS5 exchange succeeded (CONNECTED): time for candidate-used. Optional. */
  void (*connected) (XtlsS5bConn *conn, gpointer user_data);
  /* ESTABLISHED: application data may be sent. Required. */
  void (*established) (XtlsS5bConn *conn, gpointer user_data);
  /* Application bytes from the peer, in order, only in ESTABLISHED. Required. */
  void (*deliver) (XtlsS5bConn *conn, const guint8 *data, gsize len, gpointer user_data);
  /* CLOSED (@error NULL) or FAILED, with XTLS_ERROR_PROTOCOL (malformed SOCKS5, or a request
   * our server refused), XTLS_ERROR_FAILED (the streamhost refused us, or the socket closed
   * early), XTLS_ERROR_TIMEOUT, or the error given to _abort() or _activated(). Called once;
   * the glue then closes the socket. Required. */
  void (*closed) (XtlsS5bConn *conn, const GError *error, gpointer user_data);
  /* Server without a dst_addr (a connection accepted before we know whose it is): the peer's
   * complete CONNECT request names @dst_addr (40 characters); TRUE accepts it as this
   * connection's hash, FALSE refuses the request. The owner may hand the connection over with
   * xtls_s5b_conn_set_ops() from here. Required for such a server, else unused. */
  gboolean (*match) (XtlsS5bConn *conn, const char *dst_addr, gpointer user_data);
} XtlsS5bConnOps;

typedef struct
{
  XtlsS5bRole role;
  /* Client: the DST.ADDR to send; server: the one to require, or NULL to ask ops->match.
   * xtls_s5b_dst_addr(). Copied. */
  const char *dst_addr;
  /* Client only: the candidate is a proxy, so xtls_s5b_conn_select() waits for activation. */
  gboolean proxy;
  const XtlsClock *clock; /* must outlive the connection */
  gint64 timeout_us;      /* per waiting phase; 0 = XTLS_S5B_DEFAULT_TIMEOUT_US */
  const char *log_id;     /* for logs, e.g. the cid (copied); NULL = "s5b" */
} XtlsS5bConnConfig;

/* Creates a connection and starts its deadline (the TCP connect counts). The ops table must
 * outlive it. Callbacks run inside xtls_s5b_conn_* calls and may call any of them, but the
 * connection must not be freed from inside its own callback. */
XtlsS5bConn *xtls_s5b_conn_new (const XtlsS5bConnConfig *config, const XtlsS5bConnOps *ops,
                                gpointer user_data);
void xtls_s5b_conn_free (XtlsS5bConn *conn);
/* Hands the connection to another owner: later callbacks go to @ops and @user_data. */
void xtls_s5b_conn_set_ops (XtlsS5bConn *conn, const XtlsS5bConnOps *ops, gpointer user_data);
/* The DST.ADDR this connection uses (NULL for a server before its request matched). */
const char *xtls_s5b_conn_get_dst_addr (XtlsS5bConn *conn);

/* The TCP connection is up: a client sends its greeting, a server starts listening for one. */
void xtls_s5b_conn_start (XtlsS5bConn *conn);

/* Bytes read from the socket. Ignored once CLOSED or FAILED. */
void xtls_s5b_conn_receive (XtlsS5bConn *conn, const guint8 *data, gsize len);

/* The socket reached EOF: CLOSED if ESTABLISHED (the layer above judges whether that was
 * clean), else FAILED. */
void xtls_s5b_conn_eof (XtlsS5bConn *conn);

/* This connection carries the nominated candidate (CONNECTED only). Direct: ESTABLISHED at
 * once, then any buffered peer bytes are delivered. Proxy: ACTIVATING, with a new deadline. */
void xtls_s5b_conn_select (XtlsS5bConn *conn);

/* ACTIVATING only: the proxy answered our <activate/> (we offered it) or the peer sent
 * <activated/>: @error NULL gives ESTABLISHED; otherwise (proxy error, <proxy-error/>) FAILED
 * with a copy of @error. */
void xtls_s5b_conn_activated (XtlsS5bConn *conn, const GError *error);

/* Sends application bytes; only in ESTABLISHED, else FALSE with @error. */
gboolean xtls_s5b_conn_send (XtlsS5bConn *conn, const guint8 *data, gsize len, GError **error);

/* Ends the connection from our side (not chosen, cancelled): CLOSED, ops->closed(NULL). */
void xtls_s5b_conn_close (XtlsS5bConn *conn);

/* Fails the connection from outside (connect refused, socket error) with a copy of @error. */
void xtls_s5b_conn_abort (XtlsS5bConn *conn, const GError *error);

/* Monotonic µs at which xtls_s5b_conn_tick() must run, or 0 for none (CONNECTED, ESTABLISHED
 * and the final states have none). */
gint64 xtls_s5b_conn_next_deadline (XtlsS5bConn *conn);
/* Fails with XTLS_ERROR_TIMEOUT if the deadline has passed on the injected clock. */
void xtls_s5b_conn_tick (XtlsS5bConn *conn);

XtlsS5bState xtls_s5b_conn_get_state (XtlsS5bConn *conn);
const char *xtls_s5b_state_to_string (XtlsS5bState state);

G_END_DECLS
