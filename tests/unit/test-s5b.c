/* Unit tests for the SOCKS5 bytestream engine (plugin/core/s5b.c, XEP-0260, XEP-0065,
 * RFC 1928).
 *
 * A client and a server connection are wired back to back in memory (libnice's
 * test-pseudotcp style): what one sends lands in its outbox and the test decides how to cut it
 * up before the other receives it. Malformed input is fed to a single connection as hex, so
 * that the exact answer on the wire can be compared. */
#include <string.h>

#include "fake-clock.h"
#include "s5b.h"
#include "xtls-error.h"

#define SID "vj3hs98y"
#define ROMEO "romeo@montague.lit/orchard"
#define JULIET "juliet@capulet.lit/balcony"

/* ---- one end of a connection ---- */

typedef struct
{
  XtlsS5bConn *conn;
  GByteArray *outbox;   /* sent, not yet forwarded */
  GByteArray *wire;     /* everything ever sent */
  GByteArray *received; /* everything delivered */
  gsize forwarded;      /* bytes of wire already forwarded */
  guint connected_count, established_count, closed_count;
  GError *closed_error; /* owned copy */
  gboolean select_on_connected;
  gboolean close_on_connected;
} Peer;

static void
on_send (XtlsS5bConn *conn, const guint8 *data, gsize len, gpointer user_data)
{
  Peer *peer = user_data;

  g_assert_cmpuint (len, >, 0);
  g_byte_array_append (peer->outbox, data, len);
  g_byte_array_append (peer->wire, data, len);
}

static void
on_connected (XtlsS5bConn *conn, gpointer user_data)
{
  Peer *peer = user_data;

  g_assert_cmpint (xtls_s5b_conn_get_state (conn), ==, XTLS_S5B_STATE_CONNECTED);
  peer->connected_count++;
  if (peer->close_on_connected)
    xtls_s5b_conn_close (conn);
  else if (peer->select_on_connected)
    xtls_s5b_conn_select (conn);
}

static void
on_established (XtlsS5bConn *conn, gpointer user_data)
{
  Peer *peer = user_data;

  /* Nothing is delivered before the glue has heard that data may flow. */
  g_assert_cmpuint (peer->received->len, ==, 0);
  peer->established_count++;
}

static void
on_deliver (XtlsS5bConn *conn, const guint8 *data, gsize len, gpointer user_data)
{
  Peer *peer = user_data;

  g_assert_cmpint (xtls_s5b_conn_get_state (conn), ==, XTLS_S5B_STATE_ESTABLISHED);
  g_byte_array_append (peer->received, data, len);
}

static void
on_closed (XtlsS5bConn *conn, const GError *error, gpointer user_data)
{
  Peer *peer = user_data;

  peer->closed_count++;
  g_assert_cmpuint (peer->closed_count, ==, 1);
  if (error != NULL)
    peer->closed_error = g_error_copy (error);
}

static const XtlsS5bConnOps test_ops = {
  .send = on_send,
  .connected = on_connected,
  .established = on_established,
  .deliver = on_deliver,
  .closed = on_closed,
};

static XtlsFakeClock fake_clock;

static char *
our_dst_addr (void)
{
  return xtls_s5b_dst_addr (SID, ROMEO, JULIET);
}

static void
peer_init (Peer *peer, XtlsS5bRole role, gboolean proxy)
{
  g_autofree char *dst_addr = our_dst_addr ();
  XtlsS5bConnConfig config = {
    .role = role,
    .dst_addr = dst_addr,
    .proxy = proxy,
    .clock = &fake_clock.clock,
    .timeout_us = 5 * G_USEC_PER_SEC,
    .log_id = role == XTLS_S5B_ROLE_CLIENT ? "client" : "server",
  };

  memset (peer, 0, sizeof *peer);
  peer->outbox = g_byte_array_new ();
  peer->wire = g_byte_array_new ();
  peer->received = g_byte_array_new ();
  peer->conn = xtls_s5b_conn_new (&config, &test_ops, peer);
  g_assert_nonnull (peer->conn);
}

static void
peer_clear (Peer *peer)
{
  xtls_s5b_conn_free (peer->conn);
  g_byte_array_unref (peer->outbox);
  g_byte_array_unref (peer->wire);
  g_byte_array_unref (peer->received);
  g_clear_error (&peer->closed_error);
}

/* Moves @from's outbox to @to, cut every @chunk bytes (0: not) and at absolute offset @split
 * of @from's stream (0: not). */
static void
forward (Peer *from, Peer *to, gsize chunk, gsize split)
{
  g_autoptr (GByteArray) bytes = from->outbox;
  from->outbox = g_byte_array_new ();

  for (gsize pos = 0; pos < bytes->len;)
    {
      gsize n = bytes->len - pos;
      gsize at = from->forwarded + pos;
      if (chunk > 0)
        n = MIN (n, chunk);
      if (split > at && split - at < n)
        n = split - at;
      xtls_s5b_conn_receive (to->conn, bytes->data + pos, n);
      pos += n;
    }
  from->forwarded += bytes->len;
}

static void
pump (Peer *a, Peer *b, gsize chunk, gsize split)
{
  while (a->outbox->len > 0 || b->outbox->len > 0)
    {
      forward (a, b, chunk, split);
      forward (b, a, chunk, split);
    }
}

/* Hex with spaces; 'H' stands for this test's 40-byte DST.ADDR, 'X' for 40 bytes of a wrong
 * one, 'L' and 'K' for 255 and 254 bytes of 'a'. */
