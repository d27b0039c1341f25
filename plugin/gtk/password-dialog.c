/* The shared-password dialog (SRP). Both people type the same secret, agreed in person or by
 * phone; the TLS handshake proves they know the same one. The dialog walks through:
 *
 *   INPUT     masked entry; OK answers the core (decide USE_PASSWORD, then supply-password)
 *   STARTING  no session yet: we asked the core to start one and supply when it exists
 *   WAITING   "Waiting for <contact>…" until the core reports private, failed or finished
 *   SUCCESS   "Verified: private conversation started"
 *   FAILURE   what went wrong; "Try again" starts a new session and returns to INPUT
 *
 * The password lives only in the entry; it is handed to the core and the entry is cleared. */
#include "gtk-xtls.h"

enum
{
  RESPONSE_TRY_AGAIN = 1,
};

typedef enum
{
  MODE_INPUT,
  MODE_STARTING,
  MODE_WAITING,
  MODE_SUCCESS,
  MODE_FAILURE,
} Mode;

typedef struct
{
  PurpleAccount *account; /* borrowed, checked with xtls_gtk_account_alive() before use */
  char *bare;             /* owned */
  Mode mode;
  gboolean submitting; /* inside our own IPC calls: the core may ask us back at once */
  guint pulse;         /* progress bar timer */
  guint supply_idle;   /* supplies the password once a started session exists */
  GtkWidget *dialog;
  GtkWidget *icon;
  GtkWidget *heading;
  GtkWidget *explain;
  GtkWidget *entry;
  GtkWidget *progress;
  GtkWidget *status;
  GtkWidget *cancel;
  GtkWidget *ok;
  GtkWidget *try_again;
  GtkWidget *close;
} PasswordDialog;

static GHashTable *dialogs; /* "account-pointer bare" -> PasswordDialog (freed on destroy) */

static char *
dialog_key (PurpleAccount *account, const char *bare)
{
  return g_strdup_printf ("%p %s", (void *)account, bare);
}

static PasswordDialog *
find (PurpleAccount *account, const char *bare)
{
  g_autofree char *key = dialog_key (account, bare);
  return dialogs != NULL ? g_hash_table_lookup (dialogs, key) : NULL;
}

static gboolean
pulse (gpointer data)
{
  PasswordDialog *pd = data;
  gtk_progress_bar_pulse (GTK_PROGRESS_BAR (pd->progress));
  return G_SOURCE_CONTINUE;
}

static void
set_heading (PasswordDialog *pd, const char *text, const char *colour)
{
  g_autofree char *markup
      = colour != NULL
            ? g_markup_printf_escaped (
                "<span size=\"larger\" weight=\"bold\" foreground=\"%s\">%s</span>", colour, text)
            : g_markup_printf_escaped ("<span size=\"larger\" weight=\"bold\">%s</span>", text);
  gtk_label_set_markup (GTK_LABEL (pd->heading), markup);
}

