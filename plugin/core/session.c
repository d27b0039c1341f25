/* One XTLS chat session with one peer resource: life cycle, outer stanzas, ending and
 * deadlines. Negotiation lives in session-jingle.c, the tunnel in session-tunnel.c.
 *
 * Layering, data in: hub -> session -> ibb -> tls -> xmlstream -> ops->message_received.
 * Data out is the reverse. The session owns its three engines and is the only one that knows
 * how they connect; each engine sees only its neighbours through its ops table. */
#include "session-impl.h"

#include <string.h>

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

void
xtls_session_set_state (XtlsSession *s, XtlsTrustState state)
{
  XtlsHub *hub = s->hub;

  if (s->state == state)
    return;
  g_assert (transition_allowed (s->state, state));
  SLOG (s, "state %s -> %s", xtls_trust_state_to_string (s->state),
        xtls_trust_state_to_string (state));
  s->state = state;
  if (hub->ops->state_changed != NULL)
    hub->ops->state_changed (hub, s, state, s->error, hub->user_data);
}

gint64
xtls_session_now (XtlsSession *s)
{
  return xtls_clock_now (s->hub->clock);
}

/* ---- Outer stanzas ---------------------------------------------------------------------- */

/* Sends an IQ set built from @iq (id filled in) and starts its ack deadline. */
static void
send_set (XtlsSession *s, XtlsIq *iq)
{
  g_autofree char *xml = NULL;

  iq->type = XTLS_IQ_SET;
  iq->id = xtls_hub_make_iq_id (s->hub);
  iq->from = s->hub->own_jid;
  iq->to = s->peer;
  xml = xtls_wire_build_iq (iq);
  g_hash_table_insert (s->iqs, g_strdup (iq->id),
                       g_memdup2 (&(gint64){ xtls_session_now (s) + s->hub->config.ack_timeout_us },
                                  sizeof (gint64)));
  g_free (iq->id);
  iq->id = NULL;
  iq->from = iq->to = NULL;
  xtls_hub_send (s->hub, xml);
}

void
xtls_session_send_result (XtlsSession *s, const char *id)
{
  g_autofree char *xml = xtls_wire_build_result (id, s->peer);
  xtls_hub_send (s->hub, xml);
}

void
xtls_session_send_error (XtlsSession *s, const char *id, XtlsStanzaCondition condition,
                         XtlsJingleErrorCondition jingle_condition)
{
  g_autofree char *xml
      = xtls_wire_build_error (id, s->peer, condition, jingle_condition, s->dialect);
  xtls_hub_send (s->hub, xml);
}

XtlsJingle *
xtls_session_new_jingle (XtlsSession *s, XtlsJingleAction action)
{
  XtlsJingle *j = xtls_jingle_new (action, s->sid);

  j->dialect = s->dialect;
  j->initiator = g_strdup (s->initiator_jid);
  if (action == XTLS_JINGLE_SESSION_ACCEPT)
    j->responder = g_strdup (s->responder_jid);
  return j;
}

void
xtls_session_add_content (XtlsSession *s, XtlsJingle *j)
{
  j->has_content = TRUE;
  j->content_name = g_strdup (s->content_name);
  j->content_creator = g_strdup (s->content_creator);
  j->app = s->app;
}

void
xtls_session_send_jingle (XtlsSession *s, XtlsJingle *j)
{
  XtlsIq iq = { .payload = XTLS_IQ_PAYLOAD_JINGLE, .jingle = j };

  SLOG (s, "send %s", xtls_jingle_action_to_string (j->action));
  send_set (s, &iq);
  xtls_jingle_free (j);
}

void
xtls_session_send_terminate (XtlsSession *s, XtlsJingleReason reason)
{
  XtlsJingle *j = xtls_session_new_jingle (s, XTLS_JINGLE_SESSION_TERMINATE);

  j->reason = reason;
  xtls_session_send_jingle (s, j);
}

/* ---- Ending ------------------------------------------------------------------------------ */

/* Releases the engines. After a clean finish the IBB engine stays until the <close/> exchange
 * (PROTOCOL.md §6), so the peer's last records in flight are acknowledged, not refused. */