static GByteArray *
bytes_from_template (const char *tmpl)
{
  g_autofree char *hash = our_dst_addr ();
  GByteArray *out = g_byte_array_new ();

  for (const char *p = tmpl; *p != '\0'; p++)
    {
      if (*p == ' ')
        continue;
      if (strchr ("HXLK", *p) != NULL)
        {
          gsize n = *p == 'L' ? 255 : *p == 'K' ? 254 : 40;
          for (gsize i = 0; i < n; i++)
            g_byte_array_append (out,
                                 (const guint8 *)(*p == 'H'   ? hash + i
                                                  : *p == 'X' ? "0"
                                                              : "a"),
                                 1);
          continue;
        }
      g_assert_true (g_ascii_isxdigit (p[0]) && g_ascii_isxdigit (p[1]));
      guint8 b = (guint8)(g_ascii_xdigit_value (p[0]) << 4 | g_ascii_xdigit_value (p[1]));
      g_byte_array_append (out, &b, 1);
      p++;
    }
  return out;
}

static void
assert_bytes (GByteArray *actual, const char *tmpl)
{
  g_autoptr (GByteArray) expected = bytes_from_template (tmpl);
  g_assert_cmpmem (actual->data, actual->len, expected->data, expected->len);
}

#define GREETING "05 01 00"
#define REQUEST "05 01 00 03 28 H 00 00"
#define METHOD_OK "05 00"
#define REPLY_OK "05 00 00 03 28 H 00 00"

static void
assert_failed (Peer *peer, XtlsError code)
{
  g_assert_cmpint (xtls_s5b_conn_get_state (peer->conn), ==, XTLS_S5B_STATE_FAILED);
  g_assert_cmpuint (peer->closed_count, ==, 1);
  g_assert_error (peer->closed_error, XTLS_ERROR, (gint)code);
  g_assert_cmpint (xtls_s5b_conn_next_deadline (peer->conn), ==, 0);
}

/* ---- candidates ---- */

typedef struct
{
  const char *name;
  XtlsS5bCandidateType type;
  guint16 local_preference;
  guint32 expected;
} PriorityCase;

/* name, type, local preference, expected priority */
static const PriorityCase priority_cases[] = {
  { "direct-0", XTLS_S5B_CANDIDATE_DIRECT, 0, 126u << 16 },
  /* XEP-0260 §2.2's first example candidate: 8257636 = 126 * 65536 + 100. */
  { "direct-xep", XTLS_S5B_CANDIDATE_DIRECT, 100, 8257636 },
  { "assisted-max", XTLS_S5B_CANDIDATE_ASSISTED, 65535, 120u * 65536 + 65535 },
  { "tunnel-1", XTLS_S5B_CANDIDATE_TUNNEL, 1, 110u * 65536 + 1 },
  { "proxy-max", XTLS_S5B_CANDIDATE_PROXY, 65535, 720895 },
};

static void
test_priority (gconstpointer data)
{
  const PriorityCase *c = data;

  g_assert_cmpuint (xtls_s5b_priority (c->type, c->local_preference), ==, c->expected);
}

static void
test_candidates_build (void)
{
  static const XtlsS5bLocalAddress addresses[] = {
    { .host = "192.168.4.1", .port = 5086, .type = XTLS_S5B_CANDIDATE_DIRECT },
    { .host = "24.24.24.1", .port = 5087, .type = XTLS_S5B_CANDIDATE_ASSISTED },
    { .host = "2001:db8::1", .port = 5086, .type = XTLS_S5B_CANDIDATE_DIRECT },
    { .host = "192.168.4.1", .port = 5086, .type = XTLS_S5B_CANDIDATE_DIRECT }, /* duplicate */
  };
  const XtlsS5bStreamhost proxy = { .jid = "proxy.montague.lit", .host = "10.0.0.9", .port = 7777 };
  g_autoptr (GPtrArray) list
      = xtls_s5b_candidates_build (ROMEO, addresses, G_N_ELEMENTS (addresses), &proxy, NULL);
  static const struct
  {
    const char *host;
    XtlsS5bCandidateType type;
    guint32 priority;
  } expected[] = {
    { "192.168.4.1", XTLS_S5B_CANDIDATE_DIRECT, 126u * 65536 + 65535 },
    { "2001:db8::1", XTLS_S5B_CANDIDATE_DIRECT, 126u * 65536 + 65533 },
    { "24.24.24.1", XTLS_S5B_CANDIDATE_ASSISTED, 120u * 65536 + 65534 },
    { "10.0.0.9", XTLS_S5B_CANDIDATE_PROXY, 10u * 65536 + 65535 },
  };

  g_assert_cmpuint (list->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < list->len; i++)
    {
      const XtlsS5bCandidateWire *c = g_ptr_array_index (list, i);
      g_assert_cmpstr (c->host, ==, expected[i].host);
      g_assert_cmpint (c->type, ==, expected[i].type);
      g_assert_cmpuint (c->priority, ==, expected[i].priority);
      g_assert_cmpstr (c->jid, ==, c->type == XTLS_S5B_CANDIDATE_PROXY ? proxy.jid : ROMEO);
      g_assert_cmpuint (strlen (c->cid), ==, 8);
      g_assert_true (xtls_s5b_candidates_find (list, c->cid) == c);
      for (guint j = 0; j < i; j++)
        g_assert_cmpstr (((XtlsS5bCandidateWire *)g_ptr_array_index (list, j))->cid, !=, c->cid);
    }
  g_assert_null (xtls_s5b_candidates_find (list, "nope"));

  /* The responder repeats none of the initiator's host/port pairs (XEP-0260 §2.2). */
  const XtlsS5bLocalAddress juliet_addr = { .host = "192.168.4.2", .port = 6539 };
  g_autoptr (GPtrArray) juliet = xtls_s5b_candidates_build (JULIET, &juliet_addr, 1, &proxy, list);
  g_assert_cmpuint (juliet->len, ==, 1);
  const XtlsS5bCandidateWire *only = g_ptr_array_index (juliet, 0);
  g_assert_cmpstr (only->host, ==, "192.168.4.2");
  g_assert_null (xtls_s5b_candidates_find (list, only->cid));

  g_autoptr (XtlsS5bCandidateWire) copy = xtls_s5b_candidate_wire_copy (only);
  g_assert_cmpstr (copy->cid, ==, only->cid);
  g_assert_true (copy->host != only->host);
}

