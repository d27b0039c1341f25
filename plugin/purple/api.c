/* The plugin's API for UIs and other plugins (documented in xtls-api.h): signals announcing
 * what happens, IPC calls to act. */
#include <string.h>

#include "fingerprint.h"
#include "glue.h"
#include "xtls-error.h"

G_STATIC_ASSERT (XTLS_API_STATE_FAILED == (int)XTLS_STATE_FAILED);
G_STATIC_ASSERT (XTLS_API_DECISION_PASSWORD == (int)XTLS_DECISION_PASSWORD);
G_STATIC_ASSERT (XTLS_API_ANSWER_CANCEL == (int)XTLS_ANSWER_CANCEL);

void
xtls_api_emit_state (XtlsAccount *xa, XtlsSession *s, XtlsTrustState state, const char *reason)
{
  purple_signal_emit (xtls_glue_plugin (), "xtls-state-changed", xa->account,
                      xtls_session_get_peer (s), reason, (guint)state);
}

void
xtls_api_emit_state_for (XtlsAccount *xa, const char *peer, XtlsTrustState state,
                         const char *reason)
{
  purple_signal_emit (xtls_glue_plugin (), "xtls-state-changed", xa->account, peer, reason,
                      (guint)state);
}

gboolean
xtls_api_emit_decision (XtlsAccount *xa, XtlsSession *s, XtlsDecision decision)
{
  return GPOINTER_TO_INT (purple_signal_emit_return_1 (xtls_glue_plugin (), "xtls-decision-needed",
                                                       xa->account, xtls_session_get_peer (s),
                                                       (guint)decision));
}

void
xtls_api_emit_message_status (XtlsAccount *xa, XtlsSession *s, const char *text, gboolean sent)
{
  purple_signal_emit (xtls_glue_plugin (), "xtls-message-status", xa->account,
                      s != NULL ? xtls_session_get_peer (s) : NULL, text, (guint)sent);
}

/* ---- IPC ------------------------------------------------------------------------------------ */

/* The session a UI means by @peer: the live one with that full JID, or with that contact. */
static XtlsSession *
find_session (XtlsAccount *xa, const char *peer)
{
  XtlsSession *s;

  if (xa == NULL || peer == NULL)
    return NULL;
  s = strchr (peer, '/') != NULL ? xtls_hub_lookup (xa->hub, peer) : NULL;
  if (s == NULL)
    {
      XtlsContact *c = xtls_contact_get (xa, peer);
      s = c->peer != NULL ? xtls_hub_lookup (xa->hub, c->peer) : NULL;
    }
  return s;
}

static gboolean
ipc_start (PurpleAccount *account, const char *peer)
{
  XtlsAccount *xa = xtls_glue_find (account);
  gboolean ok;

  if (xa == NULL || peer == NULL)
    return FALSE;
  ok = xtls_conv_start (xa, peer);
  xtls_glue_schedule (xa);
  return ok;
}

static void
ipc_stop (PurpleAccount *account, const char *peer)
{
  XtlsAccount *xa = xtls_glue_find (account);

  if (xa != NULL && peer != NULL)
    xtls_conv_stop (xa, peer);
}

static int
ipc_get_state (PurpleAccount *account, const char *peer)
{
  XtlsAccount *xa = xtls_glue_find (account);
  XtlsSession *s = find_session (xa, peer);

  if (s == NULL && xa != NULL && peer != NULL && xtls_contact_get (xa, peer)->unsupported)
    return XTLS_API_STATE_FAILED;
  return s != NULL ? (int)xtls_session_get_state (s) : XTLS_API_STATE_NOT_PRIVATE;
}

