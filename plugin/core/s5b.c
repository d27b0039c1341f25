/* Jingle SOCKS5 Bytestreams: candidates and the SOCKS5 exchange (XEP-0260, XEP-0065,
 * RFC 1928). See s5b.h.
 *
 * The handshake is parsed one byte at a time into a fixed buffer of XTLS_S5B_MAX_REQUEST
 * bytes, and every field is checked as soon as it arrives, so a peer can neither make us
 * buffer more than one SOCKS5 message nor wait for bytes we would refuse anyway. Bytes after
 * the last handshake message are the peer's application data. */
#include "s5b.h"

#include <string.h>

#include "xtls-error.h"

/* Logs carry the log id and state, never application bytes (STYLE.md habit 7). */
#define S5B_DEBUG(conn, fmt, ...)                                                                  \
  g_debug ("s5b %s [%s]: " fmt, (conn)->log_id, xtls_s5b_state_to_string ((conn)->state),          \
           ##__VA_ARGS__)

/* RFC 1928 §3-§6. */
enum
{
  SOCKS_VERSION = 0x05,
  SOCKS_METHOD_NO_AUTH = 0x00,
  SOCKS_METHOD_NONE_ACCEPTABLE = 0xff,
  SOCKS_CMD_CONNECT = 0x01,
  SOCKS_ATYP_IPV4 = 0x01,
  SOCKS_ATYP_DOMAIN = 0x03,
  SOCKS_ATYP_IPV6 = 0x04,
  SOCKS_REP_SUCCEEDED = 0x00,
  SOCKS_REP_GENERAL_FAILURE = 0x01,
  SOCKS_REP_NOT_ALLOWED = 0x02,
  SOCKS_REP_COMMAND_NOT_SUPPORTED = 0x07,
  SOCKS_REP_ATYP_NOT_SUPPORTED = 0x08,
};

struct _XtlsS5bConn
{
  XtlsS5bState state;
  XtlsS5bRole role;
  gboolean proxy;
  char *dst_addr; /* owned */
  char *log_id;   /* owned */
  const XtlsClock *clock;
  gint64 timeout_us;
  gint64 deadline;           /* monotonic µs, 0 = none */
  const XtlsS5bConnOps *ops; /* not owned */
  gpointer user_data;

  guint8 msg[XTLS_S5B_MAX_REQUEST]; /* the handshake message being assembled */
  gsize msg_len;
  GByteArray *early; /* owned: peer bytes received in CONNECTED or ACTIVATING */
};

/* ---- candidates ---- */

guint
xtls_s5b_type_preference (XtlsS5bCandidateType type)
{
  switch (type)
    {
      case XTLS_S5B_CANDIDATE_DIRECT:
        return 126;
      case XTLS_S5B_CANDIDATE_ASSISTED:
        return 120;
      case XTLS_S5B_CANDIDATE_TUNNEL:
        return 110;
      case XTLS_S5B_CANDIDATE_PROXY:
        return 10;
    }
  return 0;
}

guint32
xtls_s5b_priority (XtlsS5bCandidateType type, guint16 local_preference)
{
  return ((guint32)xtls_s5b_type_preference (type) << 16) + local_preference;
}

static gboolean
same_endpoint (const XtlsS5bCandidateWire *c, const char *host, guint16 port)
{
  return c->port == port && g_ascii_strcasecmp (c->host, host) == 0;
}

static gboolean
endpoint_in (const GPtrArray *candidates, const char *host, guint16 port)
{
  for (guint i = 0; candidates != NULL && i < candidates->len; i++)
    if (same_endpoint (g_ptr_array_index (candidates, i), host, port))
      return TRUE;
  return FALSE;
}

/* Cids only need to be unique within the session (XEP-0260 §2.2), not secret. */
static char *
fresh_cid (const GPtrArray *ours, const GPtrArray *peers)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

  for (;;)
    {
      char cid[9];
      for (gsize i = 0; i < 8; i++)
        cid[i] = alphabet[g_random_int_range (0, sizeof alphabet - 1)];
      cid[8] = '\0';
      if (xtls_s5b_candidates_find (ours, cid) == NULL
          && (peers == NULL || xtls_s5b_candidates_find (peers, cid) == NULL))
        return g_strdup (cid);
    }
}

