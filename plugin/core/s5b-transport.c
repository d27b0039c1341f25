/* One SOCKS5 bytestream of a file session (s5b-transport.h): the XEP-0260 candidate checks,
 * nomination and proxy activation over the SOCKS5 engines of s5b.c. */
#include "s5b-transport.h"

#include <string.h>

#include "xtls-error.h"

/* Never log application bytes (STYLE.md habit 7). */
#define TLOG(t, fmt, ...)                                                                          \
  g_debug ("[%s s5b %s] " fmt, (t)->log_id, state_to_string ((t)->state), ##__VA_ARGS__)

typedef enum
{
  STATE_CHECKING,   /* XEP-0260 §2.3: trying the peer's candidates, waiting for its report */
  STATE_WAIT_PEER,  /* §2.4: the peer nominated our direct candidate; its connection is due */
  STATE_ACTIVATING, /* §2.4: a proxy candidate won: connecting to it / waiting for activation */
  STATE_ESTABLISHED,
  STATE_FAILED, /* before established: the owner falls back */
  STATE_CLOSED, /* after established */
} State;

typedef enum
{
  LINK_ATTEMPT, /* we are the SOCKS5 client of one of the peer's candidates */
  LINK_SERVED,  /* the peer connected to one of our direct candidates */
  LINK_PROXY,   /* we connect to our own proxy candidate to activate it */
} LinkKind;

typedef enum
{
  REPORT_NONE,
  REPORT_USED,
  REPORT_ERROR,
} Report;

typedef struct
{
  XtlsS5bTransport *t;
  guint id; /* the owner's connection number; 0: connecting was impossible */
  LinkKind kind;
  XtlsS5bConn *conn;                /* owned */
  const XtlsS5bCandidateWire *cand; /* ATTEMPT: the peer's; PROXY: ours; SERVED: NULL */
  gboolean dead;                    /* the engine ended; the socket is closed */
} Link;

struct _XtlsS5bTransport
{
  const XtlsS5bTransportOps *ops; /* borrowed */
  gpointer user_data;
  State state;
  char *sid, *own_jid, *peer_jid, *log_id; /* owned */
  gboolean initiator;
  GPtrArray *ours;   /* owned XtlsS5bCandidateWire * */
  GPtrArray *theirs; /* owned, sorted by priority */
  const XtlsClock *clock;
  gint64 timeout_us;
  char *our_dst;     /* owned: SHA1(sid + us + peer), what reaches our candidates */
  char *their_dst;   /* owned: SHA1(sid + peer + us), what reaches theirs */
  GPtrArray *links;  /* owned Link * (freed with the transport: engines are not freed from
                      * inside their own callbacks) */
  Report our_report; /* what we told the peer */
  const XtlsS5bCandidateWire *we_used; /* the peer's candidate we named (borrowed) */
  Report peer_report;
  const XtlsS5bCandidateWire *peer_used; /* our candidate the peer named (borrowed) */
  Link *chosen;                          /* the nominated link */
  gint64 deadline; /* the whole negotiation, and waits on the peer; 0 = none */
  gboolean quiet;  /* freeing or closing: sockets are closed, nothing is reported up */
};

static const char *
state_to_string (State state)
{
  switch (state)
    {
      case STATE_CHECKING:
        return "checking";
      case STATE_WAIT_PEER:
        return "waiting for the peer";
      case STATE_ACTIVATING:
        return "activating";
      case STATE_ESTABLISHED:
        return "established";
      case STATE_FAILED:
        return "failed";
      case STATE_CLOSED:
        return "closed";
    }
  return "?";
}

/* XEP-0260 §2.3-§2.4: checking, then a nomination (direct or proxy), then data; every state
 * may fail before data flows, and only data may close. */
static gboolean
transition_allowed (State from, State to)
{
  switch (from)
    {
      case STATE_CHECKING:
        return to == STATE_WAIT_PEER || to == STATE_ACTIVATING || to == STATE_ESTABLISHED
               || to == STATE_FAILED;
      case STATE_WAIT_PEER:
      case STATE_ACTIVATING:
        return to == STATE_ESTABLISHED || to == STATE_FAILED;
      case STATE_ESTABLISHED:
        return to == STATE_CLOSED;
      case STATE_FAILED:
      case STATE_CLOSED:
        return FALSE;
    }
  return FALSE;
}

static void
set_state (XtlsS5bTransport *t, State state)
{
  TLOG (t, "-> %s", state_to_string (state));
  g_assert (transition_allowed (t->state, state));
  t->state = state;
}

static gboolean
link_pending (Link *l)
{
  XtlsS5bState s;

  if (l->dead)
    return FALSE;
  s = xtls_s5b_conn_get_state (l->conn);
  return s == XTLS_S5B_STATE_IDLE || s == XTLS_S5B_STATE_GREETING || s == XTLS_S5B_STATE_REQUEST;
}

static gboolean
link_connected (Link *l)
{
  return !l->dead && xtls_s5b_conn_get_state (l->conn) == XTLS_S5B_STATE_CONNECTED;
}

/* Closes @l from our side (its closed callback marks it dead and closes the socket). */
static void
drop_link (Link *l)
{
  if (!l->dead)
    xtls_s5b_conn_close (l->conn);
}

static void
drop_all_but (XtlsS5bTransport *t, Link *keep)
{
  for (guint i = 0; i < t->links->len; i++)
    {
      Link *l = g_ptr_array_index (t->links, i);
      if (l != keep)
        drop_link (l);
    }
}

static void
fail (XtlsS5bTransport *t, XtlsError code, const char *message)
{
  g_autoptr (GError) error = NULL;

  if (t->state == STATE_FAILED || t->state == STATE_ESTABLISHED || t->state == STATE_CLOSED)
    return;
  error = g_error_new_literal (XTLS_ERROR, code, message);
  TLOG (t, "failed: %s", message);
  set_state (t, STATE_FAILED);
  t->deadline = 0;
  t->quiet = TRUE;
  drop_all_but (t, NULL);
  t->quiet = FALSE;
  t->ops->failed (t, error, t->user_data);
}

/* ---- the SOCKS5 engines' callbacks ---------------------------------------------------------- */

static void
conn_send (XtlsS5bConn *conn, const guint8 *data, gsize len, gpointer user_data)
{
  Link *l = user_data;

  if (l->id != 0)
    l->t->ops->write (l->t, l->id, data, len, l->t->user_data);
}

static void evaluate (XtlsS5bTransport *t);

static void
conn_connected (XtlsS5bConn *conn, gpointer user_data)
{
  Link *l = user_data;
  XtlsS5bTransport *t = l->t;

  switch (l->kind)
    {
      case LINK_ATTEMPT:
        evaluate (t);
        break;
      case LINK_SERVED:
        if (t->state == STATE_WAIT_PEER)
          {
            t->chosen = l;
            drop_all_but (t, l);
            xtls_s5b_conn_select (conn);
          }
        break;
      case LINK_PROXY:
        /* XEP-0065 §6.3.5: connected to the proxy ourselves; now ask it to activate. */
        xtls_s5b_conn_select (conn);
        t->ops->activate (t, l->cand->jid, t->sid, t->peer_jid, t->user_data);
        break;
    }
}

static void
conn_established (XtlsS5bConn *conn, gpointer user_data)
{
  Link *l = user_data;
  XtlsS5bTransport *t = l->t;

  if (l != t->chosen || t->state == STATE_FAILED)
    return;
  t->deadline = 0;
  set_state (t, STATE_ESTABLISHED);
  t->ops->established (t, t->user_data);
}

static void
conn_deliver (XtlsS5bConn *conn, const guint8 *data, gsize len, gpointer user_data)
{
  Link *l = user_data;
  XtlsS5bTransport *t = l->t;

  if (l == t->chosen && t->state == STATE_ESTABLISHED)
    t->ops->deliver (t, data, len, t->user_data);
}

static void
conn_closed (XtlsS5bConn *conn, const GError *error, gpointer user_data)
{
  Link *l = user_data;
  XtlsS5bTransport *t = l->t;

  l->dead = TRUE;
  if (l->id != 0)
    t->ops->close (t, l->id, t->user_data);
  if (t->quiet)
    return;
  if (l == t->chosen)
    {
      if (t->state == STATE_ESTABLISHED)
        {
          set_state (t, STATE_CLOSED);
          t->ops->closed (t, error, t->user_data);
        }
      else
        fail (t, error != NULL ? error->code : XTLS_ERROR_FAILED,
              error != NULL ? error->message : "the bytestream closed before it was ready");
      return;
    }
  if (t->state == STATE_CHECKING && l->kind == LINK_ATTEMPT)
    evaluate (t);
}

static const XtlsS5bConnOps conn_ops = {
  .send = conn_send,
  .connected = conn_connected,
  .established = conn_established,
  .deliver = conn_deliver,
  .closed = conn_closed,
};

static Link *
add_link (XtlsS5bTransport *t, LinkKind kind, const XtlsS5bCandidateWire *cand, const char *dst)
{
  Link *l = g_new0 (Link, 1);
  g_autofree char *log_id
      = g_strdup_printf ("%s/%s", t->log_id, cand != NULL ? cand->cid : "served");
  XtlsS5bConnConfig config = {
    .role = kind == LINK_SERVED ? XTLS_S5B_ROLE_SERVER : XTLS_S5B_ROLE_CLIENT,
    .dst_addr = dst,
    .proxy = cand != NULL && cand->type == XTLS_S5B_CANDIDATE_PROXY,
    .clock = t->clock,
    .timeout_us = t->timeout_us,
    .log_id = log_id,
  };

  l->t = t;
  l->kind = kind;
  l->cand = cand;
  if (kind != LINK_SERVED)
    l->conn = xtls_s5b_conn_new (&config, &conn_ops, l);
  g_ptr_array_add (t->links, l);
  return l;
}

/* Opens the socket of a client link; a candidate that cannot even be dialled fails at once. */
static void
dial (Link *l)
{
  XtlsS5bTransport *t = l->t;
  g_autoptr (GError) error = NULL;

  l->id = t->ops->connect (t, l->cand->host, l->cand->port, t->user_data);
  if (l->id != 0)
    return;
  error = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_FAILED, "cannot connect to the candidate");
  xtls_s5b_conn_abort (l->conn, error);
}

