/* Negotiation (XEP-0166 + the XTLS draft, PROTOCOL.md §2 and §6): offer, accept, the user's
 * trust decisions, method choice, security-info, terminate. */
#include "session-impl.h"

#include <string.h>

/* ---- Negotiation -------------------------------------------------------------------- */

static void
ask (XtlsSession *s, XtlsDecision decision)
{
  XtlsHub *hub = s->hub;

  s->pending = decision;
  /* The user may take minutes (phoning the peer); no handshake deadline runs meanwhile. */
  s->handshake_deadline = 0;
  SLOG (s, "waiting for the user's decision (%s)",
        decision == XTLS_DECISION_PASSWORD ? "password" : "unknown key");
  xtls_session_set_state (s, XTLS_STATE_UNVERIFIED);
  if (hub->ops->decision_needed != NULL)
    hub->ops->decision_needed (hub, s, decision, hub->user_data);
  else if (s->pending == decision)
    xtls_session_decide (s, XTLS_ANSWER_CANCEL);
}

/* Initiator: the method is settled; everything that may run in parallel goes out at once
 * (PROTOCOL.md §2): security-info, IBB <open/>, ClientHello, without waiting for results. */
static void
proceed (XtlsSession *s, XtlsMethod method)
{
  XtlsJingle *info;

  s->method = method;
  SLOG (s, "method %s", method == XTLS_METHOD_SRP ? "srp" : "x509");
  info = xtls_session_new_jingle (s, XTLS_JINGLE_SECURITY_INFO);
  xtls_session_add_content (s, info);
  info->app = XTLS_APP_NONE; /* security-info carries only <security/> */
  info->has_security = TRUE;
  info->methods = method;
  xtls_session_send_jingle (s, info);
  xtls_ibb_open (s->ibb);
  xtls_session_start_tls (s);
}

typedef enum
{
  KEY_NONE,    /* no fingerprint announced */
  KEY_UNKNOWN, /* never seen */
  KEY_PINNED,  /* matches the pin */
  KEY_CHANGED, /* differs from the pin */
} KeyStatus;

static KeyStatus
check_peer_key (XtlsSession *s)
{
  const char *pin;

  if (s->peer_fingerprint == NULL)
    return KEY_NONE;
  pin = xtls_trust_store_lookup (s->hub->trust, s->peer_bare);
  if (pin == NULL)
    return KEY_UNKNOWN;
  if (s->peer_fingerprint_algo != XTLS_HASH_SHA256)
    {
      /* A historical SHA-1 announcement cannot be compared with the SHA-256 pin. The pin is what
       * we trust, so the handshake must prove exactly that certificate (PROTOCOL.md §4). */
      g_free (s->peer_fingerprint);
      s->peer_fingerprint = g_strdup (pin);
      s->peer_fingerprint_algo = XTLS_HASH_SHA256;
      s->peer_was_pinned = TRUE;
      return KEY_PINNED;
    }
  if (g_ascii_strcasecmp (pin, s->peer_fingerprint) != 0)
    return KEY_CHANGED;
  s->peer_was_pinned = TRUE;
  return KEY_PINNED;
}

/* Outer Jingle may be rewritten by a server. A pair whose key is pinned uses x509; a request to
 * switch to a password (an offer or accept without x509, a security-info choosing srp) is not
 * followed unless our own user asked for the password (issue: downgrade of a pinned pair). */
static gboolean
refuse_downgrade (XtlsSession *s, gboolean pinned)
{
  if (s->use_password || !pinned)
    return FALSE;
  xtls_session_fail_code (s, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_DOWNGRADE,
                          "a verified peer was asked to switch away from its key");
  return TRUE;
}

static void
fail_key_changed (XtlsSession *s)
{
  /* PROTOCOL.md §6: a key change is never silently bridged by falling back to SRP. */
  xtls_session_fail_code (s, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_KEY_CHANGED,
                          "the peer's key differs from the one verified earlier");
}