static int
ipc_get_failure (PurpleAccount *account, const char *peer)
{
  XtlsAccount *xa = xtls_glue_find (account);
  XtlsSession *s = find_session (xa, peer);
  const GError *error = s != NULL ? xtls_session_get_error (s) : NULL;

  if (s == NULL && xa != NULL && peer != NULL && xtls_contact_get (xa, peer)->unsupported)
    return XTLS_API_FAILURE_UNSUPPORTED;
  if (error == NULL)
    return XTLS_API_FAILURE_NONE;
  if (error->domain != XTLS_ERROR)
    return XTLS_API_FAILURE_OTHER;
  switch ((XtlsError)error->code)
    {
      case XTLS_ERROR_KEY_CHANGED:
        return XTLS_API_FAILURE_KEY_CHANGED;
      case XTLS_ERROR_BAD_PASSWORD:
        return XTLS_API_FAILURE_BAD_PASSWORD;
      case XTLS_ERROR_CERT_MISMATCH:
        return XTLS_API_FAILURE_CERT_MISMATCH;
      case XTLS_ERROR_UNSUPPORTED:
        return XTLS_API_FAILURE_UNSUPPORTED;
      case XTLS_ERROR_DECLINED:
        return XTLS_API_FAILURE_DECLINED;
      case XTLS_ERROR_CANCELLED:
        return XTLS_API_FAILURE_CANCELLED;
      case XTLS_ERROR_TIMEOUT:
        return XTLS_API_FAILURE_TIMEOUT;
      case XTLS_ERROR_PEER_GONE:
        return XTLS_API_FAILURE_OFFLINE;
      case XTLS_ERROR_INTERRUPTED:
        return XTLS_API_FAILURE_INTERRUPTED;
      case XTLS_ERROR_DOWNGRADE:
        return XTLS_API_FAILURE_DOWNGRADE;
      case XTLS_ERROR_BUSY:
      case XTLS_ERROR_NO_DECISION: /* the sentence says who stopped waiting */
      case XTLS_ERROR_PEER_GAVE_UP:
      case XTLS_ERROR_CONNECTION_LOST:
      case XTLS_ERROR_FAILED:
      case XTLS_ERROR_IBB_BAD_REQUEST:
      case XTLS_ERROR_IBB_UNEXPECTED:
      case XTLS_ERROR_IBB_NOT_FOUND:
      case XTLS_ERROR_IBB_CLOSED:
      case XTLS_ERROR_IBB_REJECTED:
      case XTLS_ERROR_TLS:
      case XTLS_ERROR_NO_COMMON_METHOD:
      case XTLS_ERROR_NOT_WELL_FORMED:
      case XTLS_ERROR_RESTRICTED_XML:
      case XTLS_ERROR_POLICY_VIOLATION:
      case XTLS_ERROR_SECURITY:
      case XTLS_ERROR_PROTOCOL:
        break;
    }
  return XTLS_API_FAILURE_OTHER;
}

static char *
ipc_get_peer_resource (PurpleAccount *account, const char *bare)
{
  XtlsSession *s = find_session (xtls_glue_find (account), bare);
  return s != NULL ? g_strdup (xtls_session_get_peer (s)) : NULL;
}

static void
ipc_decide (PurpleAccount *account, const char *peer, guint answer)
{
  XtlsAccount *xa = xtls_glue_find (account);
  XtlsSession *s = find_session (xa, peer);

  if (s == NULL || answer > XTLS_API_ANSWER_CANCEL)
    return;
  xtls_prompt_close (xa, xtls_session_get_peer (s));
  xtls_session_decide (s, (XtlsAnswer)answer);
  xtls_glue_schedule (xa);
}

static void
ipc_supply_password (PurpleAccount *account, const char *peer, const char *password)
{
  XtlsAccount *xa = xtls_glue_find (account);
  XtlsSession *s = find_session (xa, peer);

  if (s == NULL || password == NULL)
    return;
  xtls_prompt_close (xa, xtls_session_get_peer (s));
  xtls_session_supply_password (s, password);
  xtls_glue_schedule (xa);
}

static char *
ipc_get_fingerprint (PurpleAccount *account)
{
  g_autoptr (XtlsIdentity) identity = account != NULL ? xtls_glue_identity (account, NULL) : NULL;
  return identity != NULL ? g_strdup (xtls_identity_get_fingerprint (identity)) : NULL;
}

