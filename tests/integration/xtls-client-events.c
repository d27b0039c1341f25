/* xtls-client: event lines on stdout, and what libpurple would show the user in a window:
 * conversation writes (CONV), notifications, disconnect reasons, and the core signals about
 * the connection, received messages and presence (RECV, PRESENCE, READY, ...).
 *
 * Texts in events escape "\\" as "\\\\", newline as "\\n", CR as "\\r" and tab as "\\t". */
#include "xtls-client.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- Output ------------------------------------------------------------------------------ */

char *
xtls_client_escape (const char *text)
{
  GString *out;
  const char *run;

  if (text == NULL)
    return g_strdup ("");
  out = g_string_sized_new (strlen (text) + 8);
  /* Copies runs between the characters to escape: bench/ sends 128 KiB messages, and a
   * character at a time was a tenth of the receiving client's CPU. */
  for (run = text; *run != '\0';)
    {
      gsize n = strcspn (run, "\\\n\r\t");

      g_string_append_len (out, run, n);
      run += n;
      switch (*run)
        {
          case '\\':
            g_string_append (out, "\\\\");
            break;
          case '\n':
            g_string_append (out, "\\n");
            break;
          case '\r':
            g_string_append (out, "\\r");
            break;
          case '\t':
            g_string_append (out, "\\t");
            break;
          default:
            continue; /* the end */
        }
      run++;
    }
  return g_string_free (out, FALSE);
}

void
xtls_client_emit (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  vfprintf (stdout, format, args);
  va_end (args);
  fputc ('\n', stdout);
  fflush (stdout);
}

const char *
xtls_client_or_dash (const char *text)
{
  return (text != NULL && *text != '\0') ? text : "-";
}

/* ---- Conversation UI ops: what the user would see ---------------------------------------- */

static void
xtls_client_write_conv (PurpleConversation *conv, const char *name, const char *alias,
                        const char *message, PurpleMessageFlags flags, time_t mtime)
{
  g_autofree char *text = xtls_client_escape (message);

  xtls_client_emit ("CONV %s %s %d %s", purple_conversation_get_name (conv),
                    xtls_client_or_dash (name), (int)flags, text);
}

static PurpleConversationUiOps xtls_client_conv_ops = {
  .write_conv = xtls_client_write_conv,
};

PurpleConversationUiOps *
xtls_client_conv_ui_ops (void)
{
  return &xtls_client_conv_ops;
}

/* ---- Notify and connection UI ops ------------------------------------------------------- */

static void *
xtls_client_notify_message (PurpleNotifyMsgType type, const char *title, const char *primary,
                            const char *secondary)
{
  g_autofree char *t = xtls_client_escape (title);
  g_autofree char *p = xtls_client_escape (primary);
  g_autofree char *s = xtls_client_escape (secondary);

  xtls_client_emit ("NOTIFY %d %s\t%s\t%s", (int)type, t, p, s);
  return NULL; /* libpurple then calls the close callback at once */
}

static void *
xtls_client_notify_formatted (const char *title, const char *primary, const char *secondary,
                              const char *text)
{
  g_autofree char *t = xtls_client_escape (title);
  g_autofree char *p = xtls_client_escape (primary);
  g_autofree char *s = xtls_client_escape (secondary);
  g_autofree char *x = xtls_client_escape (text);

  xtls_client_emit ("NOTIFY formatted %s\t%s\t%s\t%s", t, p, s, x);
  return NULL;
}

static PurpleNotifyUiOps xtls_client_notify_ops = {
  .notify_message = xtls_client_notify_message,
  .notify_formatted = xtls_client_notify_formatted,
};

PurpleNotifyUiOps *
xtls_client_notify_ui_ops (void)
{
  return &xtls_client_notify_ops;
}

static void
xtls_client_report_disconnect_reason (PurpleConnection *gc, PurpleConnectionError reason,
                                      const char *text)
{
  g_autofree char *t = xtls_client_escape (text);

  xtls_client_emit ("DISCONNECTED %d %s", (int)reason, t);
}