static void
pin_announced_key (XtlsSession *s)
{
  g_autoptr (GError) error = NULL;

  s->key_trusted = TRUE;
  if (s->peer_fingerprint_algo != XTLS_HASH_SHA256)
    {
      /* Pins are SHA-256: pin the certificate the handshake proves to match this SHA-1. */
      s->pin_from_tunnel = TRUE;
      return;
    }
  if (!xtls_trust_store_pin (s->hub->trust, s->peer_bare, s->peer_fingerprint,
                             XTLS_VERIFIED_FINGERPRINT, g_get_real_time () / G_USEC_PER_SEC,
                             &error))
    SLOG (s, "could not save the peer's key: %s", error != NULL ? error->message : "invalid");
}

/* Initiator: choose the method once the accept arrived and every decision is made. */
static void
choose_method (XtlsSession *s)
{
  gboolean x509_possible = s->peer_trusts_us && (s->key_trusted || s->key_accepted_once);
  XtlsMethod method = xtls_jingle_choose_method (
      XTLS_METHOD_X509 | XTLS_METHOD_SRP, s->peer_methods, x509_possible, s->password != NULL);

  if (s->use_password && (s->peer_methods & XTLS_METHOD_SRP))
    method = s->password != NULL ? XTLS_METHOD_SRP : 0;
  if (method != 0)
    {
      proceed (s, method);
      return;
    }
  if ((s->peer_methods & XTLS_METHOD_SRP) && s->password == NULL)
    {
      ask (s, XTLS_DECISION_PASSWORD);
      return;
    }
  xtls_session_fail_code (s, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_NO_COMMON_METHOD,
                          "no security method both sides can use");
}

static void
send_accept (XtlsSession *s, gboolean offer_x509)
{
  XtlsJingle *accept = xtls_session_new_jingle (s, XTLS_JINGLE_SESSION_ACCEPT);

  xtls_session_add_content (s, accept);
  accept->has_transport = TRUE;
  accept->ibb_version = s->ibb_version;
  accept->transport_sid = g_strdup (s->transport_sid);
  accept->block_size = s->block_size;
  accept->has_security = TRUE;
  /* Draft §6: the fingerprint (and x509) only when we can verify the initiator's key. */
  if (offer_x509)
    {
      accept->fingerprint = g_strdup (xtls_identity_get_fingerprint (s->hub->identity));
      accept->fingerprint_algo = XTLS_HASH_SHA256;
      accept->methods = XTLS_METHOD_X509 | XTLS_METHOD_SRP;
    }
  else
    accept->methods = XTLS_METHOD_SRP;
  s->phase = PHASE_ACCEPTED;
  xtls_session_send_jingle (s, accept);
  xtls_session_create_transport (s);
  xtls_ibb_open (s->ibb);
  s->handshake_deadline = xtls_session_now (s) + s->hub->config.handshake_timeout_us;
  if (s->use_password && s->password == NULL)
    ask (s, XTLS_DECISION_PASSWORD);
  else if (s->state == XTLS_STATE_UNVERIFIED)
    xtls_session_set_state (s, XTLS_STATE_NEGOTIATING);
}

void
xtls_session_decide (XtlsSession *s, XtlsAnswer answer)
{
  g_return_if_fail (s != NULL);

  if (s->pending == XTLS_DECISION_NONE || s->phase == PHASE_ENDED)
    return;
  xtls_hub_enter (s->hub);
  if (answer == XTLS_ANSWER_CANCEL)
    {
      g_autoptr (GError) error
          = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_CANCELLED, "cancelled by the user");
      s->pending = XTLS_DECISION_NONE;
      xtls_session_fail (
          s, s->phase == PHASE_OFFER_RECEIVED ? XTLS_REASON_DECLINE : XTLS_REASON_CANCEL, error);
    }
  else if (s->pending == XTLS_DECISION_UNKNOWN_KEY)
    {
      s->pending = XTLS_DECISION_NONE;
      if (answer == XTLS_ANSWER_VERIFIED)
        pin_announced_key (s);
      else if (answer == XTLS_ANSWER_ACCEPT_ONCE)
        s->key_accepted_once = TRUE;
      else
        s->use_password = TRUE;
      if (s->phase == PHASE_OFFER_RECEIVED)
        send_accept (s, !s->use_password);
      else
        choose_method (s);
    }
  xtls_hub_leave (s->hub);
}