static void
add_candidate (GPtrArray *out, const GPtrArray *peers, const char *host, guint16 port,
               const char *jid, XtlsS5bCandidateType type, guint16 local_preference)
{
  if (endpoint_in (out, host, port) || endpoint_in (peers, host, port))
    return;
  XtlsS5bCandidateWire *c = g_new0 (XtlsS5bCandidateWire, 1);
  c->cid = fresh_cid (out, peers);
  c->host = g_strdup (host);
  c->jid = g_strdup (jid);
  c->port = port;
  c->priority = xtls_s5b_priority (type, local_preference);
  c->type = type;
  g_ptr_array_add (out, c);
}

GPtrArray *
xtls_s5b_candidates_build (const char *our_jid, const XtlsS5bLocalAddress *addresses,
                           gsize n_addresses, const XtlsS5bStreamhost *proxy,
                           const GPtrArray *peer_candidates)
{
  g_return_val_if_fail (our_jid != NULL, NULL);
  g_return_val_if_fail (addresses != NULL || n_addresses == 0, NULL);

  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)xtls_s5b_candidate_wire_free);

  for (gsize i = 0; i < n_addresses; i++)
    {
      g_return_val_if_fail (addresses[i].host != NULL, out);
      g_return_val_if_fail (addresses[i].type != XTLS_S5B_CANDIDATE_PROXY, out);
      add_candidate (out, peer_candidates, addresses[i].host, addresses[i].port, our_jid,
                     addresses[i].type, (guint16)(G_MAXUINT16 - MIN (i, G_MAXUINT16)));
    }
  if (proxy != NULL)
    {
      g_return_val_if_fail (proxy->jid != NULL && proxy->host != NULL, out);
      add_candidate (out, peer_candidates, proxy->host, proxy->port, proxy->jid,
                     XTLS_S5B_CANDIDATE_PROXY, G_MAXUINT16);
    }
  xtls_s5b_candidates_sort (out);
  return out;
}

static gint
compare_priority (gconstpointer a, gconstpointer b)
{
  const XtlsS5bCandidateWire *ca = *(const XtlsS5bCandidateWire *const *)a;
  const XtlsS5bCandidateWire *cb = *(const XtlsS5bCandidateWire *const *)b;

  return ca->priority < cb->priority ? 1 : ca->priority > cb->priority ? -1 : 0;
}

void
xtls_s5b_candidates_sort (GPtrArray *candidates)
{
  g_return_if_fail (candidates != NULL);
  /* g_ptr_array_sort() is a stable merge sort. */
  g_ptr_array_sort (candidates, compare_priority);
}

XtlsS5bCandidateWire *
xtls_s5b_candidates_find (const GPtrArray *candidates, const char *cid)
{
  for (guint i = 0; candidates != NULL && cid != NULL && i < candidates->len; i++)
    {
      XtlsS5bCandidateWire *c = g_ptr_array_index (candidates, i);
      if (g_strcmp0 (c->cid, cid) == 0)
        return c;
    }
  return NULL;
}

XtlsS5bNomination
xtls_s5b_nominate (gboolean we_are_initiator, const XtlsS5bCandidateWire *we_used,
                   const XtlsS5bCandidateWire *peer_used)
{
  if (we_used == NULL && peer_used == NULL)
    return XTLS_S5B_NOMINATED_NONE;
  if (peer_used == NULL)
    return XTLS_S5B_NOMINATED_OURS;
  if (we_used == NULL)
    return XTLS_S5B_NOMINATED_PEERS;
  if (we_used->priority != peer_used->priority)
    return we_used->priority > peer_used->priority ? XTLS_S5B_NOMINATED_OURS
                                                   : XTLS_S5B_NOMINATED_PEERS;
  /* Same priority: the initiator's candidate-used wins, as in XEP-0166. */
  return we_are_initiator ? XTLS_S5B_NOMINATED_OURS : XTLS_S5B_NOMINATED_PEERS;
}