static const char *
peer_fingerprint (XtlsAccount *xa, const char *peer)
{
  XtlsSession *s = find_session (xa, peer);
  const char *fp = s != NULL ? xtls_session_get_peer_fingerprint (s) : NULL;
  g_autofree char *bare = NULL;

  if (fp == NULL && xa != NULL && peer != NULL)
    {
      bare = xtls_bare_of (peer);
      fp = xtls_trust_store_lookup (xa->trust, bare);
    }
  return fp;
}

static char *
ipc_get_peer_fingerprint (PurpleAccount *account, const char *peer)
{
  return g_strdup (peer_fingerprint (xtls_glue_find (account), peer));
}

static char *
ipc_get_safety_code (PurpleAccount *account, const char *peer)
{
  XtlsAccount *xa = xtls_glue_find (account);
  const char *fp = peer_fingerprint (xa, peer);

  if (fp == NULL || strlen (fp) != 64)
    return NULL;
  return xtls_fingerprint_safety_code (xtls_identity_get_fingerprint (xa->identity), fp);
}

static GList *
ipc_list_known_peers (PurpleAccount *account)
{
  XtlsAccount *xa = xtls_glue_find (account);
  g_autoptr (GPtrArray) peers = NULL;
  GList *list = NULL;

  if (xa == NULL)
    return NULL;
  peers = xtls_trust_store_list (xa->trust);
  for (guint i = 0; i < peers->len; i++)
    {
      XtlsKnownPeer *p = g_ptr_array_index (peers, i);
      list = g_list_prepend (list,
                             g_strdup_printf ("%s %s %s %" G_GINT64_FORMAT, p->peer, p->fingerprint,
                                              xtls_verified_how_to_string (p->how), p->when));
      xtls_known_peer_free (p);
    }
  g_ptr_array_set_free_func (peers, NULL);
  return g_list_reverse (list);
}

/* The contact's online devices, best first (the order "start" with a bare JID tries them). */
static GList *
ipc_list_devices (PurpleAccount *account, const char *bare)
{
  XtlsAccount *xa = xtls_glue_find (account);
  g_autofree char *contact = bare != NULL ? xtls_bare_of (bare) : NULL;
  GList *resources, *list = NULL;

  if (xa == NULL || contact == NULL)
    return NULL;
  resources = xtls_xmpp_resources (xa, contact);
  for (GList *r = resources; r != NULL; r = r->next)
    {
      const char *client = xtls_xmpp_client_name (xa, r->data);
      list = g_list_prepend (list, g_strdup_printf ("%s\t%s\t%d", (const char *)r->data,
                                                    client != NULL ? client : "",
                                                    xtls_xmpp_peer_supports (xa, r->data)));
    }
  g_list_free (resources);
  return g_list_reverse (list);
}

static gboolean
ipc_trust (PurpleAccount *account, const char *bare, const char *fingerprint)
{
  XtlsAccount *xa = xtls_glue_find (account);
  g_autofree char *hex = NULL;
  XtlsHashAlgo algo;

  if (xa == NULL || bare == NULL || fingerprint == NULL
      || !xtls_fingerprint_parse (NULL, fingerprint, &algo, &hex, NULL) || algo != XTLS_HASH_SHA256)
    return FALSE;
  return xtls_trust_store_pin (xa->trust, bare, hex, XTLS_VERIFIED_FINGERPRINT,
                               g_get_real_time () / G_USEC_PER_SEC, NULL);
}

static gboolean
ipc_forget (PurpleAccount *account, const char *bare)
{
  XtlsAccount *xa = xtls_glue_find (account);
  return xa != NULL && bare != NULL && xtls_trust_store_forget (xa->trust, bare, NULL);
}

/* Verification by hand (pidgin-otr's "manual verification"): the user types or pastes what
 * their contact read out. The key it is checked against is the one the contact shows in the
 * current session, else the verified one. With no key at all, a fingerprint is stored as the
 * one to expect: it is pinned like a verified key, so the first session whose key matches is
 * private at once, and any other key ends that session as a changed key (loud, nothing sent).
 * A safety code needs a key: it is derived from both keys and cannot be stored alone. */