static void
teardown (XtlsSession *s, gboolean keep_transport)
{
  XtlsHub *hub = s->hub;

  if (s->ibb != NULL && !keep_transport)
    xtls_hub_bury (hub, g_steal_pointer (&s->ibb), (GDestroyNotify)xtls_ibb_free);
  if (s->tls != NULL)
    xtls_hub_bury (hub, g_steal_pointer (&s->tls), (GDestroyNotify)xtls_tls_channel_free);
  if (s->xml != NULL)
    xtls_hub_bury (hub, g_steal_pointer (&s->xml), (GDestroyNotify)xtls_xml_stream_free);
  if (s->held != NULL)
    g_clear_pointer (&s->held, g_byte_array_unref);
  if (s->password != NULL)
    {
      memset (s->password, 0, strlen (s->password));
      g_clear_pointer (&s->password, g_free);
    }
  s->handshake_deadline = s->accept_deadline = 0;
  s->pending = XTLS_DECISION_NONE;
}

/* Every end goes through here: no more deadlines, engines released, messages that never made
 * it into a proven tunnel reported as not sent. */
void
xtls_session_end (XtlsSession *s, XtlsTrustState final, const GError *error)
{
  GHashTableIter iter;
  gpointer value;

  if (s->phase == PHASE_ENDED)
    return;
  s->phase = PHASE_ENDED;
  s->ended_at = MAX (xtls_session_now (s), 1);
  if (error != NULL && s->error == NULL)
    s->error = g_error_copy (error);
  /* Answers to IQs we sent may still arrive; keep their ids so they are recognised as ours,
   * but no deadline runs any more. */
  g_hash_table_iter_init (&iter, s->iqs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    *(gint64 *)value = 0;
  teardown (s, final == XTLS_STATE_FINISHED && error == NULL);
  xtls_session_report_messages (s, &s->unconfirmed, FALSE);
  xtls_session_report_messages (s, &s->outbox, FALSE);
  xtls_session_set_state (s, final);
}

void
xtls_session_fail (XtlsSession *s, XtlsJingleReason reason, const GError *error)
{
  if (s->phase == PHASE_ENDED)
    return;
  SLOG (s, "failing: %s (terminate reason %s)", error ? error->message : "-",
        xtls_jingle_reason_to_string (reason));
  if (s->tls != NULL && error != NULL
      && xtls_tls_channel_get_state (s->tls) == XTLS_TLS_STATE_HANDSHAKING)
    {
      /* Mark ended first: abort reports back through tls_closed, which must not recurse. */
      Phase phase = s->phase;
      s->phase = PHASE_ENDED;
      xtls_tls_channel_abort (s->tls, error);
      s->phase = phase;
    }
  if (reason != XTLS_REASON_NONE && s->sid != NULL && s->phase != PHASE_IDLE)
    xtls_session_send_terminate (s, reason);
  xtls_session_end (s, XTLS_STATE_FAILED, error);
}

void
xtls_session_fail_code (XtlsSession *s, XtlsJingleReason reason, XtlsError code,
                        const char *message)
{
  g_autoptr (GError) error = g_error_new_literal (XTLS_ERROR, code, message);
  xtls_session_fail (s, reason, error);
}

/* The last step of a polite end: everything we wrote has been sent and acknowledged. */
void
xtls_session_complete_stop (XtlsSession *s)
{
  xtls_session_send_terminate (s, XTLS_REASON_SUCCESS);
  if (s->ibb != NULL)
    xtls_ibb_close (s->ibb);
  xtls_session_end (s, XTLS_STATE_FINISHED, NULL);
}

/* @now: the account is going away (sign-off, unload), so nothing can wait for the peer's
 * acknowledgements: what is queued goes out, the terminate follows at once, and the session
 * counts as finished rather than failed. */
static void
stop (XtlsSession *s, gboolean now)
{
  if (!xtls_session_is_live (s) || (s->phase == PHASE_ENDING && !now))
    return;
  xtls_hub_enter (s->hub);
  if (s->tls_up)
    {
      /* PROTOCOL.md §6: </stream:stream>, then session-terminate <success/>, then IBB <close/>,
       * once the data before them has been acknowledged so no message is cut off. */
      if (s->phase != PHASE_ENDING)
        {
          s->phase = PHASE_ENDING;
          xtls_xml_stream_close (s->xml);
          xtls_tls_channel_close (s->tls);
        }
      if (now || (xtls_ibb_get_pending_bytes (s->ibb) == 0 && xtls_ibb_get_unacked (s->ibb) == 0))
        xtls_session_complete_stop (s);
    }
  else
    {
      g_autoptr (GError) error = NULL;
      if (!now)
        error = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_CANCELLED, "cancelled by the user");
      if (s->phase != PHASE_IDLE)
        xtls_session_send_terminate (s, s->initiator || s->phase != PHASE_OFFER_RECEIVED
                                            ? XTLS_REASON_CANCEL
                                            : XTLS_REASON_DECLINE);
      xtls_session_end (s, XTLS_STATE_FINISHED, error);
    }
  xtls_hub_leave (s->hub);
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

/* ---- Deadlines ------------------------------------------------------------------------ */

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
  GHashTableIter iter;
  gpointer value;
  gint64 next;

  if (s->phase == PHASE_ENDED)
    return -1;
  next = earliest (s->handshake_deadline, s->accept_deadline);
  g_hash_table_iter_init (&iter, s->iqs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    next = earliest (next, *(gint64 *)value);
  return next > 0 ? next : -1;
}

void
xtls_session_tick (XtlsSession *s, gint64 t)
{
  gint64 next = xtls_session_next_deadline (s);

  if (next < 0 || next > t)
    return;
  if (s->handshake_deadline > 0 && s->handshake_deadline <= t)
    xtls_session_fail_code (s, XTLS_REASON_TIMEOUT, XTLS_ERROR_TIMEOUT,
                            "the encryption handshake did not finish in time");
  else if (s->accept_deadline > 0 && s->accept_deadline <= t)
    xtls_session_fail_code (s, XTLS_REASON_TIMEOUT, XTLS_ERROR_TIMEOUT,
                            "the peer did not accept in time");
  else
    xtls_session_fail_code (s, XTLS_REASON_TIMEOUT, XTLS_ERROR_TIMEOUT,
                            "the peer stopped answering");
}

/* ---- Life cycle and accessors ---------------------------------------------------------- */

XtlsSession *
xtls_session_new (XtlsHub *hub, const char *peer)
{
  XtlsSession *s = g_new0 (XtlsSession, 1);

  s->hub = hub;
  s->peer = g_strdup (peer);
  s->peer_bare = xtls_bare_jid (peer);
  s->state = XTLS_STATE_NOT_PRIVATE;
  s->phase = PHASE_IDLE;
  g_queue_init (&s->outbox);
  g_queue_init (&s->unconfirmed);
  s->iqs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return s;
}

void
xtls_session_free (XtlsSession *s)
{
  if (s == NULL)
    return;
  g_assert (s->tls == NULL && s->xml == NULL);
  g_clear_pointer (&s->ibb, xtls_ibb_free);
  g_queue_clear_full (&s->outbox, (GDestroyNotify)xtls_outgoing_free);
  g_queue_clear_full (&s->unconfirmed, (GDestroyNotify)xtls_outgoing_free);
  g_hash_table_unref (s->iqs);
  xtls_session_reset_jingle (s);
  g_clear_error (&s->error);
  g_free (s->peer);
  g_free (s->peer_bare);
  g_free (s->tls_description);
  g_free (s->pubkey_iq_id);
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
  return xtls_session_is_live (s) && s->pending != XTLS_DECISION_NONE;
}

gboolean
xtls_session_matches_sid (XtlsSession *s, const char *sid)
{
  return s->sid != NULL && sid != NULL && strcmp (s->sid, sid) == 0;
}

gboolean
xtls_session_matches_transport (XtlsSession *s, const char *transport_sid)
{
  return s->transport_sid != NULL && transport_sid != NULL
         && strcmp (s->transport_sid, transport_sid) == 0;
}

gboolean
xtls_session_owns_iq (XtlsSession *s, const char *iq_id)
{
  return iq_id != NULL && g_hash_table_contains (s->iqs, iq_id);
}

gboolean
xtls_session_awaits_accept (XtlsSession *s)
{
  return s->phase == PHASE_INITIATE_SENT;
}

const char *
xtls_session_get_sid (XtlsSession *s)
{
  return s->sid;
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
  return s->initiator;
}

XtlsMethod
xtls_session_get_method (XtlsSession *s)
{
  return s->method;
}

const char *
xtls_session_get_peer_fingerprint (XtlsSession *s)
{
  return s->peer_fingerprint;
}

XtlsDecision
xtls_session_get_pending_decision (XtlsSession *s)
{
  return s->pending;
}

const char *
xtls_session_get_tls_description (XtlsSession *s)
{
  return s->peer_header ? s->tls_description : NULL;
}
