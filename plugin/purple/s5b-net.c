/* SOCKS5 bytestreams for encrypted file transfer (XEP-0260 over XEP-0065): the sockets behind
 * the core's XtlsHubNetOps, on libpurple's network API. One listener per account (its
 * addresses are our direct candidates), outgoing connections through purple_proxy_connect
 * (so the account's proxy settings apply), non-blocking reads and writes on purple_input_add
 * watches, and the account's SOCKS5 proxy found through disco (XEP-0065 §4) or the account's
 * "ft_proxies" setting. The core runs SOCKS5 itself; here are only bytes and sockets.
 *
 * What the sockets do is reported to the hub from main-loop callbacks only, never from inside
 * an op the hub called (session.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "glue.h"

#define NS_BYTESTREAMS "http://jabber.org/protocol/bytestreams"
#define NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
/* Bytes read per wakeup: 64 KiB cost the receiver of a file a fifth more CPU (more passes
 * through the main loop and the core per byte; bench/run.sh --filexfer). */
#define READ_CHUNK (256 * 1024)
/* Disco items of the server we ask whether they are a SOCKS5 proxy. */
#define MAX_PROXY_QUERIES 8
/* Sockets per account (attempts, served and chosen connections of every file session). */
#define MAX_CONNS 64
#define MAX_ADDRESSES 8

struct _XtlsNet
{
  XtlsAccount *xa; /* borrowed: the net dies first */
  PurpleNetworkListenData *listening;
  int listen_fd; /* -1 while none */
  guint listen_watch;
  guint16 port;
  GPtrArray *hosts;    /* owned char *: our addresses, offered with @port */
  GHashTable *conns;   /* connection number -> owned NetConn */
  GHashTable *queries; /* our disco / streamhost IQ id (owned) -> the JID asked (owned) */
  guint64 next_query;
  gboolean proxy_set;
  guint8 *read_buf; /* owned: READ_CHUNK bytes, allocated on the first read */
};

typedef struct
{
  XtlsNet *net;
  guint id;
  int fd; /* -1 while connecting */
  PurpleProxyConnectData *connecting;
  guint read_watch, write_watch;
  guint report;      /* the timeout that reports a connect result, or 0 */
  char *failure;     /* owned: why the connect failed, reported by @report */
  gboolean answered; /* on_connected ran (possibly inside purple_proxy_connect) */
  GByteArray *out;
} NetConn;

static void
conn_free (NetConn *c)
{
  if (c->connecting != NULL)
    purple_proxy_connect_cancel (c->connecting);
  if (c->read_watch != 0)
    purple_input_remove (c->read_watch);
  if (c->write_watch != 0)
    purple_input_remove (c->write_watch);
  if (c->report != 0)
    purple_timeout_remove (c->report);
  if (c->fd >= 0)
    {
      /* What is still queued gets one last chance; the socket is non-blocking. */
      if (c->out->len > 0 && write (c->fd, c->out->data, c->out->len) < 0)
        purple_debug_misc ("xtls", "s5b: %u closed with unsent bytes\n", c->id);
      close (c->fd);
    }
  g_byte_array_unref (c->out);
  g_free (c->failure);
  g_free (c);
}

static XtlsNet *
net_of (XtlsHub *hub, gpointer user_data)
{
  XtlsAccount *xa = user_data;

  return xa->net;
}

/* Hub calls from socket callbacks are followed by what every hub call needs. */
static void
after_hub (XtlsNet *net)
{
  xtls_glue_schedule (net->xa);
}

static void
set_nonblocking (int fd)
{
  int flags = fcntl (fd, F_GETFL, 0);

  if (flags >= 0)
    fcntl (fd, F_SETFL, flags | O_NONBLOCK);
  fcntl (fd, F_SETFD, FD_CLOEXEC);
}

/* ---- reading and writing ----------------------------------------------------------------- */

static void conn_failed (NetConn *c, const char *why);

static void
on_readable (gpointer data, gint fd, PurpleInputCondition cond)
{
  NetConn *c = data;
  XtlsNet *net = c->net;
  guint8 *buf = net->read_buf != NULL ? net->read_buf : (net->read_buf = g_malloc (READ_CHUNK));
  gssize n = read (fd, buf, READ_CHUNK);

  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if (n <= 0)
    {
      guint id = c->id;
      g_autofree char *why = n < 0 ? g_strdup (g_strerror (errno)) : NULL;

      purple_input_remove (c->read_watch);
      c->read_watch = 0;
      xtls_hub_net_closed (net->xa->hub, id, why); /* the hub closes it (op_close) */
      after_hub (net);
      return;
    }
  xtls_hub_net_receive (net->xa->hub, c->id, buf, (gsize)n);
  after_hub (net);
}

