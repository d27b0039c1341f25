#include "loopback-net.h"

#include <string.h>

typedef struct
{
  XtlsTestPeer *peer;
  char *host;
  guint16 port;
  XtlsNetReach reach;
} Listener;

typedef struct Sock Sock;
struct Sock
{
  XtlsLoopbackNet *net;
  XtlsTestPeer *peer; /* the hub at this end; NULL: the proxy's end */
  guint conn;         /* the hub's number for it */
  Sock *remote;
  GByteArray *out;   /* written at this end, not yet delivered to the remote end */
  gboolean closed;   /* this end is closed (by its hub, refused or broken) */
  gboolean eof_sent; /* the remote end learned of it */
  gboolean drained_due;
  char *host;
  guint16 port;
  /* the proxy's end */
  GByteArray *in;
  int stage; /* 0: greeting, 1: request, 2: waiting for activation, 3: relaying */
  char *hash;
  Sock *partner;
};

typedef struct
{
  XtlsTestPeer *to;
  char *xml;
} Reply;

static void
listener_free (Listener *l)
{
  g_free (l->host);
  g_free (l);
}

static void
sock_free (Sock *s)
{
  g_byte_array_unref (s->out);
  g_byte_array_unref (s->in);
  g_free (s->host);
  g_free (s->hash);
  g_free (s);
}

static Sock *
sock_new (XtlsLoopbackNet *net, XtlsTestPeer *peer, guint conn)
{
  Sock *s = g_new0 (Sock, 1);

  s->net = net;
  s->peer = peer;
  s->conn = conn;
  s->out = g_byte_array_new ();
  s->in = g_byte_array_new ();
  g_ptr_array_add (net->socks, s);
  return s;
}

static Sock *
find_sock (XtlsLoopbackNet *net, XtlsTestPeer *peer, guint conn)
{
  for (guint i = 0; i < net->socks->len; i++)
    {
      Sock *s = g_ptr_array_index (net->socks, i);
      if (s->peer == peer && s->conn == conn && !s->closed)
        return s;
    }
  return NULL;
}

/* ---- the hubs' net ops ---------------------------------------------------------------------- */

static gboolean
op_peer_supports_s5b (XtlsHub *hub, const char *peer_jid, gpointer user_data)
{
  XtlsTestPeer *peer = user_data;
  XtlsLoopbackNet *net = peer->lb->net;

  return peer == net->lb->alice ? net->supports_bob : net->supports_alice;
}

static guint
op_local_addresses (XtlsHub *hub, XtlsNetAddress *out, guint max, gpointer user_data)
{
  XtlsTestPeer *peer = user_data;
  XtlsLoopbackNet *net = peer->lb->net;
  guint n = 0;

  for (guint i = 0; i < net->listeners->len && n < max; i++)
    {
      Listener *l = g_ptr_array_index (net->listeners, i);
      if (l->peer == peer)
        out[n++] = (XtlsNetAddress){ l->host, l->port };
    }
  return n;
}

static void
op_connect (XtlsHub *hub, guint conn, const char *host, guint16 port, gpointer user_data)
{
  XtlsTestPeer *peer = user_data;
  XtlsLoopbackNet *net = peer->lb->net;
  Sock *s = sock_new (net, peer, conn);

  net->connects++;
  s->host = g_strdup (host);
  s->port = port;
  g_ptr_array_add (net->pending, s);
}

static void
op_write (XtlsHub *hub, guint conn, const guint8 *data, gsize len, gpointer user_data)
{
  XtlsTestPeer *peer = user_data;
  XtlsLoopbackNet *net = peer->lb->net;
  Sock *s = find_sock (net, peer, conn);

  g_assert_cmpuint (len, >, 0);
  g_byte_array_append (net->crossed, data, (guint)len);
  if (s == NULL)
    return; /* a connection the test made by hand */
  g_byte_array_append (s->out, data, (guint)len);
  s->drained_due = TRUE;
}

static void
op_close (XtlsHub *hub, guint conn, gpointer user_data)
{
  XtlsTestPeer *peer = user_data;
  Sock *s = find_sock (peer->lb->net, peer, conn);

  if (s != NULL)
    s->closed = TRUE; /* its remote end learns at the next pump, after the last bytes */
}

