/* Two TLS channels wired back to back by hand (libnice's test-pseudotcp style): every flight
 * waits in its sender's outbox until the test forwards it, so the test counts legs, drops,
 * splits and corrupts at will. Most cases run under x509 TLS 1.3, x509 TLS 1.2 and SRP. */
#include <string.h>

#include <gnutls/gnutls.h>

#include "identity.h"
#include "tls-channel.h"
#include "xtls-error.h"

#define SRP_USER "romeo@montague.lit"
#define SRP_PASSWORD "correct horse battery staple"

typedef struct
{
  const char *name;
  XtlsMethod method;
  XtlsTlsVersionLimit version;
  XtlsKeyType key_type;
  const char *protocol;  /* expected gnutls_protocol_get_name() */
  const char *cipher;    /* expected gnutls_cipher_get_name() */
  guint client_done_leg; /* the leg (one-way flight) after which each side is established */
  guint server_done_leg;
} TlsCase;

#define X509 XTLS_METHOD_X509
#define V_ANY XTLS_TLS_VERSION_ANY
#define V_12 XTLS_TLS_VERSION_1_2
#define GCM "AES-256-GCM"

static const TlsCase cases[] = {
  { "x509-tls13", X509, V_ANY, XTLS_KEY_ED25519, "TLS1.3", GCM, 2, 3 },
  { "x509-tls12", X509, V_12, XTLS_KEY_ED25519, "TLS1.2", GCM, 4, 3 },
  { "srp-tls12", XTLS_METHOD_SRP, V_ANY, XTLS_KEY_ED25519, "TLS1.2", "AES-256-CBC", 4, 3 },
  /* Handshake only: ECDSA P-256 keys. */
  { "x509-p256-tls13", X509, V_ANY, XTLS_KEY_ECDSA_P256, "TLS1.3", GCM, 2, 3 },
  { "x509-p256-tls12", X509, V_12, XTLS_KEY_ECDSA_P256, "TLS1.2", GCM, 4, 3 },
};
#define N_MAIN_CASES 3

/* Index 0: Ed25519, 1: P-256. */
static XtlsIdentity *client_ids[2], *server_ids[2], *mallory_id;

typedef struct _Pair Pair;

typedef struct
{
  Pair *pair;
  XtlsTlsChannel *channel;
  GQueue outbox;        /* GBytes: what the channel sent, not yet forwarded */
  GByteArray *received; /* plaintext delivered */
  guint established_count;
  guint established_leg;
  guint closed_count;
  GError *closed_error;
  /* Reentrancy hooks, run from inside the callbacks. */
  const char *send_on_established;
  gboolean echo;     /* send back everything received, from inside ops->receive */
  gsize close_after; /* close() from inside ops->receive once this much arrived */
} Side;

struct _Pair
{
  Side client, server;
  guint legs;
  guint max_sends_per_leg;
  gsize piece; /* forward in pieces of this many bytes; 0: as sent */
};

static void
must_send (XtlsTlsChannel *channel, const void *data, gsize len)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (xtls_tls_channel_send (channel, data, len, &error));
  g_assert_no_error (error);
}

static void
side_send (XtlsTlsChannel *channel, const guint8 *data, gsize len, gpointer user_data)
{
  Side *side = user_data;

  g_assert_true (channel == side->channel);
  g_assert_cmpuint (len, >, 0);
  g_queue_push_tail (&side->outbox, g_bytes_new (data, len));
}

static void
side_established (XtlsTlsChannel *channel, gpointer user_data)
{
  Side *side = user_data;

  g_assert_cmpint (xtls_tls_channel_get_state (channel), ==, XTLS_TLS_STATE_ESTABLISHED);
  side->established_count++;
  side->established_leg = side->pair->legs;
  if (side->send_on_established != NULL)
    must_send (channel, side->send_on_established, strlen (side->send_on_established));
}

static void
side_receive (XtlsTlsChannel *channel, const guint8 *data, gsize len, gpointer user_data)
{
  Side *side = user_data;

  g_byte_array_append (side->received, data, (guint)len);
  if (side->echo)
    must_send (channel, data, len);
  if (side->close_after > 0 && side->received->len >= side->close_after)
    xtls_tls_channel_close (channel);
}

static void
side_closed (XtlsTlsChannel *channel, const GError *error, gpointer user_data)
{
  Side *side = user_data;

  side->closed_count++;
  g_assert_cmpuint (side->closed_count, ==, 1);
  if (error != NULL)
    side->closed_error = g_error_copy (error);
}

