/* The outer channel is the attacker's (issue 7): everything that travels outside the tunnel
 * (session-terminate, IBB <close/>, security-info, session-accept, offers) can be forged or
 * rewritten by a server. Such stanzas may end a session, never downgrade it, never crash us,
 * never make us keep memory, and nothing acts on what arrives after a failure. */
#include <stdarg.h>
#include <string.h>

#include "fingerprint.h"
#include "loopback.h"
#include "session-private.h"
#include "test-keys.h"
#include "xtls-error.h"

#define MAX_LEGS 400
#define SECRET "the secret plan"

typedef struct
{
  XtlsLoopback *lb;
  /* A rewriting server: in stanzas from @rewrite_from that contain @match, replace each
   * pairs[2i] by pairs[2i+1] (owned strings). */
  XtlsTestPeer *rewrite_from;
  const char *match;
  GPtrArray *pairs;
  guint rewrites; /* stanzas actually changed: a rewrite that never matched proves nothing */
} Fixture;

static XtlsWireAction
rewrite (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr (GString) text = NULL;
  guint changed = 0;

  if (from != f->rewrite_from || strstr (*xml, f->match) == NULL)
    return XTLS_WIRE_DELIVER;
  text = g_string_new (*xml);
  for (guint i = 0; i + 1 < f->pairs->len; i += 2)
    changed += g_string_replace (text, g_ptr_array_index (f->pairs, i),
                                 g_ptr_array_index (f->pairs, i + 1), 0);
  if (changed > 0)
    {
      f->rewrites++;
      g_free (*xml);
      *xml = g_string_free (g_steal_pointer (&text), FALSE);
    }
  return XTLS_WIRE_DELIVER;
}

