/* /xtls in a conversation: a consumer of the same functions the IPC API exposes. Answers are
 * written into the conversation as system messages, in plain words. */
#include <glib/gi18n-lib.h>
#include <string.h>

#include "glue.h"
#include "xtls-error.h"

static PurpleCmdId cmd_id;

static const char *const help_text
    /* Translators: the answer to /xtls help. Do not translate the commands ("/xtls start", ...,
     * "require | auto | manual | never"), only what follows each colon. */
    = N_ ("/xtls start: start a private (end-to-end encrypted) conversation\n"
          "/xtls stop: end it; messages are then sent unencrypted\n"
          "/xtls status: how private this conversation is\n"
          "/xtls verify: compare fingerprints with your contact and mark their key as verified\n"
          "/xtls verify <fingerprint or safety code>: verify with what your contact read out to "
          "you\n"
          "/xtls password [secret]: verify with a password you both know instead\n"
          "/xtls fingerprint: show your fingerprint and your contact's\n"
          "/xtls forget: forget your contact's verified key\n"
          "/xtls require | auto | manual | never: when to use encryption with this contact\n"
          "/xtls help: this text");

static const char *
state_words (XtlsTrustState state)
{
  switch (state)
    {
      case XTLS_STATE_NOT_PRIVATE:
        return _ ("Not private: messages are sent unencrypted.");
      case XTLS_STATE_NEGOTIATING:
        return _ ("Setting up a private conversation; your messages wait for it.");
      case XTLS_STATE_UNVERIFIED:
        return _ ("Unverified: encrypted (or about to be), but your contact's identity is not "
                  "verified.");
      case XTLS_STATE_PRIVATE:
        return _ ("Private: end-to-end encrypted with a verified contact.");
      case XTLS_STATE_FINISHED:
        return _ ("Finished: the private conversation has ended.");
      case XTLS_STATE_FAILED:
        return _ ("Failed: the private conversation could not be set up.");
    }
  return "";
}

static void
cmd_status (XtlsAccount *xa, const char *bare)
{
  XtlsContact *c = xtls_contact_get (xa, bare);
  XtlsSession *s = c->peer != NULL ? xtls_hub_lookup (xa->hub, c->peer) : NULL;
  XtlsTrustState state = s != NULL ? xtls_session_get_state (s) : XTLS_STATE_NOT_PRIVATE;
  const char *pin = xtls_trust_store_lookup (xa->trust, c->bare);
  const char *tls = s != NULL ? xtls_session_get_tls_description (s) : NULL;
  g_autofree char *device
      /* Translators: %s is the contact's full XMPP address, including the device part after "/" */
      = s != NULL ? g_strdup_printf (_ ("Device: %s"), xtls_session_get_peer (s)) : NULL;

  xtls_conv_notice (xa, bare, 0, "%s%s%s%s%s %s", state_words (state), device != NULL ? " " : "",
                    device != NULL ? device : "", tls != NULL ? ", " : "", tls != NULL ? tls : "",
                    pin != NULL ? _ ("Their key is verified and remembered.")
                                : _ ("Their key is not verified yet."));
  if (state == XTLS_STATE_FAILED && xtls_session_get_error (s) != NULL)
    /* Translators: %s is a sentence saying why the last private conversation failed */
    xtls_conv_notice (xa, bare, 0, _ ("Last failure: %s"),
                      xtls_error_describe (xtls_session_get_error (s)));
}

static void
cmd_fingerprint (XtlsAccount *xa, const char *bare)
{
  XtlsContact *c = xtls_contact_get (xa, bare);
  XtlsSession *s = c->peer != NULL ? xtls_hub_lookup (xa->hub, c->peer) : NULL;
  const char *peer_fp = s != NULL ? xtls_session_get_peer_fingerprint (s) : NULL;
  g_autofree char *text = NULL;

  if (peer_fp == NULL)
    peer_fp = xtls_trust_store_lookup (xa->trust, c->bare);
  text = xtls_prompt_fingerprints (xa, peer_fp, c->bare);
  xtls_conv_notice (xa, bare, 0, "%s", text);
}