int
xtls_glue_verify_typed (XtlsAccount *xa, const char *bare, const char *typed)
{
  g_autofree char *contact = bare != NULL ? xtls_bare_of (bare) : NULL;
  g_autofree char *norm = NULL;
  XtlsTypedKind kind = xtls_fingerprint_read_typed (typed, &norm);
  XtlsSession *s;
  const char *announced, *pinned, *reference;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (xa == NULL || contact == NULL)
    return XTLS_API_TYPED_FAILED;
  if (kind == XTLS_TYPED_INVALID)
    return XTLS_API_TYPED_INVALID;
  s = find_session (xa, contact);
  announced = s != NULL ? xtls_session_get_peer_fingerprint (s) : NULL;
  pinned = xtls_trust_store_lookup (xa->trust, contact);
  reference = announced != NULL ? announced : pinned;
  if (reference == NULL)
    {
      if (kind == XTLS_TYPED_SAFETY_CODE)
        return XTLS_API_TYPED_NEED_KEY;
      if (!xtls_trust_store_pin (xa->trust, contact, norm, XTLS_VERIFIED_TYPED, now, NULL))
        return XTLS_API_TYPED_FAILED;
      purple_debug_info ("xtls", "a fingerprint typed by the user is now expected for a contact\n");
      return XTLS_API_TYPED_EXPECTED;
    }
  if (!xtls_fingerprint_typed_matches (typed, xtls_identity_get_fingerprint (xa->identity),
                                       reference))
    {
      purple_debug_info ("xtls", "a fingerprint typed by the user does not match the contact's "
                                 "key; nothing stored\n");
      return XTLS_API_TYPED_MISMATCH;
    }
  if (s != NULL && announced != NULL
      && xtls_session_get_pending_decision (s) == XTLS_DECISION_UNKNOWN_KEY)
    {
      /* The session waits for exactly this answer; the core pins the key. */
      xtls_prompt_close (xa, xtls_session_get_peer (s));
      xtls_session_decide (s, XTLS_ANSWER_VERIFIED);
      xtls_glue_schedule (xa);
    }
  else if (g_strcmp0 (pinned, reference) != 0)
    {
      g_autofree char *key = g_strdup (reference);
      if (!xtls_trust_store_pin (xa->trust, contact, key, XTLS_VERIFIED_TYPED, now, NULL))
        return XTLS_API_TYPED_FAILED;
    }
  purple_debug_info ("xtls", "a fingerprint typed by the user matches the contact's key\n");
  return XTLS_API_TYPED_MATCHED;
}

static int
ipc_verify_typed (PurpleAccount *account, const char *bare, const char *typed)
{
  return xtls_glue_verify_typed (xtls_glue_find (account), bare, typed);
}

#define ACCOUNT purple_value_new (PURPLE_TYPE_SUBTYPE, PURPLE_SUBTYPE_ACCOUNT)
#define STRING purple_value_new (PURPLE_TYPE_STRING)
#define UINT purple_value_new (PURPLE_TYPE_UINT)