/* Arms the rewriting server; the variadic list is old, new, ..., NULL. */
static void
rewrite_stanzas (Fixture *f, XtlsTestPeer *from, const char *match, ...)
{
  va_list args;
  const char *text;

  f->rewrite_from = from;
  f->match = match;
  va_start (args, match);
  while ((text = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (f->pairs, g_strdup (text));
  va_end (args);
  f->lb->filter = rewrite;
  f->lb->filter_data = f;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->lb = xtls_loopback_new (NULL);
  f->pairs = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  xtls_loopback_free (f->lb);
  g_ptr_array_unref (f->pairs);
}

static XtlsSession *
session_of (XtlsTestPeer *peer)
{
  return xtls_test_peer_session (peer);
}

static void
go_private (XtlsLoopback *lb)
{
  xtls_loopback_pin_both (lb);
  xtls_hub_start (lb->alice->hub, lb->bob->jid);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpint (xtls_session_get_state (session_of (lb->alice)), ==, XTLS_STATE_PRIVATE);
  g_assert_cmpint (xtls_session_get_state (session_of (lb->bob)), ==, XTLS_STATE_PRIVATE);
}

static void
assert_failed (XtlsTestPeer *peer, gint code)
{
  XtlsSession *s = session_of (peer);

  g_assert_nonnull (s);
  g_assert_cmpint (xtls_session_get_state (s), ==, XTLS_STATE_FAILED);
  g_assert_error (xtls_session_get_error (s), XTLS_ERROR, code);
}

/* ---- forged endings of a running tunnel -------------------------------------------------- */

typedef struct
{
  gboolean to_responder; /* the forged stanza reaches bob (who did not ask for encryption) */
  const char *reason;    /* for session-terminate; NULL: an IBB <close/> */
} ForgedCase;

static char *
forged_stanza (XtlsTestPeer *victim, XtlsTestPeer *claimed, const ForgedCase *c)
{
  XtlsSession *s = session_of (victim);

  if (c->reason == NULL)
    return g_strdup_printf ("<iq type='set' id='forged1' from='%s' to='%s'>"
                            "<close xmlns='http://jabber.org/protocol/ibb' sid='%s'/></iq>",
                            claimed->jid, victim->jid, xtls_session_get_transport_sid (s));
  return g_strdup_printf ("<iq type='set' id='forged1' from='%s' to='%s'>"
                          "<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' "
                          "initiator='%s' sid='%s'><reason><%s/></reason></jingle></iq>",
                          claimed->jid, victim->jid, victim->lb->alice->jid,
                          xtls_session_get_sid (s), c->reason);
}

static void
test_forged_end (Fixture *f, gconstpointer data)
{
  const ForgedCase *c = data;
  XtlsLoopback *lb = f->lb;
  XtlsTestPeer *victim = c->to_responder ? lb->bob : lb->alice;
  XtlsTestPeer *claimed = c->to_responder ? lb->alice : lb->bob;
  g_autofree char *xml = NULL;

  go_private (lb);
  xml = forged_stanza (victim, claimed, c);
  xtls_loopback_inject (lb, claimed, victim, xml);
  xtls_loopback_leg (lb);

  /* Ended, as a failure that says it may be forged: not a normal finish. */
  assert_failed (victim, XTLS_ERROR_INTERRUPTED);
  g_assert_cmpint (victim->state, ==, XTLS_STATE_FAILED);
  /* The session takes no more messages (the glue then holds them: fail closed). */
  g_assert_cmpuint (xtls_session_send_message (session_of (victim), SECRET), ==, 0);

  /* The real peer learns of the end: after a forged terminate, authentically, because the
   * victim closes the tunnel from inside; after a forged <close/>, from the victim's terminate
   * (the bytestream is gone). Whatever it still writes is never read. */
  xtls_session_send_message (session_of (claimed), SECRET);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpint (xtls_session_get_state (session_of (claimed)), ==,
                   c->reason != NULL ? XTLS_STATE_FINISHED : XTLS_STATE_FAILED);
  g_assert_cmpuint (victim->received->len, ==, 0);
  g_assert_false (xtls_loopback_wire_contains (lb, SECRET));
}

/* The authenticated path still ends normally, with no alarm. */
static void
test_authenticated_end (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;

  go_private (lb);
  xtls_session_stop (session_of (lb->bob));
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpint (xtls_session_get_state (session_of (lb->alice)), ==, XTLS_STATE_FINISHED);
  g_assert_cmpint (xtls_session_get_state (session_of (lb->bob)), ==, XTLS_STATE_FINISHED);
  g_assert_null (xtls_session_get_error (session_of (lb->alice)));
}

/* ---- nothing from a record is acted on once the session failed --------------------------- */

static void
test_stanzas_after_stream_error (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  static const char record[]
      = "<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
        "</stream:error><message type='chat'><body>after the error</body></message>"
        "<iq type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>";

  go_private (lb);
  /* One write: one TLS record carrying all three (fatal-criticals is on in this suite). */
  g_assert_true (xtls_session_write_inner_raw (session_of (lb->alice), record, strlen (record)));
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpint (xtls_session_get_state (session_of (lb->bob)), ==, XTLS_STATE_FAILED);
  g_assert_cmpuint (lb->bob->received->len, ==, 0);
}

/* ---- a verified SHA-1 announcement (the historical dialect) ------------------------------- */

static char *
sha1_of (XtlsIdentity *identity)
{
  GBytes *der = xtls_identity_get_certificate (identity);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA1, g_bytes_get_data (der, NULL),
                                      g_bytes_get_size (der));
}

/* A peer announces its key as SHA-1 (kaa's dialect); the user verifies it. Pins are SHA-256:
 * the certificate the handshake proved is pinned, and nothing crashes. */
static void
test_verify_sha1_announcement (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autofree char *sha1 = sha1_of (lb->alice->identity);
  g_autoptr (GError) error = NULL;
  const char *pin;

  /* alice already knows bob; bob meets alice for the first time. */
  g_assert_true (xtls_trust_store_pin (lb->alice->trust, lb->bob->jid,
                                       xtls_identity_get_fingerprint (lb->bob->identity),
                                       XTLS_VERIFIED_FINGERPRINT, 0, &error));
  rewrite_stanzas (f, lb->alice, "session-initiate",
                   xtls_identity_get_fingerprint (lb->alice->identity), sha1, "algo='sha-256'",
                   "algo='sha1'", NULL);
  lb->bob->auto_answer = TRUE;
  lb->bob->answer = XTLS_ANSWER_VERIFIED;
  xtls_hub_start (lb->alice->hub, lb->bob->jid);
  xtls_loopback_run (lb, MAX_LEGS);

  g_assert_cmpuint (f->rewrites, ==, 1);
  g_assert_cmpuint (lb->bob->decisions, ==, 1);
  g_assert_cmpint (xtls_session_get_state (session_of (lb->bob)), ==, XTLS_STATE_PRIVATE);
  pin = xtls_trust_store_lookup (lb->bob->trust, lb->alice->jid);
  g_assert_cmpstr (pin, ==, xtls_identity_get_fingerprint (lb->alice->identity));

  /* The next session, announced as SHA-1 again, is recognised by its pin: no question. */
  xtls_session_stop (session_of (lb->alice));
  xtls_loopback_run (lb, MAX_LEGS);
  xtls_hub_start (lb->alice->hub, lb->bob->jid);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpuint (f->rewrites, ==, 2);
  g_assert_cmpuint (lb->bob->decisions, ==, 1);
  g_assert_cmpint (xtls_session_get_state (session_of (lb->bob)), ==, XTLS_STATE_PRIVATE);
}

/* How each side's verification is told: by key known from before, by the user just now, by
 * password (the words the conversation shows depend on it). */
static void
test_verification_kinds (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GError) error = NULL;

  /* bob verifies alice now; alice knew bob's key from before. */
  g_assert_true (xtls_trust_store_pin (lb->alice->trust, lb->bob->jid,
                                       xtls_identity_get_fingerprint (lb->bob->identity),
                                       XTLS_VERIFIED_FINGERPRINT, 0, &error));
  lb->bob->auto_answer = TRUE;
  lb->bob->answer = XTLS_ANSWER_VERIFIED;
  xtls_hub_start (lb->alice->hub, lb->bob->jid);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpint (xtls_session_get_state (session_of (lb->bob)), ==, XTLS_STATE_PRIVATE);
  g_assert_cmpint (xtls_session_get_verification (session_of (lb->bob)), ==,
                   XTLS_VERIFICATION_BY_USER);
  g_assert_cmpint (xtls_session_get_verification (session_of (lb->alice)), ==,
                   XTLS_VERIFICATION_KNOWN_KEY);
  /* The next session: both keys known. */
  xtls_session_stop (session_of (lb->alice));
  xtls_loopback_run (lb, MAX_LEGS);
  xtls_hub_start (lb->alice->hub, lb->bob->jid);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpint (xtls_session_get_verification (session_of (lb->bob)), ==,
                   XTLS_VERIFICATION_KNOWN_KEY);
}

