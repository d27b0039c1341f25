/* xtls-client: a headless libpurple client for the integration tests.
 *
 * One XMPP account, driven by a line protocol: commands on stdin, events on stdout (one line
 * each, flushed). It is what a user of Pidgin or Finch does, minus the windows: it types into
 * conversations (purple_conv_im_send, so plugins see "sending-im-msg"), runs conversation
 * commands, answers libpurple requests and shows what libpurple writes into conversations.
 * The protocol is described in tests/integration/harness.py, which is its only user.
 *
 * Texts in events escape "\\" as "\\\\", newline as "\\n", CR as "\\r" and tab as "\\t".
 * Passwords (the account's, the ones typed into requests) are never printed. */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "xtls-client"

#include <glib.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <purple.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "xtls-api.h"

#define XTLS_CLIENT_UI_ID "xtls-client"

typedef struct
{
  guint id;
  PurpleRequestType type;
  const char *kind;            /* "action", "choice", "input", "fields", "file" (static strings) */
  GCallback ok_cb;             /* input, choice, fields, file */
  GCallback cancel_cb;         /* input, choice, fields, file */
  GArray *action_cbs;          /* owned; PurpleRequestActionCb per action */
  GArray *choice_values;       /* owned; int per choice, in display order */
  PurpleRequestFields *fields; /* owned by this request (the UI frees it, as Pidgin does) */
  void *user_data;
} XtlsClientRequest;

typedef enum
{
  XTLS_CLIENT_ANSWER_CHOICE,
  XTLS_CLIENT_ANSWER_INPUT,
  XTLS_CLIENT_ANSWER_CANCEL,
} XtlsClientAnswerKind;

typedef struct
{
  guint id;
  XtlsClientAnswerKind kind;
  int choice;
  char *text; /* owned */
} XtlsClientAnswer;

typedef struct
{
  GMainLoop *loop;
  PurpleAccount *account;
  PurplePlugin *xtls;   /* the plugin, NULL when not found or not wanted */
  GHashTable *requests; /* guint id -> XtlsClientRequest (owned) */
  guint next_request_id;
  gboolean debug;
  gboolean quitting;
  gboolean claim_decisions; /* what "xtls-decision-needed" returns */
  char *download_dir;       /* owned */
  char *password;           /* owned; libpurple forgets an unsaved password on disconnect */
  int exit_code;
} XtlsClient;

static XtlsClient client;

/* Handles for purple_signal_connect: core signals, and the plugin's own (reconnected after
 * every load). */
static int core_signals_handle;
static int plugin_signals_handle;

/* ---- Output ------------------------------------------------------------------------------ */

static char *
xtls_client_escape (const char *text)
{
  GString *out;

  if (text == NULL)
    return g_strdup ("");
  out = g_string_sized_new (strlen (text) + 8);
  for (const char *p = text; *p != '\0'; p++)
    {
      switch (*p)
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
            g_string_append_c (out, *p);
            break;
        }
    }
  return g_string_free (out, FALSE);
}

/* Prints one event line and flushes, so the harness sees it at once. */
G_GNUC_PRINTF (1, 2)
static void
xtls_client_emit (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  vfprintf (stdout, format, args);
  va_end (args);
  fputc ('\n', stdout);
  fflush (stdout);
}

static const char *
xtls_client_or_dash (const char *text)
{
  return (text != NULL && *text != '\0') ? text : "-";
}

static gboolean
xtls_client_is_ours (PurpleAccount *account)
{
  return account != NULL && account == client.account;
}

/* ---- GLib logging: warnings and criticals become events -------------------------------- */

static void
xtls_client_log_handler (const char *domain, GLogLevelFlags level, const char *message,
                         gpointer user_data)
{
  const char *name = NULL;

  if (level & G_LOG_LEVEL_ERROR)
    name = "ERROR";
  else if (level & G_LOG_LEVEL_CRITICAL)
    name = "CRITICAL";
  else if (level & G_LOG_LEVEL_WARNING)
    name = "WARNING";

  if (name != NULL)
    {
      g_autofree char *text = xtls_client_escape (message);
      xtls_client_emit ("GLOG %s %s %s", name, xtls_client_or_dash (domain), text);
    }
  if (name != NULL || client.debug)
    g_log_default_handler (domain, level, message, user_data);
}

/* ---- Event loop UI ops (libpurple's timers and fds on the GLib main loop) --------------- */

typedef struct
{
  PurpleInputFunction function;
  gpointer data;
} XtlsClientInput;

#define XTLS_CLIENT_READ_COND (G_IO_IN | G_IO_HUP | G_IO_ERR)
#define XTLS_CLIENT_WRITE_COND (G_IO_OUT | G_IO_HUP | G_IO_ERR | G_IO_NVAL)

static gboolean
xtls_client_input_dispatch (GIOChannel *source, GIOCondition condition, gpointer data)
{
  XtlsClientInput *input = data;
  PurpleInputCondition cond = 0;

  if (condition & XTLS_CLIENT_READ_COND)
    cond |= PURPLE_INPUT_READ;
  if (condition & XTLS_CLIENT_WRITE_COND)
    cond |= PURPLE_INPUT_WRITE;
  input->function (input->data, g_io_channel_unix_get_fd (source), cond);
  return TRUE;
}

static guint
xtls_client_input_add (gint fd, PurpleInputCondition condition, PurpleInputFunction function,
                       gpointer data)
{
  XtlsClientInput *input = g_new0 (XtlsClientInput, 1);
  GIOCondition cond = 0;
  GIOChannel *channel;
  guint id;

  input->function = function;
  input->data = data;
  if (condition & PURPLE_INPUT_READ)
    cond |= XTLS_CLIENT_READ_COND;
  if (condition & PURPLE_INPUT_WRITE)
    cond |= XTLS_CLIENT_WRITE_COND;

  channel = g_io_channel_unix_new (fd);
  id = g_io_add_watch_full (channel, G_PRIORITY_DEFAULT, cond, xtls_client_input_dispatch, input,
                            g_free);
  g_io_channel_unref (channel);
  return id;
}

static PurpleEventLoopUiOps xtls_client_eventloop_ops = {
  .timeout_add = g_timeout_add,
  .timeout_remove = g_source_remove,
  .input_add = xtls_client_input_add,
  .input_remove = g_source_remove,
  .timeout_add_seconds = g_timeout_add_seconds,
};

/* ---- Debug UI ops: libpurple's debug output goes to stderr, only with --debug ---------- */