static void
test_candidates_sort (void)
{
  static const guint32 prios[] = { 10, 8257636, 720895, 8257636, 7929856, 10 };
  static const guint expected_order[] = { 1, 3, 4, 2, 0, 5 }; /* ties keep their order */
  g_autoptr (XtlsS5bTransportWire) t = xtls_s5b_transport_wire_new (SID);

  for (guint i = 0; i < G_N_ELEMENTS (prios); i++)
    {
      g_autofree char *cid = g_strdup_printf ("c%u", i);
      xtls_s5b_transport_wire_add (t, cid, "h", "j", 1, prios[i], XTLS_S5B_CANDIDATE_DIRECT);
    }
  xtls_s5b_candidates_sort (t->candidates);
  for (guint i = 0; i < t->candidates->len; i++)
    {
      g_autofree char *cid = g_strdup_printf ("c%u", expected_order[i]);
      g_assert_cmpstr (((XtlsS5bCandidateWire *)g_ptr_array_index (t->candidates, i))->cid, ==,
                       cid);
    }
}

/* ---- DST.ADDR ---- */

typedef struct
{
  const char *name;
  const char *sid, *requester, *target;
  const char *expected; /* NULL: compare with GChecksum over the concatenation */
} DstAddrCase;

/* name, sid, requester, target, expected (NULL: only the independent computation) */
static const DstAddrCase dst_addr_cases[] = {
  /* XEP-0260 §2.2's two examples: the initiator's dstaddr, then the responder's. */
  { "xep0260-initiator", SID, ROMEO, JULIET, "972b7bf47291ca609517f67f86b5081086052dad" },
  { "xep0260-responder", SID, JULIET, ROMEO, "1a12fb7bc625e55f3ed5b29a53dbe0e4aa7d80ba" },
  { "bare-jids", "s", "a@example.org", "b@example.net", NULL },
  { "utf8", "\xc3\xa9t\xc3\xa9", "j\xc3\xbcrgen@example.de/r", "b@example.net/x", NULL },
};

static void
test_dst_addr (gconstpointer data)
{
  const DstAddrCase *c = data;
  g_autofree char *actual = xtls_s5b_dst_addr (c->sid, c->requester, c->target);
  g_autofree char *joined = g_strconcat (c->sid, c->requester, c->target, NULL);
  g_autofree char *independent = g_compute_checksum_for_string (G_CHECKSUM_SHA1, joined, -1);

  g_assert_cmpuint (strlen (actual), ==, XTLS_S5B_DST_ADDR_LEN);
  g_assert_cmpstr (actual, ==, independent);
  if (c->expected != NULL)
    g_assert_cmpstr (actual, ==, c->expected);
  /* Direction matters: the offerer is the requester. */
  g_autofree char *reversed = xtls_s5b_dst_addr (c->sid, c->target, c->requester);
  g_assert_cmpstr (reversed, !=, actual);
}

/* ---- nomination (XEP-0260 §2.4) ---- */

typedef struct
{
  const char *name;
  gboolean initiator;
  guint32 we_used, peer_used; /* priorities; 0: candidate-error */
  XtlsS5bNomination expected;
} NominateCase;

/* name, we initiated, priority we used, priority the peer used (0: candidate-error), winner */
static const NominateCase nominate_cases[] = {
  { "both-error", TRUE, 0, 0, XTLS_S5B_NOMINATED_NONE },
  { "peer-error", FALSE, 10, 0, XTLS_S5B_NOMINATED_OURS },
  { "we-error", FALSE, 0, 10, XTLS_S5B_NOMINATED_PEERS },
  { "ours-higher", FALSE, 8257636, 720895, XTLS_S5B_NOMINATED_OURS },
  { "peers-higher", TRUE, 720895, 8257636, XTLS_S5B_NOMINATED_PEERS },
  { "tie-we-initiate", TRUE, 500, 500, XTLS_S5B_NOMINATED_OURS },
  { "tie-peer-initiates", FALSE, 500, 500, XTLS_S5B_NOMINATED_PEERS },
};