/* ---- downgrades of a pinned pair --------------------------------------------------------- */

static void
assert_no_password_asked (XtlsLoopback *lb)
{
  g_assert_cmpuint (lb->alice->decisions, ==, 0);
  g_assert_cmpuint (lb->bob->decisions, ==, 0);
}

/* The initiator's choice of x509 is rewritten to srp on its way to the responder. */
static void
test_downgrade_security_info (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;

  xtls_loopback_pin_both (lb);
  rewrite_stanzas (f, lb->alice, "security-info", "name='x509'", "name='srp'", NULL);
  xtls_session_send_message (xtls_hub_start (lb->alice->hub, lb->bob->jid), SECRET);
  xtls_loopback_run (lb, MAX_LEGS);

  g_assert_cmpuint (f->rewrites, ==, 1);
  assert_no_password_asked (lb);
  assert_failed (lb->bob, XTLS_ERROR_DOWNGRADE);
  g_assert_cmpint (xtls_session_get_state (session_of (lb->alice)), ==, XTLS_STATE_FAILED);
  g_assert_cmpuint (lb->alice->unsent_ids->len, ==, 1);
  g_assert_false (xtls_loopback_wire_contains (lb, SECRET));
}

/* x509 and the fingerprint are stripped from the offer or from the responder's accept: the
 * side that receives it, which knows the other's key, refuses instead of asking a password. */