/* ---- XEP-0260 §2.3-§2.4 --------------------------------------------------------------------- */

static Link *
find_attempt (XtlsS5bTransport *t, const XtlsS5bCandidateWire *cand)
{
  for (guint i = 0; i < t->links->len; i++)
    {
      Link *l = g_ptr_array_index (t->links, i);
      if (l->kind == LINK_ATTEMPT && l->cand == cand)
        return l;
    }
  return NULL;
}

static void
nominate (XtlsS5bTransport *t)
{
  const XtlsS5bCandidateWire *ours;

  if (t->state != STATE_CHECKING || t->our_report == REPORT_NONE || t->peer_report == REPORT_NONE)
    return;
  switch (xtls_s5b_nominate (t->initiator, t->we_used, t->peer_used))
    {
      case XTLS_S5B_NOMINATED_NONE:
        fail (t, XTLS_ERROR_FAILED, "no SOCKS5 candidate worked on either side");
        return;
      case XTLS_S5B_NOMINATED_OURS:
        /* We are the client of the peer's candidate: ours is the stream. */
        t->chosen = find_attempt (t, t->we_used);
        TLOG (t, "nominated the peer's candidate %s", t->we_used->cid);
        drop_all_but (t, t->chosen);
        if (t->we_used->type == XTLS_S5B_CANDIDATE_PROXY)
          {
            /* The peer offered the proxy, so it activates it and says so (§2.4). */
            set_state (t, STATE_ACTIVATING);
            t->deadline = xtls_clock_now (t->clock) + 2 * t->timeout_us;
          }
        xtls_s5b_conn_select (t->chosen->conn);
        return;
      case XTLS_S5B_NOMINATED_PEERS:
        break;
    }
  ours = t->peer_used;
  TLOG (t, "nominated our candidate %s", ours->cid);
  if (ours->type == XTLS_S5B_CANDIDATE_PROXY)
    {
      drop_all_but (t, NULL);
      set_state (t, STATE_ACTIVATING);
      t->deadline = xtls_clock_now (t->clock) + 2 * t->timeout_us;
      t->chosen = add_link (t, LINK_PROXY, ours, t->our_dst);
      dial (t->chosen);
      return;
    }
  set_state (t, STATE_WAIT_PEER);
  t->deadline = xtls_clock_now (t->clock) + t->timeout_us;
  for (guint i = 0; i < t->links->len; i++)
    {
      Link *l = g_ptr_array_index (t->links, i);
      if (l->kind == LINK_SERVED && link_connected (l))
        {
          t->chosen = l;
          break;
        }
    }
  for (guint i = 0; i < t->links->len; i++)
    {
      Link *l = g_ptr_array_index (t->links, i);
      /* Our attempts lost; other connections to our listener only once one was chosen. */
      if (l->kind == LINK_ATTEMPT || (t->chosen != NULL && l != t->chosen))
        drop_link (l);
    }
  if (t->chosen != NULL)
    xtls_s5b_conn_select (t->chosen->conn);
}