static void
test_nominate (gconstpointer data)
{
  const NominateCase *c = data;
  XtlsS5bCandidateWire we_used = { .priority = c->we_used };
  XtlsS5bCandidateWire peer_used = { .priority = c->peer_used };
  const XtlsS5bCandidateWire *w = c->we_used != 0 ? &we_used : NULL;
  const XtlsS5bCandidateWire *p = c->peer_used != 0 ? &peer_used : NULL;

  g_assert_cmpint (xtls_s5b_nominate (c->initiator, w, p), ==, c->expected);
  /* The peer, with the roles swapped, reaches the mirror-image decision. */
  XtlsS5bNomination mirrored = c->expected == XTLS_S5B_NOMINATED_OURS    ? XTLS_S5B_NOMINATED_PEERS
                               : c->expected == XTLS_S5B_NOMINATED_PEERS ? XTLS_S5B_NOMINATED_OURS
                                                                         : XTLS_S5B_NOMINATED_NONE;
  g_assert_cmpint (xtls_s5b_nominate (!c->initiator, p, w), ==, mirrored);
  /* XEP-0260 §2.3: an untried candidate of ours is only worth trying if it could win. */
  if (w != NULL && p != NULL)
    g_assert_cmpint (xtls_s5b_worth_trying (c->initiator, w, p), ==,
                     c->expected == XTLS_S5B_NOMINATED_OURS);
}

/* ---- the handshake between two engines ---- */

static void
handshake (Peer *client, Peer *server, gsize chunk, gsize split)
{
  xtls_s5b_conn_start (server->conn);
  xtls_s5b_conn_start (client->conn);
  pump (client, server, chunk, split);
}

static void
exchange_data (Peer *client, Peer *server, gsize chunk, gsize split)
{
  static const char c2s[] = "from the client: a TLS ClientHello, say";
  static const char s2c[] = "from the server";

  g_assert_true (xtls_s5b_conn_send (client->conn, (const guint8 *)c2s, sizeof c2s, NULL));
  g_assert_true (xtls_s5b_conn_send (server->conn, (const guint8 *)s2c, sizeof s2c, NULL));
  pump (client, server, chunk, split);
  g_assert_cmpmem (server->received->data, server->received->len, c2s, sizeof c2s);
  g_assert_cmpmem (client->received->data, client->received->len, s2c, sizeof s2c);
}

/* @data: the chunk size (0 = whole writes). Every split point of the client's stream and of
 * the server's stream is tried, from the greeting through the application data. */
static void
test_handshake (gconstpointer data)
{
  gsize chunk = GPOINTER_TO_SIZE (data);

  for (gsize split = 0; split <= 5 + XTLS_S5B_DST_ADDR_LEN + 2 + 3 + 40; split++)
    {
      Peer client, server;
      peer_init (&client, XTLS_S5B_ROLE_CLIENT, FALSE);
      peer_init (&server, XTLS_S5B_ROLE_SERVER, FALSE);

      handshake (&client, &server, chunk, split);
      assert_bytes (client.wire, GREETING REQUEST);
      assert_bytes (server.wire, METHOD_OK REPLY_OK);
      g_assert_cmpint (xtls_s5b_conn_get_state (client.conn), ==, XTLS_S5B_STATE_CONNECTED);
      g_assert_cmpint (xtls_s5b_conn_get_state (server.conn), ==, XTLS_S5B_STATE_CONNECTED);
      g_assert_cmpuint (client.connected_count, ==, 1);
      g_assert_cmpuint (server.connected_count, ==, 1);
      g_assert_false (xtls_s5b_conn_send (client.conn, (const guint8 *)"x", 1, NULL));

      xtls_s5b_conn_select (client.conn);
      xtls_s5b_conn_select (server.conn);
      g_assert_cmpuint (client.established_count, ==, 1);
      g_assert_cmpuint (server.established_count, ==, 1);
      exchange_data (&client, &server, chunk, split);
      g_assert_cmpuint (client.closed_count + server.closed_count, ==, 0);
      peer_clear (&client);
      peer_clear (&server);
    }
}

/* The server's data can overtake its candidate-used: held until we select, then delivered. */
static void
test_early_data (void)
{
  Peer client, server;
  peer_init (&client, XTLS_S5B_ROLE_CLIENT, FALSE);
  peer_init (&server, XTLS_S5B_ROLE_SERVER, FALSE);
  server.select_on_connected = TRUE;

  xtls_s5b_conn_start (server.conn);
  xtls_s5b_conn_start (client.conn);
  forward (&client, &server, 0, 0);
  forward (&server, &client, 0, 0);
  forward (&client, &server, 0, 0);
  g_assert_cmpint (xtls_s5b_conn_get_state (server.conn), ==, XTLS_S5B_STATE_ESTABLISHED);
  g_assert_true (xtls_s5b_conn_send (server.conn, (const guint8 *)"early", 5, NULL));
  forward (&server, &client, 0, 0); /* the reply and the data in one read */

  g_assert_cmpint (xtls_s5b_conn_get_state (client.conn), ==, XTLS_S5B_STATE_CONNECTED);
  g_assert_cmpuint (client.received->len, ==, 0);
  xtls_s5b_conn_receive (client.conn, (const guint8 *)"+more", 5);
  xtls_s5b_conn_select (client.conn);
  g_assert_cmpmem (client.received->data, client.received->len, "early+more", 10);
  peer_clear (&client);
  peer_clear (&server);
}

/* A client that sends greeting, request and data in one write; the server's glue selects the
 * candidate from inside the connected callback, so the tail is delivered straight away. */
