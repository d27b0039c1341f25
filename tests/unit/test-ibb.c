/* Unit tests for the IBB engine (plugin/core/ibb.c, XEP-0047, PROTOCOL.md §3).
 *
 * Two engines are wired back to back by hand (libnice's test-pseudotcp style): every packet
 * an engine sends lands in its outbox, and the test decides what to forward, drop, duplicate
 * or reorder. Error rules are also checked against a single engine fed hand-made packets, so
 * that the exact answers can be compared. */
#include <string.h>

#include "ibb.h"
#include "xtls-error.h"

/* ---- a packet on the wire (owned copy of an XtlsIbbPacket) ---- */

typedef struct
{
  XtlsIbbPacket pkt;
  char *iq_id; /* owned storage behind pkt's strings */
  char *sid;
  char *data;
} Packet;

static Packet *
packet_new (const XtlsIbbPacket *src)
{
  Packet *p = g_new0 (Packet, 1);

  p->pkt = *src;
  p->pkt.iq_id = p->iq_id = g_strdup (src->iq_id);
  p->pkt.sid = p->sid = g_strdup (src->sid);
  p->pkt.data = p->data = g_strdup (src->data);
  return p;
}

static void
packet_free (Packet *p)
{
  g_free (p->iq_id);
  g_free (p->sid);
  g_free (p->data);
  g_free (p);
}

/* ---- one side of the wire ---- */

typedef struct _Peer Peer;
struct _Peer
{
  XtlsIbb *ibb;
  guint block_size;
  guint window;
  GQueue outbox;        /* Packet *, oldest first */
  GByteArray *received; /* everything delivered, in order */
  guint closed_count;
  GError *closed_error;    /* owned: copy of what ops->closed reported */
  guint closed_outbox_len; /* packets in the outbox when ops->closed ran */
  guint drained_count;
  GArray *data_seqs;        /* guint32: seq of every DATA sent, in order */
  GHashTable *data_on_wire; /* ids of our DATA whose answer has not come back to us */
  guint max_on_wire;
  guint unowned;   /* packets forwarded to this peer that xtls_ibb_owns() refused */
  Peer *sync_peer; /* if set, packets go straight to it from inside ops->send */
  gboolean echo;   /* deliver sends the bytes straight back (re-entrancy) */
};

static void
on_send (XtlsIbb *ibb, const XtlsIbbPacket *pkt, gpointer user_data)
{
  Peer *peer = user_data;

  if (pkt->kind == XTLS_IBB_PACKET_DATA)
    {
      gsize len;
      g_autofree guint8 *raw = g_base64_decode (pkt->data, &len);

      /* What we send is canonical padded base64 of 1..block_size bytes (PROTOCOL.md §3). */
      g_autofree char *again = g_base64_encode (raw, len);
      g_assert_cmpstr (again, ==, pkt->data);
      g_assert_cmpuint (len, >=, 1);
      g_assert_cmpuint (len, <=, peer->block_size);
      g_assert_true (pkt->has_seq);
      g_array_append_val (peer->data_seqs, pkt->seq);
      g_hash_table_add (peer->data_on_wire, g_strdup (pkt->iq_id));
      peer->max_on_wire = MAX (peer->max_on_wire, g_hash_table_size (peer->data_on_wire));
      g_assert_cmpuint (g_hash_table_size (peer->data_on_wire), <=, peer->window);
      g_assert_cmpuint (xtls_ibb_get_unacked (ibb), <=, peer->window);
    }
  if (peer->sync_peer != NULL)
    {
      if (pkt->kind == XTLS_IBB_PACKET_RESULT || pkt->kind == XTLS_IBB_PACKET_ERROR)
        g_hash_table_remove (peer->sync_peer->data_on_wire, pkt->iq_id);
      xtls_ibb_receive (peer->sync_peer->ibb, pkt);
      return;
    }
  g_queue_push_tail (&peer->outbox, packet_new (pkt));
}

static void
on_deliver (XtlsIbb *ibb, const guint8 *data, gsize len, gpointer user_data)
{
  Peer *peer = user_data;

  g_assert_cmpuint (len, >, 0);
  /* The chunk is acknowledged before it is handed up, so whatever the application sends from
   * inside deliver goes out after the result. */
  if (peer->sync_peer == NULL)
    {
      Packet *last = g_queue_peek_tail (&peer->outbox);
      g_assert_nonnull (last);
      g_assert_cmpint (last->pkt.kind, ==, XTLS_IBB_PACKET_RESULT);
    }
  g_byte_array_append (peer->received, data, len);
  if (peer->echo)
    g_assert_true (xtls_ibb_send (ibb, data, len));
}

static void
on_closed (XtlsIbb *ibb, const GError *error, gpointer user_data)
{
  Peer *peer = user_data;

  peer->closed_count++;
  peer->closed_outbox_len = g_queue_get_length (&peer->outbox);
  g_assert_cmpuint (peer->closed_count, ==, 1);
  g_assert_cmpint (xtls_ibb_get_state (ibb), ==,
                   error == NULL ? XTLS_IBB_STATE_CLOSED : XTLS_IBB_STATE_FAILED);
  if (error != NULL)
    peer->closed_error = g_error_copy (error);
}

static void
on_drained (XtlsIbb *ibb, gpointer user_data)
{
  Peer *peer = user_data;

  g_assert_cmpuint (xtls_ibb_get_pending_bytes (ibb), ==, 0);
  g_assert_cmpuint (xtls_ibb_get_unacked (ibb), ==, 0);
  peer->drained_count++;
}

static const XtlsIbbOps test_ops = {
  .send = on_send,
  .deliver = on_deliver,
  .closed = on_closed,
  .drained = on_drained,
};

static void
peer_init (Peer *peer, const char *sid, XtlsIbbVersion version, gboolean initiator,
           guint block_size, guint window, const char *prefix)
{
  XtlsIbbConfig config = {
    .sid = sid,
    .version = version,
    .initiator = initiator,
    .block_size = block_size,
    .window = window,
    .iq_prefix = prefix,
  };

  memset (peer, 0, sizeof *peer);
  g_queue_init (&peer->outbox);
  peer->block_size = block_size;
  peer->window = window != 0 ? window : XTLS_IBB_DEFAULT_WINDOW;
  peer->received = g_byte_array_new ();
  peer->data_seqs = g_array_new (FALSE, FALSE, sizeof (guint32));
  peer->data_on_wire = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  peer->ibb = xtls_ibb_new (&config, &test_ops, peer);
  g_assert_nonnull (peer->ibb);
}

static void
peer_clear (Peer *peer)
{
  xtls_ibb_free (peer->ibb);
  g_queue_clear_full (&peer->outbox, (GDestroyNotify)packet_free);
  g_byte_array_unref (peer->received);
  g_array_unref (peer->data_seqs);
  g_hash_table_unref (peer->data_on_wire);
  g_clear_error (&peer->closed_error);
}

typedef struct
{
  Peer a; /* the Jingle initiator */
  Peer b; /* the responder */
} Pair;

static void
pair_init (Pair *pair, XtlsIbbVersion version, guint bs_a, guint bs_b, guint window)
{
  peer_init (&pair->a, "s1", version, TRUE, bs_a, window, "a");
  peer_init (&pair->b, "s1", version, FALSE, bs_b, window, "b");
}

