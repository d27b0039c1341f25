/* One XTLS session (chat or a file) with one peer resource: its life cycle, its trust state (the
 * one set_state), its outer IQs and their deadlines, and how it ends.
 *
 * Layers, each owning its own state and talking down through calls, up through callbacks:
 *   session -> negotiation (Jingle, trust decisions, method)     negotiation.c
 *           -> security layer (IBB transport + TLS + the peer)   security.c
 *              over IBB, or over a SOCKS5 bytestream (files)      s5b-transport.c
 *           -> application (chat: inner XML stream, messages)    chat.c
 *              or, in a file session, the file (filexfer engine)  fileapp.c
 * Data in: hub -> session -> security (IBB -> TLS) -> chat -> ops->message_received.
 * Data out is the reverse. This file is the only one that knows the layers and wires them. */
#include "session-private.h"

#include <string.h>

#include "chat.h"
#include "fileapp.h"
#include "negotiation.h"
#include "outer.h"
#include "s5b-transport.h"
#include "security.h"
#include "xtls-error.h"

/* Never log message text, passwords or keys (STYLE.md habit 7). */
#define SLOG(s, fmt, ...)                                                                          \
  g_debug ("[%s %s] " fmt, log_id (s), xtls_trust_state_to_string ((s)->state), ##__VA_ARGS__)

typedef enum
{
  PHASE_IDLE,
  PHASE_ACTIVE, /* negotiating or running (the negotiation knows which step) */
  PHASE_ENDING, /* our end of the stream is closed; draining before terminate */
  PHASE_ENDED,
} Phase;

struct _XtlsSession
{
  const XtlsSessionHost *host; /* borrowed: the hub owns us */
  char *peer;                  /* owned, full JID */
  XtlsTrustState state;
  GError *error; /* owned: why we failed */
  Phase phase;
  gint64 ended_at; /* monotonic µs when the phase became ENDED */

  XtlsNegotiation *neg;  /* owned */
  XtlsSecurity *sec;     /* owned, once the transport is agreed */
  XtlsChat *chat;        /* owned until the end: it holds the messages that wait */
  char *tls_description; /* owned: "TLS1.3, AES-256-GCM" once the tunnel is proven */

  XtlsOuter *outer; /* owned: the IQs we sent and their ack deadlines */
  gint64 handshake_deadline;

  XtlsFileApp *app;      /* owned, file sessions only (fileapp.c); then chat is NULL */
  XtlsS5bTransport *s5b; /* owned: the SOCKS5 bytestream while it is the transport */
  gboolean tls_wanted;   /* the method is settled; TLS starts once the transport exists */
  gint64 close_deadline; /* over a proxy: when the file's close_notify goes out, 0 = none */
};

static const char *
log_id (XtlsSession *s)
{
  const char *sid = s->neg != NULL ? xtls_negotiation_get_sid (s->neg) : NULL;
  return sid != NULL ? sid : "-";
}

static gint64
now (XtlsSession *s)
{
  return xtls_clock_now (s->host->clock);
}

/* ---- trust state (pidgin-otr's model: one level per conversation, set in one place) ------ */

const char *
xtls_trust_state_to_string (XtlsTrustState state)
{
  switch (state)
    {
      case XTLS_STATE_NOT_PRIVATE:
        return "not private";
      case XTLS_STATE_NEGOTIATING:
        return "negotiating";
      case XTLS_STATE_UNVERIFIED:
        return "unverified";
      case XTLS_STATE_PRIVATE:
        return "private";
      case XTLS_STATE_FINISHED:
        return "finished";
      case XTLS_STATE_FAILED:
        return "failed";
    }
  return "?";
}

static gboolean
transition_allowed (XtlsTrustState from, XtlsTrustState to)
{
  switch (from)
    {
      case XTLS_STATE_NOT_PRIVATE:
        return to == XTLS_STATE_NEGOTIATING || to == XTLS_STATE_FAILED;
      case XTLS_STATE_NEGOTIATING:
      case XTLS_STATE_UNVERIFIED:
        return to != XTLS_STATE_NOT_PRIVATE;
      case XTLS_STATE_PRIVATE:
        return to == XTLS_STATE_FINISHED || to == XTLS_STATE_FAILED;
      case XTLS_STATE_FINISHED:
      case XTLS_STATE_FAILED:
        return FALSE;
    }
  return FALSE;
}

static void
set_state (XtlsSession *s, XtlsTrustState state)
{
  if (s->state == state)
    return;
  g_assert (transition_allowed (s->state, state));
  SLOG (s, "state %s -> %s", xtls_trust_state_to_string (s->state),
        xtls_trust_state_to_string (state));
  s->state = state;
  s->host->ops->state_changed (s, state, s->error, s->host->user_data);
}

/* ---- outer stanzas (outer.c tracks them) ---------------------------------------------- */

static void
send_result (XtlsSession *s, const char *id)
{
  xtls_outer_send_result (s->outer, id);
}

static void
send_error (XtlsSession *s, const char *id, XtlsStanzaCondition condition,
            XtlsJingleErrorCondition jingle_condition)
{
  xtls_outer_send_error (s->outer, id, condition, jingle_condition,
                         xtls_negotiation_get_dialect (s->neg));
}

/* ---- ending ------------------------------------------------------------------------------- */

static void
bury (XtlsSession *s, gpointer object, GDestroyNotify free_func)
{
  s->host->ops->bury (object, free_func, s->host->user_data);
}

/* Every end goes through here: no more deadlines, layers released, messages that never made
 * it into a proven tunnel reported as not sent. After a clean finish the transport stays
 * until the <close/> exchange (PROTOCOL.md §6), so the peer's last records in flight are
 * acknowledged, not refused. */
static void
end (XtlsSession *s, XtlsTrustState final, const GError *error)
{
  if (s->phase == PHASE_ENDED)
    return;
  s->phase = PHASE_ENDED;
  s->ended_at = MAX (now (s), 1);
  if (error != NULL && s->error == NULL)
    s->error = g_error_copy (error);
  /* Answers to IQs we sent may still arrive; their ids stay known, but no deadline runs. */
  xtls_outer_abandon (s->outer);
  s->handshake_deadline = 0;
  xtls_negotiation_end (s->neg);
  if (s->s5b != NULL)
    {
      /* Everything we wrote has left (or never will): the socket closes with the session. */
      xtls_s5b_transport_close (s->s5b);
      bury (s, g_steal_pointer (&s->s5b), (GDestroyNotify)xtls_s5b_transport_free);
    }
  if (s->sec != NULL)
    {
      if (final == XTLS_STATE_FINISHED && error == NULL)
        xtls_security_drop_tls (s->sec);
      else
        bury (s, g_steal_pointer (&s->sec), (GDestroyNotify)xtls_security_free);
    }
  if (s->chat != NULL)
    {
      xtls_chat_stop (s->chat);
      bury (s, g_steal_pointer (&s->chat), (GDestroyNotify)xtls_chat_free);
    }
  if (s->app != NULL)
    xtls_file_app_session_ended (s->app, s->error);
  set_state (s, final);
}

/* Fails the handshake from outside, if one runs. The phase is marked ended meanwhile, so the
 * security layer's report of it (tls_closed) does not end the session twice. */
static void
abort_handshake (XtlsSession *s, const GError *error)
{
  Phase phase = s->phase;

  if (s->sec == NULL || error == NULL || !xtls_security_handshaking (s->sec))
    return;
  s->phase = PHASE_ENDED;
  xtls_security_abort (s->sec, error);
  s->phase = phase;
}

void
xtls_session_fail (XtlsSession *s, XtlsJingleReason reason, const GError *error)
{
  if (s->phase == PHASE_ENDED)
    return;
  SLOG (s, "failing: %s (terminate reason %s)", error ? error->message : "-",
        xtls_jingle_reason_to_string (reason));
  abort_handshake (s, error);
  if (reason != XTLS_REASON_NONE && xtls_negotiation_get_sid (s->neg) != NULL
      && s->phase != PHASE_IDLE)
    xtls_negotiation_terminate (s->neg, reason);
  end (s, XTLS_STATE_FAILED, error);
}

static void
fail_code (XtlsSession *s, XtlsJingleReason reason, XtlsError code, const char *message)
{
  g_autoptr (GError) error = g_error_new_literal (XTLS_ERROR, code, message);
  xtls_session_fail (s, reason, error);
}

/* The last step of a polite end: everything we wrote has been sent and acknowledged. */
static void
complete_stop (XtlsSession *s)
{
  xtls_negotiation_terminate (s->neg, XTLS_REASON_SUCCESS);
  if (s->sec != NULL)
    xtls_security_close_transport (s->sec);
  end (s, XTLS_STATE_FINISHED, NULL);
}

static gboolean
tunnel_up (XtlsSession *s)
{
  return s->sec != NULL && xtls_security_is_up (s->sec);
}

/* A polite end with the tunnel up: close_notify, then once drained session-terminate
 * <success/>, IBB <close/>, FINISHED. */
static void
finish (XtlsSession *s)
{
  if (s->phase != PHASE_ACTIVE || !tunnel_up (s))
    return;
  s->phase = PHASE_ENDING;
  xtls_security_close (s->sec);
  if (xtls_security_is_drained (s->sec))
    complete_stop (s);
}

/* Sends session-terminate @reason (NONE: nothing) and ends as @final with @error. */
static void
terminate (XtlsSession *s, XtlsJingleReason reason, XtlsTrustState final, const GError *error)
{
  if (s->phase == PHASE_ENDED)
    return;
  abort_handshake (s, error);
  if (reason != XTLS_REASON_NONE && xtls_negotiation_get_sid (s->neg) != NULL
      && s->phase != PHASE_IDLE)
    xtls_negotiation_terminate (s->neg, reason);
  end (s, final, error);
}

/* The local user cancels a file session: the transfer if it runs, else the session. */
static void
cancel_file (XtlsSession *s)
{
  g_autoptr (GError) error = NULL;

  if (!xtls_session_is_live (s))
    return;
  if (xtls_file_app_running (s->app))
    {
      xtls_negotiation_accept_file (s->neg, FALSE);
      xtls_file_app_cancel (s->app); /* its end asks for the terminate (app_terminate) */
      return;
    }
  error = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_CANCELLED, "cancelled by the user");
  terminate (s, XTLS_REASON_CANCEL, XTLS_STATE_FINISHED, error);
}