static const XtlsTlsChannelOps side_ops = {
  .send = side_send,
  .established = side_established,
  .receive = side_receive,
  .closed = side_closed,
};

/* The channel reads only the fields of its method; the others are set anyway. */
static XtlsTlsConfig
make_config (const TlsCase *c, XtlsTlsRole role)
{
  guint k = c->key_type == XTLS_KEY_ED25519 ? 0 : 1;
  gboolean client = role == XTLS_TLS_ROLE_CLIENT;
  XtlsTlsConfig config = {
    .role = role,
    .method = c->method,
    .version = c->version,
    .identity = client ? client_ids[k] : server_ids[k],
    .peer_fingerprint = xtls_identity_get_fingerprint (client ? server_ids[k] : client_ids[k]),
    .peer_fingerprint_algo = XTLS_HASH_SHA256,
    .srp_username = SRP_USER,
    .srp_password = SRP_PASSWORD,
  };

  return config;
}

static void
drop (Side *side)
{
  g_queue_clear_full (&side->outbox, (GDestroyNotify)g_bytes_unref);
}

static void
side_init (Pair *pair, Side *side, const XtlsTlsConfig *config)
{
  g_autoptr (GError) error = NULL;

  side->pair = pair;
  g_queue_init (&side->outbox);
  side->received = g_byte_array_new ();
  side->channel = xtls_tls_channel_new (config, &side_ops, side, &error);
  g_assert_no_error (error);
  g_assert_nonnull (side->channel);
  g_assert_cmpint (xtls_tls_channel_get_state (side->channel), ==, XTLS_TLS_STATE_IDLE);
}

static void
side_clear (Side *side)
{
  xtls_tls_channel_free (side->channel);
  drop (side);
  g_byte_array_unref (side->received);
  g_clear_error (&side->closed_error);
}

static void
pair_init_with (Pair *pair, const XtlsTlsConfig *client, const XtlsTlsConfig *server)
{
  memset (pair, 0, sizeof *pair);
  side_init (pair, &pair->client, client);
  side_init (pair, &pair->server, server);
}

static void
pair_init (Pair *pair, const TlsCase *c)
{
  XtlsTlsConfig client = make_config (c, XTLS_TLS_ROLE_CLIENT);
  XtlsTlsConfig server = make_config (c, XTLS_TLS_ROLE_SERVER);

  pair_init_with (pair, &client, &server);
}

static void
pair_clear (Pair *pair)
{
  side_clear (&pair->client);
  side_clear (&pair->server);
}

/* Forwards everything @from sent as one leg. FALSE if there was nothing. */
static gboolean
forward (Pair *pair, Side *from, Side *to)
{
  GBytes *bytes;

  if (g_queue_is_empty (&from->outbox))
    return FALSE;
  pair->legs++;
  pair->max_sends_per_leg = MAX (pair->max_sends_per_leg, g_queue_get_length (&from->outbox));
  while ((bytes = g_queue_pop_head (&from->outbox)) != NULL)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);
      gsize piece = pair->piece > 0 ? pair->piece : len;

      for (gsize off = 0; off < len; off += piece)
        xtls_tls_channel_receive (to->channel, data + off, MIN (piece, len - off));
      g_bytes_unref (bytes);
    }
  return TRUE;
}

/* Forwards in both directions until neither side has anything to say. */
static void
pump (Pair *pair)
{
  gboolean moved = TRUE;

  while (moved)
    {
      moved = forward (pair, &pair->client, &pair->server);
      moved |= forward (pair, &pair->server, &pair->client);
    }
}

static void
start_and_pump (Pair *pair)
{
  xtls_tls_channel_start (pair->server.channel);
  g_assert_true (g_queue_is_empty (&pair->server.outbox));
  xtls_tls_channel_start (pair->client.channel);
  g_assert_cmpuint (g_queue_get_length (&pair->client.outbox), ==, 1); /* the ClientHello */
  pump (pair);
}

static void
assert_established (Side *side)
{
  g_assert_cmpint (xtls_tls_channel_get_state (side->channel), ==, XTLS_TLS_STATE_ESTABLISHED);
  g_assert_cmpuint (side->established_count, ==, 1);
  g_assert_cmpuint (side->closed_count, ==, 0);
}