static void
report (XtlsS5bTransport *t, Link *used)
{
  if (used != NULL)
    {
      t->our_report = REPORT_USED;
      t->we_used = used->cand;
      TLOG (t, "candidate-used %s", used->cand->cid);
      /* The others are of no more use (§2.3): only the first that worked is reported. */
      for (guint i = 0; i < t->links->len; i++)
        {
          Link *l = g_ptr_array_index (t->links, i);
          if (l->kind == LINK_ATTEMPT && l != used)
            drop_link (l);
        }
      t->ops->send_info (t, XTLS_S5B_INFO_CANDIDATE_USED, used->cand->cid, t->user_data);
    }
  else
    {
      t->our_report = REPORT_ERROR;
      TLOG (t, "candidate-error");
      t->ops->send_info (t, XTLS_S5B_INFO_CANDIDATE_ERROR, NULL, t->user_data);
    }
  if (t->state == STATE_CHECKING)
    nominate (t);
}

/* §2.3: the first candidate (highest priority) that works is used; a lower one that worked
 * waits for the higher ones to fail. After the peer's candidate-used, candidates that could
 * not win the nomination any more are not tried further. */
static void
evaluate (XtlsS5bTransport *t)
{
  if (t->state != STATE_CHECKING || t->our_report != REPORT_NONE)
    return;
  for (guint i = 0; i < t->links->len; i++)
    {
      Link *l = g_ptr_array_index (t->links, i);

      if (l->kind != LINK_ATTEMPT || l->dead)
        continue;
      if (t->peer_report == REPORT_USED
          && !xtls_s5b_worth_trying (t->initiator, l->cand, t->peer_used))
        {
          drop_link (l);
          continue;
        }
      if (link_connected (l))
        {
          report (t, l);
          return;
        }
      if (link_pending (l))
        return;
    }
  report (t, NULL);
}

