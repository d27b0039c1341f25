/* In-Band Bytestream engine (XEP-0047 v2.0, XEP-0261, PROTOCOL.md §3). See ibb.h.
 *
 * Callers must never free the engine from inside one of its callbacks; the engine itself
 * keeps its state consistent before every callback and returns right after ops->closed, so a
 * callback may re-enter any other xtls_ibb_* function (deliver -> TLS -> xtls_ibb_send is the
 * usual case). */
#include "ibb.h"

#include "base64.h"

#include <string.h>

#include "xtls-error.h"

/* Logs carry the sid and state, never payload bytes (STYLE.md habit 7). */
#define IBB_DEBUG(ibb, fmt, ...)                                                                   \
  g_debug ("ibb %s [%s]: " fmt, (ibb)->sid, xtls_ibb_state_to_string ((ibb)->state), ##__VA_ARGS__)

struct _XtlsIbb
{
  XtlsIbbState state;
  char *sid;       /* owned */
  char *iq_prefix; /* owned */
  XtlsIbbVersion version;
  gboolean initiator;
  guint block_size;
  guint window;
  const XtlsIbbOps *ops; /* not owned */
  gpointer user_data;

  /* Outgoing: out_buf->data[out_pos..] is queued but not yet sent. */
  GByteArray *out_buf; /* owned */
  gsize out_pos;
  guint16 out_seq;     /* next seq to send; wraps 65535 -> 0 (XEP-0047 §2.2) */
  guint unacked;       /* DATA IQs sent and not yet answered */
  GHashTable *waiting; /* owned: iq id (owned) -> XtlsIbbPacketKind of each IQ we await */
  guint64 iq_counter;
  guint64 packets_sent;

  /* Incoming. */
  guint16 in_seq; /* next seq expected from the peer */
  gboolean open_received;

  gboolean close_requested; /* xtls_ibb_close() was called: a peer <close/> is then clean */
  gboolean close_sent;
  gboolean flushing; /* guards flush() against re-entry from ops->send */
};

const char *
xtls_ibb_state_to_string (XtlsIbbState state)
{
  switch (state)
    {
      case XTLS_IBB_STATE_CLOSED_INIT:
        return "closed-init";
      case XTLS_IBB_STATE_OPEN:
        return "open";
      case XTLS_IBB_STATE_CLOSED:
        return "closed";
      case XTLS_IBB_STATE_FAILED:
        return "failed";
    }
  return "invalid";
}

static gboolean
state_is_final (XtlsIbbState state)
{
  return state == XTLS_IBB_STATE_CLOSED || state == XTLS_IBB_STATE_FAILED;
}

/* XEP-0047 §2.1 opens a bytestream once and §2.3 closes it once: nothing leaves CLOSED or
 * FAILED, and nothing goes back to CLOSED_INIT. */
static gboolean
transition_allowed (XtlsIbbState from, XtlsIbbState to)
{
  switch (from)
    {
      case XTLS_IBB_STATE_CLOSED_INIT:
        return to == XTLS_IBB_STATE_OPEN || state_is_final (to);
      case XTLS_IBB_STATE_OPEN:
        return state_is_final (to);
      case XTLS_IBB_STATE_CLOSED:
      case XTLS_IBB_STATE_FAILED:
        return FALSE;
    }
  return FALSE;
}

static void
set_state (XtlsIbb *ibb, XtlsIbbState state)
{
  g_debug ("ibb %s: %s -> %s", ibb->sid, xtls_ibb_state_to_string (ibb->state),
           xtls_ibb_state_to_string (state));
  g_assert (transition_allowed (ibb->state, state));
  ibb->state = state;
}

static const char *
condition_to_string (XtlsIbbCondition condition)
{
  switch (condition)
    {
      case XTLS_IBB_COND_NONE:
        return "none";
      case XTLS_IBB_COND_BAD_REQUEST:
        return "bad-request";
      case XTLS_IBB_COND_UNEXPECTED_REQUEST:
        return "unexpected-request";
      case XTLS_IBB_COND_ITEM_NOT_FOUND:
        return "item-not-found";
      case XTLS_IBB_COND_NOT_ACCEPTABLE:
        return "not-acceptable";
      case XTLS_IBB_COND_RESOURCE_CONSTRAINT:
        return "resource-constraint";
      case XTLS_IBB_COND_OTHER:
        return "other";
    }
  return "invalid";
}

/* ---- output ---- */

static void
emit (XtlsIbb *ibb, const XtlsIbbPacket *pkt)
{
  ibb->packets_sent++;
  ibb->ops->send (ibb, pkt, ibb->user_data);
}

/* Sends an IQ-set and remembers its id until the answer comes (xtls_ibb_owns()). The packet
 * gets its own copy of the id: ops->send may re-enter and see the answer, which frees the
 * table's copy. */
static void
send_set (XtlsIbb *ibb, XtlsIbbPacket *pkt)
{
  g_autofree char *id
      = g_strdup_printf ("%s-%" G_GUINT64_FORMAT, ibb->iq_prefix, ++ibb->iq_counter);

  g_hash_table_insert (ibb->waiting, g_strdup (id), GINT_TO_POINTER (pkt->kind));
  pkt->iq_id = id;
  pkt->sid = ibb->sid;
  emit (ibb, pkt);
}

/* Answers an IQ-set from the peer. A RESULT carries the request's id only (RFC 6120 §8.2.3). */
static void
answer (XtlsIbb *ibb, const XtlsIbbPacket *request, XtlsIbbCondition condition)
{
  XtlsIbbPacket pkt = {
    .kind = condition == XTLS_IBB_COND_NONE ? XTLS_IBB_PACKET_RESULT : XTLS_IBB_PACKET_ERROR,
    .iq_id = request->iq_id,
    .sid = request->sid,
    .condition = condition,
  };

  if (condition != XTLS_IBB_COND_NONE)
    IBB_DEBUG (ibb, "answering %s", condition_to_string (condition));
  emit (ibb, &pkt);
}

static void
send_close (XtlsIbb *ibb)
{
  XtlsIbbPacket pkt = { .kind = XTLS_IBB_PACKET_CLOSE };

  ibb->close_sent = TRUE;
  send_set (ibb, &pkt);
}

static gsize
pending_bytes (XtlsIbb *ibb)
{
  return ibb->out_buf->len - ibb->out_pos;
}

static void
send_chunk (XtlsIbb *ibb)
{
  gsize n = MIN (pending_bytes (ibb), ibb->block_size);
  g_autofree char *b64 = g_base64_encode (ibb->out_buf->data + ibb->out_pos, n);
  XtlsIbbPacket pkt = {
    .kind = XTLS_IBB_PACKET_DATA,
    .seq = ibb->out_seq++,
    .has_seq = TRUE,
    .data = b64,
  };

  /* Account before sending, so a re-entrant answer finds consistent counters. */
  ibb->out_pos += n;
  if (ibb->out_pos == ibb->out_buf->len)
    {
      g_byte_array_set_size (ibb->out_buf, 0);
      ibb->out_pos = 0;
    }
  else if (ibb->out_pos >= 65536 && ibb->out_pos * 2 >= ibb->out_buf->len)
    {
      g_byte_array_remove_range (ibb->out_buf, 0, ibb->out_pos);
      ibb->out_pos = 0;
    }
  ibb->unacked++;
  send_set (ibb, &pkt);
}

/* Sends queued data while the window allows, then a requested <close/> once nothing is left
 * to send (XEP-0047 §2.3 lets the close follow unacknowledged data). */
static void
flush (XtlsIbb *ibb)
{
  if (ibb->flushing)
    return;
  ibb->flushing = TRUE;
  while (ibb->state == XTLS_IBB_STATE_OPEN && ibb->unacked < ibb->window && pending_bytes (ibb) > 0)
    send_chunk (ibb);
  ibb->flushing = FALSE;

  if (ibb->state == XTLS_IBB_STATE_OPEN && ibb->close_requested && !ibb->close_sent
      && pending_bytes (ibb) == 0)
    send_close (ibb);
}

/* Enters CLOSED (error NULL) or FAILED and reports it. Answers to IQs we sent stay in
 * 'waiting' so that they are still recognised and swallowed. The caller must return at once
 * afterwards. */
static void
finish (XtlsIbb *ibb, const GError *error)
{
  set_state (ibb, error == NULL ? XTLS_IBB_STATE_CLOSED : XTLS_IBB_STATE_FAILED);
  g_byte_array_set_size (ibb->out_buf, 0);
  ibb->out_pos = 0;
  if (error != NULL)
    IBB_DEBUG (ibb, "%s", error->message);
  ibb->ops->closed (ibb, error, ibb->user_data);
}

static void fail_request (XtlsIbb *ibb, const XtlsIbbPacket *request, XtlsIbbCondition condition,
                          XtlsError code, const char *format, ...) G_GNUC_PRINTF (5, 6);

/* A peer-caused failure: answer @request with @condition, send our <close/> (XEP-0047 §2.2:
 * the recipient "closes the bytestream" on a bad chunk), then report. */
static void
fail_request (XtlsIbb *ibb, const XtlsIbbPacket *request, XtlsIbbCondition condition,
              XtlsError code, const char *format, ...)
{
  g_autoptr (GError) error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (XTLS_ERROR, code, format, args);
  va_end (args);

  answer (ibb, request, condition);
  if (!ibb->close_sent)
    send_close (ibb);
  finish (ibb, error);
}

/* ---- input ---- */

static void
receive_open (XtlsIbb *ibb, const XtlsIbbPacket *pkt)
{
  gboolean we_open = ibb->version == XTLS_IBB_VERSION_1 && ibb->initiator;

  /* Only the ibb:1 responder expects an <open/>, and only one (PROTOCOL.md §3). An ibb:0 peer
   * that sends one anyway is tolerated; a second one would restart seq (XEP-0047 §2.1). */
  if (we_open || ibb->open_received)
    {
      fail_request (ibb, pkt, XTLS_IBB_COND_UNEXPECTED_REQUEST, XTLS_ERROR_IBB_UNEXPECTED,
                    "unexpected IBB open");
      return;
    }
  if (pkt->block_size == 0)
    {
      fail_request (ibb, pkt, XTLS_IBB_COND_BAD_REQUEST, XTLS_ERROR_IBB_BAD_REQUEST,
                    "IBB open without block-size");
      return;
    }
  /* XEP-0047 §2.1: a responder that wants smaller chunks answers resource-constraint. Jingle
   * already negotiated the block size, so there is nothing to retry: the stream fails. */
  if (pkt->block_size > ibb->block_size)
    {
      fail_request (ibb, pkt, XTLS_IBB_COND_RESOURCE_CONSTRAINT, XTLS_ERROR_IBB_BAD_REQUEST,
                    "IBB open with block-size %u, larger than the negotiated %u", pkt->block_size,
                    ibb->block_size);
      return;
    }

  ibb->open_received = TRUE;
  answer (ibb, pkt, XTLS_IBB_COND_NONE);
  if (ibb->state == XTLS_IBB_STATE_CLOSED_INIT)
    {
      set_state (ibb, XTLS_IBB_STATE_OPEN);
      flush (ibb);
    }
}

static void
receive_data (XtlsIbb *ibb, const XtlsIbbPacket *pkt)
{
  g_autofree guint8 *bytes = NULL;
  gsize len = 0;

  /* XEP-0047 §2.2: 'seq' is required and 16-bit. */
  if (!pkt->has_seq || pkt->seq > G_MAXUINT16)
    {
      fail_request (ibb, pkt, XTLS_IBB_COND_BAD_REQUEST, XTLS_ERROR_IBB_BAD_REQUEST,
                    "IBB data without a valid seq");
      return;
    }
  /* XEP-0047 §2.2: a repeated or skipped seq may mean lost data; the stream cannot go on. */
  if (pkt->seq != ibb->in_seq)
    {
      fail_request (ibb, pkt, XTLS_IBB_COND_UNEXPECTED_REQUEST, XTLS_ERROR_IBB_UNEXPECTED,
                    "IBB data with seq %u, expected %u", (guint)pkt->seq, (guint)ibb->in_seq);
      return;
    }
  switch (xtls_base64_decode_strict (pkt->data, ibb->block_size, &bytes, &len))
    {
      case XTLS_BASE64_OK:
        break;
      case XTLS_BASE64_INVALID:
        fail_request (ibb, pkt, XTLS_IBB_COND_BAD_REQUEST, XTLS_ERROR_IBB_BAD_REQUEST,
                      "IBB data seq %u is not valid base64", (guint)pkt->seq);
        return;
      case XTLS_BASE64_TOO_LARGE:
        fail_request (ibb, pkt, XTLS_IBB_COND_BAD_REQUEST, XTLS_ERROR_IBB_BAD_REQUEST,
                      "IBB data seq %u is larger than block-size %u", (guint)pkt->seq,
                      ibb->block_size);
        return;
    }

  /* Data before the ibb:1 <open/> (or before the caller's xtls_ibb_open()) is accepted
   * without changing state: servers keep order, but a lost or late open costs nothing here,
   * and seq still guards against gaps. */
  ibb->in_seq++;
  answer (ibb, pkt, XTLS_IBB_COND_NONE);
  if (len > 0)
    ibb->ops->deliver (ibb, bytes, len, ibb->user_data);
}

static void
receive_close (XtlsIbb *ibb, const XtlsIbbPacket *pkt)
{
  /* XEP-0047 §2.3: acknowledge first; the bytestream is gone either way. */
  answer (ibb, pkt, XTLS_IBB_COND_NONE);
  if (ibb->close_requested)
    {
      finish (ibb, NULL);
      return;
    }
  g_autoptr (GError) error
      = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_IBB_CLOSED, "the peer closed the IBB stream");
  finish (ibb, error);
}