void
xtls_api_register (PurplePlugin *plugin)
{
  purple_signal_register (plugin, "xtls-state-changed",
                          purple_marshal_VOID__POINTER_POINTER_POINTER_UINT, NULL, 4, ACCOUNT,
                          STRING, STRING, UINT);
  purple_signal_register (plugin, "xtls-decision-needed",
                          purple_marshal_BOOLEAN__POINTER_POINTER_UINT,
                          purple_value_new (PURPLE_TYPE_BOOLEAN), 3, ACCOUNT, STRING, UINT);
  purple_signal_register (plugin, "xtls-message-status",
                          purple_marshal_VOID__POINTER_POINTER_POINTER_UINT, NULL, 4, ACCOUNT,
                          STRING, STRING, UINT);

  purple_plugin_ipc_register (plugin, "start", PURPLE_CALLBACK (ipc_start),
                              purple_marshal_BOOLEAN__POINTER_POINTER,
                              purple_value_new (PURPLE_TYPE_BOOLEAN), 2, ACCOUNT, STRING);
  purple_plugin_ipc_register (plugin, "stop", PURPLE_CALLBACK (ipc_stop),
                              purple_marshal_VOID__POINTER_POINTER, NULL, 2, ACCOUNT, STRING);
  purple_plugin_ipc_register (plugin, "get-state", PURPLE_CALLBACK (ipc_get_state),
                              purple_marshal_INT__POINTER_POINTER,
                              purple_value_new (PURPLE_TYPE_INT), 2, ACCOUNT, STRING);
  purple_plugin_ipc_register (plugin, "get-failure", PURPLE_CALLBACK (ipc_get_failure),
                              purple_marshal_INT__POINTER_POINTER,
                              purple_value_new (PURPLE_TYPE_INT), 2, ACCOUNT, STRING);
  purple_plugin_ipc_register (plugin, "get-peer-resource", PURPLE_CALLBACK (ipc_get_peer_resource),
                              purple_marshal_POINTER__POINTER_POINTER, STRING, 2, ACCOUNT, STRING);
  purple_plugin_ipc_register (plugin, "decide", PURPLE_CALLBACK (ipc_decide),
                              purple_marshal_VOID__POINTER_POINTER_UINT, NULL, 3, ACCOUNT, STRING,
                              UINT);
  purple_plugin_ipc_register (plugin, "supply-password", PURPLE_CALLBACK (ipc_supply_password),
                              purple_marshal_VOID__POINTER_POINTER_POINTER, NULL, 3, ACCOUNT,
                              STRING, STRING);
  purple_plugin_ipc_register (plugin, "get-fingerprint", PURPLE_CALLBACK (ipc_get_fingerprint),
                              purple_marshal_POINTER__POINTER, STRING, 1, ACCOUNT);
  purple_plugin_ipc_register (plugin, "get-peer-fingerprint",
                              PURPLE_CALLBACK (ipc_get_peer_fingerprint),
                              purple_marshal_POINTER__POINTER_POINTER, STRING, 2, ACCOUNT, STRING);
  purple_plugin_ipc_register (plugin, "get-safety-code", PURPLE_CALLBACK (ipc_get_safety_code),
                              purple_marshal_POINTER__POINTER_POINTER, STRING, 2, ACCOUNT, STRING);
  purple_plugin_ipc_register (plugin, "list-known-peers", PURPLE_CALLBACK (ipc_list_known_peers),
                              purple_marshal_POINTER__POINTER,
                              purple_value_new (PURPLE_TYPE_POINTER), 1, ACCOUNT);
  purple_plugin_ipc_register (plugin, "list-devices", PURPLE_CALLBACK (ipc_list_devices),
                              purple_marshal_POINTER__POINTER_POINTER,
                              purple_value_new (PURPLE_TYPE_POINTER), 2, ACCOUNT, STRING);
  purple_plugin_ipc_register (plugin, "verify-typed", PURPLE_CALLBACK (ipc_verify_typed),
                              purple_marshal_INT__POINTER_POINTER_POINTER,
                              purple_value_new (PURPLE_TYPE_INT), 3, ACCOUNT, STRING, STRING);
  purple_plugin_ipc_register (plugin, "trust", PURPLE_CALLBACK (ipc_trust),
                              purple_marshal_BOOLEAN__POINTER_POINTER_POINTER,
                              purple_value_new (PURPLE_TYPE_BOOLEAN), 3, ACCOUNT, STRING, STRING);
  purple_plugin_ipc_register (plugin, "forget", PURPLE_CALLBACK (ipc_forget),
                              purple_marshal_BOOLEAN__POINTER_POINTER,
                              purple_value_new (PURPLE_TYPE_BOOLEAN), 2, ACCOUNT, STRING);
}
