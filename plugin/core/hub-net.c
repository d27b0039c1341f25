/* The hub's SOCKS5 side (XtlsHubNetOps, session.h): numbers the glue's connections and routes
 * their events to the file session that owns them, holds connections accepted on our
 * listeners until their SOCKS5 request names a bytestream (XEP-0065 §5.3.2: the DST.ADDR
 * hash), builds our candidates, and sends proxy activations and routes their answers. */
#include "hub-private.h"

#include <string.h>

#include "wire-private.h"
#include "xtls-error.h"

/* Connections accepted on our listeners whose SOCKS5 request has not arrived yet: each is
 * bounded by the SOCKS5 engine's deadline, and their number by this. */
#define MAX_ACCEPTED 16
/* Direct candidates we offer at most (the glue's listeners). */
#define MAX_LOCAL_ADDRESSES 8

typedef struct
{
  XtlsHub *hub;
  guint id;
  XtlsS5bConn *conn; /* owned until a session adopts it */
} AcceptedConn;

typedef struct
{
  char *key;       /* owned: file key of the session */
  char *proxy_jid; /* owned: who must answer */
} Activation;

static void
accepted_free (AcceptedConn *a)
{
  xtls_s5b_conn_free (a->conn);
  g_free (a);
}

static void
activation_free (Activation *a)
{
  g_free (a->key);
  g_free (a->proxy_jid);
  g_free (a);
}

void
xtls_hub_net_init (XtlsHub *hub)
{
  hub->conns = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  hub->accepted = g_hash_table_new (NULL, NULL);
  hub->activations
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)activation_free);
}

void
xtls_hub_net_clear (XtlsHub *hub)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, hub->accepted);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (hub->net != NULL)
        hub->net->close (hub, GPOINTER_TO_UINT (key), hub->net_data);
      accepted_free (value);
    }
  g_hash_table_unref (hub->accepted);
  g_hash_table_unref (hub->conns);
  g_hash_table_unref (hub->activations);
  g_free (hub->proxy_jid);
  g_free (hub->proxy_host);
}

void
xtls_hub_set_net (XtlsHub *hub, const XtlsHubNetOps *ops, gpointer user_data)
{
  g_return_if_fail (hub != NULL);
  g_return_if_fail (ops == NULL
                    || (ops->peer_supports_s5b != NULL && ops->connect != NULL && ops->write != NULL
                        && ops->close != NULL));
  hub->net = ops;
  hub->net_data = user_data;
}

void
xtls_hub_set_proxy (XtlsHub *hub, const char *jid, const char *host, guint16 port)
{
  g_return_if_fail (hub != NULL);
  g_clear_pointer (&hub->proxy_jid, g_free);
  g_clear_pointer (&hub->proxy_host, g_free);
  if (jid == NULL || host == NULL || port == 0)
    return;
  hub->proxy_jid = g_strdup (jid);
  hub->proxy_host = g_strdup (host);
  hub->proxy_port = port;
}

static guint
new_conn_number (XtlsHub *hub)
{
  do
    hub->next_conn++;
  while (hub->next_conn == 0
         || g_hash_table_contains (hub->conns, GUINT_TO_POINTER (hub->next_conn))
         || g_hash_table_contains (hub->accepted, GUINT_TO_POINTER (hub->next_conn)));
  return hub->next_conn;
}

static XtlsSession *
owner (XtlsHub *hub, guint conn)
{
  const char *key = g_hash_table_lookup (hub->conns, GUINT_TO_POINTER (conn));
  XtlsSession *s = key != NULL ? g_hash_table_lookup (hub->files, key) : NULL;

  return s != NULL && xtls_session_owns_conn (s, conn) ? s : NULL;
}

/* ---- what the sessions ask for --------------------------------------------------------- */

XtlsS5bTransportWire *
xtls_hub_net_offer (XtlsHub *hub, XtlsSession *s, const char *sid, const XtlsS5bTransportWire *peer)
{
  XtlsNetAddress found[MAX_LOCAL_ADDRESSES] = { { 0 } };
  XtlsS5bLocalAddress addresses[MAX_LOCAL_ADDRESSES];
  XtlsS5bStreamhost proxy = { hub->proxy_jid, hub->proxy_host, hub->proxy_port };
  guint n = 0;
  XtlsS5bTransportWire *wire;

  if (hub->net == NULL)
    return NULL;
  /* Our offer: SOCKS5 only to a client that speaks it; IBB otherwise (and as the fallback). */
  if (peer == NULL && !hub->net->peer_supports_s5b (hub, xtls_session_get_peer (s), hub->net_data))
    return NULL;
  if (hub->net->local_addresses != NULL)
    n = MIN (hub->net->local_addresses (hub, found, MAX_LOCAL_ADDRESSES, hub->net_data),
             MAX_LOCAL_ADDRESSES);
  for (guint i = 0; i < n; i++)
    addresses[i] = (XtlsS5bLocalAddress){ found[i].host, found[i].port, XTLS_S5B_CANDIDATE_DIRECT };
  /* Even without candidates of our own: the peer may have some (XEP-0260 §2.2). */
  wire = xtls_s5b_transport_wire_new (sid);
  g_ptr_array_unref (wire->candidates);
  wire->candidates = xtls_s5b_candidates_build (hub->own_jid, addresses, n,
                                                hub->proxy_jid != NULL ? &proxy : NULL,
                                                peer != NULL ? peer->candidates : NULL);
  return wire;
}