static void
receive_answer (XtlsIbb *ibb, const XtlsIbbPacket *pkt)
{
  gpointer value;

  if (pkt->iq_id == NULL || !g_hash_table_lookup_extended (ibb->waiting, pkt->iq_id, NULL, &value))
    {
      IBB_DEBUG (ibb, "ignoring an answer to an IQ we do not wait for");
      return;
    }
  XtlsIbbPacketKind kind = GPOINTER_TO_INT (value);
  g_hash_table_remove (ibb->waiting, pkt->iq_id);

  if (kind == XTLS_IBB_PACKET_DATA && ibb->unacked > 0)
    ibb->unacked--;
  /* Answers that arrive after the end (to data in flight, or to our own <close/> after a
   * failure, which the peer may answer item-not-found) change nothing. */
  if (state_is_final (ibb->state))
    return;

  if (pkt->kind == XTLS_IBB_PACKET_ERROR)
    {
      /* An error to our <close/> most often means the peer already dropped the stream
       * (item-not-found): what we asked for has happened. */
      if (kind == XTLS_IBB_PACKET_CLOSE)
        {
          finish (ibb, NULL);
          return;
        }
      /* The peer ended its side by answering with an error (XEP-0047 §2.2), so no <close/>. */
      g_autoptr (GError) error = g_error_new (
          XTLS_ERROR, XTLS_ERROR_IBB_REJECTED, "the peer answered IBB %s with %s",
          kind == XTLS_IBB_PACKET_OPEN ? "open" : "data", condition_to_string (pkt->condition));
      finish (ibb, error);
      return;
    }

  switch (kind)
    {
      case XTLS_IBB_PACKET_CLOSE:
        finish (ibb, NULL);
        return;
      case XTLS_IBB_PACKET_DATA:
        flush (ibb);
        if (ibb->state == XTLS_IBB_STATE_OPEN && ibb->unacked == 0 && pending_bytes (ibb) == 0
            && ibb->ops->drained != NULL)
          ibb->ops->drained (ibb, ibb->user_data);
        return;
      case XTLS_IBB_PACKET_OPEN:
      case XTLS_IBB_PACKET_RESULT:
      case XTLS_IBB_PACKET_ERROR:
        return;
    }
}