static PurpleConnectionUiOps xtls_client_connection_ops = {
  .report_disconnect_reason = xtls_client_report_disconnect_reason,
};

PurpleConnectionUiOps *
xtls_client_connection_ui_ops (void)
{
  return &xtls_client_connection_ops;
}

/* ---- Core signals ------------------------------------------------------------------------ */

static void
xtls_client_signed_on (PurpleConnection *gc, gpointer data)
{
  if (xtls_client_is_ours (purple_connection_get_account (gc)))
    xtls_client_emit ("READY");
}

static void
xtls_client_signed_off (PurpleConnection *gc, gpointer data)
{
  if (xtls_client_is_ours (purple_connection_get_account (gc)))
    xtls_client_emit ("SIGNED-OFF");
}

static void
xtls_client_connection_error (PurpleConnection *gc, PurpleConnectionError err, const char *desc,
                              gpointer data)
{
  g_autofree char *text = xtls_client_escape (desc);

  xtls_client_emit ("CONN-ERROR %d %s", (int)err, text);
}

static void
xtls_client_received_im (PurpleAccount *account, const char *sender, const char *message,
                         PurpleConversation *conv, PurpleMessageFlags flags, gpointer data)
{
  g_autofree char *text = NULL;

  if (!xtls_client_is_ours (account))
    return;
  text = xtls_client_escape (message);
  xtls_client_emit ("RECV %s %d %s", sender, (int)flags, text);
}

static void
xtls_client_buddy_signed_on (PurpleBuddy *buddy, gpointer data)
{
  if (xtls_client_is_ours (purple_buddy_get_account (buddy)))
    xtls_client_emit ("PRESENCE %s available", purple_buddy_get_name (buddy));
}

static void
xtls_client_buddy_signed_off (PurpleBuddy *buddy, gpointer data)
{
  if (xtls_client_is_ours (purple_buddy_get_account (buddy)))
    xtls_client_emit ("PRESENCE %s unavailable", purple_buddy_get_name (buddy));
}

/* Every presence stanza with its full JID; FALSE lets the jabber prpl handle it as usual. */
static gboolean
xtls_client_receiving_presence (PurpleConnection *gc, const char *type, const char *from,
                                xmlnode *presence, gpointer data)
{
  if (xtls_client_is_ours (purple_connection_get_account (gc)) && from != NULL)
    xtls_client_emit ("PRESENCE %s %s", from, (type == NULL || *type == '\0') ? "available" : type);
  return FALSE;
}

void
xtls_client_events_connect_signals (void *handle)
{
  PurplePlugin *jabber = purple_find_prpl ("prpl-jabber");

  purple_signal_connect (purple_connections_get_handle (), "signed-on", handle,
                         PURPLE_CALLBACK (xtls_client_signed_on), NULL);
  purple_signal_connect (purple_connections_get_handle (), "signed-off", handle,
                         PURPLE_CALLBACK (xtls_client_signed_off), NULL);
  purple_signal_connect (purple_connections_get_handle (), "connection-error", handle,
                         PURPLE_CALLBACK (xtls_client_connection_error), NULL);
  purple_signal_connect (purple_conversations_get_handle (), "received-im-msg", handle,
                         PURPLE_CALLBACK (xtls_client_received_im), NULL);
  purple_signal_connect (purple_blist_get_handle (), "buddy-signed-on", handle,
                         PURPLE_CALLBACK (xtls_client_buddy_signed_on), NULL);
  purple_signal_connect (purple_blist_get_handle (), "buddy-signed-off", handle,
                         PURPLE_CALLBACK (xtls_client_buddy_signed_off), NULL);
  if (jabber != NULL)
    purple_signal_connect (jabber, "jabber-receiving-presence", handle,
                           PURPLE_CALLBACK (xtls_client_receiving_presence), NULL);
}