/* Verify: answer a pending question, or pin the key shown in the current session. */
static void
cmd_verify (XtlsAccount *xa, const char *bare)
{
  XtlsContact *c = xtls_contact_get (xa, bare);
  XtlsSession *s = c->peer != NULL ? xtls_hub_lookup (xa->hub, c->peer) : NULL;
  const char *peer_fp = s != NULL ? xtls_session_get_peer_fingerprint (s) : NULL;
  g_autoptr (GError) error = NULL;

  if (s != NULL && xtls_session_get_pending_decision (s) == XTLS_DECISION_UNKNOWN_KEY)
    {
      xtls_prompt_close (xa, bare);
      xtls_session_decide (s, XTLS_ANSWER_VERIFIED);
      return;
    }
  if (peer_fp == NULL)
    {
      xtls_conv_notice (xa, bare, 0,
                        /* Translators: do not translate the command "/xtls start" */
                        _ ("There is no key to verify yet: type /xtls start first, then compare "
                           "the safety code with your contact."));
      return;
    }
  if (!xtls_trust_store_pin (xa->trust, c->bare, peer_fp, XTLS_VERIFIED_FINGERPRINT,
                             g_get_real_time () / G_USEC_PER_SEC, &error))
    {
      /* Translators: %s is the system's error message (e.g. a file could not be written) */
      xtls_conv_notice (xa, bare, PURPLE_MESSAGE_ERROR, _ ("Could not save the key: %s"),
                        error->message);
      return;
    }
  xtls_conv_notice (
      xa, bare, 0,
      /* Translators: %s is the contact's XMPP address; do not translate "/xtls fingerprint" */
      _ ("%s's key is now marked as verified. Only do this after comparing the "
         "safety code (/xtls fingerprint) with them."),
      c->bare);
}

/* /xtls verify FINGERPRINT-OR-CODE: what the contact read out, typed by the user. */
static void
cmd_verify_typed (XtlsAccount *xa, const char *bare, const char *typed)
{
  g_autofree char *contact = xtls_bare_of (bare);

  switch (xtls_glue_verify_typed (xa, contact, typed))
    {
      case XTLS_API_TYPED_MATCHED:
        xtls_conv_notice (xa, bare, 0,
                          /* Translators: %s is the contact's XMPP address */
                          _ ("It matches: %s's key is now marked as verified."), contact);
        break;
      case XTLS_API_TYPED_EXPECTED:
        xtls_conv_notice (xa, bare, 0,
                          /* Translators: %s is the contact's XMPP address */
                          _ ("%s has not shown a key yet. The fingerprint is stored: the first "
                             "private conversation whose key matches it is verified at once, and "
                             "a different key is refused with a warning."),
                          contact);
        break;
      case XTLS_API_TYPED_MISMATCH:
        xtls_conv_notice (xa, bare, PURPLE_MESSAGE_ERROR,
                          /* Translators: %s is the contact's XMPP address */
                          _ ("It does NOT match %s's key. Nothing was stored. Check with them "
                             "again by phone or in person: someone may be in between."),
                          contact);
        break;
      case XTLS_API_TYPED_NEED_KEY:
        xtls_conv_notice (xa, bare, PURPLE_MESSAGE_ERROR, "%s",
                          /* Translators: do not translate "/xtls start" */
                          _ ("A safety code can only be checked once your contact has shown their "
                             "key: type /xtls start first, or ask them for their fingerprint "
                             "instead."));
        break;
      case XTLS_API_TYPED_INVALID:
        xtls_conv_notice (xa, bare, PURPLE_MESSAGE_ERROR, "%s",
                          _ ("That is neither a fingerprint (64 characters 0-9 and a-f) nor a "
                             "safety code (ten groups of four digits)."));
        break;
      default:
        xtls_conv_notice (xa, bare, PURPLE_MESSAGE_ERROR, "%s",
                          _ ("The key could not be stored. Is the account still connected?"));
        break;
    }
}

static void
cmd_password (XtlsAccount *xa, const char *bare, const char *secret)
{
  XtlsContact *c = xtls_contact_get (xa, bare);
  XtlsSession *s = xtls_conv_session (xa, bare);

  if (s == NULL)
    {
      if (!xtls_conv_start (xa, bare))
        return;
      s = xtls_conv_session (xa, bare);
    }
  if (s == NULL)
    return; /* still finding out whether the contact supports XTLS */
  xtls_prompt_close (xa, c->bare);
  if (xtls_session_get_pending_decision (s) == XTLS_DECISION_UNKNOWN_KEY)
    xtls_session_decide (s, XTLS_ANSWER_USE_PASSWORD);
  if (secret != NULL && *secret != '\0')
    xtls_session_supply_password (s, secret);
  else if (xtls_session_get_pending_decision (s) == XTLS_DECISION_PASSWORD)
    xtls_prompt_decision (xa, s, XTLS_DECISION_PASSWORD);
}