void
xtls_ibb_receive (XtlsIbb *ibb, const XtlsIbbPacket *pkt)
{
  g_return_if_fail (ibb != NULL);
  g_return_if_fail (pkt != NULL);

  switch (pkt->kind)
    {
      case XTLS_IBB_PACKET_OPEN:
      case XTLS_IBB_PACKET_DATA:
      case XTLS_IBB_PACKET_CLOSE:
        /* XEP-0047 §2.2: an unknown sid, or one that has ended, is item-not-found. A stream
         * that ended was reported once already; this answer reports nothing. */
        if (g_strcmp0 (pkt->sid, ibb->sid) != 0 || state_is_final (ibb->state))
          {
            answer (ibb, pkt, XTLS_IBB_COND_ITEM_NOT_FOUND);
            return;
          }
        if (pkt->kind == XTLS_IBB_PACKET_OPEN)
          receive_open (ibb, pkt);
        else if (pkt->kind == XTLS_IBB_PACKET_DATA)
          receive_data (ibb, pkt);
        else
          receive_close (ibb, pkt);
        return;
      case XTLS_IBB_PACKET_RESULT:
      case XTLS_IBB_PACKET_ERROR:
        receive_answer (ibb, pkt);
        return;
    }
}

gboolean
xtls_ibb_owns (XtlsIbb *ibb, const XtlsIbbPacket *pkt)
{
  g_return_val_if_fail (ibb != NULL, FALSE);
  g_return_val_if_fail (pkt != NULL, FALSE);

  switch (pkt->kind)
    {
      case XTLS_IBB_PACKET_OPEN:
      case XTLS_IBB_PACKET_DATA:
      case XTLS_IBB_PACKET_CLOSE:
        return g_strcmp0 (pkt->sid, ibb->sid) == 0;
      case XTLS_IBB_PACKET_RESULT:
      case XTLS_IBB_PACKET_ERROR:
        return pkt->iq_id != NULL && g_hash_table_contains (ibb->waiting, pkt->iq_id);
    }
  return FALSE;
}

