/* Negotiation (XEP-0166 + the XTLS draft, PROTOCOL.md §2 and §6): offer, accept, the user's
 * trust decisions, method choice, security-info, terminate. */
#include "negotiation.h"

#include <string.h>

#include "fingerprint.h"
#include "negotiation-ft.h"

/* Never log message text, passwords or keys (STYLE.md habit 7). */
#define NLOG(n, fmt, ...) g_debug ("[%s] " fmt, (n)->sid ? (n)->sid : "-", ##__VA_ARGS__)

/* Deciding together (PROTOCOL.md §2.1): a side whose user is deciding says so this often, and
 * a side waiting for the other's user gives up after this much silence (three missed signs). */
#define KEEPALIVE_US (60 * G_USEC_PER_SEC)
#define SILENCE_US (3 * KEEPALIVE_US)

typedef enum
{
  STAGE_IDLE,
  STAGE_INITIATE_SENT,  /* initiator: waiting for session-accept */
  STAGE_OFFER_RECEIVED, /* responder: the user decides whether to trust the offer */
  STAGE_ACCEPTED,       /* accept sent or received: method, transport and TLS under way */
  STAGE_ENDED,
} Stage;

struct _XtlsNegotiation
{
  const XtlsNegotiationOps *ops; /* borrowed */
  gpointer user_data;
  XtlsNegotiationConfig config; /* borrowed strings and objects */
  char *peer_bare;              /* owned */
  Stage stage;
  gboolean initiator;

  /* Jingle (PROTOCOL.md §2) */
  char *sid;
  XtlsJingleDialect dialect;
  XtlsJingleApp app;
  char *initiator_jid;
  char *responder_jid;
  char *content_name;
  char *content_creator;
  char *transport_sid;
  char *iq_prefix;    /* ids of the transport's IQs: "xtls-<sid>" */
  char *srp_username; /* the initiator's bare JID, lowercased */
  guint block_size;
  XtlsIbbVersion ibb_version;
  gint64 accept_deadline;

  /* Deciding together (PROTOCOL.md §2.1): both users see the code at once. */
  gboolean together;         /* a chat session with a peer that understands it */
  gboolean peer_deciding;    /* initiator: the accept said the peer's user has not decided */
  gboolean method_announced; /* initiator: security-info srp went out before the password */
  gint64 decision_deadline;  /* our user's question expires (a bound on a human) */
  gint64 keepalive_at;       /* next session-info <deciding/> while our user decides */
  gint64 silence_deadline;   /* waiting for the peer's user: its next sign of life */
  gint64 peer_wait_limit;    /* no sign of the peer's user extends a wait beyond this */

  /* File transfer (the Jingle parts: negotiation-ft.c) */
  XtlsFtVersion ft_version;
  XtlsJingleFile *file;  /* owned: the file offered (ours, or the peer's as received) */
  gboolean file_pending; /* responder: the user has not answered the file offer yet */

  /* SOCKS5 bytestreams (XEP-0260): the transport while use_s5b, then maybe IBB (§2.6) */
  gboolean use_s5b;
  gboolean replace_sent;            /* initiator: transport-replace sent, no answer yet */
  XtlsS5bTransportWire *s5b_ours;   /* owned: our candidates as offered or answered */
  XtlsS5bTransportWire *s5b_theirs; /* owned: the peer's */

  /* Trust and method */
  char *peer_fingerprint; /* normalised hex as announced (or the pin, for SHA-1) */
  XtlsHashAlgo peer_fingerprint_algo;
  guint peer_methods;
  gboolean peer_trusts_us;    /* the responder offered x509 with its fingerprint */
  gboolean key_trusted;       /* pinned and matching, or verified by the user just now */
  gboolean key_accepted_once; /* the user accepted the key for this session only */
  gboolean peer_was_pinned;   /* the announced key matched a pin made before this session */
  gboolean pin_from_tunnel;   /* the user verified a SHA-1 announcement: pin the SHA-256 of
                               * the certificate the handshake proves (PROTOCOL.md §2) */
  gboolean use_password;
  gboolean secured; /* the method is settled and TLS was asked to start */
  char *password;   /* owned, wiped */
  XtlsMethod method;
  XtlsDecision pending;
};

static void judge_offer (XtlsNegotiation *n);
static void handle_transport_action (XtlsNegotiation *n, const XtlsJingle *j);

static void
wipe_password (XtlsNegotiation *n)
{
  if (n->password != NULL)
    {
      memset (n->password, 0, strlen (n->password));
      g_clear_pointer (&n->password, g_free);
    }
}

static void
neg_fail (XtlsNegotiation *n, XtlsJingleReason reason, XtlsError code, const char *message)
{
  n->ops->failed (n, reason, code, message, n->user_data);
}

static XtlsJingle *
neg_new_jingle (XtlsNegotiation *n, XtlsJingleAction action)
{
  XtlsJingle *j = xtls_jingle_new (action, n->sid);

  j->dialect = n->dialect;
  j->initiator = g_strdup (n->initiator_jid);
  if (action == XTLS_JINGLE_SESSION_ACCEPT)
    j->responder = g_strdup (n->responder_jid);
  return j;
}

static void
add_content (XtlsNegotiation *n, XtlsJingle *j)
{
  j->has_content = TRUE;
  j->content_name = g_strdup (n->content_name);
  j->content_creator = g_strdup (n->content_creator);
  j->app = n->app;
  if (n->app == XTLS_APP_FILE_TRANSFER)
    xtls_neg_ft_add_content (j, n->ft_version, n->file);
}

static void
neg_send (XtlsNegotiation *n, XtlsJingle *j)
{
  NLOG (n, "send %s", xtls_jingle_action_to_string (j->action));
  n->ops->send_jingle (n, j, n->user_data);
}

static gint64
neg_now (XtlsNegotiation *n)
{
  return xtls_clock_now (n->config.clock);
}

/* Our user answered (or the question went away): its bound and the keepalives stop. */
static void
clear_pending (XtlsNegotiation *n)
{
  n->pending = XTLS_DECISION_NONE;
  n->decision_deadline = 0;
  n->keepalive_at = 0;
}

/* The peer's signs keep us waiting, but a hostile peer must not keep a session forever: its
 * user may take two full questions (the key, then the password), no more. */
static gboolean
peer_may_still_decide (XtlsNegotiation *n)
{
  if (n->peer_wait_limit == 0)
    n->peer_wait_limit = neg_now (n) + 2 * n->config.decision_timeout_us + 60 * G_USEC_PER_SEC;
  return neg_now (n) < n->peer_wait_limit;
}