/* Shows @mode: which widgets are visible, what the heading says. @detail is the status line. */
static void
set_mode (PasswordDialog *pd, Mode mode, const char *detail)
{
  const char *name = xtls_gtk_display_name (pd->account, pd->bare);
  gboolean busy = mode == MODE_STARTING || mode == MODE_WAITING;
  gboolean done = mode == MODE_SUCCESS || mode == MODE_FAILURE;
  g_autofree char *text = NULL;

  pd->mode = mode;
  switch (mode)
    {
      case MODE_INPUT:
        /* Translators: %s is the contact's name */
        text = g_strdup_printf (_ ("Type the password you agreed on with %s"), name);
        set_heading (pd, text, NULL);
        break;
      case MODE_STARTING:
      case MODE_WAITING:
        /* Translators: %s is the contact's name */
        text = g_strdup_printf (_ ("Waiting for %s…"), name);
        set_heading (pd, text, NULL);
        if (detail == NULL)
          detail = mode == MODE_WAITING
                       ? _ ("Your contact types the same password on their side. This dialog "
                            "tells you when the private conversation has started.")
                       : _ ("Starting a private conversation…");
        break;
      case MODE_SUCCESS:
        set_heading (pd, _ ("Verified: private conversation started"), "#26a269");
        break;
      case MODE_FAILURE:
        break; /* the caller sets the heading */
    }
  if (mode == MODE_SUCCESS || mode == MODE_FAILURE)
    xtls_gtk_icon_set (GTK_IMAGE (pd->icon),
                       mode == MODE_SUCCESS ? XTLS_API_STATE_PRIVATE : XTLS_API_STATE_FAILED, 48);
  else
    gtk_image_set_from_stock (GTK_IMAGE (pd->icon), GTK_STOCK_DIALOG_AUTHENTICATION,
                              GTK_ICON_SIZE_DIALOG);
  gtk_widget_set_visible (pd->explain, mode == MODE_INPUT);
  gtk_widget_set_visible (pd->entry, mode == MODE_INPUT);
  gtk_widget_set_visible (pd->progress, busy);
  gtk_widget_set_visible (pd->status, detail != NULL);
  gtk_label_set_text (GTK_LABEL (pd->status), detail != NULL ? detail : "");
  gtk_widget_set_visible (pd->ok, mode == MODE_INPUT);
  gtk_widget_set_visible (pd->cancel, !done);
  gtk_widget_set_visible (pd->try_again, mode == MODE_FAILURE);
  gtk_widget_set_visible (pd->close, done);
  gtk_window_resize (GTK_WINDOW (pd->dialog), 1, 1); /* shrink to what this mode shows */
  if (busy && pd->pulse == 0)
    pd->pulse = g_timeout_add (100, pulse, pd);
  else if (!busy)
    g_clear_handle_id (&pd->pulse, g_source_remove);
  if (mode == MODE_INPUT)
    {
      gtk_dialog_set_default_response (GTK_DIALOG (pd->dialog), GTK_RESPONSE_OK);
      gtk_widget_grab_focus (pd->entry);
    }
  else if (done)
    {
      gtk_dialog_set_default_response (
          GTK_DIALOG (pd->dialog), mode == MODE_FAILURE ? RESPONSE_TRY_AGAIN : GTK_RESPONSE_CLOSE);
      gtk_widget_grab_focus (mode == MODE_FAILURE ? pd->try_again : pd->close);
    }
}

static void
show_failure (PasswordDialog *pd, const char *reason)
{
  if (xtls_gtk_account_alive (pd->account)
      && xtls_gtk_core_failure (pd->account, pd->bare) == XTLS_API_FAILURE_BAD_PASSWORD)
    {
      set_heading (pd, _ ("The passwords did not match"), "#c01c28");
      set_mode (pd, MODE_FAILURE,
                _ ("Nothing was sent. Agree on the password again, in person or by phone, then "
                   "choose Try again. Your contact has to type it too."));
    }
  else
    {
      set_heading (pd, _ ("The private conversation could not be set up"), "#c01c28");
      set_mode (pd, MODE_FAILURE, reason != NULL ? reason : _ ("Nothing was sent."));
    }
}

/* Hands the typed password to the core: first the pending answer to "is this really them?",
 * which makes the core ask for the password (synchronously, we claim that), then the password
 * itself. The entry is cleared at once. */
static void
supply (PasswordDialog *pd)
{
  XtlsGtkPeer *peer = xtls_gtk_peer_get (pd->account, pd->bare);

  pd->submitting = TRUE;
  if (peer->pending == XTLS_API_DECISION_UNKNOWN_KEY)
    {
      peer->pending = 0;
      xtls_gtk_core_decide (pd->account, xtls_gtk_peer_target (peer), XTLS_API_ANSWER_USE_PASSWORD);
    }
  xtls_gtk_core_supply_password (pd->account, xtls_gtk_peer_target (peer),
                                 gtk_entry_get_text (GTK_ENTRY (pd->entry)));
  peer->pending = 0;
  pd->submitting = FALSE;
  gtk_entry_set_text (GTK_ENTRY (pd->entry), "");
  xtls_gtk_status_refresh (peer);
  if (pd->mode == MODE_SUCCESS || pd->mode == MODE_FAILURE)
    return;
  if (peer->state == XTLS_API_STATE_FAILED || peer->state == XTLS_API_STATE_FINISHED)
    show_failure (pd, peer->failure); /* it ended while we were still handing over */
  else
    set_mode (pd, MODE_WAITING, NULL);
}

