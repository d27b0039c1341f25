/* Every decision a user makes goes through purple_request_*, so Pidgin, Finch and bots can all
 * answer. Callbacks get copies of the account and peer and look the session up again: by the
 * time the user answers, the session may be gone (pidgin-otr's lesson). */
#include <glib/gi18n-lib.h>
#include <string.h>

#include "fingerprint.h"
#include "glue.h"
#include "xfer-private.h"

typedef struct
{
  PurpleAccount *account;
  char *peer;     /* full JID of the session asked about */
  XtlsXfer *file; /* a file session's transfer (looked up again before use), or NULL: chat */
} PromptRef;

static void
prompt_ref_free (PromptRef *ref)
{
  g_free (ref->peer);
  g_free (ref);
}

/* The session the dialog was about, if both it and its account still exist. The dialog is
 * forgotten by its contact: it is answered now. */
static XtlsSession *
answered (PromptRef *ref, XtlsAccount **out_xa)
{
  XtlsAccount *xa = xtls_glue_find (ref->account);
  XtlsContact *c;

  *out_xa = xa;
  if (xa == NULL)
    return NULL;
  if (ref->file != NULL)
    {
      /* A file's dialog lives as long as its transfer (xtls_prompt_close_file). */
      XtlsXfer *x = xtls_xfer_find_live (ref->file);

      if (x == NULL || x->request_ref != ref)
        return NULL;
      x->request = NULL;
      x->request_ref = NULL;
      return x->session;
    }
  c = xtls_contact_get (xa, ref->peer);
  if (c->request_ref == ref)
    {
      c->request = NULL;
      c->request_ref = NULL;
    }
  return xtls_hub_lookup (xa->hub, ref->peer);
}

void
xtls_prompt_close_contact (XtlsContact *c)
{
  if (c->request != NULL)
    purple_request_close (c->request_type, c->request);
  c->request = NULL;
  g_clear_pointer (&c->request_ref, prompt_ref_free);
}

void
xtls_prompt_close_file (XtlsXfer *x)
{
  if (x->request != NULL)
    purple_request_close (x->request_type, x->request);
  x->request = NULL;
  g_clear_pointer (&x->request_ref, prompt_ref_free);
}

void
xtls_prompt_close (XtlsAccount *xa, const char *bare)
{
  xtls_prompt_close_contact (xtls_contact_get (xa, bare));
}

char *
xtls_prompt_fingerprints (XtlsAccount *xa, const char *peer_fingerprint, const char *peer)
{
  const char *own = xtls_identity_get_fingerprint (xa->identity);
  g_autofree char *own_text = xtls_fingerprint_format (own);
  g_autofree char *peer_text = NULL;
  g_autofree char *code = NULL;

  if (peer_fingerprint == NULL)
    /* Translators: the first %s is your own fingerprint (hexadecimal groups), the second the
     * contact's XMPP address */
    return g_strdup_printf (_ ("Your fingerprint:\n%s\n\n%s has not shown a key yet."), own_text,
                            peer);
  peer_text = xtls_fingerprint_format (peer_fingerprint);
  code = xtls_fingerprint_safety_code (own, peer_fingerprint);
  /* Translators: the %s are, in order: the safety code (digit groups), your own fingerprint, the
   * contact's XMPP address, the contact's fingerprint. Keep the line breaks (\n). */
  return g_strdup_printf (_ ("Safety code (the same on both your screens):\n%s\n\n"
                             "Your fingerprint:\n%s\n\n%s's fingerprint:\n%s\n\n"
                             "Read the safety code to each other by phone or in person. If it "
                             "matches, your conversation cannot be read or changed by anyone in "
                             "between."),
                          code, own_text, peer, peer_text);
}

/* ---- the unknown key --------------------------------------------------------------------- */

static void
answer_key (PromptRef *ref, XtlsAnswer answer)
{
  XtlsAccount *xa;
  XtlsSession *s = answered (ref, &xa);

  if (s != NULL && xtls_session_get_pending_decision (s) == XTLS_DECISION_UNKNOWN_KEY)
    {
      xtls_session_decide (s, answer);
      xtls_glue_schedule (xa);
    }
  prompt_ref_free (ref);
}

static void
key_verified (PromptRef *ref, int action)
{
  answer_key (ref, XTLS_ANSWER_VERIFIED);
}

static void
key_use_password (PromptRef *ref, int action)
{
  answer_key (ref, XTLS_ANSWER_USE_PASSWORD);
}

static void
key_accept_once (PromptRef *ref, int action)
{
  answer_key (ref, XTLS_ANSWER_ACCEPT_ONCE);
}

static void
key_cancel (PromptRef *ref, int action)
{
  answer_key (ref, XTLS_ANSWER_CANCEL);
}

/* ---- the shared password ----------------------------------------------------------------- */

