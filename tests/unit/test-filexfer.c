/* filexfer.c: a sender and a receiver engine wired back to back in memory. The "lower layer"
 * is a byte pipe the test drains by hand, so bursts, delivery, corruption, truncation, close
 * and cancel happen exactly when a case says (libnice's pseudotcp tests are the model). */
#include <string.h>

#include <glib.h>

#include "filexfer.h"

#define MIB (1024 * 1024)

typedef struct _Side Side;

struct _Side
{
  XtlsFilexfer *ft;
  /* sender */
  GByteArray *source; /* the file on disk */
  gsize read_pos;
  gsize source_short_by;   /* the file is this much shorter than the source */
  guint would_block_reads; /* this many reads say "none yet" */
  gboolean read_fails;     /* a read error from the glue */
  gboolean write_refused;  /* the security layer refuses bytes */
  gboolean drain_in_write; /* the layer below drains at once and says writable() */
  GByteArray *pipe;        /* written, not yet delivered */
  gsize most_written;      /* largest pipe fill between two drains */
  gsize largest_write;
  guint closes;
  /* receiver */
  GByteArray *stored; /* the partial file */
  gboolean store_fails;
  gboolean cancel_in_store; /* the user cancels from inside store() */
  /* both */
  guint progress_calls;
  guint64 last_done;
  guint64 last_total;
  gboolean progress_regressed;
  guint ended_calls;
  XtlsFilexferState end_state;
  GError *end_error;
};

static gssize
side_read (XtlsFilexfer *ft, guint8 *buf, gsize max, GError **error, gpointer user_data)
{
  Side *s = user_data;
  gsize left = s->source->len - s->source_short_by - s->read_pos;
  gsize n;

  if (s->would_block_reads > 0)
    {
      s->would_block_reads--;
      return -1; /* none yet, no error */
    }
  if (s->read_fails)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_IO, "input/output error");
      return -1;
    }
  /* A real file read may return less than asked: give odd amounts. */
  n = MIN (max, left);
  if (n > 3 && s->read_pos % 2 == 1)
    n -= 3;
  memcpy (buf, s->source->data + s->read_pos, n);
  s->read_pos += n;
  return (gssize)n;
}

static gboolean
side_write (XtlsFilexfer *ft, const guint8 *data, gsize len, gpointer user_data)
{
  Side *s = user_data;

  if (s->write_refused)
    return FALSE;
  g_byte_array_append (s->pipe, data, (guint)len);
  s->largest_write = MAX (s->largest_write, len);
  s->most_written = MAX (s->most_written, s->pipe->len);
  if (s->drain_in_write)
    {
      g_byte_array_set_size (s->pipe, 0);
      xtls_filexfer_writable (ft);
    }
  return TRUE;
}

static void
side_close (XtlsFilexfer *ft, gpointer user_data)
{
  Side *s = user_data;

  s->closes++;
}

static gboolean
side_store (XtlsFilexfer *ft, const guint8 *data, gsize len, GError **error, gpointer user_data)
{
  Side *s = user_data;

  if (s->store_fails)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "no space left on device");
      return FALSE;
    }
  g_byte_array_append (s->stored, data, (guint)len);
  if (s->cancel_in_store)
    xtls_filexfer_cancel (ft);
  return TRUE;
}

static void
side_progress (XtlsFilexfer *ft, guint64 done, guint64 total, gpointer user_data)
{
  Side *s = user_data;

  if (s->progress_calls > 0 && (done < s->last_done || total != s->last_total))
    s->progress_regressed = TRUE;
  s->progress_calls++;
  s->last_done = done;
  s->last_total = total;
}

static void
side_ended (XtlsFilexfer *ft, XtlsFilexferState state, const GError *error, gpointer user_data)
{
  Side *s = user_data;

  s->ended_calls++;
  s->end_state = state;
  g_clear_error (&s->end_error);
  s->end_error = error != NULL ? g_error_copy (error) : NULL;
}

static const XtlsFilexferOps ops = {
  .read = side_read,
  .write = side_write,
  .close = side_close,
  .store = side_store,
  .progress = side_progress,
  .ended = side_ended,
};

typedef struct
{
  Side tx;
  Side rx;
  guint8 digest[XTLS_SHA256_LEN]; /* of the source */
} Pair;

