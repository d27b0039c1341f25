/* pidgin-xtls: the API for user interfaces and other plugins.
 *
 * The plugin's id is XTLS_PLUGIN_ID. Find it with purple_plugins_find_with_id(), then use
 * the signals and IPC calls below on that PurplePlugin. Everything here is UI-independent:
 * the /xtls commands and the Pidgin UI are consumers of this API, and so can a bot be.
 *
 * Peers are full JIDs ("bob@example.net/phone") where a session is meant, bare JIDs where a
 * known key is meant. Strings passed in are copied; strings returned are owned by the caller
 * unless stated otherwise. No call here blocks. */
#pragma once

#define XTLS_PLUGIN_ID "core-xtls"

/* XtlsTrustState values (the same numbers as the core's enum). */
enum
{
  XTLS_API_STATE_NOT_PRIVATE = 0,
  XTLS_API_STATE_NEGOTIATING = 1,
  XTLS_API_STATE_UNVERIFIED = 2,
  XTLS_API_STATE_PRIVATE = 3,
  XTLS_API_STATE_FINISHED = 4,
  XTLS_API_STATE_FAILED = 5,
};

/* What a "xtls-decision-needed" signal asks for. */
enum
{
  XTLS_API_DECISION_UNKNOWN_KEY = 1, /* answer with "decide" */
  XTLS_API_DECISION_PASSWORD = 2,    /* answer with "supply-password" (or "decide" CANCEL) */
};

/* Answers for "decide". */
enum
{
  XTLS_API_ANSWER_VERIFIED = 0,
  XTLS_API_ANSWER_ACCEPT_ONCE = 1,
  XTLS_API_ANSWER_USE_PASSWORD = 2,
  XTLS_API_ANSWER_CANCEL = 3,
};

/* Why a session failed or ended ("get-failure"): a UI decides on these, never on the
 * (translated) reason sentence. */
enum
{
  XTLS_API_FAILURE_NONE = 0,
  XTLS_API_FAILURE_KEY_CHANGED = 1,   /* the contact's key differs from the verified one */
  XTLS_API_FAILURE_BAD_PASSWORD = 2,  /* the shared passwords did not match */
  XTLS_API_FAILURE_CERT_MISMATCH = 3, /* the key in the handshake was not the announced one */
  XTLS_API_FAILURE_UNSUPPORTED = 4,   /* the contact's client does not support XTLS */
  XTLS_API_FAILURE_DECLINED = 5,      /* the contact declined or cancelled */
  XTLS_API_FAILURE_CANCELLED = 6,     /* the local user cancelled */
  XTLS_API_FAILURE_TIMEOUT = 7,       /* the contact stopped answering */
  XTLS_API_FAILURE_OFFLINE = 8,       /* the contact's device went offline */
  XTLS_API_FAILURE_OTHER = 9,         /* anything else: show the reason sentence */
  XTLS_API_FAILURE_INTERRUPTED = 10,  /* ended from outside the tunnel: possibly interfered with */
  XTLS_API_FAILURE_DOWNGRADE = 11,    /* a verified contact was asked to use a password instead */
};

/* What "verify-typed" did with a fingerprint or safety code the user typed. */
enum
{
  XTLS_API_TYPED_INVALID = 0,  /* neither a fingerprint (64 hex digits) nor a safety code */
  XTLS_API_TYPED_MATCHED = 1,  /* it names the contact's key: that key is now verified */
  XTLS_API_TYPED_EXPECTED = 2, /* no key known yet: the fingerprint is stored as verified, so the
                                * first session with exactly this key is private at once and
                                * any other key is refused as a changed key */
  XTLS_API_TYPED_MISMATCH = 3, /* it does not name the contact's key: nothing was stored */
  XTLS_API_TYPED_NEED_KEY = 4, /* a safety code, but the contact has shown no key to check */
  XTLS_API_TYPED_FAILED = 5,   /* the account is not connected, or the key could not be saved */
};

/* Per-buddy policy, stored on the buddy-list node as the int setting "xtls-policy". */
enum
{
  XTLS_API_POLICY_DEFAULT = 0, /* follow the preference /plugins/core/xtls/policy */
  XTLS_API_POLICY_NEVER = 1,
  XTLS_API_POLICY_OPPORTUNISTIC = 2, /* start when the peer supports it */
  XTLS_API_POLICY_REQUIRE = 3,       /* never send plaintext; refuse if it cannot be private */
  XTLS_API_POLICY_MANUAL = 4,        /* only when the user turns it on (the default) */
};