static void
pair_clear (Pair *pair)
{
  peer_clear (&pair->a);
  peer_clear (&pair->b);
}

/* Takes the oldest packet from @from's outbox and hands it to @to, as the hub would: only if
 * @to owns it. */
static gboolean
forward_one (Peer *from, Peer *to)
{
  Packet *p = g_queue_pop_head (&from->outbox);

  if (p == NULL)
    return FALSE;
  if (p->pkt.kind == XTLS_IBB_PACKET_RESULT || p->pkt.kind == XTLS_IBB_PACKET_ERROR)
    g_hash_table_remove (to->data_on_wire, p->iq_id);
  if (xtls_ibb_owns (to->ibb, &p->pkt))
    xtls_ibb_receive (to->ibb, &p->pkt);
  else
    to->unowned++;
  packet_free (p);
  return TRUE;
}

static void
pump (Pair *pair)
{
  while (forward_one (&pair->a, &pair->b) | forward_one (&pair->b, &pair->a))
    ;
}

static void
drop_head (Peer *peer)
{
  packet_free (g_queue_pop_head (&peer->outbox));
}

static Packet *
nth (Peer *peer, guint n)
{
  Packet *p = g_queue_peek_nth (&peer->outbox, n);

  g_assert_nonnull (p);
  return p;
}

static void
assert_answer (Peer *peer, guint n, XtlsIbbPacketKind kind, const char *iq_id,
               XtlsIbbCondition condition)
{
  Packet *p = nth (peer, n);

  g_assert_cmpint (p->pkt.kind, ==, kind);
  g_assert_cmpstr (p->pkt.iq_id, ==, iq_id);
  if (kind == XTLS_IBB_PACKET_ERROR)
    g_assert_cmpint (p->pkt.condition, ==, condition);
}

static void
assert_close (Peer *peer, guint n, const char *sid)
{
  Packet *p = nth (peer, n);

  g_assert_cmpint (p->pkt.kind, ==, XTLS_IBB_PACKET_CLOSE);
  g_assert_cmpstr (p->pkt.sid, ==, sid);
  g_assert_nonnull (p->pkt.iq_id);
}

static void
send_str (Peer *peer, const char *s)
{
  g_assert_true (xtls_ibb_send (peer->ibb, (const guint8 *)s, strlen (s)));
}

static void
assert_received (Peer *peer, const char *s)
{
  g_assert_cmpmem (peer->received->data, peer->received->len, s, strlen (s));
}

static GByteArray *
random_bytes (gsize len)
{
  GByteArray *bytes = g_byte_array_sized_new (len);

  g_byte_array_set_size (bytes, len);
  for (gsize i = 0; i < len; i++)
    bytes->data[i] = g_test_rand_int_range (0, 256);
  return bytes;
}

/* Queues @len random bytes in one call, so every chunk but the last is full. */
static GByteArray *
send_all (Peer *from, gsize len)
{
  GByteArray *bytes = random_bytes (len);

  g_assert_true (xtls_ibb_send (from->ibb, bytes->data, bytes->len));
  return bytes;
}

/* Queues @len random bytes in random slices; returns what was sent. */
static GByteArray *
send_random (Peer *from, gsize len)
{
  GByteArray *bytes = random_bytes (len);

  for (gsize off = 0; off < len;)
    {
      gsize slice = g_test_rand_int_range (1, 20000); /* not inside MIN(): evaluated twice */
      gsize n = MIN (len - off, slice);
      g_assert_true (xtls_ibb_send (from->ibb, bytes->data + off, n));
      off += n;
    }
  return bytes;
}

/* Feeds a hand-made IQ-set to @peer. */
static void
feed (Peer *peer, XtlsIbbPacketKind kind, const char *iq_id, const char *sid, gboolean has_seq,
      guint32 seq, const char *data)
{
  XtlsIbbPacket pkt = {
    .kind = kind,
    .iq_id = iq_id,
    .sid = sid,
    .has_seq = has_seq,
    .seq = seq,
    .data = data,
    .block_size = kind == XTLS_IBB_PACKET_OPEN ? peer->block_size : 0,
  };

  xtls_ibb_receive (peer->ibb, &pkt);
}

static void
feed_answer (Peer *peer, const char *iq_id, XtlsIbbCondition condition)
{
  XtlsIbbPacket pkt = {
    .kind = condition == XTLS_IBB_COND_NONE ? XTLS_IBB_PACKET_RESULT : XTLS_IBB_PACKET_ERROR,
    .iq_id = iq_id,
    .condition = condition,
  };

  g_assert_true (xtls_ibb_owns (peer->ibb, &pkt));
  xtls_ibb_receive (peer->ibb, &pkt);
}

static void
assert_closed_with (Peer *peer, XtlsError code)
{
  g_assert_cmpuint (peer->closed_count, ==, 1);
  g_assert_error (peer->closed_error, XTLS_ERROR, (gint)code);
  g_assert_cmpint (xtls_ibb_get_state (peer->ibb), ==, XTLS_IBB_STATE_FAILED);
}

static void
assert_closed_cleanly (Peer *peer)
{
  g_assert_cmpuint (peer->closed_count, ==, 1);
  g_assert_no_error (peer->closed_error);
  g_assert_cmpint (xtls_ibb_get_state (peer->ibb), ==, XTLS_IBB_STATE_CLOSED);
}

/* ---- opening ---- */

static void
test_open_ibb1 (void)
{
  Pair pair;

  pair_init (&pair, XTLS_IBB_VERSION_1, 4096, 4096, 0);
  /* Data queued before open waits for it. */
  send_str (&pair.a, "hello");
  g_assert_cmpuint (g_queue_get_length (&pair.a.outbox), ==, 0);
  g_assert_cmpuint (xtls_ibb_get_pending_bytes (pair.a.ibb), ==, 5);

  xtls_ibb_open (pair.a.ibb);
  g_assert_cmpint (xtls_ibb_get_state (pair.a.ibb), ==, XTLS_IBB_STATE_OPEN);
  /* <open/> first, the data right behind it without waiting for the result. */
  g_assert_cmpuint (g_queue_get_length (&pair.a.outbox), ==, 2);
  Packet *open = nth (&pair.a, 0);
  g_assert_cmpint (open->pkt.kind, ==, XTLS_IBB_PACKET_OPEN);
  g_assert_cmpstr (open->pkt.sid, ==, "s1");
  g_assert_cmpstr (open->pkt.iq_id, ==, "a-1");
  g_assert_cmpuint (open->pkt.block_size, ==, 4096);
  Packet *data = nth (&pair.a, 1);
  g_assert_cmpint (data->pkt.kind, ==, XTLS_IBB_PACKET_DATA);
  g_assert_cmpstr (data->pkt.iq_id, ==, "a-2");
  g_assert_cmpstr (data->pkt.data, ==, "aGVsbG8=");
  g_assert_cmpuint (data->pkt.seq, ==, 0);
  g_assert_true (xtls_ibb_owns (pair.b.ibb, &open->pkt));

  /* The responder has not called xtls_ibb_open() yet: the peer's <open/> opens it. */
  g_assert_cmpint (xtls_ibb_get_state (pair.b.ibb), ==, XTLS_IBB_STATE_CLOSED_INIT);
  forward_one (&pair.a, &pair.b);
  g_assert_cmpint (xtls_ibb_get_state (pair.b.ibb), ==, XTLS_IBB_STATE_OPEN);
  assert_answer (&pair.b, 0, XTLS_IBB_PACKET_RESULT, "a-1", XTLS_IBB_COND_NONE);
  forward_one (&pair.a, &pair.b);
  assert_answer (&pair.b, 1, XTLS_IBB_PACKET_RESULT, "a-2", XTLS_IBB_COND_NONE);
  assert_received (&pair.b, "hello");
  /* Its own open is then a no-op. */
  xtls_ibb_open (pair.b.ibb);
  g_assert_cmpuint (g_queue_get_length (&pair.b.outbox), ==, 2);

  pump (&pair);
  g_assert_cmpuint (xtls_ibb_get_unacked (pair.a.ibb), ==, 0);
  g_assert_cmpuint (pair.a.drained_count, ==, 1);
  g_assert_cmpuint (pair.a.closed_count + pair.b.closed_count, ==, 0);
  g_assert_cmpuint (pair.a.unowned + pair.b.unowned, ==, 0);
  g_assert_cmpuint (xtls_ibb_get_packets_sent (pair.a.ibb), ==, 2);
  g_assert_cmpuint (xtls_ibb_get_packets_sent (pair.b.ibb), ==, 2);
  pair_clear (&pair);
}