static void
test_pipelined (void)
{
  Peer server;
  g_autoptr (GByteArray) in = bytes_from_template (GREETING REQUEST "74 61 69 6c");

  peer_init (&server, XTLS_S5B_ROLE_SERVER, FALSE);
  server.select_on_connected = TRUE;
  xtls_s5b_conn_start (server.conn);
  xtls_s5b_conn_receive (server.conn, in->data, in->len);
  assert_bytes (server.wire, METHOD_OK REPLY_OK);
  g_assert_cmpmem (server.received->data, server.received->len, "tail", 4);
  peer_clear (&server);

  /* Closing from the callback drops the rest of the read. */
  peer_init (&server, XTLS_S5B_ROLE_SERVER, FALSE);
  server.close_on_connected = TRUE;
  xtls_s5b_conn_start (server.conn);
  xtls_s5b_conn_receive (server.conn, in->data, in->len);
  g_assert_cmpint (xtls_s5b_conn_get_state (server.conn), ==, XTLS_S5B_STATE_CLOSED);
  g_assert_cmpuint (server.closed_count, ==, 1);
  g_assert_null (server.closed_error);
  g_assert_cmpuint (server.received->len, ==, 0);
  peer_clear (&server);
}

static void
test_early_data_limit (void)
{
  Peer client, server;
  g_autofree guint8 *junk = g_malloc0 (XTLS_S5B_MAX_EARLY_DATA);

  peer_init (&client, XTLS_S5B_ROLE_CLIENT, FALSE);
  peer_init (&server, XTLS_S5B_ROLE_SERVER, FALSE);
  handshake (&client, &server, 0, 0);
  xtls_s5b_conn_receive (client.conn, junk, XTLS_S5B_MAX_EARLY_DATA);
  g_assert_cmpint (xtls_s5b_conn_get_state (client.conn), ==, XTLS_S5B_STATE_CONNECTED);
  xtls_s5b_conn_receive (client.conn, junk, 1);
  assert_failed (&client, XTLS_ERROR_PROTOCOL);
  peer_clear (&client);
  peer_clear (&server);
}

/* ---- proxy activation (XEP-0260 §2.4, XEP-0065 §6.3.5) ---- */

static void
test_proxy (gconstpointer data)
{
  gboolean succeed = GPOINTER_TO_INT (data);
  Peer client, proxy;
  GError *error = NULL;

  peer_init (&client, XTLS_S5B_ROLE_CLIENT, TRUE);
  peer_init (&proxy, XTLS_S5B_ROLE_SERVER, FALSE); /* the proxy's SOCKS5 side */
  handshake (&client, &proxy, 1, 0);
  xtls_fake_clock_advance (&fake_clock, 3 * G_USEC_PER_SEC);
  xtls_s5b_conn_select (client.conn);
  g_assert_cmpint (xtls_s5b_conn_get_state (client.conn), ==, XTLS_S5B_STATE_ACTIVATING);
  g_assert_cmpint (xtls_s5b_conn_next_deadline (client.conn), ==,
                   fake_clock.now + 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (client.established_count, ==, 0);
  g_assert_false (xtls_s5b_conn_send (client.conn, (const guint8 *)"x", 1, &error));
  g_assert_error (error, XTLS_ERROR, XTLS_ERROR_FAILED);
  g_clear_error (&error);

  xtls_s5b_conn_select (proxy.conn);
  g_assert_true (xtls_s5b_conn_send (proxy.conn, (const guint8 *)"relayed", 7, NULL));
  forward (&proxy, &client, 0, 0);
  g_assert_cmpuint (client.received->len, ==, 0);

  if (succeed)
    {
      xtls_s5b_conn_activated (client.conn, NULL);
      g_assert_cmpint (xtls_s5b_conn_get_state (client.conn), ==, XTLS_S5B_STATE_ESTABLISHED);
      g_assert_cmpint (xtls_s5b_conn_next_deadline (client.conn), ==, 0);
      g_assert_cmpmem (client.received->data, client.received->len, "relayed", 7);
      client.received->len = proxy.received->len = 0;
      exchange_data (&client, &proxy, 0, 0);
    }
  else
    {
      g_autoptr (GError) proxy_error
          = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_PROTOCOL, "<proxy-error/>");
      xtls_s5b_conn_activated (client.conn, proxy_error);
      assert_failed (&client, XTLS_ERROR_PROTOCOL);
      g_assert_cmpuint (client.received->len, ==, 0);
      xtls_s5b_conn_activated (client.conn, NULL); /* late: ignored */
      g_assert_cmpuint (client.established_count, ==, 0);
    }
  peer_clear (&client);
  peer_clear (&proxy);
}

/* ---- malformed input ---- */

typedef struct
{
  const char *name;     /* "server/..." or "client/...": our role */
  const char *input;    /* template of what the peer sends */
  const char *expected; /* template of everything we send */
  int code;             /* the XtlsError of FAILED, or OK: CONNECTED */
} InputCase;

#define OK (-1)
#define PROTOCOL XTLS_ERROR_PROTOCOL
#define REFUSED XTLS_ERROR_FAILED

#define REFUSE(rep) METHOD_OK " 05 " rep " 00 01 00000000 0000"