/* We wait for the peer's user (its decision or its method choice): bounded by its signs. */
static void
wait_for_peer_user (XtlsNegotiation *n)
{
  if (peer_may_still_decide (n))
    n->silence_deadline = MIN (neg_now (n) + SILENCE_US, n->peer_wait_limit);
  else
    n->silence_deadline = neg_now (n);
}

static void
ask (XtlsNegotiation *n, XtlsDecision decision)
{
  n->pending = decision;
  /* A person may be on the phone for a while, but not forever (PROTOCOL.md §2.1). */
  n->decision_deadline = neg_now (n) + n->config.decision_timeout_us;
  /* The peer waits with a session open: tell it we are still here (keeps its deadline). */
  if (n->together && n->stage == STAGE_ACCEPTED)
    n->keepalive_at = neg_now (n) + KEEPALIVE_US;
  NLOG (n, "waiting for the user's decision (%s)",
        decision == XTLS_DECISION_PASSWORD ? "password" : "unknown key");
  n->ops->asking (n, decision, n->user_data);
}

/* Initiator: the method is settled; everything that may run in parallel goes out at once
 * (PROTOCOL.md §2): security-info, then the transport and ClientHello, without waiting. */
static void
send_security_info (XtlsNegotiation *n, XtlsMethod method)
{
  XtlsJingle *info = neg_new_jingle (n, XTLS_JINGLE_SECURITY_INFO);

  add_content (n, info);
  info->app = XTLS_APP_NONE; /* security-info carries only <security/> */
  info->has_security = TRUE;
  info->methods = method;
  neg_send (n, info);
}

static void
proceed (XtlsNegotiation *n, XtlsMethod method)
{
  n->method = method;
  NLOG (n, "method %s", method == XTLS_METHOD_SRP ? "srp" : "x509");
  if (!(method == XTLS_METHOD_SRP && n->method_announced))
    send_security_info (n, method);
  n->secured = TRUE;
  n->ops->secure (n, n->user_data);
}

/* ---- trust --------------------------------------------------------------------------- */

typedef enum
{
  KEY_NONE,    /* no fingerprint announced */
  KEY_UNKNOWN, /* never seen */
  KEY_PINNED,  /* matches the pin */
  KEY_CHANGED, /* differs from the pin */
} KeyStatus;

static KeyStatus
check_peer_key (XtlsNegotiation *n)
{
  const char *pin;

  if (n->peer_fingerprint == NULL)
    return KEY_NONE;
  pin = xtls_trust_store_lookup (n->config.trust, n->peer_bare);
  if (pin == NULL)
    return KEY_UNKNOWN;
  if (n->peer_fingerprint_algo != XTLS_HASH_SHA256)
    {
      /* A historical SHA-1 announcement cannot be compared with the SHA-256 pin. The pin is what
       * we trust, so the handshake must prove exactly that certificate (PROTOCOL.md §4). */
      g_free (n->peer_fingerprint);
      n->peer_fingerprint = g_strdup (pin);
      n->peer_fingerprint_algo = XTLS_HASH_SHA256;
      n->peer_was_pinned = TRUE;
      return KEY_PINNED;
    }
  if (g_ascii_strcasecmp (pin, n->peer_fingerprint) != 0)
    return KEY_CHANGED;
  n->peer_was_pinned = TRUE;
  return KEY_PINNED;
}

/* Outer Jingle may be rewritten by a server. A pair whose key is pinned uses x509; a request to
 * switch to a password (an offer or accept without x509, a security-info choosing srp) is not
 * followed unless our own user asked for the password. */
static gboolean
refuse_downgrade (XtlsNegotiation *n, gboolean pinned)
{
  if (n->use_password || !pinned)
    return FALSE;
  neg_fail (n, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_DOWNGRADE,
            "a verified peer was asked to switch away from its key");
  return TRUE;
}

static gboolean
has_pin (XtlsNegotiation *n)
{
  return xtls_trust_store_lookup (n->config.trust, n->peer_bare) != NULL;
}

static void
fail_key_changed (XtlsNegotiation *n)
{
  /* PROTOCOL.md §6: a key change is never silently bridged by falling back to SRP. */
  neg_fail (n, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_KEY_CHANGED,
            "the peer's key differs from the one verified earlier");
}

static void
pin (XtlsNegotiation *n, const char *fingerprint, XtlsVerifiedHow how)
{
  g_autoptr (GError) error = NULL;

  if (!xtls_trust_store_pin (n->config.trust, n->peer_bare, fingerprint, how,
                             g_get_real_time () / G_USEC_PER_SEC, &error))
    NLOG (n, "could not save the peer's key: %s", error != NULL ? error->message : "invalid");
}

static void
pin_announced_key (XtlsNegotiation *n)
{
  n->key_trusted = TRUE;
  if (n->peer_fingerprint_algo != XTLS_HASH_SHA256)
    /* Pins are SHA-256: pin the certificate the handshake proves to match this SHA-1. */
    n->pin_from_tunnel = TRUE;
  else
    pin (n, n->peer_fingerprint, XTLS_VERIFIED_FINGERPRINT);
}

void
xtls_negotiation_tunnel_proven (XtlsNegotiation *n, GBytes *certificate)
{
  g_autofree char *fingerprint = NULL;

  if (!n->pin_from_tunnel || n->method != XTLS_METHOD_X509 || certificate == NULL)
    return;
  n->pin_from_tunnel = FALSE;
  fingerprint = xtls_fingerprint_sha256 (g_bytes_get_data (certificate, NULL),
                                         g_bytes_get_size (certificate));
  pin (n, fingerprint, XTLS_VERIFIED_FINGERPRINT);
}

/* The peer's certificate, received inside an SRP-authenticated tunnel: pin it, unless it would
 * replace a different pin (that needs the user's consent). */