static gboolean
supply_later (gpointer data)
{
  PasswordDialog *pd = data;

  pd->supply_idle = 0;
  if (pd->mode == MODE_STARTING && xtls_gtk_account_alive (pd->account))
    supply (pd);
  return G_SOURCE_REMOVE;
}

static void
submit (PasswordDialog *pd)
{
  XtlsGtkPeer *peer = xtls_gtk_peer_get (pd->account, pd->bare);

  if (*gtk_entry_get_text (GTK_ENTRY (pd->entry)) == '\0')
    return;
  if (peer->pending != 0 || peer->state == XTLS_API_STATE_NEGOTIATING)
    {
      supply (pd);
      return;
    }
  if (peer->state == XTLS_API_STATE_PRIVATE || peer->state == XTLS_API_STATE_UNVERIFIED)
    {
      set_heading (pd, _ ("A private conversation is already running"), NULL);
      set_mode (pd, MODE_FAILURE,
                _ ("A password can only be used while a private conversation is being set up. "
                   "Stop the running one first (status button, Stop private conversation)."));
      return;
    }
  /* No session: start one; the password goes in once the core reports it (state handler). */
  set_mode (pd, MODE_STARTING, NULL);
  if (!xtls_gtk_core_start (pd->account, pd->bare))
    show_failure (pd, _ ("Your contact is offline or their client does not support private "
                         "conversations. Nothing was sent."));
}