typedef struct
{
  gboolean in_accept;
  const char *action;
} StripCase;

static void
test_downgrade_stripped (Fixture *f, gconstpointer data)
{
  const StripCase *c = data;
  XtlsLoopback *lb = f->lb;
  XtlsTestPeer *sender = c->in_accept ? lb->bob : lb->alice;
  XtlsTestPeer *receiver = c->in_accept ? lb->alice : lb->bob;
  g_autofree char *fp = NULL;

  xtls_loopback_pin_both (lb);
  fp = g_strdup_printf ("<fingerprint algo='sha-256'>%s</fingerprint>",
                        xtls_identity_get_fingerprint (sender->identity));
  rewrite_stanzas (f, sender, c->action, fp, "", "<method name='x509'/>", "", NULL);
  xtls_hub_start (lb->alice->hub, lb->bob->jid);
  xtls_loopback_run (lb, MAX_LEGS);

  g_assert_cmpuint (f->rewrites, ==, 1);
  assert_no_password_asked (lb);
  assert_failed (receiver, XTLS_ERROR_DOWNGRADE);
  g_assert_cmpint (xtls_session_get_state (session_of (sender)), ==, XTLS_STATE_FAILED);
}

/* Not a downgrade: on first contact bob verifies alice's key just now, alice (who does not
 * know bob yet) rightly asks for the password. */
static void
test_first_contact_password_after_verify (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;

  lb->bob->auto_answer = TRUE;
  lb->bob->answer = XTLS_ANSWER_VERIFIED;
  lb->bob->auto_password = g_strdup ("correct horse");
  lb->alice->auto_answer = TRUE;
  lb->alice->answer = XTLS_ANSWER_USE_PASSWORD;
  lb->alice->auto_password = g_strdup ("correct horse");
  xtls_hub_start (lb->alice->hub, lb->bob->jid);
  xtls_loopback_run (lb, MAX_LEGS);

  g_assert_cmpint (xtls_session_get_state (session_of (lb->alice)), ==, XTLS_STATE_PRIVATE);
  g_assert_cmpint (xtls_session_get_state (session_of (lb->bob)), ==, XTLS_STATE_PRIVATE);
  g_assert_cmpint (xtls_session_get_method (session_of (lb->bob)), ==, XTLS_METHOD_SRP);
  g_assert_cmpint (xtls_session_get_verification (session_of (lb->bob)), ==,
                   XTLS_VERIFICATION_PASSWORD);
}

/* After a password session, a certificate that differs from an existing pin is not pinned
 * without the user's consent (the UI is asked). */
static void
test_srp_does_not_replace_pin (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (XtlsIdentity) stale = xtls_test_identity ("bob-old@example.net");
  g_autoptr (GError) error = NULL;
  XtlsSession *s;

  g_assert_true (xtls_trust_store_pin (lb->alice->trust, lb->bob->jid,
                                       xtls_identity_get_fingerprint (stale),
                                       XTLS_VERIFIED_FINGERPRINT, 0, &error));
  lb->bob->auto_answer = TRUE;
  lb->bob->answer = XTLS_ANSWER_USE_PASSWORD;
  lb->bob->auto_password = g_strdup ("correct horse");
  s = xtls_hub_start (lb->alice->hub, lb->bob->jid);
  /* alice's user chose the password herself (/xtls password) */
  xtls_session_supply_password (s, "correct horse");
  xtls_loopback_run (lb, MAX_LEGS);

  g_assert_cmpint (xtls_session_get_state (session_of (lb->alice)), ==, XTLS_STATE_PRIVATE);
  g_assert_cmpuint (lb->alice->key_conflicts, ==, 1);
  g_assert_cmpstr (xtls_trust_store_lookup (lb->alice->trust, lb->bob->jid), ==,
                   xtls_identity_get_fingerprint (stale));
  /* bob had no pin for alice: his is saved as usual */
  g_assert_cmpstr (xtls_trust_store_lookup (lb->bob->trust, lb->alice->jid), ==,
                   xtls_identity_get_fingerprint (lb->alice->identity));
}