void
xtls_negotiation_peer_certificate (XtlsNegotiation *n, const guint8 *der, gsize len)
{
  g_autofree char *fingerprint = NULL;
  const char *pinned;

  if (n->method != XTLS_METHOD_SRP)
    return;
  fingerprint = xtls_fingerprint_sha256 (der, len);
  if (n->peer_fingerprint != NULL && strcmp (n->peer_fingerprint, fingerprint) != 0)
    NLOG (n, "the certificate sent inside the tunnel differs from the one announced outside");
  pinned = xtls_trust_store_lookup (n->config.trust, n->peer_bare);
  if (pinned != NULL && g_ascii_strcasecmp (pinned, fingerprint) != 0)
    {
      NLOG (n, "the peer's certificate differs from its pin; not replaced without consent");
      n->ops->key_conflict (n, fingerprint, n->user_data);
    }
  else
    {
      pin (n, fingerprint, XTLS_VERIFIED_PASSWORD);
      NLOG (n, "peer key pinned after password verification");
    }
  g_free (n->peer_fingerprint);
  n->peer_fingerprint = g_steal_pointer (&fingerprint);
}

/* ---- negotiation --------------------------------------------------------------------- */

/* Initiator: choose the method once the accept arrived and every decision is made. */
static void
choose_method (XtlsNegotiation *n)
{
  gboolean x509_possible = n->peer_trusts_us && (n->key_trusted || n->key_accepted_once);
  XtlsMethod method = xtls_jingle_choose_method (
      XTLS_METHOD_X509 | XTLS_METHOD_SRP, n->peer_methods, x509_possible, n->password != NULL);

  if (n->peer_deciding && !n->use_password)
    {
      /* Nothing is chosen, and no handshake starts, before the peer's user decided too. */
      NLOG (n, "waiting for the peer's user to decide");
      n->ops->resumed (n, n->user_data);
      return;
    }
  if (n->use_password && (n->peer_methods & XTLS_METHOD_SRP))
    method = n->password != NULL ? XTLS_METHOD_SRP : 0;
  if (method != 0)
    {
      proceed (n, method);
      return;
    }
  if ((n->peer_methods & XTLS_METHOD_SRP) && n->password == NULL)
    {
      ask (n, XTLS_DECISION_PASSWORD);
      return;
    }
  neg_fail (n, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_NO_COMMON_METHOD,
            "no security method both sides can use");
}

static void
send_accept (XtlsNegotiation *n, gboolean offer_x509, gboolean deciding)
{
  XtlsJingle *accept = neg_new_jingle (n, XTLS_JINGLE_SESSION_ACCEPT);

  add_content (n, accept);
  if (n->use_s5b)
    {
      if (n->ops->s5b_offer != NULL)
        n->s5b_ours = n->ops->s5b_offer (n, n->transport_sid, n->s5b_theirs, n->user_data);
      if (n->s5b_ours == NULL)
        n->s5b_ours = xtls_s5b_transport_wire_new (n->transport_sid);
      accept->s5b = xtls_s5b_transport_wire_copy (n->s5b_ours);
    }
  else
    {
      accept->has_transport = TRUE;
      accept->ibb_version = n->ibb_version;
      accept->transport_sid = g_strdup (n->transport_sid);
      accept->block_size = n->block_size;
    }
  accept->has_security = TRUE;
  /* Draft §6: the fingerprint (and x509) only when we can verify the initiator's key. */
  if (offer_x509)
    {
      accept->fingerprint = g_strdup (xtls_identity_get_fingerprint (n->config.identity));
      accept->fingerprint_algo = XTLS_HASH_SHA256;
      accept->methods = XTLS_METHOD_X509 | XTLS_METHOD_SRP;
    }
  else
    accept->methods = XTLS_METHOD_SRP;
  accept->decide_together = n->together;
  accept->deciding = deciding;
  n->stage = STAGE_ACCEPTED;
  neg_send (n, accept);
  n->ops->transport_agreed (n, n->user_data);
  if (n->stage == STAGE_ENDED)
    return;
  if (deciding)
    ask (n, XTLS_DECISION_UNKNOWN_KEY);
  else if (n->use_password && n->password == NULL)
    ask (n, XTLS_DECISION_PASSWORD);
  else
    n->ops->resumed (n, n->user_data);
}

/* Responder after an early accept (PROTOCOL.md §2.1): our user's decision goes to the
 * initiator as a security-info; the initiator chooses the method once both have decided. */
static void
responder_decided (XtlsNegotiation *n)
{
  if (n->method == XTLS_METHOD_X509)
    {
      /* The initiator chose x509 before our user decided (it did not wait: an accept that lost
       * its <deciding/> on the way). The handshake was held until now. */
      if (n->use_password)
        {
          neg_fail (n, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_NO_COMMON_METHOD,
                    "the peer chose the key while our user chose a password");
          return;
        }
      n->secured = TRUE;
      n->ops->secure (n, n->user_data);
      return;
    }
  send_security_info (n, n->use_password ? XTLS_METHOD_SRP : XTLS_METHOD_X509);
  if (n->use_password && n->password == NULL)
    ask (n, XTLS_DECISION_PASSWORD);
  else
    {
      wait_for_peer_user (n);
      n->ops->resumed (n, n->user_data);
    }
}

void
xtls_negotiation_decide (XtlsNegotiation *n, XtlsAnswer answer)
{
  if (n->pending == XTLS_DECISION_NONE || n->stage == STAGE_ENDED)
    return;
  if (answer == XTLS_ANSWER_CANCEL)
    {
      /* A responder that accepted early has not said yes yet: it declines (XEP-0166 §7.4). */
      gboolean declining = n->stage == STAGE_OFFER_RECEIVED || xtls_negotiation_not_agreed (n);
      clear_pending (n);
      neg_fail (n, declining ? XTLS_REASON_DECLINE : XTLS_REASON_CANCEL, XTLS_ERROR_CANCELLED,
                "cancelled by the user");
      return;
    }
  if (n->pending != XTLS_DECISION_UNKNOWN_KEY)
    return;
  clear_pending (n);
  if (answer == XTLS_ANSWER_VERIFIED)
    pin_announced_key (n);
  else if (answer == XTLS_ANSWER_ACCEPT_ONCE)
    n->key_accepted_once = TRUE;
  else
    n->use_password = TRUE;
  NLOG (n, "our user decided: %s",
        answer == XTLS_ANSWER_VERIFIED      ? "verified"
        : answer == XTLS_ANSWER_ACCEPT_ONCE ? "accept once"
                                            : "password");
  if (n->stage == STAGE_OFFER_RECEIVED)
    send_accept (n, !n->use_password, FALSE);
  else if (n->initiator)
    {
      if (n->use_password && n->together && n->method == 0)
        {
          /* Tell the peer at once, so both password dialogs open together; its own key question
           * is replaced by the password (nothing gets pinned that its user did not confirm). */
          n->method_announced = TRUE;
          n->peer_deciding = FALSE;
          n->silence_deadline = 0;
          send_security_info (n, XTLS_METHOD_SRP);
        }
      choose_method (n);
    }
  else
    responder_decided (n);
}

