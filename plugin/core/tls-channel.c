/* TLS over an abstract byte transport (PROTOCOL.md §4).
 *
 * GnuTLS runs non-blocking over two in-memory buffers: the pull function reads ciphertext that
 * xtls_tls_channel_receive() appended and reports EAGAIN when it runs dry; the push function
 * appends to an output buffer that is handed to ops->send after every GnuTLS call, so a whole
 * handshake flight leaves as one send. Everything runs inside the caller's calls: no threads,
 * no sockets, no timers (the session bounds the handshake with its own clock). */
#include "tls-channel.h"

#include <errno.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "identity-private.h"
#include "xtls-error.h"

/* x509: TLS 1.3 preferred, 1.2 allowed; ECDHE and AEAD ciphers only (PROTOCOL.md §4). The KX
 * list only matters for 1.2 (RFC 8446 §4.2.7 negotiates groups instead); ECDHE-ECDSA also
 * covers Ed25519 certificates in 1.2 (RFC 8422 §2.1). The middlebox compatibility mode of
 * RFC 8446 Appendix D.4 is off: there is no middlebox inside IBB, and its dummy
 * change_cipher_spec records would only cost bytes on a base64 transport. */
#define PRIORITY_X509_BASE                                                                         \
  "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-CIPHER-ALL:+AES-256-GCM:"        \
  "+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD"
#define PRIORITY_X509 PRIORITY_X509_BASE ":+VERS-TLS1.3:%DISABLE_TLS13_COMPAT_MODE"
#define PRIORITY_X509_TLS12 PRIORITY_X509_BASE
/* SRP exists for TLS 1.2 only (RFC 5054 predates 1.3) and GnuTLS offers it with CBC + HMAC-SHA1
 * only (RFC 5054 §2.7); 3DES is left out. */
#define PRIORITY_SRP                                                                               \
  "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+SRP:-CIPHER-ALL:+AES-256-CBC:+AES-128-CBC:-MAC-ALL:"     \
  "+SHA1"

/* The largest TLS plaintext record (RFC 8446 §5.1, RFC 5246 §6.2.1). */
#define RECORD_MAX 16384
/* RFC 5054 §2.4 leaves the salt length open; 16 random bytes make precomputation useless. */
#define SRP_SALT_LEN 16

