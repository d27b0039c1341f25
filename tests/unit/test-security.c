/* The security layer over a byte stream (the transport file transfer uses, XEP-0260): two
 * layers wired back to back, bytes passed by hand (split as a socket may split them). Over IBB
 * it is exercised by the full-stack suites. */
#include <string.h>

#include "security.h"
#include "test-keys.h"
#include "xtls-error.h"

typedef struct Side Side;

struct Side
{
  XtlsSecurity *sec;
  XtlsIdentity *identity;
  Side *other;
  GByteArray *wire;     /* written by this side, not yet delivered */
  GByteArray *received; /* decrypted application bytes */
  gboolean established;
  gboolean tls_closed;
  GError *tls_error;
  gboolean transport_closed;
  GError *transport_error;
  gboolean overflow;
};

typedef struct
{
  Side client;
  Side server;
  gsize chunk; /* deliver at most this many bytes per call; 0 = all */
} Pair;

static void
on_write_stream (XtlsSecurity *sec, const guint8 *data, gsize len, gpointer user_data)
{
  g_byte_array_append (((Side *)user_data)->wire, data, len);
}

static void
on_established (XtlsSecurity *sec, gpointer user_data)
{
  ((Side *)user_data)->established = TRUE;
}

static void
on_data (XtlsSecurity *sec, const guint8 *data, gsize len, gpointer user_data)
{
  g_byte_array_append (((Side *)user_data)->received, data, len);
}

static void
on_tls_closed (XtlsSecurity *sec, const GError *error, gpointer user_data)
{
  Side *side = user_data;

  side->tls_closed = TRUE;
  if (error != NULL)
    side->tls_error = g_error_copy (error);
}

static void
on_transport_closed (XtlsSecurity *sec, const GError *error, gpointer user_data)
{
  Side *side = user_data;

  side->transport_closed = TRUE;
  if (error != NULL)
    side->transport_error = g_error_copy (error);
}

static void
on_drained (XtlsSecurity *sec, gpointer user_data)
{
}

static void
on_overflow (XtlsSecurity *sec, gpointer user_data)
{
  ((Side *)user_data)->overflow = TRUE;
}

static const XtlsSecurityOps ops = {
  .write_stream = on_write_stream,
  .established = on_established,
  .data = on_data,
  .tls_closed = on_tls_closed,
  .transport_closed = on_transport_closed,
  .drained = on_drained,
  .overflow = on_overflow,
};

static void
side_init (Side *side, Side *other, const char *name)
{
  side->identity = xtls_test_identity (name);
  side->other = other;
  side->wire = g_byte_array_new ();
  side->received = g_byte_array_new ();
  side->sec = xtls_security_new_stream (&ops, side);
}

static void
side_clear (Side *side)
{
  xtls_security_free (side->sec);
  xtls_identity_unref (side->identity);
  g_byte_array_unref (side->wire);
  g_byte_array_unref (side->received);
  g_clear_error (&side->tls_error);
  g_clear_error (&side->transport_error);
}

static void
pair_setup (Pair *p, gconstpointer data)
{
  side_init (&p->client, &p->server, "alice@example.org");
  side_init (&p->server, &p->client, "bob@example.net");
  p->chunk = data != NULL ? GPOINTER_TO_SIZE (data) : 0;
}

static void
pair_teardown (Pair *p, gconstpointer data)
{
  side_clear (&p->client);
  side_clear (&p->server);
}

static void
start (Side *side, XtlsTlsRole role)
{
  g_autoptr (GError) error = NULL;
  XtlsTlsConfig config = {
    .role = role,
    .method = XTLS_METHOD_X509,
    .identity = side->identity,
    .peer_fingerprint = xtls_identity_get_fingerprint (side->other->identity),
    .peer_fingerprint_algo = XTLS_HASH_SHA256,
  };

  g_assert_true (xtls_security_start (side->sec, &config, &error));
  g_assert_no_error (error);
  g_assert_true (xtls_security_started (side->sec));
}

/* Delivers what each side wrote to the other, in chunks, until nothing moves. */
static void
pump (Pair *p)
{
  gboolean moved = TRUE;

  while (moved)
    {
      moved = FALSE;
      for (Side *from = &p->client; from != NULL; from = from == &p->client ? &p->server : NULL)
        {
          g_autoptr (GByteArray) bytes = from->wire;
          from->wire = g_byte_array_new ();
          for (gsize off = 0; off < bytes->len;)
            {
              gsize n = p->chunk != 0 ? MIN (p->chunk, bytes->len - off) : bytes->len - off;
              xtls_security_receive_stream (from->other->sec, bytes->data + off, n);
              off += n;
              moved = TRUE;
            }
        }
    }
}

static void
handshake (Pair *p)
{
  start (&p->server, XTLS_TLS_ROLE_SERVER);
  start (&p->client, XTLS_TLS_ROLE_CLIENT);
  pump (p);
  g_assert_true (p->client.established);
  g_assert_true (p->server.established);
  g_assert_true (xtls_security_is_up (p->client.sec));
  g_assert_nonnull (xtls_security_get_description (p->client.sec));
}