/* @now_: the account is going away (sign-off, unload), so nothing can wait for the peer's
 * acknowledgements: what is queued goes out, the terminate follows at once, and the session
 * counts as finished rather than failed. */
static void
stop (XtlsSession *s, gboolean now_)
{
  if (!xtls_session_is_live (s) || (s->phase == PHASE_ENDING && !now_))
    return;
  s->host->ops->enter (s->host->user_data);
  if (s->app != NULL)
    cancel_file (s); /* a file cut short is cancelled, never "finished" */
  else if (tunnel_up (s))
    {
      /* PROTOCOL.md §6: </stream:stream>, then session-terminate <success/>, then IBB <close/>,
       * once the data before them has been acknowledged so no message is cut off. */
      if (s->phase != PHASE_ENDING)
        {
          s->phase = PHASE_ENDING;
          xtls_chat_close (s->chat);
          xtls_security_close (s->sec);
        }
      if (now_ || xtls_security_is_drained (s->sec))
        complete_stop (s);
    }
  else
    {
      g_autoptr (GError) error = NULL;
      if (!now_)
        error = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_CANCELLED, "cancelled by the user");
      if (s->phase != PHASE_IDLE)
        xtls_negotiation_terminate (s->neg, xtls_negotiation_not_agreed (s->neg)
                                                ? XTLS_REASON_DECLINE
                                                : XTLS_REASON_CANCEL);
      end (s, XTLS_STATE_FINISHED, error);
    }
  s->host->ops->leave (s->host->user_data);
}

void
xtls_session_stop (XtlsSession *s)
{
  g_return_if_fail (s != NULL);
  stop (s, FALSE);
}

void
xtls_session_stop_now (XtlsSession *s)
{
  g_return_if_fail (s != NULL);
  stop (s, TRUE);
}

/* ---- the tunnel goes live ------------------------------------------------------------- */

/* The peer's stream header arrived over our established TLS: the tunnel is proven both ways
 * (for the TLS 1.3 client this is the moment the server has accepted our certificate). */
static void
go_live (XtlsSession *s)
{
  s->handshake_deadline = 0;
  s->tls_description = g_strdup (xtls_security_get_description (s->sec));
  SLOG (s, "tunnel up (%s, %s)",
        xtls_negotiation_get_method (s->neg) == XTLS_METHOD_SRP ? "srp" : "x509",
        s->tls_description);
  set_state (s, xtls_negotiation_is_verified (s->neg) ? XTLS_STATE_PRIVATE : XTLS_STATE_UNVERIFIED);
  if (s->phase == PHASE_ENDED)
    return;
  /* After an SRP session, exchange certificates inside the tunnel so the next session can use
   * x509 (PROTOCOL.md §4, draft §8.1). Never over the server connection. */
  if (xtls_negotiation_get_method (s->neg) == XTLS_METHOD_SRP)
    {
      /* A file session has no inner stream to exchange certificates in. */
      if (s->chat != NULL)
        xtls_chat_request_certificate (s->chat);
    }
  else
    xtls_negotiation_tunnel_proven (s->neg, xtls_security_get_peer_certificate (s->sec));
}

/* ---- the application (chat) ------------------------------------------------------------ */

static gboolean
chat_write (XtlsChat *chat, const char *data, gsize len, gpointer user_data)
{
  XtlsSession *s = user_data;

  return s->sec != NULL && xtls_security_send (s->sec, (const guint8 *)data, len, NULL);
}

static void
chat_opened (XtlsChat *chat, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase == PHASE_ACTIVE && tunnel_up (s))
    go_live (s);
}

