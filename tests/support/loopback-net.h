/* In-memory sockets for the loopback harness: the two hubs' XtlsHubNetOps, listeners that
 * accept, refuse or swallow connections, and a simulated SOCKS5 proxy (XEP-0065) on the
 * "server" that pairs two connections by their DST.ADDR and relays once activated. Bytes
 * written before a leg cross during that leg (xtls_loopback_leg pumps them), so a test can
 * count legs, cut connections and look at every byte that crossed. */
#pragma once

#include "loopback.h"

typedef struct _XtlsLoopbackNet XtlsLoopbackNet;

typedef enum
{
  XTLS_NET_OPEN,      /* accepts */
  XTLS_NET_REFUSE,    /* connection refused at once */
  XTLS_NET_BLACKHOLE, /* never answers (a firewall that drops) */
} XtlsNetReach;

typedef enum
{
  XTLS_PROXY_OK,
  XTLS_PROXY_REFUSE_ACTIVATE, /* answers the activate IQ with an error */
  XTLS_PROXY_HOSTILE,         /* answers the SOCKS5 greeting with garbage */
  XTLS_PROXY_UNREACHABLE,     /* refuses TCP connections */
} XtlsProxyMode;

#define XTLS_TEST_PROXY_JID "proxy.example.org"
#define XTLS_TEST_PROXY_HOST "192.0.2.65"
#define XTLS_TEST_PROXY_PORT 7777

struct _XtlsLoopbackNet
{
  XtlsLoopback *lb;
  GPtrArray *listeners; /* Listener * */
  GPtrArray *socks;     /* Sock *, every socket ever opened (freed with the net) */
  GPtrArray *pending;   /* Sock *: connects to answer at the next pump */
  GQueue replies;       /* char *: proxy IQ answers (delivered at the next pump) */
  XtlsProxyMode proxy_mode;
  gboolean proxy_alice, proxy_bob;       /* which hubs were told about the proxy */
  gboolean supports_alice, supports_bob; /* peer_supports_s5b answers (default TRUE) */
  /* What happened */
  GByteArray *crossed; /* every byte any hub wrote to any socket, in order */
  guint connects;      /* connect() calls */
  guint accepted;      /* connections accepted by a hub */
  guint activations;   /* activate IQs the proxy got */
  guint64 relayed;     /* bytes the proxy relayed after activation */
  guint64 direct;      /* bytes that crossed hub-to-hub connections */
};

/* Gives both hubs net ops (and lb->net). */
XtlsLoopbackNet *xtls_loopback_net_new (XtlsLoopback *lb);
void xtls_loopback_net_free (XtlsLoopbackNet *net);
/* The hubs are going away: stop reporting to them. */
void xtls_loopback_net_detach (XtlsLoopbackNet *net);

/* @peer listens on @host:@port (offered as a direct candidate), reachable as @reach. */
void xtls_loopback_net_listen (XtlsLoopbackNet *net, XtlsTestPeer *peer, const char *host,
                               guint16 port, XtlsNetReach reach);
/* Tells @peer's hub about the proxy (XTLS_TEST_PROXY_*), which behaves as @mode. */
void xtls_loopback_net_use_proxy (XtlsLoopbackNet *net, XtlsTestPeer *peer, XtlsProxyMode mode);

/* Moves bytes, answers connects, reports EOFs and proxy answers. Returns events delivered. */
guint xtls_loopback_net_pump (XtlsLoopbackNet *net);
/* Anything left to pump. */
gboolean xtls_loopback_net_busy (XtlsLoopbackNet *net);
/* A stanza @from sent to the proxy: handled here (TRUE) instead of crossing to the peer. */
gboolean xtls_loopback_net_intercept (XtlsLoopbackNet *net, XtlsTestPeer *from, const char *xml);
/* Every open connection breaks (a cable pulled): both ends get an error. Returns how many. */
guint xtls_loopback_net_break (XtlsLoopbackNet *net);
/* Open sockets of @peer's hub (not closed by it). */
guint xtls_loopback_net_open_count (XtlsLoopbackNet *net, XtlsTestPeer *peer);
/* TRUE if @needle (@len bytes) crossed any socket. */
gboolean xtls_loopback_net_crossed (XtlsLoopbackNet *net, const void *needle, gsize len);