void
xtls_session_supply_password (XtlsSession *s, const char *password)
{
  g_return_if_fail (s != NULL);
  g_return_if_fail (password != NULL);

  if (s->phase == PHASE_ENDED || s->tls != NULL)
    return;
  xtls_hub_enter (s->hub);
  if (s->password != NULL)
    memset (s->password, 0, strlen (s->password));
  g_free (s->password);
  s->password = g_strdup (password);
  s->use_password = TRUE;
  if (s->pending == XTLS_DECISION_PASSWORD)
    {
      s->pending = XTLS_DECISION_NONE;
      if (s->initiator)
        choose_method (s);
      else if (s->method == XTLS_METHOD_SRP)
        xtls_session_start_tls (s);
      else
        xtls_session_set_state (s, XTLS_STATE_NEGOTIATING);
    }
  xtls_hub_leave (s->hub);
}

void
xtls_session_initiate (XtlsSession *s)
{
  XtlsJingle *j;

  s->initiator = TRUE;
  s->sid = xtls_jingle_make_sid ();
  s->transport_sid = xtls_jingle_make_sid ();
  s->dialect = XTLS_JINGLE_NS_1;
  s->app = XTLS_APP_XMLSTREAM;
  s->initiator_jid = g_strdup (s->hub->own_jid);
  s->responder_jid = g_strdup (s->peer);
  s->content_name = g_strdup ("xmlstream");
  s->content_creator = g_strdup ("initiator");
  s->block_size = s->hub->config.block_size;
  s->ibb_version = XTLS_IBB_VERSION_1;

  j = xtls_session_new_jingle (s, XTLS_JINGLE_SESSION_INITIATE);
  xtls_session_add_content (s, j);
  j->has_transport = TRUE;
  j->ibb_version = s->ibb_version;
  j->transport_sid = g_strdup (s->transport_sid);
  j->block_size = s->block_size;
  j->has_security = TRUE;
  j->fingerprint = g_strdup (xtls_identity_get_fingerprint (s->hub->identity));
  j->fingerprint_algo = XTLS_HASH_SHA256;
  j->methods = XTLS_METHOD_X509 | XTLS_METHOD_SRP;
  s->phase = PHASE_INITIATE_SENT;
  xtls_session_set_state (s, XTLS_STATE_NEGOTIATING);
  s->accept_deadline = xtls_session_now (s) + s->hub->config.accept_timeout_us;
  xtls_session_send_jingle (s, j);
}

void
xtls_session_reset_jingle (XtlsSession *s)
{
  g_clear_pointer (&s->sid, g_free);
  g_clear_pointer (&s->transport_sid, g_free);
  g_clear_pointer (&s->initiator_jid, g_free);
  g_clear_pointer (&s->responder_jid, g_free);
  g_clear_pointer (&s->content_name, g_free);
  g_clear_pointer (&s->content_creator, g_free);
  g_clear_pointer (&s->peer_fingerprint, g_free);
}