/* ---- bounds: offers from anyone, as a flood ---------------------------------------------- */

#define OWN "bob@example.net/phone"

typedef struct
{
  XtlsFakeClock clock;
  XtlsIdentity *identity;
  XtlsTrustStore *trust;
  XtlsHub *hub;
  GPtrArray *sent; /* char* stanzas the hub sent */
  guint decisions;
  guint states;
  XtlsOfferVerdict verdict;
} Target;

static void
target_send (XtlsHub *hub, const char *xml, gpointer user_data)
{
  Target *t = user_data;
  g_ptr_array_add (t->sent, g_strdup (xml));
}

static void
target_state (XtlsHub *hub, XtlsSession *s, XtlsTrustState state, const GError *error,
              gpointer user_data)
{
  ((Target *)user_data)->states++;
}

static void
target_decision (XtlsHub *hub, XtlsSession *s, XtlsDecision decision, gpointer user_data)
{
  ((Target *)user_data)->decisions++;
}

static XtlsOfferVerdict
target_incoming (XtlsHub *hub, const char *peer, gpointer user_data)
{
  return ((Target *)user_data)->verdict;
}

static const XtlsHubOps target_ops = {
  .send = target_send,
  .state_changed = target_state,
  .decision_needed = target_decision,
  .incoming = target_incoming,
};

static Target *
target_new (void)
{
  Target *t = g_new0 (Target, 1);
  g_autoptr (GError) error = NULL;

  xtls_fake_clock_init (&t->clock);
  t->identity = xtls_test_identity ("bob@example.net");
  t->trust = xtls_trust_store_new (NULL, &error);
  g_assert_no_error (error);
  t->sent = g_ptr_array_new_with_free_func (g_free);
  t->hub = xtls_hub_new (OWN, t->identity, t->trust, &t->clock.clock, NULL, &target_ops, t);
  return t;
}

static void
target_free (Target *t)
{
  xtls_hub_free (t->hub);
  xtls_trust_store_free (t->trust);
  xtls_identity_unref (t->identity);
  g_ptr_array_unref (t->sent);
  g_free (t);
}

static guint
count_sent (Target *t, const char *needle)
{
  guint n = 0;

  for (guint i = 0; i < t->sent->len; i++)
    n += strstr (g_ptr_array_index (t->sent, i), needle) != NULL;
  return n;
}

/* A valid XTLS chat offer from @from, with @sid (also used for the transport). */
static void
offer (Target *t, const char *from, const char *sid)
{
  static guint n;
  g_autofree char *xml = g_strdup_printf (
      "<iq type='set' id='o%u' from='%s' to='" OWN "'>"
      "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' initiator='%s' sid='%s'>"
      "<content creator='initiator' name='xmlstream'>"
      "<description xmlns='urn:xmpp:jingle:apps:xmlstream:0'/>"
      "<transport xmlns='urn:xmpp:jingle:transports:ibb:1' block-size='4096' sid='t%s'/>"
      "<security xmlns='urn:xmpp:jingle:security:xtls:0'>"
      "<fingerprint algo='sha-256'>%064d</fingerprint>"
      "<method name='x509'/><method name='srp'/></security></content></jingle></iq>",
      ++n, from, from, sid, sid, 7);

  g_assert_true (xtls_hub_receive (t->hub, xml, -1));
}

/* Offer number @i, from the JID @jid_format makes of @i, with sid "s<i>". */
static void
offer_nth (Target *t, const char *jid_format, guint i)
{
  g_autofree char *from = g_strdup_printf (jid_format, i);
  g_autofree char *sid = g_strdup_printf ("s%u", i);

  offer (t, from, sid);
}