static void
sha256 (const guint8 *data, gsize len, guint8 out[XTLS_SHA256_LEN])
{
  g_autoptr (GChecksum) c = g_checksum_new (G_CHECKSUM_SHA256);
  gsize n = XTLS_SHA256_LEN;

  g_checksum_update (c, data, (gssize)len);
  g_checksum_get_digest (c, out, &n);
}

/* Options for one pair; zero means "as the sender announced". */
typedef struct
{
  gsize size;
  gsize chunk;
  gsize burst;
  gboolean hash_in_offer;     /* both engines get the hash at creation */
  gint64 receiver_size_delta; /* the receiver was told another size */
  gboolean receiver_wrong_hash;
} PairOptions;

static void
pair_init (Pair *p, const PairOptions *o)
{
  guint8 wrong[XTLS_SHA256_LEN];
  XtlsFilexferConfig tx_config = { 0 };
  XtlsFilexferConfig rx_config = { 0 };

  memset (p, 0, sizeof *p);
  p->tx.source = g_byte_array_sized_new ((guint)o->size);
  for (gsize i = 0; i < o->size; i++)
    {
      guint8 b = (guint8)((i * 7919u) ^ (i >> 8));
      g_byte_array_append (p->tx.source, &b, 1);
    }
  p->tx.pipe = g_byte_array_new ();
  p->rx.stored = g_byte_array_new ();
  sha256 (p->tx.source->data, p->tx.source->len, p->digest);
  memcpy (wrong, p->digest, XTLS_SHA256_LEN);
  wrong[0] ^= 0x01;

  tx_config.size = o->size;
  tx_config.chunk_size = o->chunk;
  tx_config.burst_bytes = o->burst;
  tx_config.sha256 = o->hash_in_offer ? p->digest : NULL;
  rx_config.size = (guint64)((gint64)o->size + o->receiver_size_delta);
  rx_config.sha256 = o->receiver_wrong_hash ? wrong : o->hash_in_offer ? p->digest : NULL;
  p->tx.ft = xtls_filexfer_new_sender (&tx_config, "tx", &ops, &p->tx);
  p->rx.ft = xtls_filexfer_new_receiver (&rx_config, "rx", &ops, &p->rx);
}

static void
pair_clear (Pair *p)
{
  xtls_filexfer_free (p->tx.ft);
  xtls_filexfer_free (p->rx.ft);
  g_byte_array_unref (p->tx.source);
  g_byte_array_unref (p->tx.pipe);
  g_byte_array_unref (p->rx.stored);
  g_clear_error (&p->tx.end_error);
  g_clear_error (&p->rx.end_error);
}

/* Delivers the pipe to the receiver in TLS-record-sized pieces, then tells the sender the
 * layer below drained. @flip_at: a byte offset (of the whole stream) to corrupt, or -1. */
static void
drain (Pair *p, gint64 flip_at, guint64 *offset)
{
  for (gsize pos = 0; pos < p->tx.pipe->len;)
    {
      gsize n = MIN (16384, p->tx.pipe->len - pos);
      g_autofree guint8 *piece = g_malloc (n);

      memcpy (piece, p->tx.pipe->data + pos, n);

      if (flip_at >= 0 && (guint64)flip_at >= *offset && (guint64)flip_at < *offset + n)
        piece[flip_at - (gint64)*offset] ^= 0x80;
      xtls_filexfer_receive (p->rx.ft, piece, n);
      *offset += n;
      pos += n;
    }
  g_byte_array_set_size (p->tx.pipe, 0);
  xtls_filexfer_writable (p->tx.ft);
}

/* Runs both sides to the end the session would see: data until the sender closes, then the
 * receiver's close_notify; a completed receiver confirms to the sender (<received/>). */
static void
pair_run (Pair *p, gint64 flip_at)
{
  guint64 offset = 0;

  xtls_filexfer_start (p->rx.ft);
  xtls_filexfer_start (p->tx.ft);
  for (guint rounds = 0; p->tx.pipe->len > 0 && rounds < 100000; rounds++)
    drain (p, flip_at, &offset);
  if (p->tx.closes > 0)
    xtls_filexfer_peer_closed (p->rx.ft);
  if (xtls_filexfer_get_state (p->rx.ft) == XTLS_FILEXFER_STATE_COMPLETE)
    xtls_filexfer_confirmed (p->tx.ft);
}