void
xtls_session_handle_offer (XtlsSession *s, const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;
  XtlsHub *hub = s->hub;
  XtlsJingleReason problem;
  GHashTableIter iter;
  gpointer value;

  if (s->phase == PHASE_INITIATE_SENT)
    {
      /* We lost the tie-break (PROTOCOL.md §6): our offer is dropped, theirs continues with
       * our queued messages. Its answer (the tie-break error) is still recognised as ours. */
      SLOG (s, "lost the tie-break to %s", j->sid);
      g_hash_table_iter_init (&iter, s->iqs);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        *(gint64 *)value = 0;
      xtls_session_reset_jingle (s);
      s->accept_deadline = 0;
    }
  s->initiator = FALSE;
  s->sid = g_strdup (j->sid);
  s->dialect = j->dialect;
  s->app = j->app;
  s->initiator_jid = g_strdup (j->initiator != NULL ? j->initiator : iq->from);
  s->responder_jid = g_strdup (hub->own_jid);
  s->content_name = g_strdup (j->content_name != NULL ? j->content_name : "xmlstream");
  s->content_creator = g_strdup (j->content_creator != NULL ? j->content_creator : "initiator");
  s->transport_sid = g_strdup (j->transport_sid);
  s->ibb_version = j->ibb_version;
  /* The responder may lower block-size, never raise it (XEP-0261 §2). */
  s->block_size = j->block_size != 0 ? j->block_size : XTLS_IBB_DEFAULT_BLOCK_SIZE;
  s->block_size = MIN (s->block_size, hub->config.block_size);
  s->peer_fingerprint = g_strdup (j->fingerprint);
  s->peer_fingerprint_algo = j->fingerprint_algo;
  s->peer_methods = j->methods;
  s->phase = PHASE_OFFER_RECEIVED;

  xtls_session_send_result (s, iq->id);
  if (s->state == XTLS_STATE_NOT_PRIVATE)
    xtls_session_set_state (s, XTLS_STATE_NEGOTIATING);

  problem = xtls_jingle_check_offer (j);
  if (problem != XTLS_REASON_NONE || s->transport_sid == NULL)
    {
      xtls_session_fail_code (
          s, problem != XTLS_REASON_NONE ? problem : XTLS_REASON_UNSUPPORTED_TRANSPORTS,
          XTLS_ERROR_PROTOCOL,
          problem == XTLS_REASON_SECURITY_ERROR
              ? "the peer offered a conversation without encryption"
              : "the peer's offer is not a usable XTLS chat offer");
      return;
    }
  if ((s->peer_fingerprint == NULL || !(s->peer_methods & XTLS_METHOD_X509))
      && refuse_downgrade (s, xtls_trust_store_lookup (hub->trust, s->peer_bare) != NULL))
    return;

  switch (check_peer_key (s))
    {
      case KEY_CHANGED:
        fail_key_changed (s);
        break;
      case KEY_PINNED:
        s->key_trusted = TRUE;
        send_accept (s, TRUE);
        break;
      case KEY_UNKNOWN:
        if (s->peer_methods & XTLS_METHOD_X509)
          ask (s, XTLS_DECISION_UNKNOWN_KEY);
        else
          {
            s->use_password = TRUE;
            send_accept (s, FALSE);
          }
        break;
      case KEY_NONE:
        s->use_password = TRUE;
        send_accept (s, FALSE);
        break;
    }
}

static void
handle_accept (XtlsSession *s, const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  xtls_session_send_result (s, iq->id);
  if (s->phase != PHASE_INITIATE_SENT)
    return;
  if (!j->has_security)
    {
      xtls_session_fail_code (s, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_PROTOCOL,
                              "the peer accepted without encryption");
      return;
    }
  s->phase = PHASE_ACCEPTED;
  s->accept_deadline = 0;
  if (j->has_transport)
    {
      s->ibb_version = j->ibb_version;
      if (j->block_size != 0)
        s->block_size = MIN (s->block_size, j->block_size);
    }
  s->peer_methods = j->methods;
  s->peer_fingerprint = g_strdup (j->fingerprint);
  s->peer_fingerprint_algo = j->fingerprint_algo;
  s->peer_trusts_us = (j->methods & XTLS_METHOD_X509) && j->fingerprint != NULL;
  if (!s->peer_trusts_us
      && refuse_downgrade (s, xtls_trust_store_lookup (s->hub->trust, s->peer_bare) != NULL))
    return;
  xtls_session_create_transport (s);

  switch (check_peer_key (s))
    {
      case KEY_CHANGED:
        fail_key_changed (s);
        return;
      case KEY_PINNED:
        s->key_trusted = TRUE;
        break;
      case KEY_UNKNOWN:
        if (s->peer_trusts_us && !s->use_password)
          {
            ask (s, XTLS_DECISION_UNKNOWN_KEY);
            return;
          }
        break;
      case KEY_NONE:
        break;
    }
  choose_method (s);
}

static void
handle_security_info (XtlsSession *s, const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  xtls_session_send_result (s, iq->id);
  if (s->initiator || s->phase != PHASE_ACCEPTED || s->method != 0)
    return;
  if (j->methods == XTLS_METHOD_X509 && (s->key_trusted || s->key_accepted_once))
    s->method = XTLS_METHOD_X509;
  else if (j->methods == XTLS_METHOD_SRP)
    {
      /* A key the user verified during this session does not count: the initiator may not
       * know ours yet and rightly ask for a password. */
      if (refuse_downgrade (s, s->peer_was_pinned))
        return;
      s->method = XTLS_METHOD_SRP;
    }
  else
    {
      xtls_session_fail_code (s, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_NO_COMMON_METHOD,
                              "the peer chose a method we did not offer");
      return;
    }
  SLOG (s, "peer chose %s", s->method == XTLS_METHOD_SRP ? "srp" : "x509");
  if (s->method == XTLS_METHOD_SRP && s->password == NULL)
    ask (s, XTLS_DECISION_PASSWORD);
  else if (s->pending == XTLS_DECISION_NONE)
    xtls_session_start_tls (s);
}

