/* Conversations: what the user types goes through the tunnel when a private conversation is
 * wanted (never through the server in plaintext), what arrives through the tunnel takes the
 * normal received-IM path (logging, notifications, other plugins), and every change is told
 * in plain words inside the conversation. */
#include <stdarg.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "glue.h"
#include "xtls-error.h"

/* Marks messages that travelled through the tunnel ("🔒 "). */
#define LOCK_MARK "\xf0\x9f\x94\x92 "
/* Marks a plaintext message that arrives during a private conversation ("⚠ "). */
#define WARNING_MARK "\xe2\x9a\xa0 "

/* ---- contacts ----------------------------------------------------------------------------- */

void
xtls_contact_free (XtlsContact *c)
{
  if (c->slow_timer != 0)
    purple_timeout_remove (c->slow_timer);
  xtls_prompt_close_contact (c);
  g_queue_clear_full (&c->waiting, g_free);
  g_free (c->bare);
  g_free (c->peer);
  g_free (c->resolving);
  g_free (c);
}

XtlsContact *
xtls_contact_find (XtlsAccount *xa, const char *jid)
{
  g_autofree char *bare = xtls_bare_of (jid);
  g_autofree char *key = bare != NULL ? g_utf8_strdown (bare, -1) : NULL;

  return key != NULL ? g_hash_table_lookup (xa->contacts, key) : NULL;
}

/* Contacts with nothing to remember are dropped when the table grows, so sessions from many
 * strangers (when allowed) leave nothing behind. Called from the timer only, when no caller
 * can hold a contact. */
#define MAX_IDLE_CONTACTS 256

static gboolean
contact_is_idle (XtlsAccount *xa, XtlsContact *c)
{
  return !c->wanted && !c->held && !c->stopping && c->request == NULL && c->resolving == NULL
         && c->slow_timer == 0 && g_queue_is_empty (&c->waiting)
         && xtls_conv_session (xa, c->bare) == NULL;
}