static const XtlsHubNetOps net_ops = {
  .peer_supports_s5b = op_peer_supports_s5b,
  .local_addresses = op_local_addresses,
  .connect = op_connect,
  .write = op_write,
  .close = op_close,
};

XtlsLoopbackNet *
xtls_loopback_net_new (XtlsLoopback *lb)
{
  XtlsLoopbackNet *net = g_new0 (XtlsLoopbackNet, 1);

  net->lb = lb;
  net->listeners = g_ptr_array_new_with_free_func ((GDestroyNotify)listener_free);
  net->socks = g_ptr_array_new_with_free_func ((GDestroyNotify)sock_free);
  net->pending = g_ptr_array_new ();
  g_queue_init (&net->replies);
  net->crossed = g_byte_array_new ();
  net->supports_alice = net->supports_bob = TRUE;
  lb->net = net;
  xtls_hub_set_net (lb->alice->hub, &net_ops, lb->alice);
  xtls_hub_set_net (lb->bob->hub, &net_ops, lb->bob);
  return net;
}

static void
reply_free (Reply *r)
{
  g_free (r->xml);
  g_free (r);
}

void
xtls_loopback_net_free (XtlsLoopbackNet *net)
{
  g_ptr_array_unref (net->listeners);
  g_ptr_array_unref (net->pending);
  g_ptr_array_unref (net->socks);
  g_queue_clear_full (&net->replies, (GDestroyNotify)reply_free);
  g_byte_array_unref (net->crossed);
  g_free (net);
}

void
xtls_loopback_net_detach (XtlsLoopbackNet *net)
{
  g_ptr_array_set_size (net->pending, 0);
  g_queue_clear_full (&net->replies, (GDestroyNotify)reply_free);
  g_queue_init (&net->replies);
}

void
xtls_loopback_net_listen (XtlsLoopbackNet *net, XtlsTestPeer *peer, const char *host, guint16 port,
                          XtlsNetReach reach)
{
  Listener *l = g_new0 (Listener, 1);

  l->peer = peer;
  l->host = g_strdup (host);
  l->port = port;
  l->reach = reach;
  g_ptr_array_add (net->listeners, l);
}

void
xtls_loopback_net_use_proxy (XtlsLoopbackNet *net, XtlsTestPeer *peer, XtlsProxyMode mode)
{
  net->proxy_mode = mode;
  xtls_hub_set_proxy (peer->hub, XTLS_TEST_PROXY_JID, XTLS_TEST_PROXY_HOST, XTLS_TEST_PROXY_PORT);
}

/* ---- the simulated proxy (XEP-0065 §6 as a SOCKS5 server that relays once activated) -------- */

static void
proxy_receive (Sock *p, const guint8 *data, gsize len)
{
  XtlsLoopbackNet *net = p->net;
  static const guint8 method[2] = { 0x05, 0x00 };
  static const char garbage[] = "HTTP/1.1 400 Bad Request\r\n\r\n";

  if (p->stage == 3)
    {
      if (p->partner != NULL && !p->partner->closed)
        {
          g_byte_array_append (p->partner->out, data, (guint)len);
          net->relayed += len;
        }
      return;
    }
  g_byte_array_append (p->in, data, (guint)len);
  if (p->stage == 0 && p->in->len >= 2 && p->in->len >= 2u + p->in->data[1])
    {
      if (net->proxy_mode == XTLS_PROXY_HOSTILE)
        {
          g_byte_array_append (p->out, (const guint8 *)garbage, sizeof garbage - 1);
          return;
        }
      g_byte_array_append (p->out, method, 2);
      g_byte_array_remove_range (p->in, 0, 2 + p->in->data[1]);
      p->stage = 1;
    }
  if (p->stage == 1 && p->in->len >= 5 && p->in->len >= 5u + p->in->data[4] + 2)
    {
      guint n = p->in->data[4];
      guint8 reply[5 + 255 + 2] = { 0x05, 0x00, 0x00, 0x03, (guint8)n };

      p->hash = g_strndup ((const char *)p->in->data + 5, n);
      memcpy (reply + 5, p->in->data + 5, n);
      g_byte_array_append (p->out, reply, 5 + n + 2);
      g_byte_array_set_size (p->in, 0);
      p->stage = 2;
    }
  /* Stage 2: bytes before activation are dropped (XEP-0065 §6.3.5). */
}

