/* xtls-client: libpurple's request UI ops. Every request becomes a REQUEST line with an id;
 * the driver answers it with "answer", "answer-input" or "cancel", and the answer reaches the
 * request's callbacks from the main loop, as a click in a dialog would. */
#include "xtls-client.h"

#include <string.h>

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

typedef struct
{
  guint id;
  XtlsClientAnswerKind kind;
  int choice;
  char *text; /* owned */
} XtlsClientAnswer;

static GHashTable *requests; /* guint id -> XtlsClientRequest (owned) */
static guint next_request_id;

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

void
xtls_client_requests_init (void)
{
  requests = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                    (GDestroyNotify)xtls_client_request_free);
}

/* Frees the requests still open. */
void
xtls_client_requests_shutdown (void)
{
  g_clear_pointer (&requests, g_hash_table_destroy);
}

/* ---- Request UI ops ---------------------------------------------------------------------- */

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

  request->id = ++next_request_id;
  g_hash_table_insert (requests, GUINT_TO_POINTER (request->id), request);

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

  if (g_hash_table_remove (requests, GUINT_TO_POINTER (id)))
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

PurpleRequestUiOps *
xtls_client_request_ui_ops (void)
{
  return &xtls_client_request_ops;
}

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

/* ---- Answers ----------------------------------------------------------------------------- */

/* Answers a request from the main loop, outside any libpurple call (an idle callback). The
 * callbacks and user_data are copied first: a callback may close the request itself. */
static gboolean
xtls_client_answer_idle (gpointer data)
{
  XtlsClientAnswer *answer = data;
  XtlsClientRequest *request = g_hash_table_lookup (requests, GUINT_TO_POINTER (answer->id));
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

void
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