void
xtls_negotiation_supply_password (XtlsNegotiation *n, const char *password)
{
  if (n->stage == STAGE_ENDED || n->secured)
    return;
  wipe_password (n);
  n->password = g_strdup (password);
  n->use_password = TRUE;
  if (n->pending != XTLS_DECISION_PASSWORD)
    return;
  clear_pending (n);
  if (n->initiator)
    choose_method (n);
  else if (n->method == XTLS_METHOD_SRP)
    {
      n->secured = TRUE;
      n->ops->secure (n, n->user_data);
    }
  else
    {
      wait_for_peer_user (n);
      n->ops->resumed (n, n->user_data);
    }
}

void
xtls_negotiation_initiate (XtlsNegotiation *n)
{
  XtlsJingle *j;

  n->initiator = TRUE;
  n->sid = xtls_jingle_make_sid ();
  n->transport_sid = xtls_jingle_make_sid ();
  n->dialect = XTLS_JINGLE_NS_1;
  n->app = n->config.file != NULL ? XTLS_APP_FILE_TRANSFER : XTLS_APP_XMLSTREAM;
  n->initiator_jid = g_strdup (n->config.own_jid);
  n->responder_jid = g_strdup (n->config.peer_jid);
  n->content_name = g_strdup (n->config.file != NULL ? "a-file-offer" : "xmlstream");
  if (n->config.file != NULL)
    {
      n->file = xtls_jingle_file_copy (n->config.file);
      n->ft_version = XTLS_FT_VERSION_5;
    }
  n->content_creator = g_strdup ("initiator");
  n->block_size = n->config.block_size;
  n->ibb_version = XTLS_IBB_VERSION_1;

  j = neg_new_jingle (n, XTLS_JINGLE_SESSION_INITIATE);
  add_content (n, j);
  if (n->config.file != NULL && n->ops->s5b_offer != NULL)
    n->s5b_ours = n->ops->s5b_offer (n, n->transport_sid, NULL, n->user_data);
  if (n->s5b_ours != NULL)
    {
      /* XEP-0260: one transport per content; IBB only through transport-replace (§2.6). */
      n->use_s5b = TRUE;
      j->s5b = xtls_s5b_transport_wire_copy (n->s5b_ours);
    }
  else
    {
      j->has_transport = TRUE;
      j->ibb_version = n->ibb_version;
      j->transport_sid = g_strdup (n->transport_sid);
      j->block_size = n->block_size;
    }
  j->has_security = TRUE;
  j->fingerprint = g_strdup (xtls_identity_get_fingerprint (n->config.identity));
  j->fingerprint_algo = XTLS_HASH_SHA256;
  j->methods = XTLS_METHOD_X509 | XTLS_METHOD_SRP;
  j->decide_together = n->app == XTLS_APP_XMLSTREAM;
  n->stage = STAGE_INITIATE_SENT;
  n->accept_deadline = xtls_clock_now (n->config.clock) + n->config.accept_timeout_us;
  neg_send (n, j);
}

void
xtls_negotiation_offer (XtlsNegotiation *n, const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;
  XtlsJingleReason problem;

  n->initiator = FALSE;
  n->sid = g_strdup (j->sid);
  n->dialect = j->dialect;
  n->app = j->app;
  n->initiator_jid = g_strdup (j->initiator != NULL ? j->initiator : iq->from);
  n->responder_jid = g_strdup (n->config.own_jid);
  n->content_name = g_strdup (j->content_name != NULL ? j->content_name : "xmlstream");
  n->content_creator = g_strdup (j->content_creator != NULL ? j->content_creator : "initiator");
  n->transport_sid = g_strdup (j->transport_sid);
  n->ibb_version = j->ibb_version;
  if (j->app == XTLS_APP_FILE_TRANSFER && j->s5b != NULL && j->s5b->sid != NULL
      && j->s5b->sid[0] != '\0' && !j->s5b->udp)
    {
      /* A SOCKS5 offer is answered with our (maybe no) candidates; IBB stays the fallback. */
      g_free (n->transport_sid);
      n->transport_sid = g_strdup (j->s5b->sid);
      n->ibb_version = XTLS_IBB_VERSION_1;
      n->use_s5b = TRUE;
      n->s5b_theirs = xtls_s5b_transport_wire_copy (j->s5b);
    }
  /* The responder may lower block-size, never raise it (XEP-0261 §2). */
  n->block_size = j->block_size != 0 ? j->block_size : XTLS_IBB_DEFAULT_BLOCK_SIZE;
  n->block_size = MIN (n->block_size, n->config.block_size);
  n->peer_fingerprint = g_strdup (j->fingerprint);
  n->peer_fingerprint_algo = j->fingerprint_algo;
  n->peer_methods = j->methods;
  n->together = j->decide_together && j->app != XTLS_APP_FILE_TRANSFER;
  n->stage = STAGE_OFFER_RECEIVED;

  n->ops->send_result (n, iq->id, n->user_data);
  if (n->app == XTLS_APP_FILE_TRANSFER)
    {
      const char *message;

      /* The file's own checks, then the same <security/> rules as chat. */
      if (j->content_name == NULL)
        {
          g_free (n->content_name);
          n->content_name = g_strdup ("a-file-offer");
        }
      n->ft_version = j->ft_version;
      problem = xtls_neg_ft_check_offer (j, n->transport_sid != NULL, &message);
      if (problem != XTLS_REASON_NONE)
        {
          neg_fail (n, problem, XTLS_ERROR_PROTOCOL, message);
          return;
        }
      n->file = xtls_jingle_file_copy (j->file);
      n->file_pending = TRUE;
    }
  else
    {
      problem = xtls_jingle_check_offer (j);
      if (problem != XTLS_REASON_NONE || n->transport_sid == NULL)
        {
          neg_fail (n, problem != XTLS_REASON_NONE ? problem : XTLS_REASON_UNSUPPORTED_TRANSPORTS,
                    XTLS_ERROR_PROTOCOL,
                    problem == XTLS_REASON_SECURITY_ERROR
                        ? "the peer offered a conversation without encryption"
                        : "the peer's offer is not a usable XTLS chat offer");
          return;
        }
    }
  if ((n->peer_fingerprint == NULL || !(n->peer_methods & XTLS_METHOD_X509))
      && refuse_downgrade (n, has_pin (n)))
    return;
  /* A file offer waits for the user's answer first (xtls_negotiation_accept_file): a declined
   * file asks nothing about keys. */
  if (n->file_pending)
    {
      /* An offer waiting for a person is bounded too (PROTOCOL.md §2.1). */
      n->decision_deadline = neg_now (n) + n->config.decision_timeout_us;
      n->ops->file_offered (n, n->file, n->user_data);
    }
  else
    judge_offer (n);
}