static void
on_writable (gpointer data, gint fd, PurpleInputCondition cond)
{
  NetConn *c = data;
  XtlsNet *net = c->net;
  gssize n = c->out->len > 0 ? write (fd, c->out->data, c->out->len) : 0;

  if (n < 0)
    {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        conn_failed (c, g_strerror (errno));
      return;
    }
  g_byte_array_remove_range (c->out, 0, (guint)n);
  if (c->out->len > 0)
    return;
  purple_input_remove (c->write_watch);
  c->write_watch = 0;
  xtls_hub_net_drained (net->xa->hub, c->id);
  after_hub (net);
}

static void
watch (NetConn *c)
{
  c->read_watch = purple_input_add (c->fd, PURPLE_INPUT_READ, on_readable, c);
  if (c->out->len > 0 && c->write_watch == 0)
    c->write_watch = purple_input_add (c->fd, PURPLE_INPUT_WRITE, on_writable, c);
}

/* A socket error: the hub hears it and closes the connection through op_close. */
static void
conn_failed (NetConn *c, const char *why)
{
  XtlsNet *net = c->net;
  g_autofree char *copy = g_strdup (why);

  if (c->write_watch != 0)
    purple_input_remove (c->write_watch);
  c->write_watch = 0;
  xtls_hub_net_closed (net->xa->hub, c->id, copy);
  after_hub (net);
}

/* ---- connecting ---------------------------------------------------------------------------- */

static gboolean
report_connect (gpointer data)
{
  NetConn *c = data;
  XtlsNet *net = c->net;

  c->report = 0;
  if (c->fd < 0)
    {
      g_autofree char *why = g_steal_pointer (&c->failure);
      xtls_hub_net_closed (net->xa->hub, c->id, why != NULL ? why : "connection failed");
    }
  else
    {
      set_nonblocking (c->fd);
      watch (c);
      xtls_hub_net_connected (net->xa->hub, c->id);
    }
  after_hub (net);
  return FALSE;
}

static void
on_connected (gpointer data, gint fd, const gchar *error)
{
  NetConn *c = data;

  c->connecting = NULL;
  c->answered = TRUE;
  c->fd = fd;
  if (fd < 0)
    c->failure = g_strdup (error != NULL ? error : "connection failed");
  /* libpurple may answer from inside purple_proxy_connect: report from the main loop. */
  c->report = purple_timeout_add (0, report_connect, c);
}

/* ---- the hub's ops --------------------------------------------------------------------------- */

static gboolean
op_peer_supports_s5b (XtlsHub *hub, const char *peer_jid, gpointer user_data)
{
  XtlsAccount *xa = user_data;

  return GPOINTER_TO_INT (purple_plugin_ipc_call (xtls_glue_jabber (), "contact_has_feature", NULL,
                                                  xa->account, peer_jid, XTLS_NS_S5B));
}

static guint
op_local_addresses (XtlsHub *hub, XtlsNetAddress *out, guint max, gpointer user_data)
{
  XtlsNet *net = net_of (hub, user_data);
  guint n = 0;

  if (net == NULL || net->listen_fd < 0)
    return 0;
  for (guint i = 0; i < net->hosts->len && n < max; i++)
    out[n++] = (XtlsNetAddress){ g_ptr_array_index (net->hosts, i), net->port };
  return n;
}

static void
op_connect (XtlsHub *hub, guint conn, const char *host, guint16 port, gpointer user_data)
{
  XtlsNet *net = net_of (hub, user_data);
  NetConn *c = g_new0 (NetConn, 1);

  c->net = net;
  c->id = conn;
  c->fd = -1;
  c->out = g_byte_array_new ();
  g_hash_table_insert (net->conns, GUINT_TO_POINTER (conn), c);
  if (g_hash_table_size (net->conns) > MAX_CONNS)
    c->failure = g_strdup ("too many connections");
  else
    {
      PurpleProxyConnectData *pending
          = purple_proxy_connect (net, net->xa->account, host, port, on_connected, c);
      /* An answer from inside the call has freed its connect data already. */
      c->connecting = c->answered ? NULL : pending;
    }
  if (c->connecting == NULL && c->report == 0)
    {
      if (c->failure == NULL)
        c->failure = g_strdup ("cannot connect");
      c->report = purple_timeout_add (0, report_connect, c);
    }
}