/* ---- API ------------------------------------------------------------------------------------ */

static GPtrArray *
copy_candidates (const GPtrArray *from)
{
  GPtrArray *to = g_ptr_array_new_with_free_func ((GDestroyNotify)xtls_s5b_candidate_wire_free);

  for (guint i = 0; from != NULL && i < from->len; i++)
    g_ptr_array_add (to, xtls_s5b_candidate_wire_copy (g_ptr_array_index (from, i)));
  return to;
}

static void
link_free (Link *l)
{
  xtls_s5b_conn_free (l->conn);
  g_free (l);
}

XtlsS5bTransport *
xtls_s5b_transport_new (const XtlsS5bTransportConfig *config, const XtlsS5bTransportOps *ops,
                        gpointer user_data)
{
  XtlsS5bTransport *t = g_new0 (XtlsS5bTransport, 1);

  t->ops = ops;
  t->user_data = user_data;
  t->state = STATE_CHECKING;
  t->sid = g_strdup (config->sid);
  t->own_jid = g_strdup (config->own_jid);
  t->peer_jid = g_strdup (config->peer_jid);
  t->log_id = g_strdup (config->log_id != NULL ? config->log_id : "-");
  t->initiator = config->initiator;
  t->ours = copy_candidates (config->ours);
  t->theirs = copy_candidates (config->theirs);
  xtls_s5b_candidates_sort (t->theirs);
  t->clock = config->clock;
  t->timeout_us = config->timeout_us > 0 ? config->timeout_us : XTLS_S5B_DEFAULT_TIMEOUT_US;
  /* §2.2: the hash names whoever offered the candidate first. */
  t->our_dst = xtls_s5b_dst_addr (t->sid, t->own_jid, t->peer_jid);
  t->their_dst = xtls_s5b_dst_addr (t->sid, t->peer_jid, t->own_jid);
  t->links = g_ptr_array_new_with_free_func ((GDestroyNotify)link_free);
  return t;
}

void
xtls_s5b_transport_free (XtlsS5bTransport *t)
{
  if (t == NULL)
    return;
  t->quiet = TRUE;
  drop_all_but (t, NULL);
  g_ptr_array_unref (t->links);
  g_ptr_array_unref (t->ours);
  g_ptr_array_unref (t->theirs);
  g_free (t->sid);
  g_free (t->own_jid);
  g_free (t->peer_jid);
  g_free (t->log_id);
  g_free (t->our_dst);
  g_free (t->their_dst);
  g_free (t);
}