static void
assert_ended (const Side *s, XtlsFilexferState state, GQuark domain, gint code)
{
  g_assert_cmpuint (s->ended_calls, ==, 1);
  g_assert_cmpint (s->end_state, ==, state);
  g_assert_cmpint (xtls_filexfer_get_state (s->ft), ==, state);
  if (domain == 0)
    g_assert_no_error (s->end_error);
  else
    g_assert_error (s->end_error, domain, code);
}

/* ---- whole transfers ------------------------------------------------------------------- */

typedef struct
{
  const char *path;
  PairOptions options;
  gboolean checksum_late; /* the hash comes as a <checksum/> after close_notify */
} TransferCase;

static const TransferCase transfer_cases[] = {
  { "/filexfer/transfer/0-bytes", { .size = 0, .hash_in_offer = TRUE } },
  { "/filexfer/transfer/1-byte", { .size = 1, .hash_in_offer = TRUE } },
  { "/filexfer/transfer/1-mib", { .size = MIB, .hash_in_offer = TRUE } },
  { "/filexfer/transfer/1-mib-odd-chunks",
    { .size = MIB, .chunk = 1000, .burst = 7777, .hash_in_offer = TRUE } },
  { "/filexfer/transfer/1-mib-one-burst",
    { .size = MIB, .burst = 4 * MIB, .hash_in_offer = TRUE } },
  { "/filexfer/transfer/0-bytes-checksum-late", { .size = 0 }, TRUE },
  { "/filexfer/transfer/1-byte-checksum-late", { .size = 1 }, TRUE },
  { "/filexfer/transfer/1-mib-checksum-late", { .size = MIB }, TRUE },
};

static void
test_transfer (gconstpointer data)
{
  const TransferCase *tc = data;
  Pair p;

  pair_init (&p, &tc->options);
  pair_run (&p, -1);
  if (tc->checksum_late)
    {
      g_assert_cmpint (xtls_filexfer_get_state (p.rx.ft), ==, XTLS_FILEXFER_STATE_FINISHING);
      g_assert_cmpuint (p.rx.ended_calls, ==, 0);
      /* The sender's <checksum/> is its digest of what it read. */
      g_assert_cmpmem (xtls_filexfer_get_digest (p.tx.ft), XTLS_SHA256_LEN, p.digest,
                       XTLS_SHA256_LEN);
      xtls_filexfer_set_expected_hash (p.rx.ft, xtls_filexfer_get_digest (p.tx.ft));
      xtls_filexfer_confirmed (p.tx.ft);
    }
  assert_ended (&p.rx, XTLS_FILEXFER_STATE_COMPLETE, 0, 0);
  assert_ended (&p.tx, XTLS_FILEXFER_STATE_COMPLETE, 0, 0);
  g_assert_cmpuint (p.tx.closes, ==, 1);
  g_assert_cmpmem (p.rx.stored->data, p.rx.stored->len, p.tx.source->data, p.tx.source->len);
  g_assert_cmpmem (xtls_filexfer_get_digest (p.rx.ft), XTLS_SHA256_LEN, p.digest, XTLS_SHA256_LEN);
  g_assert_cmpuint (xtls_filexfer_get_done (p.rx.ft), ==, tc->options.size);
  g_assert_cmpint (xtls_filexfer_get_end_reason (p.rx.ft), ==, XTLS_REASON_SUCCESS);
  g_assert_cmpint (xtls_filexfer_get_end_reason (p.tx.ft), ==, XTLS_REASON_SUCCESS);
  /* Bounded buffering: never more than one burst below us, never more than a chunk a write. */
  g_assert_cmpuint (p.tx.most_written, <=,
                    tc->options.burst ? tc->options.burst : XTLS_FILEXFER_DEFAULT_BURST);
  g_assert_cmpuint (p.tx.largest_write, <=,
                    tc->options.chunk ? tc->options.chunk : XTLS_FILEXFER_DEFAULT_CHUNK);
  pair_clear (&p);
}

/* ---- the receiver's checks -------------------------------------------------------------- */

typedef struct
{
  const char *path;
  PairOptions options;
  gint64 flip_at;          /* corrupt this byte in transit, or -1 */
  gboolean checksum_wrong; /* a late <checksum/> that does not match */
  gboolean checksum_twice; /* the offer's hash, then a different <checksum/> */
  XtlsFilexferError code;
} ReceiverCase;

