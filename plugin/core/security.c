/* The security layer: IBB carries TLS records (PROTOCOL.md §3-§4). It composes the two engines
 * and nothing else; everything above it (the application's bytes, the session's life cycle)
 * is reached through its callbacks. */
#include "security.h"

#include "xtls-error.h"

/* Transport bytes that may arrive before the TLS channel exists (the responder waiting for
 * its user's password): a ClientHello is a few hundred bytes, so this is generous. */
#define MAX_HELD_BYTES (64 * 1024)

struct _XtlsSecurity
{
  const XtlsSecurityOps *ops; /* borrowed */
  gpointer user_data;
  XtlsIbb *ibb;         /* owned; NULL over a byte stream */
  XtlsTlsChannel *tls;  /* owned; NULL before start */
  gboolean tls_dropped; /* released by the owner: no more bytes in or out */
  GByteArray *held;     /* owned: transport bytes received before TLS exists */
  gboolean up;          /* our side of the handshake finished */
  gboolean tls_ended;   /* TLS reported close_notify or a failure */
  guint block_size;     /* IBB: raw bytes per data IQ */
  gboolean stream_busy; /* byte stream: written, and the owner has not reported it drained */
  char *description;    /* owned: "TLS1.3, AES-256-GCM" once up */
};

/* ---- TLS callbacks ------------------------------------------------------------------- */

static void
tls_send (XtlsTlsChannel *channel, const guint8 *data, gsize len, gpointer user_data)
{
  XtlsSecurity *sec = user_data;

  if (sec->ibb != NULL)
    xtls_ibb_send (sec->ibb, data, len);
  else
    {
      sec->stream_busy = TRUE;
      sec->ops->write_stream (sec, data, len, sec->user_data);
    }
}

static void
tls_established (XtlsTlsChannel *channel, gpointer user_data)
{
  XtlsSecurity *sec = user_data;

  sec->up = TRUE;
  g_free (sec->description);
  sec->description = g_strdup_printf ("%s, %s", xtls_tls_channel_get_protocol_name (channel),
                                      xtls_tls_channel_get_cipher_name (channel));
  sec->ops->established (sec, sec->user_data);
}

static void
tls_receive (XtlsTlsChannel *channel, const guint8 *data, gsize len, gpointer user_data)
{
  XtlsSecurity *sec = user_data;

  if (!sec->tls_dropped)
    sec->ops->data (sec, data, len, sec->user_data);
}

static void
tls_closed (XtlsTlsChannel *channel, const GError *error, gpointer user_data)
{
  XtlsSecurity *sec = user_data;

  sec->tls_ended = TRUE;
  if (!sec->tls_dropped)
    sec->ops->tls_closed (sec, error, sec->user_data);
}

static const XtlsTlsChannelOps tls_ops = {
  .send = tls_send,
  .established = tls_established,
  .receive = tls_receive,
  .closed = tls_closed,
};

/* ---- IBB callbacks --------------------------------------------------------------------- */

static void
ibb_send (XtlsIbb *ibb, const XtlsIbbPacket *pkt, gpointer user_data)
{
  XtlsSecurity *sec = user_data;

  sec->ops->send_packet (sec, pkt, sec->user_data);
}

/* Transport bytes, from either transport. */
static void
deliver (XtlsSecurity *sec, const guint8 *data, gsize len)
{
  if (sec->tls_dropped)
    return; /* the last records of an ended session: acknowledged, not read */
  if (sec->tls != NULL)
    {
      xtls_tls_channel_receive (sec->tls, data, len);
      return;
    }
  if (sec->held == NULL)
    sec->held = g_byte_array_new ();
  if (sec->held->len + len > MAX_HELD_BYTES)
    {
      sec->ops->overflow (sec, sec->user_data);
      return;
    }
  g_byte_array_append (sec->held, data, len);
}

static void
ibb_deliver (XtlsIbb *ibb, const guint8 *data, gsize len, gpointer user_data)
{
  deliver (user_data, data, len);
}

static void
ibb_closed (XtlsIbb *ibb, const GError *error, gpointer user_data)
{
  XtlsSecurity *sec = user_data;

  sec->ops->transport_closed (sec, error, sec->user_data);
}

static void
ibb_drained (XtlsIbb *ibb, gpointer user_data)
{
  XtlsSecurity *sec = user_data;

  sec->ops->drained (sec, sec->user_data);
}

static const XtlsIbbOps ibb_ops = {
  .send = ibb_send,
  .deliver = ibb_deliver,
  .closed = ibb_closed,
  .drained = ibb_drained,
};

/* ---- API ------------------------------------------------------------------------------- */

XtlsSecurity *
xtls_security_new (const XtlsIbbConfig *transport, const XtlsSecurityOps *ops, gpointer user_data)
{
  XtlsSecurity *sec = g_new0 (XtlsSecurity, 1);

  sec->ops = ops;
  sec->user_data = user_data;
  sec->ibb = xtls_ibb_new (transport, &ibb_ops, sec);
  sec->block_size = transport->block_size;
  return sec;
}

XtlsSecurity *
xtls_security_new_stream (const XtlsSecurityOps *ops, gpointer user_data)
{
  XtlsSecurity *sec = g_new0 (XtlsSecurity, 1);

  g_return_val_if_fail (ops->write_stream != NULL, NULL);
  sec->ops = ops;
  sec->user_data = user_data;
  return sec;
}