static void
op_write (XtlsHub *hub, guint conn, const guint8 *data, gsize len, gpointer user_data)
{
  XtlsNet *net = net_of (hub, user_data);
  NetConn *c = g_hash_table_lookup (net->conns, GUINT_TO_POINTER (conn));

  if (c == NULL || c->fd < 0)
    return;
  g_byte_array_append (c->out, data, (guint)len);
  if (c->write_watch == 0)
    c->write_watch = purple_input_add (c->fd, PURPLE_INPUT_WRITE, on_writable, c);
}

static void
op_close (XtlsHub *hub, guint conn, gpointer user_data)
{
  XtlsNet *net = net_of (hub, user_data);

  g_hash_table_remove (net->conns, GUINT_TO_POINTER (conn));
}

static const XtlsHubNetOps net_ops = {
  .peer_supports_s5b = op_peer_supports_s5b,
  .local_addresses = op_local_addresses,
  .connect = op_connect,
  .write = op_write,
  .close = op_close,
};

/* ---- listening ------------------------------------------------------------------------------ */

static void
on_accept (gpointer data, gint fd, PurpleInputCondition cond)
{
  XtlsNet *net = data;
  int client = accept (fd, NULL, NULL);
  NetConn *c;
  guint id;

  if (client < 0)
    return;
  set_nonblocking (client);
  id = g_hash_table_size (net->conns) < MAX_CONNS ? xtls_hub_net_accepted (net->xa->hub) : 0;
  if (id == 0)
    {
      close (client);
      return;
    }
  c = g_new0 (NetConn, 1);
  c->net = net;
  c->id = id;
  c->fd = client;
  c->out = g_byte_array_new ();
  g_hash_table_insert (net->conns, GUINT_TO_POINTER (id), c);
  watch (c);
  after_hub (net);
}

/* Our direct candidates: the addresses of this machine (loopback only when there is nothing
 * else, so that two clients on one machine still find each other). For tests and for users
 * who want no direct connections: XTLS_S5B_DIRECT=0 offers none (no listener), and
 * XTLS_S5B_PROXY=0 looks for no proxy. */
static void
collect_hosts (XtlsNet *net)
{
  GList *ips = purple_network_get_all_local_system_ips ();
  const char *public_ip = purple_network_get_public_ip ();

  if (public_ip != NULL && *public_ip != '\0')
    g_ptr_array_add (net->hosts, g_strdup (public_ip));
  for (GList *l = ips; l != NULL && net->hosts->len < MAX_ADDRESSES; l = l->next)
    {
      const char *ip = l->data;
      if (!g_str_has_prefix (ip, "127.") && strcmp (ip, "::1") != 0
          && g_strcmp0 (ip, public_ip) != 0)
        g_ptr_array_add (net->hosts, g_strdup (ip));
    }
  g_list_free_full (ips, g_free);
  if (net->hosts->len == 0)
    g_ptr_array_add (net->hosts, g_strdup ("127.0.0.1"));
}

static void
on_listening (int fd, gpointer data)
{
  XtlsNet *net = data;

  net->listening = NULL;
  if (fd < 0)
    {
      purple_debug_info ("xtls", "s5b: no listener; direct candidates off\n");
      return;
    }
  net->listen_fd = fd;
  net->port = purple_network_get_port_from_fd (fd);
  net->listen_watch = purple_input_add (fd, PURPLE_INPUT_READ, on_accept, net);
  collect_hosts (net);
  purple_debug_info ("xtls", "s5b: listening on port %u (%u addresses)\n", net->port,
                     net->hosts->len);
}

/* ---- the account's proxy (XEP-0065 §4) ---------------------------------------------------------
 */

static void
send_query (XtlsNet *net, const char *to, const char *ns)
{
  char *id = g_strdup_printf ("xtlsnet%" G_GUINT64_FORMAT, ++net->next_query);
  xmlnode *iq = xmlnode_new ("iq");
  xmlnode *query = xmlnode_new_child (iq, "query");
  g_autofree char *xml = NULL;

  xmlnode_set_attrib (iq, "type", "get");
  xmlnode_set_attrib (iq, "id", id);
  xmlnode_set_attrib (iq, "to", to);
  xmlnode_set_namespace (query, ns);
  xml = xmlnode_to_str (iq, NULL);
  xmlnode_free (iq);
  g_hash_table_insert (net->queries, id, g_strdup (to));
  xtls_xmpp_send (net->xa, xml);
}