static XtlsError
reason_to_error (XtlsJingleReason reason, const char **message)
{
  switch (reason)
    {
      case XTLS_REASON_SECURITY_ERROR:
        *message = "the peer ended the session with a security error";
        return XTLS_ERROR_SECURITY;
      case XTLS_REASON_DECLINE:
      case XTLS_REASON_CANCEL:
      case XTLS_REASON_BUSY:
        *message = "the peer declined or cancelled";
        return XTLS_ERROR_DECLINED;
      case XTLS_REASON_TIMEOUT:
        *message = "the peer timed out";
        return XTLS_ERROR_TIMEOUT;
      case XTLS_REASON_GONE:
        *message = "the peer went away";
        return XTLS_ERROR_PEER_GONE;
      case XTLS_REASON_FAILED_TRANSPORT:
      case XTLS_REASON_CONNECTIVITY_ERROR:
        *message = "the peer reported a transport failure";
        return XTLS_ERROR_IBB_CLOSED;
      case XTLS_REASON_UNSUPPORTED_APPLICATIONS:
      case XTLS_REASON_UNSUPPORTED_TRANSPORTS:
        *message = "the peer does not support XTLS chat";
        return XTLS_ERROR_UNSUPPORTED;
      case XTLS_REASON_NONE:
      case XTLS_REASON_SUCCESS:
      case XTLS_REASON_FAILED_APPLICATION:
      case XTLS_REASON_GENERAL_ERROR:
      case XTLS_REASON_INCOMPATIBLE_PARAMETERS:
      case XTLS_REASON_OTHER:
        break;
    }
  *message = "the peer ended the session with an error";
  return XTLS_ERROR_PROTOCOL;
}

static void
handle_terminate (XtlsSession *s, const XtlsIq *iq)
{
  XtlsJingleReason reason = iq->jingle->reason;
  const char *message;
  XtlsError code;

  xtls_session_send_result (s, iq->id);
  if (s->phase == PHASE_ENDED)
    return;
  SLOG (s, "peer terminated: %s", xtls_jingle_reason_to_string (reason));
  if (s->tls_up)
    {
      /* A running tunnel ends through itself (</stream:stream>, close_notify: PROTOCOL.md §6),
       * which arrives before the terminate. A terminate first is unauthenticated: a server may
       * have forged it. It ends the session, as a failure, and never as a normal finish; we
       * close the tunnel from inside, so the real peer learns it authentically. */
      if (s->xml != NULL && s->phase != PHASE_ENDING)
        xtls_xml_stream_close (s->xml);
      if (s->tls != NULL)
        xtls_tls_channel_close (s->tls);
      xtls_session_fail_code (s, XTLS_REASON_NONE, XTLS_ERROR_INTERRUPTED,
                              "the tunnel was ended from outside it");
      return;
    }
  if (reason == XTLS_REASON_SUCCESS)
    {
      xtls_session_end (s, XTLS_STATE_FINISHED, NULL);
      return;
    }
  code = reason_to_error (reason, &message);
  {
    g_autoptr (GError) error = g_error_new_literal (XTLS_ERROR, code, message);
    if (s->tls != NULL && xtls_tls_channel_get_state (s->tls) == XTLS_TLS_STATE_HANDSHAKING)
      {
        Phase phase = s->phase;
        s->phase = PHASE_ENDED; /* no alert loop through tls_closed */
        xtls_tls_channel_abort (s->tls, error);
        s->phase = phase;
      }
    xtls_session_end (s,
                      reason == XTLS_REASON_DECLINE || reason == XTLS_REASON_CANCEL
                          ? XTLS_STATE_FINISHED
                          : XTLS_STATE_FAILED,
                      error);
  }
}