void
xtls_s5b_transport_start (XtlsS5bTransport *t)
{
  guint n = MIN (t->theirs->len, XTLS_S5B_MAX_ATTEMPTS);

  TLOG (t, "%u candidates of ours, trying %u of the peer's %u", t->ours->len, n, t->theirs->len);
  /* Bounds the whole check: every attempt, the peer's report and the nomination. */
  t->deadline = xtls_clock_now (t->clock) + 3 * t->timeout_us;
  for (guint i = 0; i < n; i++)
    add_link (t, LINK_ATTEMPT, g_ptr_array_index (t->theirs, i), t->their_dst);
  for (guint i = 0; i < t->links->len && t->state == STATE_CHECKING; i++)
    dial (g_ptr_array_index (t->links, i));
  evaluate (t);
}

void
xtls_s5b_transport_receive_info (XtlsS5bTransport *t, XtlsS5bInfo info, const char *cid)
{
  switch (info)
    {
      case XTLS_S5B_INFO_NONE:
        return;
      case XTLS_S5B_INFO_CANDIDATE_USED:
      case XTLS_S5B_INFO_CANDIDATE_ERROR:
        if (t->state != STATE_CHECKING || t->peer_report != REPORT_NONE)
          {
            fail (t, XTLS_ERROR_PROTOCOL, "the peer reported its candidate check twice");
            return;
          }
        if (info == XTLS_S5B_INFO_CANDIDATE_USED)
          {
            t->peer_used = xtls_s5b_candidates_find (t->ours, cid);
            if (t->peer_used == NULL)
              {
                fail (t, XTLS_ERROR_PROTOCOL, "the peer used a candidate we never offered");
                return;
              }
            t->peer_report = REPORT_USED;
          }
        else
          t->peer_report = REPORT_ERROR;
        evaluate (t);
        nominate (t);
        return;
      case XTLS_S5B_INFO_ACTIVATED:
        /* Only the proxy the peer offered and we connected to can be activated by it. */
        if (t->state != STATE_ACTIVATING || t->chosen == NULL || t->chosen->kind != LINK_ATTEMPT
            || g_strcmp0 (cid, t->chosen->cand->cid) != 0)
          {
            fail (t, XTLS_ERROR_PROTOCOL, "the peer activated a proxy out of turn");
            return;
          }
        xtls_s5b_conn_activated (t->chosen->conn, NULL);
        return;
      case XTLS_S5B_INFO_PROXY_ERROR:
        fail (t, XTLS_ERROR_FAILED, "the peer could not activate its SOCKS5 proxy");
        return;
    }
}

void
xtls_s5b_transport_activated (XtlsS5bTransport *t, const GError *error)
{
  Link *l = t->chosen;

  if (t->state != STATE_ACTIVATING || l == NULL || l->kind != LINK_PROXY || l->dead
      || xtls_s5b_conn_get_state (l->conn) != XTLS_S5B_STATE_ACTIVATING)
    return;
  if (error != NULL)
    {
      t->ops->send_info (t, XTLS_S5B_INFO_PROXY_ERROR, NULL, t->user_data);
      fail (t, XTLS_ERROR_FAILED, "the SOCKS5 proxy refused to activate the bytestream");
      return;
    }
  /* Tell the peer first: it may start sending as soon as it knows. */
  t->ops->send_info (t, XTLS_S5B_INFO_ACTIVATED, l->cand->cid, t->user_data);
  xtls_s5b_conn_activated (l->conn, NULL);
}

const char *
xtls_s5b_transport_our_dst_addr (XtlsS5bTransport *t)
{
  return t->our_dst;
}

gboolean
xtls_s5b_transport_adopt (XtlsS5bTransport *t, guint id, XtlsS5bConn *conn)
{
  guint served = 0;
  Link *l;

  if (t->state != STATE_CHECKING && t->state != STATE_WAIT_PEER)
    return FALSE;
  for (guint i = 0; i < t->links->len; i++)
    served += ((Link *)g_ptr_array_index (t->links, i))->kind == LINK_SERVED;
  if (served >= XTLS_S5B_MAX_SERVED)
    return FALSE;
  l = add_link (t, LINK_SERVED, NULL, NULL);
  l->id = id;
  l->conn = conn;
  xtls_s5b_conn_set_ops (conn, &conn_ops, l);
  TLOG (t, "the peer connected to one of our candidates");
  return TRUE;
}