#define CHANNEL_DEBUG(self, fmt, ...)                                                              \
  g_debug ("tls[%p %s %s]: " fmt, (void *)(self),                                                  \
           (self)->role == XTLS_TLS_ROLE_CLIENT ? "client" : "server",                             \
           xtls_tls_channel_state_to_string ((self)->state), ##__VA_ARGS__)

struct _XtlsTlsChannel
{
  XtlsTlsRole role;
  XtlsMethod method;
  XtlsTlsVersionLimit version;
  XtlsTlsState state;
  XtlsTlsChannelOps ops;
  gpointer user_data;

  XtlsIdentity *identity; /* owned ref; x509 only */
  char *peer_fingerprint; /* owned; x509 only */
  XtlsHashAlgo peer_fingerprint_algo;
  char *srp_username; /* owned; srp only */
  char *srp_password; /* owned, wiped on free; srp only */

  gnutls_session_t session;                        /* owned */
  gnutls_certificate_credentials_t x509_cred;      /* owned */
  gnutls_srp_client_credentials_t srp_client_cred; /* owned */
  gnutls_srp_server_credentials_t srp_server_cred; /* owned */

  GByteArray *input; /* owned: ciphertext not yet pulled by GnuTLS, from input_pos on */
  gsize input_pos;
  GByteArray *output; /* owned: ciphertext pushed by GnuTLS, not yet given to ops->send */

  GBytes *peer_cert;    /* owned: the peer's DER certificate, once it matched */
  GError *verify_error; /* owned: the real cause when a GnuTLS callback refused the peer */
  gboolean srp_unknown_user;
  gboolean handshake_done;
  gboolean write_closed; /* our close_notify is out, or nothing was ever sent */
  gboolean reported;     /* ops->closed has been called */
  gboolean processing;   /* inside process(): a nested receive() only queues its input */
};

const char *
xtls_tls_channel_state_to_string (XtlsTlsState state)
{
  switch (state)
    {
      case XTLS_TLS_STATE_IDLE:
        return "idle";
      case XTLS_TLS_STATE_HANDSHAKING:
        return "handshaking";
      case XTLS_TLS_STATE_ESTABLISHED:
        return "established";
      case XTLS_TLS_STATE_CLOSED:
        return "closed";
      case XTLS_TLS_STATE_FAILED:
        return "failed";
    }
  return "invalid";
}

#define BIT(state) (1u << (state))

/* The successors each state may move to; set_state() asserts them. */
static const guint allowed_next[] = {
  /* CLOSED: close() before start(); FAILED: abort() before start(). */
  [XTLS_TLS_STATE_IDLE]
  = BIT (XTLS_TLS_STATE_HANDSHAKING) | BIT (XTLS_TLS_STATE_CLOSED) | BIT (XTLS_TLS_STATE_FAILED),
  /* CLOSED: we cancelled the handshake (RFC 8446 §6.1 user_canceled + close_notify). */
  [XTLS_TLS_STATE_HANDSHAKING]
  = BIT (XTLS_TLS_STATE_ESTABLISHED) | BIT (XTLS_TLS_STATE_CLOSED) | BIT (XTLS_TLS_STATE_FAILED),
  [XTLS_TLS_STATE_ESTABLISHED] = BIT (XTLS_TLS_STATE_CLOSED) | BIT (XTLS_TLS_STATE_FAILED),
  /* Our close_notify is out, the peer's is not in yet: each direction closes on its own
   * (RFC 8446 §6.1), so a later error still fails the channel. */
  [XTLS_TLS_STATE_CLOSED] = BIT (XTLS_TLS_STATE_FAILED),
  [XTLS_TLS_STATE_FAILED] = 0,
};

static void
set_state (XtlsTlsChannel *self, XtlsTlsState state)
{
  CHANNEL_DEBUG (self, "%s -> %s", xtls_tls_channel_state_to_string (self->state),
                 xtls_tls_channel_state_to_string (state));
  g_assert (allowed_next[self->state] & BIT (state));
  self->state = state;
}

/* The one place that turns GnuTLS codes into GErrors (glib-networking's end_gnutls_io).
 * @alert is the alert that came with GNUTLS_E_*_ALERT_RECEIVED, or -1 if unknown. */
static void
set_error_from_gnutls_alert (GError **error, int gnutls_code, int alert, XtlsMethod method,
                             gboolean handshaking, const char *context)
{
  if (method == XTLS_METHOD_SRP && handshaking
      && (gnutls_code == GNUTLS_E_DECRYPTION_FAILED
          || (gnutls_code == GNUTLS_E_FATAL_ALERT_RECEIVED && alert == GNUTLS_A_BAD_RECORD_MAC)))
    {
      /* With a wrong password the premaster secrets differ (RFC 5054 §2.6), so the server
       * cannot decrypt the client's Finished and answers bad_record_mac (RFC 5246 §7.2.2);
       * the client only ever sees that alert. Nothing else in an SRP handshake decrypts. */
      g_set_error (error, XTLS_ERROR, XTLS_ERROR_BAD_PASSWORD, "%s: the SRP passwords differ",
                   context);
      return;
    }
  if ((gnutls_code == GNUTLS_E_FATAL_ALERT_RECEIVED
       || gnutls_code == GNUTLS_E_WARNING_ALERT_RECEIVED)
      && alert >= 0)
    {
      const char *name = gnutls_alert_get_name ((gnutls_alert_description_t)alert);
      g_set_error (error, XTLS_ERROR, XTLS_ERROR_TLS, "%s: the peer sent the alert %s", context,
                   name != NULL ? name : "(unknown)");
      return;
    }
  g_set_error (error, XTLS_ERROR, XTLS_ERROR_TLS, "%s: %s", context, gnutls_strerror (gnutls_code));
}

void
xtls_tls_set_error_from_gnutls (GError **error, int gnutls_code, XtlsMethod method,
                                gboolean handshaking, const char *context)
{
  set_error_from_gnutls_alert (error, gnutls_code, -1, method, handshaking, context);
}

static ssize_t
pull_func (gnutls_transport_ptr_t ptr, void *buf, size_t size)
{
  XtlsTlsChannel *self = ptr;
  gsize avail = self->input->len - self->input_pos;
  gsize n;

  if (avail == 0)
    {
      /* "No data yet", not end of stream: GnuTLS keeps its state and returns
       * GNUTLS_E_AGAIN, and the next receive() resumes where it stopped. */
      gnutls_transport_set_errno (self->session, EAGAIN);
      return -1;
    }
  n = MIN (avail, size);
  memcpy (buf, self->input->data + self->input_pos, n);
  self->input_pos += n;
  if (self->input_pos == self->input->len)
    {
      g_byte_array_set_size (self->input, 0);
      self->input_pos = 0;
    }
  return (ssize_t)n;
}

static ssize_t
push_func (gnutls_transport_ptr_t ptr, const void *data, size_t size)
{
  XtlsTlsChannel *self = ptr;

  g_byte_array_append (self->output, data, (guint)size);
  return (ssize_t)size;
}

static gboolean
input_pending (XtlsTlsChannel *self)
{
  return self->input->len > self->input_pos;
}

/* Hands everything GnuTLS wrote to the transport. The buffer is swapped out first, so a
 * nested call from inside ops->send appends to a fresh one and order is kept. */
static void
flush_output (XtlsTlsChannel *self)
{
  while (self->output->len > 0)
    {
      g_autoptr (GByteArray) out = self->output;

      self->output = g_byte_array_new ();
      self->ops.send (self, out->data, out->len, self->user_data);
    }
}

/* Ends the channel in @state with @error (taken; NULL for a clean close). Callers return right
 * after: ops->closed is the last thing that touches the caller's world. */
static void
finish (XtlsTlsChannel *self, XtlsTlsState state, GError *error)
{
  CHANNEL_DEBUG (self, "ended: %s", error != NULL ? error->message : "close_notify received");
  if (self->state != state)
    set_state (self, state);
  self->reported = TRUE;
  /* Our alert or close_notify goes out before the caller hears of the end and tears the
   * transport down. */
  flush_output (self);
  self->ops.closed (self, error, self->user_data);
  g_clear_error (&error);
}

/* A GnuTLS call failed fatally with @code. GnuTLS itself sends an alert for almost no error
 * (RFC 8446 §6.2 and RFC 5246 §7.2.2 want one), so it is sent here, then the failure is
 * reported. Stores a copy of the error in @out_error if given. */
static void
fail_from_gnutls (XtlsTlsChannel *self, int code, const char *context, GError **out_error)
{
  gboolean handshaking = self->state == XTLS_TLS_STATE_HANDSHAKING;
  GError *error = NULL;
  int alert = -1;

  if (code == GNUTLS_E_FATAL_ALERT_RECEIVED || code == GNUTLS_E_WARNING_ALERT_RECEIVED)
    alert = (int)gnutls_alert_get (self->session);

  if (self->verify_error != NULL)
    error = g_steal_pointer (&self->verify_error); /* the real cause, not "certificate error" */
  else if (self->srp_unknown_user)
    error = g_error_new (XTLS_ERROR, XTLS_ERROR_TLS, "%s: the peer used an unknown SRP username",
                         context);
  else
    set_error_from_gnutls_alert (&error, code, alert, self->method, handshaking, context);

  if (self->srp_unknown_user)
    /* RFC 5054 §2.5.1.3: a server without a verifier for the name may abort with
     * unknown_psk_identity. Hiding which names exist does not matter here: there is one. */
    gnutls_alert_send (self->session, GNUTLS_AL_FATAL, GNUTLS_A_UNKNOWN_PSK_IDENTITY);
  else if (code == GNUTLS_E_NO_CERTIFICATE_FOUND && self->role == XTLS_TLS_ROLE_SERVER)
    /* TLS 1.2 client without a certificate: RFC 5246 §7.4.6 says handshake_failure (GnuTLS
     * would pick decode_error). TLS 1.3 reports GNUTLS_E_CERTIFICATE_REQUIRED, which maps to
     * certificate_required (RFC 8446 §4.4.2.4). */
    gnutls_alert_send (self->session, GNUTLS_AL_FATAL, GNUTLS_A_HANDSHAKE_FAILURE);
  else if (!self->write_closed)
    /* Skips GNUTLS_E_FATAL_ALERT_RECEIVED: one does not answer a fatal alert. Alerts go out
     * even after GnuTLS invalidated the session, e.g. bad_record_mac after a failed decrypt. */
    gnutls_alert_send_appropriate (self->session, code);

  if (out_error != NULL)
    *out_error = g_error_copy (error);
  finish (self, XTLS_TLS_STATE_FAILED, error);
}

/* The peer's close_notify arrived (RFC 8446 §6.1, RFC 5246 §7.2.1). */
static void
peer_closed (XtlsTlsChannel *self)
{
  /* RFC 5246 §7.2.1 requires answering with our own close_notify; in 1.3 it is merely polite,
   * and either way nothing else will be written. */
  if (!self->write_closed)
    gnutls_bye (self->session, GNUTLS_SHUT_WR);
  self->write_closed = TRUE;
  finish (self, XTLS_TLS_STATE_CLOSED, NULL);
}

/* One gnutls_handshake() call. Returns TRUE if processing should go on. */
static gboolean
handshake_step (XtlsTlsChannel *self)
{
  int ret = gnutls_handshake (self->session);

  flush_output (self);
  if (self->state != XTLS_TLS_STATE_HANDSHAKING)
    return FALSE; /* ops->send aborted or closed us */

  if (ret == GNUTLS_E_SUCCESS)
    {
      self->handshake_done = TRUE;
      set_state (self, XTLS_TLS_STATE_ESTABLISHED);
      CHANNEL_DEBUG (self, "%s with %s",
                     gnutls_protocol_get_name (gnutls_protocol_get_version (self->session)),
                     gnutls_cipher_get_name (gnutls_cipher_get (self->session)));
      self->ops.established (self, self->user_data);
      /* Records that came in the same flight (e.g. data behind the client's Finished) are
       * already buffered inside GnuTLS: keep reading. */
      return TRUE;
    }
  if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
    return input_pending (self);
  /* A user_canceled or close_notify during the handshake abandons it (RFC 8446 §6.1); other
   * warnings (TLS 1.2 only) are ignored as RFC 5246 §7.2 allows. */
  if (ret == GNUTLS_E_WARNING_ALERT_RECEIVED
      && gnutls_alert_get (self->session) != GNUTLS_A_USER_CANCELED
      && gnutls_alert_get (self->session) != GNUTLS_A_CLOSE_NOTIFY)
    return TRUE;
  fail_from_gnutls (self, ret, "TLS handshake failed", NULL);
  return FALSE;
}

/* One gnutls_record_recv() call. Returns TRUE if processing should go on. */
static gboolean
read_step (XtlsTlsChannel *self)
{
  guint8 buf[RECORD_MAX];
  ssize_t n = gnutls_record_recv (self->session, buf, sizeof buf);

  /* Post-handshake messages (a KeyUpdate, RFC 8446 §4.6.3) may need an answer. */
  flush_output (self);
  if (self->reported || self->state == XTLS_TLS_STATE_FAILED)
    return FALSE;

  if (n > 0)
    {
      self->ops.receive (self, buf, (gsize)n, self->user_data);
      return TRUE;
    }
  if (n == 0)
    {
      peer_closed (self);
      return FALSE;
    }
  if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
    return input_pending (self);
  if (!gnutls_error_is_fatal ((int)n))
    {
      CHANNEL_DEBUG (self, "ignoring: %s", gnutls_strerror ((int)n));
      /* Renegotiation is never wanted: decline it (RFC 5246 §7.4.1.1, no_renegotiation). */
      if (n == GNUTLS_E_REHANDSHAKE)
        gnutls_alert_send_appropriate (self->session, (int)n);
      flush_output (self);
      return TRUE;
    }
  fail_from_gnutls (self, (int)n, "TLS connection failed", NULL);
  return FALSE;
}

/* Runs GnuTLS over the buffered input until it needs more. Nested calls (a callback that feeds
 * more input) only append; the outer loop picks the bytes up. */
static void
process (XtlsTlsChannel *self)
{
  gboolean go_on = TRUE;

  if (self->processing)
    return;
  self->processing = TRUE;
  while (go_on)
    {
      switch (self->state)
        {
          case XTLS_TLS_STATE_HANDSHAKING:
            go_on = handshake_step (self);
            break;
          case XTLS_TLS_STATE_ESTABLISHED:
            go_on = read_step (self);
            break;
          case XTLS_TLS_STATE_CLOSED:
            /* After our close_notify we still read until the peer's arrives (RFC 8446 §6.1);
             * a handshake we cancelled has no records to read. */
            go_on = self->handshake_done && !self->reported && read_step (self);
            break;
          case XTLS_TLS_STATE_IDLE:
          case XTLS_TLS_STATE_FAILED:
            go_on = FALSE;
            break;
        }
    }
  self->processing = FALSE;
}

/* Runs during the handshake (RFC 8446 §4.4.2.4, RFC 5246 §7.4.2/§7.4.6): the pinned
 * fingerprint is the only trust anchor, so there is no chain, CA, name or date validation. The
 * peer's signature over the handshake (CertificateVerify) is checked by GnuTLS. */
static int
verify_peer (gnutls_session_t session)
{
  XtlsTlsChannel *self = gnutls_session_get_ptr (session);
  unsigned int n = 0;
  const gnutls_datum_t *certs = gnutls_certificate_get_peers (session, &n);

  if (gnutls_certificate_type_get2 (session, GNUTLS_CTYPE_PEERS) != GNUTLS_CRT_X509 || certs == NULL
      || n == 0)
    {
      g_set_error_literal (&self->verify_error, XTLS_ERROR, XTLS_ERROR_TLS,
                           "The peer presented no X.509 certificate");
      return -1;
    }
  /* Only the end-entity certificate counts; anything the peer chains behind it is ignored. */
  if (!xtls_fingerprint_matches (self->peer_fingerprint_algo, self->peer_fingerprint, certs[0].data,
                                 certs[0].size))
    {
      g_set_error_literal (&self->verify_error, XTLS_ERROR, XTLS_ERROR_CERT_MISMATCH,
                           "the certificate differs from the announced fingerprint");
      return -1;
    }
  g_clear_pointer (&self->peer_cert, g_bytes_unref);
  self->peer_cert = g_bytes_new (certs[0].data, certs[0].size);
  CHANNEL_DEBUG (self, "peer certificate matches the pinned fingerprint");
  return 0;
}

/* PROTOCOL.md §4: the username is the initiator's bare JID; its full JID is accepted too. */
static gboolean
srp_username_acceptable (XtlsTlsChannel *self, const char *username)
{
  gsize len = strlen (self->srp_username);

  if (strcmp (username, self->srp_username) == 0)
    return TRUE;
  return strncmp (username, self->srp_username, len) == 0 && username[len] == '/'
         && username[len + 1] != '\0';
}

/* The server's verifier lookup (RFC 5054 §2.5.3), computed on the fly from the shared password
 * with a fresh salt (RFC 5054 §2.4): there is no stored password file. The verifier must use
 * the username the client sent, as the client derives x from it. GnuTLS frees salt and verifier;
 * it recognises its own static group parameters and leaves them alone. */
static int
srp_server_credentials (gnutls_session_t session, const char *username, gnutls_datum_t *salt,
                        gnutls_datum_t *verifier, gnutls_datum_t *generator, gnutls_datum_t *prime)
{
  XtlsTlsChannel *self = gnutls_session_get_ptr (session);

  if (!srp_username_acceptable (self, username))
    {
      self->srp_unknown_user = TRUE;
      return -1;
    }

  salt->data = gnutls_malloc (SRP_SALT_LEN);
  if (salt->data == NULL)
    return -1;
  salt->size = SRP_SALT_LEN;
  if (gnutls_rnd (GNUTLS_RND_NONCE, salt->data, salt->size) < 0)
    return -1;
  /* The 2048-bit group of RFC 5054 Appendix A. */
  *generator = gnutls_srp_2048_group_generator;
  *prime = gnutls_srp_2048_group_prime;
  return gnutls_srp_verifier (username, self->srp_password, salt, generator, prime, verifier) < 0
             ? -1
             : 0;
}

static int
setup_x509 (XtlsTlsChannel *self)
{
  gnutls_x509_crt_t crt = xtls_identity_get_gnutls_crt (self->identity);
  int ret;

  if ((ret = gnutls_certificate_allocate_credentials (&self->x509_cred)) < 0
      || (ret = gnutls_certificate_set_x509_key (self->x509_cred, &crt, 1,
                                                 xtls_identity_get_gnutls_key (self->identity)))
             < 0
      || (ret = gnutls_credentials_set (self->session, GNUTLS_CRD_CERTIFICATE, self->x509_cred))
             < 0)
    return ret;
  gnutls_session_set_verify_function (self->session, verify_peer);
  /* Mutual authentication: the responder requires the initiator's certificate
   * (RFC 8446 §4.3.2, RFC 5246 §7.4.4); without one the handshake fails. */
  if (self->role == XTLS_TLS_ROLE_SERVER)
    gnutls_certificate_server_set_request (self->session, GNUTLS_CERT_REQUIRE);
  return gnutls_priority_set_direct (
      self->session, self->version == XTLS_TLS_VERSION_1_2 ? PRIORITY_X509_TLS12 : PRIORITY_X509,
      NULL);
}

static int
setup_srp (XtlsTlsChannel *self)
{
  int ret;

  if (self->role == XTLS_TLS_ROLE_CLIENT)
    {
      if ((ret = gnutls_srp_allocate_client_credentials (&self->srp_client_cred)) < 0
          || (ret = gnutls_srp_set_client_credentials (self->srp_client_cred, self->srp_username,
                                                       self->srp_password))
                 < 0
          || (ret = gnutls_credentials_set (self->session, GNUTLS_CRD_SRP, self->srp_client_cred))
                 < 0)
        return ret;
    }
  else
    {
      if ((ret = gnutls_srp_allocate_server_credentials (&self->srp_server_cred)) < 0)
        return ret;
      gnutls_srp_set_server_credentials_function (self->srp_server_cred, srp_server_credentials);
      if ((ret = gnutls_credentials_set (self->session, GNUTLS_CRD_SRP, self->srp_server_cred)) < 0)
        return ret;
    }
  return gnutls_priority_set_direct (self->session, PRIORITY_SRP, NULL);
}

XtlsTlsChannel *
xtls_tls_channel_new (const XtlsTlsConfig *config, const XtlsTlsChannelOps *ops, gpointer user_data,
                      GError **error)
{
  XtlsTlsChannel *self;
  unsigned int flags;
  int ret;

  g_return_val_if_fail (ops != NULL && ops->send != NULL && ops->established != NULL
                            && ops->receive != NULL && ops->closed != NULL,
                        NULL);
  g_return_val_if_fail (
      config != NULL
          && ((config->method == XTLS_METHOD_X509 && config->identity != NULL
               && config->peer_fingerprint != NULL)
              || (config->method == XTLS_METHOD_SRP && config->srp_username != NULL
                  && config->srp_password != NULL)),
      NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (XtlsTlsChannel, 1);
  self->role = config->role;
  self->method = config->method;
  self->version = config->version;
  self->state = XTLS_TLS_STATE_IDLE;
  self->ops = *ops;
  self->user_data = user_data;
  self->input = g_byte_array_new ();
  self->output = g_byte_array_new ();
  if (config->method == XTLS_METHOD_X509)
    {
      self->identity = xtls_identity_ref (config->identity);
      self->peer_fingerprint = g_ascii_strdown (config->peer_fingerprint, -1);
      self->peer_fingerprint_algo = config->peer_fingerprint_algo;
    }
  else
    {
      self->srp_username = g_strdup (config->srp_username);
      self->srp_password = g_strdup (config->srp_password);
    }

  /* NO_TICKETS: no resumption is ever used, and a TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1)
   * would add a leg after the handshake. */
  flags = (config->role == XTLS_TLS_ROLE_CLIENT ? GNUTLS_CLIENT : GNUTLS_SERVER) | GNUTLS_NONBLOCK
          | GNUTLS_NO_TICKETS;
  ret = gnutls_init (&self->session, flags);
  if (ret == GNUTLS_E_SUCCESS)
    {
      gnutls_session_set_ptr (self->session, self);
      gnutls_transport_set_ptr (self->session, self);
      gnutls_transport_set_push_function (self->session, push_func);
      gnutls_transport_set_pull_function (self->session, pull_func);
      ret = config->method == XTLS_METHOD_X509 ? setup_x509 (self) : setup_srp (self);
    }
  if (ret < 0)
    {
      g_set_error (error, XTLS_ERROR, XTLS_ERROR_TLS, "Could not set up TLS: %s",
                   gnutls_strerror (ret));
      xtls_tls_channel_free (self);
      return NULL;
    }
  return self;
}

void
xtls_tls_channel_free (XtlsTlsChannel *self)
{
  if (self == NULL)
    return;
  g_return_if_fail (!self->processing);

  if (self->session != NULL)
    gnutls_deinit (self->session);
  if (self->x509_cred != NULL)
    gnutls_certificate_free_credentials (self->x509_cred);
  if (self->srp_client_cred != NULL)
    gnutls_srp_free_client_credentials (self->srp_client_cred);
  if (self->srp_server_cred != NULL)
    gnutls_srp_free_server_credentials (self->srp_server_cred);
  g_clear_pointer (&self->identity, xtls_identity_unref);
  g_free (self->peer_fingerprint);
  g_free (self->srp_username);
  if (self->srp_password != NULL)
    {
      gnutls_memset (self->srp_password, 0, strlen (self->srp_password));
      g_free (self->srp_password);
    }
  g_byte_array_unref (self->input);
  g_byte_array_unref (self->output);
  g_clear_pointer (&self->peer_cert, g_bytes_unref);
  g_clear_error (&self->verify_error);
  g_free (self);
}

void
xtls_tls_channel_start (XtlsTlsChannel *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->state == XTLS_TLS_STATE_IDLE);

  set_state (self, XTLS_TLS_STATE_HANDSHAKING);
  /* The client's first call writes the ClientHello; the server's returns EAGAIN at once
   * unless input arrived before start(). */
  process (self);
}

void
xtls_tls_channel_receive (XtlsTlsChannel *self, const guint8 *data, gsize len)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);

  /* Once the channel has ended (or we cancelled the handshake) late bytes mean nothing. */
  if (self->reported || self->state == XTLS_TLS_STATE_FAILED
      || (self->state == XTLS_TLS_STATE_CLOSED && !self->handshake_done))
    return;
  g_byte_array_append (self->input, data, (guint)len);
  process (self);
}