static void
test_open_ibb0 (void)
{
  Pair pair;

  pair_init (&pair, XTLS_IBB_VERSION_0, 4096, 4096, 0);
  xtls_ibb_open (pair.a.ibb);
  xtls_ibb_open (pair.b.ibb);
  /* ibb:0 never sends <open/>: the first IQ is data with seq 0. */
  g_assert_cmpuint (g_queue_get_length (&pair.a.outbox), ==, 0);
  send_str (&pair.a, "hi");
  send_str (&pair.b, "yo");
  g_assert_cmpint (nth (&pair.a, 0)->pkt.kind, ==, XTLS_IBB_PACKET_DATA);
  g_assert_cmpuint (nth (&pair.a, 0)->pkt.seq, ==, 0);
  g_assert_cmpuint (nth (&pair.b, 0)->pkt.seq, ==, 0);
  pump (&pair);
  assert_received (&pair.a, "yo");
  assert_received (&pair.b, "hi");
  g_assert_cmpuint (pair.a.drained_count, ==, 1);
  g_assert_cmpuint (pair.b.drained_count, ==, 1);
  pair_clear (&pair);
}

/* Data that overtakes (or loses) the ibb:1 <open/> is accepted: see receive_data(). */
static void
test_open_data_first (void)
{
  static const gboolean drop_open[] = { FALSE, TRUE };

  for (gsize i = 0; i < G_N_ELEMENTS (drop_open); i++)
    {
      Pair pair;

      pair_init (&pair, XTLS_IBB_VERSION_1, 4096, 4096, 0);
      xtls_ibb_open (pair.a.ibb);
      send_str (&pair.a, "early");
      Packet *open = g_queue_pop_head (&pair.a.outbox);
      forward_one (&pair.a, &pair.b);
      assert_answer (&pair.b, 0, XTLS_IBB_PACKET_RESULT, "a-2", XTLS_IBB_COND_NONE);
      assert_received (&pair.b, "early");
      g_assert_cmpint (xtls_ibb_get_state (pair.b.ibb), ==, XTLS_IBB_STATE_CLOSED_INIT);
      if (!drop_open[i])
        {
          xtls_ibb_receive (pair.b.ibb, &open->pkt);
          assert_answer (&pair.b, 1, XTLS_IBB_PACKET_RESULT, "a-1", XTLS_IBB_COND_NONE);
          g_assert_cmpint (xtls_ibb_get_state (pair.b.ibb), ==, XTLS_IBB_STATE_OPEN);
        }
      else
        {
          xtls_ibb_open (pair.b.ibb);
          g_assert_cmpint (xtls_ibb_get_state (pair.b.ibb), ==, XTLS_IBB_STATE_OPEN);
        }
      packet_free (open);
      send_str (&pair.a, " and late");
      send_str (&pair.b, "back");
      pump (&pair);
      assert_received (&pair.b, "early and late");
      assert_received (&pair.a, "back");
      g_assert_cmpuint (pair.a.closed_count + pair.b.closed_count, ==, 0);
      pair_clear (&pair);
    }
}

typedef struct
{
  const char *name;
  XtlsIbbVersion version;
  gboolean initiator;
  gboolean open_first; /* a valid <open/> arrives before the tested one */
  gboolean expect_ok;
} UnexpectedOpenCase;

static const UnexpectedOpenCase unexpected_open_cases[] = {
  { "ibb1-responder-first", XTLS_IBB_VERSION_1, FALSE, FALSE, TRUE },
  { "ibb0-tolerated", XTLS_IBB_VERSION_0, FALSE, FALSE, TRUE },
  { "ibb1-initiator", XTLS_IBB_VERSION_1, TRUE, FALSE, FALSE },
  { "ibb1-second-open", XTLS_IBB_VERSION_1, FALSE, TRUE, FALSE },
};

static void
test_open_unexpected (gconstpointer data)
{
  const UnexpectedOpenCase *c = data;
  Peer peer;
  guint n = 0;

  peer_init (&peer, "s1", c->version, c->initiator, 4096, 0, NULL);
  if (c->initiator)
    {
      xtls_ibb_open (peer.ibb);
      n = 1; /* our own <open/> */
    }
  if (c->open_first)
    {
      feed (&peer, XTLS_IBB_PACKET_OPEN, "o1", "s1", FALSE, 0, NULL);
      assert_answer (&peer, n++, XTLS_IBB_PACKET_RESULT, "o1", XTLS_IBB_COND_NONE);
    }
  feed (&peer, XTLS_IBB_PACKET_OPEN, "o2", "s1", FALSE, 0, NULL);
  if (c->expect_ok)
    {
      assert_answer (&peer, n, XTLS_IBB_PACKET_RESULT, "o2", XTLS_IBB_COND_NONE);
      g_assert_cmpint (xtls_ibb_get_state (peer.ibb), ==, XTLS_IBB_STATE_OPEN);
      g_assert_cmpuint (peer.closed_count, ==, 0);
    }
  else
    {
      assert_answer (&peer, n, XTLS_IBB_PACKET_ERROR, "o2", XTLS_IBB_COND_UNEXPECTED_REQUEST);
      assert_close (&peer, n + 1, "s1");
      assert_closed_with (&peer, XTLS_ERROR_IBB_UNEXPECTED);
    }
  g_assert_cmpuint (g_queue_get_length (&peer.outbox), ==, c->expect_ok ? n + 1 : n + 2);
  peer_clear (&peer);
}

/* ---- block sizes ---- */

typedef struct
{
  const char *name;
  guint bs_a;       /* what the initiator opens with */
  guint bs_b;       /* what the responder negotiated */
  gboolean b_sends; /* b's chunks fit a's limit */
  gboolean expect_ok;
} BlockSizeCase;

static const BlockSizeCase block_size_cases[] = {
  { "equal", 4096, 4096, TRUE, TRUE },
  { "lowered-both", 1024, 1024, TRUE, TRUE },
  { "initiator-opens-smaller", 512, 4096, FALSE, TRUE },
  { "responder-smaller", 4096, 1024, TRUE, FALSE },
};

