/* The small dialogs: "What is this?" (the trust levels in plain words), the confirmation
 * before forgetting a key, and what verification is. Every one is
 * tracked so unloading the plugin closes it. */
#include "gtk-xtls.h"

enum
{
  RESPONSE_FORGET = 1,
};

typedef struct
{
  PurpleAccount *account; /* borrowed, checked with xtls_gtk_account_alive() before use */
  char *bare;             /* owned */
  XtlsGtkForgotten done;
} ForgetRequest;

static GList *open_dialogs; /* GtkWidget*, every dialog of this file that is open */
static GHashTable *forgets; /* "account-pointer bare" -> the open confirmation (not owned) */
static GtkWidget *explain;  /* the one "What is this?" window, or NULL */

static void
forget_on_destroy (GtkWidget *dialog, gpointer data)
{
  open_dialogs = g_list_remove (open_dialogs, dialog);
  if (dialog == explain)
    explain = NULL;
}

static void
track (GtkWidget *dialog)
{
  open_dialogs = g_list_prepend (open_dialogs, dialog);
  g_signal_connect (dialog, "destroy", G_CALLBACK (forget_on_destroy), NULL);
}

void
xtls_gtk_small_dialogs_close_all (void)
{
  while (open_dialogs != NULL)
    gtk_widget_destroy (open_dialogs->data); /* the destroy handler unlinks it */
  g_clear_pointer (&forgets, g_hash_table_unref);
}

/* ---- What is this? ------------------------------------------------------------------------- */

static void
add_paragraph (GtkWidget *box, const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_set_size_request (label, 460, -1);
  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
  gtk_box_pack_start (GTK_BOX (box), label, FALSE, FALSE, 0);
}

void
xtls_gtk_explain_open (GtkWindow *parent)
{
  static const int states[]
      = { XTLS_API_STATE_NOT_PRIVATE, XTLS_API_STATE_NEGOTIATING, XTLS_API_STATE_UNVERIFIED,
          XTLS_API_STATE_PRIVATE,     XTLS_API_STATE_FINISHED,    XTLS_API_STATE_FAILED };
  GtkWidget *content, *vbox, *table;

  if (explain != NULL)
    {
      gtk_window_present (GTK_WINDOW (explain));
      return;
    }
  explain = gtk_dialog_new_with_buttons (_ ("About private conversations"), parent,
                                         GTK_DIALOG_DESTROY_WITH_PARENT, GTK_STOCK_CLOSE,
                                         GTK_RESPONSE_CLOSE, NULL);
  gtk_window_set_role (GTK_WINDOW (explain), "xtls-explain-dialog");
  gtk_widget_set_name (explain, "xtls-explain-dialog");
  gtk_dialog_set_has_separator (GTK_DIALOG (explain), FALSE);
  content = gtk_dialog_get_content_area (GTK_DIALOG (explain));
  vbox = gtk_vbox_new (FALSE, 12);
  gtk_container_set_border_width (GTK_CONTAINER (vbox), 12);
  gtk_box_pack_start (GTK_BOX (content), vbox, TRUE, TRUE, 0);

  add_paragraph (vbox, _ ("A private conversation is encrypted from your computer to your "
                          "contact's. The servers in between carry it but cannot read it."));
  table = gtk_table_new (G_N_ELEMENTS (states), 2, FALSE);
  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  gtk_table_set_col_spacings (GTK_TABLE (table), 8);
  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      GtkWidget *label = gtk_label_new (xtls_gtk_state_sentence (states[i]));

      gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_set_size_request (label, 420, -1);
      gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
      gtk_table_attach (GTK_TABLE (table), xtls_gtk_icon_new (states[i], 16), 0, 1, i, i + 1,
                        GTK_FILL, GTK_FILL, 0, 0);
      gtk_table_attach (GTK_TABLE (table), label, 1, 2, i, i + 1, GTK_FILL | GTK_EXPAND, GTK_FILL,
                        0, 0);
    }
  gtk_box_pack_start (GTK_BOX (vbox), table, FALSE, FALSE, 0);
  add_paragraph (vbox, _ ("You verify a contact once: compare the safety code with them by "
                          "phone or in person (Verify… in the status menu), or both type a "
                          "password you agreed on. After that, your private conversations with "
                          "them are private at once."));
  add_paragraph (vbox, _ ("If their key ever changes, you are warned and nothing is sent until "
                          "you have checked with them. Your contact needs the XTLS plugin too."));

  g_signal_connect (explain, "response", G_CALLBACK (gtk_widget_destroy), NULL);
  track (explain);
  gtk_widget_show_all (explain);
}

/* ---- What is this? (verification) ----------------------------------------------------------- */