/* ---- Signals (purple_signal_connect on the plugin) ----------------------------------------
 *
 * (Argument orders follow libpurple's stock marshallers.)
 *
 * "xtls-state-changed"
 *   void (PurpleAccount *account, const char *peer, const char *reason, guint state)
 *   A session's trust level changed. @reason is a sentence for the user, or NULL.
 *
 * "xtls-decision-needed"
 *   gboolean (PurpleAccount *account, const char *peer, guint decision)
 *   The session waits for the user. Return TRUE if your UI shows its own dialog and answers
 *   through IPC ("decide", "supply-password"); otherwise (every handler returns FALSE) the
 *   plugin asks through purple_request_*, so any libpurple UI still gets a dialog.
 *   Both users are asked about each other's key at the same time. A key question may be
 *   followed by PASSWORD without an answer from you (the contact chose the shared password):
 *   the key question is gone then, close its dialog. A question stays open 30 minutes.
 *
 * "xtls-message-status"
 *   void (PurpleAccount *account, const char *peer, const char *text, guint sent)
 *   A message the user typed for an encrypted conversation went into the tunnel (@sent TRUE)
 *   or was not sent at all (FALSE: the session could not be made private). @peer is NULL when
 *   no session was ever started (the contact's client turned out not to support XTLS).
 */

/* ---- IPC (purple_plugin_ipc_call on the plugin) -------------------------------------------
 *
 * "start"            gboolean (PurpleAccount *account, const char *peer)
 *     Starts (or returns the running) private session with @peer; @peer may be a bare JID, then
 *     the highest-priority resource that supports XTLS is chosen. FALSE if none does.
 * "stop"             void (PurpleAccount *account, const char *peer)
 * "get-state"        int (PurpleAccount *account, const char *peer)
 * "get-failure"      int (PurpleAccount *account, const char *peer)
 *     XTLS_API_FAILURE_* for the session's end (NONE while it runs or after a clean end).
 * "get-peer-resource" char * (PurpleAccount *account, const char *bare_jid)
 *     The full JID of the session with that contact, or NULL.
 * "decide"           void (PurpleAccount *account, const char *peer, guint answer)
 * "supply-password"  void (PurpleAccount *account, const char *peer, const char *password)
 * "get-fingerprint"  char * (PurpleAccount *account)
 *     This account's own SHA-256 fingerprint (hex), creating the key on first use.
 * "get-peer-fingerprint" char * (PurpleAccount *account, const char *peer)
 *     The fingerprint @peer announced in the current session (else the verified one), or NULL.
 * "get-safety-code"  char * (PurpleAccount *account, const char *peer)
 *     The combined safety code of our fingerprint and @peer's: ten groups of four digits, the
 *     same on both screens whatever the order. NULL when @peer's fingerprint is unknown.
 * "list-known-peers" GList * (PurpleAccount *account)
 *     Each item a newly allocated string "bare-jid fingerprint how unix-time", sorted by JID;
 *     how is "fingerprint" (compared on screen), "password" (shared password) or "typed" (the
 *     user typed it with "verify-typed", perhaps before any session).
 * "list-devices"     GList * (PurpleAccount *account, const char *bare_jid)
 *     The contact's online devices, best first (highest priority, then by JID: the order
 *     "start" tries with a bare JID). Each item a newly allocated string
 *     "full-jid\tclient\tsupported": the client's name from its caps ("Pidgin"; empty when
 *     unknown) and "1" when its caps say it supports XTLS, else "0". To talk to one device,
 *     pass its full JID to "start"; a session never moves to another device by itself.
 * "verify-typed"     int (PurpleAccount *account, const char *bare_jid, const char *typed)
 *     The user typed or pasted @typed (a fingerprint, or the safety code) to verify that
 *     contact without comparing on screen: checked against the key the contact shows in the
 *     current session, else the verified one; XTLS_API_TYPED_* says what happened. A session
 *     waiting for the unknown-key decision is answered "verified" when it matches.
 * "trust"            gboolean (PurpleAccount *account, const char *bare_jid, const char *fpr)
 *     Pins @fpr for that contact, as verified by comparing fingerprints.
 * "forget"           gboolean (PurpleAccount *account, const char *bare_jid)
 */