static void
test_block_size (gconstpointer data)
{
  const BlockSizeCase *c = data;
  Pair pair;

  pair_init (&pair, XTLS_IBB_VERSION_1, c->bs_a, c->bs_b, 0);
  xtls_ibb_open (pair.a.ibb);
  xtls_ibb_open (pair.b.ibb);
  g_autoptr (GByteArray) sent_a = send_all (&pair.a, 50000);
  g_autoptr (GByteArray) sent_b = send_all (&pair.b, c->b_sends ? 50000 : 0);
  if (c->expect_ok)
    {
      pump (&pair);
      /* on_send checked that every chunk was at most the sender's block size. */
      g_assert_cmpmem (pair.b.received->data, pair.b.received->len, sent_a->data, sent_a->len);
      g_assert_cmpmem (pair.a.received->data, pair.a.received->len, sent_b->data, sent_b->len);
      g_assert_cmpuint (pair.a.data_seqs->len, ==, (50000 + c->bs_a - 1) / c->bs_a);
      g_assert_cmpuint (pair.b.data_seqs->len, ==, (sent_b->len + c->bs_b - 1) / c->bs_b);
      g_assert_cmpuint (pair.a.closed_count + pair.b.closed_count, ==, 0);
      pair_clear (&pair);
      return;
    }
  /* XEP-0047 §2.1: a block-size over the negotiated one is refused with resource-constraint. */
  g_queue_clear_full (&pair.b.outbox, (GDestroyNotify)packet_free);
  forward_one (&pair.a, &pair.b);
  assert_answer (&pair.b, 0, XTLS_IBB_PACKET_ERROR, "a-1", XTLS_IBB_COND_RESOURCE_CONSTRAINT);
  assert_close (&pair.b, 1, "s1");
  assert_closed_with (&pair.b, XTLS_ERROR_IBB_BAD_REQUEST);
  pump (&pair);
  assert_closed_with (&pair.a, XTLS_ERROR_IBB_REJECTED);
  g_assert_cmpuint (pair.b.received->len, ==, 0);
  pair_clear (&pair);
}

/* ---- data ---- */

static void
test_data_both_directions (void)
{
  Pair pair;

  pair_init (&pair, XTLS_IBB_VERSION_1, 8, 8, 2);
  xtls_ibb_open (pair.a.ibb);
  xtls_ibb_open (pair.b.ibb);
  send_str (&pair.a, "ping from the initiator");
  send_str (&pair.b, "pong from the responder");
  for (int i = 0; i < 3; i++)
    {
      forward_one (&pair.a, &pair.b);
      forward_one (&pair.b, &pair.a);
    }
  send_str (&pair.a, ", more");
  send_str (&pair.b, ", more too");
  pump (&pair);
  assert_received (&pair.b, "ping from the initiator, more");
  assert_received (&pair.a, "pong from the responder, more too");
  /* Each direction counts its own seq from 0. */
  g_assert_cmpuint (g_array_index (pair.a.data_seqs, guint32, 0), ==, 0);
  g_assert_cmpuint (g_array_index (pair.b.data_seqs, guint32, 0), ==, 0);
  g_assert_cmpuint (pair.a.data_seqs->len, ==, 4);
  g_assert_cmpuint (pair.b.data_seqs->len, ==, 5);
  pair_clear (&pair);
}

static void
test_data_megabyte (gconstpointer data)
{
  XtlsIbbVersion version = GPOINTER_TO_INT (data);
  Pair pair;
  const gsize len = 1024 * 1024;

  pair_init (&pair, version, 4096, 4096, 0);
  xtls_ibb_open (pair.a.ibb);
  xtls_ibb_open (pair.b.ibb);
  g_autoptr (GByteArray) sent = send_random (&pair.a, len);
  pump (&pair);
  g_assert_cmpmem (pair.b.received->data, pair.b.received->len, sent->data, sent->len);
  /* A slice queued while the window has room goes out at once, even if short: no Nagle. */
  g_assert_cmpuint (pair.a.data_seqs->len, >=, len / 4096);
  for (guint i = 0; i < pair.a.data_seqs->len; i++)
    g_assert_cmpuint (g_array_index (pair.a.data_seqs, guint32, i), ==, i);
  g_assert_cmpuint (xtls_ibb_get_pending_bytes (pair.a.ibb), ==, 0);
  g_assert_cmpuint (xtls_ibb_get_unacked (pair.a.ibb), ==, 0);
  g_assert_cmpuint (pair.a.drained_count, ==, 1);
  g_assert_cmpuint (pair.a.max_on_wire, ==, XTLS_IBB_DEFAULT_WINDOW);
  pair_clear (&pair);
}

/* XEP-0047 §2.2: seq is 16 bits and wraps 65535 -> 0. */
static void
test_data_seq_wrap (void)
{
  Pair pair;
  const gsize chunks = 65536 + 4;

  pair_init (&pair, XTLS_IBB_VERSION_0, 16, 16, 0);
  xtls_ibb_open (pair.a.ibb);
  xtls_ibb_open (pair.b.ibb);
  g_autoptr (GByteArray) sent = send_all (&pair.a, chunks * 16);
  pump (&pair);
  GArray *seqs = pair.a.data_seqs;
  g_assert_cmpuint (seqs->len, ==, chunks);
  g_assert_cmpuint (g_array_index (seqs, guint32, 65534), ==, 65534);
  g_assert_cmpuint (g_array_index (seqs, guint32, 65535), ==, 65535);
  g_assert_cmpuint (g_array_index (seqs, guint32, 65536), ==, 0);
  g_assert_cmpuint (g_array_index (seqs, guint32, 65537), ==, 1);
  g_assert_cmpmem (pair.b.received->data, pair.b.received->len, sent->data, sent->len);
  g_assert_cmpuint (pair.a.closed_count + pair.b.closed_count, ==, 0);
  pair_clear (&pair);
}

/* ---- window ---- */

static void
test_window (gconstpointer data)
{
  guint window = GPOINTER_TO_UINT (data);
  guint effective = window != 0 ? window : XTLS_IBB_DEFAULT_WINDOW;
  Pair pair;

  pair_init (&pair, XTLS_IBB_VERSION_1, 100, 100, window);
  xtls_ibb_open (pair.a.ibb);
  g_autoptr (GByteArray) sent = random_bytes (100 * 40 + 1);
  g_assert_true (xtls_ibb_send (pair.a.ibb, sent->data, sent->len));
  /* <open/> does not count: exactly 'window' data IQs go out before any result. */
  g_assert_cmpuint (g_queue_get_length (&pair.a.outbox), ==, 1 + effective);
  g_assert_cmpuint (xtls_ibb_get_unacked (pair.a.ibb), ==, effective);
  g_assert_cmpuint (xtls_ibb_get_pending_bytes (pair.a.ibb), ==, sent->len - effective * 100);
  /* on_send asserts the window is never exceeded on the wire. */
  pump (&pair);
  g_assert_cmpuint (pair.a.max_on_wire, ==, effective);
  g_assert_cmpuint (pair.a.drained_count, ==, 1);
  g_assert_cmpuint (pair.a.data_seqs->len, ==, 41);
  g_assert_cmpmem (pair.b.received->data, pair.b.received->len, sent->data, sent->len);
  pair_clear (&pair);
}