static void
handshake (Pair *pair)
{
  start_and_pump (pair);
  assert_established (&pair->client);
  assert_established (&pair->server);
}

static void
assert_closed_cleanly (Side *side)
{
  g_assert_cmpuint (side->closed_count, ==, 1);
  g_assert_no_error (side->closed_error);
  g_assert_cmpint (xtls_tls_channel_get_state (side->channel), ==, XTLS_TLS_STATE_CLOSED);
}

static void
assert_peer_cert (Side *side, XtlsIdentity *expect)
{
  GBytes *peer = xtls_tls_channel_get_peer_certificate (side->channel);

  if (expect == NULL)
    g_assert_null (peer);
  else
    g_assert_true (peer != NULL && g_bytes_equal (peer, xtls_identity_get_certificate (expect)));
}

static void
assert_failed (Side *side, XtlsError code)
{
  g_assert_cmpuint (side->closed_count, ==, 1);
  g_assert_error (side->closed_error, XTLS_ERROR, (gint)code);
  g_assert_cmpint (xtls_tls_channel_get_state (side->channel), ==, XTLS_TLS_STATE_FAILED);
  g_assert_cmpuint (side->received->len, ==, 0);
}

static void
test_handshake (gconstpointer data)
{
  const TlsCase *c = data;
  guint k = c->key_type == XTLS_KEY_ED25519 ? 0 : 1;
  gboolean x509 = c->method == XTLS_METHOD_X509;
  Pair pair;

  pair_init (&pair, c);
  g_assert_null (xtls_tls_channel_get_protocol_name (pair.client.channel));
  handshake (&pair);

  g_assert_cmpstr (xtls_tls_channel_get_protocol_name (pair.client.channel), ==, c->protocol);
  g_assert_cmpstr (xtls_tls_channel_get_protocol_name (pair.server.channel), ==, c->protocol);
  g_assert_cmpstr (xtls_tls_channel_get_cipher_name (pair.client.channel), ==, c->cipher);
  g_assert_cmpstr (xtls_tls_channel_get_cipher_name (pair.server.channel), ==, c->cipher);
  assert_peer_cert (&pair.client, x509 ? server_ids[k] : NULL);
  assert_peer_cert (&pair.server, x509 ? client_ids[k] : NULL);

  /* Legs until each side is established; every flight left in one send. */
  g_test_message ("%s: client established after leg %u, server after leg %u, %u legs", c->name,
                  pair.client.established_leg, pair.server.established_leg, pair.legs);
  g_assert_cmpuint (pair.client.established_leg, ==, c->client_done_leg);
  g_assert_cmpuint (pair.server.established_leg, ==, c->server_done_leg);
  g_assert_cmpuint (pair.legs, ==, MAX (c->client_done_leg, c->server_done_leg));
  g_assert_cmpuint (pair.max_sends_per_leg, ==, 1);
  pair_clear (&pair);
}

static GBytes *
make_payload (gsize len, guint seed)
{
  guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = (guint8)((i * 131 + seed) ^ (i >> 8));
  return g_bytes_new_take (data, len);
}

