/* The loopback demo: alice and bob, two in-process XTLS peers, set up a private conversation
 * through an in-memory server and chat. Every stanza that crosses the server is printed the
 * way the server sees it, so you can watch the protocol (and see that the server only ever
 * gets base64 noise).
 *
 *   xtls-demo            first contact: both verify with a shared password (TLS-SRP), then
 *                        a second session uses the exchanged certificates (x509, TLS 1.3)
 *   xtls-demo --verbose  also print the full XML of every stanza */
#include <stdio.h>
#include <string.h>

#include "loopback.h"
#include "wire.h"
#include "xtls-error.h"

static gboolean verbose;

static const char *
who (XtlsLoopback *lb, XtlsTestPeer *peer)
{
  return peer == lb->alice ? "alice" : "bob  ";
}

static char *
describe (const char *xml)
{
  g_autoptr (XtlsIq) iq = xtls_wire_parse_iq (xml, -1, NULL);

  if (iq == NULL)
    return g_strdup ("(unparsable)");
  if (iq->type == XTLS_IQ_RESULT)
    return g_strdup ("iq result (ack)");
  if (iq->type == XTLS_IQ_ERROR)
    return g_strdup ("iq error");
  switch (iq->payload)
    {
      case XTLS_IQ_PAYLOAD_JINGLE:
        {
          const XtlsJingle *j = iq->jingle;
          GString *s = g_string_new ("jingle ");
          g_string_append (s, xtls_jingle_action_to_string (j->action));
          if (j->methods & XTLS_METHOD_X509)
            g_string_append (s, " [x509]");
          if (j->methods & XTLS_METHOD_SRP)
            g_string_append (s, " [srp]");
          if (j->fingerprint != NULL)
            g_string_append_printf (s, " fingerprint %.16s...", j->fingerprint);
          if (j->action == XTLS_JINGLE_SESSION_TERMINATE)
            g_string_append_printf (s, " <%s/>", xtls_jingle_reason_to_string (j->reason));
          return g_string_free (s, FALSE);
        }
      case XTLS_IQ_PAYLOAD_IBB:
        switch (iq->ibb.kind)
          {
            case XTLS_IBB_PACKET_OPEN:
              return g_strdup_printf ("ibb open block-size=%u", iq->ibb.block_size);
            case XTLS_IBB_PACKET_DATA:
              return g_strdup_printf ("ibb data seq=%u: %zu base64 chars of TLS records (%.24s...)",
                                      iq->ibb.seq, strlen (iq->ibb.data), iq->ibb.data);
            case XTLS_IBB_PACKET_CLOSE:
              return g_strdup ("ibb close");
            case XTLS_IBB_PACKET_RESULT:
            case XTLS_IBB_PACKET_ERROR:
              break;
          }
        break;
      case XTLS_IQ_PAYLOAD_NONE:
      case XTLS_IQ_PAYLOAD_OTHER:
        break;
    }
  return g_strdup ("iq");
}

static XtlsWireAction
print_stanza (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml, gpointer data)
{
  g_autofree char *what = describe (*xml);

  printf ("  leg %2u  %s -> %s  %s\n", lb->legs, who (lb, from), who (lb, to), what);
  if (verbose)
    printf ("          %s\n", *xml);
  return XTLS_WIRE_DELIVER;
}

static void
report (XtlsLoopback *lb, XtlsTestPeer *peer, guint *seen_states, guint *seen_messages)
{
  XtlsSession *s = xtls_test_peer_session (peer);

  for (; *seen_states < peer->states->len; (*seen_states)++)
    {
      XtlsTrustState state = g_array_index (peer->states, XtlsTrustState, *seen_states);
      printf ("  %s sees: conversation is now \"%s\"", who (lb, peer),
              xtls_trust_state_to_string (state));
      if ((state == XTLS_STATE_PRIVATE || state == XTLS_STATE_UNVERIFIED) && s != NULL
          && xtls_session_get_tls_description (s) != NULL)
        printf (" (%s, %s)",
                xtls_session_get_method (s) == XTLS_METHOD_SRP ? "verified by password"
                                                               : "verified key",
                xtls_session_get_tls_description (s));
      if (state == XTLS_STATE_FAILED && peer->error != NULL)
        printf (": %s", xtls_error_describe (peer->error));
      printf ("\n");
    }
  for (; *seen_messages < peer->received->len; (*seen_messages)++)
    printf ("  %s reads: \"%s\"\n", who (lb, peer),
            (const char *)g_ptr_array_index (peer->received, *seen_messages));
}