static const InputCase input_cases[] = {
  /* the server, fed by a client */
  { "server/wrong-version", "04 01 00", "", PROTOCOL },
  { "server/zero-methods", "05 00", "05 ff", PROTOCOL },
  { "server/no-acceptable-method", "05 02 01 02", "05 ff", PROTOCOL },
  { "server/request-wrong-version", GREETING "04 01 00 03 28 H 0000", METHOD_OK, PROTOCOL },
  { "server/command-bind", GREETING "05 02 00 03 28 H 0000", REFUSE ("07"), PROTOCOL },
  { "server/command-udp", GREETING "05 03 00 03 28 H 0000", REFUSE ("07"), PROTOCOL },
  { "server/reserved-set", GREETING "05 01 01 03 28 H 0000", REFUSE ("01"), PROTOCOL },
  { "server/atyp-ipv4", GREETING "05 01 00 01 7f000001 0000", REFUSE ("08"), PROTOCOL },
  { "server/atyp-ipv6", GREETING "05 01 00 04 20010db8000000000000000000000001 0000", REFUSE ("08"),
    PROTOCOL },
  { "server/wrong-hash", GREETING "05 01 00 03 28 X 0000", REFUSE ("02"), PROTOCOL },
  { "server/short-hash", GREETING "05 01 00 03 14 X", REFUSE ("02"), PROTOCOL },
  /* 262 bytes, the most SOCKS5 allows, and garbage behind: refused at the length byte. */
  { "server/oversized-request", GREETING "05 01 00 03 ff L 0000 L", REFUSE ("02"), PROTOCOL },
  { "server/ok-many-methods", "05 03 02 01 00" REQUEST, METHOD_OK REPLY_OK, OK },
  { "server/ok-max-methods", "05 ff K 00" REQUEST, METHOD_OK REPLY_OK, OK },
  { "server/ok-port-ignored", GREETING "05 01 00 03 28 H 1f90", METHOD_OK REPLY_OK, OK },
  /* the client, fed by a streamhost */
  { "client/method-wrong-version", "04 00", GREETING, PROTOCOL },
  { "client/method-none-acceptable", "05 ff", GREETING, REFUSED },
  { "client/method-not-offered", "05 02", GREETING, PROTOCOL },
  { "client/reply-wrong-version", METHOD_OK "04 00 00 03 28 H 0000", GREETING REQUEST, PROTOCOL },
  { "client/reply-refused", REFUSE ("05"), GREETING REQUEST, REFUSED },
  { "client/reply-unassigned", REFUSE ("42"), GREETING REQUEST, REFUSED },
  { "client/reply-reserved-set", METHOD_OK "05 00 07 03 28 H 0000", GREETING REQUEST, PROTOCOL },
  { "client/reply-atyp-unknown", METHOD_OK "05 00 00 02 0000", GREETING REQUEST, PROTOCOL },
  { "client/ok-ipv4", METHOD_OK "05 00 00 01 0a000009 1e61", GREETING REQUEST, OK },
  { "client/ok-ipv6", METHOD_OK "05 00 00 04 20010db8000000000000000000000009 1e61",
    GREETING REQUEST, OK },
  { "client/ok-other-domain", METHOD_OK "05 00 00 03 ff L 0000", GREETING REQUEST, OK },
};

/* Fed whole, then byte by byte: the same answer, the same end, and nothing after the end. */
static void
test_input (gconstpointer data)
{
  const InputCase *c = data;
  g_autoptr (GByteArray) in = bytes_from_template (c->input);

  for (gsize chunk = 0; chunk <= 1; chunk++)
    {
      Peer peer;
      peer_init (&peer,
                 g_str_has_prefix (c->name, "server/") ? XTLS_S5B_ROLE_SERVER
                                                       : XTLS_S5B_ROLE_CLIENT,
                 FALSE);
      xtls_s5b_conn_start (peer.conn);
      for (gsize pos = 0; pos < in->len; pos += chunk != 0 ? chunk : in->len)
        xtls_s5b_conn_receive (peer.conn, in->data + pos, chunk != 0 ? chunk : in->len);
      assert_bytes (peer.wire, c->expected);
      if (c->code != OK)
        {
          assert_failed (&peer, c->code);
          g_byte_array_append (in, (const guint8 *)"\x05\x00garbage", 9);
          xtls_s5b_conn_receive (peer.conn, in->data, in->len);
          xtls_s5b_conn_eof (peer.conn);
          xtls_s5b_conn_tick (peer.conn);
          assert_bytes (peer.wire, c->expected);
          assert_failed (&peer, c->code);
          g_byte_array_set_size (in, in->len - 9);
        }
      else
        {
          g_assert_cmpint (xtls_s5b_conn_get_state (peer.conn), ==, XTLS_S5B_STATE_CONNECTED);
          g_assert_cmpuint (peer.connected_count, ==, 1);
          g_assert_cmpuint (peer.closed_count, ==, 0);
        }
      peer_clear (&peer);
    }
}

/* ---- deadlines ---- */

typedef enum
{
  AT_IDLE,       /* never connected */
  AT_GREETING,   /* client: the method reply never comes; server: no greeting */
  AT_REQUEST,    /* client: no reply to CONNECT; server: no CONNECT */
  AT_CONNECTED,  /* no deadline while the nomination is pending */
  AT_ACTIVATING, /* the proxy never answers */
} Phase;

typedef struct
{
  const char *name;
  XtlsS5bRole role;
  Phase phase;
} TimeoutCase;

static const TimeoutCase timeout_cases[] = {
  { "client/idle", XTLS_S5B_ROLE_CLIENT, AT_IDLE },
  { "client/greeting", XTLS_S5B_ROLE_CLIENT, AT_GREETING },
  { "client/request", XTLS_S5B_ROLE_CLIENT, AT_REQUEST },
  { "client/connected", XTLS_S5B_ROLE_CLIENT, AT_CONNECTED },
  { "client/activating", XTLS_S5B_ROLE_CLIENT, AT_ACTIVATING },
  { "server/greeting", XTLS_S5B_ROLE_SERVER, AT_GREETING },
  { "server/request", XTLS_S5B_ROLE_SERVER, AT_REQUEST },
};