void
xtls_conv_prune (XtlsAccount *xa)
{
  GHashTableIter iter;
  gpointer value;

  if (g_hash_table_size (xa->contacts) < MAX_IDLE_CONTACTS)
    return;
  g_hash_table_iter_init (&iter, xa->contacts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (contact_is_idle (xa, value))
      g_hash_table_iter_remove (&iter);
}

XtlsContact *
xtls_contact_get (XtlsAccount *xa, const char *jid)
{
  g_autofree char *bare = xtls_bare_of (jid);
  g_autofree char *key = g_utf8_strdown (bare, -1);
  XtlsContact *c = g_hash_table_lookup (xa->contacts, key);

  if (c == NULL)
    {
      c = g_new0 (XtlsContact, 1);
      c->xa = xa;
      c->bare = g_steal_pointer (&key);
      g_queue_init (&c->waiting);
      g_hash_table_insert (xa->contacts, c->bare, c);
    }
  return c;
}

XtlsSession *
xtls_conv_session (XtlsAccount *xa, const char *jid)
{
  XtlsContact *c = xtls_contact_get (xa, jid);
  XtlsSession *s = c->peer != NULL ? xtls_hub_lookup (xa->hub, c->peer) : NULL;
  XtlsTrustState state = s != NULL ? xtls_session_get_state (s) : XTLS_STATE_NOT_PRIVATE;

  return state == XTLS_STATE_NEGOTIATING || state == XTLS_STATE_UNVERIFIED
                 || state == XTLS_STATE_PRIVATE
             ? s
             : NULL;
}

int
xtls_glue_policy (XtlsAccount *xa, const char *bare)
{
  PurpleBuddy *buddy = purple_find_buddy (xa->account, bare);
  int policy = buddy != NULL
                   ? purple_blist_node_get_int ((PurpleBlistNode *)buddy, XTLS_BLIST_POLICY)
                   : XTLS_API_POLICY_DEFAULT;

  if (policy == XTLS_API_POLICY_DEFAULT)
    policy = purple_prefs_get_int (XTLS_PREF_POLICY);
  return policy;
}

char *
xtls_conv_device_name (XtlsAccount *xa, const char *full_jid)
{
  const char *slash = full_jid != NULL ? strchr (full_jid, '/') : NULL;
  const char *client = slash != NULL ? xtls_xmpp_client_name (xa, full_jid) : NULL;

  if (slash == NULL)
    return NULL;
  if (client != NULL)
    /* Translators: a contact's device: the first %s is its XMPP resource (e.g. "phone"), the
     * second the client program from its capabilities (e.g. "Gajim") */
    return g_strdup_printf (_ ("“%s” (%s)"), slash + 1, client);
  /* Translators: a contact's device: %s is its XMPP resource (e.g. "phone") */
  return g_strdup_printf (_ ("“%s”"), slash + 1);
}

/* ---- writing into the conversation ------------------------------------------------------ */

static PurpleConversation *
conversation (XtlsAccount *xa, const char *bare)
{
  PurpleConversation *conv
      = purple_find_conversation_with_account (PURPLE_CONV_TYPE_IM, bare, xa->account);

  if (conv == NULL)
    conv = purple_conversation_new (PURPLE_CONV_TYPE_IM, xa->account, bare);
  return conv;
}

static PurpleMessageFlags
log_flags (void)
{
  return xtls_glue_no_log () ? PURPLE_MESSAGE_NO_LOG : 0;
}

void
xtls_conv_notice (XtlsAccount *xa, const char *bare, PurpleMessageFlags flags, const char *format,
                  ...)
{
  va_list args;
  g_autofree char *text = NULL;
  g_autofree char *escaped = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  escaped = g_markup_escape_text (text, -1);
  purple_conversation_write (conversation (xa, bare), NULL, escaped,
                             flags | PURPLE_MESSAGE_SYSTEM | log_flags (), time (NULL));
}

static void
report_not_sent (XtlsAccount *xa, const char *bare, const char *text, const char *why)
{
  /* Translators: the first %s is the reason (one of the "Not sent" reasons below, e.g. "your
   * contact is offline"), the second %s is the text of the message that was not sent. */
  xtls_conv_notice (xa, bare, PURPLE_MESSAGE_ERROR, _ ("Not sent (%s): \"%s\""), why, text);
}

/* Texts typed while we found out whether the peer can do XTLS: they never leave. */
static void
fail_waiting (XtlsAccount *xa, XtlsContact *c, const char *why)
{
  char *text;

  while ((text = g_queue_pop_head (&c->waiting)) != NULL)
    {
      report_not_sent (xa, c->bare, text, why);
      xtls_api_emit_message_status (xa, NULL, text, FALSE);
      g_free (text);
    }
}

/* A long message on a slow server (a shaper, e.g. ejabberd's default 3000 B/s) can take a
 * minute: the user hears that it is on its way, and when it arrived, rather than nothing. */
#define LONG_MESSAGE_BYTES (32 * 1024)
#define SLOW_FIRST_S 5
#define SLOW_AGAIN_S 10

static gboolean
watch_slow_message (gpointer data)
{
  XtlsContact *c = data;
  XtlsSession *s = xtls_conv_session (c->xa, c->bare);
  gsize left = s != NULL ? xtls_session_get_unacknowledged_bytes (s) : 0;

  c->slow_timer = 0;
  if (left == 0)
    {
      if (c->slow_told && s != NULL)
        xtls_conv_notice (c->xa, c->bare, 0, "%s", _ ("Your long message has arrived."));
      c->slow_told = FALSE;
      return FALSE;
    }
  xtls_conv_notice (c->xa, c->bare, 0,
                    /* Translators: %u is a number of kilobytes */
                    _ ("Still sending your long message: about %u KB to go. Your server limits "
                       "how fast it passes messages on."),
                    (guint)MIN ((left + 1023) / 1024, G_MAXUINT));
  c->slow_told = TRUE;
  c->slow_timer = purple_timeout_add_seconds (SLOW_AGAIN_S, watch_slow_message, c);
  return FALSE;
}

static void
send_through (XtlsAccount *xa, XtlsSession *s, const char *text)
{
  guint64 id = xtls_session_send_message (s, text);
  g_autofree char *bare = xtls_bare_of (xtls_session_get_peer (s));

  if (id == 0)
    {
      /* Translators: a reason in "Not sent (%s): ..." */
      report_not_sent (xa, bare, text, _ ("the private conversation has ended"));
      return;
    }
  g_hash_table_insert (xa->messages, g_memdup2 (&id, sizeof id), g_strdup (text));
  if (strlen (text) >= LONG_MESSAGE_BYTES)
    {
      XtlsContact *c = xtls_contact_get (xa, bare);
      if (c->slow_timer == 0)
        c->slow_timer = purple_timeout_add_seconds (SLOW_FIRST_S, watch_slow_message, c);
    }
}

/* ---- starting and stopping ------------------------------------------------------------- */

static void
start_session (XtlsAccount *xa, XtlsContact *c, const char *full_jid)
{
  XtlsSession *s;
  char *text;

  c->initiating = TRUE;
  s = xtls_hub_start (xa->hub, full_jid);
  c->initiating = FALSE;

  g_free (c->peer);
  c->peer = g_strdup (full_jid);
  while ((text = g_queue_pop_head (&c->waiting)) != NULL)
    {
      send_through (xa, s, text);
      g_free (text);
    }
  xtls_glue_schedule (xa);
}

gboolean
xtls_conv_start (XtlsAccount *xa, const char *peer)
{
  XtlsContact *c = xtls_contact_get (xa, peer);
  GList *resources;
  g_autofree char *chosen = NULL;
  g_autofree char *best = NULL;

  c->wanted = TRUE;
  c->stopping = FALSE;
  c->unsupported = FALSE;
  if (xtls_conv_session (xa, c->bare) != NULL || c->resolving != NULL)
    return TRUE;
  if (strchr (peer, '/') != NULL)
    {
      if (xtls_xmpp_peer_supports (xa, peer))
        start_session (xa, c, peer);
      else
        xtls_xmpp_query_support (xa, c, peer);
      return TRUE;
    }
  /* The highest-priority resource that advertises XTLS (the list is transfer container). */
  resources = xtls_xmpp_resources (xa, c->bare);
  for (GList *r = resources; r != NULL && chosen == NULL; r = r->next)
    if (xtls_xmpp_peer_supports (xa, r->data))
      chosen = g_strdup (r->data);
  best = resources != NULL ? g_strdup (resources->data) : NULL;
  g_list_free (resources);
  if (chosen != NULL)
    {
      start_session (xa, c, chosen);
      return TRUE;
    }
  if (best == NULL)
    {
      xtls_conv_notice (xa, c->bare, PURPLE_MESSAGE_ERROR,
                        /* Translators: %s is the contact's XMPP address, e.g. alice@example.org */
                        _ ("%s is not online, so a private conversation cannot start now."),
                        c->bare);
      /* Translators: a reason in "Not sent (%s): ..." */
      fail_waiting (xa, c, _ ("your contact is offline"));
      return FALSE;
    }
  /* Caps did not say yes: ask the most likely resource directly (XEP-0030). */
  xtls_conv_notice (xa, c->bare, 0,
                    /* Translators: %s is the contact's XMPP address */
                    _ ("Checking whether %s's client supports private conversations..."), c->bare);
  xtls_xmpp_query_support (xa, c, best);
  return TRUE;
}

void
xtls_conv_resolved (XtlsAccount *xa, XtlsContact *c, const char *full_jid)
{
  g_clear_pointer (&c->resolving, g_free);
  if (full_jid != NULL && c->wanted)
    {
      start_session (xa, c, full_jid);
      return;
    }
  if (full_jid == NULL)
    {
      xtls_conv_notice (
          xa, c->bare, PURPLE_MESSAGE_ERROR,
          /* Translators: the first %s is the contact's XMPP address; the second %s is one of the
           * two sentences that follow ("Your settings require..." or "Type /xtls stop..."). */
          _ ("%s's client does not support XTLS private conversations, so nothing "
             "was encrypted. %s"),
          c->bare,
          xtls_glue_policy (xa, c->bare) == XTLS_API_POLICY_REQUIRE
              ? _ ("Your settings require encryption with this contact: messages "
                   "will not be sent.")
              /* Translators: do not translate the command "/xtls stop" */
              : _ ("Type /xtls stop to chat without encryption."));
      /* Translators: a reason in "Not sent (%s): ..." */
      fail_waiting (xa, c, _ ("your contact's client does not support XTLS"));
      c->unsupported = TRUE;
      xtls_api_emit_state_for (
          xa, c->bare, XTLS_STATE_FAILED,
          xtls_error_describe (&(GError){ .domain = XTLS_ERROR, .code = XTLS_ERROR_UNSUPPORTED }));
    }
}

void
xtls_conv_stop (XtlsAccount *xa, const char *peer)
{
  XtlsContact *c = xtls_contact_get (xa, peer);
  XtlsSession *s = xtls_conv_session (xa, c->bare);

  /* The one way back to plaintext: the user asks for it. */
  c->wanted = FALSE;
  c->held = FALSE;
  g_clear_pointer (&c->resolving, g_free);
  /* Translators: a reason in "Not sent (%s): ..." */
  fail_waiting (xa, c, _ ("you turned encryption off"));
  if (s == NULL)
    {
      xtls_conv_notice (xa, c->bare, 0,
                        _ ("No private conversation is running; messages are sent unencrypted."));
      return;
    }
  c->stopping = TRUE;
  xtls_session_stop (s);
  xtls_glue_schedule (xa);
}

/* ---- outgoing messages ------------------------------------------------------------------- */

/* Whether a message for contact @c must not go out in plaintext: a session runs or is being
 * set up, the conversation has been private (held), or the user's policy asks for encryption
 * (opportunistic: when one of the contact's resources supports XTLS). */
static gboolean
must_encrypt (XtlsAccount *xa, XtlsContact *c, XtlsSession *s)
{
  int policy = xtls_glue_policy (xa, c->bare);
  gboolean supported = FALSE;

  if (s != NULL || c->wanted || c->held || c->resolving != NULL
      || policy == XTLS_API_POLICY_REQUIRE)
    return TRUE;
  if (policy == XTLS_API_POLICY_OPPORTUNISTIC)
    {
      GList *resources = xtls_xmpp_resources (xa, c->bare);
      for (GList *r = resources; r != NULL && !supported; r = r->next)
        supported = xtls_xmpp_peer_supports (xa, r->data);
      g_list_free (resources);
    }
  return supported;
}

/* @text (plain text) goes through the tunnel, waits for it, or is reported as not sent;
 * never in plaintext. @echo: write it into the conversation as sent (a typed message:
 * libpurple's own write was cancelled with it). */
static void
take_outgoing (XtlsAccount *xa, XtlsContact *c, XtlsSession *s, const char *receiver,
               const char *text, gboolean echo)
{
  g_autofree char *shown = NULL;

  if (strlen (text) > xtls_session_max_body_bytes ())
    {
      /* Refused here, before anything is written as sent: the receiver could not take it
       * (README "Limits"). The notice does not quote a text this long. */
      xtls_conv_notice (xa, c->bare, PURPLE_MESSAGE_ERROR,
                        /* Translators: "Not sent: too large (300 KB, limit 256 KB)" */
                        _ ("Not sent: too large (%u KB, limit %u KB)"),
                        (guint)MIN ((strlen (text) + 1023) / 1024, G_MAXUINT),
                        (guint)(xtls_session_max_body_bytes () / 1024));
      xtls_api_emit_message_status (xa, s, text, FALSE);
      return;
    }
  if (c->held && s == NULL)
    {
      /* Not written as a sent message (no padlock): the notice quotes it. */
      report_not_sent (
          xa, c->bare, text,
          /* Translators: a reason in "Not sent (%s): ..."; do not translate the commands */
          _ ("the private conversation has ended; type /xtls start to "
             "start a new one or /xtls stop to chat unencrypted"));
      return;
    }
  if (echo)
    {
      shown = g_markup_escape_text (text, -1);
      g_autofree char *marked = g_strconcat (LOCK_MARK, shown, NULL);
      purple_conv_im_write (PURPLE_CONV_IM (conversation (xa, c->bare)), NULL, marked,
                            PURPLE_MESSAGE_SEND | log_flags (), time (NULL));
    }
  if (s != NULL)
    {
      send_through (xa, s, text);
      xtls_glue_schedule (xa);
      return;
    }
  g_queue_push_tail (&c->waiting, g_strdup (text));
  if (c->resolving == NULL)
    xtls_conv_start (xa, receiver);
}

/* Decides, before libpurple sends a typed message, whether it must go through the tunnel.
 * If so the plaintext send is cancelled (*message = NULL) and the message shown by us. */
static void
on_sending_im (PurpleAccount *account, const char *receiver, char **message, gpointer data)
{
  XtlsAccount *xa = xtls_glue_find (account);
  XtlsContact *c;
  XtlsSession *s;
  g_autofree char *text = NULL;

  if (xa == NULL || message == NULL || *message == NULL || receiver == NULL)
    return;
  c = xtls_contact_get (xa, receiver);
  s = xtls_conv_session (xa, c->bare);
  if (!must_encrypt (xa, c, s))
    return; /* plaintext, as the user's policy allows */

  /* From here on nothing reaches the server in plaintext. */
  text = purple_markup_strip_html (*message);
  g_free (*message);
  *message = NULL;
  take_outgoing (xa, c, s, receiver, text, TRUE);
}

gboolean
xtls_conv_divert_stanza (XtlsAccount *xa, const char *to, const char *body)
{
  XtlsContact *c = xtls_contact_get (xa, to);
  XtlsSession *s = xtls_conv_session (xa, c->bare);

  if (!must_encrypt (xa, c, s))
    {
      xtls_conv_prune (xa);
      return FALSE;
    }
  purple_debug_info ("xtls", "a message stanza sent around the conversation (serv_send_im or "
                             "an auto-reply) was kept out of plaintext\n");
  take_outgoing (xa, c, s, to, body, FALSE);
  return TRUE;
}

/* ---- incoming messages ------------------------------------------------------------------- */

/* A plaintext message while a private conversation runs is shown, with a warning. */
static gboolean
on_receiving_im (PurpleAccount *account, char **sender, char **message, PurpleConversation *conv,
                 PurpleMessageFlags *flags, gpointer data)
{
  XtlsAccount *xa = xtls_glue_find (account);
  XtlsSession *s;

  if (xa == NULL || xa->delivering || sender == NULL || *sender == NULL || *message == NULL)
    return FALSE;
  /* Anyone can send us messages: look up, never create, so a flood keeps nothing. */
  s = xtls_contact_find (xa, *sender) != NULL ? xtls_conv_session (xa, *sender) : NULL;
  if (s != NULL
      && (xtls_session_get_state (s) == XTLS_STATE_PRIVATE
          || xtls_session_get_state (s) == XTLS_STATE_UNVERIFIED))
    {
      /* Translators: put before a message that arrived unencrypted in the middle of a private
       * conversation: "⚠ not encrypted: <message>". Keep the colon and the space. */
      char *warned = g_strconcat (WARNING_MARK, _ ("not encrypted: "), *message, NULL);
      g_free (*message);
      *message = warned;
    }
  return FALSE;
}

/* Tunnel messages are marked where they are written, so logs and the window agree. */
static gboolean
on_writing_im (PurpleAccount *account, const char *who, char **message, PurpleConversation *conv,
               PurpleMessageFlags flags, gpointer data)
{
  XtlsAccount *xa = xtls_glue_find (account);

  if (xa != NULL && xa->delivering && (flags & PURPLE_MESSAGE_RECV) && *message != NULL)
    {
      char *marked = g_strconcat (LOCK_MARK, *message, NULL);
      g_free (*message);
      *message = marked;
    }
  return FALSE;
}

/* ---- the core's callbacks ----------------------------------------------------------------- */

static void
hub_send (XtlsHub *hub, const char *xml, gpointer user_data)
{
  xtls_xmpp_send (user_data, xml);
}

static const char *
verified_how (XtlsSession *s)
{
  switch (xtls_session_get_verification (s))
    {
      case XTLS_VERIFICATION_PASSWORD:
        /* Translators: how the identity was verified, in "Their identity is verified (%s)" */
        return _ ("by your shared password");
      case XTLS_VERIFICATION_BY_USER:
        /* Translators: how the identity was verified, in "Their identity is verified (%s)" */
        return _ ("by you, just now");
      case XTLS_VERIFICATION_KNOWN_KEY:
      case XTLS_VERIFICATION_NONE:
        break;
    }
  /* Translators: how the identity was verified, in "Their identity is verified (%s)" */
  return _ ("by their known key");
}

/* The device the session went to is gone. The session is not moved to another of the
 * contact's devices: that one may be someone else's (a stolen laptop still signed in), so
 * the user starts again and sees which device it is. */
static char *
describe_device_gone (XtlsAccount *xa, XtlsSession *s, const char *bare)
{
  g_autofree char *device = xtls_conv_device_name (xa, xtls_session_get_peer (s));
  GList *resources = xtls_xmpp_resources (xa, bare);
  GString *others = g_string_new (NULL);
  char *text;

  for (GList *r = resources; r != NULL; r = r->next)
    {
      g_autofree char *other = g_ascii_strcasecmp (r->data, xtls_session_get_peer (s)) != 0
                                   ? xtls_conv_device_name (xa, r->data)
                                   : NULL;
      if (other != NULL)
        g_string_append_printf (others, "%s%s", others->len > 0 ? ", " : "", other);
    }
  g_list_free (resources);
  if (others->len == 0)
    /* Translators: the first %s is the contact's XMPP address, the second their device, e.g.
     * "“phone” (Gajim)" */
    text = g_strdup_printf (_ ("The private conversation with %s ended: their device %s went "
                               "offline."),
                            bare, device != NULL ? device : "?");
  else
    /* Translators: the first %s is the contact's XMPP address, the second their device that
     * went offline, the third the list of their devices still online; do not translate the
     * command "/xtls start" */
    text = g_strdup_printf (_ ("The private conversation with %s ended: their device %s went "
                               "offline. They are still online on %s; the private conversation "
                               "does not move there by itself. To continue privately there, "
                               "choose that device under the status button or type /xtls "
                               "start."),
                            bare, device != NULL ? device : "?", others->str);
  g_string_free (others, TRUE);
  return text;
}

static char *
describe_state (XtlsSession *s, XtlsTrustState state, const GError *error, const char *bare,
                XtlsContact *c)
{
  const char *tls = xtls_session_get_tls_description (s);

  switch (state)
    {
      case XTLS_STATE_NOT_PRIVATE:
        return NULL;
      case XTLS_STATE_NEGOTIATING:
        if (c->last_state == XTLS_STATE_UNVERIFIED && xtls_session_awaits_peer_user (s))
          /* Translators: %s is the contact's XMPP address */
          return g_strdup_printf (_ ("Waiting for %s to decide too. Nothing is sent before both "
                                     "of you have answered."),
                                  bare);
        if (c->last_state != XTLS_STATE_NOT_PRIVATE && c->last_state != XTLS_STATE_FINISHED
            && c->last_state != XTLS_STATE_FAILED)
          return NULL; /* the decision was made; the setup continues */
        {
          g_autofree char *device = xtls_conv_device_name (c->xa, xtls_session_get_peer (s));
          if (xtls_session_is_initiator (s) || c->initiating)
            return device != NULL
                       /* Translators: the first %s is the contact's XMPP address, the second
                        * their device, e.g. "“phone” (Gajim)" */
                       ? g_strdup_printf (_ ("Starting a private conversation with %s on their "
                                             "device %s..."),
                                          bare, device)
                       /* Translators: %s is the contact's XMPP address */
                       : g_strdup_printf (_ ("Starting a private conversation with %s..."), bare);
          return device != NULL
                     /* Translators: the first %s is the contact's XMPP address, the second
                      * their device, e.g. "“phone” (Gajim)" */
                     ? g_strdup_printf (_ ("%s started a private conversation from their device "
                                           "%s. Setting it up..."),
                                        bare, device)
                     /* Translators: %s is the contact's XMPP address */
                     : g_strdup_printf (_ ("%s started a private conversation. Setting it up..."),
                                        bare);
        }
      case XTLS_STATE_UNVERIFIED:
        if (tls == NULL && xtls_session_get_pending_decision (s) == XTLS_DECISION_PASSWORD)
          /* Translators: %s is the contact's XMPP address; do not translate the commands */
          return g_strdup_printf (_ ("Waiting for you to type the password you agreed on with "
                                     "%s. (See the dialog, or type /xtls password followed by "
                                     "the password, or /xtls stop.)"),
                                  bare);
        if (tls == NULL)
          /* Translators: %s is the contact's XMPP address; do not translate the commands */
          return g_strdup_printf (_ ("Waiting for your decision: is this really %s? (See the "
                                     "dialog, or type /xtls verify, /xtls password or /xtls "
                                     "stop.)"),
                                  bare);
        /* Translators: the first %s is the contact's XMPP address, the second the encryption in
         * technical terms, e.g. "TLS1.3, AES-256-GCM" */
        return g_strdup_printf (_ ("Private conversation with %s started, but their identity is "
                                   "NOT verified: you accepted their key for this session only. "
                                   "Messages are end-to-end encrypted (%s)."),
                                bare, tls);
      case XTLS_STATE_PRIVATE:
        /* Translators: the first %s is the contact's XMPP address, the second says how the
         * identity was verified ("by your shared password" or "by their known key"), the third
         * is the encryption in technical terms, e.g. "TLS1.3, AES-256-GCM" */
        return g_strdup_printf (_ ("Private conversation with %s started. Their identity is "
                                   "verified (%s). Messages are end-to-end encrypted (%s)."),
                                bare, verified_how (s), tls != NULL ? tls : "TLS");
      case XTLS_STATE_FINISHED:
        if (error != NULL)
          /* Translators: the first %s is the contact's XMPP address, the second a sentence
           * saying why it ended */
          return g_strdup_printf (_ ("The private conversation with %s ended: %s"), bare,
                                  xtls_error_describe (error));
        if (c->stopping)
          /* Translators: %s is the contact's XMPP address */
          return g_strdup_printf (_ ("The private conversation with %s ended. Messages are now "
                                     "sent unencrypted."),
                                  bare);
        {
          /* Which of their devices ended it (one quitting its client ends the session too). */
          g_autofree char *device = xtls_conv_device_name (c->xa, xtls_session_get_peer (s));
          if (device != NULL)
            /* Translators: the first %s is the contact's XMPP address, the second their
             * device, e.g. "“phone” (Gajim)"; do not translate the commands */
            return g_strdup_printf (_ ("%s ended the private conversation on their device %s. "
                                       "Your messages will not be sent until you type /xtls "
                                       "start (new private conversation) or /xtls stop "
                                       "(continue unencrypted)."),
                                    bare, device);
          /* Translators: %s is the contact's XMPP address; do not translate the commands */
          return g_strdup_printf (_ ("%s ended the private conversation. Your messages will not "
                                     "be sent until you type /xtls start (new private "
                                     "conversation) or /xtls stop (continue unencrypted)."),
                                  bare);
        }
      case XTLS_STATE_FAILED:
        if (g_error_matches (error, XTLS_ERROR, XTLS_ERROR_PEER_GONE))
          return describe_device_gone (c->xa, s, bare);
        /* Translators: the first %s is the contact's XMPP address, the second a sentence
         * saying why it failed */
        return g_strdup_printf (_ ("The private conversation with %s failed. %s"), bare,
                                xtls_error_describe (error));
    }
  return NULL;
}

static void
hub_state_changed (XtlsHub *hub, XtlsSession *s, XtlsTrustState state, const GError *error,
                   gpointer user_data)
{
  XtlsAccount *xa = user_data;
  const char *peer = xtls_session_get_peer (s);
  XtlsContact *c;
  g_autofree char *text = NULL;
  gboolean was_private;
  gboolean ended = state == XTLS_STATE_FINISHED || state == XTLS_STATE_FAILED;

  /* A file session is not the conversation: xfer.c tells its end (file_ended). */
  if (xtls_session_is_file (s))
    return;
  c = xtls_contact_get (xa, peer);
  was_private = c->last_state == XTLS_STATE_PRIVATE || c->last_state == XTLS_STATE_UNVERIFIED;
  g_free (c->peer);
  c->peer = g_strdup (peer);
  text = describe_state (s, state, error, c->bare, c);
  /* Fail closed in both roles: once private, only the user's own stop returns to plaintext. */
  if (state == XTLS_STATE_PRIVATE
      || (state == XTLS_STATE_UNVERIFIED && xtls_session_get_tls_description (s) != NULL))
    c->held = TRUE;
  if (ended && c->stopping)
    c->held = FALSE;
  if (ended)
    xtls_prompt_close (xa, c->bare);
  if (text != NULL)
    xtls_conv_notice (xa, c->bare, state == XTLS_STATE_FAILED ? PURPLE_MESSAGE_ERROR : 0, "%s",
                      text);
  if (ended && c->held && was_private && (error != NULL || state == XTLS_STATE_FAILED))
    xtls_conv_notice (xa, c->bare, 0, "%s",
                      /* Translators: do not translate the commands */
                      _ ("Nothing you type is sent unencrypted: type /xtls start for a new "
                         "private conversation, or /xtls stop to chat unencrypted."));
  if (ended)
    c->stopping = FALSE;
  c->last_state = state;
  if (state == XTLS_STATE_FAILED && g_error_matches (error, XTLS_ERROR, XTLS_ERROR_KEY_CHANGED))
    xtls_prompt_key_changed (xa, s);
  xtls_api_emit_state (xa, s, state, error != NULL ? xtls_error_describe (error) : NULL);
}

static void
hub_decision_needed (XtlsHub *hub, XtlsSession *s, XtlsDecision decision, gpointer user_data)
{
  XtlsAccount *xa = user_data;

  if (xtls_session_is_file (s))
    {
      xtls_xfer_decision (xa, s, decision);
      return;
    }
  if (!xtls_api_emit_decision (xa, s, decision))
    xtls_prompt_decision (xa, s, decision);
}

static void
hub_message_received (XtlsHub *hub, XtlsSession *s, const char *body, gpointer user_data)
{
  XtlsAccount *xa = user_data;
  g_autofree char *bare = xtls_bare_of (xtls_session_get_peer (s));
  g_autofree char *escaped = g_markup_escape_text (body, -1);

  /* The normal received-IM path, so logging, notifications and other plugins work. */
  xa->delivering = TRUE;
  serv_got_im (xa->gc, bare, escaped, PURPLE_MESSAGE_RECV | log_flags (), time (NULL));
  xa->delivering = FALSE;
}

static void
hub_message_status (XtlsHub *hub, XtlsSession *s, guint64 id, gboolean sent, gpointer user_data)
{
  XtlsAccount *xa = user_data;
  const char *text = g_hash_table_lookup (xa->messages, &id);
  g_autofree char *bare = xtls_bare_of (xtls_session_get_peer (s));

  if (text == NULL)
    return;
  if (!sent)
    /* Translators: a reason in "Not sent (%s): ..." */
    report_not_sent (xa, bare, text, _ ("the private conversation could not be set up"));
  xtls_api_emit_message_status (xa, s, text, sent);
  g_hash_table_remove (xa->messages, &id);
}

/* Asked before the core keeps anything of an offer. Strangers (not in the buddy list) are
 * refused without a window or a dialog unless the user allowed them. */
static XtlsOfferVerdict
hub_incoming (XtlsHub *hub, const char *peer, gpointer user_data)
{
  XtlsAccount *xa = user_data;
  g_autofree char *bare = xtls_bare_of (peer);

  if (purple_find_buddy (xa->account, bare) == NULL && !purple_prefs_get_bool (XTLS_PREF_STRANGERS))
    {
      purple_debug_info ("xtls", "refused an offer from someone not in the buddy list\n");
      return XTLS_OFFER_REFUSE;
    }
  if (xtls_glue_policy (xa, bare) != XTLS_API_POLICY_NEVER)
    return XTLS_OFFER_ACCEPT;
  xtls_conv_notice (xa, bare, 0,
                    /* Translators: %s is the contact's XMPP address */
                    _ ("%s asked for a private conversation; declined because your settings say "
                       "never to use encryption with this contact."),
                    bare);
  return XTLS_OFFER_DECLINE;
}

static void
hub_key_conflict (XtlsHub *hub, XtlsSession *s, const char *fingerprint, gpointer user_data)
{
  xtls_prompt_replace_key (user_data, s, fingerprint);
}

const XtlsHubOps xtls_conv_hub_ops = {
  .send = hub_send,
  .state_changed = hub_state_changed,
  .decision_needed = hub_decision_needed,
  .message_received = hub_message_received,
  .message_status = hub_message_status,
  .incoming = hub_incoming,
  .key_conflict = hub_key_conflict,
  .file_offered = xtls_xfer_offered,
  .file_read = xtls_xfer_read,
  .file_store = xtls_xfer_store,
  .file_progress = xtls_xfer_progress,
  .file_ended = xtls_xfer_ended,
};

void
xtls_conv_init (PurplePlugin *plugin)
{
  void *convs = purple_conversations_get_handle ();

  purple_signal_connect (convs, "sending-im-msg", plugin, PURPLE_CALLBACK (on_sending_im), NULL);
  purple_signal_connect (convs, "receiving-im-msg", plugin, PURPLE_CALLBACK (on_receiving_im),
                         NULL);
  purple_signal_connect (convs, "writing-im-msg", plugin, PURPLE_CALLBACK (on_writing_im), NULL);
}