static void
cmd_policy (XtlsAccount *xa, const char *bare, int policy, const char *words)
{
  PurpleBuddy *buddy = purple_find_buddy (xa->account, bare);

  if (buddy == NULL)
    {
      xtls_conv_notice (xa, bare, PURPLE_MESSAGE_ERROR,
                        /* Translators: %s is the contact's XMPP address */
                        _ ("Add %s to your buddy list first; the setting is kept there."), bare);
      return;
    }
  purple_blist_node_set_int ((PurpleBlistNode *)buddy, XTLS_BLIST_POLICY, policy);
  /* Translators: %s is one of the four settings below ("always encrypt with this contact;
   * ...", "encrypt automatically ...", "encrypt only when ...", "never encrypt ...") */
  xtls_conv_notice (xa, bare, 0, _ ("From now on: %s"), words);
}

static PurpleCmdRet
on_xtls (PurpleConversation *conv, const gchar *cmd, gchar **args, gchar **error, void *data)
{
  XtlsAccount *xa = xtls_glue_find (purple_conversation_get_account (conv));
  const char *name = purple_conversation_get_name (conv);
  const char *sub = args[0] != NULL ? args[0] : "help";
  const char *rest = args[0] != NULL ? args[1] : NULL;

  if (xa == NULL)
    {
      *error = g_strdup (_ ("XTLS is not active for this account (is it connected?)."));
      return PURPLE_CMD_RET_FAILED;
    }
  if (strcmp (sub, "start") == 0)
    xtls_conv_start (xa, name);
  else if (strcmp (sub, "stop") == 0)
    xtls_conv_stop (xa, name);
  else if (strcmp (sub, "status") == 0)
    cmd_status (xa, name);
  else if (strcmp (sub, "verify") == 0 && rest != NULL && *rest != '\0')
    cmd_verify_typed (xa, name, rest);
  else if (strcmp (sub, "verify") == 0)
    cmd_verify (xa, name);
  else if (strcmp (sub, "password") == 0)
    cmd_password (xa, name, rest);
  else if (strcmp (sub, "fingerprint") == 0)
    cmd_fingerprint (xa, name);
  else if (strcmp (sub, "forget") == 0)
    {
      g_autofree char *bare = xtls_bare_of (name);
      xtls_trust_store_forget (xa->trust, bare, NULL);
      xtls_conv_notice (xa, name, 0,
                        /* Translators: %s is the contact's XMPP address */
                        _ ("Forgot %s's key. The next private conversation asks you to verify "
                           "them again."),
                        bare);
    }
  else if (strcmp (sub, "require") == 0)
    cmd_policy (xa, name, XTLS_API_POLICY_REQUIRE,
                /* Translators: completes "From now on: %s" */
                _ ("always encrypt with this contact; nothing is ever sent unencrypted."));
  else if (strcmp (sub, "auto") == 0)
    cmd_policy (xa, name, XTLS_API_POLICY_OPPORTUNISTIC,
                /* Translators: completes "From now on: %s" */
                _ ("encrypt automatically whenever this contact's client supports it."));
  else if (strcmp (sub, "manual") == 0)
    /* Translators: completes "From now on: %s"; do not translate "/xtls start" */
    cmd_policy (xa, name, XTLS_API_POLICY_MANUAL, _ ("encrypt only when you type /xtls start."));
  else if (strcmp (sub, "never") == 0)
    cmd_policy (xa, name, XTLS_API_POLICY_NEVER,
                /* Translators: completes "From now on: %s" */
                _ ("never encrypt with this contact, and decline their requests."));
  else
    xtls_conv_notice (xa, name, 0, "%s", _ (help_text));
  xtls_glue_schedule (xa);
  return PURPLE_CMD_RET_OK;
}

void
xtls_cmds_register (PurplePlugin *plugin)
{
  cmd_id = purple_cmd_register ("xtls", "ws", PURPLE_CMD_P_PLUGIN,
                                PURPLE_CMD_FLAG_IM | PURPLE_CMD_FLAG_PRPL_ONLY
                                    | PURPLE_CMD_FLAG_ALLOW_WRONG_ARGS,
                                "prpl-jabber", on_xtls,
                                /* Translators: shown by /help xtls. Translate only the text
                                 * after the colon; keep "&lt;" and "&gt;" as they are. */
                                _ ("xtls &lt;start|stop|status|verify|password|fingerprint|"
                                   "forget|help&gt;: private (end-to-end encrypted) "
                                   "conversations"),
                                NULL);
}

void
xtls_cmds_unregister (void)
{
  if (cmd_id != 0)
    purple_cmd_unregister (cmd_id);
  cmd_id = 0;
}