static void
xtls_client_debug_print (PurpleDebugLevel level, const char *category, const char *arg_s)
{
  if (!client.debug)
    return;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S.%f");
  fprintf (stderr, "%.12s %s: %s", stamp, category != NULL ? category : "-", arg_s);
  if (*arg_s == '\0' || arg_s[strlen (arg_s) - 1] != '\n')
    fputc ('\n', stderr);
}

static gboolean
xtls_client_debug_is_enabled (PurpleDebugLevel level, const char *category)
{
  return client.debug;
}

static PurpleDebugUiOps xtls_client_debug_ops = {
  .print = xtls_client_debug_print,
  .is_enabled = xtls_client_debug_is_enabled,
};

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

/* ---- Request UI ops ---------------------------------------------------------------------- */

static void
xtls_client_request_free (XtlsClientRequest *request)
{
  if (request->action_cbs != NULL)
    g_array_unref (request->action_cbs);
  if (request->choice_values != NULL)
    g_array_unref (request->choice_values);
  if (request->fields != NULL)
    purple_request_fields_destroy (request->fields);
  g_free (request);
}

/* Registers @request and prints its REQUEST line. The ui_handle libpurple gets back is the
 * id itself, never a pointer, so a handle closed twice can never reach freed memory. */
static void *
xtls_client_request_add (XtlsClientRequest *request, const char *kind_suffix, const char *title,
                         const char *primary, const char *secondary, GPtrArray *labels)
{
  g_autoptr (GString) line = g_string_new (NULL);
  g_autofree char *t = xtls_client_escape (title);
  g_autofree char *p = xtls_client_escape (primary);
  g_autofree char *s = xtls_client_escape (secondary);

  request->id = ++client.next_request_id;
  g_hash_table_insert (client.requests, GUINT_TO_POINTER (request->id), request);

  g_string_printf (line, "REQUEST %u %s%s %s\t%s\t%s", request->id, request->kind,
                   kind_suffix != NULL ? kind_suffix : "", t, p, s);
  for (guint i = 0; labels != NULL && i < labels->len; i++)
    {
      g_autofree char *label = xtls_client_escape (g_ptr_array_index (labels, i));
      g_string_append_c (line, '\t');
      g_string_append (line, label);
    }
  xtls_client_emit ("%s", line->str);
  return GUINT_TO_POINTER (request->id);
}

static void *
xtls_client_request_input (const char *title, const char *primary, const char *secondary,
                           const char *default_value, gboolean multiline, gboolean masked,
                           gchar *hint, const char *ok_text, GCallback ok_cb,
                           const char *cancel_text, GCallback cancel_cb, PurpleAccount *account,
                           const char *who, PurpleConversation *conv, void *user_data)
{
  XtlsClientRequest *request = g_new0 (XtlsClientRequest, 1);

  request->type = PURPLE_REQUEST_INPUT;
  request->kind = "input";
  request->ok_cb = ok_cb;
  request->cancel_cb = cancel_cb;
  request->user_data = user_data;
  return xtls_client_request_add (request, masked ? "-masked" : NULL, title, primary, secondary,
                                  NULL);
}

static void *
xtls_client_request_choice (const char *title, const char *primary, const char *secondary,
                            int default_value, const char *ok_text, GCallback ok_cb,
                            const char *cancel_text, GCallback cancel_cb, PurpleAccount *account,
                            const char *who, PurpleConversation *conv, void *user_data,
                            va_list choices)
{
  XtlsClientRequest *request = g_new0 (XtlsClientRequest, 1);
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();
  const char *label;

  request->type = PURPLE_REQUEST_CHOICE;
  request->kind = "choice";
  request->ok_cb = ok_cb;
  request->cancel_cb = cancel_cb;
  request->user_data = user_data;
  request->choice_values = g_array_new (FALSE, FALSE, sizeof (int));
  /* The list is (label, value) pairs ended by a NULL label. */
  while ((label = va_arg (choices, const char *)) != NULL)
    {
      int value = va_arg (choices, int);
      g_ptr_array_add (labels, (gpointer)label);
      g_array_append_val (request->choice_values, value);
    }
  return xtls_client_request_add (request, NULL, title, primary, secondary, labels);
}

static void *
xtls_client_request_action_common (const char *title, const char *primary, const char *secondary,
                                   void *user_data, size_t action_count, va_list actions)
{
  XtlsClientRequest *request = g_new0 (XtlsClientRequest, 1);
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();

  request->type = PURPLE_REQUEST_ACTION;
  request->kind = "action";
  request->user_data = user_data;
  request->action_cbs = g_array_new (FALSE, TRUE, sizeof (GCallback));
  /* action_count (label, callback) pairs. */
  for (size_t i = 0; i < action_count; i++)
    {
      const char *label = va_arg (actions, const char *);
      GCallback cb = va_arg (actions, GCallback);
      g_ptr_array_add (labels, (gpointer)(label != NULL ? label : ""));
      g_array_append_val (request->action_cbs, cb);
    }
  return xtls_client_request_add (request, NULL, title, primary, secondary, labels);
}

static void *
xtls_client_request_action (const char *title, const char *primary, const char *secondary,
                            int default_action, PurpleAccount *account, const char *who,
                            PurpleConversation *conv, void *user_data, size_t action_count,
                            va_list actions)
{
  return xtls_client_request_action_common (title, primary, secondary, user_data, action_count,
                                            actions);
}

static void *
xtls_client_request_action_with_icon (const char *title, const char *primary, const char *secondary,
                                      int default_action, PurpleAccount *account, const char *who,
                                      PurpleConversation *conv, gconstpointer icon_data,
                                      gsize icon_size, void *user_data, size_t action_count,
                                      va_list actions)
{
  return xtls_client_request_action_common (title, primary, secondary, user_data, action_count,
                                            actions);
}

/* The first string field of @fields, or NULL. */
static PurpleRequestField *
xtls_client_first_string_field (PurpleRequestFields *fields, GPtrArray *labels)
{
  PurpleRequestField *found = NULL;

  for (GList *g = purple_request_fields_get_groups (fields); g != NULL; g = g->next)
    {
      for (GList *f = purple_request_field_group_get_fields (g->data); f != NULL; f = f->next)
        {
          PurpleRequestField *field = f->data;
          const char *label = purple_request_field_get_label (field);

          if (labels != NULL)
            g_ptr_array_add (labels, (gpointer)(label != NULL ? label : ""));
          if (found == NULL && purple_request_field_get_type (field) == PURPLE_REQUEST_FIELD_STRING)
            found = field;
        }
    }
  return found;
}