gboolean
xtls_s5b_worth_trying (gboolean we_are_initiator, const XtlsS5bCandidateWire *untried,
                       const XtlsS5bCandidateWire *peer_used)
{
  g_return_val_if_fail (untried != NULL, FALSE);
  return xtls_s5b_nominate (we_are_initiator, untried, peer_used) == XTLS_S5B_NOMINATED_OURS;
}

char *
xtls_s5b_dst_addr (const char *sid, const char *requester_jid, const char *target_jid)
{
  g_return_val_if_fail (sid != NULL && requester_jid != NULL && target_jid != NULL, NULL);

  g_autoptr (GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (sha1, (const guchar *)sid, -1);
  g_checksum_update (sha1, (const guchar *)requester_jid, -1);
  g_checksum_update (sha1, (const guchar *)target_jid, -1);
  return g_strdup (g_checksum_get_string (sha1)); /* lowercase hex */
}

/* ---- connection state ---- */

const char *
xtls_s5b_state_to_string (XtlsS5bState state)
{
  switch (state)
    {
      case XTLS_S5B_STATE_IDLE:
        return "idle";
      case XTLS_S5B_STATE_GREETING:
        return "greeting";
      case XTLS_S5B_STATE_REQUEST:
        return "request";
      case XTLS_S5B_STATE_CONNECTED:
        return "connected";
      case XTLS_S5B_STATE_ACTIVATING:
        return "activating";
      case XTLS_S5B_STATE_ESTABLISHED:
        return "established";
      case XTLS_S5B_STATE_CLOSED:
        return "closed";
      case XTLS_S5B_STATE_FAILED:
        return "failed";
    }
  return "invalid";
}

static gboolean
state_is_final (XtlsS5bState state)
{
  return state == XTLS_S5B_STATE_CLOSED || state == XTLS_S5B_STATE_FAILED;
}

/* RFC 1928 is a fixed sequence: method selection (§3), then one request (§4) and its reply
 * (§6); XEP-0260 §2.4 adds nomination and, for a proxy, activation (XEP-0065 §6.3.5) before
 * data flows. Every state may end; nothing leaves an end or goes back. */
static gboolean
transition_allowed (XtlsS5bState from, XtlsS5bState to)
{
  if (state_is_final (to))
    return !state_is_final (from);
  switch (from)
    {
      case XTLS_S5B_STATE_IDLE:
        return to == XTLS_S5B_STATE_GREETING;
      case XTLS_S5B_STATE_GREETING:
        return to == XTLS_S5B_STATE_REQUEST;
      case XTLS_S5B_STATE_REQUEST:
        return to == XTLS_S5B_STATE_CONNECTED;
      case XTLS_S5B_STATE_CONNECTED:
        return to == XTLS_S5B_STATE_ACTIVATING || to == XTLS_S5B_STATE_ESTABLISHED;
      case XTLS_S5B_STATE_ACTIVATING:
        return to == XTLS_S5B_STATE_ESTABLISHED;
      case XTLS_S5B_STATE_ESTABLISHED:
      case XTLS_S5B_STATE_CLOSED:
      case XTLS_S5B_STATE_FAILED:
        return FALSE;
    }
  return FALSE;
}

static void
set_state (XtlsS5bConn *conn, XtlsS5bState state)
{
  g_debug ("s5b %s: %s -> %s", conn->log_id, xtls_s5b_state_to_string (conn->state),
           xtls_s5b_state_to_string (state));
  g_assert (transition_allowed (conn->state, state));
  conn->state = state;
  conn->msg_len = 0;
}

static gboolean
in_handshake (XtlsS5bConn *conn)
{
  return conn->state == XTLS_S5B_STATE_GREETING || conn->state == XTLS_S5B_STATE_REQUEST;
}

static void
arm_deadline (XtlsS5bConn *conn)
{
  conn->deadline = xtls_clock_now (conn->clock) + conn->timeout_us;
}

/* Enters CLOSED (@error NULL) or FAILED and reports it once. Callers return right after. */
static void
finish (XtlsS5bConn *conn, const GError *error)
{
  set_state (conn, error == NULL ? XTLS_S5B_STATE_CLOSED : XTLS_S5B_STATE_FAILED);
  conn->deadline = 0;
  g_byte_array_set_size (conn->early, 0);
  if (error != NULL)
    S5B_DEBUG (conn, "%s", error->message);
  conn->ops->closed (conn, error, conn->user_data);
}

static void fail (XtlsS5bConn *conn, XtlsError code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
fail (XtlsS5bConn *conn, XtlsError code, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_autoptr (GError) error = g_error_new_valist (XTLS_ERROR, code, format, args);
  va_end (args);
  finish (conn, error);
}

static void
emit (XtlsS5bConn *conn, const guint8 *data, gsize len)
{
  conn->ops->send (conn, data, len, conn->user_data);
}

static const char *
reply_to_string (guint8 rep)
{
  static const char *const names[] = {
    "succeeded",
    "general SOCKS server failure",
    "connection not allowed by ruleset",
    "network unreachable",
    "host unreachable",
    "connection refused",
    "TTL expired",
    "command not supported",
    "address type not supported",
  };

  return rep < G_N_ELEMENTS (names) ? names[rep] : "unassigned reply code";
}

/* VER REP RSV ATYP=3 LEN DST.ADDR PORT=0: a request (client) or reply (server) naming our
 * DST.ADDR; XEP-0065 §5.3.2 has the server echo it as BND.ADDR. */
static void
emit_address_message (XtlsS5bConn *conn, guint8 second)
{
  guint8 buf[5 + XTLS_S5B_DST_ADDR_LEN + 2]
      = { SOCKS_VERSION, second, 0x00, SOCKS_ATYP_DOMAIN, XTLS_S5B_DST_ADDR_LEN };

  memcpy (buf + 5, conn->dst_addr, XTLS_S5B_DST_ADDR_LEN);
  emit (conn, buf, sizeof buf);
}

/* A refusal the server can still express in SOCKS5 (RFC 1928 §6), then FAILED. */
static void
refuse (XtlsS5bConn *conn, guint8 rep, const char *why)
{
  guint8 reply[10] = { SOCKS_VERSION, rep, 0x00, SOCKS_ATYP_IPV4 }; /* 0.0.0.0:0 */

  emit (conn, reply, sizeof reply);
  if (state_is_final (conn->state))
    return;
  fail (conn, XTLS_ERROR_PROTOCOL, "refused the peer's SOCKS5 request (%s): %s",
        reply_to_string (rep), why);
}

/* ---- handshake parsing: each step sees msg[] one byte longer and acts once it is complete
 * or wrong; after an action msg[] starts over (set_state) or the connection has ended ---- */

/* RFC 1928 is done; the nomination (XEP-0260 §2.4) has no deadline of ours. */
static void
socks_done (XtlsS5bConn *conn)
{
  set_state (conn, XTLS_S5B_STATE_CONNECTED);
  conn->deadline = 0;
  if (conn->ops->connected != NULL)
    conn->ops->connected (conn, conn->user_data);
}

/* Server, RFC 1928 §3: VER NMETHODS METHODS[NMETHODS]. XEP-0065 uses no authentication. */
static void
server_greeting (XtlsS5bConn *conn)
{
  const guint8 *m = conn->msg;

  if (m[0] != SOCKS_VERSION)
    {
      fail (conn, XTLS_ERROR_PROTOCOL, "not a SOCKS5 greeting (version byte 0x%02x)", m[0]);
      return;
    }
  if (conn->msg_len < 2 || (m[1] != 0 && conn->msg_len < 2 + (gsize)m[1]))
    return;

  gboolean no_auth = memchr (m + 2, SOCKS_METHOD_NO_AUTH, m[1]) != NULL;
  guint8 reply[2]
      = { SOCKS_VERSION, no_auth ? SOCKS_METHOD_NO_AUTH : SOCKS_METHOD_NONE_ACCEPTABLE };
  emit (conn, reply, sizeof reply);
  if (state_is_final (conn->state))
    return;
  if (!no_auth)
    fail (conn, XTLS_ERROR_PROTOCOL, "the peer's SOCKS5 greeting offers no \"no authentication\"");
  else
    set_state (conn, XTLS_S5B_STATE_REQUEST);
}

/* Server, RFC 1928 §4 as XEP-0065 §10.2 maps it: CONNECT, ATYP 3, DST.ADDR = our hash.
 * DST.PORT is not checked (XEP-0065 §10.1 lets a streamhost ignore it). */
static void
server_request (XtlsS5bConn *conn)
{
  const guint8 *m = conn->msg;
  gsize n = conn->msg_len;

  if (m[0] != SOCKS_VERSION)
    {
      fail (conn, XTLS_ERROR_PROTOCOL, "not a SOCKS5 request (version byte 0x%02x)", m[0]);
      return;
    }
  if (n == 2 && m[1] != SOCKS_CMD_CONNECT)
    refuse (conn, SOCKS_REP_COMMAND_NOT_SUPPORTED, "only CONNECT is used");
  else if (n == 3 && m[2] != 0x00)
    refuse (conn, SOCKS_REP_GENERAL_FAILURE, "reserved byte not zero");
  else if (n == 4 && m[3] != SOCKS_ATYP_DOMAIN)
    refuse (conn, SOCKS_REP_ATYP_NOT_SUPPORTED, "DST.ADDR is not a domain name");
  else if (n == 5 && m[4] != XTLS_S5B_DST_ADDR_LEN)
    /* Refused at the length byte: nothing but a 40-character hash can match. */
    refuse (conn, SOCKS_REP_NOT_ALLOWED, "DST.ADDR is not a SHA-1 hash");
  else if (n == 5 + XTLS_S5B_DST_ADDR_LEN + 2)
    {
      if (conn->dst_addr == NULL)
        {
          g_autofree char *asked = g_ascii_strdown ((const char *)m + 5, XTLS_S5B_DST_ADDR_LEN);
          if (!conn->ops->match (conn, asked, conn->user_data))
            {
              refuse (conn, SOCKS_REP_NOT_ALLOWED, "DST.ADDR names no bytestream of ours");
              return;
            }
          conn->dst_addr = g_steal_pointer (&asked);
        }
      else if (g_ascii_strncasecmp ((const char *)m + 5, conn->dst_addr, XTLS_S5B_DST_ADDR_LEN)
               != 0)
        {
          refuse (conn, SOCKS_REP_NOT_ALLOWED, "DST.ADDR is not this bytestream's hash");
          return;
        }
      emit_address_message (conn, SOCKS_REP_SUCCEEDED);
      if (!state_is_final (conn->state))
        socks_done (conn);
    }
}

/* Client, RFC 1928 §3: the server's VER METHOD. */
static void
client_method (XtlsS5bConn *conn)
{
  const guint8 *m = conn->msg;

  if (m[0] != SOCKS_VERSION)
    fail (conn, XTLS_ERROR_PROTOCOL, "not a SOCKS5 method reply (version byte 0x%02x)", m[0]);
  else if (conn->msg_len < 2)
    return;
  else if (m[1] == SOCKS_METHOD_NONE_ACCEPTABLE)
    fail (conn, XTLS_ERROR_FAILED, "the SOCKS5 server requires authentication");
  else if (m[1] != SOCKS_METHOD_NO_AUTH)
    fail (conn, XTLS_ERROR_PROTOCOL,
          "the SOCKS5 server chose method 0x%02x, which we did not offer", m[1]);
  else
    {
      set_state (conn, XTLS_S5B_STATE_REQUEST);
      emit_address_message (conn, SOCKS_CMD_CONNECT);
    }
}

/* Client, RFC 1928 §6: VER REP RSV ATYP BND.ADDR BND.PORT. BND.ADDR should echo our hash
 * (XEP-0065 §5.3.2), but proxies differ, and the hash we sent already bound the stream. */
static void
client_reply (XtlsS5bConn *conn)
{
  const guint8 *m = conn->msg;
  gsize n = conn->msg_len;
  gsize total = 0;

  if (m[0] != SOCKS_VERSION)
    {
      fail (conn, XTLS_ERROR_PROTOCOL, "not a SOCKS5 reply (version byte 0x%02x)", m[0]);
      return;
    }
  if (n >= 2 && m[1] != SOCKS_REP_SUCCEEDED)
    {
      fail (conn, XTLS_ERROR_FAILED, "the SOCKS5 server refused the connection: %s (0x%02x)",
            reply_to_string (m[1]), m[1]);
      return;
    }
  if (n >= 3 && m[2] != 0x00)
    {
      fail (conn, XTLS_ERROR_PROTOCOL, "SOCKS5 reply with a non-zero reserved byte");
      return;
    }
  if (n < 4)
    return;
  switch (m[3])
    {
      case SOCKS_ATYP_IPV4:
        total = 4 + 4 + 2;
        break;
      case SOCKS_ATYP_IPV6:
        total = 4 + 16 + 2;
        break;
      case SOCKS_ATYP_DOMAIN:
        if (n < 5)
          return;
        total = 5 + (gsize)m[4] + 2;
        break;
      default:
        fail (conn, XTLS_ERROR_PROTOCOL, "SOCKS5 reply with unknown address type 0x%02x", m[3]);
        return;
    }
  if (n < total)
    return;
  if (m[3] != SOCKS_ATYP_DOMAIN || m[4] != XTLS_S5B_DST_ADDR_LEN
      || g_ascii_strncasecmp ((const char *)m + 5, conn->dst_addr, XTLS_S5B_DST_ADDR_LEN) != 0)
    S5B_DEBUG (conn, "BND.ADDR does not echo DST.ADDR; accepted");
  socks_done (conn);
}

static void
handshake_step (XtlsS5bConn *conn)
{
  gboolean client = conn->role == XTLS_S5B_ROLE_CLIENT;

  if (conn->state == XTLS_S5B_STATE_GREETING && client)
    client_method (conn);
  else if (conn->state == XTLS_S5B_STATE_GREETING)
    server_greeting (conn);
  else if (client)
    client_reply (conn);
  else
    server_request (conn);
}

/* Peer bytes after the handshake: delivered once ESTABLISHED, buffered (bounded) before. */
static void
take_data (XtlsS5bConn *conn, const guint8 *data, gsize len)
{
  if (len == 0)
    return;
  if (conn->state == XTLS_S5B_STATE_ESTABLISHED)
    {
      conn->ops->deliver (conn, data, len, conn->user_data);
      return;
    }
  if (len > XTLS_S5B_MAX_EARLY_DATA - conn->early->len)
    {
      fail (conn, XTLS_ERROR_PROTOCOL,
            "the peer sent more than %d bytes before the bytestream was selected",
            XTLS_S5B_MAX_EARLY_DATA);
      return;
    }
  g_byte_array_append (conn->early, data, len);
}

static void
establish (XtlsS5bConn *conn)
{
  set_state (conn, XTLS_S5B_STATE_ESTABLISHED);
  conn->deadline = 0;
  conn->ops->established (conn, conn->user_data);

  g_autoptr (GByteArray) early = conn->early;
  conn->early = g_byte_array_new ();
  if (conn->state == XTLS_S5B_STATE_ESTABLISHED && early->len > 0)
    conn->ops->deliver (conn, early->data, early->len, conn->user_data);
}

/* ---- API ---- */

XtlsS5bConn *
xtls_s5b_conn_new (const XtlsS5bConnConfig *config, const XtlsS5bConnOps *ops, gpointer user_data)
{
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (ops != NULL, NULL);
  g_return_val_if_fail (config->dst_addr != NULL
                            || (config->role == XTLS_S5B_ROLE_SERVER && ops->match != NULL),
                        NULL);
  g_return_val_if_fail (
      config->dst_addr == NULL || strlen (config->dst_addr) == XTLS_S5B_DST_ADDR_LEN, NULL);
  g_return_val_if_fail (config->clock != NULL, NULL);
  g_return_val_if_fail (config->timeout_us >= 0, NULL);
  g_return_val_if_fail (!config->proxy || config->role == XTLS_S5B_ROLE_CLIENT, NULL);
  g_return_val_if_fail (ops != NULL, NULL);
  g_return_val_if_fail (ops->send != NULL && ops->established != NULL, NULL);
  g_return_val_if_fail (ops->deliver != NULL && ops->closed != NULL, NULL);

  XtlsS5bConn *conn = g_new0 (XtlsS5bConn, 1);
  conn->state = XTLS_S5B_STATE_IDLE;
  conn->role = config->role;
  conn->proxy = config->proxy;
  conn->dst_addr = g_strdup (config->dst_addr);
  conn->log_id = g_strdup (config->log_id != NULL ? config->log_id : "s5b");
  conn->clock = config->clock;
  conn->timeout_us = config->timeout_us != 0 ? config->timeout_us : XTLS_S5B_DEFAULT_TIMEOUT_US;
  conn->ops = ops;
  conn->user_data = user_data;
  conn->early = g_byte_array_new ();
  arm_deadline (conn);
  return conn;
}

void
xtls_s5b_conn_free (XtlsS5bConn *conn)
{
  if (conn == NULL)
    return;
  g_free (conn->dst_addr);
  g_free (conn->log_id);
  g_byte_array_unref (conn->early);
  g_free (conn);
}

void
xtls_s5b_conn_set_ops (XtlsS5bConn *conn, const XtlsS5bConnOps *ops, gpointer user_data)
{
  g_return_if_fail (conn != NULL && ops != NULL);
  conn->ops = ops;
  conn->user_data = user_data;
}

const char *
xtls_s5b_conn_get_dst_addr (XtlsS5bConn *conn)
{
  g_return_val_if_fail (conn != NULL, NULL);
  return conn->dst_addr;
}

void
xtls_s5b_conn_start (XtlsS5bConn *conn)
{
  /* VER, NMETHODS = 1, "no authentication" (XEP-0065 §5.3.2). */
  static const guint8 greeting[3] = { SOCKS_VERSION, 1, SOCKS_METHOD_NO_AUTH };

  g_return_if_fail (conn != NULL);
  if (state_is_final (conn->state))
    return;
  g_return_if_fail (conn->state == XTLS_S5B_STATE_IDLE);

  set_state (conn, XTLS_S5B_STATE_GREETING);
  if (conn->role == XTLS_S5B_ROLE_CLIENT)
    emit (conn, greeting, sizeof greeting);
}

void
xtls_s5b_conn_receive (XtlsS5bConn *conn, const guint8 *data, gsize len)
{
  g_return_if_fail (conn != NULL);
  g_return_if_fail (data != NULL || len == 0);

  if (state_is_final (conn->state))
    return;
  g_return_if_fail (conn->state != XTLS_S5B_STATE_IDLE || len == 0);

  gsize i = 0;
  while (i < len && in_handshake (conn))
    {
      /* Each step checks the message as it grows and consumes it when complete, and no
       * message is longer than the buffer, so this cannot overflow. */
      g_assert (conn->msg_len < sizeof conn->msg);
      conn->msg[conn->msg_len++] = data[i++];
      handshake_step (conn);
    }
  if (!state_is_final (conn->state) && !in_handshake (conn))
    take_data (conn, data + i, len - i);
}

void
xtls_s5b_conn_eof (XtlsS5bConn *conn)
{
  g_return_if_fail (conn != NULL);

  if (state_is_final (conn->state))
    return;
  if (conn->state == XTLS_S5B_STATE_ESTABLISHED)
    finish (conn, NULL);
  else
    fail (conn, XTLS_ERROR_FAILED, "the connection closed before the bytestream was %s",
          in_handshake (conn) ? "negotiated" : "ready");
}

void
xtls_s5b_conn_select (XtlsS5bConn *conn)
{
  g_return_if_fail (conn != NULL);
  if (state_is_final (conn->state))
    return;
  g_return_if_fail (conn->state == XTLS_S5B_STATE_CONNECTED);

  if (!conn->proxy)
    {
      establish (conn);
      return;
    }
  /* XEP-0260 §2.4: the offerer activates the proxy and tells the peer; neither sends data
   * before that (the proxy drops it anyway: XEP-0065 §10.1). */
  set_state (conn, XTLS_S5B_STATE_ACTIVATING);
  arm_deadline (conn);
}

void
xtls_s5b_conn_activated (XtlsS5bConn *conn, const GError *error)
{
  g_return_if_fail (conn != NULL);
  if (state_is_final (conn->state))
    return;
  g_return_if_fail (conn->state == XTLS_S5B_STATE_ACTIVATING);

  if (error != NULL)
    finish (conn, error);
  else
    establish (conn);
}

gboolean
xtls_s5b_conn_send (XtlsS5bConn *conn, const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (conn->state != XTLS_S5B_STATE_ESTABLISHED)
    {
      g_set_error (error, XTLS_ERROR, XTLS_ERROR_FAILED,
                   "SOCKS5 bytestream %s is %s, not established", conn->log_id,
                   xtls_s5b_state_to_string (conn->state));
      return FALSE;
    }
  if (len > 0)
    emit (conn, data, len);
  return TRUE;
}

void
xtls_s5b_conn_close (XtlsS5bConn *conn)
{
  g_return_if_fail (conn != NULL);
  if (!state_is_final (conn->state))
    finish (conn, NULL);
}

void
xtls_s5b_conn_abort (XtlsS5bConn *conn, const GError *error)
{
  g_return_if_fail (conn != NULL);
  g_return_if_fail (error != NULL);
  if (!state_is_final (conn->state))
    finish (conn, error);
}

gint64
xtls_s5b_conn_next_deadline (XtlsS5bConn *conn)
{
  g_return_val_if_fail (conn != NULL, 0);
  return conn->deadline;
}

void
xtls_s5b_conn_tick (XtlsS5bConn *conn)
{
  g_return_if_fail (conn != NULL);

  if (conn->deadline == 0 || xtls_clock_now (conn->clock) < conn->deadline)
    return;
  fail (conn, XTLS_ERROR_TIMEOUT, "SOCKS5 bytestream timed out while %s",
        conn->state == XTLS_S5B_STATE_ACTIVATING ? "waiting for the proxy's activation"
        : conn->state == XTLS_S5B_STATE_IDLE     ? "connecting"
                                                 : "negotiating SOCKS5");
}

XtlsS5bState
xtls_s5b_conn_get_state (XtlsS5bConn *conn)
{
  g_return_val_if_fail (conn != NULL, XTLS_S5B_STATE_FAILED);
  return conn->state;
}