static void
test_data_both_ways (Pair *p, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *big = g_malloc (300 * 1024);
  GBytes *cert;

  for (gsize i = 0; i < 300 * 1024; i++)
    big[i] = (guint8)(i * 7 + 3);
  handshake (p);
  g_assert_true (xtls_security_send (p->client.sec, big, 300 * 1024, &error));
  g_assert_no_error (error);
  g_assert_true (xtls_security_send (p->server.sec, (const guint8 *)"pong", 4, &error));
  pump (p);
  g_assert_cmpmem (p->server.received->data, p->server.received->len, big, 300 * 1024);
  g_assert_cmpmem (p->client.received->data, p->client.received->len, "pong", 4);
  /* Who the peer is: the certificate the handshake proved. */
  cert = xtls_security_get_peer_certificate (p->client.sec);
  g_assert_nonnull (cert);
  g_assert_true (g_bytes_equal (cert, xtls_identity_get_certificate (p->server.identity)));
  /* A byte stream's buffers are its owner's: drained once the owner says so. */
  g_assert_false (xtls_security_is_drained (p->client.sec));
  xtls_security_stream_drained (p->client.sec);
  g_assert_true (xtls_security_is_drained (p->client.sec));
}

static void
test_close_notify_then_eof (Pair *p, gconstpointer data)
{
  handshake (p);
  xtls_security_close (p->client.sec);
  pump (p);
  g_assert_true (p->server.tls_closed);
  g_assert_null (p->server.tls_error);
  /* The stream ends after TLS did: a clean end. */
  xtls_security_stream_closed (p->server.sec, NULL);
  g_assert_true (p->server.transport_closed);
  g_assert_null (p->server.transport_error);
}

/* A stream cut before TLS closed may be an attacker truncating the transfer. */
static void
test_eof_before_close_notify (Pair *p, gconstpointer data)
{
  handshake (p);
  xtls_security_stream_closed (p->server.sec, NULL);
  g_assert_true (p->server.transport_closed);
  g_assert_error (p->server.transport_error, XTLS_ERROR, XTLS_ERROR_CONNECTION_LOST);
}

static void
test_garbage_fails_tls (Pair *p, gconstpointer data)
{
  static const guint8 garbage[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";

  start (&p->server, XTLS_TLS_ROLE_SERVER);
  xtls_security_receive_stream (p->server.sec, garbage, sizeof garbage - 1);
  g_assert_true (p->server.tls_closed);
  g_assert_error (p->server.tls_error, XTLS_ERROR, XTLS_ERROR_TLS);
  g_assert_false (p->server.established);
}

/* The responder starts TLS late (its user types a password): the ClientHello waits, bounded. */
static void
test_held_until_start (Pair *p, gconstpointer data)
{
  g_autofree guint8 *flood = g_malloc0 (65 * 1024);

  start (&p->client, XTLS_TLS_ROLE_CLIENT);
  pump (p); /* the ClientHello reaches a server that has not started */
  g_assert_false (p->server.established);
  start (&p->server, XTLS_TLS_ROLE_SERVER); /* the held ClientHello is fed at once */
  pump (p);
  g_assert_true (p->client.established);
  g_assert_true (p->server.established);

  /* Without a start, more than 64 KiB is refused. */
  {
    XtlsSecurity *late = xtls_security_new_stream (&ops, &p->server);
    p->server.overflow = FALSE;
    xtls_security_receive_stream (late, flood, 65 * 1024);
    g_assert_true (p->server.overflow);
    xtls_security_free (late);
  }
}

static void
test_wrong_fingerprint (Pair *p, gconstpointer data)
{
  g_autoptr (XtlsIdentity) mallory = xtls_test_identity ("mallory@example.com");
  g_autoptr (GError) error = NULL;
  XtlsTlsConfig config = {
    .role = XTLS_TLS_ROLE_CLIENT,
    .method = XTLS_METHOD_X509,
    .identity = p->client.identity,
    .peer_fingerprint = xtls_identity_get_fingerprint (mallory),
    .peer_fingerprint_algo = XTLS_HASH_SHA256,
  };

  start (&p->server, XTLS_TLS_ROLE_SERVER);
  g_assert_true (xtls_security_start (p->client.sec, &config, &error));
  pump (p);
  g_assert_true (p->client.tls_closed);
  g_assert_error (p->client.tls_error, XTLS_ERROR, XTLS_ERROR_CERT_MISMATCH);
  g_assert_cmpuint (p->server.received->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func, chunk)                                                                     \
  g_test_add (path, Pair, GSIZE_TO_POINTER (chunk), pair_setup, func, pair_teardown)
  ADD ("/security/stream/data-both-ways", test_data_both_ways, 0);
  ADD ("/security/stream/one-byte-reads", test_data_both_ways, 1);
  ADD ("/security/stream/odd-reads", test_data_both_ways, 1021);
  ADD ("/security/stream/close-notify-then-eof", test_close_notify_then_eof, 0);
  ADD ("/security/stream/eof-before-close-notify", test_eof_before_close_notify, 0);
  ADD ("/security/stream/garbage", test_garbage_fails_tls, 0);
  ADD ("/security/stream/held-until-start", test_held_until_start, 0);
  ADD ("/security/stream/wrong-fingerprint", test_wrong_fingerprint, 0);
#undef ADD
  return g_test_run ();
}