static void *
xtls_client_request_fields (const char *title, const char *primary, const char *secondary,
                            PurpleRequestFields *fields, const char *ok_text, GCallback ok_cb,
                            const char *cancel_text, GCallback cancel_cb, PurpleAccount *account,
                            const char *who, PurpleConversation *conv, void *user_data)
{
  XtlsClientRequest *request = g_new0 (XtlsClientRequest, 1);
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();
  PurpleRequestField *first;

  request->type = PURPLE_REQUEST_FIELDS;
  request->kind = "fields";
  request->ok_cb = ok_cb;
  request->cancel_cb = cancel_cb;
  request->user_data = user_data;
  request->fields = fields;
  first = xtls_client_first_string_field (fields, labels);
  return xtls_client_request_add (
      request, (first != NULL && purple_request_field_string_is_masked (first)) ? "-masked" : NULL,
      title, primary, secondary, labels);
}

static void *
xtls_client_request_file (const char *title, const char *filename, gboolean savedialog,
                          GCallback ok_cb, GCallback cancel_cb, PurpleAccount *account,
                          const char *who, PurpleConversation *conv, void *user_data)
{
  XtlsClientRequest *request = g_new0 (XtlsClientRequest, 1);

  request->type = PURPLE_REQUEST_FILE;
  request->kind = "file";
  request->ok_cb = ok_cb;
  request->cancel_cb = cancel_cb;
  request->user_data = user_data;
  return xtls_client_request_add (request, NULL, title, filename, savedialog ? "save" : "open",
                                  NULL);
}

static void
xtls_client_close_request (PurpleRequestType type, void *ui_handle)
{
  guint id = GPOINTER_TO_UINT (ui_handle);

  if (g_hash_table_remove (client.requests, GUINT_TO_POINTER (id)))
    xtls_client_emit ("REQUEST-CLOSED %u", id);
}

static PurpleRequestUiOps xtls_client_request_ops = {
  .request_input = xtls_client_request_input,
  .request_choice = xtls_client_request_choice,
  .request_action = xtls_client_request_action,
  .request_fields = xtls_client_request_fields,
  .request_file = xtls_client_request_file,
  .close_request = xtls_client_close_request,
  .request_action_with_icon = xtls_client_request_action_with_icon,
};

static void
xtls_client_answer_free (XtlsClientAnswer *answer)
{
  if (answer->text != NULL)
    {
      /* It may be a password: do not leave it in freed memory. */
      memset (answer->text, 0, strlen (answer->text));
      g_free (answer->text);
    }
  g_free (answer);
}

/* Answers a request from the main loop, outside any libpurple call (an idle callback). The
 * callbacks and user_data are copied first: a callback may close the request itself. */
static gboolean
xtls_client_answer_idle (gpointer data)
{
  XtlsClientAnswer *answer = data;
  XtlsClientRequest *request = g_hash_table_lookup (client.requests, GUINT_TO_POINTER (answer->id));
  PurpleRequestType type;
  void *user_data;
  gboolean done = FALSE;

  if (request == NULL)
    {
      xtls_client_emit ("ERROR answer: no open request %u", answer->id);
      return G_SOURCE_REMOVE;
    }
  type = request->type;
  user_data = request->user_data;

  switch (answer->kind)
    {
      case XTLS_CLIENT_ANSWER_CHOICE:
        if (request->action_cbs != NULL)
          {
            if (answer->choice >= 0 && (guint)answer->choice < request->action_cbs->len)
              {
                PurpleRequestActionCb cb = (PurpleRequestActionCb)g_array_index (
                    request->action_cbs, GCallback, answer->choice);
                if (cb != NULL)
                  cb (user_data, answer->choice);
                done = TRUE;
              }
          }
        else if (request->choice_values != NULL)
          {
            if (answer->choice >= 0 && (guint)answer->choice < request->choice_values->len)
              {
                PurpleRequestChoiceCb cb = (PurpleRequestChoiceCb)request->ok_cb;
                int value = g_array_index (request->choice_values, int, answer->choice);
                if (cb != NULL)
                  cb (user_data, value);
                done = TRUE;
              }
          }
        break;
      case XTLS_CLIENT_ANSWER_INPUT:
        if (type == PURPLE_REQUEST_INPUT || type == PURPLE_REQUEST_FILE)
          {
            PurpleRequestInputCb cb = (PurpleRequestInputCb)request->ok_cb;
            if (cb != NULL)
              cb (user_data, answer->text);
            done = TRUE;
          }
        else if (type == PURPLE_REQUEST_FIELDS)
          {
            PurpleRequestFieldsCb cb = (PurpleRequestFieldsCb)request->ok_cb;
            PurpleRequestFields *fields = request->fields;
            PurpleRequestField *first = xtls_client_first_string_field (fields, NULL);
            if (first != NULL)
              purple_request_field_string_set_value (first, answer->text);
            if (cb != NULL)
              cb (user_data, fields);
            done = TRUE;
          }
        break;
      case XTLS_CLIENT_ANSWER_CANCEL:
        /* An action request has no cancel callback: closing it calls nothing, as closing the
         * dialog does in Pidgin. */
        if (type == PURPLE_REQUEST_INPUT || type == PURPLE_REQUEST_FILE)
          {
            PurpleRequestInputCb cb = (PurpleRequestInputCb)request->cancel_cb;
            if (cb != NULL)
              cb (user_data, NULL);
          }
        else if (type == PURPLE_REQUEST_CHOICE)
          {
            PurpleRequestChoiceCb cb = (PurpleRequestChoiceCb)request->cancel_cb;
            if (cb != NULL)
              cb (user_data, -1);
          }
        else if (type == PURPLE_REQUEST_FIELDS)
          {
            PurpleRequestFieldsCb cb = (PurpleRequestFieldsCb)request->cancel_cb;
            if (cb != NULL)
              cb (user_data, request->fields);
          }
        done = TRUE;
        break;
    }

  if (!done)
    {
      xtls_client_emit ("ERROR answer: request %u cannot take that answer", answer->id);
      return G_SOURCE_REMOVE;
    }
  xtls_client_emit ("ANSWERED %u", answer->id);
  /* Closes it in libpurple too; a no-op when the callback already closed it. */
  purple_request_close (type, GUINT_TO_POINTER (answer->id));
  return G_SOURCE_REMOVE;
}