static void
judge_offer (XtlsNegotiation *n)
{
  switch (check_peer_key (n))
    {
      case KEY_CHANGED:
        fail_key_changed (n);
        break;
      case KEY_PINNED:
        n->key_trusted = TRUE;
        send_accept (n, TRUE, FALSE);
        break;
      case KEY_UNKNOWN:
        if ((n->peer_methods & XTLS_METHOD_X509) && n->together)
          /* PROTOCOL.md §2.1: our key goes out now, without claiming we verified theirs, so
           * both users read the same code at the same time; our user decides meanwhile. */
          send_accept (n, TRUE, TRUE);
        else if (n->peer_methods & XTLS_METHOD_X509)
          ask (n, XTLS_DECISION_UNKNOWN_KEY);
        else
          {
            n->use_password = TRUE;
            send_accept (n, FALSE, FALSE);
          }
        break;
      case KEY_NONE:
        n->use_password = TRUE;
        send_accept (n, FALSE, FALSE);
        break;
    }
}

static void
handle_accept (XtlsNegotiation *n, const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  n->ops->send_result (n, iq->id, n->user_data);
  if (n->stage != STAGE_INITIATE_SENT)
    return;
  if (!j->has_security)
    {
      neg_fail (n, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_PROTOCOL,
                "the peer accepted without encryption");
      return;
    }
  if (n->use_s5b
      && (j->s5b == NULL || g_strcmp0 (j->s5b->sid, n->transport_sid) != 0 || j->s5b->udp))
    {
      neg_fail (n, XTLS_REASON_FAILED_TRANSPORT, XTLS_ERROR_PROTOCOL,
                "the peer accepted without the offered SOCKS5 transport");
      return;
    }
  n->stage = STAGE_ACCEPTED;
  n->accept_deadline = 0;
  if (n->use_s5b)
    n->s5b_theirs = xtls_s5b_transport_wire_copy (j->s5b);
  else if (j->has_transport)
    {
      n->ibb_version = j->ibb_version;
      if (j->block_size != 0)
        n->block_size = MIN (n->block_size, j->block_size);
    }
  n->peer_methods = j->methods;
  n->peer_fingerprint = g_strdup (j->fingerprint);
  n->peer_fingerprint_algo = j->fingerprint_algo;
  n->peer_trusts_us = (j->methods & XTLS_METHOD_X509) && j->fingerprint != NULL;
  n->together = j->decide_together && n->app == XTLS_APP_XMLSTREAM;
  /* Its key is shown, its user has not decided about ours yet: its security-info tells. */
  n->peer_deciding = n->together && j->deciding && n->peer_trusts_us;
  if (n->peer_deciding)
    wait_for_peer_user (n);
  if (!n->peer_trusts_us && refuse_downgrade (n, has_pin (n)))
    return;
  n->ops->transport_agreed (n, n->user_data);
  if (n->stage == STAGE_ENDED)
    return;

  switch (check_peer_key (n))
    {
      case KEY_CHANGED:
        /* An early accept shows the key before its user chose. If our user already asked for
         * the password (/xtls password), the password decides, as it would have had the peer
         * chosen it first; a different certificate in the tunnel then asks before replacing
         * the pin (key_conflict). Otherwise this is a key change (PROTOCOL.md §6). */
        if (n->peer_deciding && n->use_password && n->password != NULL)
          break;
        fail_key_changed (n);
        return;
      case KEY_PINNED:
        n->key_trusted = TRUE;
        break;
      case KEY_UNKNOWN:
        if (n->peer_trusts_us && !n->use_password)
          {
            ask (n, XTLS_DECISION_UNKNOWN_KEY);
            return;
          }
        break;
      case KEY_NONE:
        break;
    }
  choose_method (n);
}

/* Initiator: the responder's user decided after an early accept (PROTOCOL.md §2.1): x509 means
 * it trusts our key, srp that it wants the shared password. */
static void
peer_decided (XtlsNegotiation *n, guint methods)
{
  if (n->stage != STAGE_ACCEPTED || !n->peer_deciding || n->secured)
    return;
  n->peer_deciding = FALSE;
  n->silence_deadline = 0;
  if (methods == XTLS_METHOD_SRP)
    {
      NLOG (n, "the peer's user chose a shared password");
      n->peer_trusts_us = FALSE;
      n->peer_methods &= XTLS_METHOD_SRP;
      if (refuse_downgrade (n, n->peer_was_pinned))
        return;
      n->use_password = TRUE;
      if (n->pending == XTLS_DECISION_UNKNOWN_KEY)
        {
          /* Our user's key question is replaced: nothing is pinned that it did not confirm. */
          if (n->password == NULL)
            ask (n, XTLS_DECISION_PASSWORD);
          else
            {
              clear_pending (n);
              choose_method (n);
            }
          return;
        }
    }
  else if (methods == XTLS_METHOD_X509)
    NLOG (n, "the peer's user accepted our key");
  else
    {
      neg_fail (n, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_NO_COMMON_METHOD,
                "the peer chose a method we did not offer");
      return;
    }
  if (n->pending == XTLS_DECISION_NONE)
    choose_method (n);
}