static guint a_states, b_states, a_msgs, b_msgs;

static void
run (XtlsLoopback *lb)
{
  do
    {
      report (lb, lb->alice, &a_states, &a_msgs);
      report (lb, lb->bob, &b_states, &b_msgs);
    }
  while (xtls_loopback_leg (lb) > 0);
  report (lb, lb->alice, &a_states, &a_msgs);
  report (lb, lb->bob, &b_states, &b_msgs);
}

static gboolean
chat (XtlsLoopback *lb, XtlsSession *alice_session, const char *line)
{
  XtlsSession *bob_session = xtls_test_peer_session (lb->bob);
  g_autofree char *reply = g_strdup_printf ("got it: %s", line);

  printf ("  alice types: \"%s\"\n", line);
  xtls_session_send_message (alice_session, line);
  run (lb);
  printf ("  bob types: \"%s\"\n", reply);
  xtls_session_send_message (bob_session, reply);
  run (lb);
  return !xtls_loopback_wire_contains (lb, line);
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[]
      = { { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print the XML of every stanza", NULL },
          { NULL } };
  g_autoptr (GOptionContext) context = g_option_context_new ("- XTLS loopback demo");
  g_autoptr (GError) error = NULL;
  XtlsLoopback *lb;
  XtlsSession *s;
  gboolean clean;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  setvbuf (stdout, NULL, _IOLBF, 0);
  lb = xtls_loopback_new (NULL);
  lb->filter = print_stanza;

  printf ("pidgin-xtls loopback demo: %s and %s, an in-memory server between them.\n\n",
          lb->alice->jid, lb->bob->jid);
  printf ("1. First contact. Neither knows the other's key, so both type the password they\n"
          "   agreed on by phone (TLS-SRP). Then the keys are exchanged inside the tunnel.\n");
  lb->alice->auto_answer = lb->bob->auto_answer = TRUE;
  lb->alice->answer = lb->bob->answer = XTLS_ANSWER_USE_PASSWORD;
  lb->alice->auto_password = g_strdup ("purple otters at dawn");
  lb->bob->auto_password = g_strdup ("purple otters at dawn");
  s = xtls_hub_start (lb->alice->hub, lb->bob->jid);
  printf ("  alice types before the tunnel exists: \"Hi Bob, is this private?\" (it waits)\n");
  xtls_session_send_message (s, "Hi Bob, is this private?");
  run (lb);
  clean = chat (lb, s, "The treasure is under the old oak.");
  printf ("  alice now knows bob's key: %s\n",
          xtls_trust_store_lookup (lb->alice->trust, "bob@example.net") ? "yes (pinned)" : "no");
  printf ("  alice ends the conversation.\n");
  xtls_session_stop (s);
  run (lb);

  printf ("\n2. Next day. The keys are known, so the session is private with no prompt\n"
          "   (x509 certificates, TLS 1.3: 3 round trips).\n");
  lb->alice->auto_answer = lb->bob->auto_answer = FALSE;
  s = xtls_hub_start (lb->alice->hub, lb->bob->jid);
  run (lb);
  clean = chat (lb, s, "Meet at noon.") && clean;
  xtls_session_stop (s);
  run (lb);

  printf ("\nThe server saw %u stanzas; message text in any of them: %s\n", lb->wire_log->len,
          clean && !xtls_loopback_wire_contains (lb, "Hi Bob") ? "none" : "FOUND (bug!)");
  xtls_loopback_free (lb);
  return clean ? 0 : 1;
}