static void
password_entered (PromptRef *ref, const char *password)
{
  XtlsAccount *xa;
  XtlsSession *s = answered (ref, &xa);

  if (s != NULL && password != NULL && *password != '\0')
    {
      xtls_session_supply_password (s, password);
      xtls_glue_schedule (xa);
    }
  else if (s != NULL)
    {
      xtls_session_decide (s, XTLS_ANSWER_CANCEL);
      xtls_glue_schedule (xa);
    }
  prompt_ref_free (ref);
}

static void
password_cancelled (PromptRef *ref, const char *password)
{
  password_entered (ref, NULL);
}

/* A file session's question says which file it is about: the same buttons as for chat. */
static char *
file_context (XtlsXfer *x, const char *bare)
{
  const char *name = x->xfer != NULL ? purple_xfer_get_filename (x->xfer) : NULL;

  if (name == NULL)
    name = "?";
  if (x->xfer != NULL && purple_xfer_get_type (x->xfer) == PURPLE_XFER_SEND)
    /* Translators: the first %s is a file name, the second the contact's XMPP address */
    return g_strdup_printf (_ ("The file %s is sent only after you have checked that this key "
                               "belongs to %s."),
                            name, bare);
  /* Translators: the first %s is a file name, the second the contact's XMPP address */
  return g_strdup_printf (_ ("The file %s is received only after you have checked that this key "
                             "belongs to %s."),
                          name, bare);
}

void
xtls_prompt_decision (XtlsAccount *xa, XtlsSession *s, XtlsDecision decision)
{
  const char *peer = xtls_session_get_peer (s);
  XtlsContact *c = xtls_contact_get (xa, peer);
  PurpleConversation *conv
      = purple_find_conversation_with_account (PURPLE_CONV_TYPE_IM, c->bare, xa->account);
  XtlsXfer *x = xtls_session_is_file (s) ? xtls_xfer_lookup_session (s) : NULL;
  PromptRef *ref;
  void **request;
  PurpleRequestType *request_type;
  g_autofree char *primary = NULL;
  g_autofree char *secondary = NULL;
  g_autofree char *context = NULL;

  if (xtls_session_is_file (s) && x == NULL)
    {
      xtls_session_decide (s, XTLS_ANSWER_CANCEL); /* no transfer left to ask about */
      return;
    }
  ref = g_new0 (PromptRef, 1);
  ref->account = xa->account;
  ref->peer = g_strdup (peer);
  ref->file = x;
  /* A chat asks one question per contact; each file asks its own, beside the chat's. */
  if (x != NULL)
    {
      xtls_prompt_close_file (x);
      x->request_ref = ref;
      request = &x->request;
      request_type = &x->request_type;
      context = file_context (x, c->bare);
    }
  else
    {
      xtls_prompt_close_contact (c);
      c->request_ref = ref;
      request = &c->request;
      request_type = &c->request_type;
    }
  switch (decision)
    {
      case XTLS_DECISION_NONE:
        if (x != NULL)
          xtls_prompt_close_file (x);
        else
          g_clear_pointer (&c->request_ref, prompt_ref_free);
        return;
      case XTLS_DECISION_UNKNOWN_KEY:
        /* Translators: %s is the contact's XMPP address */
        primary = g_strdup_printf (_ ("Is this really %s?"), c->bare);
        secondary = xtls_prompt_fingerprints (xa, xtls_session_get_peer_fingerprint (s), c->bare);
        if (context != NULL)
          {
            char *with = g_strconcat (context, "\n\n", secondary, NULL);
            g_free (secondary);
            secondary = with;
          }
        *request_type = PURPLE_REQUEST_ACTION;
        *request = purple_request_action (
            xtls_glue_plugin (), _ ("Verify your contact"), primary, secondary, 1, xa->account,
            c->bare, conv, ref, 4,
            /* Translators: a button: the user compared the safety code and it matched */
            _ ("I have verified this"), PURPLE_CALLBACK (key_verified),
            /* Translators: a button */
            _ ("Use a shared password instead"), PURPLE_CALLBACK (key_use_password),
            /* Translators: a button: trust the key now, but ask again next time */
            _ ("Accept for this session only"), PURPLE_CALLBACK (key_accept_once),
            /* Translators: a button */
            _ ("Cancel"), PURPLE_CALLBACK (key_cancel));
        break;
      case XTLS_DECISION_PASSWORD:
        /* Translators: %s is the contact's XMPP address */
        primary = g_strdup_printf (_ ("Type the password you agreed on with %s"), c->bare);
        secondary = g_strdup (
            _ ("Both of you type the same password, agreed in person or by phone (never by chat). "
               "It only proves that you are talking to each other; it is never sent anywhere. If "
               "the passwords differ, you are both told, and nothing is sent."));
        if (context != NULL)
          {
            char *with = g_strconcat (context, "\n\n", secondary, NULL);
            g_free (secondary);
            secondary = with;
          }
        *request_type = PURPLE_REQUEST_INPUT;
        *request = purple_request_input (
            xtls_glue_plugin (), _ ("Shared password"), primary, secondary, NULL, FALSE, TRUE, NULL,
            /* Translators: a button */
            _ ("OK"), PURPLE_CALLBACK (password_entered),
            /* Translators: a button */
            _ ("Cancel"), PURPLE_CALLBACK (password_cancelled), xa->account, c->bare, conv, ref);
        break;
    }
  /* A file with nobody to ask (a bot without request UI ops) would wait out the 30-minute
   * bound: it is cancelled now instead, as it was declined before files asked at all. A
   * dialog answered from inside purple_request_*() has already dropped @ref. */
  if (x != NULL && *request == NULL && x->request_ref == ref)
    {
      xtls_prompt_close_file (x);
      x->told = TRUE;
      xtls_conv_notice (xa, c->bare, PURPLE_MESSAGE_ERROR,
                        /* Translators: %s is the contact's XMPP address */
                        _ ("A file to or from %s needed you to verify their key, but this "
                           "program cannot ask: the file was not sent."),
                        c->bare);
      xtls_session_decide (s, XTLS_ANSWER_CANCEL);
    }
}