static void
chat_message (XtlsChat *chat, const char *body, gpointer user_data)
{
  XtlsSession *s = user_data;

  s->host->ops->message_received (s, body, s->host->user_data);
}

static void
chat_status (XtlsChat *chat, guint64 id, gboolean sent, gpointer user_data)
{
  XtlsSession *s = user_data;

  s->host->ops->message_status (s, id, sent, s->host->user_data);
}

static void
chat_certificate (XtlsChat *chat, const guint8 *der, gsize len, gpointer user_data)
{
  XtlsSession *s = user_data;

  xtls_negotiation_peer_certificate (s->neg, der, len);
}

static void
chat_ended (XtlsChat *chat, XtlsChatEnd how, const GError *error, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase == PHASE_ENDED)
    return;
  switch (how)
    {
      case XTLS_CHAT_END_PEER_ERROR:
        /* RFC 6120 §4.9: the peer is closing; its session-terminate follows, we send none. */
        xtls_session_fail (s, XTLS_REASON_NONE, error);
        break;
      case XTLS_CHAT_END_BAD_INPUT:
        /* PROTOCOL.md §6: the stream error has been sent; close TLS, terminate. */
        xtls_security_close (s->sec);
        xtls_session_fail (s, XTLS_REASON_FAILED_APPLICATION, error);
        break;
      case XTLS_CHAT_END_PEER_CLOSED:
        if (s->phase == PHASE_ENDING)
          {
            /* The peer answered our </stream:stream>: it has read everything we wrote. */
            complete_stop (s);
            break;
          }
        /* The peer is ending: close ours; its session-terminate follows. */
        xtls_chat_close (s->chat);
        xtls_security_close (s->sec);
        end (s, XTLS_STATE_FINISHED, NULL);
        break;
    }
}

static const XtlsChatOps chat_ops = {
  .write = chat_write,
  .opened = chat_opened,
  .message = chat_message,
  .status = chat_status,
  .certificate = chat_certificate,
  .ended = chat_ended,
};

/* ---- the application (a file) ----------------------------------------------------------- */

static gboolean
app_write (XtlsFileApp *app, const guint8 *data, gsize len, gpointer user_data)
{
  XtlsSession *s = user_data;

  return s->sec != NULL && xtls_security_send (s->sec, data, len, NULL);
}

static void
app_close (XtlsFileApp *app, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->sec == NULL)
    return;
  /* Through a SOCKS5 proxy, close_notify follows the file's last bytes a moment later, in a
   * segment of its own: Prosody 0.12's mod_proxy65 can stop reading with the tail of a burst
   * in its buffer and reads on only when more arrives (README, Protocol). */
  if (s->s5b != NULL && xtls_s5b_transport_via_proxy (s->s5b) && s->close_deadline == 0)
    {
      s->close_deadline = now (s) + XTLS_S5B_PROXY_CLOSE_DELAY_US;
      return;
    }
  xtls_security_close (s->sec);
}

static void
app_send_checksum (XtlsFileApp *app, const guint8 *sha256, gpointer user_data)
{
  XtlsSession *s = user_data;

  xtls_negotiation_send_checksum (s->neg, sha256);
}

static void
app_send_received (XtlsFileApp *app, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase != PHASE_ENDED)
    xtls_negotiation_send_received (s->neg);
}

static gssize
app_read (XtlsFileApp *app, guint8 *buf, gsize max, GError **error, gpointer user_data)
{
  XtlsSession *s = user_data;

  return s->host->ops->file_read (s, buf, max, error, s->host->user_data);
}

static gboolean
app_store (XtlsFileApp *app, const guint8 *data, gsize len, GError **error, gpointer user_data)
{
  XtlsSession *s = user_data;

  return s->host->ops->file_store (s, data, len, error, s->host->user_data);
}

static void
app_progress (XtlsFileApp *app, guint64 done, guint64 total, gpointer user_data)
{
  XtlsSession *s = user_data;

  s->host->ops->file_progress (s, done, total, s->host->user_data);
}

static void
app_file_ended (XtlsFileApp *app, const GError *error, gpointer user_data)
{
  XtlsSession *s = user_data;

  s->host->ops->file_ended (s, error, s->host->user_data);
}

static void
app_end (XtlsFileApp *app, XtlsTrustState final, const GError *error, gpointer user_data)
{
  end (user_data, final, error);
}

static void
app_finish (XtlsFileApp *app, gpointer user_data)
{
  finish (user_data);
}

static void
app_terminate (XtlsFileApp *app, XtlsJingleReason reason, XtlsTrustState final, const GError *error,
               gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase == PHASE_ENDED)
    return;
  if (reason == XTLS_REASON_CANCEL && xtls_negotiation_at_offer (s->neg))
    reason = XTLS_REASON_DECLINE; /* XEP-0234 §3: the user said no to the offer */
  terminate (s, reason, final, error);
}

static const XtlsFileAppOps app_ops = {
  .write = app_write,
  .close = app_close,
  .send_checksum = app_send_checksum,
  .send_received = app_send_received,
  .read = app_read,
  .store = app_store,
  .progress = app_progress,
  .file_ended = app_file_ended,
  .end = app_end,
  .finish = app_finish,
  .terminate = app_terminate,
};

/* ---- the security layer ---------------------------------------------------------------- */

static void
sec_send_packet (XtlsSecurity *sec, const XtlsIbbPacket *pkt, gpointer user_data)
{
  XtlsSession *s = user_data;

  xtls_outer_send_ibb (s->outer, pkt, xtls_negotiation_get_dialect (s->neg));
}

static void
sec_write_stream (XtlsSecurity *sec, const guint8 *data, gsize len, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->s5b != NULL)
    xtls_s5b_transport_send (s->s5b, data, len);
}

static void
sec_established (XtlsSecurity *sec, gpointer user_data)
{
  XtlsSession *s = user_data;
  g_autofree char *stream_id = NULL;

  if (s->phase == PHASE_ENDED)
    return;
  if (s->app != NULL)
    {
      go_live (s);
      if (s->phase == PHASE_ACTIVE)
        xtls_file_app_start (s->app);
      return;
    }
  /* The initiator opens the inner stream; the responder answers with an id (XEP-0247). Both
   * send at once: waiting for the other's header would cost a round trip. */
  if (!xtls_negotiation_is_initiator (s->neg))
    stream_id = xtls_jingle_make_sid ();
  xtls_chat_open (s->chat, stream_id);
}

static void
sec_data (XtlsSecurity *sec, const guint8 *data, gsize len, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase != PHASE_ENDED && s->chat != NULL)
    xtls_chat_receive (s->chat, (const char *)data, len);
  else if (s->phase != PHASE_ENDED && s->app != NULL)
    xtls_file_app_receive (s->app, data, len);
}