static char *
match_1 (const char *xml, const char *pattern)
{
  g_autoptr (GRegex) re = g_regex_new (pattern, 0, 0, NULL);
  g_autoptr (GMatchInfo) info = NULL;

  if (!g_regex_match (re, xml, 0, &info))
    return NULL;
  return g_match_info_fetch (info, 1);
}

gboolean
xtls_loopback_net_intercept (XtlsLoopbackNet *net, XtlsTestPeer *from, const char *xml)
{
  g_autofree char *id = NULL, *sid = NULL, *target = NULL, *hash = NULL, *joined = NULL;
  Sock *ends[2] = { NULL, NULL };
  guint found = 0;
  Reply *r;

  if (strstr (xml, "to='" XTLS_TEST_PROXY_JID "'") == NULL)
    return FALSE;
  g_ptr_array_add (net->lb->wire_log, g_strdup (xml));
  net->activations++;
  id = match_1 (xml, "id='([^']*)'");
  sid = match_1 (xml, "sid='([^']*)'");
  target = match_1 (xml, "<activate>([^<]*)</activate>");
  g_assert_nonnull (id);
  if (sid != NULL && target != NULL)
    {
      /* XEP-0065 §5.3.2: SHA1(sid + requester + target), the requester being who activates. */
      joined = g_strconcat (sid, from->jid, target, NULL);
      hash = g_compute_checksum_for_string (G_CHECKSUM_SHA1, joined, -1);
      for (guint i = 0; i < net->socks->len && found < 2; i++)
        {
          Sock *s = g_ptr_array_index (net->socks, i);
          if (s->peer == NULL && !s->closed && s->stage == 2 && g_strcmp0 (s->hash, hash) == 0)
            ends[found++] = s;
        }
    }
  r = g_new0 (Reply, 1);
  r->to = from;
  if (found == 2 && net->proxy_mode == XTLS_PROXY_OK)
    {
      ends[0]->partner = ends[1];
      ends[1]->partner = ends[0];
      ends[0]->stage = ends[1]->stage = 3;
      r->xml = g_strdup_printf (
          "<iq type='result' id='%s' from='" XTLS_TEST_PROXY_JID "' to='%s'/>", id, from->jid);
    }
  else
    r->xml = g_strdup_printf (
        "<iq type='error' id='%s' from='" XTLS_TEST_PROXY_JID "' to='%s'><error type='cancel'>"
        "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
        id, from->jid);
  g_queue_push_tail (&net->replies, r);
  return TRUE;
}

/* ---- the pump ----------------------------------------------------------------------------------
 */

static Listener *
find_listener (XtlsLoopbackNet *net, XtlsTestPeer *not_of, const char *host, guint16 port)
{
  for (guint i = 0; i < net->listeners->len; i++)
    {
      Listener *l = g_ptr_array_index (net->listeners, i);
      if (l->peer != not_of && l->port == port && g_strcmp0 (l->host, host) == 0)
        return l;
    }
  return NULL;
}

static void
refuse (Sock *a, const char *why)
{
  a->closed = TRUE;
  a->eof_sent = TRUE;
  xtls_hub_net_closed (a->peer->hub, a->conn, why);
}

static void
answer_connect (XtlsLoopbackNet *net, Sock *a)
{
  Listener *l;

  if (a->closed)
    return;
  if (a->port == XTLS_TEST_PROXY_PORT && strcmp (a->host, XTLS_TEST_PROXY_HOST) == 0)
    {
      if (net->proxy_mode == XTLS_PROXY_UNREACHABLE)
        {
          refuse (a, "connection refused");
          return;
        }
      a->remote = sock_new (net, NULL, 0);
      a->remote->remote = a;
      xtls_hub_net_connected (a->peer->hub, a->conn);
      return;
    }
  l = find_listener (net, a->peer, a->host, a->port);
  if (l == NULL || l->reach == XTLS_NET_REFUSE)
    refuse (a, "connection refused");
  else if (l->reach == XTLS_NET_OPEN)
    {
      guint id = xtls_hub_net_accepted (l->peer->hub);
      if (id == 0)
        {
          refuse (a, "connection refused");
          return;
        }
      net->accepted++;
      a->remote = sock_new (net, l->peer, id);
      a->remote->remote = a;
      xtls_hub_net_connected (a->peer->hub, a->conn);
    }
  /* BLACKHOLE: no answer ever. */
}