static Link *
find_link (XtlsS5bTransport *t, guint id)
{
  for (guint i = 0; id != 0 && i < t->links->len; i++)
    {
      Link *l = g_ptr_array_index (t->links, i);
      if (l->id == id && !l->dead)
        return l;
    }
  return NULL;
}

gboolean
xtls_s5b_transport_owns (XtlsS5bTransport *t, guint conn)
{
  return find_link (t, conn) != NULL;
}

void
xtls_s5b_transport_net_connected (XtlsS5bTransport *t, guint conn)
{
  Link *l = find_link (t, conn);

  if (l != NULL && l->kind != LINK_SERVED
      && xtls_s5b_conn_get_state (l->conn) == XTLS_S5B_STATE_IDLE)
    xtls_s5b_conn_start (l->conn);
}

void
xtls_s5b_transport_net_receive (XtlsS5bTransport *t, guint conn, const guint8 *data, gsize len)
{
  Link *l = find_link (t, conn);

  if (l == NULL)
    return;
  if (xtls_s5b_conn_get_state (l->conn) == XTLS_S5B_STATE_IDLE)
    {
      g_autoptr (GError) error = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_PROTOCOL,
                                                      "bytes arrived before the connection was up");
      xtls_s5b_conn_abort (l->conn, error);
      return;
    }
  xtls_s5b_conn_receive (l->conn, data, len);
}

void
xtls_s5b_transport_net_drained (XtlsS5bTransport *t, guint conn)
{
  Link *l = find_link (t, conn);

  if (l != NULL && l == t->chosen && t->state == STATE_ESTABLISHED)
    t->ops->drained (t, t->user_data);
}

void
xtls_s5b_transport_net_closed (XtlsS5bTransport *t, guint conn, const GError *error)
{
  Link *l = find_link (t, conn);

  if (l == NULL)
    return;
  if (error != NULL)
    xtls_s5b_conn_abort (l->conn, error);
  else
    xtls_s5b_conn_eof (l->conn);
}

gboolean
xtls_s5b_transport_send (XtlsS5bTransport *t, const guint8 *data, gsize len)
{
  if (t->state != STATE_ESTABLISHED)
    return FALSE;
  return xtls_s5b_conn_send (t->chosen->conn, data, len, NULL);
}

void
xtls_s5b_transport_close (XtlsS5bTransport *t)
{
  t->quiet = TRUE;
  t->deadline = 0;
  drop_all_but (t, NULL);
  if (t->state == STATE_ESTABLISHED)
    set_state (t, STATE_CLOSED);
  else if (t->state != STATE_CLOSED && t->state != STATE_FAILED)
    set_state (t, STATE_FAILED);
}

gboolean
xtls_s5b_transport_is_established (XtlsS5bTransport *t)
{
  return t->state == STATE_ESTABLISHED;
}

gboolean
xtls_s5b_transport_via_proxy (XtlsS5bTransport *t)
{
  return t->state == STATE_ESTABLISHED && t->chosen != NULL && t->chosen->cand != NULL
         && t->chosen->cand->type == XTLS_S5B_CANDIDATE_PROXY;
}

gint64
xtls_s5b_transport_next_deadline (XtlsS5bTransport *t)
{
  gint64 next = t->deadline;

  for (guint i = 0; i < t->links->len; i++)
    {
      Link *l = g_ptr_array_index (t->links, i);
      gint64 d = l->dead ? 0 : xtls_s5b_conn_next_deadline (l->conn);
      if (d > 0 && (next == 0 || d < next))
        next = d;
    }
  return next;
}

void
xtls_s5b_transport_tick (XtlsS5bTransport *t)
{
  gint64 now = xtls_clock_now (t->clock);

  /* By index: a tick may end a check and add the proxy link (the array may grow). */
  for (guint i = 0; i < t->links->len; i++)
    {
      Link *l = g_ptr_array_index (t->links, i);
      if (!l->dead)
        xtls_s5b_conn_tick (l->conn);
    }
  if (t->deadline > 0 && t->deadline <= now)
    {
      t->deadline = 0;
      fail (t, XTLS_ERROR_TIMEOUT,
            t->state == STATE_CHECKING    ? "the SOCKS5 candidate check did not finish in time"
            : t->state == STATE_WAIT_PEER ? "the peer did not connect to our candidate in time"
                                          : "the SOCKS5 proxy was not activated in time");
    }
}