static void
sec_tls_closed (XtlsSecurity *sec, const GError *error, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase == PHASE_ENDED)
    return;
  if (error != NULL)
    {
      /* PROTOCOL.md §6: verification failure, TLS error, bad data below TLS. */
      xtls_session_fail (s, XTLS_REASON_SECURITY_ERROR, error);
      return;
    }
  /* close_notify: the peer is ending (or answering our close); its terminate follows. */
  SLOG (s, "peer sent close_notify");
  if (s->app != NULL && s->phase == PHASE_ACTIVE)
    xtls_file_app_peer_closed (s->app); /* the end of the file, or the receiver's reply */
  else if (s->phase == PHASE_ENDING)
    complete_stop (s);
  else
    end (s, XTLS_STATE_FINISHED, NULL);
}

static void
sec_transport_closed (XtlsSecurity *sec, const GError *error, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase == PHASE_ENDED)
    {
      /* The <close/> exchange after a clean finish: nothing more to acknowledge. */
      if (s->sec == sec)
        bury (s, g_steal_pointer (&s->sec), (GDestroyNotify)xtls_security_free);
      return;
    }
  if (error == NULL)
    return;
  /* PROTOCOL.md §3: an IBB error (or the peer's early close) ends the session. A <close/> is
   * outer and unauthenticated: with the tunnel up it may have been forged (PROTOCOL.md §6). */
  if (tunnel_up (s) && g_error_matches (error, XTLS_ERROR, XTLS_ERROR_IBB_CLOSED))
    {
      fail_code (s, XTLS_REASON_FAILED_TRANSPORT, XTLS_ERROR_INTERRUPTED,
                 "the bytestream was closed from outside the tunnel");
      return;
    }
  xtls_session_fail (s, XTLS_REASON_FAILED_TRANSPORT, error);
}

static void
sec_drained (XtlsSecurity *sec, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase == PHASE_ENDING)
    complete_stop (s);
  else if (s->app != NULL && s->phase == PHASE_ACTIVE)
    xtls_file_app_drained (s->app);
}

static void
sec_overflow (XtlsSecurity *sec, gpointer user_data)
{
  fail_code (user_data, XTLS_REASON_FAILED_TRANSPORT, XTLS_ERROR_PROTOCOL,
             "the peer sent too much data before the handshake could start");
}

static const XtlsSecurityOps sec_ops = {
  .send_packet = sec_send_packet,
  .write_stream = sec_write_stream,
  .established = sec_established,
  .data = sec_data,
  .tls_closed = sec_tls_closed,
  .transport_closed = sec_transport_closed,
  .drained = sec_drained,
  .overflow = sec_overflow,
};

/* ---- negotiation --------------------------------------------------------------------------- */

static void
neg_send_jingle (XtlsNegotiation *neg, XtlsJingle *j, gpointer user_data)
{
  XtlsSession *s = user_data;
  XtlsIq iq = { .payload = XTLS_IQ_PAYLOAD_JINGLE, .jingle = j };

  xtls_outer_send_set (s->outer, &iq);
  xtls_jingle_free (j);
}

static void
neg_send_result (XtlsNegotiation *neg, const char *id, gpointer user_data)
{
  send_result (user_data, id);
}

static void
neg_send_error (XtlsNegotiation *neg, const char *id, XtlsStanzaCondition condition,
                XtlsJingleErrorCondition jingle_condition, gpointer user_data)
{
  send_error (user_data, id, condition, jingle_condition);
}

static void
neg_asking (XtlsNegotiation *neg, XtlsDecision decision, gpointer user_data)
{
  XtlsSession *s = user_data;

  /* The user may take minutes (phoning the peer); no handshake deadline runs meanwhile. */
  s->handshake_deadline = 0;
  set_state (s, XTLS_STATE_UNVERIFIED);
  if (!s->host->ops->decision_needed (s, decision, s->host->user_data)
      && xtls_negotiation_get_pending (neg) == decision)
    xtls_negotiation_decide (neg, XTLS_ANSWER_CANCEL);
}

static void
neg_resumed (XtlsNegotiation *neg, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->state == XTLS_STATE_UNVERIFIED)
    set_state (s, XTLS_STATE_NEGOTIATING);
}

/* Our side may have started TLS while the other user still types the password: the
 * handshake waits for a person, so its deadline starts again at each sign of them. */
static void
neg_peer_deciding (XtlsNegotiation *neg, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->handshake_deadline > 0)
    s->handshake_deadline = now (s) + s->host->config->handshake_timeout_us;
}

/* TLS with the settled method, over the transport that now exists. */
static void
start_tls (XtlsSession *s)
{
  g_autoptr (GError) error = NULL;
  XtlsTlsConfig config = {
    .version = s->host->config->tls_version,
    .identity = s->host->identity,
  };

  xtls_negotiation_tls (s->neg, &config);
  if (!xtls_security_start (s->sec, &config, &error))
    {
      xtls_session_fail (s, XTLS_REASON_GENERAL_ERROR, error);
      return;
    }
  /* The channel keeps its own copy of the password; ours is no longer needed. */
  xtls_negotiation_forget_password (s->neg);
}

/* The IBB transport agreed in Jingle (the offer's, or the replacement of a failed bytestream):
 * the responder's side opens with its accept, the initiator's once TLS may start
 * (PROTOCOL.md §2). */
static void
use_ibb (XtlsSession *s)
{
  XtlsIbbConfig transport;

  xtls_negotiation_transport (s->neg, &transport);
  s->sec = xtls_security_new (&transport, &sec_ops, s);
  if (!xtls_negotiation_is_initiator (s->neg))
    xtls_security_open (s->sec);
  else if (s->tls_wanted)
    xtls_security_open (s->sec);
  if (s->tls_wanted)
    start_tls (s);
}

/* ---- the SOCKS5 bytestream (file sessions) ------------------------------------------------ */

static void
s5b_send_info (XtlsS5bTransport *t, XtlsS5bInfo info, const char *cid, gpointer user_data)
{
  XtlsSession *s = user_data;

  xtls_negotiation_send_transport_info (s->neg, info, cid);
}

static void
s5b_activate (XtlsS5bTransport *t, const char *proxy_jid, const char *sid, const char *target,
              gpointer user_data)
{
  XtlsSession *s = user_data;

  s->host->ops->send_activate (s, proxy_jid, sid, target, s->host->user_data);
}

static guint
s5b_connect (XtlsS5bTransport *t, const char *host, guint16 port, gpointer user_data)
{
  XtlsSession *s = user_data;

  return s->host->ops->net_connect (s, host, port, s->host->user_data);
}

static void
s5b_write (XtlsS5bTransport *t, guint conn, const guint8 *data, gsize len, gpointer user_data)
{
  XtlsSession *s = user_data;

  s->host->ops->net_write (s, conn, data, len, s->host->user_data);
}

static void
s5b_close (XtlsS5bTransport *t, guint conn, gpointer user_data)
{
  XtlsSession *s = user_data;

  s->host->ops->net_close (s, conn, s->host->user_data);
}