/* The three sentences a person needs before comparing a code on the phone. */
void
xtls_gtk_explain_verification (GtkWindow *parent)
{
  GtkWidget *dialog = gtk_message_dialog_new (parent, GTK_DIALOG_DESTROY_WITH_PARENT,
                                              GTK_MESSAGE_INFO, GTK_BUTTONS_CLOSE, "%s",
                                              _ ("Verifying a contact with the safety code"));

  gtk_message_dialog_format_secondary_text (
      GTK_MESSAGE_DIALOG (dialog), "%s\n\n%s\n\n%s",
      _ ("The safety code is made from your key and your contact's key together, so it is the "
         "same on both screens only when nobody sits in between."),
      _ ("Read it to each other by phone or in person, never by chat, and confirm only when "
         "every digit matches."),
      _ ("From then on your private conversations with them start without questions, and if "
         "their key ever changes you are warned before anything is sent."));
  gtk_window_set_title (GTK_WINDOW (dialog), _ ("What is this?"));
  gtk_window_set_role (GTK_WINDOW (dialog), "xtls-explain-verification");
  gtk_widget_set_name (dialog, "xtls-explain-verification");
  g_signal_connect (dialog, "response", G_CALLBACK (gtk_widget_destroy), NULL);
  track (dialog);
  gtk_widget_show_all (dialog);
  purple_debug_info ("xtls-gtk", "explaining verification\n");
}

/* ---- Forget key? --------------------------------------------------------------------------- */

static char *
forget_key (PurpleAccount *account, const char *bare)
{
  return g_strdup_printf ("%p %s", (void *)account, bare);
}

static void
forget_request_free (gpointer data)
{
  ForgetRequest *fr = data;
  g_autofree char *key = forget_key (fr->account, fr->bare);

  if (forgets != NULL)
    g_hash_table_remove (forgets, key);
  g_free (fr->bare);
  g_free (fr);
}

static void
on_forget_response (GtkDialog *dialog, int response, ForgetRequest *fr)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (dialog));
  PurpleAccount *account = fr->account;
  g_autofree char *bare = g_strdup (fr->bare);
  XtlsGtkForgotten done = fr->done;

  gtk_widget_destroy (GTK_WIDGET (dialog)); /* frees @fr */
  if (response != RESPONSE_FORGET || !xtls_gtk_account_alive (account))
    return;
  if (!xtls_gtk_core_forget (account, bare))
    {
      GtkWidget *msg
          = gtk_message_dialog_new (parent, GTK_DIALOG_DESTROY_WITH_PARENT, GTK_MESSAGE_ERROR,
                                    GTK_BUTTONS_CLOSE, "%s", _ ("The key could not be forgotten"));

      gtk_widget_set_name (msg, "xtls-error-dialog");
      gtk_message_dialog_format_secondary_text (
          GTK_MESSAGE_DIALOG (msg), "%s",
          _ ("Is the account still connected? Try again after it has signed on."));
      g_signal_connect (msg, "response", G_CALLBACK (gtk_widget_destroy), NULL);
      track (msg);
      gtk_widget_show (msg);
      return;
    }
  xtls_gtk_prefs_refresh ();
  xtls_gtk_status_refresh (xtls_gtk_peer_get (account, bare));
  if (done != NULL)
    done (account, bare);
}

void
xtls_gtk_confirm_forget (GtkWindow *parent, PurpleAccount *account, const char *bare,
                         XtlsGtkForgotten done)
{
  g_autofree char *key = forget_key (account, bare);
  GtkWidget *open = forgets != NULL ? g_hash_table_lookup (forgets, key) : NULL;
  ForgetRequest *fr;
  const char *name = xtls_gtk_display_name (account, bare);
  GtkWidget *dialog, *button;

  if (open != NULL)
    {
      gtk_window_present (GTK_WINDOW (open));
      return;
    }
  fr = g_new0 (ForgetRequest, 1);
  fr->account = account;
  fr->bare = g_strdup (bare);
  fr->done = done;
  dialog = gtk_message_dialog_new (parent, GTK_DIALOG_DESTROY_WITH_PARENT, GTK_MESSAGE_WARNING,
                                   GTK_BUTTONS_NONE,
                                   /* Translators: %s is the contact's name */
                                   _ ("Forget the key of %s?"), name);
  gtk_message_dialog_format_secondary_text (
      GTK_MESSAGE_DIALOG (dialog), "%s",
      _ ("Do this only when your contact has told you, by phone or in person, that their key "
         "changed (for example a new device). The next private conversation will ask you to "
         "verify them again."));
  gtk_window_set_title (GTK_WINDOW (dialog), _ ("Forget key?"));
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_role (GTK_WINDOW (dialog), "xtls-forget-dialog");
  gtk_widget_set_name (dialog, "xtls-forget-dialog");
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), GTK_STOCK_CANCEL, GTK_RESPONSE_CANCEL);
  gtk_widget_set_name (button, "xtls-forget-cancel");
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), _ ("_Forget key"), RESPONSE_FORGET);
  gtk_widget_set_name (button, "xtls-forget-confirm");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  g_object_set_data_full (G_OBJECT (dialog), "xtls-forget", fr, forget_request_free);
  if (forgets == NULL)
    forgets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_insert (forgets, g_steal_pointer (&key), dialog);
  g_signal_connect (dialog, "response", G_CALLBACK (on_forget_response), fr);
  track (dialog);
  gtk_widget_show_all (dialog);
}