/* A result that never comes keeps its window slot: the rest flows through what is left, and
 * the buffer never counts as drained. */
static void
test_window_lost_result (void)
{
  Pair pair;

  pair_init (&pair, XTLS_IBB_VERSION_0, 10, 10, 2);
  xtls_ibb_open (pair.a.ibb);
  xtls_ibb_open (pair.b.ibb);
  g_autoptr (GByteArray) sent = random_bytes (100);
  g_assert_true (xtls_ibb_send (pair.a.ibb, sent->data, sent->len));
  forward_one (&pair.a, &pair.b);
  drop_head (&pair.b); /* the result for seq 0 */
  pump (&pair);
  g_assert_cmpmem (pair.b.received->data, pair.b.received->len, sent->data, sent->len);
  g_assert_cmpuint (xtls_ibb_get_unacked (pair.a.ibb), ==, 1);
  g_assert_cmpuint (xtls_ibb_get_pending_bytes (pair.a.ibb), ==, 0);
  g_assert_cmpuint (pair.a.drained_count, ==, 0);
  pair_clear (&pair);
}

/* ---- receive errors, table-driven against one engine (block size 16) ---- */

typedef struct
{
  const char *name;
  gboolean good_first; /* a valid chunk (seq 0, "ABC") comes first */
  gboolean has_seq;    /* then the refused chunk */
  guint32 seq;
  const char *data;
  gboolean seq_error; /* unexpected-request; else bad-request */
} RecvErrorCase;

/* clang-format off */
static const RecvErrorCase recv_error_cases[] = {
  /* name                    first  has_seq seq    data                        seq_error */
  { "duplicate-seq",         TRUE,  TRUE,   0,     "QUJD",                     TRUE },
  { "out-of-order-seq",      TRUE,  TRUE,   2,     "QUJD",                     TRUE },
  { "first-seq-not-zero",    FALSE, TRUE,   1,     "QUJD",                     TRUE },
  { "first-seq-wrapped",     FALSE, TRUE,   65535, "QUJD",                     TRUE },
  { "missing-seq",           TRUE,  FALSE,  1,     "QUJD",                     FALSE },
  { "seq-over-16-bit",       FALSE, TRUE,   65536, "QUJD",                     FALSE },
  { "bad-alphabet",          FALSE, TRUE,   0,     "QU*D",                     FALSE },
  { "bad-alphabet-urlsafe",  TRUE,  TRUE,   1,     "-_-_",                     FALSE },
  { "bad-alphabet-control",  FALSE, TRUE,   0,     "QUJ\x01",                  FALSE },
  { "bad-alphabet-8bit",     FALSE, TRUE,   0,     "QU\xc3\xa4",                FALSE },
  { "bad-padding-middle",    FALSE, TRUE,   0,     "QQ==QUJD",                 FALSE },
  { "bad-padding-inner",     FALSE, TRUE,   0,     "QQ=A",                     FALSE },
  { "bad-padding-three",     FALSE, TRUE,   0,     "Q===",                     FALSE },
  { "bad-padding-only",      FALSE, TRUE,   0,     "====",                     FALSE },
  { "bad-padding-extra",     FALSE, TRUE,   0,     "QUJD=",                    FALSE },
  { "bad-padding-bits-1",    FALSE, TRUE,   0,     "QR==",                     FALSE },
  { "bad-padding-bits-2",    FALSE, TRUE,   0,     "QUJ=",                     FALSE },
  { "unpadded",              FALSE, TRUE,   0,     "QQ",                       FALSE },
  { "truncated",             FALSE, TRUE,   0,     "QUJDRE",                   FALSE },
  { "truncated-one",         TRUE,  TRUE,   1,     "QUJDR",                    FALSE },
  /* 17 bytes, one over block_size 16; then far over it */
  { "oversized",             FALSE, TRUE,   0,     "QUJDREVGR0hJSktMTU5PUFE=", FALSE },
  { "oversized-long",        TRUE,  TRUE,   1,     "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY", FALSE },
};
/* clang-format on */

static void
test_recv_error (gconstpointer data)
{
  const RecvErrorCase *c = data;
  Peer peer;
  guint n = 0;

  peer_init (&peer, "s1", XTLS_IBB_VERSION_0, FALSE, 16, 0, NULL);
  xtls_ibb_open (peer.ibb);
  if (c->good_first)
    {
      feed (&peer, XTLS_IBB_PACKET_DATA, "g0", "s1", TRUE, 0, "QUJD");
      assert_answer (&peer, n++, XTLS_IBB_PACKET_RESULT, "g0", XTLS_IBB_COND_NONE);
    }
  feed (&peer, XTLS_IBB_PACKET_DATA, "x1", "s1", c->has_seq, c->seq, c->data);
  assert_answer (&peer, n++, XTLS_IBB_PACKET_ERROR, "x1",
                 c->seq_error ? XTLS_IBB_COND_UNEXPECTED_REQUEST : XTLS_IBB_COND_BAD_REQUEST);
  /* Answer the bad IQ, then <close/> (XEP-0047 §2.2), then report once. */
  assert_close (&peer, n, "s1");
  g_assert_cmpuint (g_queue_get_length (&peer.outbox), ==, n + 1);
  assert_closed_with (&peer, c->seq_error ? XTLS_ERROR_IBB_UNEXPECTED : XTLS_ERROR_IBB_BAD_REQUEST);
  g_assert_cmpuint (peer.closed_outbox_len, ==, n + 1); /* answered and closed, then reported */
  assert_received (&peer, c->good_first ? "ABC" : "");

  /* Anything after the end: item-not-found, not reported again. */
  feed (&peer, XTLS_IBB_PACKET_DATA, "late", "s1", TRUE, n - 1, "QUJD");
  assert_answer (&peer, n + 1, XTLS_IBB_PACKET_ERROR, "late", XTLS_IBB_COND_ITEM_NOT_FOUND);
  /* The peer answering our <close/> with an error is swallowed. */
  feed_answer (&peer, nth (&peer, n)->pkt.iq_id, XTLS_IBB_COND_ITEM_NOT_FOUND);
  g_assert_cmpuint (peer.closed_count, ==, 1);
  g_assert_cmpuint (g_queue_get_length (&peer.outbox), ==, n + 2);
  peer_clear (&peer);
}

typedef struct
{
  const char *text;
  const char *bytes;
  gsize len;
} ValidCase;

static const ValidCase valid_cases[] = {
  { "", "", 0 },
  { "QQ==", "A", 1 },
  { "QUI=", "AB", 2 },
  { "QUJD", "ABC", 3 },
  { " QU\nJD\r\n\t", "ABC", 3 },
  { "QUJD\nREVG\n", "ABCDEF", 6 },
  { "+/+/", "\xfb\xff\xbf", 3 },
  { "AAA=", "\0\0", 2 },
  { "QUJDREVGR0hJSktMTU5PUA==", "ABCDEFGHIJKLMNOP", 16 }, /* exactly block_size */
};