void
xtls_session_handle_jingle (XtlsSession *s, const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  if (s->phase == PHASE_ENDED && j->action != XTLS_JINGLE_SESSION_TERMINATE)
    {
      xtls_session_send_error (s, iq->id, XTLS_STANZA_ERROR_ITEM_NOT_FOUND,
                               XTLS_JINGLE_ERROR_UNKNOWN_SESSION);
      return;
    }
  switch (j->action)
    {
      case XTLS_JINGLE_SESSION_ACCEPT:
        handle_accept (s, iq);
        break;
      case XTLS_JINGLE_SECURITY_INFO:
        handle_security_info (s, iq);
        break;
      case XTLS_JINGLE_SESSION_TERMINATE:
        handle_terminate (s, iq);
        break;
      case XTLS_JINGLE_SESSION_INITIATE:
        /* A repeated initiate for the same sid (server retransmission) is acknowledged again. */
        xtls_session_send_result (s, iq->id);
        break;
      case XTLS_JINGLE_SESSION_INFO:
      case XTLS_JINGLE_OTHER:
        xtls_session_send_result (s, iq->id);
        break;
    }
}

void
xtls_session_handle_ibb (XtlsSession *s, const XtlsIq *iq)
{
  if (s->ibb != NULL)
    {
      xtls_ibb_receive (s->ibb, &iq->ibb);
      return;
    }
  /* PROTOCOL.md §3: data for a sid of ours that has ended gets <item-not-found/>; a late
   * <close/> after our terminate is simply acknowledged. */
  if (iq->ibb.kind == XTLS_IBB_PACKET_CLOSE)
    xtls_session_send_result (s, iq->id);
  else
    xtls_session_send_error (s, iq->id, XTLS_STANZA_ERROR_ITEM_NOT_FOUND, XTLS_JINGLE_ERROR_NONE);
}

/* Any answer from the peer proves it is alive. A server that shapes client traffic (ejabberd's
 * shipped c2s shaper: 3000 B/s) can take longer than the ack timeout to pass a whole IBB
 * window, though the peer answers every IQ as it arrives: so the deadlines of the IQs still
 * out count from the last answer, not from when each was sent. */
static void
rearm_deadlines (XtlsSession *s)
{
  gint64 deadline = xtls_session_now (s) + s->hub->config.ack_timeout_us;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, s->iqs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (*(gint64 *)value > 0)
      *(gint64 *)value = MAX (*(gint64 *)value, deadline);
}

void
xtls_session_handle_reply (XtlsSession *s, const XtlsIq *iq)
{
  gint64 *deadline = g_hash_table_lookup (s->iqs, iq->id);
  gboolean abandoned = deadline == NULL || *deadline == 0;
  XtlsIbbPacket pkt = {
    .kind = iq->type == XTLS_IQ_RESULT ? XTLS_IBB_PACKET_RESULT : XTLS_IBB_PACKET_ERROR,
    .iq_id = iq->id,
    .condition = iq->condition == XTLS_STANZA_ERROR_BAD_REQUEST ? XTLS_IBB_COND_BAD_REQUEST
                                                                : XTLS_IBB_COND_OTHER,
  };

  g_hash_table_remove (s->iqs, iq->id);
  if (s->phase == PHASE_ENDED || abandoned)
    return;
  rearm_deadlines (s);
  if (s->ibb != NULL && xtls_ibb_owns (s->ibb, &pkt))
    {
      xtls_ibb_receive (s->ibb, &pkt);
      return;
    }
  if (iq->type != XTLS_IQ_ERROR)
    return;
  /* One of our Jingle requests was refused. */
  if (iq->jingle_condition == XTLS_JINGLE_ERROR_TIE_BREAK)
    return; /* the peer's own offer wins and is on its way */
  if (s->phase == PHASE_INITIATE_SENT)
    xtls_session_fail_code (s, XTLS_REASON_NONE, XTLS_ERROR_UNSUPPORTED,
                            "the peer's client refused the offer: it does not support XTLS chat");
  else
    xtls_session_fail_code (s, XTLS_REASON_GENERAL_ERROR, XTLS_ERROR_PROTOCOL,
                            "the peer rejected a session request");
}