static void
xtls_client_schedule_answer (guint id, XtlsClientAnswerKind kind, int choice, const char *text)
{
  XtlsClientAnswer *answer = g_new0 (XtlsClientAnswer, 1);

  answer->id = id;
  answer->kind = kind;
  answer->choice = choice;
  answer->text = g_strdup (text);
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, xtls_client_answer_idle, answer,
                   (GDestroyNotify)xtls_client_answer_free);
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

/* ---- Core UI ops ------------------------------------------------------------------------ */

static void
xtls_client_ui_init (void)
{
  purple_conversations_set_ui_ops (&xtls_client_conv_ops);
  purple_request_set_ui_ops (&xtls_client_request_ops);
  purple_notify_set_ui_ops (&xtls_client_notify_ops);
  purple_connections_set_ui_ops (&xtls_client_connection_ops);
}

static GHashTable *
xtls_client_get_ui_info (void)
{
  static GHashTable *info;

  if (info == NULL)
    {
      info = g_hash_table_new (g_str_hash, g_str_equal);
      g_hash_table_insert (info, "name", "xtls-client");
      g_hash_table_insert (info, "version", "0.1");
      g_hash_table_insert (info, "client_type", "bot");
    }
  return info;
}

static PurpleCoreUiOps xtls_client_core_ops = {
  .debug_ui_init = NULL,
  .ui_init = xtls_client_ui_init,
  .get_ui_info = xtls_client_get_ui_info,
};

/* ---- Signals ----------------------------------------------------------------------------- */

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

static void
xtls_client_file_recv_request (PurpleXfer *xfer, gpointer data)
{
  const char *name = purple_xfer_get_filename (xfer);
  g_autofree char *base = g_path_get_basename (name != NULL ? name : "unnamed");
  g_autofree char *path = g_build_filename (client.download_dir, base, NULL);

  if (!xtls_client_is_ours (purple_xfer_get_account (xfer)))
    return;
  xtls_client_emit ("XFER request %s %s %" G_GSIZE_FORMAT, purple_xfer_get_remote_user (xfer), base,
                    purple_xfer_get_size (xfer));
  for (int n = 1; g_file_test (path, G_FILE_TEST_EXISTS); n++)
    {
      g_autofree char *unique = g_strdup_printf ("%s-%d", base, n);
      g_free (path);
      path = g_build_filename (client.download_dir, unique, NULL);
    }
  /* Accepting inside the signal is what autoaccept.c does: libpurple then asks nothing. */
  purple_xfer_request_accepted (xfer, path);
}

/* "file-*-complete" comes from purple_xfer_set_completed(), before the last chunk is counted
 * and before the file is closed: report from an idle callback, once libpurple is done. */
static gboolean
xtls_client_file_done_idle (gpointer data)
{
  PurpleXfer *xfer = data;
  const char *what = purple_xfer_get_type (xfer) == PURPLE_XFER_RECEIVE ? "done" : "sent";
  const char *name = purple_xfer_get_local_filename (xfer);
  g_autofree char *base = g_path_get_basename (name != NULL ? name : "unnamed");

  xtls_client_emit ("XFER %s %s %" G_GSIZE_FORMAT, what, base, purple_xfer_get_bytes_sent (xfer));
  return G_SOURCE_REMOVE;
}

static void
xtls_client_file_done (PurpleXfer *xfer, gpointer data)
{
  purple_xfer_ref (xfer);
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, xtls_client_file_done_idle, xfer,
                   (GDestroyNotify)purple_xfer_unref);
}

static void
xtls_client_file_cancel (PurpleXfer *xfer, gpointer data)
{
  const char *name = purple_xfer_get_local_filename (xfer);
  g_autofree char *base = g_path_get_basename (name != NULL ? name : "unnamed");

  xtls_client_emit ("XFER failed %s", base);
}

static void
xtls_client_file_start (PurpleXfer *xfer, gpointer data)
{
  const char *name = purple_xfer_get_local_filename (xfer);
  g_autofree char *base = g_path_get_basename (name != NULL ? name : "unnamed");

  xtls_client_emit ("XFER start %s", base);
}

static void
xtls_client_connect_core_signals (void)
{
  void *h = &core_signals_handle;
  PurplePlugin *jabber = purple_find_prpl ("prpl-jabber");

  purple_signal_connect (purple_connections_get_handle (), "signed-on", h,
                         PURPLE_CALLBACK (xtls_client_signed_on), NULL);
  purple_signal_connect (purple_connections_get_handle (), "signed-off", h,
                         PURPLE_CALLBACK (xtls_client_signed_off), NULL);
  purple_signal_connect (purple_connections_get_handle (), "connection-error", h,
                         PURPLE_CALLBACK (xtls_client_connection_error), NULL);
  purple_signal_connect (purple_conversations_get_handle (), "received-im-msg", h,
                         PURPLE_CALLBACK (xtls_client_received_im), NULL);
  purple_signal_connect (purple_blist_get_handle (), "buddy-signed-on", h,
                         PURPLE_CALLBACK (xtls_client_buddy_signed_on), NULL);
  purple_signal_connect (purple_blist_get_handle (), "buddy-signed-off", h,
                         PURPLE_CALLBACK (xtls_client_buddy_signed_off), NULL);
  if (jabber != NULL)
    purple_signal_connect (jabber, "jabber-receiving-presence", h,
                           PURPLE_CALLBACK (xtls_client_receiving_presence), NULL);
  purple_signal_connect (purple_xfers_get_handle (), "file-recv-request", h,
                         PURPLE_CALLBACK (xtls_client_file_recv_request), NULL);
  purple_signal_connect (purple_xfers_get_handle (), "file-recv-complete", h,
                         PURPLE_CALLBACK (xtls_client_file_done), NULL);
  purple_signal_connect (purple_xfers_get_handle (), "file-send-complete", h,
                         PURPLE_CALLBACK (xtls_client_file_done), NULL);
  purple_signal_connect (purple_xfers_get_handle (), "file-recv-cancel", h,
                         PURPLE_CALLBACK (xtls_client_file_cancel), NULL);
  purple_signal_connect (purple_xfers_get_handle (), "file-send-cancel", h,
                         PURPLE_CALLBACK (xtls_client_file_cancel), NULL);
  purple_signal_connect (purple_xfers_get_handle (), "file-recv-start", h,
                         PURPLE_CALLBACK (xtls_client_file_start), NULL);
  purple_signal_connect (purple_xfers_get_handle (), "file-send-start", h,
                         PURPLE_CALLBACK (xtls_client_file_start), NULL);
}

/* The plugin's signals (xtls-api.h). */