static void
test_recv_valid (void)
{
  Peer peer;
  GByteArray *expected = g_byte_array_new ();

  peer_init (&peer, "s1", XTLS_IBB_VERSION_0, FALSE, 16, 0, NULL);
  xtls_ibb_open (peer.ibb);
  for (guint i = 0; i < G_N_ELEMENTS (valid_cases); i++)
    {
      g_autofree char *id = g_strdup_printf ("v%u", i);
      feed (&peer, XTLS_IBB_PACKET_DATA, id, "s1", TRUE, i, valid_cases[i].text);
      assert_answer (&peer, i, XTLS_IBB_PACKET_RESULT, id, XTLS_IBB_COND_NONE);
      g_byte_array_append (expected, (const guint8 *)valid_cases[i].bytes, valid_cases[i].len);
      g_assert_cmpmem (peer.received->data, peer.received->len, expected->data, expected->len);
    }
  g_assert_cmpuint (peer.closed_count, ==, 0);
  g_byte_array_unref (expected);
  peer_clear (&peer);
}

/* kaa.xmpp sliced one long base64 string into block-size-character chunks (PROTOCOL.md §7). */
static void
test_recv_kaa_slices (gconstpointer data)
{
  guint block_size = GPOINTER_TO_UINT (data);
  Peer peer;

  peer_init (&peer, "s1", XTLS_IBB_VERSION_0, FALSE, block_size, 0, NULL);
  g_autoptr (GByteArray) sent = random_bytes (block_size * 10 + 7);
  g_autofree char *b64 = g_base64_encode (sent->data, sent->len);
  gsize b64_len = strlen (b64);
  guint seq = 0;

  /* Sent without <open/> and before our own xtls_ibb_open(), as kaa did. */
  for (gsize off = 0; off < b64_len; off += block_size, seq++)
    {
      g_autofree char *slice = g_strndup (b64 + off, block_size);
      g_autofree char *id = g_strdup_printf ("k%u", seq);
      feed (&peer, XTLS_IBB_PACKET_DATA, id, "s1", TRUE, seq, slice);
      assert_answer (&peer, seq, XTLS_IBB_PACKET_RESULT, id, XTLS_IBB_COND_NONE);
    }
  g_assert_cmpuint (seq, >, 10);
  g_assert_cmpmem (peer.received->data, peer.received->len, sent->data, sent->len);
  g_assert_cmpuint (peer.closed_count, ==, 0);
  peer_clear (&peer);
}

/* ---- sids and answers ---- */

static void
test_item_not_found (void)
{
  Peer peer;
  XtlsIbbPacket other = { .kind = XTLS_IBB_PACKET_DATA, .iq_id = "u1", .sid = "other" };

  peer_init (&peer, "s1", XTLS_IBB_VERSION_1, FALSE, 16, 0, NULL);
  xtls_ibb_open (peer.ibb);
  /* Unknown sid: not ours (the hub leaves it to libpurple); if fed anyway, item-not-found
   * and nothing else happens. */
  g_assert_false (xtls_ibb_owns (peer.ibb, &other));
  feed (&peer, XTLS_IBB_PACKET_DATA, "u1", "other", TRUE, 0, "QUJD");
  assert_answer (&peer, 0, XTLS_IBB_PACKET_ERROR, "u1", XTLS_IBB_COND_ITEM_NOT_FOUND);
  g_assert_cmpint (xtls_ibb_get_state (peer.ibb), ==, XTLS_IBB_STATE_OPEN);
  g_assert_cmpuint (peer.closed_count, ==, 0);

  /* Our sid keeps working, then ends. */
  feed (&peer, XTLS_IBB_PACKET_DATA, "d0", "s1", TRUE, 0, "QUJD");
  assert_answer (&peer, 1, XTLS_IBB_PACKET_RESULT, "d0", XTLS_IBB_COND_NONE);
  xtls_ibb_close (peer.ibb);
  assert_close (&peer, 2, "s1");
  feed_answer (&peer, nth (&peer, 2)->pkt.iq_id, XTLS_IBB_COND_NONE);
  assert_closed_cleanly (&peer);

  /* Ended sid: data, open and close are all item-not-found, reported no more. */
  feed (&peer, XTLS_IBB_PACKET_DATA, "e1", "s1", TRUE, 1, "QUJD");
  feed (&peer, XTLS_IBB_PACKET_OPEN, "e2", "s1", FALSE, 0, NULL);
  feed (&peer, XTLS_IBB_PACKET_CLOSE, "e3", "s1", FALSE, 0, NULL);
  assert_answer (&peer, 3, XTLS_IBB_PACKET_ERROR, "e1", XTLS_IBB_COND_ITEM_NOT_FOUND);
  assert_answer (&peer, 4, XTLS_IBB_PACKET_ERROR, "e2", XTLS_IBB_COND_ITEM_NOT_FOUND);
  assert_answer (&peer, 5, XTLS_IBB_PACKET_ERROR, "e3", XTLS_IBB_COND_ITEM_NOT_FOUND);
  g_assert_cmpuint (g_queue_get_length (&peer.outbox), ==, 6);
  g_assert_cmpuint (peer.closed_count, ==, 1);
  assert_received (&peer, "ABC");
  g_assert_false (xtls_ibb_send (peer.ibb, (const guint8 *)"x", 1));
  peer_clear (&peer);
}

typedef struct
{
  const char *name;
  gboolean answer_open; /* else the first data IQ */
  XtlsIbbCondition condition;
} RejectedCase;

static const RejectedCase rejected_cases[] = {
  { "open-not-acceptable", TRUE, XTLS_IBB_COND_NOT_ACCEPTABLE },
  { "open-resource-constraint", TRUE, XTLS_IBB_COND_RESOURCE_CONSTRAINT },
  { "data-bad-request", FALSE, XTLS_IBB_COND_BAD_REQUEST },
  { "data-item-not-found", FALSE, XTLS_IBB_COND_ITEM_NOT_FOUND },
  { "data-other", FALSE, XTLS_IBB_COND_OTHER },
};

static void
test_rejected (gconstpointer data)
{
  const RejectedCase *c = data;
  Peer peer;

  peer_init (&peer, "s1", XTLS_IBB_VERSION_1, TRUE, 16, 0, NULL);
  xtls_ibb_open (peer.ibb);
  send_str (&peer, "some bytes");
  g_assert_cmpuint (g_queue_get_length (&peer.outbox), ==, 2);
  const char *id = nth (&peer, c->answer_open ? 0 : 1)->pkt.iq_id;
  feed_answer (&peer, id, c->condition);
  assert_closed_with (&peer, XTLS_ERROR_IBB_REJECTED);
  /* The peer ended the stream by refusing: we send no <close/> of our own. */
  g_assert_cmpuint (g_queue_get_length (&peer.outbox), ==, 2);
  /* The other IQ's late answer is still recognised and swallowed. */
  feed_answer (&peer, nth (&peer, c->answer_open ? 1 : 0)->pkt.iq_id, XTLS_IBB_COND_NONE);
  g_assert_cmpuint (peer.closed_count, ==, 1);
  peer_clear (&peer);
}