static void
s5b_established (XtlsS5bTransport *t, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase != PHASE_ACTIVE || s->sec != NULL)
    return;
  SLOG (s, "SOCKS5 bytestream established");
  s->sec = xtls_security_new_stream (&sec_ops, s);
  if (s->tls_wanted)
    start_tls (s);
}

static void
s5b_deliver (XtlsS5bTransport *t, const guint8 *data, gsize len, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->sec != NULL && s->phase != PHASE_ENDED)
    xtls_security_receive_stream (s->sec, data, len);
}

static void
s5b_drained (XtlsS5bTransport *t, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->sec != NULL && s->phase != PHASE_ENDED)
    xtls_security_stream_drained (s->sec);
}

/* No bytestream: XEP-0260 §2.6, the initiator replaces it with IBB; the responder waits for
 * that (its handshake deadline bounds the wait). */
static void
s5b_failed (XtlsS5bTransport *t, const GError *error, gpointer user_data)
{
  XtlsSession *s = user_data;

  SLOG (s, "SOCKS5 bytestream failed (%s); falling back to IBB", error->message);
  if (xtls_negotiation_is_initiator (s->neg))
    xtls_negotiation_replace_with_ibb (s->neg);
}

static void
s5b_closed (XtlsS5bTransport *t, const GError *error, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase == PHASE_ENDED)
    return;
  if (s->phase == PHASE_ACTIVE && !tunnel_up (s))
    {
      /* It broke before it carried the tunnel (the peer's side of the check failed, or the
       * network did): nothing was trusted from it, so this is a fallback like any failed
       * bytestream (XEP-0260 §2.6), and a TLS handshake under way starts over on IBB. */
      SLOG (s, "the SOCKS5 bytestream closed before the tunnel was up; falling back to IBB");
      xtls_s5b_transport_close (s->s5b);
      bury (s, g_steal_pointer (&s->s5b), (GDestroyNotify)xtls_s5b_transport_free);
      if (s->sec != NULL)
        bury (s, g_steal_pointer (&s->sec), (GDestroyNotify)xtls_security_free);
      if (xtls_negotiation_is_initiator (s->neg))
        xtls_negotiation_replace_with_ibb (s->neg);
      return;
    }
  if (s->sec != NULL && error != NULL)
    {
      /* A socket error in mid-file: for the user, the connection is lost (the cause, such
       * as a reset, is the glue's words and stays in the log). */
      g_autoptr (GError) lost = g_error_new (XTLS_ERROR, XTLS_ERROR_CONNECTION_LOST,
                                             "the bytestream broke: %s", error->message);
      xtls_security_stream_closed (s->sec, lost);
    }
  else if (s->sec != NULL)
    xtls_security_stream_closed (s->sec, NULL);
}

static const XtlsS5bTransportOps s5b_ops = {
  .send_info = s5b_send_info,
  .activate = s5b_activate,
  .connect = s5b_connect,
  .write = s5b_write,
  .close = s5b_close,
  .established = s5b_established,
  .deliver = s5b_deliver,
  .drained = s5b_drained,
  .failed = s5b_failed,
  .closed = s5b_closed,
};

static void
use_s5b (XtlsSession *s)
{
  const XtlsS5bTransportWire *ours = xtls_negotiation_get_s5b_ours (s->neg);
  const XtlsS5bTransportWire *theirs = xtls_negotiation_get_s5b_theirs (s->neg);
  XtlsS5bTransportConfig config = {
    .sid = xtls_negotiation_get_transport_sid (s->neg),
    .own_jid = s->host->own_jid,
    .peer_jid = s->peer,
    .initiator = xtls_negotiation_is_initiator (s->neg),
    .ours = ours != NULL ? ours->candidates : NULL,
    .theirs = theirs != NULL ? theirs->candidates : NULL,
    .clock = s->host->clock,
    .timeout_us = s->host->config->s5b_timeout_us,
    .log_id = log_id (s),
  };

  s->s5b = xtls_s5b_transport_new (&config, &s5b_ops, s);
  xtls_s5b_transport_start (s->s5b);
}

static void
neg_transport_agreed (XtlsNegotiation *neg, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (!xtls_negotiation_is_initiator (neg))
    s->handshake_deadline = now (s) + s->host->config->handshake_timeout_us;
  if (xtls_negotiation_uses_s5b (neg))
    use_s5b (s);
  else
    use_ibb (s);
}

static void
neg_transport_info (XtlsNegotiation *neg, const XtlsS5bTransportWire *info, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->s5b != NULL && s->phase == PHASE_ACTIVE)
    xtls_s5b_transport_receive_info (s->s5b, info->info, info->info_cid);
}

static void
neg_transport_replaced (XtlsNegotiation *neg, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->phase != PHASE_ACTIVE)
    return;
  if (tunnel_up (s))
    {
      /* Cannot happen with an honest peer: it replaces only a bytestream that never carried
       * its TLS. */
      fail_code (s, XTLS_REASON_FAILED_TRANSPORT, XTLS_ERROR_PROTOCOL,
                 "the peer replaced a transport that was already in use");
      return;
    }
  SLOG (s, "the transport is IBB now");
  if (s->s5b != NULL)
    {
      /* Our side of the bytestream may have worked while the peer's timed out: the peer never
       * started TLS over it, so ours (if any) starts over on IBB. */
      xtls_s5b_transport_close (s->s5b);
      bury (s, g_steal_pointer (&s->s5b), (GDestroyNotify)xtls_s5b_transport_free);
      if (s->sec != NULL)
        bury (s, g_steal_pointer (&s->sec), (GDestroyNotify)xtls_security_free);
    }
  if (s->sec == NULL)
    use_ibb (s);
}

/* The method is settled: start TLS once there is a transport (the initiator opens IBB first,
 * PROTOCOL.md §2; a SOCKS5 bytestream may still be in its candidate checks). */
static void
neg_secure (XtlsNegotiation *neg, gpointer user_data)
{
  XtlsSession *s = user_data;

  s->tls_wanted = TRUE;
  s->handshake_deadline = now (s) + s->host->config->handshake_timeout_us;
  if (s->state == XTLS_STATE_UNVERIFIED)
    set_state (s, XTLS_STATE_NEGOTIATING);
  if (s->sec == NULL)
    return;
  if (xtls_negotiation_is_initiator (neg) && s->s5b == NULL)
    xtls_security_open (s->sec);
  start_tls (s);
}

static void
neg_failed (XtlsNegotiation *neg, XtlsJingleReason reason, XtlsError code, const char *message,
            gpointer user_data)
{
  fail_code (user_data, reason, code, message);
}