/* The argument orders of the plugin's signals follow libpurple's stock marshallers
 * (xtls-api.h): the state comes after the reason. */
static void
xtls_client_xtls_state (PurpleAccount *account, const char *peer, const char *reason, guint state,
                        gpointer data)
{
  g_autofree char *text = NULL;

  if (!xtls_client_is_ours (account))
    return;
  text = xtls_client_escape (reason);
  xtls_client_emit ("SIGNAL state %s %u %s", xtls_client_or_dash (peer), state,
                    xtls_client_or_dash (text));
}

/* Returns TRUE ("my UI answers through IPC", no dialog from the plugin) only after the
 * command "claim on". */
static gboolean
xtls_client_xtls_decision (PurpleAccount *account, const char *peer, guint decision, gpointer data)
{
  if (!xtls_client_is_ours (account))
    return FALSE;
  xtls_client_emit ("SIGNAL decision %s %u", xtls_client_or_dash (peer), decision);
  return client.claim_decisions;
}

static void
xtls_client_xtls_message_status (PurpleAccount *account, const char *peer, const char *text,
                                 guint sent, gpointer data)
{
  g_autofree char *escaped = NULL;

  if (!xtls_client_is_ours (account))
    return;
  escaped = xtls_client_escape (text);
  xtls_client_emit ("SIGNAL msgstatus %s %d %s", xtls_client_or_dash (peer), sent ? 1 : 0, escaped);
}

/* A registered argument type, loosely: every integer-like type is "int" (they are passed
 * alike through varargs). */
static const char *
xtls_client_value_kind (PurpleValue *value)
{
  switch (purple_value_get_type (value))
    {
      case PURPLE_TYPE_SUBTYPE:
        return purple_value_get_subtype (value) == PURPLE_SUBTYPE_ACCOUNT ? "account" : "subtype";
      case PURPLE_TYPE_CHAR:
      case PURPLE_TYPE_UCHAR:
      case PURPLE_TYPE_BOOLEAN:
      case PURPLE_TYPE_SHORT:
      case PURPLE_TYPE_USHORT:
      case PURPLE_TYPE_INT:
      case PURPLE_TYPE_UINT:
      case PURPLE_TYPE_ENUM:
        return "int";
      case PURPLE_TYPE_STRING:
        return "string";
      case PURPLE_TYPE_UNKNOWN:
        return "unknown";
      default:
        return "pointer";
    }
}

/* "ret:arg,arg,..." as registered, e.g. "void:account,string,int,string"; NULL if the name
 * is not registered. */
static char *
xtls_client_describe_values (PurpleValue *ret, int n, PurpleValue **values)
{
  GString *out = g_string_new (ret != NULL ? xtls_client_value_kind (ret) : "void");

  g_string_append_c (out, ':');
  for (int i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, values[i] != NULL ? xtls_client_value_kind (values[i]) : "unknown");
    }
  return g_string_free (out, FALSE);
}

static int probe_signals_handle;

static void
xtls_client_probe_cb (void)
{
}

static char *
xtls_client_signal_signature (PurplePlugin *p, const char *name)
{
  PurpleValue *ret = NULL;
  PurpleValue **values = NULL;
  int n = -1;

  /* Both purple_signal_get_values() and purple_signal_connect() raise a critical when the
   * plugin registered no signal at all; the plugin registers its signals with its IPC, so a
   * plugin without the "start" call (asked quietly) is taken to have none. For a single
   * missing signal connect only logs a debug line: probe with a connection (nothing is
   * emitted before it is disconnected again, we are on the main loop). */
  if (!purple_plugin_ipc_get_params (p, "start", NULL, NULL, NULL))
    return NULL;
  if (purple_signal_connect (p, name, &probe_signals_handle, PURPLE_CALLBACK (xtls_client_probe_cb),
                             NULL)
      == 0)
    return NULL;
  purple_signal_disconnect (p, name, &probe_signals_handle, PURPLE_CALLBACK (xtls_client_probe_cb));
  purple_signal_get_values (p, name, &ret, &n, &values);
  if (n < 0)
    return NULL;
  return xtls_client_describe_values (ret, n, values);
}

static char *
xtls_client_ipc_signature (PurplePlugin *p, const char *name)
{
  PurpleValue *ret = NULL;
  PurpleValue **values = NULL;
  int n = 0;

  if (!purple_plugin_ipc_get_params (p, name, &ret, &n, &values))
    return NULL;
  return xtls_client_describe_values (ret, n, values);
}

/* The plugin signals of xtls-api.h with the argument kinds the header documents. */
static const struct
{
  const char *name;
  const char *signature;
  GCallback callback;
} xtls_client_signal_table[] = {
  { "xtls-state-changed", "void:account,string,string,int", G_CALLBACK (xtls_client_xtls_state) },
  { "xtls-decision-needed", "int:account,string,int", G_CALLBACK (xtls_client_xtls_decision) },
  { "xtls-message-status", "void:account,string,string,int",
    G_CALLBACK (xtls_client_xtls_message_status) },
};

/* Connects the plugin's signals after checking each registered signature against
 * xtls-api.h: calling a handler with other argument types would crash this client. */
static void
xtls_client_connect_plugin_signals (void)
{
  void *h = &plugin_signals_handle;
  PurplePlugin *p = client.xtls;
  int connected = 0;

  purple_signals_disconnect_by_handle (h);
  if (p == NULL || !purple_plugin_is_loaded (p))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (xtls_client_signal_table); i++)
    {
      const char *name = xtls_client_signal_table[i].name;
      g_autofree char *sig = xtls_client_signal_signature (p, name);
      GCallback cb = xtls_client_signal_table[i].callback;

      if (sig == NULL)
        {
          xtls_client_emit ("PLUGIN contract-mismatch signal %s not registered", name);
          continue;
        }
      if (!g_str_equal (sig, xtls_client_signal_table[i].signature))
        {
          xtls_client_emit ("PLUGIN contract-mismatch signal %s registered %s, xtls-api.h %s", name,
                            sig, xtls_client_signal_table[i].signature);
          continue;
        }
      connected += purple_signal_connect (p, name, h, PURPLE_CALLBACK (cb), NULL) != 0;
    }
  xtls_client_emit ("PLUGIN signals %d", connected);
}

/* ---- Commands ---------------------------------------------------------------------------- */

static PurpleConversation *
xtls_client_im_conversation (const char *who)
{
  /* purple_conversation_new() returns the existing conversation when there is one (names are
   * compared normalized: for XMPP, bare JIDs). */
  return purple_conversation_new (PURPLE_CONV_TYPE_IM, client.account, who);
}