/* ---- API ---- */

XtlsIbb *
xtls_ibb_new (const XtlsIbbConfig *config, const XtlsIbbOps *ops, gpointer user_data)
{
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->sid != NULL && config->sid[0] != '\0', NULL);
  g_return_val_if_fail (config->block_size >= 1, NULL);
  g_return_val_if_fail (config->block_size <= XTLS_IBB_MAX_BLOCK_SIZE, NULL);
  g_return_val_if_fail (ops != NULL, NULL);
  g_return_val_if_fail (ops->send != NULL && ops->deliver != NULL && ops->closed != NULL, NULL);

  XtlsIbb *ibb = g_new0 (XtlsIbb, 1);
  ibb->state = XTLS_IBB_STATE_CLOSED_INIT;
  ibb->sid = g_strdup (config->sid);
  ibb->iq_prefix = g_strdup (config->iq_prefix != NULL ? config->iq_prefix : "ibb");
  ibb->version = config->version;
  ibb->initiator = config->initiator;
  ibb->block_size = config->block_size;
  ibb->window = config->window != 0 ? config->window : XTLS_IBB_DEFAULT_WINDOW;
  ibb->ops = ops;
  ibb->user_data = user_data;
  ibb->out_buf = g_byte_array_new ();
  ibb->waiting = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return ibb;
}