static void
neg_terminated (XtlsNegotiation *neg, XtlsJingleReason reason, XtlsError code, const char *message,
                gpointer user_data)
{
  XtlsSession *s = user_data;
  g_autoptr (GError) error = NULL;

  if (s->app != NULL && tunnel_up (s))
    {
      /* XEP-0234: a file session's terminate is its normal end; fileapp.c decides. */
      xtls_file_app_terminated (s->app, reason, code, message);
      return;
    }
  if (tunnel_up (s))
    {
      /* A running tunnel ends through itself (</stream:stream>, close_notify: PROTOCOL.md §6),
       * which arrives before the terminate. A terminate first is unauthenticated: a server may
       * have forged it. It ends the session, as a failure, and never as a normal finish; we
       * close the tunnel from inside, so the real peer learns it authentically. */
      if (s->phase != PHASE_ENDING)
        xtls_chat_close (s->chat);
      xtls_security_close (s->sec);
      fail_code (s, XTLS_REASON_NONE, XTLS_ERROR_INTERRUPTED,
                 "the tunnel was ended from outside it");
      return;
    }
  if (reason == XTLS_REASON_SUCCESS)
    {
      end (s, XTLS_STATE_FINISHED, NULL);
      return;
    }
  error = g_error_new_literal (XTLS_ERROR, code, message);
  abort_handshake (s, error);
  end (s,
       reason == XTLS_REASON_DECLINE || reason == XTLS_REASON_CANCEL ? XTLS_STATE_FINISHED
                                                                     : XTLS_STATE_FAILED,
       error);
}

static void
neg_key_conflict (XtlsNegotiation *neg, const char *fingerprint, gpointer user_data)
{
  XtlsSession *s = user_data;

  s->host->ops->key_conflict (s, fingerprint, s->host->user_data);
}

static void
neg_file_offered (XtlsNegotiation *neg, const XtlsJingleFile *file, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->app == NULL || !xtls_file_app_offered (s->app, file, log_id (s)))
    return;
  if (!s->host->ops->file_offered (s, s->host->user_data)
      && xtls_negotiation_awaits_file_answer (s->neg))
    cancel_file (s); /* no UI: declined */
}

static void
neg_checksum (XtlsNegotiation *neg, const guint8 *sha256, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->app != NULL)
    xtls_file_app_checksum (s->app, sha256);
}

static void
neg_received (XtlsNegotiation *neg, gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->app != NULL)
    xtls_file_app_received (s->app);
}

static XtlsS5bTransportWire *
neg_s5b_offer (XtlsNegotiation *neg, const char *sid, const XtlsS5bTransportWire *peer,
               gpointer user_data)
{
  XtlsSession *s = user_data;

  if (s->app == NULL)
    return NULL;
  return s->host->ops->s5b_offer (s, sid, peer, s->host->user_data);
}

static const XtlsNegotiationOps neg_ops = {
  .send_jingle = neg_send_jingle,
  .send_result = neg_send_result,
  .send_error = neg_send_error,
  .asking = neg_asking,
  .resumed = neg_resumed,
  .peer_deciding = neg_peer_deciding,
  .transport_agreed = neg_transport_agreed,
  .secure = neg_secure,
  .failed = neg_failed,
  .terminated = neg_terminated,
  .key_conflict = neg_key_conflict,
  .file_offered = neg_file_offered,
  .checksum = neg_checksum,
  .received = neg_received,
  .s5b_offer = neg_s5b_offer,
  .transport_info = neg_transport_info,
  .transport_replaced = neg_transport_replaced,
};

static XtlsNegotiation *
new_negotiation (XtlsSession *s, const XtlsJingleFile *file)
{
  XtlsNegotiationConfig config = {
    .own_jid = s->host->own_jid,
    .peer_jid = s->peer,
    .identity = s->host->identity,
    .trust = s->host->trust,
    .clock = s->host->clock,
    .block_size = s->host->config->block_size,
    .window = s->host->config->window,
    .accept_timeout_us = s->host->config->accept_timeout_us,
    .decision_timeout_us = s->host->config->decision_timeout_us,
    .file = file,
  };

  return xtls_negotiation_new (&config, &neg_ops, s);
}

/* ---- what the hub hands us -------------------------------------------------------------- */

void
xtls_session_initiate (XtlsSession *s)
{
  s->phase = PHASE_ACTIVE;
  set_state (s, XTLS_STATE_NEGOTIATING);
  xtls_negotiation_initiate (s->neg);
}

void
xtls_session_handle_offer (XtlsSession *s, const XtlsIq *iq)
{
  if (xtls_negotiation_awaits_accept (s->neg))
    {
      /* We lost the tie-break (PROTOCOL.md §6): our offer is dropped, theirs continues with
       * our queued messages. Its answer (the tie-break error) is still recognised as ours. */
      SLOG (s, "lost the tie-break to %s", iq->jingle->sid);
      xtls_outer_abandon (s->outer);
      bury (s, g_steal_pointer (&s->neg), (GDestroyNotify)xtls_negotiation_free);
      s->neg = new_negotiation (s, NULL);
    }
  s->phase = PHASE_ACTIVE;
  if (s->state == XTLS_STATE_NOT_PRIVATE)
    set_state (s, XTLS_STATE_NEGOTIATING);
  xtls_negotiation_offer (s->neg, iq);
}

void
xtls_session_handle_jingle (XtlsSession *s, const XtlsIq *iq)
{
  if (s->phase == PHASE_ENDED && iq->jingle->action != XTLS_JINGLE_SESSION_TERMINATE)
    {
      send_error (s, iq->id, XTLS_STANZA_ERROR_ITEM_NOT_FOUND, XTLS_JINGLE_ERROR_UNKNOWN_SESSION);
      return;
    }
  xtls_negotiation_receive (s->neg, iq);
}

void
xtls_session_handle_ibb (XtlsSession *s, const XtlsIq *iq)
{
  if (s->sec != NULL)
    {
      xtls_security_receive (s->sec, &iq->ibb);
      return;
    }
  /* PROTOCOL.md §3: data for a sid of ours that has ended gets <item-not-found/>; a late
   * <close/> after our terminate is simply acknowledged. */
  if (iq->ibb.kind == XTLS_IBB_PACKET_CLOSE)
    send_result (s, iq->id);
  else
    send_error (s, iq->id, XTLS_STANZA_ERROR_ITEM_NOT_FOUND, XTLS_JINGLE_ERROR_NONE);
}

void
xtls_session_handle_reply (XtlsSession *s, const XtlsIq *iq)
{
  XtlsIbbPacket pkt = {
    .kind = iq->type == XTLS_IQ_RESULT ? XTLS_IBB_PACKET_RESULT : XTLS_IBB_PACKET_ERROR,
    .iq_id = iq->id,
    .condition = iq->condition == XTLS_STANZA_ERROR_BAD_REQUEST ? XTLS_IBB_COND_BAD_REQUEST
                                                                : XTLS_IBB_COND_OTHER,
  };

  if (!xtls_outer_answered (s->outer, iq->id) || s->phase == PHASE_ENDED)
    return;
  if (s->sec != NULL && xtls_security_owns (s->sec, &pkt))
    {
      xtls_security_receive (s->sec, &pkt);
      return;
    }
  if (iq->type != XTLS_IQ_ERROR)
    return;
  /* One of our Jingle requests was refused. */
  if (iq->jingle_condition == XTLS_JINGLE_ERROR_TIE_BREAK)
    return; /* the peer's own offer wins and is on its way */
  if (iq->jingle_condition == XTLS_JINGLE_ERROR_UNSUPPORTED_INFO)
    return; /* XEP-0166 §7.2: a session-info it does not know (our <deciding/>) is harmless */
  if (xtls_negotiation_awaits_accept (s->neg))
    fail_code (s, XTLS_REASON_NONE, XTLS_ERROR_UNSUPPORTED,
               "the peer's client refused the offer: it does not support XTLS chat");
  else
    fail_code (s, XTLS_REASON_GENERAL_ERROR, XTLS_ERROR_PROTOCOL,
               "the peer rejected a session request");
}

