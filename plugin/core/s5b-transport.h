/* One file session's SOCKS5 bytestream (XEP-0260 over XEP-0065): it tries the peer's
 * candidates, serves or activates ours, reports candidate-used / candidate-error, applies the
 * nomination rule, activates a proxy, and then carries the bytes of the layer above (the
 * security layer in stream mode). No I/O: sockets are the owner's (connect, write, close go
 * down through the ops; what the sockets do comes back through xtls_s5b_transport_net_*), Jingle
 * is the owner's too (send_info, and xtls_s5b_transport_receive_info for what the peer says).
 *
 * It ends in one of two ways: established (then deliver / closed), or failed before that
 * (ops->failed: no candidate worked, the proxy failed, a deadline passed), after which the
 * owner falls back to IBB (XEP-0260 §2.6). */
#pragma once

#include <glib.h>

#include "clock.h"
#include "jingle.h"
#include "s5b.h"

G_BEGIN_DECLS

/* We try at most this many of the peer's candidates (highest priority first), all at once:
 * a peer cannot make us probe more addresses than that. */
#define XTLS_S5B_MAX_ATTEMPTS 8
/* Connections accepted on our listeners that may belong to one bytestream. */
#define XTLS_S5B_MAX_SERVED 8

typedef struct _XtlsS5bTransport XtlsS5bTransport;

typedef struct
{
  /* Down (Jingle transport-info, XEP-0260 §2.4-§2.5): CANDIDATE_USED (@cid: the peer's
   * candidate we use), CANDIDATE_ERROR, ACTIVATED (@cid: our proxy candidate), PROXY_ERROR. */
  void (*send_info) (XtlsS5bTransport *t, XtlsS5bInfo info, const char *cid, gpointer user_data);
  /* Down (XEP-0065 §6.3.5): ask @proxy_jid to activate bytestream @sid towards @target; the
   * answer comes back through xtls_s5b_transport_activated(). */
  void (*activate) (XtlsS5bTransport *t, const char *proxy_jid, const char *sid, const char *target,
                    gpointer user_data);
  /* Down (sockets): open a TCP connection; returns its number (never 0), or 0 if impossible.
   * The answer comes later through xtls_s5b_transport_net_connected / _net_closed. */
  guint (*connect) (XtlsS5bTransport *t, const char *host, guint16 port, gpointer user_data);
  void (*write) (XtlsS5bTransport *t, guint conn, const guint8 *data, gsize len,
                 gpointer user_data);
  /* The connection is of no more use: close the socket (no more reports for it). */
  void (*close) (XtlsS5bTransport *t, guint conn, gpointer user_data);
  /* Up: the nominated bytestream carries data from now on. */
  void (*established) (XtlsS5bTransport *t, gpointer user_data);
  /* Up: the peer's bytes, in order (after established only). */
  void (*deliver) (XtlsS5bTransport *t, const guint8 *data, gsize len, gpointer user_data);
  /* Up: the bytestream's socket wrote everything handed to it. */
  void (*drained) (XtlsS5bTransport *t, gpointer user_data);
  /* Up, once, before established: no bytestream (fall back to IBB). @error says why. */
  void (*failed) (XtlsS5bTransport *t, const GError *error, gpointer user_data);
  /* Up, once, after established: the stream ended (@error NULL: EOF) or broke. */
  void (*closed) (XtlsS5bTransport *t, const GError *error, gpointer user_data);
} XtlsS5bTransportOps;

typedef struct
{
  const char *sid;     /* the transport's sid (copied) */
  const char *own_jid; /* full JIDs (copied) */
  const char *peer_jid;
  gboolean initiator;      /* we initiated the Jingle session */
  const GPtrArray *ours;   /* XtlsS5bCandidateWire *: what we offered (copied) */
  const GPtrArray *theirs; /* what the peer offered (copied; may be empty) */
  const XtlsClock *clock;  /* must outlive the transport */
  gint64 timeout_us;       /* per connection phase; 0 = XTLS_S5B_DEFAULT_TIMEOUT_US */
  const char *log_id;      /* copied */
} XtlsS5bTransportConfig;

XtlsS5bTransport *xtls_s5b_transport_new (const XtlsS5bTransportConfig *config,
                                          const XtlsS5bTransportOps *ops, gpointer user_data);
/* Closes every socket it still has (ops->close only, no other callback). */
void xtls_s5b_transport_free (XtlsS5bTransport *t);

/* Starts connecting to the peer's candidates (and reports candidate-error at once if none). */
void xtls_s5b_transport_start (XtlsS5bTransport *t);

/* The peer's transport-info (XEP-0260 §2.4-§2.5). A candidate-used naming no candidate of
 * ours, or anything out of turn, fails the transport. */
void xtls_s5b_transport_receive_info (XtlsS5bTransport *t, XtlsS5bInfo info, const char *cid);
/* The proxy answered our activation request: @error NULL for a result. */
void xtls_s5b_transport_activated (XtlsS5bTransport *t, const GError *error);

/* The DST.ADDR a peer uses to reach one of our direct candidates (XEP-0260 §2.2). */
const char *xtls_s5b_transport_our_dst_addr (XtlsS5bTransport *t);
/* A connection accepted on our listener asked for our DST.ADDR: the transport takes @conn
 * (transfer full; its ops are switched to ours) as connection number @id. FALSE (and @conn is
 * not taken) when it does not want it (not checking any more, too many). */
gboolean xtls_s5b_transport_adopt (XtlsS5bTransport *t, guint id, XtlsS5bConn *conn);

/* What the owner's sockets report, for connection numbers this transport owns. */
gboolean xtls_s5b_transport_owns (XtlsS5bTransport *t, guint conn);
void xtls_s5b_transport_net_connected (XtlsS5bTransport *t, guint conn);
void xtls_s5b_transport_net_receive (XtlsS5bTransport *t, guint conn, const guint8 *data,
                                     gsize len);
void xtls_s5b_transport_net_drained (XtlsS5bTransport *t, guint conn);
/* EOF (@error NULL) or a socket error. */
void xtls_s5b_transport_net_closed (XtlsS5bTransport *t, guint conn, const GError *error);

/* After established: sends bytes (FALSE once it is closed). */
gboolean xtls_s5b_transport_send (XtlsS5bTransport *t, const guint8 *data, gsize len);
/* Ends it from our side: every socket closed, no more callbacks. */
void xtls_s5b_transport_close (XtlsS5bTransport *t);
gboolean xtls_s5b_transport_is_established (XtlsS5bTransport *t);
/* Established through a SOCKS5 proxy (not a direct connection). */
gboolean xtls_s5b_transport_via_proxy (XtlsS5bTransport *t);
/* How long the end of a file waits behind its last bytes through a proxy (session.c). */
#define XTLS_S5B_PROXY_CLOSE_DELAY_US (250 * 1000)

gint64 xtls_s5b_transport_next_deadline (XtlsS5bTransport *t);
void xtls_s5b_transport_tick (XtlsS5bTransport *t);

G_END_DECLS