static void
handle_security_info (XtlsNegotiation *n, const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  n->ops->send_result (n, iq->id, n->user_data);
  if (n->initiator)
    {
      peer_decided (n, j->methods);
      return;
    }
  if (n->stage != STAGE_ACCEPTED || n->method != 0)
    return;
  n->silence_deadline = 0;
  if (j->methods == XTLS_METHOD_X509 && (n->key_trusted || n->key_accepted_once))
    n->method = XTLS_METHOD_X509;
  else if (j->methods == XTLS_METHOD_X509 && n->pending == XTLS_DECISION_UNKNOWN_KEY)
    {
      /* Our user has not decided: the handshake waits for it (responder_decided). */
      n->method = XTLS_METHOD_X509;
      NLOG (n, "peer chose x509; holding the handshake until our user decides");
      return;
    }
  else if (j->methods == XTLS_METHOD_SRP)
    {
      /* A key the user verified during this session does not count: the initiator may not
       * know ours yet and rightly ask for a password. */
      if (refuse_downgrade (n, n->peer_was_pinned))
        return;
      n->method = XTLS_METHOD_SRP;
    }
  else
    {
      neg_fail (n, XTLS_REASON_SECURITY_ERROR, XTLS_ERROR_NO_COMMON_METHOD,
                "the peer chose a method we did not offer");
      return;
    }
  NLOG (n, "peer chose %s", n->method == XTLS_METHOD_SRP ? "srp" : "x509");
  if (n->method == XTLS_METHOD_SRP && n->password == NULL)
    {
      /* The initiator's user chose a password: our key question (if open) is replaced. */
      if (n->pending != XTLS_DECISION_PASSWORD)
        ask (n, XTLS_DECISION_PASSWORD);
    }
  else if (n->pending == XTLS_DECISION_NONE)
    {
      n->secured = TRUE;
      n->ops->secure (n, n->user_data);
    }
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
handle_terminate (XtlsNegotiation *n, const XtlsIq *iq)
{
  XtlsJingleReason reason = iq->jingle->reason;
  const char *message;
  XtlsError code;

  n->ops->send_result (n, iq->id, n->user_data);
  if (n->stage == STAGE_ENDED)
    return;
  NLOG (n, "peer terminated: %s", xtls_jingle_reason_to_string (reason));
  code = reason_to_error (reason, &message);
  if (reason == XTLS_REASON_TIMEOUT
      && (n->pending != XTLS_DECISION_NONE || n->stage == STAGE_OFFER_RECEIVED))
    {
      /* Our user was the one still reading: the peer gave up waiting, not the reverse. */
      code = XTLS_ERROR_PEER_GAVE_UP;
      message = "the peer stopped waiting for our user's decision";
    }
  n->ops->terminated (n, reason, code, message, n->user_data);
}

/* A session-info for a file session (already acknowledged). */
static void
handle_file_info (XtlsNegotiation *n, const XtlsJingle *j)
{
  const guint8 *sha256;

  switch (xtls_neg_ft_read_info (j, n->initiator, &sha256))
    {
      case XTLS_JINGLE_INFO_CHECKSUM:
        if (n->ops->checksum != NULL)
          n->ops->checksum (n, sha256, n->user_data);
        break;
      case XTLS_JINGLE_INFO_RECEIVED:
        if (n->ops->received != NULL)
          n->ops->received (n, n->user_data);
        break;
      case XTLS_JINGLE_INFO_NONE:
        break;
    }
}

/* session-info <deciding/>: the peer's user is still reading; our wait goes on. */
static void
peer_still_deciding (XtlsNegotiation *n)
{
  NLOG (n, "the peer's user is still deciding");
  if (!peer_may_still_decide (n))
    return; /* its waits run out as they are */
  if (n->silence_deadline != 0)
    wait_for_peer_user (n);
  if (n->ops->peer_deciding != NULL)
    n->ops->peer_deciding (n, n->user_data);
}

/* ---- transports (XEP-0260 §2.4-§2.6, XEP-0261) ---- */

static void
send_transport (XtlsNegotiation *n, XtlsJingleTransportAction action, XtlsS5bTransportWire *s5b,
                gboolean ibb)
{
  XtlsJingle *j = neg_new_jingle (n, XTLS_JINGLE_OTHER);

  j->transport_action = action;
  j->has_content = TRUE;
  j->content_name = g_strdup (n->content_name);
  j->content_creator = g_strdup (n->content_creator);
  j->app = XTLS_APP_NONE; /* transport actions carry only the transport (XEP-0166 §7.2) */
  j->s5b = s5b;
  if (ibb)
    {
      j->has_transport = TRUE;
      j->ibb_version = n->ibb_version;
      j->transport_sid = g_strdup (n->transport_sid);
      j->block_size = n->block_size;
    }
  NLOG (n, "send %s", xtls_jingle_transport_action_to_string (action));
  n->ops->send_jingle (n, j, n->user_data);
}

void
xtls_negotiation_send_transport_info (XtlsNegotiation *n, XtlsS5bInfo info, const char *cid)
{
  XtlsS5bTransportWire *t;

  if (!n->use_s5b || n->stage != STAGE_ACCEPTED)
    return;
  t = xtls_s5b_transport_wire_new (n->transport_sid);
  t->info = info;
  t->info_cid = g_strdup (cid);
  send_transport (n, XTLS_JINGLE_TRANSPORT_INFO, t, FALSE);
}

void
xtls_negotiation_replace_with_ibb (XtlsNegotiation *n)
{
  if (!n->initiator || !n->use_s5b || n->replace_sent || n->stage != STAGE_ACCEPTED)
    return;
  n->replace_sent = TRUE;
  g_free (n->transport_sid);
  n->transport_sid = xtls_jingle_make_sid ();
  n->ibb_version = XTLS_IBB_VERSION_1;
  n->block_size = n->config.block_size;
  send_transport (n, XTLS_JINGLE_TRANSPORT_REPLACE, NULL, TRUE);
}

/* A transport action of the peer's (acknowledged already). Only what XEP-0260 lets each side
 * send, in its turn, is taken; the rest is refused (replace) or ignored. */
static void
handle_transport_action (XtlsNegotiation *n, const XtlsJingle *j)
{
  switch (j->transport_action)
    {
      case XTLS_JINGLE_TRANSPORT_ACTION_NONE:
        return;
      case XTLS_JINGLE_TRANSPORT_INFO:
        if (n->use_s5b && j->s5b != NULL && g_strcmp0 (j->s5b->sid, n->transport_sid) == 0
            && n->ops->transport_info != NULL)
          n->ops->transport_info (n, j->s5b, n->user_data);
        return;
      case XTLS_JINGLE_TRANSPORT_REPLACE:
        /* XEP-0260 §2.6: the initiator replaces a failed SOCKS5 bytestream with IBB. */
        if (n->initiator || !n->use_s5b || !j->has_transport || j->transport_sid == NULL
            || j->transport_sid[0] == '\0' || strlen (j->transport_sid) > XTLS_S5B_MAX_TOKEN_BYTES)
          {
            send_transport (n, XTLS_JINGLE_TRANSPORT_REJECT, NULL, FALSE);
            return;
          }
        n->use_s5b = FALSE;
        g_free (n->transport_sid);
        n->transport_sid = g_strdup (j->transport_sid);
        n->ibb_version = j->ibb_version;
        n->block_size = MIN (j->block_size != 0 ? j->block_size : XTLS_IBB_DEFAULT_BLOCK_SIZE,
                             n->config.block_size);
        send_transport (n, XTLS_JINGLE_TRANSPORT_ACCEPT, NULL, TRUE);
        if (n->ops->transport_replaced != NULL)
          n->ops->transport_replaced (n, n->user_data);
        return;
      case XTLS_JINGLE_TRANSPORT_ACCEPT:
        if (!n->initiator || !n->replace_sent || !n->use_s5b)
          return;
        n->use_s5b = FALSE;
        if (j->has_transport && j->block_size != 0)
          n->block_size = MIN (n->block_size, j->block_size);
        if (n->ops->transport_replaced != NULL)
          n->ops->transport_replaced (n, n->user_data);
        return;
      case XTLS_JINGLE_TRANSPORT_REJECT:
        if (n->initiator && n->replace_sent && n->use_s5b)
          neg_fail (n, XTLS_REASON_FAILED_TRANSPORT, XTLS_ERROR_FAILED,
                    "the peer refused to fall back to in-band bytestreams");
        return;
    }
}

void
xtls_negotiation_receive (XtlsNegotiation *n, const XtlsIq *iq)
{
  switch (iq->jingle->action)
    {
      case XTLS_JINGLE_SESSION_ACCEPT:
        handle_accept (n, iq);
        break;
      case XTLS_JINGLE_SECURITY_INFO:
        handle_security_info (n, iq);
        break;
      case XTLS_JINGLE_SESSION_TERMINATE:
        handle_terminate (n, iq);
        break;
      case XTLS_JINGLE_SESSION_INFO:
        if (!iq->jingle->deciding && iq->jingle->info == XTLS_JINGLE_INFO_NONE
            && iq->jingle->info_unknown)
          {
            /* XEP-0166 §7.2: a payload we do not understand; an empty one is a ping. */
            n->ops->send_error (n, iq->id, XTLS_STANZA_ERROR_FEATURE_NOT_IMPLEMENTED,
                                XTLS_JINGLE_ERROR_UNSUPPORTED_INFO, n->user_data);
            break;
          }
        n->ops->send_result (n, iq->id, n->user_data);
        if (iq->jingle->deciding && n->stage != STAGE_ENDED)
          peer_still_deciding (n);
        else if (n->app == XTLS_APP_FILE_TRANSFER && n->stage != STAGE_ENDED)
          handle_file_info (n, iq->jingle);
        break;
      case XTLS_JINGLE_OTHER:
        n->ops->send_result (n, iq->id, n->user_data);
        if (n->app == XTLS_APP_FILE_TRANSFER && n->stage == STAGE_ACCEPTED)
          handle_transport_action (n, iq->jingle);
        break;
      case XTLS_JINGLE_SESSION_INITIATE:
        /* A repeated initiate for the same sid (server retransmission) is acknowledged again. */
        n->ops->send_result (n, iq->id, n->user_data);
        break;
    }
}

void
xtls_negotiation_terminate (XtlsNegotiation *n, XtlsJingleReason reason)
{
  XtlsJingle *j = neg_new_jingle (n, XTLS_JINGLE_SESSION_TERMINATE);

  j->reason = reason;
  neg_send (n, j);
}

void
xtls_negotiation_end (XtlsNegotiation *n)
{
  n->stage = STAGE_ENDED;
  clear_pending (n);
  n->accept_deadline = 0;
  n->silence_deadline = 0;
  wipe_password (n);
}

/* ---- file transfer (XEP-0234; the Jingle parts are negotiation-ft.c's) ---------------- */

void
xtls_negotiation_accept_file (XtlsNegotiation *n, gboolean accept)
{
  if (!n->file_pending || n->stage != STAGE_OFFER_RECEIVED)
    return;
  n->file_pending = FALSE;
  n->decision_deadline = 0;
  NLOG (n, "the user %s the file", accept ? "accepted" : "declined");
  if (accept)
    judge_offer (n);
}

gboolean
xtls_negotiation_awaits_file_answer (XtlsNegotiation *n)
{
  return n->file_pending && n->stage == STAGE_OFFER_RECEIVED;
}

static void
send_file_info (XtlsNegotiation *n, XtlsJingleInfo info, const guint8 *sha256)
{
  XtlsJingle *j = neg_new_jingle (n, XTLS_JINGLE_SESSION_INFO);

  xtls_neg_ft_fill_info (j, info, n->ft_version, n->content_name, n->content_creator, sha256);
  neg_send (n, j);
}

void
xtls_negotiation_send_checksum (XtlsNegotiation *n, const guint8 *sha256)
{
  g_return_if_fail (sha256 != NULL);
  if (n->stage == STAGE_ACCEPTED)
    send_file_info (n, XTLS_JINGLE_INFO_CHECKSUM, sha256);
}

void
xtls_negotiation_send_received (XtlsNegotiation *n)
{
  if (n->stage == STAGE_ACCEPTED)
    send_file_info (n, XTLS_JINGLE_INFO_RECEIVED, NULL);
}

gboolean
xtls_negotiation_is_file (XtlsNegotiation *n)
{
  return n->app == XTLS_APP_FILE_TRANSFER;
}

const XtlsJingleFile *
xtls_negotiation_get_file (XtlsNegotiation *n)
{
  return n->file;
}

/* ---- life cycle and accessors ------------------------------------------------------- */

XtlsNegotiation *
xtls_negotiation_new (const XtlsNegotiationConfig *config, const XtlsNegotiationOps *ops,
                      gpointer user_data)
{
  XtlsNegotiation *n = g_new0 (XtlsNegotiation, 1);
  const char *slash = strchr (config->peer_jid, '/');

  n->ops = ops;
  n->user_data = user_data;
  n->config = *config;
  n->peer_bare = slash != NULL ? g_strndup (config->peer_jid, slash - config->peer_jid)
                               : g_strdup (config->peer_jid);
  return n;
}

void
xtls_negotiation_free (XtlsNegotiation *n)
{
  if (n == NULL)
    return;
  wipe_password (n);
  g_free (n->peer_bare);
  g_free (n->sid);
  g_free (n->initiator_jid);
  g_free (n->responder_jid);
  g_free (n->content_name);
  g_free (n->content_creator);
  g_free (n->transport_sid);
  g_free (n->iq_prefix);
  g_free (n->srp_username);
  g_free (n->peer_fingerprint);
  xtls_jingle_file_free (n->file);
  xtls_s5b_transport_wire_free (n->s5b_ours);
  xtls_s5b_transport_wire_free (n->s5b_theirs);
  g_free (n);
}

void
xtls_negotiation_transport (XtlsNegotiation *n, XtlsIbbConfig *out)
{
  /* Every IQ id we send starts with "xtls", so the glue can claim answers by id cheaply. */
  if (n->iq_prefix == NULL)
    n->iq_prefix = g_strconcat ("xtls-", n->sid, NULL);
  *out = (XtlsIbbConfig){
    .sid = n->transport_sid,
    .version = n->ibb_version,
    .initiator = n->initiator,
    .block_size = n->block_size,
    .window = n->config.window,
    .iq_prefix = n->iq_prefix,
  };
}

void
xtls_negotiation_tls (XtlsNegotiation *n, XtlsTlsConfig *out)
{
  if (n->srp_username == NULL)
    {
      /* Both sides derive the SRP username the same way: node and domain are
       * case-insensitive (RFC 7622 §3.2-3.3), GnuTLS compares bytes. */
      const char *slash = strchr (n->initiator_jid, '/');
      g_autofree char *bare = slash != NULL ? g_strndup (n->initiator_jid, slash - n->initiator_jid)
                                            : g_strdup (n->initiator_jid);
      n->srp_username = g_ascii_strdown (bare, -1);
    }
  out->role = n->initiator ? XTLS_TLS_ROLE_CLIENT : XTLS_TLS_ROLE_SERVER;
  out->srp_username = n->srp_username;
  out->method = n->method;
  out->peer_fingerprint = n->peer_fingerprint;
  out->peer_fingerprint_algo = n->peer_fingerprint_algo;
  out->srp_password = n->password;
}

void
xtls_negotiation_forget_password (XtlsNegotiation *n)
{
  wipe_password (n);
}

gboolean
xtls_negotiation_is_initiator (XtlsNegotiation *n)
{
  return n->initiator;
}

gboolean
xtls_negotiation_awaits_accept (XtlsNegotiation *n)
{
  return n->stage == STAGE_INITIATE_SENT;
}

gboolean
xtls_negotiation_at_offer (XtlsNegotiation *n)
{
  return n->stage == STAGE_OFFER_RECEIVED;
}

gboolean
xtls_negotiation_not_agreed (XtlsNegotiation *n)
{
  return !n->initiator
         && (n->stage == STAGE_OFFER_RECEIVED || n->pending == XTLS_DECISION_UNKNOWN_KEY);
}

gboolean
xtls_negotiation_accepted (XtlsNegotiation *n)
{
  return n->stage == STAGE_ACCEPTED;
}

gboolean
xtls_negotiation_is_verified (XtlsNegotiation *n)
{
  return !(n->key_accepted_once && n->method == XTLS_METHOD_X509);
}

XtlsVerification
xtls_negotiation_get_verification (XtlsNegotiation *n)
{
  if (n->method == XTLS_METHOD_SRP)
    return XTLS_VERIFICATION_PASSWORD;
  if (n->peer_was_pinned)
    return XTLS_VERIFICATION_KNOWN_KEY;
  if (n->key_trusted)
    return XTLS_VERIFICATION_BY_USER;
  return XTLS_VERIFICATION_NONE;
}

const char *
xtls_negotiation_get_sid (XtlsNegotiation *n)
{
  return n->sid;
}

XtlsJingleDialect
xtls_negotiation_get_dialect (XtlsNegotiation *n)
{
  return n->dialect;
}

const char *
xtls_negotiation_get_transport_sid (XtlsNegotiation *n)
{
  return n->transport_sid;
}

const char *
xtls_negotiation_get_initiator (XtlsNegotiation *n)
{
  return n->initiator_jid;
}

XtlsMethod
xtls_negotiation_get_method (XtlsNegotiation *n)
{
  return n->method;
}

const char *
xtls_negotiation_get_peer_fingerprint (XtlsNegotiation *n)
{
  return n->peer_fingerprint;
}

XtlsDecision
xtls_negotiation_get_pending (XtlsNegotiation *n)
{
  return n->pending;
}

static gint64
earliest (gint64 a, gint64 b)
{
  if (a <= 0)
    return b;
  if (b <= 0)
    return a;
  return MIN (a, b);
}

gboolean
xtls_negotiation_awaits_peer_user (XtlsNegotiation *n)
{
  return n->stage == STAGE_ACCEPTED && n->pending == XTLS_DECISION_NONE && !n->secured
         && (n->peer_deciding || (!n->initiator && n->silence_deadline != 0));
}

gboolean
xtls_negotiation_uses_s5b (XtlsNegotiation *n)
{
  return n->use_s5b;
}

const XtlsS5bTransportWire *
xtls_negotiation_get_s5b_ours (XtlsNegotiation *n)
{
  return n->s5b_ours;
}

const XtlsS5bTransportWire *
xtls_negotiation_get_s5b_theirs (XtlsNegotiation *n)
{
  return n->s5b_theirs;
}

gint64
xtls_negotiation_get_deadline (XtlsNegotiation *n)
{
  gint64 next = earliest (n->accept_deadline, n->decision_deadline);

  next = earliest (next, n->silence_deadline);
  return earliest (next, n->keepalive_at);
}

void
xtls_negotiation_tick (XtlsNegotiation *n, gint64 now_)
{
  if (n->stage == STAGE_ENDED)
    return;
  if (n->accept_deadline > 0 && n->accept_deadline <= now_)
    neg_fail (n, XTLS_REASON_TIMEOUT, XTLS_ERROR_TIMEOUT, "the peer did not accept in time");
  else if (n->decision_deadline > 0 && n->decision_deadline <= now_)
    neg_fail (n, XTLS_REASON_TIMEOUT, XTLS_ERROR_NO_DECISION,
              "our user did not decide in the time allowed");
  else if (n->silence_deadline > 0 && n->silence_deadline <= now_)
    neg_fail (n, XTLS_REASON_TIMEOUT, XTLS_ERROR_TIMEOUT,
              "the peer stopped saying that its user is still deciding");
  else if (n->keepalive_at > 0 && n->keepalive_at <= now_)
    {
      XtlsJingle *j = neg_new_jingle (n, XTLS_JINGLE_SESSION_INFO);

      j->deciding = TRUE;
      n->keepalive_at = now_ + KEEPALIVE_US;
      neg_send (n, j);
    }
}