void
xtls_ibb_free (XtlsIbb *ibb)
{
  if (ibb == NULL)
    return;
  g_free (ibb->sid);
  g_free (ibb->iq_prefix);
  g_byte_array_unref (ibb->out_buf);
  g_hash_table_unref (ibb->waiting);
  g_free (ibb);
}

void
xtls_ibb_open (XtlsIbb *ibb)
{
  g_return_if_fail (ibb != NULL);

  /* Already open (the peer's <open/> came first), or already over: nothing to do. */
  if (ibb->state != XTLS_IBB_STATE_CLOSED_INIT)
    return;

  set_state (ibb, XTLS_IBB_STATE_OPEN);
  if (ibb->version == XTLS_IBB_VERSION_1 && ibb->initiator)
    {
      /* XEP-0047 §2.1 with stanza='iq'; data follows without waiting (PROTOCOL.md §2). */
      XtlsIbbPacket pkt = { .kind = XTLS_IBB_PACKET_OPEN, .block_size = ibb->block_size };
      send_set (ibb, &pkt);
    }
  flush (ibb);
}

gboolean
xtls_ibb_send (XtlsIbb *ibb, const guint8 *data, gsize len)
{
  g_return_val_if_fail (ibb != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (state_is_final (ibb->state) || ibb->close_requested)
    return FALSE;
  g_byte_array_append (ibb->out_buf, data, len);
  flush (ibb);
  return TRUE;
}

void
xtls_ibb_close (XtlsIbb *ibb)
{
  g_return_if_fail (ibb != NULL);

  if (state_is_final (ibb->state) || ibb->close_requested)
    return;
  ibb->close_requested = TRUE;
  /* Never opened on our side: there is no bytestream to close on the wire. */
  if (ibb->state == XTLS_IBB_STATE_CLOSED_INIT)
    {
      finish (ibb, NULL);
      return;
    }
  flush (ibb);
}

XtlsIbbState
xtls_ibb_get_state (XtlsIbb *ibb)
{
  g_return_val_if_fail (ibb != NULL, XTLS_IBB_STATE_FAILED);
  return ibb->state;
}

const char *
xtls_ibb_get_sid (XtlsIbb *ibb)
{
  g_return_val_if_fail (ibb != NULL, NULL);
  return ibb->sid;
}

gsize
xtls_ibb_get_pending_bytes (XtlsIbb *ibb)
{
  g_return_val_if_fail (ibb != NULL, 0);
  return pending_bytes (ibb);
}

guint
xtls_ibb_get_unacked (XtlsIbb *ibb)
{
  g_return_val_if_fail (ibb != NULL, 0);
  return ibb->unacked;
}

guint64
xtls_ibb_get_packets_sent (XtlsIbb *ibb)
{
  g_return_val_if_fail (ibb != NULL, 0);
  return ibb->packets_sent;
}