static void
send_bytes (Side *side, GBytes *bytes)
{
  must_send (side->channel, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
assert_received (Side *side, GBytes *expect)
{
  g_autoptr (GBytes) got = g_bytes_new (side->received->data, side->received->len);

  g_assert_cmpuint (g_bytes_get_size (got), ==, g_bytes_get_size (expect));
  g_assert_true (g_bytes_equal (got, expect));
  g_byte_array_set_size (side->received, 0);
}

static void
test_data (gconstpointer data)
{
  const TlsCase *c = data;
  g_autoptr (GBytes) early = g_bytes_new_static ("sent from established()", 23);
  g_autoptr (GBytes) hello = g_bytes_new_static ("hello", 5);
  g_autoptr (GBytes) big_a = make_payload (1024 * 1024, 1);
  g_autoptr (GBytes) big_b = make_payload (1024 * 1024 + 7, 2);
  Pair pair;

  pair_init (&pair, c);
  /* Data sent from inside established() rides with the client's last flight. */
  pair.client.send_on_established = "sent from established()";
  handshake (&pair);
  assert_received (&pair.server, early);

  send_bytes (&pair.server, hello);
  pump (&pair);
  assert_received (&pair.client, hello);

  send_bytes (&pair.client, big_a);
  send_bytes (&pair.server, big_b);
  pump (&pair);
  assert_received (&pair.server, big_a);
  assert_received (&pair.client, big_b);
  g_assert_cmpuint (pair.client.closed_count + pair.server.closed_count, ==, 0);

  /* Reentrancy: the server echoes from inside ops->receive, the client closes from inside
   * its own once the echo is complete. */
  pair.server.echo = TRUE;
  pair.client.close_after = g_bytes_get_size (big_b);
  send_bytes (&pair.client, big_b);
  pump (&pair);
  assert_received (&pair.server, big_b);
  assert_received (&pair.client, big_b);
  assert_closed_cleanly (&pair.client);
  assert_closed_cleanly (&pair.server);
  pair_clear (&pair);
}

static void
test_split (gconstpointer data)
{
  const TlsCase *c = data;
  g_autoptr (GBytes) msg = make_payload (3000, 4);
  Pair pair;

  pair_init (&pair, c);
  pair.piece = 1;
  handshake (&pair);
  g_assert_cmpuint (pair.client.established_leg, ==, c->client_done_leg);
  send_bytes (&pair.client, msg);
  send_bytes (&pair.server, msg);
  pump (&pair);
  assert_received (&pair.server, msg);
  assert_received (&pair.client, msg);
  pair_clear (&pair);
}

static void
test_close_notify (gconstpointer data)
{
  const TlsCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) last = g_bytes_new_static ("last words", 10);
  Pair pair;

  pair_init (&pair, c);
  handshake (&pair);
  send_bytes (&pair.client, last);
  xtls_tls_channel_close (pair.client.channel);
  xtls_tls_channel_close (pair.client.channel); /* once */
  g_assert_cmpint (xtls_tls_channel_get_state (pair.client.channel), ==, XTLS_TLS_STATE_CLOSED);
  g_assert_false (xtls_tls_channel_send (pair.client.channel, (const guint8 *)"x", 1, &error));
  g_assert_error (error, XTLS_ERROR, XTLS_ERROR_FAILED);
  g_assert_cmpuint (pair.client.closed_count, ==, 0); /* our own close is not reported */

  g_assert_true (forward (&pair, &pair.client, &pair.server));
  assert_received (&pair.server, last);
  assert_closed_cleanly (&pair.server);

  /* The server answered with its own close_notify (RFC 5246 §7.2.1). */
  g_assert_true (forward (&pair, &pair.server, &pair.client));
  assert_closed_cleanly (&pair.client);
  g_assert_true (g_queue_is_empty (&pair.client.outbox));

  /* Abort after the end changes nothing. */
  xtls_tls_channel_abort (pair.client.channel, NULL);
  assert_closed_cleanly (&pair.client);
  pair_clear (&pair);
}

static const char garbage[] = "GET / HTTP/1.1\r\nHost: capulet.lit\r\n\r\n\x00\x01\x02\xff\xfe";

/* Garbage instead of the ClientHello, and instead of the ServerHello. */
static void
test_garbage_hello (gconstpointer data)
{
  Pair pair;

  pair_init (&pair, data);
  xtls_tls_channel_start (pair.server.channel);
  xtls_tls_channel_start (pair.client.channel);
  drop (&pair.client);
  for (guint i = 0; i < 2; i++)
    {
      Side *side = i == 0 ? &pair.server : &pair.client;

      xtls_tls_channel_receive (side->channel, (const guint8 *)garbage, sizeof garbage);
      assert_failed (side, XTLS_ERROR_TLS);
      g_assert_cmpuint (side->established_count, ==, 0);
      /* More input after the failure is ignored. */
      xtls_tls_channel_receive (side->channel, (const guint8 *)garbage, sizeof garbage);
      g_assert_cmpuint (side->closed_count, ==, 1);
    }
  pair_clear (&pair);
}

/* A forged application-data record after the handshake: a decryption failure, which is never
 * a password problem once the handshake is over. */
static void
test_garbage_record (gconstpointer data)
{
  const TlsCase *c = data;
  guint8 record[5 + 64] = { 0x17, 0x03, 0x03, 0x00, 64 };
  Pair pair;

  memset (record + 5, 0x5a, 64);
  pair_init (&pair, c);
  handshake (&pair);
  xtls_tls_channel_receive (pair.server.channel, record, sizeof record);
  assert_failed (&pair.server, XTLS_ERROR_TLS);
  /* The alert reaches the client, which fails too. */
  pump (&pair);
  assert_failed (&pair.client, XTLS_ERROR_TLS);
  pair_clear (&pair);
}

static void
test_truncated (gconstpointer data)
{
  const TlsCase *c = data;
  g_autoptr (GError) timeout = g_error_new_literal (XTLS_ERROR, XTLS_ERROR_TIMEOUT, "deadline");
  Pair pair;

  pair_init (&pair, c);
  xtls_tls_channel_start (pair.server.channel);
  xtls_tls_channel_start (pair.client.channel);
  g_assert_true (forward (&pair, &pair.client, &pair.server));
  drop (&pair.server); /* the server's flight is lost */
  g_assert_cmpint (xtls_tls_channel_get_state (pair.client.channel), ==,
                   XTLS_TLS_STATE_HANDSHAKING);

  xtls_tls_channel_abort (pair.client.channel, timeout);
  assert_failed (&pair.client, XTLS_ERROR_TIMEOUT);
  g_assert_cmpstr (pair.client.closed_error->message, ==, "deadline");
  g_assert_cmpuint (g_queue_get_length (&pair.client.outbox), ==, 1); /* the alert */
  xtls_tls_channel_abort (pair.client.channel, timeout);
  g_assert_cmpuint (pair.client.closed_count, ==, 1);

  /* The server fails on the alert too: TLS 1.2 reads it as internal_error; a TLS 1.3 server
   * that already switched to handshake keys fails to decrypt the plaintext alert. */
  g_assert_true (forward (&pair, &pair.client, &pair.server));
  assert_failed (&pair.server, XTLS_ERROR_TLS);
  g_test_message ("%s: server after the client's abort: %s", c->name,
                  pair.server.closed_error->message);
  pair_clear (&pair);
}

/* send() before the handshake is refused; abort() before start() sends nothing; close()
 * during the handshake cancels it. */
static void
test_misuse (void)
{
  g_autoptr (GError) error = NULL;
  Pair pair;

  pair_init (&pair, &cases[0]);
  xtls_tls_channel_start (pair.client.channel);
  g_assert_false (xtls_tls_channel_send (pair.client.channel, (const guint8 *)"x", 1, &error));
  g_assert_error (error, XTLS_ERROR, XTLS_ERROR_FAILED);
  g_assert_cmpuint (pair.client.closed_count, ==, 0);

  xtls_tls_channel_abort (pair.server.channel, NULL);
  assert_failed (&pair.server, XTLS_ERROR_FAILED);
  g_assert_true (g_queue_is_empty (&pair.server.outbox));
  g_assert_null (xtls_tls_channel_get_protocol_name (pair.server.channel));
  pair_clear (&pair);

  /* close() during the handshake cancels it: the peer fails, later input is ignored. */
  pair_init (&pair, &cases[0]);
  xtls_tls_channel_start (pair.server.channel);
  xtls_tls_channel_start (pair.client.channel);
  forward (&pair, &pair.client, &pair.server);
  xtls_tls_channel_close (pair.client.channel);
  g_assert_cmpint (xtls_tls_channel_get_state (pair.client.channel), ==, XTLS_TLS_STATE_CLOSED);
  pump (&pair);
  assert_failed (&pair.server, XTLS_ERROR_TLS);
  g_assert_cmpuint (pair.client.closed_count + pair.client.established_count, ==, 0);
  pair_clear (&pair);
}

/* x509: the certificate in the handshake is not the announced one. @server_checks selects the
 * side that expects Mallory's fingerprint. */
static void
run_mismatch (const TlsCase *c, gboolean server_checks)
{
  XtlsTlsConfig client = make_config (c, XTLS_TLS_ROLE_CLIENT);
  XtlsTlsConfig server = make_config (c, XTLS_TLS_ROLE_SERVER);
  Side *checker, *other;
  Pair pair;

  if (server_checks)
    server.peer_fingerprint = xtls_identity_get_fingerprint (mallory_id);
  else
    client.peer_fingerprint = xtls_identity_get_fingerprint (mallory_id);
  pair_init_with (&pair, &client, &server);
  checker = server_checks ? &pair.server : &pair.client;
  other = server_checks ? &pair.client : &pair.server;

  start_and_pump (&pair);
  assert_failed (checker, XTLS_ERROR_CERT_MISMATCH);
  g_assert_cmpstr (checker->closed_error->message, ==,
                   "the certificate differs from the announced fingerprint");
  g_assert_cmpuint (checker->established_count, ==, 0);
  g_assert_null (xtls_tls_channel_get_peer_certificate (checker->channel));
  /* The other side hears the alert. Only the TLS 1.3 client had finished its half. */
  assert_failed (other, XTLS_ERROR_TLS);
  g_test_message ("%s: the %s saw: %s", c->name, server_checks ? "client" : "server",
                  other->closed_error->message);
  g_assert_cmpuint (other->established_count, ==,
                    server_checks && c->version == XTLS_TLS_VERSION_ANY ? 1 : 0);
  pair_clear (&pair);
}

static void
test_mismatch (gconstpointer data)
{
  run_mismatch (data, FALSE);
  run_mismatch (data, TRUE);
}

/* A raw GnuTLS client without any certificate, talking to our server: its push feeds the
 * server directly, its pull reads what the server sent. */
typedef struct
{
  gnutls_session_t session;
  Side *server;
  GByteArray *in;
} RawClient;

static ssize_t
raw_pull (gnutls_transport_ptr_t ptr, void *buf, size_t size)
{
  RawClient *raw = ptr;
  GBytes *bytes;
  gsize n;

  while ((bytes = g_queue_pop_head (&raw->server->outbox)) != NULL)
    {
      g_byte_array_append (raw->in, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_bytes_unref (bytes);
    }
  n = MIN (size, raw->in->len);
  if (n == 0)
    {
      gnutls_transport_set_errno (raw->session, EAGAIN);
      return -1;
    }
  memcpy (buf, raw->in->data, n);
  g_byte_array_remove_range (raw->in, 0, (guint)n);
  return (ssize_t)n;
}

static ssize_t
raw_push (gnutls_transport_ptr_t ptr, const void *data, size_t size)
{
  RawClient *raw = ptr;

  xtls_tls_channel_receive (raw->server->channel, data, size);
  return (ssize_t)size;
}

static void
test_no_client_cert (gconstpointer data)
{
  const TlsCase *c = data;
  XtlsTlsConfig config = make_config (c, XTLS_TLS_ROLE_SERVER);
  Pair pair = { 0 };
  RawClient raw = { NULL, &pair.server, g_byte_array_new () };
  gnutls_certificate_credentials_t cred;
  int ret = GNUTLS_E_AGAIN;
  guint8 buf[64];

  side_init (&pair, &pair.server, &config);
  xtls_tls_channel_start (pair.server.channel);
  g_assert_cmpint (gnutls_certificate_allocate_credentials (&cred), ==, 0);
  g_assert_cmpint (gnutls_init (&raw.session, GNUTLS_CLIENT | GNUTLS_NONBLOCK), ==, 0);
  g_assert_cmpint (gnutls_credentials_set (raw.session, GNUTLS_CRD_CERTIFICATE, cred), ==, 0);
  g_assert_cmpint (
      gnutls_priority_set_direct (
          raw.session, c->version == V_12 ? "NORMAL:-VERS-ALL:+VERS-TLS1.2" : "NORMAL", NULL),
      ==, 0);
  gnutls_transport_set_ptr (raw.session, &raw);
  gnutls_transport_set_push_function (raw.session, raw_push);
  gnutls_transport_set_pull_function (raw.session, raw_pull);

  for (guint round = 0; round < 10 && ret == GNUTLS_E_AGAIN; round++)
    ret = gnutls_handshake (raw.session);
  assert_failed (&pair.server, XTLS_ERROR_TLS);
  g_assert_cmpuint (pair.server.established_count, ==, 0);
  /* The client is told why (an alert), whether or not it had finished its half (TLS 1.3). */
  if (ret == 0)
    ret = (int)gnutls_record_recv (raw.session, buf, sizeof buf);
  g_assert_cmpint (ret, ==, GNUTLS_E_FATAL_ALERT_RECEIVED);
  g_test_message ("%s: server error \"%s\", client got alert %s", c->name,
                  pair.server.closed_error->message,
                  gnutls_alert_get_name (gnutls_alert_get (raw.session)));

  gnutls_deinit (raw.session);
  gnutls_certificate_free_credentials (cred);
  g_byte_array_unref (raw.in);
  side_clear (&pair.server);
}

typedef struct
{
  const char *name;
  const char *username; /* the client's; the server expects SRP_USER */
  const char *password; /* the client's; the server has SRP_PASSWORD */
  XtlsError error;      /* both sides' error, or 0 for success */
} SrpCase;

static const SrpCase srp_cases[] = {
  { "username/bare-jid", SRP_USER, SRP_PASSWORD, 0 },
  { "username/full-jid", SRP_USER "/orchard", SRP_PASSWORD, 0 },
  { "username/other-jid", "juliet@capulet.lit", SRP_PASSWORD, XTLS_ERROR_TLS },
  { "username/empty-resource", SRP_USER "/", SRP_PASSWORD, XTLS_ERROR_TLS },
  { "username/longer-domain", SRP_USER "x", SRP_PASSWORD, XTLS_ERROR_TLS },
  { "username/prefix", "romeo@montague", SRP_PASSWORD, XTLS_ERROR_TLS },
  /* Only the server can tell (RFC 5054 §2.6); the client learns it from bad_record_mac. */
  { "wrong-password", SRP_USER, SRP_PASSWORD "!", XTLS_ERROR_BAD_PASSWORD },
  { "wrong-password-full-jid", SRP_USER "/orchard", "", XTLS_ERROR_BAD_PASSWORD },
};

static void
test_srp (gconstpointer data)
{
  const SrpCase *u = data;
  XtlsTlsConfig client = make_config (&cases[2], XTLS_TLS_ROLE_CLIENT);
  XtlsTlsConfig server = make_config (&cases[2], XTLS_TLS_ROLE_SERVER);
  Pair pair;

  client.srp_username = u->username;
  client.srp_password = u->password;
  pair_init_with (&pair, &client, &server);
  start_and_pump (&pair);
  if (u->error == 0)
    {
      assert_established (&pair.client);
      assert_established (&pair.server);
    }
  else
    {
      assert_failed (&pair.server, u->error);
      assert_failed (&pair.client, u->error);
      g_assert_cmpuint (pair.client.established_count + pair.server.established_count, ==, 0);
    }
  pair_clear (&pair);
}

static const struct
{
  const char *name;
  GTestDataFunc func;
  gboolean x509_only;
  gboolean all_cases; /* also the P-256 configurations */
} per_case_tests[] = {
  { "handshake", test_handshake, FALSE, TRUE },
  { "data-and-reentrancy", test_data },
  { "split-1-byte", test_split },
  { "close-notify", test_close_notify },
  { "garbage-hello", test_garbage_hello },
  { "garbage-record", test_garbage_record },
  { "truncated-abort", test_truncated },
  { "cert-mismatch", test_mismatch, TRUE },
  { "no-client-cert", test_no_client_cert, TRUE },
};

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  for (guint k = 0; k < 2; k++)
    {
      XtlsKeyType type = k == 0 ? XTLS_KEY_ED25519 : XTLS_KEY_ECDSA_P256;
      client_ids[k] = xtls_identity_generate (type, "romeo@montague.lit", &error);
      g_assert_no_error (error);
      server_ids[k] = xtls_identity_generate (type, "juliet@capulet.lit", &error);
      g_assert_no_error (error);
    }
  mallory_id = xtls_identity_generate (XTLS_KEY_ED25519, "juliet@capulet.lit", &error);
  g_assert_no_error (error);

  for (gsize t = 0; t < G_N_ELEMENTS (per_case_tests); t++)
    for (gsize i = 0; i < (per_case_tests[t].all_cases ? G_N_ELEMENTS (cases) : N_MAIN_CASES); i++)
      {
        g_autofree char *path = NULL;

        if (per_case_tests[t].x509_only && cases[i].method != XTLS_METHOD_X509)
          continue;
        path = g_strdup_printf ("/tls-channel/%s/%s", cases[i].name, per_case_tests[t].name);
        g_test_add_data_func (path, &cases[i], per_case_tests[t].func);
      }
  for (gsize i = 0; i < G_N_ELEMENTS (srp_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/tls-channel/srp-tls12/%s", srp_cases[i].name);
      g_test_add_data_func (path, &srp_cases[i], test_srp);
    }
  g_test_add_func ("/tls-channel/misuse", test_misuse);

  ret = g_test_run ();

  for (guint k = 0; k < 2; k++)
    {
      xtls_identity_unref (client_ids[k]);
      xtls_identity_unref (server_ids[k]);
    }
  xtls_identity_unref (mallory_id);
  return ret;
}