static const ReceiverCase receiver_cases[] = {
  { "/filexfer/receiver/hash-mismatch-announced",
    { .size = MIB, .receiver_wrong_hash = TRUE },
    -1,
    FALSE,
    FALSE,
    XTLS_FILEXFER_ERROR_HASH_MISMATCH },
  { "/filexfer/receiver/hash-mismatch-0-bytes",
    { .size = 0, .receiver_wrong_hash = TRUE },
    -1,
    FALSE,
    FALSE,
    XTLS_FILEXFER_ERROR_HASH_MISMATCH },
  { "/filexfer/receiver/hash-mismatch-corrupted",
    { .size = MIB, .hash_in_offer = TRUE },
    MIB / 2 + 3,
    FALSE,
    FALSE,
    XTLS_FILEXFER_ERROR_HASH_MISMATCH },
  { "/filexfer/receiver/hash-mismatch-checksum",
    { .size = 1000 },
    -1,
    TRUE,
    FALSE,
    XTLS_FILEXFER_ERROR_HASH_MISMATCH },
  { "/filexfer/receiver/hash-conflict",
    { .size = 1000, .hash_in_offer = TRUE },
    -1,
    FALSE,
    TRUE,
    XTLS_FILEXFER_ERROR_HASH_CONFLICT },
  { "/filexfer/receiver/more-than-announced",
    { .size = MIB, .hash_in_offer = TRUE, .receiver_size_delta = -1 },
    -1,
    FALSE,
    FALSE,
    XTLS_FILEXFER_ERROR_TOO_LONG },
  { "/filexfer/receiver/more-than-announced-0",
    { .size = 1, .hash_in_offer = TRUE, .receiver_size_delta = -1 },
    -1,
    FALSE,
    FALSE,
    XTLS_FILEXFER_ERROR_TOO_LONG },
  { "/filexfer/receiver/fewer-then-close",
    { .size = MIB, .hash_in_offer = TRUE, .receiver_size_delta = 1 },
    -1,
    FALSE,
    FALSE,
    XTLS_FILEXFER_ERROR_TRUNCATED },
  { "/filexfer/receiver/nothing-then-close",
    { .size = 0, .hash_in_offer = TRUE, .receiver_size_delta = 10 },
    -1,
    FALSE,
    FALSE,
    XTLS_FILEXFER_ERROR_TRUNCATED },
};

static void
test_receiver (gconstpointer data)
{
  const ReceiverCase *tc = data;
  guint8 wrong[XTLS_SHA256_LEN] = { 0 };
  Pair p;

  pair_init (&p, &tc->options);
  if (tc->checksum_twice)
    xtls_filexfer_set_expected_hash (p.rx.ft, wrong);
  pair_run (&p, tc->flip_at);
  if (tc->checksum_wrong)
    xtls_filexfer_set_expected_hash (p.rx.ft, wrong);
  assert_ended (&p.rx, XTLS_FILEXFER_STATE_FAILED, XTLS_FILEXFER_ERROR, (gint)tc->code);
  g_assert_cmpint (xtls_filexfer_get_end_reason (p.rx.ft), ==, XTLS_REASON_FAILED_APPLICATION);
  /* Nothing past the announced size ever reaches the disk. */
  g_assert_cmpuint (p.rx.stored->len, <=, xtls_filexfer_get_size (p.rx.ft));
  /* The sender is not told by the engine: the session's session-terminate does that. */
  g_assert_cmpuint (p.tx.ended_calls, ==, 0);
  xtls_filexfer_peer_cancelled (p.tx.ft);
  assert_ended (&p.tx, XTLS_FILEXFER_STATE_CANCELLED, XTLS_FILEXFER_ERROR,
                XTLS_FILEXFER_ERROR_PEER_CANCELLED);
  /* Once ended, nothing changes and nothing is reported again. */
  xtls_filexfer_receive (p.rx.ft, (const guint8 *)"x", 1);
  xtls_filexfer_peer_closed (p.rx.ft);
  xtls_filexfer_cancel (p.rx.ft);
  g_assert_cmpuint (p.rx.ended_calls, ==, 1);
  pair_clear (&p);
}