/* Ten devices of one contact offer at once: one dialog, the rest refused. */
static void
test_bounds_one_dialog_per_contact (void)
{
  Target *t = target_new ();

  for (guint i = 0; i < 10; i++)
    {
      offer_nth (t, "mallory@evil.example/r%u", i);
    }
  g_assert_cmpuint (t->decisions, ==, 1);
  g_assert_cmpuint (xtls_hub_count_sessions (t->hub), ==, 1);
  g_assert_cmpuint (count_sent (t, "resource-constraint"), ==, 9);
  target_free (t);
}

/* Offers faster than the rate: the burst is served, the rest refused at once. */
static void
test_bounds_rate (void)
{
  Target *t = target_new ();

  for (guint i = 0; i < 40; i++)
    {
      offer_nth (t, "user%u@many.example/r", i);
    }
  g_assert_cmpuint (t->decisions, ==, 8);
  g_assert_cmpuint (count_sent (t, "resource-constraint"), ==, 32);
  /* Later, offers are welcome again. */
  xtls_fake_clock_advance (&t->clock, 3 * G_USEC_PER_SEC);
  offer (t, "late@many.example/r", "late");
  g_assert_cmpuint (t->decisions, ==, 9);
  target_free (t);
}

/* Slow but endless offers from new contacts: live sessions stop at the limit, and ended ones
 * are released, so the hub holds a bounded number whatever the attacker sends. */
static void
test_bounds_total (void)
{
  Target *t = target_new ();

  for (guint i = 0; i < 300; i++)
    {
      xtls_fake_clock_advance (&t->clock, 2 * G_USEC_PER_SEC);
      xtls_hub_tick (t->hub);
      offer_nth (t, "user%u@many.example/r", i);
      g_assert_cmpuint (xtls_hub_count_sessions (t->hub), <=, 64 + 32);
    }
  g_assert_cmpuint (count_sent (t, "resource-constraint"), >, 0);
  target_free (t);
}

static void
test_bounds_ended_released (void)
{
  Target *t = target_new ();
  XtlsSession *s;

  offer (t, "carol@example.org/r", "c1");
  s = xtls_hub_lookup (t->hub, "carol@example.org/r");
  g_assert_nonnull (s);
  xtls_session_decide (s, XTLS_ANSWER_CANCEL);
  g_assert_cmpint (xtls_session_get_state (s), ==, XTLS_STATE_FAILED);
  g_assert_cmpuint (xtls_hub_count_sessions (t->hub), ==, 1);
  /* A late stanza for the ended session is still answered as the protocol says. */
  xtls_fake_clock_advance (&t->clock, 60 * G_USEC_PER_SEC);
  g_assert_true (xtls_hub_receive (t->hub,
                                   "<iq type='set' id='late' from='carol@example.org/r' to='" OWN
                                   "'><data xmlns='http://jabber.org/protocol/ibb' sid='tc1' "
                                   "seq='0'>AAAA</data></iq>",
                                   -1));
  g_assert_cmpuint (count_sent (t, "item-not-found"), ==, 1);
  xtls_fake_clock_advance (&t->clock, 61 * G_USEC_PER_SEC);
  xtls_hub_tick (t->hub);
  g_assert_cmpuint (xtls_hub_count_sessions (t->hub), ==, 0);
  g_assert_null (xtls_hub_lookup (t->hub, "carol@example.org/r"));
  target_free (t);
}

/* 20 KB attributes are refused before anything of them is kept; an absurd IQ id is not even
 * taken as ours (we would have to echo it). */