/* Brings the pair to @phase as seen from the client (@client_side) or the server. */
static void
drive (Peer *client, Peer *server, Phase phase, gboolean client_side)
{
  if (phase >= AT_GREETING)
    {
      xtls_s5b_conn_start (client->conn);
      xtls_s5b_conn_start (server->conn);
    }
  if (phase >= AT_REQUEST)
    forward (client, server, 0, 0);
  if (phase >= AT_REQUEST && client_side)
    forward (server, client, 0, 0);
  if (phase >= AT_CONNECTED)
    pump (client, server, 0, 0);
  if (phase == AT_ACTIVATING)
    xtls_s5b_conn_select (client->conn);
}

static void
test_timeout (gconstpointer data)
{
  const TimeoutCase *c = data;
  gboolean client_side = c->role == XTLS_S5B_ROLE_CLIENT;
  Peer client, server;
  Peer *me = client_side ? &client : &server;
  gint64 created = fake_clock.now;

  peer_init (&client, XTLS_S5B_ROLE_CLIENT, c->phase == AT_ACTIVATING);
  peer_init (&server, XTLS_S5B_ROLE_SERVER, FALSE);
  g_assert_cmpint (xtls_s5b_conn_next_deadline (me->conn), ==, created + 5 * G_USEC_PER_SEC);
  /* Time spent connecting counts against the same deadline. */
  xtls_fake_clock_advance (&fake_clock, G_USEC_PER_SEC);
  drive (&client, &server, c->phase, client_side);

  gint64 deadline = xtls_s5b_conn_next_deadline (me->conn);
  if (c->phase == AT_CONNECTED)
    {
      g_assert_cmpint (deadline, ==, 0);
      xtls_fake_clock_advance (&fake_clock, (gint64)3600 * G_USEC_PER_SEC);
      xtls_s5b_conn_tick (me->conn);
      g_assert_cmpint (xtls_s5b_conn_get_state (me->conn), ==, XTLS_S5B_STATE_CONNECTED);
    }
  else
    {
      g_assert_cmpint (deadline, ==,
                       (c->phase == AT_ACTIVATING ? fake_clock.now : created) + 5 * G_USEC_PER_SEC);
      fake_clock.now = deadline - 1;
      xtls_s5b_conn_tick (me->conn);
      g_assert_cmpuint (me->closed_count, ==, 0);
      fake_clock.now = deadline;
      xtls_s5b_conn_tick (me->conn);
      assert_failed (me, XTLS_ERROR_TIMEOUT);
    }
  peer_clear (&client);
  peer_clear (&server);
}

/* ---- ends ---- */

static void
test_eof (void)
{
  for (Phase phase = AT_GREETING; phase <= AT_ACTIVATING; phase++)
    {
      Peer client, server;
      peer_init (&client, XTLS_S5B_ROLE_CLIENT, FALSE);
      peer_init (&server, XTLS_S5B_ROLE_SERVER, FALSE);
      drive (&client, &server, phase, TRUE); /* not a proxy: ACTIVATING is ESTABLISHED here */

      xtls_s5b_conn_eof (client.conn);
      if (phase == AT_ACTIVATING)
        {
          g_assert_cmpint (xtls_s5b_conn_get_state (client.conn), ==, XTLS_S5B_STATE_CLOSED);
          g_assert_null (client.closed_error);
        }
      else
        assert_failed (&client, XTLS_ERROR_FAILED);
      g_assert_cmpuint (client.closed_count, ==, 1);
      peer_clear (&client);
      peer_clear (&server);
    }
}

#define SOCKET_ERROR (g_quark_from_static_string ("test-socket-error"))

/* The glue's own errors (connect refused) come back unchanged. */
static void
test_close_and_abort (void)
{
  Peer peer;
  g_autoptr (GError) refused = g_error_new_literal (SOCKET_ERROR, 111, "connection refused");

  peer_init (&peer, XTLS_S5B_ROLE_CLIENT, FALSE);
  xtls_s5b_conn_close (peer.conn);
  g_assert_cmpint (xtls_s5b_conn_get_state (peer.conn), ==, XTLS_S5B_STATE_CLOSED);
  g_assert_null (peer.closed_error);
  xtls_s5b_conn_close (peer.conn);
  xtls_s5b_conn_abort (peer.conn, refused);
  xtls_s5b_conn_start (peer.conn); /* no greeting after the end */
  g_assert_cmpuint (peer.wire->len, ==, 0);
  g_assert_cmpuint (peer.closed_count, ==, 1);
  peer_clear (&peer);

  peer_init (&peer, XTLS_S5B_ROLE_CLIENT, FALSE);
  xtls_s5b_conn_abort (peer.conn, refused);
  g_assert_cmpint (xtls_s5b_conn_get_state (peer.conn), ==, XTLS_S5B_STATE_FAILED);
  g_assert_error (peer.closed_error, SOCKET_ERROR, 111);
  peer_clear (&peer);
}

/* ---- a server that learns whose connection it is from the request (s5b.h: ops->match) ---- */

typedef struct
{
  gboolean accept;
  guint asked;
  char *dst_addr; /* owned: what match was asked */
} Matcher;

static Matcher matcher;

static gboolean
on_match (XtlsS5bConn *conn, const char *dst_addr, gpointer user_data)
{
  matcher.asked++;
  g_free (matcher.dst_addr);
  matcher.dst_addr = g_strdup (dst_addr);
  return matcher.accept;
}

static const XtlsS5bConnOps match_ops = {
  .send = on_send,
  .connected = on_connected,
  .established = on_established,
  .deliver = on_deliver,
  .closed = on_closed,
  .match = on_match,
};