guint
xtls_hub_net_connect (XtlsHub *hub, XtlsSession *s, const char *host, guint16 port)
{
  guint conn;

  if (hub->net == NULL)
    return 0;
  conn = new_conn_number (hub);
  g_hash_table_insert (hub->conns, GUINT_TO_POINTER (conn),
                       xtls_hub_file_key (xtls_session_get_peer (s), xtls_session_get_sid (s)));
  hub->net->connect (hub, conn, host, port, hub->net_data);
  return conn;
}

void
xtls_hub_net_write (XtlsHub *hub, guint conn, const guint8 *data, gsize len)
{
  if (hub->net != NULL)
    hub->net->write (hub, conn, data, len, hub->net_data);
}

void
xtls_hub_net_close (XtlsHub *hub, guint conn)
{
  g_hash_table_remove (hub->conns, GUINT_TO_POINTER (conn));
  if (hub->net != NULL)
    hub->net->close (hub, conn, hub->net_data);
}

void
xtls_hub_net_send_activate (XtlsHub *hub, XtlsSession *s, const char *proxy_jid, const char *sid,
                            const char *target)
{
  Activation *a = g_new0 (Activation, 1);
  char *id = xtls_hub_make_iq_id (hub);
  g_autofree char *xml = xtls_wire_build_s5b_activate (id, proxy_jid, sid, target);

  a->key = xtls_hub_file_key (xtls_session_get_peer (s), xtls_session_get_sid (s));
  a->proxy_jid = g_strdup (proxy_jid);
  g_hash_table_insert (hub->activations, id, a);
  g_debug ("[%s] asking proxy %s to activate the bytestream", xtls_session_get_sid (s), proxy_jid);
  xtls_hub_send_xml (hub, xml);
}

gboolean
xtls_hub_net_route_reply (XtlsHub *hub, const XtlsIq *iq)
{
  Activation *a = g_hash_table_lookup (hub->activations, iq->id);
  g_autoptr (GError) error = NULL;
  XtlsSession *s;

  /* Matched by id and by the proxy that was asked, like every answer we take. */
  if (a == NULL || g_ascii_strcasecmp (a->proxy_jid, iq->from) != 0)
    return FALSE;
  s = g_hash_table_lookup (hub->files, a->key);
  if (iq->type == XTLS_IQ_ERROR)
    error = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_FAILED,
                                 "the SOCKS5 proxy refused to activate the bytestream");
  if (s != NULL)
    xtls_session_s5b_activated (s, error);
  g_hash_table_remove (hub->activations, iq->id);
  return TRUE;
}

/* ---- connections accepted on our listeners ------------------------------------------------ */

static void
accepted_send (XtlsS5bConn *conn, const guint8 *data, gsize len, gpointer user_data)
{
  AcceptedConn *a = user_data;

  xtls_hub_net_write (a->hub, a->id, data, len);
}

static void
accepted_established (XtlsS5bConn *conn, gpointer user_data)
{
}

static void
accepted_deliver (XtlsS5bConn *conn, const guint8 *data, gsize len, gpointer user_data)
{
}

static void
accepted_closed (XtlsS5bConn *conn, const GError *error, gpointer user_data)
{
  AcceptedConn *a = user_data;
  XtlsHub *hub = a->hub;

  /* Hostile or stale: closed, and freed once the engine's own call has returned. */
  g_hash_table_remove (hub->accepted, GUINT_TO_POINTER (a->id));
  if (hub->net != NULL)
    hub->net->close (hub, a->id, hub->net_data);
  xtls_hub_bury (hub, a, (GDestroyNotify)accepted_free);
}

/* XEP-0065 §5.3.2: the DST.ADDR names the bytestream; only a live file session of ours whose
 * candidates may still be used takes it. */