static void
test_owns (void)
{
  Peer peer;

  peer_init (&peer, "s1", XTLS_IBB_VERSION_1, TRUE, 16, 0, "xtls");
  xtls_ibb_open (peer.ibb);
  g_assert_cmpstr (nth (&peer, 0)->pkt.iq_id, ==, "xtls-1");
  g_assert_cmpstr (xtls_ibb_get_sid (peer.ibb), ==, "s1");

  static const struct
  {
    XtlsIbbPacketKind kind;
    const char *iq_id;
    const char *sid;
    gboolean owned;
  } cases[] = {
    { XTLS_IBB_PACKET_OPEN, "z", "s1", TRUE },
    { XTLS_IBB_PACKET_DATA, "z", "s1", TRUE },
    { XTLS_IBB_PACKET_CLOSE, "z", "s1", TRUE },
    { XTLS_IBB_PACKET_DATA, "z", "s2", FALSE },
    { XTLS_IBB_PACKET_DATA, "z", NULL, FALSE },
    { XTLS_IBB_PACKET_CLOSE, "xtls-1", "S1", FALSE },
    { XTLS_IBB_PACKET_RESULT, "xtls-1", NULL, TRUE },
    { XTLS_IBB_PACKET_ERROR, "xtls-1", NULL, TRUE },
    { XTLS_IBB_PACKET_RESULT, "xtls-2", NULL, FALSE },
    { XTLS_IBB_PACKET_RESULT, "ibb-1", NULL, FALSE },
    { XTLS_IBB_PACKET_RESULT, NULL, "s1", FALSE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      XtlsIbbPacket pkt = { .kind = cases[i].kind, .iq_id = cases[i].iq_id, .sid = cases[i].sid };
      g_assert_cmpint (xtls_ibb_owns (peer.ibb, &pkt), ==, cases[i].owned);
    }

  /* Once answered, an id is no longer ours. */
  feed_answer (&peer, "xtls-1", XTLS_IBB_COND_NONE);
  XtlsIbbPacket again = { .kind = XTLS_IBB_PACKET_RESULT, .iq_id = "xtls-1" };
  g_assert_false (xtls_ibb_owns (peer.ibb, &again));
  /* The default prefix. */
  Peer other;
  peer_init (&other, "s2", XTLS_IBB_VERSION_1, TRUE, 16, 0, NULL);
  xtls_ibb_open (other.ibb);
  g_assert_cmpstr (nth (&other, 0)->pkt.iq_id, ==, "ibb-1");
  peer_clear (&other);
  peer_clear (&peer);
}

/* ---- closing ---- */

static void
test_close_peer_early (void)
{
  Pair pair;

  pair_init (&pair, XTLS_IBB_VERSION_1, 16, 16, 0);
  xtls_ibb_open (pair.a.ibb);
  send_str (&pair.a, "before the close");
  pump (&pair);
  /* The peer closes although our session did not ask: answered, then a failure. */
  feed (&pair.b, XTLS_IBB_PACKET_CLOSE, "c1", "s1", FALSE, 0, NULL);
  g_assert_cmpuint (g_queue_get_length (&pair.b.outbox), ==, 1);
  assert_answer (&pair.b, 0, XTLS_IBB_PACKET_RESULT, "c1", XTLS_IBB_COND_NONE);
  assert_closed_with (&pair.b, XTLS_ERROR_IBB_CLOSED);
  g_assert_cmpuint (pair.b.closed_outbox_len, ==, 1); /* answered before reporting */
  assert_received (&pair.b, "before the close");
  g_assert_false (xtls_ibb_send (pair.b.ibb, (const guint8 *)"x", 1));
  pair_clear (&pair);
}

static void
test_close_after_data (void)
{
  Pair pair;

  pair_init (&pair, XTLS_IBB_VERSION_1, 10, 10, 2);
  xtls_ibb_open (pair.a.ibb);
  static const char text[] = "some bytes of data that must arrive before the close.";
  send_str (&pair.a, text);
  xtls_ibb_close (pair.a.ibb);
  g_assert_false (xtls_ibb_send (pair.a.ibb, (const guint8 *)"x", 1));
  /* The window holds back the rest, and the close waits behind it. */
  g_assert_cmpuint (g_queue_get_length (&pair.a.outbox), ==, 3);
  g_assert_cmpint (nth (&pair.a, 2)->pkt.kind, ==, XTLS_IBB_PACKET_DATA);

  /* Forward step by step and check that <close/> is the last IQ a sends. */
  guint datas = 0;
  gboolean close_seen = FALSE;
  while (!g_queue_is_empty (&pair.a.outbox) || !g_queue_is_empty (&pair.b.outbox))
    {
      Packet *head = g_queue_peek_head (&pair.a.outbox);
      if (head != NULL && head->pkt.kind == XTLS_IBB_PACKET_DATA)
        {
          g_assert_false (close_seen);
          datas++;
        }
      if (head != NULL && head->pkt.kind == XTLS_IBB_PACKET_CLOSE)
        {
          g_assert_cmpuint (datas, ==, (strlen (text) + 9) / 10);
          close_seen = TRUE;
        }
      forward_one (&pair.a, &pair.b);
      forward_one (&pair.b, &pair.a);
    }
  g_assert_true (close_seen);
  assert_received (&pair.b, text);
  assert_closed_cleanly (&pair.a);
  /* b's session had not asked to close. */
  assert_closed_with (&pair.b, XTLS_ERROR_IBB_CLOSED);
  pair_clear (&pair);
}

static void
test_close_crossing (void)
{
  Pair pair;

  pair_init (&pair, XTLS_IBB_VERSION_0, 16, 16, 0);
  xtls_ibb_open (pair.a.ibb);
  xtls_ibb_open (pair.b.ibb);
  xtls_ibb_close (pair.a.ibb);
  xtls_ibb_close (pair.b.ibb);
  assert_close (&pair.a, 0, "s1");
  assert_close (&pair.b, 0, "s1");
  /* Each <close/> is answered although both sides asked (XEP-0047 §2.3). */
  forward_one (&pair.a, &pair.b);
  assert_answer (&pair.b, 1, XTLS_IBB_PACKET_RESULT, "a-1", XTLS_IBB_COND_NONE);
  assert_closed_cleanly (&pair.b);
  pump (&pair);
  assert_closed_cleanly (&pair.a);
  assert_closed_cleanly (&pair.b);
  pair_clear (&pair);
}

static void
test_close_answered_with_error (void)
{
  Peer peer;

  peer_init (&peer, "s1", XTLS_IBB_VERSION_0, TRUE, 16, 0, NULL);
  xtls_ibb_open (peer.ibb);
  xtls_ibb_close (peer.ibb);
  assert_close (&peer, 0, "s1");
  /* The peer already forgot the stream: still the close we asked for. */
  feed_answer (&peer, nth (&peer, 0)->pkt.iq_id, XTLS_IBB_COND_ITEM_NOT_FOUND);
  assert_closed_cleanly (&peer);
  peer_clear (&peer);
}

static void
test_close_before_open (void)
{
  Peer peer;

  peer_init (&peer, "s1", XTLS_IBB_VERSION_1, TRUE, 16, 0, NULL);
  send_str (&peer, "never sent");
  xtls_ibb_close (peer.ibb);
  assert_closed_cleanly (&peer);
  g_assert_cmpuint (g_queue_get_length (&peer.outbox), ==, 0);
  xtls_ibb_open (peer.ibb);
  xtls_ibb_close (peer.ibb);
  g_assert_cmpuint (g_queue_get_length (&peer.outbox), ==, 0);
  g_assert_cmpuint (peer.closed_count, ==, 1);
  peer_clear (&peer);
}

/* ---- whole exchanges with faults ---- */

/* A duplicated data IQ between two engines: the receiver fails, the sender learns of it. */
static void
test_wire_duplicate (void)
{
  Pair pair;

  pair_init (&pair, XTLS_IBB_VERSION_0, 4, 4, 0);
  xtls_ibb_open (pair.a.ibb);
  xtls_ibb_open (pair.b.ibb);
  send_str (&pair.a, "abcdefgh");
  Packet *first = nth (&pair.a, 0);
  g_queue_push_nth (&pair.a.outbox, packet_new (&first->pkt), 1);
  forward_one (&pair.a, &pair.b);
  forward_one (&pair.a, &pair.b);
  assert_answer (&pair.b, 0, XTLS_IBB_PACKET_RESULT, "a-1", XTLS_IBB_COND_NONE);
  assert_answer (&pair.b, 1, XTLS_IBB_PACKET_ERROR, "a-1", XTLS_IBB_COND_UNEXPECTED_REQUEST);
  assert_close (&pair.b, 2, "s1");
  assert_closed_with (&pair.b, XTLS_ERROR_IBB_UNEXPECTED);
  pump (&pair);
  assert_received (&pair.b, "abcd");
  /* a saw the result for a-1 first, so the error for the same id is no longer its; the
   * <close/> that follows ends a's side. */
  assert_closed_with (&pair.a, XTLS_ERROR_IBB_CLOSED);
  g_assert_cmpuint (pair.a.unowned, ==, 1);
  g_assert_cmpuint (pair.b.closed_count, ==, 1);
  pair_clear (&pair);
}

/* Two data IQs swapped on the wire. */
static void
test_wire_reorder (void)
{
  Pair pair;

  pair_init (&pair, XTLS_IBB_VERSION_0, 4, 4, 0);
  xtls_ibb_open (pair.a.ibb);
  xtls_ibb_open (pair.b.ibb);
  send_str (&pair.a, "abcdefghijkl");
  Packet *second = g_queue_pop_nth (&pair.a.outbox, 1);
  g_queue_push_nth (&pair.a.outbox, second, 2);
  forward_one (&pair.a, &pair.b);
  forward_one (&pair.a, &pair.b);
  assert_answer (&pair.b, 0, XTLS_IBB_PACKET_RESULT, "a-1", XTLS_IBB_COND_NONE);
  assert_answer (&pair.b, 1, XTLS_IBB_PACKET_ERROR, "a-3", XTLS_IBB_COND_UNEXPECTED_REQUEST);
  assert_close (&pair.b, 2, "s1");
  pump (&pair);
  assert_received (&pair.b, "abcd");
  assert_closed_with (&pair.b, XTLS_ERROR_IBB_UNEXPECTED);
  /* a sees the error for a-3 before b's <close/>. */
  assert_closed_with (&pair.a, XTLS_ERROR_IBB_REJECTED);
  pair_clear (&pair);
}

/* Engines wired synchronously (send calls the peer's receive at once), with the responder
 * echoing from inside deliver: the engine must cope with re-entry. */
static void
test_reentrant (void)
{
  Pair pair;

  pair_init (&pair, XTLS_IBB_VERSION_1, 7, 7, 3);
  pair.a.sync_peer = &pair.b;
  pair.b.sync_peer = &pair.a;
  pair.b.echo = TRUE;
  send_str (&pair.a, "echo me through a small window, please");
  xtls_ibb_open (pair.a.ibb);
  xtls_ibb_close (pair.a.ibb);
  assert_received (&pair.b, "echo me through a small window, please");
  assert_received (&pair.a, "echo me through a small window, please");
  assert_closed_cleanly (&pair.a);
  assert_closed_with (&pair.b, XTLS_ERROR_IBB_CLOSED);
  pair_clear (&pair);
}

static void
test_state_names (void)
{
  g_assert_cmpstr (xtls_ibb_state_to_string (XTLS_IBB_STATE_CLOSED_INIT), ==, "closed-init");
  g_assert_cmpstr (xtls_ibb_state_to_string (XTLS_IBB_STATE_OPEN), ==, "open");
  g_assert_cmpstr (xtls_ibb_state_to_string (XTLS_IBB_STATE_CLOSED), ==, "closed");
  g_assert_cmpstr (xtls_ibb_state_to_string (XTLS_IBB_STATE_FAILED), ==, "failed");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ibb/open/ibb1", test_open_ibb1);
  g_test_add_func ("/ibb/open/ibb0", test_open_ibb0);
  g_test_add_func ("/ibb/open/data-before-open", test_open_data_first);
  for (gsize i = 0; i < G_N_ELEMENTS (unexpected_open_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ibb/open/%s", unexpected_open_cases[i].name);
      g_test_add_data_func (path, &unexpected_open_cases[i], test_open_unexpected);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (block_size_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ibb/block-size/%s", block_size_cases[i].name);
      g_test_add_data_func (path, &block_size_cases[i], test_block_size);
    }
  g_test_add_func ("/ibb/data/both-directions", test_data_both_directions);
  g_test_add_data_func ("/ibb/data/megabyte/ibb0", GINT_TO_POINTER (XTLS_IBB_VERSION_0),
                        test_data_megabyte);
  g_test_add_data_func ("/ibb/data/megabyte/ibb1", GINT_TO_POINTER (XTLS_IBB_VERSION_1),
                        test_data_megabyte);
  g_test_add_func ("/ibb/data/seq-wrap", test_data_seq_wrap);
  static const guint windows[] = { 1, 3, 8, 0 };
  for (gsize i = 0; i < G_N_ELEMENTS (windows); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ibb/window/size-%u", windows[i]);
      g_test_add_data_func (path, GUINT_TO_POINTER (windows[i]), test_window);
    }
  g_test_add_func ("/ibb/window/lost-result", test_window_lost_result);
  for (gsize i = 0; i < G_N_ELEMENTS (recv_error_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ibb/recv-error/%s", recv_error_cases[i].name);
      g_test_add_data_func (path, &recv_error_cases[i], test_recv_error);
    }
  g_test_add_func ("/ibb/recv/valid-base64", test_recv_valid);
  g_test_add_data_func ("/ibb/recv/kaa-slices/16", GUINT_TO_POINTER (16), test_recv_kaa_slices);
  g_test_add_data_func ("/ibb/recv/kaa-slices/4096", GUINT_TO_POINTER (4096), test_recv_kaa_slices);
  g_test_add_func ("/ibb/sid/item-not-found", test_item_not_found);
  for (gsize i = 0; i < G_N_ELEMENTS (rejected_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ibb/rejected/%s", rejected_cases[i].name);
      g_test_add_data_func (path, &rejected_cases[i], test_rejected);
    }
  g_test_add_func ("/ibb/sid/owns", test_owns);
  g_test_add_func ("/ibb/close/peer-early", test_close_peer_early);
  g_test_add_func ("/ibb/close/after-data", test_close_after_data);
  g_test_add_func ("/ibb/close/crossing", test_close_crossing);
  g_test_add_func ("/ibb/close/answered-with-error", test_close_answered_with_error);
  g_test_add_func ("/ibb/close/before-open", test_close_before_open);
  g_test_add_func ("/ibb/wire/duplicate", test_wire_duplicate);
  g_test_add_func ("/ibb/wire/reorder", test_wire_reorder);
  g_test_add_func ("/ibb/wire/reentrant", test_reentrant);
  g_test_add_func ("/ibb/state/names", test_state_names);

  return g_test_run ();
}