static void
discover_proxy (XtlsNet *net)
{
  const char *configured = purple_account_get_string (net->xa->account, "ft_proxies", NULL);
  const char *own = purple_account_get_username (net->xa->account);
  const char *at = strchr (own, '@');
  g_autofree char *domain
      = g_strndup (at != NULL ? at + 1 : own, strcspn (at != NULL ? at + 1 : own, "/"));
  g_auto (GStrv) jids = g_strsplit (configured != NULL ? configured : "", ",", MAX_PROXY_QUERIES);

  for (guint i = 0; jids[i] != NULL; i++)
    {
      g_strstrip (jids[i]);
      if (jids[i][0] != '\0')
        send_query (net, jids[i], NS_BYTESTREAMS);
    }
  send_query (net, domain, NS_DISCO_ITEMS);
}

gboolean
xtls_s5b_net_answer (XtlsAccount *xa, const char *type, const char *id, const char *from,
                     xmlnode *iq)
{
  XtlsNet *net = xa->net;
  xmlnode *query = iq != NULL ? xmlnode_get_child (iq, "query") : NULL;
  guint queried = 0;
  const char *asked = net != NULL && id != NULL ? g_hash_table_lookup (net->queries, id) : NULL;

  /* Only the answer of the JID we asked (the server stamps from): anyone else's is not ours,
   * so that nobody can slip us a "proxy" of theirs. */
  if (asked == NULL || from == NULL || g_ascii_strcasecmp (asked, from) != 0)
    return FALSE;
  g_hash_table_remove (net->queries, id);
  if (strcmp (type, "result") != 0 || query == NULL)
    return TRUE; /* not a proxy (or no items): ours all the same */
  if (g_strcmp0 (xmlnode_get_namespace (query), NS_DISCO_ITEMS) == 0)
    {
      for (xmlnode *item = xmlnode_get_child (query, "item");
           item != NULL && queried < MAX_PROXY_QUERIES; item = xmlnode_get_next_twin (item))
        {
          const char *jid = xmlnode_get_attrib (item, "jid");
          if (jid != NULL && strlen (jid) < 1024)
            {
              send_query (net, jid, NS_BYTESTREAMS);
              queried++;
            }
        }
      return TRUE;
    }
  if (g_strcmp0 (xmlnode_get_namespace (query), NS_BYTESTREAMS) == 0 && !net->proxy_set)
    {
      xmlnode *sh = xmlnode_get_child (query, "streamhost");
      const char *jid = sh != NULL ? xmlnode_get_attrib (sh, "jid") : NULL;
      const char *host = sh != NULL ? xmlnode_get_attrib (sh, "host") : NULL;
      const char *port = sh != NULL ? xmlnode_get_attrib (sh, "port") : NULL;
      guint64 p = port != NULL ? g_ascii_strtoull (port, NULL, 10) : 0;

      /* The streamhost must be the proxy we asked (a server may not name another). */
      if (jid != NULL && host != NULL && p > 0 && p <= 65535 && g_ascii_strcasecmp (jid, from) == 0
          && strlen (host) <= 255)
        {
          net->proxy_set = TRUE;
          xtls_hub_set_proxy (xa->hub, jid, host, (guint16)p);
          purple_debug_info ("xtls", "s5b: SOCKS5 proxy %s at %s:%u\n", jid, host, (guint)p);
        }
    }
  return TRUE;
}

/* ---- life cycle -------------------------------------------------------------------------------
 */

void
xtls_s5b_net_attach (XtlsAccount *xa)
{
  XtlsNet *net = g_new0 (XtlsNet, 1);

  net->xa = xa;
  net->listen_fd = -1;
  net->hosts = g_ptr_array_new_with_free_func (g_free);
  net->conns = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)conn_free);
  net->queries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  xa->net = net;
  if (g_strcmp0 (g_getenv ("XTLS_S5B_DIRECT"), "0") != 0)
    net->listening = purple_network_listen_range (0, 0, SOCK_STREAM, on_listening, net);
  xtls_hub_set_net (xa->hub, &net_ops, xa);
  if (g_strcmp0 (g_getenv ("XTLS_S5B_PROXY"), "0") != 0)
    discover_proxy (net);
}

void
xtls_s5b_net_detach (XtlsAccount *xa)
{
  XtlsNet *net = xa->net;

  if (net == NULL)
    return;
  if (xa->hub != NULL)
    xtls_hub_set_net (xa->hub, NULL, NULL);
  if (net->listening != NULL)
    purple_network_listen_cancel (net->listening);
  if (net->listen_watch != 0)
    purple_input_remove (net->listen_watch);
  if (net->listen_fd >= 0)
    close (net->listen_fd);
  purple_proxy_connect_cancel_with_handle (net);
  g_hash_table_unref (net->conns);
  g_hash_table_unref (net->queries);
  g_ptr_array_unref (net->hosts);
  g_free (net->read_buf);
  g_free (net);
  xa->net = NULL;
}