static gboolean
xtls_client_require_connection (const char *command)
{
  if (purple_account_is_connected (client.account))
    return TRUE;
  xtls_client_emit ("ERROR %s: not connected", command);
  return FALSE;
}

static void
xtls_client_cmd_im (const char *who, const char *text)
{
  PurpleConversation *conv;
  g_autofree char *markup = NULL;

  if (!xtls_client_require_connection ("im"))
    return;
  conv = xtls_client_im_conversation (who);
  /* What a UI passes is HTML: the user's text, escaped. */
  markup = g_markup_escape_text (text, -1);
  purple_conv_im_send (PURPLE_CONV_IM (conv), markup);
  xtls_client_emit ("IM-SENT %s", who);
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

/* The IPC calls of xtls-api.h: return kind ('b' gboolean, 'i' int, 's' char *, 'l' GList of
 * char *, 'v' void) and the argument kinds after the implicit account ('s' string, 'i' int). */
static const struct
{
  const char *name;
  char ret;
  const char *args;
} xtls_client_ipc_table[] = {
  { "start", 'b', "s" },           { "stop", 'v', "s" },
  { "get-state", 'i', "s" },       { "get-peer-resource", 's', "s" },
  { "decide", 'v', "si" },         { "supply-password", 'v', "ss" },
  { "get-fingerprint", 's', "" },  { "get-peer-fingerprint", 's', "s" },
  { "get-safety-code", 's', "s" }, { "list-known-peers", 'l', "" },
  { "trust", 'b', "ss" },          { "forget", 'b', "s" },
};

static void
xtls_client_cmd_ipc (const char *name, const char *rest)
{
  PurplePlugin *p = client.xtls;
  const char *ret_kind = NULL;
  const char *arg_kinds = NULL;
  g_auto (GStrv) args = NULL;
  gboolean ok = FALSE;
  void *result = NULL;
  guint nargs;

  for (guint i = 0; i < G_N_ELEMENTS (xtls_client_ipc_table); i++)
    {
      if (g_strcmp0 (xtls_client_ipc_table[i].name, name) == 0)
        {
          ret_kind = &xtls_client_ipc_table[i].ret;
          arg_kinds = xtls_client_ipc_table[i].args;
        }
    }
  if (ret_kind == NULL)
    {
      xtls_client_emit ("IPC %s ERROR unknown-call", name);
      return;
    }
  if (p == NULL || !purple_plugin_is_loaded (p))
    {
      xtls_client_emit ("IPC %s ERROR no-plugin", name);
      return;
    }
  nargs = strlen (arg_kinds);
  /* Calling through a marshaller with other argument kinds would crash: check first. */
  {
    g_autofree char *sig = xtls_client_ipc_signature (p, name);
    g_autoptr (GString) want = g_string_new (NULL);

    g_string_append (want, *ret_kind == 'b' || *ret_kind == 'i' ? "int"
                           : *ret_kind == 'v'                   ? "void"
                           : *ret_kind == 's'                   ? "string"
                                                                : "pointer");
    g_string_append (want, ":account");
    for (const char *k = arg_kinds; *k != '\0'; k++)
      g_string_append (want, *k == 's' ? ",string" : ",int");
    if (sig == NULL)
      {
        xtls_client_emit ("IPC %s ERROR not-registered", name);
        return;
      }
    if (!g_str_equal (sig, want->str)
        && !(*ret_kind == 's' && g_str_has_prefix (sig, "pointer:")
             && g_str_equal (strchr (sig, ':'), strchr (want->str, ':'))))
      {
        xtls_client_emit ("IPC %s ERROR signature registered %s, xtls-api.h %s", name, sig,
                          want->str);
        return;
      }
  }
  args = nargs > 0 ? g_strsplit (rest != NULL ? rest : "", " ", (gint)nargs) : g_new0 (char *, 1);
  if (g_strv_length (args) != nargs)
    {
      xtls_client_emit ("IPC %s ERROR wants-%u-args", name, nargs);
      return;
    }

  if (g_strcmp0 (arg_kinds, "") == 0)
    result = purple_plugin_ipc_call (p, name, &ok, client.account);
  else if (g_strcmp0 (arg_kinds, "s") == 0)
    result = purple_plugin_ipc_call (p, name, &ok, client.account, args[0]);
  else if (g_strcmp0 (arg_kinds, "si") == 0)
    result = purple_plugin_ipc_call (p, name, &ok, client.account, args[0],
                                     (int)g_ascii_strtoll (args[1], NULL, 10));
  else if (g_strcmp0 (arg_kinds, "ss") == 0)
    result = purple_plugin_ipc_call (p, name, &ok, client.account, args[0], args[1]);

  if (!ok)
    {
      xtls_client_emit ("IPC %s ERROR not-registered", name);
      return;
    }
  switch (*ret_kind)
    {
      case 'b':
        xtls_client_emit ("IPC %s %d", name, GPOINTER_TO_INT (result) ? 1 : 0);
        break;
      case 'i':
        xtls_client_emit ("IPC %s %d", name, GPOINTER_TO_INT (result));
        break;
      case 's':
        {
          g_autofree char *owned = result;
          g_autofree char *escaped = xtls_client_escape (owned);
          xtls_client_emit ("IPC %s %s", name, owned != NULL ? escaped : "(null)");
          break;
        }
      case 'l':
        {
          GList *list = result;
          g_autoptr (GString) joined = g_string_new (NULL);
          for (GList *l = list; l != NULL; l = l->next)
            {
              g_autofree char *escaped = xtls_client_escape (l->data);
              if (l != list)
                g_string_append_c (joined, '|');
              g_string_append (joined, escaped);
            }
          g_list_free_full (list, g_free);
          xtls_client_emit ("IPC %s %s", name, joined->str);
          break;
        }
      default:
        xtls_client_emit ("IPC %s void", name);
        break;
    }
}

/* Prints the registered signatures of every signal and IPC call xtls-api.h names. */
static void
xtls_client_cmd_contract (void)
{
  PurplePlugin *p = client.xtls;

  if (p == NULL || !purple_plugin_is_loaded (p))
    {
      xtls_client_emit ("CONTRACT ERROR no-plugin");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (xtls_client_signal_table); i++)
    {
      g_autofree char *sig = xtls_client_signal_signature (p, xtls_client_signal_table[i].name);
      xtls_client_emit ("CONTRACT signal %s %s", xtls_client_signal_table[i].name,
                        sig != NULL ? sig : "missing");
    }
  for (guint i = 0; i < G_N_ELEMENTS (xtls_client_ipc_table); i++)
    {
      g_autofree char *sig = xtls_client_ipc_signature (p, xtls_client_ipc_table[i].name);
      xtls_client_emit ("CONTRACT ipc %s %s", xtls_client_ipc_table[i].name,
                        sig != NULL ? sig : "missing");
    }
  xtls_client_emit ("CONTRACT end");
}

static void
xtls_client_cmd_feature (const char *jid, const char *ns)
{
  PurplePlugin *jabber = purple_find_prpl ("prpl-jabber");
  gboolean ok = FALSE;
  void *result;

  if (jabber == NULL || !xtls_client_require_connection ("feature"))
    return;
  result = purple_plugin_ipc_call (jabber, "contact_has_feature", &ok, client.account, jid, ns);
  xtls_client_emit ("FEATURE %s %s %d", jid, ns, ok && GPOINTER_TO_INT (result) ? 1 : 0);
}

static void
xtls_client_report_plugin_loaded (void)
{
  xtls_client_emit ("PLUGIN loaded %s", client.xtls->path);
  xtls_client_connect_plugin_signals ();
}

static void
xtls_client_cmd_load (void)
{
  if (client.xtls == NULL)
    {
      xtls_client_emit ("PLUGIN missing");
      return;
    }
  if (!purple_plugin_is_loaded (client.xtls) && !purple_plugin_load (client.xtls))
    {
      g_autofree char *error = xtls_client_escape (client.xtls->error);
      xtls_client_emit ("PLUGIN load-failed %s", error);
      return;
    }
  xtls_client_report_plugin_loaded ();
}

static void
xtls_client_cmd_unload (void)
{
  if (client.xtls == NULL || !purple_plugin_is_loaded (client.xtls))
    {
      xtls_client_emit ("PLUGIN not-loaded");
      return;
    }
  purple_signals_disconnect_by_handle (&plugin_signals_handle);
  if (purple_plugin_unload (client.xtls))
    xtls_client_emit ("PLUGIN unloaded");
  else
    xtls_client_emit ("PLUGIN unload-failed");
}

static void
xtls_client_quit (int code)
{
  if (client.quitting)
    return;
  client.quitting = TRUE;
  client.exit_code = code;
  g_main_loop_quit (client.loop);
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

  if (g_str_equal (verb, "im") || g_str_equal (verb, "cmd") || g_str_equal (verb, "sendfile")
      || g_str_equal (verb, "feature"))
    {
      g_auto (GStrv) f = g_strsplit (rest != NULL ? rest : "", " ", 2);
      if (g_strv_length (f) != 2)
        {
          xtls_client_emit ("ERROR %s: wants JID and text", verb);
          return;
        }
      if (g_str_equal (verb, "im"))
        xtls_client_cmd_im (f[0], f[1]);
      else if (g_str_equal (verb, "cmd"))
        xtls_client_cmd_cmd (f[0], f[1]);
      else if (g_str_equal (verb, "feature"))
        xtls_client_cmd_feature (f[0], f[1]);
      else if (xtls_client_require_connection ("sendfile"))
        {
          serv_send_file (purple_account_get_connection (client.account), f[0], f[1]);
          xtls_client_emit ("SENDFILE %s", f[0]);
        }
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
  else if (g_str_equal (verb, "load"))
    xtls_client_cmd_load ();
  else if (g_str_equal (verb, "unload"))
    xtls_client_cmd_unload ();
  else if (g_str_equal (verb, "offline"))
    {
      if (purple_account_is_disconnected (client.account))
        xtls_client_emit ("SIGNED-OFF");
      else
        purple_account_disconnect (client.account);
    }
  else if (g_str_equal (verb, "online"))
    {
      if (purple_account_is_connected (client.account))
        xtls_client_emit ("READY");
      else if (purple_account_is_disconnected (client.account))
        {
          purple_account_set_password (client.account, client.password);
          purple_account_connect (client.account);
        }
    }
  else if (g_str_equal (verb, "claim"))
    {
      client.claim_decisions = g_strcmp0 (rest, "on") == 0;
      xtls_client_emit ("CLAIM %s", client.claim_decisions ? "on" : "off");
    }
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
          if (client.quitting)
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

static gboolean
xtls_client_on_sigterm (gpointer data)
{
  xtls_client_quit (0);
  return G_SOURCE_CONTINUE;
}

static gboolean
xtls_client_lifetime_exceeded (gpointer data)
{
  xtls_client_emit ("ERROR lifetime exceeded, exiting");
  _exit (3);
  return G_SOURCE_REMOVE;
}

/* ---- Set-up ------------------------------------------------------------------------------ */

/* Preferences libpurple reads inside purple_core_init(), before any of our code could set
 * them: no UPnP/NAT-PMP discovery (it would send multicast), 127.0.0.1 as the "public" IP
 * for file-transfer streamhosts, no proxy, no chat logs. Written only on the first start. */
static gboolean
xtls_client_write_prefs (const char *user_dir, GError **error)
{
  static const char prefs[] = "<?xml version='1.0' encoding='UTF-8' ?>\n"
                              "<pref version='1' name='/'>\n"
                              " <pref name='purple'>\n"
                              "  <pref name='network'>\n"
                              "   <pref name='auto_ip' type='bool' value='0'/>\n"
                              "   <pref name='map_ports' type='bool' value='0'/>\n"
                              "   <pref name='public_ip' type='string' value='127.0.0.1'/>\n"
                              "   <pref name='stun_server' type='string' value=''/>\n"
                              "   <pref name='turn_server' type='string' value=''/>\n"
                              "  </pref>\n"
                              "  <pref name='proxy'>\n"
                              "   <pref name='type' type='string' value='none'/>\n"
                              "  </pref>\n"
                              "  <pref name='logging'>\n"
                              "   <pref name='log_ims' type='bool' value='0'/>\n"
                              "   <pref name='log_chats' type='bool' value='0'/>\n"
                              "   <pref name='log_system' type='bool' value='0'/>\n"
                              "  </pref>\n"
                              " </pref>\n"
                              "</pref>\n";
  g_autofree char *path = g_build_filename (user_dir, "prefs.xml", NULL);

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  return g_file_set_contents (path, prefs, -1, error);
}

typedef struct
{
  char *user_dir;
  char *jid;
  char *password;
  int port;
  char *plugin_dir;
  gboolean no_plugin;
  char *download_dir;
  gboolean debug;
  int max_lifetime;
} XtlsClientOptions;

static void
xtls_client_setup_account (const XtlsClientOptions *opts)
{
  PurpleAccount *account = purple_accounts_find (opts->jid, "prpl-jabber");

  if (account == NULL)
    {
      account = purple_account_new (opts->jid, "prpl-jabber");
      purple_accounts_add (account);
    }
  client.account = account;
  purple_account_set_remember_password (account, FALSE);
  purple_account_set_password (account, opts->password);
  purple_account_set_string (account, "connect_server", "127.0.0.1");
  purple_account_set_int (account, "port", opts->port);
  purple_account_set_string (account, "connection_security", "opportunistic_tls");
  purple_account_set_bool (account, "auth_plain_in_clear", TRUE);
  purple_account_set_enabled (account, XTLS_CLIENT_UI_ID, TRUE);
}

int
main (int argc, char **argv)
{
  XtlsClientOptions opts = { .port = 5222 };
  GOptionEntry entries[] = {
    { "user-dir", 0, 0, G_OPTION_ARG_FILENAME, &opts.user_dir, "libpurple user dir", "DIR" },
    { "jid", 0, 0, G_OPTION_ARG_STRING, &opts.jid, "full JID", "JID" },
    { "password", 0, 0, G_OPTION_ARG_STRING, &opts.password, "account password", "PW" },
    { "port", 0, 0, G_OPTION_ARG_INT, &opts.port, "server port on 127.0.0.1", "N" },
    { "plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &opts.plugin_dir, "load core-xtls from DIR",
      "DIR" },
    { "no-plugin", 0, 0, G_OPTION_ARG_NONE, &opts.no_plugin, "do not load the xtls plugin", NULL },
    { "download-dir", 0, 0, G_OPTION_ARG_FILENAME, &opts.download_dir, "incoming files", "DIR" },
    { "debug", 0, 0, G_OPTION_ARG_NONE, &opts.debug, "libpurple debug output on stderr", NULL },
    { "max-lifetime", 0, 0, G_OPTION_ARG_INT, &opts.max_lifetime,
      "exit after N seconds whatever happens", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- headless libpurple client");
  g_autoptr (GError) error = NULL;
  g_autofree char *gst_registry = NULL;
  GIOChannel *in;

#ifdef __linux__
  /* Never outlive the test driver, whatever happens to it. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
  if (getppid () == 1)
    return 2;
#endif

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "xtls-client: %s\n", error->message);
      return 2;
    }
  if (opts.user_dir == NULL || opts.jid == NULL || opts.password == NULL)
    {
      fprintf (stderr, "xtls-client: --user-dir, --jid and --password are required\n");
      return 2;
    }
  client.debug = opts.debug;
  client.requests = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                           (GDestroyNotify)xtls_client_request_free);
  client.download_dir = opts.download_dir != NULL
                            ? g_strdup (opts.download_dir)
                            : g_build_filename (opts.user_dir, "downloads", NULL);
  g_log_set_default_handler (xtls_client_log_handler, NULL);

  if (g_mkdir_with_parents (opts.user_dir, 0700) != 0
      || g_mkdir_with_parents (client.download_dir, 0700) != 0)
    {
      fprintf (stderr, "xtls-client: cannot create %s or %s\n", opts.user_dir, client.download_dir);
      return 2;
    }
  if (!xtls_client_write_prefs (opts.user_dir, &error))
    {
      fprintf (stderr, "xtls-client: %s\n", error->message);
      return 2;
    }
  /* GStreamer scans its plugins on the first start (seconds): keep the registry private. */
  gst_registry = g_build_filename (opts.user_dir, "gst-registry.bin", NULL);
  g_setenv ("GST_REGISTRY", gst_registry, FALSE);

  client.loop = g_main_loop_new (NULL, FALSE);
  purple_util_set_user_dir (opts.user_dir);
  purple_debug_set_enabled (FALSE);
  purple_debug_set_ui_ops (&xtls_client_debug_ops);
  if (opts.plugin_dir != NULL && !opts.no_plugin)
    purple_plugins_add_search_path (opts.plugin_dir);
  purple_core_set_ui_ops (&xtls_client_core_ops);
  purple_eventloop_set_ui_ops (&xtls_client_eventloop_ops);
  if (!purple_core_init (XTLS_CLIENT_UI_ID))
    {
      fprintf (stderr, "xtls-client: libpurple failed to initialize\n");
      return 1;
    }
  purple_set_blist (purple_blist_new ());
  purple_blist_load ();
  xtls_client_connect_core_signals ();

  if (opts.plugin_dir != NULL && !opts.no_plugin)
    {
      client.xtls = purple_plugins_find_with_id (XTLS_PLUGIN_ID);
      if (client.xtls == NULL)
        xtls_client_emit ("PLUGIN missing");
      else
        xtls_client_cmd_load ();
    }
  else
    xtls_client_emit ("PLUGIN none");

  g_unix_signal_add (SIGTERM, xtls_client_on_sigterm, NULL);
  g_unix_signal_add (SIGINT, xtls_client_on_sigterm, NULL);
  if (opts.max_lifetime > 0)
    g_timeout_add_seconds ((guint)opts.max_lifetime, xtls_client_lifetime_exceeded, NULL);

  in = g_io_channel_unix_new (STDIN_FILENO);
  g_io_channel_set_encoding (in, NULL, NULL);
  g_io_channel_set_flags (in, G_IO_FLAG_NONBLOCK, NULL);
  g_io_add_watch (in, G_IO_IN | G_IO_HUP | G_IO_ERR, xtls_client_stdin_ready, NULL);
  g_io_channel_unref (in);

  xtls_client_setup_account (&opts);
  client.password = g_steal_pointer (&opts.password);
  purple_savedstatus_activate (purple_savedstatus_new (NULL, PURPLE_STATUS_AVAILABLE));

  g_main_loop_run (client.loop);

  purple_signals_disconnect_by_handle (&plugin_signals_handle);
  purple_signals_disconnect_by_handle (&core_signals_handle);
  purple_core_quit ();
  xtls_client_emit ("BYE");
  g_hash_table_destroy (client.requests);
  g_main_loop_unref (client.loop);
  g_free (client.download_dir);
  g_free (client.password);
  g_free (opts.user_dir);
  g_free (opts.jid);
  g_free (opts.password);
  g_free (opts.plugin_dir);
  g_free (opts.download_dir);
  return client.exit_code;
}
