#include "xtls-error.h"

#include <glib/gi18n-lib.h>

/* clang-format off */
G_DEFINE_QUARK (xtls-error-quark, xtls_error)
/* clang-format on */

const char *
xtls_error_describe (const GError *error)
{
  if (error == NULL)
    /* Translators: this and the sentences below tell the user why a private (end-to-end
     * encrypted) conversation ended or could not start. They are shown alone or after "The
     * private conversation with <contact> failed.". "The other side" is the contact's program. */
    return _ ("The private conversation ended normally.");
  if (error->domain != XTLS_ERROR)
    return _ ("The private conversation failed because of an internal error.");

  switch ((XtlsError)error->code)
    {
      case XTLS_ERROR_FAILED:
        return _ ("The private conversation failed.");
      case XTLS_ERROR_IBB_BAD_REQUEST:
      case XTLS_ERROR_IBB_UNEXPECTED:
      case XTLS_ERROR_IBB_NOT_FOUND:
      case XTLS_ERROR_IBB_REJECTED:
        return _ (
            "The encrypted connection broke: data from the other side arrived damaged or out of "
            "order.");
      case XTLS_ERROR_IBB_CLOSED:
        return _ ("The other side closed the encrypted connection unexpectedly.");
      case XTLS_ERROR_TLS:
        return _ ("The encryption handshake failed: the other side sent data that is not valid "
                  "encryption traffic.");
      case XTLS_ERROR_CERT_MISMATCH:
        return _ (
            "Security warning: the other side used a different key than the one it announced. "
            "Someone may be intercepting the conversation. The session was refused.");
      case XTLS_ERROR_KEY_CHANGED:
        return _ (
            "Security warning: your contact's key has changed since you verified it. This can "
            "mean a new device, or someone intercepting the conversation. The session was "
            "refused. Verify your contact again before you continue.");
      case XTLS_ERROR_BAD_PASSWORD:
        return _ (
            "The shared passwords did not match. Agree on the password again (in person or by "
            "phone) and retry.");
      case XTLS_ERROR_NO_COMMON_METHOD:
        return _ (
            "You and your contact have no way of verifying each other that both of you support.");
      case XTLS_ERROR_NOT_WELL_FORMED:
        return _ (
            "The other side sent broken data inside the encrypted conversation; it was ended.");
      case XTLS_ERROR_RESTRICTED_XML:
        return _ ("The other side sent forbidden content inside the encrypted conversation; it was "
                  "ended.");
      case XTLS_ERROR_POLICY_VIOLATION:
        return _ ("The other side sent a message that is too large or too deeply nested; the "
                  "conversation was ended.");
      case XTLS_ERROR_TIMEOUT:
        return _ ("Your contact stopped answering, so the private conversation was ended.");
      case XTLS_ERROR_PEER_GONE:
        return _ ("Your contact went offline, so the private conversation was ended.");
      case XTLS_ERROR_DECLINED:
        return _ ("Your contact declined or ended the private conversation.");
      case XTLS_ERROR_CANCELLED:
        return _ ("You cancelled the private conversation.");
      case XTLS_ERROR_SECURITY:
        return _ ("Your contact's side refused the session for a security reason (for example a "
                  "wrong password, a changed key, or possible interference).");
      case XTLS_ERROR_PROTOCOL:
        return _ ("Your contact's software sent something this plugin does not understand; the "
                  "session was ended.");
      case XTLS_ERROR_UNSUPPORTED:
        return _ ("Your contact's software does not support XTLS private conversations.");
      case XTLS_ERROR_INTERRUPTED:
        return _ ("It ended unexpectedly, possibly interfered with: the end did not arrive "
                  "through the encrypted connection, so a server may have forged it.");
      case XTLS_ERROR_DOWNGRADE:
        /* Translators: do not translate the command "/xtls forget" */
        return _ ("Someone may be interfering: the other side asked to verify with a password "
                  "although your contact's key is already verified. Nothing was sent. If your "
                  "contact reset their software, type /xtls forget and verify them again.");
      case XTLS_ERROR_BUSY:
        return _ ("Too many private conversations were requested at once; this one was refused.");
      case XTLS_ERROR_NO_DECISION:
        return _ ("The question was not answered within 30 minutes, so the private conversation "
                  "was not started. Start it again when you are ready.");
      case XTLS_ERROR_PEER_GAVE_UP:
        return _ ("Your contact's side stopped waiting for your answer, so the private "
                  "conversation was not started. Start it again when you are both ready.");
      case XTLS_ERROR_CONNECTION_LOST:
        return _ ("The direct connection to your contact was lost before the transfer was "
                  "complete.");
    }
  return _ ("The private conversation failed.");
}