/* ---- the changed key: loud, and not a routine question ---------------------------------- */

void
xtls_prompt_key_changed (XtlsAccount *xa, XtlsSession *s)
{
  g_autofree char *bare = xtls_bare_of (xtls_session_get_peer (s));
  g_autofree char *primary
      /* Translators: %s is the contact's XMPP address */
      = g_strdup_printf (_ ("%s's key has changed. The private conversation was refused."), bare);

  purple_notify_message (
      xtls_glue_plugin (), PURPLE_NOTIFY_MSG_ERROR, _ ("Security warning: key changed"), primary,
      /* Translators: do not translate the command "/xtls forget" */
      _ ("The key your contact uses now is not the one you verified. This happens when they "
         "reinstall or use a new device, but it is also what an attacker in the middle would "
         "cause. Nothing was sent.\n\nAsk your contact, by phone or in person, whether their key "
         "changed. If it did, type /xtls forget in the conversation and verify them again."),
      NULL, NULL);
}

/* ---- a different key inside a password-verified tunnel: replace the pin only if asked ----- */

typedef struct
{
  PurpleAccount *account;
  char *bare;
  char *fingerprint;
} ReplaceRef;

static void
replace_ref_free (ReplaceRef *ref)
{
  g_free (ref->bare);
  g_free (ref->fingerprint);
  g_free (ref);
}

static void
replace_key (ReplaceRef *ref, int action)
{
  XtlsAccount *xa = xtls_glue_find (ref->account);
  g_autoptr (GError) error = NULL;

  if (xa != NULL
      && !xtls_trust_store_pin (xa->trust, ref->bare, ref->fingerprint, XTLS_VERIFIED_PASSWORD,
                                g_get_real_time () / G_USEC_PER_SEC, &error))
    xtls_conv_notice (xa, ref->bare, PURPLE_MESSAGE_ERROR,
                      /* Translators: %s is an error message from the system */
                      _ ("The new key could not be saved: %s"),
                      error != NULL ? error->message : "?");
  else if (xa != NULL)
    xtls_conv_notice (xa, ref->bare, 0, "%s",
                      _ ("The new key is saved; your next private conversations use it."));
  replace_ref_free (ref);
}

static void
keep_key (ReplaceRef *ref, int action)
{
  replace_ref_free (ref);
}

void
xtls_prompt_replace_key (XtlsAccount *xa, XtlsSession *s, const char *fingerprint)
{
  ReplaceRef *ref = g_new0 (ReplaceRef, 1);
  PurpleConversation *conv;
  g_autofree char *primary = NULL;

  ref->account = xa->account;
  ref->bare = xtls_bare_of (xtls_session_get_peer (s));
  ref->fingerprint = g_strdup (fingerprint);
  conv = purple_find_conversation_with_account (PURPLE_CONV_TYPE_IM, ref->bare, xa->account);
  /* Translators: %s is the contact's XMPP address */
  primary = g_strdup_printf (_ ("Replace the saved key of %s?"), ref->bare);
  purple_request_action (
      xtls_glue_plugin (), _ ("Contact's key changed"), primary,
      _ ("Your shared password proved that you are talking to your contact, but their software "
         "now uses a different key from the one you verified earlier. This is normal after they "
         "reinstall or switch devices. Replace the saved key with the new one?"),
      1, xa->account, ref->bare, conv, ref, 2,
      /* Translators: a button */
      _ ("Replace the key"), PURPLE_CALLBACK (replace_key),
      /* Translators: a button */
      _ ("Keep the old key"), PURPLE_CALLBACK (keep_key));
}