gboolean
xtls_tls_channel_send (XtlsTlsChannel *self, const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->state != XTLS_TLS_STATE_ESTABLISHED)
    {
      g_set_error (error, XTLS_ERROR, XTLS_ERROR_FAILED,
                   "Cannot send: the TLS channel is %s, not established",
                   xtls_tls_channel_state_to_string (self->state));
      return FALSE;
    }

  while (len > 0)
    {
      /* Our push never blocks, so GnuTLS takes up to one record per call and never asks
       * to be called again with the same data. */
      ssize_t n = gnutls_record_send (self->session, data, len);

      if (n < 0)
        {
          fail_from_gnutls (self, (int)n, "Could not send over TLS", error);
          return FALSE;
        }
      data += n;
      len -= (gsize)n;
    }
  flush_output (self);
  return TRUE;
}

void
xtls_tls_channel_close (XtlsTlsChannel *self)
{
  g_return_if_fail (self != NULL);

  switch (self->state)
    {
      case XTLS_TLS_STATE_IDLE:
        self->write_closed = TRUE;
        set_state (self, XTLS_TLS_STATE_CLOSED);
        return;
      case XTLS_TLS_STATE_HANDSHAKING:
        /* RFC 8446 §6.1: user_canceled, then close_notify, abandons a handshake. */
        gnutls_alert_send (self->session, GNUTLS_AL_WARNING, GNUTLS_A_USER_CANCELED);
        gnutls_alert_send (self->session, GNUTLS_AL_WARNING, GNUTLS_A_CLOSE_NOTIFY);
        break;
      case XTLS_TLS_STATE_ESTABLISHED:
        /* SHUT_WR: send close_notify without waiting for the peer's (RFC 8446 §6.1). */
        gnutls_bye (self->session, GNUTLS_SHUT_WR);
        break;
      case XTLS_TLS_STATE_CLOSED:
      case XTLS_TLS_STATE_FAILED:
        return;
    }
  self->write_closed = TRUE;
  set_state (self, XTLS_TLS_STATE_CLOSED);
  flush_output (self);
}