/* ---- deadlines ------------------------------------------------------------------------ */

static gint64
earliest (gint64 a, gint64 b)
{
  if (a <= 0)
    return b;
  if (b <= 0)
    return a;
  return MIN (a, b);
}

gint64
xtls_session_next_deadline (XtlsSession *s)
{
  gint64 next;

  if (s->phase == PHASE_ENDED)
    return -1;
  next = earliest (s->handshake_deadline, xtls_negotiation_get_deadline (s->neg));
  next = earliest (next, xtls_outer_next_deadline (s->outer));
  if (s->app != NULL)
    next = earliest (next, xtls_file_app_get_deadline (s->app));
  if (s->s5b != NULL)
    next = earliest (next, xtls_s5b_transport_next_deadline (s->s5b));
  next = earliest (next, s->close_deadline);
  return next > 0 ? next : -1;
}

void
xtls_session_tick (XtlsSession *s, gint64 t)
{
  gint64 next = xtls_session_next_deadline (s);
  gint64 accept = xtls_negotiation_get_deadline (s->neg);
  gint64 bytestream = s->s5b != NULL ? xtls_s5b_transport_next_deadline (s->s5b) : 0;

  if (next < 0 || next > t)
    return;
  if (s->handshake_deadline > 0 && s->handshake_deadline <= t)
    fail_code (s, XTLS_REASON_TIMEOUT, XTLS_ERROR_TIMEOUT,
               "the encryption handshake did not finish in time");
  else if (accept > 0 && accept <= t)
    xtls_negotiation_tick (s->neg, t); /* the accept, a person deciding, keepalives */
  else if (s->close_deadline > 0 && s->close_deadline <= t)
    {
      s->close_deadline = 0;
      if (s->sec != NULL)
        xtls_security_close (s->sec);
    }
  else if (s->app != NULL && xtls_file_app_get_deadline (s->app) > 0
           && xtls_file_app_get_deadline (s->app) <= t)
    xtls_file_app_tick (s->app, t);
  else if (bytestream > 0 && bytestream <= t)
    xtls_s5b_transport_tick (s->s5b); /* its end is a fallback, not the session's */
  else
    fail_code (s, XTLS_REASON_TIMEOUT, XTLS_ERROR_TIMEOUT, "the peer stopped answering");
}

/* ---- public API -------------------------------------------------------------------------- */

gsize
xtls_session_max_body_bytes (void)
{
  return XTLS_MAX_BODY_BYTES;
}

guint64
xtls_session_send_message (XtlsSession *s, const char *body)
{
  guint64 id;

  g_return_val_if_fail (s != NULL, 0);
  g_return_val_if_fail (body != NULL, 0);

  /* A longer body could exceed the receiver's stanza limit once escaped, and the receiver
   * would end the session (policy-violation, PROTOCOL.md §6). */
  if (strlen (body) > XTLS_MAX_BODY_BYTES)
    {
      SLOG (s, "not sending a message body of %" G_GSIZE_FORMAT " bytes (limit %u)", strlen (body),
            (guint)XTLS_MAX_BODY_BYTES);
      return 0;
    }

  if (!xtls_session_is_live (s) || s->phase == PHASE_ENDING || s->chat == NULL)
    return 0;
  s->host->ops->enter (s->host->user_data);
  id = s->host->ops->make_message_id (s->host->user_data);
  xtls_chat_queue (s->chat, id, body); /* may report @id at once */
  s->host->ops->leave (s->host->user_data);
  return id;
}

void
xtls_session_decide (XtlsSession *s, XtlsAnswer answer)
{
  g_return_if_fail (s != NULL);

  if (s->phase == PHASE_ENDED || xtls_negotiation_get_pending (s->neg) == XTLS_DECISION_NONE)
    return;
  s->host->ops->enter (s->host->user_data);
  xtls_negotiation_decide (s->neg, answer);
  s->host->ops->leave (s->host->user_data);
}

void
xtls_session_supply_password (XtlsSession *s, const char *password)
{
  g_return_if_fail (s != NULL);
  g_return_if_fail (password != NULL);

  if (s->phase == PHASE_ENDED)
    return;
  s->host->ops->enter (s->host->user_data);
  xtls_negotiation_supply_password (s->neg, password);
  s->host->ops->leave (s->host->user_data);
}

/* ---- file sessions ------------------------------------------------------------------------ */

gboolean
xtls_session_is_file (XtlsSession *s)
{
  g_return_val_if_fail (s != NULL, FALSE);
  return s->app != NULL;
}

const XtlsFileInfo *
xtls_session_get_file (XtlsSession *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  return s->app != NULL ? xtls_file_app_get_info (s->app) : NULL;
}

void
xtls_session_accept_file (XtlsSession *s, gboolean accept)
{
  g_return_if_fail (s != NULL && s->app != NULL);

  if (!xtls_session_is_live (s) || !xtls_negotiation_awaits_file_answer (s->neg))
    return;
  s->host->ops->enter (s->host->user_data);
  if (accept)
    xtls_negotiation_accept_file (s->neg, TRUE);
  else
    cancel_file (s);
  s->host->ops->leave (s->host->user_data);
}

void
xtls_session_cancel_file (XtlsSession *s)
{
  g_return_if_fail (s != NULL && s->app != NULL);

  s->host->ops->enter (s->host->user_data);
  cancel_file (s);
  s->host->ops->leave (s->host->user_data);
}

guint64
xtls_session_get_file_done (XtlsSession *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->app != NULL ? xtls_file_app_get_done (s->app) : 0;
}

XtlsFilexferState
xtls_session_get_file_state (XtlsSession *s)
{
  g_return_val_if_fail (s != NULL, XTLS_FILEXFER_STATE_FAILED);
  return s->app != NULL ? xtls_file_app_get_state (s->app) : XTLS_FILEXFER_STATE_WAITING;
}

/* ---- SOCKS5 bytestream events, routed by the hub ------------------------------------------ */

gboolean
xtls_session_owns_conn (XtlsSession *s, guint conn)
{
  return s->s5b != NULL && xtls_s5b_transport_owns (s->s5b, conn);
}

void
xtls_session_net_connected (XtlsSession *s, guint conn)
{
  if (s->s5b != NULL)
    xtls_s5b_transport_net_connected (s->s5b, conn);
}