guint
xtls_loopback_net_pump (XtlsLoopbackNet *net)
{
  guint events = 0;
  g_autoptr (GPtrArray) pending = NULL;
  guint n;

  while (!g_queue_is_empty (&net->replies))
    {
      Reply *r = g_queue_pop_head (&net->replies);
      g_ptr_array_add (net->lb->wire_log, g_strdup (r->xml));
      xtls_hub_receive (r->to->hub, r->xml, -1);
      reply_free (r);
      events++;
    }
  pending = g_ptr_array_copy (net->pending, NULL, NULL);
  g_ptr_array_set_size (net->pending, 0);
  for (guint i = 0; i < pending->len; i++, events++)
    answer_connect (net, g_ptr_array_index (pending, i));

  /* What was written so far crosses (what the deliveries make the hubs write waits). */
  n = net->socks->len;
  for (guint i = 0; i < n; i++)
    {
      Sock *s = g_ptr_array_index (net->socks, i);
      g_autoptr (GByteArray) data = NULL;

      if (s->out->len == 0 || s->remote == NULL || s->remote->closed)
        continue;
      data = s->out;
      s->out = g_byte_array_new ();
      events++;
      if (s->remote->peer != NULL)
        {
          net->direct += data->len;
          xtls_hub_net_receive (s->remote->peer->hub, s->remote->conn, data->data, data->len);
        }
      else
        proxy_receive (s->remote, data->data, data->len);
    }
  for (guint i = 0; i < n; i++)
    {
      Sock *s = g_ptr_array_index (net->socks, i);
      if (s->peer != NULL && s->drained_due && !s->closed && s->out->len == 0)
        {
          s->drained_due = FALSE;
          events++;
          xtls_hub_net_drained (s->peer->hub, s->conn);
        }
    }
  /* Closes reach the other end after the last bytes. */
  for (guint i = 0; i < n; i++)
    {
      Sock *s = g_ptr_array_index (net->socks, i);
      Sock *r = s->remote;

      if (!s->closed || s->eof_sent || s->out->len > 0)
        continue;
      s->eof_sent = TRUE;
      if (r == NULL || r->closed)
        continue;
      events++;
      if (r->peer != NULL)
        xtls_hub_net_closed (r->peer->hub, r->conn, NULL);
      else
        {
          r->closed = r->eof_sent = TRUE;
          if (r->partner != NULL)
            r->partner->closed = TRUE; /* the proxy closes the other leg too */
        }
    }
  return events;
}

gboolean
xtls_loopback_net_busy (XtlsLoopbackNet *net)
{
  if (net->pending->len > 0 || !g_queue_is_empty (&net->replies))
    return TRUE;
  for (guint i = 0; i < net->socks->len; i++)
    {
      Sock *s = g_ptr_array_index (net->socks, i);
      gboolean deliverable = s->remote != NULL && !s->remote->closed;
      if ((s->out->len > 0 && deliverable) || (s->peer != NULL && s->drained_due && !s->closed)
          || (s->closed && !s->eof_sent && s->out->len == 0 && deliverable))
        return TRUE;
    }
  return FALSE;
}

guint
xtls_loopback_net_break (XtlsLoopbackNet *net)
{
  guint broken = 0;

  for (guint i = 0; i < net->socks->len; i++)
    {
      Sock *s = g_ptr_array_index (net->socks, i);
      if (s->closed || s->remote == NULL)
        continue;
      s->closed = s->eof_sent = TRUE;
      g_byte_array_set_size (s->out, 0);
      if (s->peer != NULL)
        {
          broken++;
          xtls_hub_net_closed (s->peer->hub, s->conn, "connection reset by peer");
        }
    }
  return broken;
}

guint
xtls_loopback_net_open_count (XtlsLoopbackNet *net, XtlsTestPeer *peer)
{
  guint n = 0;

  for (guint i = 0; i < net->socks->len; i++)
    {
      Sock *s = g_ptr_array_index (net->socks, i);
      n += s->peer == peer && !s->closed;
    }
  return n;
}

gboolean
xtls_loopback_net_crossed (XtlsLoopbackNet *net, const void *needle, gsize len)
{
  for (gsize i = 0; len > 0 && i + len <= net->crossed->len; i++)
    if (memcmp (net->crossed->data + i, needle, len) == 0)
      return TRUE;
  return FALSE;
}