void
xtls_tls_channel_abort (XtlsTlsChannel *self, const GError *error)
{
  g_return_if_fail (self != NULL);

  if (self->reported || self->state == XTLS_TLS_STATE_FAILED)
    return;
  /* Tell the peer unless nothing was sent yet or our close_notify already ended our side.
   * internal_error: the reason (a deadline, a broken lower layer) is not the peer's TLS
   * (RFC 8446 §6.2). */
  if (self->state != XTLS_TLS_STATE_IDLE && !self->write_closed)
    gnutls_alert_send (self->session, GNUTLS_AL_FATAL, GNUTLS_A_INTERNAL_ERROR);
  finish (self, XTLS_TLS_STATE_FAILED,
          error != NULL
              ? g_error_copy (error)
              : g_error_new_literal (XTLS_ERROR, XTLS_ERROR_FAILED, "The TLS channel was aborted"));
}

XtlsTlsState
xtls_tls_channel_get_state (XtlsTlsChannel *self)
{
  g_return_val_if_fail (self != NULL, XTLS_TLS_STATE_FAILED);

  return self->state;
}

GBytes *
xtls_tls_channel_get_peer_certificate (XtlsTlsChannel *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->handshake_done ? self->peer_cert : NULL;
}

const char *
xtls_tls_channel_get_protocol_name (XtlsTlsChannel *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->handshake_done
             ? gnutls_protocol_get_name (gnutls_protocol_get_version (self->session))
             : NULL;
}

const char *
xtls_tls_channel_get_cipher_name (XtlsTlsChannel *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->handshake_done ? gnutls_cipher_get_name (gnutls_cipher_get (self->session)) : NULL;
}