static gboolean
accepted_match (XtlsS5bConn *conn, const char *dst_addr, gpointer user_data)
{
  AcceptedConn *a = user_data;
  XtlsHub *hub = a->hub;
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, hub->files);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *ours = xtls_session_s5b_dst_addr (value);
      if (ours == NULL || strcmp (ours, dst_addr) != 0)
        continue;
      if (!xtls_session_s5b_adopt (value, a->id, conn))
        return FALSE;
      /* The session owns the engine now; the wrapper goes. */
      g_hash_table_insert (hub->conns, GUINT_TO_POINTER (a->id), g_strdup (key));
      g_hash_table_remove (hub->accepted, GUINT_TO_POINTER (a->id));
      a->conn = NULL;
      xtls_hub_bury (hub, a, (GDestroyNotify)accepted_free);
      return TRUE;
    }
  return FALSE;
}

static const XtlsS5bConnOps accepted_ops = {
  .send = accepted_send,
  .established = accepted_established,
  .deliver = accepted_deliver,
  .closed = accepted_closed,
  .match = accepted_match,
};

guint
xtls_hub_net_accepted (XtlsHub *hub)
{
  AcceptedConn *a;
  XtlsS5bConnConfig config = {
    .role = XTLS_S5B_ROLE_SERVER,
    .clock = hub->clock,
    .timeout_us = hub->config.s5b_timeout_us,
    .log_id = "accepted",
  };

  g_return_val_if_fail (hub != NULL, 0);
  if (hub->net == NULL || g_hash_table_size (hub->accepted) >= MAX_ACCEPTED)
    return 0;
  a = g_new0 (AcceptedConn, 1);
  a->hub = hub;
  a->id = new_conn_number (hub);
  a->conn = xtls_s5b_conn_new (&config, &accepted_ops, a);
  g_hash_table_insert (hub->accepted, GUINT_TO_POINTER (a->id), a);
  xtls_hub_enter (hub);
  xtls_s5b_conn_start (a->conn);
  xtls_hub_leave (hub);
  return a->id;
}

/* ---- what the glue's sockets report -------------------------------------------------------- */

void
xtls_hub_net_connected (XtlsHub *hub, guint conn)
{
  XtlsSession *s;

  g_return_if_fail (hub != NULL);
  xtls_hub_enter (hub);
  s = owner (hub, conn);
  if (s != NULL)
    xtls_session_net_connected (s, conn);
  xtls_hub_leave (hub);
}

void
xtls_hub_net_receive (XtlsHub *hub, guint conn, const guint8 *data, gsize len)
{
  AcceptedConn *a;
  XtlsSession *s;

  g_return_if_fail (hub != NULL);
  g_return_if_fail (data != NULL || len == 0);
  xtls_hub_enter (hub);
  a = g_hash_table_lookup (hub->accepted, GUINT_TO_POINTER (conn));
  if (a != NULL)
    xtls_s5b_conn_receive (a->conn, data, len);
  else if ((s = owner (hub, conn)) != NULL)
    xtls_session_net_receive (s, conn, data, len);
  xtls_hub_leave (hub);
}

void
xtls_hub_net_drained (XtlsHub *hub, guint conn)
{
  XtlsSession *s;

  g_return_if_fail (hub != NULL);
  xtls_hub_enter (hub);
  s = owner (hub, conn);
  if (s != NULL)
    xtls_session_net_drained (s, conn);
  xtls_hub_leave (hub);
}

void
xtls_hub_net_closed (XtlsHub *hub, guint conn, const char *message)
{
  g_autoptr (GError) error = NULL;
  AcceptedConn *a;
  XtlsSession *s;

  g_return_if_fail (hub != NULL);
  if (message != NULL)
    error = g_error_new (XTLS_ERROR, XTLS_ERROR_FAILED, "connection failed: %s", message);
  xtls_hub_enter (hub);
  a = g_hash_table_lookup (hub->accepted, GUINT_TO_POINTER (conn));
  if (a != NULL)
    xtls_s5b_conn_eof (a->conn);
  else if ((s = owner (hub, conn)) != NULL)
    xtls_session_net_closed (s, conn, error);
  xtls_hub_leave (hub);
}

gint64
xtls_hub_net_next_deadline (XtlsHub *hub)
{
  GHashTableIter iter;
  gpointer value;
  gint64 next = 0;

  g_hash_table_iter_init (&iter, hub->accepted);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      gint64 d = xtls_s5b_conn_next_deadline (((AcceptedConn *)value)->conn);
      if (d > 0 && (next == 0 || d < next))
        next = d;
    }
  return next;
}

void
xtls_hub_net_tick (XtlsHub *hub)
{
  g_autoptr (GList) waiting = g_hash_table_get_values (hub->accepted);

  /* A tick may end (and unlist) connections: walk a snapshot; the ended are only buried. */
  for (GList *l = waiting; l != NULL; l = l->next)
    xtls_s5b_conn_tick (((AcceptedConn *)l->data)->conn);
}