void
xtls_security_receive_stream (XtlsSecurity *sec, const guint8 *data, gsize len)
{
  g_return_if_fail (sec->ibb == NULL);
  deliver (sec, data, len);
}

void
xtls_security_stream_closed (XtlsSecurity *sec, const GError *error)
{
  g_autoptr (GError) truncated = NULL;

  g_return_if_fail (sec->ibb == NULL);
  /* TLS ends with close_notify; a stream that ends first may have been cut by an attacker. */
  if (error == NULL && !sec->tls_ended && sec->tls != NULL)
    error = truncated
        = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_CONNECTION_LOST,
                               "the stream ended before the encrypted connection did");
  sec->ops->transport_closed (sec, error, sec->user_data);
}

void
xtls_security_stream_drained (XtlsSecurity *sec)
{
  g_return_if_fail (sec->ibb == NULL);
  if (!sec->stream_busy)
    return;
  sec->stream_busy = FALSE;
  sec->ops->drained (sec, sec->user_data);
}

void
xtls_security_free (XtlsSecurity *sec)
{
  if (sec == NULL)
    return;
  g_clear_pointer (&sec->tls, xtls_tls_channel_free);
  g_clear_pointer (&sec->ibb, xtls_ibb_free);
  g_clear_pointer (&sec->held, g_byte_array_unref);
  g_free (sec->description);
  g_free (sec);
}

void
xtls_security_open (XtlsSecurity *sec)
{
  if (sec->ibb != NULL)
    xtls_ibb_open (sec->ibb);
}

void
xtls_security_receive (XtlsSecurity *sec, const XtlsIbbPacket *pkt)
{
  if (sec->ibb != NULL)
    xtls_ibb_receive (sec->ibb, pkt);
}

gboolean
xtls_security_owns (XtlsSecurity *sec, const XtlsIbbPacket *pkt)
{
  return sec->ibb != NULL && xtls_ibb_owns (sec->ibb, pkt);
}

gboolean
xtls_security_start (XtlsSecurity *sec, const XtlsTlsConfig *config, GError **error)
{
  g_autoptr (GByteArray) held = NULL;

  g_return_val_if_fail (sec->tls == NULL, FALSE);

  sec->tls = xtls_tls_channel_new (config, &tls_ops, sec, error);
  if (sec->tls == NULL)
    return FALSE;
  xtls_tls_channel_start (sec->tls);
  held = g_steal_pointer (&sec->held);
  if (held != NULL && !sec->tls_dropped)
    xtls_tls_channel_receive (sec->tls, held->data, held->len);
  return TRUE;
}

gboolean
xtls_security_started (XtlsSecurity *sec)
{
  return sec->tls != NULL && !sec->tls_dropped;
}

gboolean
xtls_security_is_up (XtlsSecurity *sec)
{
  return sec->up;
}

gboolean
xtls_security_handshaking (XtlsSecurity *sec)
{
  return xtls_security_started (sec)
         && xtls_tls_channel_get_state (sec->tls) == XTLS_TLS_STATE_HANDSHAKING;
}

gboolean
xtls_security_send (XtlsSecurity *sec, const guint8 *data, gsize len, GError **error)
{
  if (!xtls_security_started (sec))
    {
      g_set_error_literal (error, XTLS_ERROR, XTLS_ERROR_FAILED, "the tunnel is closed");
      return FALSE;
    }
  return xtls_tls_channel_send (sec->tls, data, len, error);
}

void
xtls_security_close (XtlsSecurity *sec)
{
  if (xtls_security_started (sec))
    xtls_tls_channel_close (sec->tls);
}

void
xtls_security_abort (XtlsSecurity *sec, const GError *error)
{
  if (xtls_security_handshaking (sec))
    xtls_tls_channel_abort (sec->tls, error);
}

void
xtls_security_drop_tls (XtlsSecurity *sec)
{
  /* Not freed here: a TLS callback may be on the stack. xtls_security_free() frees it. */
  sec->tls_dropped = TRUE;
  g_clear_pointer (&sec->held, g_byte_array_unref);
}

void
xtls_security_close_transport (XtlsSecurity *sec)
{
  /* A byte stream is closed by its owner (the socket is theirs). */
  if (sec->ibb != NULL)
    xtls_ibb_close (sec->ibb);
}

gboolean
xtls_security_is_drained (XtlsSecurity *sec)
{
  /* A byte stream's buffers are its owner's; it says when they are empty. */
  if (sec->ibb == NULL)
    return !sec->stream_busy;
  return (xtls_ibb_get_pending_bytes (sec->ibb) == 0 && xtls_ibb_get_unacked (sec->ibb) == 0);
}

gsize
xtls_security_get_outstanding (XtlsSecurity *sec)
{
  if (sec->ibb == NULL)
    return 0;
  return xtls_ibb_get_pending_bytes (sec->ibb)
         + (gsize)xtls_ibb_get_unacked (sec->ibb) * sec->block_size;
}

const char *
xtls_security_get_description (XtlsSecurity *sec)
{
  return sec->description;
}

GBytes *
xtls_security_get_peer_certificate (XtlsSecurity *sec)
{
  return sec->tls != NULL ? xtls_tls_channel_get_peer_certificate (sec->tls) : NULL;
}
