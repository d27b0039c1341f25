/* The changed-key warning. It must not look like a routine question: an error dialog with a
 * red heading, saying that the session was refused, and what to do (phone the contact, then
 * forget the key and verify again). It offers no way to continue: "Forget key…" asks first,
 * and "Close" is the default. */
#include "gtk-xtls.h"

enum
{
  RESPONSE_FORGET = 1,
};

typedef struct
{
  PurpleAccount *account; /* borrowed, checked with xtls_gtk_account_alive() before use */
  char *bare;             /* owned */
  GtkWidget *dialog;
} KeyChangedDialog;

static GHashTable *dialogs; /* "account-pointer bare" -> KeyChangedDialog (freed on destroy) */

static char *
dialog_key (PurpleAccount *account, const char *bare)
{
  return g_strdup_printf ("%p %s", (void *)account, bare);
}

static void
close_for (PurpleAccount *account, const char *bare)
{
  g_autofree char *key = dialog_key (account, bare);
  KeyChangedDialog *kd = dialogs != NULL ? g_hash_table_lookup (dialogs, key) : NULL;

  if (kd != NULL)
    gtk_widget_destroy (kd->dialog);
}

static void
on_response (GtkDialog *dialog, int response, KeyChangedDialog *kd)
{
  if (response == RESPONSE_FORGET && xtls_gtk_account_alive (kd->account))
    {
      /* The confirmation closes this warning once the key is really forgotten. */
      xtls_gtk_confirm_forget (GTK_WINDOW (dialog), kd->account, kd->bare, close_for);
      return;
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static void
on_destroy (GtkWidget *dialog, KeyChangedDialog *kd)
{
  g_autofree char *key = dialog_key (kd->account, kd->bare);

  if (dialogs != NULL && g_hash_table_lookup (dialogs, key) == kd)
    g_hash_table_remove (dialogs, key);
  g_free (kd->bare);
  g_free (kd);
}

static GtkWidget *
build (PurpleAccount *account, const char *bare)
{
  const char *name = xtls_gtk_display_name (account, bare);
  g_autofree char *title = g_strdup_printf (_ ("Key changed: %s"), bare);
  /* Translators: %s is the contact's name */
  g_autofree char *heading = g_strdup_printf (_ ("%s's key has changed. The private "
                                                 "conversation was refused."),
                                              name);
  g_autofree char *markup = g_markup_printf_escaped (
      "<span foreground=\"#c01c28\" weight=\"bold\" size=\"larger\">%s</span>", heading);
  GtkWidget *dialog, *button;

  dialog = gtk_message_dialog_new (NULL, 0, GTK_MESSAGE_ERROR, GTK_BUTTONS_NONE, NULL);
  gtk_message_dialog_set_markup (GTK_MESSAGE_DIALOG (dialog), markup);
  gtk_message_dialog_format_secondary_text (
      GTK_MESSAGE_DIALOG (dialog), "%s",
      _ ("Nothing was sent. The key your contact uses now is not the one you verified. That "
         "happens when someone reinstalls or uses a new device, but it is also exactly what "
         "someone listening in between you would cause.\n\n"
         "What to do:\n"
         "1. Call your contact, or meet them, and ask whether their key changed.\n"
         "2. Only if it did: choose Forget key, start a private conversation again and verify "
         "them.\n\n"
         "If they say nothing changed, do not continue: someone may be intercepting your "
         "conversation."));
  gtk_window_set_title (GTK_WINDOW (dialog), title);
  gtk_window_set_role (GTK_WINDOW (dialog), "xtls-key-changed-dialog");
  gtk_widget_set_name (dialog, "xtls-key-changed-dialog");
  gtk_window_set_urgency_hint (GTK_WINDOW (dialog), TRUE);
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), _ ("_Forget key…"), RESPONSE_FORGET);
  gtk_widget_set_name (button, "xtls-key-changed-forget");
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), GTK_STOCK_CLOSE, GTK_RESPONSE_CLOSE);
  gtk_widget_set_name (button, "xtls-key-changed-close");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CLOSE);
  gtk_widget_grab_focus (button);
  return dialog;
}

void
xtls_gtk_key_changed_open (PurpleAccount *account, const char *bare)
{
  g_autofree char *key = dialog_key (account, bare);
  KeyChangedDialog *kd;

  if (dialogs == NULL)
    dialogs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  kd = g_hash_table_lookup (dialogs, key);
  if (kd == NULL)
    {
      kd = g_new0 (KeyChangedDialog, 1);
      kd->account = account;
      kd->bare = g_strdup (bare);
      kd->dialog = build (account, bare);
      g_signal_connect (kd->dialog, "response", G_CALLBACK (on_response), kd);
      g_signal_connect (kd->dialog, "destroy", G_CALLBACK (on_destroy), kd);
      g_hash_table_insert (dialogs, g_steal_pointer (&key), kd);
    }
  gtk_widget_show_all (kd->dialog);
  gtk_window_present (GTK_WINDOW (kd->dialog));
}

void
xtls_gtk_key_changed_close_all (void)
{
  GList *all;

  if (dialogs == NULL)
    return;
  all = g_hash_table_get_values (dialogs);
  for (GList *l = all; l != NULL; l = l->next)
    gtk_widget_destroy (((KeyChangedDialog *)l->data)->dialog);
  g_list_free (all);
  g_clear_pointer (&dialogs, g_hash_table_unref);
}
