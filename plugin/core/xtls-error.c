#include "xtls-error.h"

/* clang-format off */
G_DEFINE_QUARK (xtls-error-quark, xtls_error)
/* clang-format on */

const char *
xtls_error_describe (const GError *error)
{
  if (error == NULL)
    return "The private conversation ended normally.";
  if (error->domain != XTLS_ERROR)
    return "The private conversation failed because of an internal error.";

  switch ((XtlsError)error->code)
    {
      case XTLS_ERROR_FAILED:
        return "The private conversation failed.";
      case XTLS_ERROR_IBB_BAD_REQUEST:
      case XTLS_ERROR_IBB_UNEXPECTED:
      case XTLS_ERROR_IBB_NOT_FOUND:
      case XTLS_ERROR_IBB_REJECTED:
        return "The encrypted connection broke: data from the other side arrived damaged or out of "
               "order.";
      case XTLS_ERROR_IBB_CLOSED:
        return "The other side closed the encrypted connection unexpectedly.";
      case XTLS_ERROR_TLS:
        return "The encryption handshake failed: the other side sent data that is not valid "
               "encryption traffic.";
      case XTLS_ERROR_CERT_MISMATCH:
        return "Security warning: the other side used a different key than the one it announced. "
               "Someone may be intercepting the conversation. The session was refused.";
      case XTLS_ERROR_KEY_CHANGED:
        return "Security warning: your contact's key has changed since you verified it. This can "
               "mean a new device, or someone intercepting the conversation. The session was "
               "refused. Verify your contact again before you continue.";
      case XTLS_ERROR_BAD_PASSWORD:
        return "The shared passwords did not match. Agree on the password again (in person or by "
               "phone) and retry.";
      case XTLS_ERROR_NO_COMMON_METHOD:
        return "You and your contact have no way of verifying each other that both of you support.";
      case XTLS_ERROR_NOT_WELL_FORMED:
        return "The other side sent broken data inside the encrypted conversation; it was ended.";
      case XTLS_ERROR_RESTRICTED_XML:
        return "The other side sent forbidden content inside the encrypted conversation; it was "
               "ended.";
      case XTLS_ERROR_POLICY_VIOLATION:
        return "The other side sent a message that is too large or too deeply nested; the "
               "conversation was ended.";
      case XTLS_ERROR_TIMEOUT:
        return "Your contact stopped answering, so the private conversation was ended.";
      case XTLS_ERROR_PEER_GONE:
        return "Your contact went offline, so the private conversation was ended.";
      case XTLS_ERROR_DECLINED:
        return "Your contact declined or ended the private conversation.";
      case XTLS_ERROR_CANCELLED:
        return "You cancelled the private conversation.";
      case XTLS_ERROR_SECURITY:
        return "Your contact's side refused the session for a security reason (for example a "
               "wrong password or an unverified key).";
      case XTLS_ERROR_PROTOCOL:
        return "Your contact's software sent something this plugin does not understand; the "
               "session was ended.";
      case XTLS_ERROR_UNSUPPORTED:
        return "Your contact's software does not support XTLS private conversations.";
    }
  return "The private conversation failed.";
}