static void
test_bounds_oversized (void)
{
  Target *t = target_new ();
  g_autofree char *sid = g_strnfill (20 * 1024, 'x');

  offer (t, "dave@example.org/r", sid);
  g_assert_cmpuint (xtls_hub_count_sessions (t->hub), ==, 0);
  g_assert_cmpuint (t->decisions, ==, 0);
  g_assert_cmpuint (t->states, ==, 0);
  g_assert_cmpuint (count_sent (t, "bad-request"), ==, 1);
  {
    g_autofree char *xml = g_strdup_printf (
        "<iq type='result' id='xtls%s' from='dave@example.org/r' to='" OWN "'/>", sid);
    g_assert_false (xtls_hub_receive (t->hub, xml, -1));
  }
  g_assert_cmpuint (t->sent->len, ==, 1);
  target_free (t);
}

/* The UI's policy is asked first: a refused stranger gets the answer of a client without XTLS,
 * a declined contact gets <decline/>; neither leaves a session, a state or a dialog. */
static void
test_bounds_policy (void)
{
  Target *t = target_new ();

  t->verdict = XTLS_OFFER_REFUSE;
  offer (t, "stranger@example.org/r", "p1");
  g_assert_cmpuint (count_sent (t, "service-unavailable"), ==, 1);
  t->verdict = XTLS_OFFER_DECLINE;
  offer (t, "friend@example.org/r", "p2");
  g_assert_cmpuint (count_sent (t, "<decline/>"), ==, 1);
  g_assert_cmpuint (count_sent (t, "type='result'"), ==, 1);
  g_assert_cmpuint (xtls_hub_count_sessions (t->hub), ==, 0);
  g_assert_cmpuint (t->states + t->decisions, ==, 0);
  target_free (t);
}

static const ForgedCase terminate_cancel_responder = { TRUE, "cancel" };
static const ForgedCase terminate_success_responder = { TRUE, "success" };
static const ForgedCase terminate_cancel_initiator = { FALSE, "cancel" };
static const ForgedCase close_responder = { TRUE, NULL };
static const ForgedCase close_initiator = { FALSE, NULL };
static const StripCase strip_accept = { TRUE, "session-accept" };
static const StripCase strip_offer = { FALSE, "session-initiate" };

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func, data)                                                                      \
  g_test_add (path, Fixture, data, fixture_setup, func, fixture_teardown)
  ADD ("/outer/forged/terminate-cancel/responder", test_forged_end, &terminate_cancel_responder);
  ADD ("/outer/forged/terminate-success/responder", test_forged_end, &terminate_success_responder);
  ADD ("/outer/forged/terminate-cancel/initiator", test_forged_end, &terminate_cancel_initiator);
  ADD ("/outer/forged/ibb-close/responder", test_forged_end, &close_responder);
  ADD ("/outer/forged/ibb-close/initiator", test_forged_end, &close_initiator);
  ADD ("/outer/authenticated-end", test_authenticated_end, NULL);
  ADD ("/outer/inner/stanzas-after-stream-error", test_stanzas_after_stream_error, NULL);
  ADD ("/outer/sha1/verify-and-pin", test_verify_sha1_announcement, NULL);
  ADD ("/outer/verification-kinds", test_verification_kinds, NULL);
  ADD ("/outer/downgrade/security-info", test_downgrade_security_info, NULL);
  ADD ("/outer/downgrade/accept", test_downgrade_stripped, &strip_accept);
  ADD ("/outer/downgrade/offer", test_downgrade_stripped, &strip_offer);
  ADD ("/outer/downgrade/first-contact-password", test_first_contact_password_after_verify, NULL);
  ADD ("/outer/downgrade/srp-keeps-pin", test_srp_does_not_replace_pin, NULL);
#undef ADD
  g_test_add_func ("/outer/bounds/one-dialog-per-contact", test_bounds_one_dialog_per_contact);
  g_test_add_func ("/outer/bounds/rate", test_bounds_rate);
  g_test_add_func ("/outer/bounds/total", test_bounds_total);
  g_test_add_func ("/outer/bounds/ended-released", test_bounds_ended_released);
  g_test_add_func ("/outer/bounds/oversized", test_bounds_oversized);
  g_test_add_func ("/outer/bounds/policy", test_bounds_policy);
  return g_test_run ();
}
