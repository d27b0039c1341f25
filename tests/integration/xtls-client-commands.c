/* xtls-client: the stdin line protocol. One command a line, read on the main loop and
 * dispatched here; the commands that only type into conversations or ask the jabber prpl
 * are here too, the rest live with what they drive (requests, transfers, the plugin). The
 * lines are wiped once handled: an "answer-input" may carry a password. */
#include "xtls-client.h"

#include <string.h>
#include <unistd.h>

static PurpleConversation *
xtls_client_im_conversation (const char *who)
{
  /* purple_conversation_new() returns the existing conversation when there is one (names are
   * compared normalized: for XMPP, bare JIDs). */
  return purple_conversation_new (PURPLE_CONV_TYPE_IM, xtls_client_account (), who);
}

gboolean
xtls_client_require_connection (const char *command)
{
  if (purple_account_is_connected (xtls_client_account ()))
    return TRUE;
  xtls_client_emit ("ERROR %s: not connected", command);
  return FALSE;
}

/* @flags: PURPLE_MESSAGE_NO_LINKIFY for "im-nolink" (libpurple then skips turning the text
 * into links for its own display of the sent message, which costs about 10 ms per 128 KiB:
 * the benchmark uses it to measure the tunnel rather than libpurple's display). */
static void
xtls_client_cmd_im (const char *who, const char *text, PurpleMessageFlags flags)
{
  PurpleConversation *conv;
  g_autofree char *markup = NULL;

  if (!xtls_client_require_connection ("im"))
    return;
  conv = xtls_client_im_conversation (who);
  /* What a UI passes is HTML: the user's text, escaped. */
  markup = g_markup_escape_text (text, -1);
  purple_conv_im_send_with_flags (PURPLE_CONV_IM (conv), markup, flags);
  xtls_client_emit ("IM-SENT %s", who);
}

/* As a bot sends: serv_send_im() straight to the prpl, no conversation and no sending-im-msg
 * signal (the plugin must still keep it out of plaintext when the contact is private). */
static void
xtls_client_cmd_serv_im (const char *who, const char *text)
{
  g_autofree char *markup = NULL;
  int rc;

  if (!xtls_client_require_connection ("serv-im"))
    return;
  markup = g_markup_escape_text (text, -1);
  rc = serv_send_im (purple_account_get_connection (xtls_client_account ()), who, markup, 0);
  xtls_client_emit ("SERV-IM-SENT %s %d", who, rc);
}

static void
xtls_client_cmd_cmd (const char *who, const char *cmdline)
{
  PurpleConversation *conv = xtls_client_im_conversation (who);
  g_autofree char *error = NULL;
  g_autofree char *markup = NULL;
  g_autofree char *escaped = NULL;
  PurpleCmdStatus status;

  if (*cmdline == '/')
    cmdline++;
  markup = g_markup_escape_text (cmdline, -1);
  status = purple_cmd_do_command (conv, cmdline, markup, &error);
  escaped = xtls_client_escape (error);
  xtls_client_emit ("CMD %d%s%s", (int)status, error != NULL ? " " : "", escaped);
}

static void
xtls_client_cmd_feature (const char *jid, const char *ns)
{
  PurplePlugin *jabber = purple_find_prpl ("prpl-jabber");
  gboolean ok = FALSE;
  void *result;

  if (jabber == NULL || !xtls_client_require_connection ("feature"))
    return;
  result = purple_plugin_ipc_call (jabber, "contact_has_feature", &ok, xtls_client_account (), jid,
                                   ns);
  xtls_client_emit ("FEATURE %s %s %d", jid, ns, ok && GPOINTER_TO_INT (result) ? 1 : 0);
}

static guint
xtls_client_parse_id (const char *text)
{
  guint64 id = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT, &id, NULL))
    return 0;
  return (guint)id;
}

