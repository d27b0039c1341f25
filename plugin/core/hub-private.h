/* Between hub.c (routing, bounds, tie-break, deadlines) and hub-host.c (what the sessions get
 * from the hub). Fields belong to hub.c; hub-host.c only reads ops, user_data and counters. */
#pragma once

#include "session-private.h"

struct _XtlsHub
{
  char *own_jid;          /* owned, full JID */
  XtlsIdentity *identity; /* ref */
  XtlsTrustStore *trust;  /* borrowed */
  const XtlsClock *clock; /* borrowed */
  XtlsHubConfig config;   /* defaults filled in */
  const XtlsHubOps *ops;  /* borrowed */
  gpointer user_data;
  XtlsSessionHost host; /* what the sessions get (points into this struct) */
  GHashTable *sessions; /* chat: peer full JID (the session's string) -> owned XtlsSession */
  GHashTable *files;    /* file sessions: file_key() (owned) -> owned XtlsSession; several
                         * per peer, so keyed by peer and Jingle sid */
  double offer_tokens;  /* token bucket for incoming offers */
  gint64 offer_refilled;
  GPtrArray *graveyard; /* owned: objects whose free waits until no callback runs */
  guint depth;          /* nesting of public entry points */
  guint64 next_iq;
  guint64 next_message_id;

  /* SOCKS5 bytestreams (hub-net.c) */
  const XtlsHubNetOps *net; /* borrowed; NULL: IBB only */
  gpointer net_data;
  char *proxy_jid, *proxy_host; /* owned; NULL: no proxy */
  guint16 proxy_port;
  guint next_conn;
  GHashTable *conns;       /* connection number -> owned file_key() of the session owning it */
  GHashTable *accepted;    /* connection number -> owned AcceptedConn: waiting for its request */
  GHashTable *activations; /* our activate IQ id (owned) -> owned Activation */
};

/* hub.c */
void xtls_hub_enter (XtlsHub *hub);
void xtls_hub_leave (XtlsHub *hub);
/* Frees @object with @free_func once no callback can be on the stack. */
void xtls_hub_bury (XtlsHub *hub, gpointer object, GDestroyNotify free_func);
void xtls_hub_send_xml (XtlsHub *hub, const char *xml);
/* Transfer full. */
char *xtls_hub_make_iq_id (XtlsHub *hub);

char *xtls_hub_file_key (const char *peer, const char *sid);
XtlsSession *xtls_hub_lookup_file (XtlsHub *hub, const char *peer, const char *sid);

/* hub-net.c: the SOCKS5 side of the hub */
void xtls_hub_net_init (XtlsHub *hub);
void xtls_hub_net_clear (XtlsHub *hub);
/* An answer from a proxy to one of our activate IQs: TRUE if it was one (then handled). */
gboolean xtls_hub_net_route_reply (XtlsHub *hub, const XtlsIq *iq);
gint64 xtls_hub_net_next_deadline (XtlsHub *hub);
void xtls_hub_net_tick (XtlsHub *hub);
XtlsS5bTransportWire *xtls_hub_net_offer (XtlsHub *hub, XtlsSession *s, const char *sid,
                                          const XtlsS5bTransportWire *peer);
guint xtls_hub_net_connect (XtlsHub *hub, XtlsSession *s, const char *host, guint16 port);
void xtls_hub_net_write (XtlsHub *hub, guint conn, const guint8 *data, gsize len);
void xtls_hub_net_close (XtlsHub *hub, guint conn);
void xtls_hub_net_send_activate (XtlsHub *hub, XtlsSession *s, const char *proxy_jid,
                                 const char *sid, const char *target);

/* hub-host.c */
extern const XtlsSessionHostOps xtls_hub_host_ops;