static void
on_response (GtkDialog *dialog, int response, PasswordDialog *pd)
{
  XtlsGtkPeer *peer;

  if (!xtls_gtk_account_alive (pd->account))
    {
      gtk_widget_destroy (GTK_WIDGET (dialog));
      return;
    }
  peer = xtls_gtk_peer_get (pd->account, pd->bare);
  switch (response)
    {
      case GTK_RESPONSE_OK:
        if (pd->mode == MODE_INPUT)
          submit (pd);
        return;
      case RESPONSE_TRY_AGAIN:
        gtk_entry_set_text (GTK_ENTRY (pd->entry), "");
        set_mode (pd, MODE_INPUT, _ ("Starting a new private conversation…"));
        if (!xtls_gtk_core_start (pd->account, pd->bare))
          show_failure (pd, _ ("Your contact is offline or their client does not support "
                               "private conversations. Nothing was sent."));
        return;
      case GTK_RESPONSE_CANCEL:
        /* Cancel ends the session being set up (as the core's own dialog does); an unanswered
         * "is this really them?" stays pending, like "Not now". Closing the window (Escape)
         * cancels nothing: Verify… in the status menu leads back here. */
        if (peer->pending == XTLS_API_DECISION_PASSWORD)
          {
            peer->pending = 0;
            xtls_gtk_core_decide (pd->account, xtls_gtk_peer_target (peer), XTLS_API_ANSWER_CANCEL);
          }
        else if (pd->mode == MODE_STARTING || pd->mode == MODE_WAITING)
          xtls_gtk_peer_stop (peer);
        break;
      default:
        break;
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static void
on_destroy (GtkWidget *dialog, PasswordDialog *pd)
{
  g_autofree char *key = dialog_key (pd->account, pd->bare);

  if (dialogs != NULL && g_hash_table_lookup (dialogs, key) == pd)
    g_hash_table_remove (dialogs, key);
  g_clear_handle_id (&pd->pulse, g_source_remove);
  g_clear_handle_id (&pd->supply_idle, g_source_remove);
  g_free (pd->bare);
  g_free (pd);
}

static GtkWidget *
add_button (PasswordDialog *pd, const char *name, const char *label, int response)
{
  GtkWidget *button = gtk_dialog_add_button (GTK_DIALOG (pd->dialog), label, response);
  gtk_widget_set_name (button, name);
  gtk_widget_set_no_show_all (button, TRUE);
  return button;
}

static PasswordDialog *
build (PurpleAccount *account, const char *bare)
{
  PasswordDialog *pd = g_new0 (PasswordDialog, 1);
  g_autofree char *title = g_strdup_printf (_ ("Shared password with %s"), bare);
  GtkWidget *content, *hbox, *vbox;

  pd->account = account;
  pd->bare = g_strdup (bare);
  pd->dialog = gtk_dialog_new ();
  gtk_window_set_title (GTK_WINDOW (pd->dialog), title);
  gtk_window_set_role (GTK_WINDOW (pd->dialog), "xtls-password-dialog");
  gtk_widget_set_name (pd->dialog, "xtls-password-dialog");
  gtk_dialog_set_has_separator (GTK_DIALOG (pd->dialog), FALSE);
  gtk_container_set_border_width (GTK_CONTAINER (pd->dialog), 6);
  content = gtk_dialog_get_content_area (GTK_DIALOG (pd->dialog));

  hbox = gtk_hbox_new (FALSE, 12);
  gtk_container_set_border_width (GTK_CONTAINER (hbox), 6);
  gtk_box_pack_start (GTK_BOX (content), hbox, TRUE, TRUE, 0);
  pd->icon = gtk_image_new ();
  gtk_misc_set_alignment (GTK_MISC (pd->icon), 0.5, 0.0);
  gtk_box_pack_start (GTK_BOX (hbox), pd->icon, FALSE, FALSE, 0);
  vbox = gtk_vbox_new (FALSE, 8);
  gtk_box_pack_start (GTK_BOX (hbox), vbox, TRUE, TRUE, 0);

  pd->heading = gtk_label_new (NULL);
  gtk_widget_set_name (pd->heading, "xtls-password-heading");
  gtk_label_set_line_wrap (GTK_LABEL (pd->heading), TRUE);
  gtk_misc_set_alignment (GTK_MISC (pd->heading), 0.0, 0.5);
  gtk_box_pack_start (GTK_BOX (vbox), pd->heading, FALSE, FALSE, 0);

  pd->explain = gtk_label_new (
      _ ("You and your contact both type the same secret, one you agreed on in person or by "
         "phone (never by chat). It proves that you are talking to each other and is never sent "
         "anywhere. If the two differ, you are both told, and nothing is sent."));
  gtk_label_set_line_wrap (GTK_LABEL (pd->explain), TRUE);
  gtk_widget_set_size_request (pd->explain, 400, -1);
  gtk_misc_set_alignment (GTK_MISC (pd->explain), 0.0, 0.5);
  gtk_widget_set_no_show_all (pd->explain, TRUE);
  gtk_box_pack_start (GTK_BOX (vbox), pd->explain, FALSE, FALSE, 0);

  pd->entry = gtk_entry_new ();
  gtk_widget_set_name (pd->entry, "xtls-password-entry");
  gtk_entry_set_visibility (GTK_ENTRY (pd->entry), FALSE);
  gtk_entry_set_activates_default (GTK_ENTRY (pd->entry), TRUE);
  gtk_widget_set_no_show_all (pd->entry, TRUE);
  atk_object_set_name (gtk_widget_get_accessible (pd->entry), _ ("Shared password"));
  gtk_box_pack_start (GTK_BOX (vbox), pd->entry, FALSE, FALSE, 0);

  pd->progress = gtk_progress_bar_new ();
  gtk_widget_set_name (pd->progress, "xtls-password-progress");
  gtk_widget_set_no_show_all (pd->progress, TRUE);
  gtk_box_pack_start (GTK_BOX (vbox), pd->progress, FALSE, FALSE, 0);

  pd->status = gtk_label_new (NULL);
  gtk_widget_set_name (pd->status, "xtls-password-status");
  gtk_label_set_line_wrap (GTK_LABEL (pd->status), TRUE);
  gtk_label_set_selectable (GTK_LABEL (pd->status), TRUE);
  gtk_widget_set_size_request (pd->status, 400, -1);
  gtk_misc_set_alignment (GTK_MISC (pd->status), 0.0, 0.5);
  gtk_widget_set_no_show_all (pd->status, TRUE);
  gtk_box_pack_start (GTK_BOX (vbox), pd->status, FALSE, FALSE, 0);

  pd->cancel = add_button (pd, "xtls-password-cancel", GTK_STOCK_CANCEL, GTK_RESPONSE_CANCEL);
  pd->try_again = add_button (pd, "xtls-password-try-again", _ ("_Try again"), RESPONSE_TRY_AGAIN);
  pd->close = add_button (pd, "xtls-password-close", GTK_STOCK_CLOSE, GTK_RESPONSE_CLOSE);
  pd->ok = add_button (pd, "xtls-password-ok", GTK_STOCK_OK, GTK_RESPONSE_OK);

  g_signal_connect (pd->dialog, "response", G_CALLBACK (on_response), pd);
  g_signal_connect (pd->dialog, "destroy", G_CALLBACK (on_destroy), pd);
  return pd;
}

void
xtls_gtk_password_open (PurpleAccount *account, const char *bare)
{
  PasswordDialog *pd = find (account, bare);

  if (pd == NULL)
    {
      pd = build (account, bare);
      if (dialogs == NULL)
        dialogs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (dialogs, dialog_key (account, bare), pd);
      gtk_widget_show_all (pd->dialog);
      set_mode (pd, MODE_INPUT, NULL);
    }
  gtk_window_present (GTK_WINDOW (pd->dialog));
}

gboolean
xtls_gtk_password_claims (XtlsGtkPeer *peer, guint decision)
{
  PasswordDialog *pd = find (peer->account, peer->bare);

  if (pd == NULL)
    return FALSE;
  if (pd->mode == MODE_SUCCESS)
    {
      /* A new session after a finished one: the verify dialog asks afresh. */
      gtk_widget_destroy (pd->dialog);
      return FALSE;
    }
  peer->pending = decision;
  if (pd->submitting)
    return TRUE; /* our own decide(USE_PASSWORD) made the core ask; supply() follows */
  set_mode (pd, MODE_INPUT,
            pd->mode == MODE_FAILURE
                ? _ ("Your contact is trying again. Type the password you agreed on.")
                : NULL);
  gtk_window_present (GTK_WINDOW (pd->dialog));
  return TRUE;
}

void
xtls_gtk_password_state_changed (const XtlsGtkPeer *peer, const char *reason)
{
  PasswordDialog *pd = find (peer->account, peer->bare);
  gboolean ended;

  if (pd == NULL)
    return;
  ended = peer->state == XTLS_API_STATE_FAILED || peer->state == XTLS_API_STATE_FINISHED;
  switch (pd->mode)
    {
      case MODE_INPUT:
        if (ended)
          show_failure (pd, reason);
        break;
      case MODE_STARTING:
        if (ended)
          show_failure (pd, reason);
        else if (peer->state == XTLS_API_STATE_NEGOTIATING && pd->supply_idle == 0)
          pd->supply_idle = g_idle_add (supply_later, pd); /* not inside the core's emission */
        break;
      case MODE_WAITING:
        if (peer->state == XTLS_API_STATE_PRIVATE)
          set_mode (pd, MODE_SUCCESS,
                    _ ("Your clients now remember each other's keys: next time the conversation "
                       "is private at once."));
        else if (ended)
          show_failure (pd, reason);
        break;
      case MODE_SUCCESS:
      case MODE_FAILURE:
        break;
    }
}

void
xtls_gtk_password_close_all (void)
{
  GList *all;

  if (dialogs == NULL)
    return;
  all = g_hash_table_get_values (dialogs);
  for (GList *l = all; l != NULL; l = l->next)
    gtk_widget_destroy (((PasswordDialog *)l->data)->dialog);
  g_list_free (all);
  g_clear_pointer (&dialogs, g_hash_table_unref);
}