static void
unbound_server_init (Peer *peer)
{
  XtlsS5bConnConfig config = {
    .role = XTLS_S5B_ROLE_SERVER,
    .clock = &fake_clock.clock,
    .log_id = "unbound",
  };

  memset (peer, 0, sizeof *peer);
  peer->outbox = g_byte_array_new ();
  peer->wire = g_byte_array_new ();
  peer->received = g_byte_array_new ();
  peer->conn = xtls_s5b_conn_new (&config, &match_ops, peer);
  g_assert_nonnull (peer->conn);
  g_assert_null (xtls_s5b_conn_get_dst_addr (peer->conn));
}

/* The owner's answer decides: accepted, the hash (in lowercase, whatever case the client
 * used) becomes the connection's; refused, the client reads "not allowed". Asked once, only
 * for a complete and well-formed request. */
static void
test_unbound_server (void)
{
  g_autofree char *hash = our_dst_addr ();
  g_autofree char *upper = g_ascii_strup (hash, -1);
  Peer server;
  g_autoptr (GByteArray) request = bytes_from_template (GREETING REQUEST);

  for (int accept = 0; accept < 2; accept++)
    {
      matcher = (Matcher){ .accept = accept };
      unbound_server_init (&server);
      xtls_s5b_conn_start (server.conn);
      /* Upper-case hex in the request: compared without case. */
      memcpy (request->data + 3 + 5, upper, XTLS_S5B_DST_ADDR_LEN);
      xtls_s5b_conn_receive (server.conn, request->data, request->len - 1);
      g_assert_cmpuint (matcher.asked, ==, 0);
      xtls_s5b_conn_receive (server.conn, request->data + request->len - 1, 1);
      g_assert_cmpuint (matcher.asked, ==, 1);
      g_assert_cmpstr (matcher.dst_addr, ==, hash);
      if (accept)
        {
          assert_bytes (server.wire, METHOD_OK REPLY_OK);
          g_assert_cmpint (xtls_s5b_conn_get_state (server.conn), ==, XTLS_S5B_STATE_CONNECTED);
          g_assert_cmpstr (xtls_s5b_conn_get_dst_addr (server.conn), ==, hash);
          g_assert_cmpuint (server.connected_count, ==, 1);
        }
      else
        {
          assert_bytes (server.wire, METHOD_OK "05 02 00 01 00 00 00 00 00 00");
          assert_failed (&server, XTLS_ERROR_PROTOCOL);
          g_assert_null (xtls_s5b_conn_get_dst_addr (server.conn));
        }
      peer_clear (&server);
      g_clear_pointer (&matcher.dst_addr, g_free);
    }

  /* Garbage never reaches the owner. */
  matcher = (Matcher){ .accept = TRUE };
  unbound_server_init (&server);
  xtls_s5b_conn_start (server.conn);
  xtls_s5b_conn_receive (server.conn, (const guint8 *)"\x05\x01\x00\x05\x02", 5);
  g_assert_cmpuint (matcher.asked, ==, 0);
  assert_failed (&server, XTLS_ERROR_PROTOCOL);
  peer_clear (&server);
}

static void
test_state_names (void)
{
  static const char *const names[] = { "idle",       "greeting",    "request", "connected",
                                       "activating", "established", "closed",  "failed" };

  for (XtlsS5bState s = XTLS_S5B_STATE_IDLE; s <= XTLS_S5B_STATE_FAILED; s++)
    g_assert_cmpstr (xtls_s5b_state_to_string (s), ==, names[s]);
}

/* Registers one case per row of @table under @prefix + the row's name. */
#define ADD_TABLE(prefix, table, func)                                                             \
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)                                                 \
    {                                                                                              \
      g_autofree char *path = g_strconcat (prefix, table[i].name, NULL);                           \
      g_test_add_data_func (path, &table[i], func);                                                \
    }

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  xtls_fake_clock_init (&fake_clock);

  ADD_TABLE ("/s5b/priority/", priority_cases, test_priority);
  g_test_add_func ("/s5b/candidates/build", test_candidates_build);
  g_test_add_func ("/s5b/candidates/sort", test_candidates_sort);
  ADD_TABLE ("/s5b/dst-addr/", dst_addr_cases, test_dst_addr);
  ADD_TABLE ("/s5b/nominate/", nominate_cases, test_nominate);
  static const gsize chunks[] = { 0, 1, 2, 7 };
  for (gsize i = 0; i < G_N_ELEMENTS (chunks); i++)
    {
      g_autofree char *path = g_strdup_printf ("/s5b/handshake/chunk-%" G_GSIZE_FORMAT, chunks[i]);
      g_test_add_data_func (path, GSIZE_TO_POINTER (chunks[i]), test_handshake);
    }
  g_test_add_func ("/s5b/handshake/early-data", test_early_data);
  g_test_add_func ("/s5b/handshake/pipelined", test_pipelined);
  g_test_add_func ("/s5b/handshake/early-data-limit", test_early_data_limit);
  g_test_add_data_func ("/s5b/proxy/activated", GINT_TO_POINTER (TRUE), test_proxy);
  g_test_add_data_func ("/s5b/proxy/proxy-error", GINT_TO_POINTER (FALSE), test_proxy);
  ADD_TABLE ("/s5b/input/", input_cases, test_input);
  ADD_TABLE ("/s5b/timeout/", timeout_cases, test_timeout);
  g_test_add_func ("/s5b/end/eof", test_eof);
  g_test_add_func ("/s5b/end/close-and-abort", test_close_and_abort);
  g_test_add_func ("/s5b/server/unbound-match", test_unbound_server);
  g_test_add_func ("/s5b/state/names", test_state_names);

  return g_test_run ();
}