void
xtls_session_net_receive (XtlsSession *s, guint conn, const guint8 *data, gsize len)
{
  if (s->s5b != NULL)
    xtls_s5b_transport_net_receive (s->s5b, conn, data, len);
}

void
xtls_session_net_drained (XtlsSession *s, guint conn)
{
  if (s->s5b != NULL)
    xtls_s5b_transport_net_drained (s->s5b, conn);
}

void
xtls_session_net_closed (XtlsSession *s, guint conn, const GError *error)
{
  if (s->s5b != NULL)
    xtls_s5b_transport_net_closed (s->s5b, conn, error);
}

const char *
xtls_session_s5b_dst_addr (XtlsSession *s)
{
  if (s->s5b == NULL || s->phase != PHASE_ACTIVE)
    return NULL;
  return xtls_s5b_transport_our_dst_addr (s->s5b);
}

gboolean
xtls_session_s5b_adopt (XtlsSession *s, guint conn, XtlsS5bConn *s5b_conn)
{
  return s->s5b != NULL && s->phase == PHASE_ACTIVE
         && xtls_s5b_transport_adopt (s->s5b, conn, s5b_conn);
}

void
xtls_session_s5b_activated (XtlsSession *s, const GError *error)
{
  if (s->s5b != NULL && s->phase == PHASE_ACTIVE)
    xtls_s5b_transport_activated (s->s5b, error);
}

gboolean
xtls_session_write_inner_raw (XtlsSession *s, const char *data, gsize len)
{
  gboolean ok;

  if (!tunnel_up (s))
    return FALSE;
  s->host->ops->enter (s->host->user_data);
  ok = xtls_security_send (s->sec, (const guint8 *)data, len, NULL);
  s->host->ops->leave (s->host->user_data);
  return ok;
}

/* ---- life cycle and accessors ---------------------------------------------------------- */

XtlsSession *
xtls_session_new (const XtlsSessionHost *host, const char *peer)
{
  XtlsSession *s = g_new0 (XtlsSession, 1);
  XtlsXmlStreamLimits limits = { .max_stanza_bytes = host->config->max_stanza_bytes };

  s->host = host;
  s->peer = g_strdup (peer);
  s->state = XTLS_STATE_NOT_PRIVATE;
  s->phase = PHASE_IDLE;
  s->outer = xtls_outer_new (host, s, s->peer);
  s->neg = new_negotiation (s, NULL);
  s->chat = xtls_chat_new (host->own_jid, peer, host->identity, &limits, NULL, &chat_ops, s);
  return s;
}

XtlsSession *
xtls_session_new_file (const XtlsSessionHost *host, const char *peer, const XtlsFileInfo *send)
{
  XtlsSession *s = g_new0 (XtlsSession, 1);
  XtlsFileAppConfig app_config = {
    .peer_jid = peer,
    .clock = host->clock,
    .handshake_timeout_us = host->config->handshake_timeout_us,
    .ack_timeout_us = host->config->ack_timeout_us,
  };

  s->host = host;
  s->peer = g_strdup (peer);
  s->state = XTLS_STATE_NOT_PRIVATE;
  s->phase = PHASE_IDLE;
  s->outer = xtls_outer_new (host, s, s->peer);
  s->app = xtls_file_app_new (&app_config, send, &app_ops, s);
  s->neg = new_negotiation (s, xtls_file_app_get_offer (s->app));
  return s;
}

void
xtls_session_free (XtlsSession *s)
{
  if (s == NULL)
    return;
  g_clear_pointer (&s->sec, xtls_security_free);
  g_clear_pointer (&s->s5b, xtls_s5b_transport_free);
  g_clear_pointer (&s->chat, xtls_chat_free);
  g_clear_pointer (&s->neg, xtls_negotiation_free);
  g_clear_pointer (&s->app, xtls_file_app_free);
  xtls_outer_free (s->outer);
  g_clear_error (&s->error);
  g_free (s->peer);
  g_free (s->tls_description);
  g_free (s);
}

gboolean
xtls_session_is_live (XtlsSession *s)
{
  return s->phase != PHASE_ENDED && s->phase != PHASE_IDLE;
}

gint64
xtls_session_ended_at (XtlsSession *s)
{
  return s->phase == PHASE_ENDED ? s->ended_at : 0;
}

gboolean
xtls_session_awaits_user (XtlsSession *s)
{
  return xtls_session_is_live (s) && xtls_negotiation_get_pending (s->neg) != XTLS_DECISION_NONE;
}

gboolean
xtls_session_matches_sid (XtlsSession *s, const char *sid)
{
  return sid != NULL && g_strcmp0 (xtls_negotiation_get_sid (s->neg), sid) == 0;
}

gboolean
xtls_session_matches_transport (XtlsSession *s, const char *transport_sid)
{
  return transport_sid != NULL
         && g_strcmp0 (xtls_negotiation_get_transport_sid (s->neg), transport_sid) == 0;
}

gboolean
xtls_session_owns_iq (XtlsSession *s, const char *iq_id)
{
  return xtls_outer_owns (s->outer, iq_id);
}

gboolean
xtls_session_awaits_accept (XtlsSession *s)
{
  return xtls_negotiation_awaits_accept (s->neg);
}

const char *
xtls_session_get_sid (XtlsSession *s)
{
  return xtls_negotiation_get_sid (s->neg);
}

const char *
xtls_session_get_transport_sid (XtlsSession *s)
{
  return xtls_negotiation_get_transport_sid (s->neg);
}

XtlsTrustState
xtls_session_get_state (XtlsSession *s)
{
  return s->state;
}

const GError *
xtls_session_get_error (XtlsSession *s)
{
  return s->error;
}

const char *
xtls_session_get_peer (XtlsSession *s)
{
  return s->peer;
}

gboolean
xtls_session_is_initiator (XtlsSession *s)
{
  return xtls_negotiation_is_initiator (s->neg);
}

XtlsVerification
xtls_session_get_verification (XtlsSession *s)
{
  return xtls_negotiation_get_verification (s->neg);
}

XtlsMethod
xtls_session_get_method (XtlsSession *s)
{
  return xtls_negotiation_get_method (s->neg);
}

const char *
xtls_session_get_peer_fingerprint (XtlsSession *s)
{
  return xtls_negotiation_get_peer_fingerprint (s->neg);
}

XtlsDecision
xtls_session_get_pending_decision (XtlsSession *s)
{
  return xtls_negotiation_get_pending (s->neg);
}

gboolean
xtls_session_awaits_peer_user (XtlsSession *s)
{
  return xtls_session_is_live (s) && xtls_negotiation_awaits_peer_user (s->neg);
}

gsize
xtls_session_get_unacknowledged_bytes (XtlsSession *s)
{
  return s->sec != NULL && s->phase != PHASE_ENDED ? xtls_security_get_outstanding (s->sec) : 0;
}

const char *
xtls_session_get_tls_description (XtlsSession *s)
{
  /* Only once the tunnel is proven both ways. */
  return s->tls_description;
}
