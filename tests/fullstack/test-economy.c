/* Round-trip economy (PROTOCOL.md §2): counted in one-way legs by the loopback server, not
 * timed. A leg delivers everything in flight in both directions, as a network with a fixed
 * one-way latency would. */
#include <string.h>

#include "loopback.h"

typedef struct
{
  const char *name;
  gboolean srp;
  XtlsTlsVersionLimit version;
  guint max_private_leg; /* the ceiling for the initiator reporting private */
  guint max_message_leg; /* a message typed during negotiation reaches the peer by then */
} EconomyCase;

/* TLS 1.3: the client may send right behind its Finished, so the queued message reaches the
 * peer even before the initiator sees the responder's stream header. TLS 1.2 (and so SRP):
 * the client can send only once the server's Finished arrived, so the message goes out in the
 * very next flight: one one-way leg after the handshake, no extra round trip. */
static const EconomyCase cases[] = {
  { "x509-tls13", FALSE, XTLS_TLS_VERSION_ANY, 6, 6 },
  { "x509-tls12", FALSE, XTLS_TLS_VERSION_1_2, 8, 7 },
  { "srp-tls12", TRUE, XTLS_TLS_VERSION_ANY, 8, 7 },
};

static void
test_legs (gconstpointer data)
{
  const EconomyCase *c = data;
  XtlsHubConfig config = { .tls_version = c->version };
  XtlsLoopback *lb = xtls_loopback_new (&config);
  XtlsSession *s;
  guint arrived;

  if (c->srp)
    {
      /* The password was typed before starting, so no person is waited for. */
      s = xtls_hub_start (lb->alice->hub, lb->bob->jid);
      xtls_session_supply_password (s, "shared secret");
      lb->bob->auto_answer = TRUE;
      lb->bob->answer = XTLS_ANSWER_USE_PASSWORD;
      lb->bob->auto_password = g_strdup ("shared secret");
      /* Bob's answer to the unknown key is scripted for the start of leg 2: pin nothing, use
       * the password. Without a pin the protocol needs his decision, which costs no leg. */
    }
  else
    {
      xtls_loopback_pin_both (lb);
      s = xtls_hub_start (lb->alice->hub, lb->bob->jid);
    }
  /* Typed while negotiating: must cost no round trip beyond the handshake. */
  g_assert_cmpuint (xtls_session_send_message (s, "typed while negotiating"), >, 0);
  xtls_loopback_run (lb, 100);

  g_assert_cmpint (xtls_session_get_state (s), ==, XTLS_STATE_PRIVATE);
  g_assert_cmpuint (lb->bob->received->len, ==, 1);
  arrived = g_array_index (lb->bob->received_legs, guint, 0);
  g_test_message ("%s: initiator private after %u one-way legs; bob private after %u; message "
                  "typed during negotiation arrived in leg %u",
                  c->name, lb->alice->private_leg, lb->bob->private_leg, arrived);
  g_printerr ("# economy %s: initiator private at leg %u (ceiling %u), responder at leg %u, "
              "queued message delivered at leg %u\n",
              c->name, lb->alice->private_leg, c->max_private_leg, lb->bob->private_leg, arrived);
  g_assert_cmpuint (lb->alice->private_leg, >, 0);
  g_assert_cmpuint (lb->alice->private_leg, <=, c->max_private_leg);
  /* The queued message rides the first flight the initiator's TLS allows. */
  g_assert_cmpuint (arrived, <=, c->max_message_leg);
  g_assert_cmpuint (arrived, <=, lb->alice->private_leg + 1);
  xtls_loopback_free (lb);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/economy/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], test_legs);
    }
  return g_test_run ();
}