static void
xtls_client_handle_line (char *line)
{
  g_auto (GStrv) head = NULL;
  const char *verb;
  const char *rest;

  g_strchomp (line);
  if (*line == '\0')
    return;
  head = g_strsplit (line, " ", 2);
  verb = head[0];
  rest = head[1];

  if (g_str_equal (verb, "im") || g_str_equal (verb, "im-nolink")
      || g_str_equal (verb, "serv-im") || g_str_equal (verb, "cmd") || g_str_equal (verb, "sendfile")
      || g_str_equal (verb, "feature"))
    {
      g_auto (GStrv) f = g_strsplit (rest != NULL ? rest : "", " ", 2);
      if (g_strv_length (f) != 2)
        {
          xtls_client_emit ("ERROR %s: wants JID and text", verb);
          return;
        }
      if (g_str_equal (verb, "im"))
        xtls_client_cmd_im (f[0], f[1], 0);
      else if (g_str_equal (verb, "serv-im"))
        xtls_client_cmd_serv_im (f[0], f[1]);
      else if (g_str_equal (verb, "im-nolink"))
        xtls_client_cmd_im (f[0], f[1], PURPLE_MESSAGE_NO_LINKIFY);
      else if (g_str_equal (verb, "cmd"))
        xtls_client_cmd_cmd (f[0], f[1]);
      else if (g_str_equal (verb, "feature"))
        xtls_client_cmd_feature (f[0], f[1]);
      else
        xtls_client_cmd_sendfile (f[0], f[1]);
    }
  else if (g_str_equal (verb, "ipc"))
    {
      g_auto (GStrv) f = g_strsplit (rest != NULL ? rest : "", " ", 2);
      if (f[0] == NULL)
        xtls_client_emit ("ERROR ipc: wants a name");
      else
        xtls_client_cmd_ipc (f[0], f[1]);
    }
  else if (g_str_equal (verb, "answer") || g_str_equal (verb, "answer-input"))
    {
      g_auto (GStrv) f = g_strsplit (rest != NULL ? rest : "", " ", 2);
      guint id = xtls_client_parse_id (f[0]);
      if (id == 0 || f[1] == NULL)
        xtls_client_emit ("ERROR %s: wants ID and answer", verb);
      else if (g_str_equal (verb, "answer"))
        xtls_client_schedule_answer (id, XTLS_CLIENT_ANSWER_CHOICE,
                                     (int)g_ascii_strtoll (f[1], NULL, 10), NULL);
      else
        xtls_client_schedule_answer (id, XTLS_CLIENT_ANSWER_INPUT, 0, f[1]);
      /* The text may be a password: wipe our copy of the line. */
      if (f[1] != NULL)
        memset (f[1], 0, strlen (f[1]));
    }
  else if (g_str_equal (verb, "cancel"))
    {
      guint id = xtls_client_parse_id (rest);
      if (id == 0)
        xtls_client_emit ("ERROR cancel: wants ID");
      else
        xtls_client_schedule_answer (id, XTLS_CLIENT_ANSWER_CANCEL, 0, NULL);
    }
  else if (g_str_equal (verb, "xferask"))
    xtls_client_cmd_xferask (rest);
  else if (g_str_equal (verb, "xfercancel"))
    {
      g_auto (GStrv) f = g_strsplit (rest != NULL ? rest : "", " ", 2);
      if (f[0] == NULL || *f[0] == '\0')
        xtls_client_emit ("ERROR xfercancel: wants a file name");
      else
        xtls_client_cmd_xfercancel (f[0], f[1]);
    }
  else if (g_str_equal (verb, "load"))
    xtls_client_cmd_load ();
  else if (g_str_equal (verb, "unload"))
    xtls_client_cmd_unload ();
  else if (g_str_equal (verb, "offline"))
    {
      if (purple_account_is_disconnected (xtls_client_account ()))
        xtls_client_emit ("SIGNED-OFF");
      else
        purple_account_disconnect (xtls_client_account ());
    }
  else if (g_str_equal (verb, "online"))
    {
      if (purple_account_is_connected (xtls_client_account ()))
        xtls_client_emit ("READY");
      else if (purple_account_is_disconnected (xtls_client_account ()))
        xtls_client_account_connect ();
    }
  else if (g_str_equal (verb, "claim"))
    xtls_client_cmd_claim (rest);
  else if (g_str_equal (verb, "contract"))
    xtls_client_cmd_contract ();
  else if (g_str_equal (verb, "ping"))
    xtls_client_emit ("PONG");
  else if (g_str_equal (verb, "quit"))
    xtls_client_quit (0);
  else
    {
      g_autofree char *escaped = xtls_client_escape (verb);
      xtls_client_emit ("ERROR unknown command %s", escaped);
    }
  if (rest != NULL)
    memset (head[1], 0, strlen (head[1]));
}

static gboolean
xtls_client_stdin_ready (GIOChannel *channel, GIOCondition condition, gpointer data)
{
  for (;;)
    {
      g_autofree char *line = NULL;
      g_autoptr (GError) error = NULL;
      gsize length = 0;
      GIOStatus status = g_io_channel_read_line (channel, &line, &length, NULL, &error);

      if (status == G_IO_STATUS_NORMAL)
        {
          xtls_client_handle_line (line);
          memset (line, 0, length);
          if (xtls_client_is_quitting ())
            return G_SOURCE_REMOVE;
          continue;
        }
      if (status == G_IO_STATUS_AGAIN)
        return G_SOURCE_CONTINUE;
      /* EOF or error: whoever drove us is gone, so shut down. */
      xtls_client_quit (0);
      return G_SOURCE_REMOVE;
    }
}

void
xtls_client_commands_watch_stdin (void)
{
  GIOChannel *in = g_io_channel_unix_new (STDIN_FILENO);

  g_io_channel_set_encoding (in, NULL, NULL);
  g_io_channel_set_flags (in, G_IO_FLAG_NONBLOCK, NULL);
  g_io_add_watch (in, G_IO_IN | G_IO_HUP | G_IO_ERR, xtls_client_stdin_ready, NULL);
  g_io_channel_unref (in);
}