static void
test_store_fails (void)
{
  PairOptions o = { .size = 100000, .hash_in_offer = TRUE };
  Pair p;

  pair_init (&p, &o);
  p.rx.store_fails = TRUE;
  pair_run (&p, -1);
  /* The glue's own error comes back unchanged, so it can say "disk full". */
  assert_ended (&p.rx, XTLS_FILEXFER_STATE_FAILED, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
  g_assert_cmpuint (p.rx.stored->len, ==, 0);
  pair_clear (&p);
}

/* ---- the sender's checks ----------------------------------------------------------------- */

typedef enum
{
  SENDER_SHORT_FILE,
  SENDER_CHANGED_FILE,
  SENDER_READ_ERROR,
  SENDER_WRITE_REFUSED,
  SENDER_PEER_CLOSED_EARLY,
} SenderFault;

typedef struct
{
  const char *path;
  SenderFault fault;
  GQuark (*domain) (void);
  gint code;
  XtlsJingleReason reason;
} SenderCase;

static const SenderCase sender_cases[] = {
  { "/filexfer/sender/file-shorter", SENDER_SHORT_FILE, xtls_filexfer_error_quark,
    XTLS_FILEXFER_ERROR_SOURCE_CHANGED, XTLS_REASON_FAILED_APPLICATION },
  { "/filexfer/sender/file-changed", SENDER_CHANGED_FILE, xtls_filexfer_error_quark,
    XTLS_FILEXFER_ERROR_SOURCE_CHANGED, XTLS_REASON_FAILED_APPLICATION },
  { "/filexfer/sender/read-error", SENDER_READ_ERROR, g_file_error_quark, G_FILE_ERROR_IO,
    XTLS_REASON_FAILED_APPLICATION },
  { "/filexfer/sender/write-refused", SENDER_WRITE_REFUSED, xtls_filexfer_error_quark,
    XTLS_FILEXFER_ERROR_TUNNEL, XTLS_REASON_FAILED_TRANSPORT },
  { "/filexfer/sender/peer-closed-early", SENDER_PEER_CLOSED_EARLY, xtls_filexfer_error_quark,
    XTLS_FILEXFER_ERROR_TUNNEL, XTLS_REASON_FAILED_TRANSPORT },
};

static void
test_sender (gconstpointer data)
{
  const SenderCase *tc = data;
  PairOptions o = { .size = 300000, .hash_in_offer = TRUE };
  Pair p;

  pair_init (&p, &o);
  switch (tc->fault)
    {
      case SENDER_SHORT_FILE:
        p.tx.source_short_by = 10;
        break;
      case SENDER_CHANGED_FILE:
        p.tx.source->data[12345] ^= 1; /* after the hash was announced */
        break;
      case SENDER_READ_ERROR:
        p.tx.read_fails = TRUE;
        break;
      case SENDER_WRITE_REFUSED:
        p.tx.write_refused = TRUE;
        break;
      case SENDER_PEER_CLOSED_EARLY:
        xtls_filexfer_start (p.tx.ft);
        xtls_filexfer_peer_closed (p.tx.ft);
        break;
    }
  pair_run (&p, -1);
  assert_ended (&p.tx, XTLS_FILEXFER_STATE_FAILED, tc->domain (), tc->code);
  g_assert_cmpint (xtls_filexfer_get_end_reason (p.tx.ft), ==, tc->reason);
  /* A failed sender never marks the end of the file: the receiver must not take it as whole. */
  g_assert_cmpuint (p.tx.closes, ==, 0);
  g_assert_cmpint (xtls_filexfer_get_state (p.rx.ft), !=, XTLS_FILEXFER_STATE_COMPLETE);
  pair_clear (&p);
}

static void
test_would_block (void)
{
  PairOptions o = { .size = 100000, .hash_in_offer = TRUE };
  Pair p;

  pair_init (&p, &o);
  p.tx.would_block_reads = 1;
  xtls_filexfer_start (p.rx.ft);
  xtls_filexfer_start (p.tx.ft);
  /* Nothing to read yet: nothing written, nothing failed. */
  g_assert_cmpuint (p.tx.pipe->len, ==, 0);
  g_assert_cmpint (xtls_filexfer_get_state (p.tx.ft), ==, XTLS_FILEXFER_STATE_TRANSFERRING);
  /* The glue has data: it says writable, and the rest runs as usual. */
  xtls_filexfer_writable (p.tx.ft);
  g_assert_cmpuint (p.tx.pipe->len, >, 0);
  pair_run (&p, -1);
  assert_ended (&p.rx, XTLS_FILEXFER_STATE_COMPLETE, 0, 0);
  assert_ended (&p.tx, XTLS_FILEXFER_STATE_COMPLETE, 0, 0);
  pair_clear (&p);
}

/* A confirmation before the sender finished is not believed. */
static void
test_confirm_early_ignored (void)
{
  PairOptions o = { .size = MIB, .hash_in_offer = TRUE };
  Pair p;

  pair_init (&p, &o);
  xtls_filexfer_start (p.tx.ft);
  xtls_filexfer_confirmed (p.tx.ft);
  g_assert_cmpint (xtls_filexfer_get_state (p.tx.ft), ==, XTLS_FILEXFER_STATE_TRANSFERRING);
  g_assert_cmpuint (p.tx.ended_calls, ==, 0);
  pair_clear (&p);
}

/* ---- flow control ------------------------------------------------------------------------ */

static void
test_bounded_without_writable (void)
{
  PairOptions o = { .size = MIB, .burst = 64 * 1024, .hash_in_offer = TRUE };
  Pair p;

  pair_init (&p, &o);
  xtls_filexfer_start (p.tx.ft);
  /* Nobody drains: exactly one burst went down, and it stays that way. */
  g_assert_cmpuint (p.tx.pipe->len, ==, 64 * 1024);
  g_assert_cmpuint (xtls_filexfer_get_done (p.tx.ft), ==, 64 * 1024);
  xtls_filexfer_writable (p.tx.ft);
  g_assert_cmpuint (p.tx.pipe->len, ==, 128 * 1024);
  g_assert_null (xtls_filexfer_get_digest (p.tx.ft));
  pair_clear (&p);
}

/* A layer below that drains inside write() and calls writable() from there: the engine keeps
 * its stack flat and still finishes. */
static void
test_reentrant_writable (void)
{
  PairOptions o = { .size = 4 * MIB, .chunk = 1024, .burst = 2048, .hash_in_offer = TRUE };
  Pair p;

  pair_init (&p, &o);
  p.tx.drain_in_write = TRUE;
  xtls_filexfer_start (p.tx.ft);
  g_assert_cmpuint (xtls_filexfer_get_done (p.tx.ft), ==, 4 * MIB);
  g_assert_cmpint (xtls_filexfer_get_state (p.tx.ft), ==, XTLS_FILEXFER_STATE_FINISHING);
  g_assert_cmpuint (p.tx.closes, ==, 1);
  pair_clear (&p);
}

/* ---- cancel ------------------------------------------------------------------------------ */

typedef struct
{
  const char *path;
  gboolean sender_cancels;
  gboolean before_start;
} CancelCase;

static const CancelCase cancel_cases[] = {
  { "/filexfer/cancel/sender-midway", TRUE, FALSE },
  { "/filexfer/cancel/receiver-midway", FALSE, FALSE },
  { "/filexfer/cancel/sender-before-start", TRUE, TRUE },
  { "/filexfer/cancel/receiver-before-start", FALSE, TRUE },
};

static void
test_cancel (gconstpointer data)
{
  const CancelCase *tc = data;
  PairOptions o = { .size = MIB, .burst = 64 * 1024, .hash_in_offer = TRUE };
  Side *canceller, *other;
  guint64 offset = 0;
  Pair p;

  pair_init (&p, &o);
  canceller = tc->sender_cancels ? &p.tx : &p.rx;
  other = tc->sender_cancels ? &p.rx : &p.tx;
  if (!tc->before_start)
    {
      xtls_filexfer_start (p.rx.ft);
      xtls_filexfer_start (p.tx.ft);
      drain (&p, -1, &offset);
    }
  xtls_filexfer_cancel (canceller->ft);
  assert_ended (canceller, XTLS_FILEXFER_STATE_CANCELLED, XTLS_FILEXFER_ERROR,
                XTLS_FILEXFER_ERROR_CANCELLED);
  g_assert_cmpint (xtls_filexfer_get_end_reason (canceller->ft), ==, XTLS_REASON_CANCEL);
  /* The session's session-terminate <cancel/> reaches the other side. */
  xtls_filexfer_peer_cancelled (other->ft);
  assert_ended (other, XTLS_FILEXFER_STATE_CANCELLED, XTLS_FILEXFER_ERROR,
                XTLS_FILEXFER_ERROR_PEER_CANCELLED);
  g_assert_cmpint (xtls_filexfer_get_end_reason (other->ft), ==, XTLS_REASON_NONE);
  /* A cancelled sender writes no more and never closes; a cancelled receiver stores no more. */
  xtls_filexfer_writable (p.tx.ft);
  drain (&p, -1, &offset);
  g_assert_cmpuint (p.tx.closes, ==, 0);
  g_assert_cmpuint (p.rx.stored->len, <=, 64 * 1024);
  g_assert_cmpuint (canceller->ended_calls, ==, 1);
  g_assert_cmpuint (other->ended_calls, ==, 1);
  pair_clear (&p);
}

static void
test_cancel_inside_store (void)
{
  PairOptions o = { .size = MIB, .hash_in_offer = TRUE };
  Pair p;

  pair_init (&p, &o);
  p.rx.cancel_in_store = TRUE;
  pair_run (&p, -1);
  assert_ended (&p.rx, XTLS_FILEXFER_STATE_CANCELLED, XTLS_FILEXFER_ERROR,
                XTLS_FILEXFER_ERROR_CANCELLED);
  g_assert_cmpuint (p.rx.stored->len, ==, 16384); /* the one chunk stored before the cancel */
  pair_clear (&p);
}

static void
test_cancel_after_complete (void)
{
  PairOptions o = { .size = 10, .hash_in_offer = TRUE };
  Pair p;

  pair_init (&p, &o);
  pair_run (&p, -1);
  xtls_filexfer_cancel (p.rx.ft);
  xtls_filexfer_cancel (p.tx.ft);
  assert_ended (&p.rx, XTLS_FILEXFER_STATE_COMPLETE, 0, 0);
  assert_ended (&p.tx, XTLS_FILEXFER_STATE_COMPLETE, 0, 0);
  pair_clear (&p);
}

/* ---- progress and names ------------------------------------------------------------------ */

static void
test_progress_monotonic (void)
{
  PairOptions o = { .size = MIB, .chunk = 3000, .burst = 50000, .hash_in_offer = TRUE };
  Pair p;

  pair_init (&p, &o);
  pair_run (&p, -1);
  for (Side *s = &p.tx; s != NULL; s = s == &p.tx ? &p.rx : NULL)
    {
      g_assert_false (s->progress_regressed);
      g_assert_cmpuint (s->progress_calls, >, MIB / 16384);
      g_assert_cmpuint (s->last_done, ==, MIB);
      g_assert_cmpuint (s->last_total, ==, MIB);
    }
  pair_clear (&p);
}

static void
test_state_to_string (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (int st = XTLS_FILEXFER_STATE_WAITING; st <= XTLS_FILEXFER_STATE_CANCELLED; st++)
    {
      const char *name = xtls_filexfer_state_to_string ((XtlsFilexferState)st);

      g_assert_cmpstr (name, !=, "invalid");
      g_assert_true (g_hash_table_add (seen, (gpointer)name));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (transfer_cases); i++)
    g_test_add_data_func (transfer_cases[i].path, &transfer_cases[i], test_transfer);
  for (gsize i = 0; i < G_N_ELEMENTS (receiver_cases); i++)
    g_test_add_data_func (receiver_cases[i].path, &receiver_cases[i], test_receiver);
  g_test_add_func ("/filexfer/receiver/store-fails", test_store_fails);
  for (gsize i = 0; i < G_N_ELEMENTS (sender_cases); i++)
    g_test_add_data_func (sender_cases[i].path, &sender_cases[i], test_sender);
  g_test_add_func ("/filexfer/sender/would-block", test_would_block);
  g_test_add_func ("/filexfer/sender/confirm-early-ignored", test_confirm_early_ignored);
  g_test_add_func ("/filexfer/flow/bounded-without-writable", test_bounded_without_writable);
  g_test_add_func ("/filexfer/flow/reentrant-writable", test_reentrant_writable);
  for (gsize i = 0; i < G_N_ELEMENTS (cancel_cases); i++)
    g_test_add_data_func (cancel_cases[i].path, &cancel_cases[i], test_cancel);
  g_test_add_func ("/filexfer/cancel/inside-store", test_cancel_inside_store);
  g_test_add_func ("/filexfer/cancel/after-complete", test_cancel_after_complete);
  g_test_add_func ("/filexfer/progress/monotonic", test_progress_monotonic);
  g_test_add_func ("/filexfer/state/to-string", test_state_to_string);

  return g_test_run ();
}
