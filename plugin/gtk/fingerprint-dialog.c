/* Verify a contact by typing what they read out (pidgin-otr's manual verification): their
 * fingerprint, or the safety code once they have shown a key. Opened from the known contacts
 * in the preferences and from the buddy list's context menu, so a contact can be verified
 * before any conversation. What happens to what was typed is the core's rule ("verify-typed"
 * in xtls-api.h): it matches the key they show or the verified one, or, with no key yet, it is
 * stored as the key to expect. */
#include "gtk-xtls.h"

#include <string.h>

enum
{
  RESPONSE_CHECK = 1,
  RESPONSE_HELP = 2,
};

typedef struct
{
  PurpleAccount *account; /* borrowed, checked with xtls_gtk_account_alive() before use */
  GtkWidget *dialog;      /* owns everything below; destroying it frees this struct */
  GtkWidget *contact;     /* GtkComboBoxEntry of the account's XMPP buddies */
  GtkWidget *entry;
  GtkWidget *result;
} FingerprintDialog;

static GList *dialogs; /* FingerprintDialog*, one per account at most */

static FingerprintDialog *
find_dialog (PurpleAccount *account)
{
  for (GList *l = dialogs; l != NULL; l = l->next)
    if (((FingerprintDialog *)l->data)->account == account)
      return l->data;
  return NULL;
}

static char *
contact_text (FingerprintDialog *fd)
{
  GtkWidget *child = gtk_bin_get_child (GTK_BIN (fd->contact));
  g_autofree char *text = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (child))));

  return *text != '\0' && strchr (text, '@') != NULL ? xtls_gtk_bare (text) : NULL;
}

static void
show_result (FingerprintDialog *fd, gboolean bad, const char *text)
{
  g_autofree char *markup
      = bad ? g_markup_printf_escaped ("<span foreground='#a40000' weight='bold'>%s</span>", text)
            : g_markup_printf_escaped ("<b>%s</b>", text);

  gtk_label_set_markup (GTK_LABEL (fd->result), markup);
  gtk_widget_show (fd->result);
}

static const char *
result_word (int result)
{
  switch (result)
    {
      case XTLS_API_TYPED_INVALID:
        return "invalid";
      case XTLS_API_TYPED_MATCHED:
        return "matched";
      case XTLS_API_TYPED_EXPECTED:
        return "expected";
      case XTLS_API_TYPED_MISMATCH:
        return "mismatch";
      case XTLS_API_TYPED_NEED_KEY:
        return "need-key";
      default:
        return "failed";
    }
}

static void
check (FingerprintDialog *fd)
{
  g_autofree char *bare = contact_text (fd);
  const char *typed = gtk_entry_get_text (GTK_ENTRY (fd->entry));
  const char *name;
  g_autofree char *text = NULL;
  int result;

  if (bare == NULL)
    {
      show_result (fd, TRUE,
                   _ ("Choose the contact first (an XMPP address like "
                      "name@example.org)."));
      return;
    }
  if (!xtls_gtk_account_alive (fd->account))
    return;
  name = xtls_gtk_display_name (fd->account, bare);
  result = xtls_gtk_core_verify_typed (fd->account, bare, typed);
  /* Neither the typed text nor the fingerprints go into the debug log. */
  purple_debug_info ("xtls-gtk", "fingerprint entry for %s: %s\n", bare, result_word (result));
  switch (result)
    {
      case XTLS_API_TYPED_MATCHED:
        /* Translators: %s is the contact's name */
        text = g_strdup_printf (_ ("It matches. %s is now verified: your private conversations "
                                   "with them are private at once."),
                                name);
        show_result (fd, FALSE, text);
        break;
      case XTLS_API_TYPED_EXPECTED:
        /* Translators: %s is the contact's name */
        text = g_strdup_printf (_ ("%s has not shown a key yet, so this fingerprint is stored "
                                   "as the one to expect. The first private conversation whose "
                                   "key matches it is verified at once; a different key is "
                                   "refused with a warning and nothing is sent."),
                                name);
        show_result (fd, FALSE, text);
        break;
      case XTLS_API_TYPED_MISMATCH:
        /* Translators: %s is the contact's name */
        text = g_strdup_printf (_ ("This does NOT match the key of %s. Nothing was stored. Check "
                                   "with them again by phone or in person: someone may be in "
                                   "between."),
                                name);
        show_result (fd, TRUE, text);
        break;
      case XTLS_API_TYPED_NEED_KEY:
        show_result (fd, TRUE,
                     _ ("A safety code can only be checked once your contact has shown their "
                        "key in a private conversation. Ask them for their fingerprint instead, "
                        "or start a private conversation first."));
        break;
      case XTLS_API_TYPED_INVALID:
        show_result (fd, TRUE,
                     _ ("That is neither a fingerprint (64 characters 0-9 and a-f) nor a "
                        "safety code (ten groups of four digits)."));
        break;
      default:
        show_result (fd, TRUE, _ ("The key could not be stored. Is the account still connected?"));
        break;
    }
  if (result == XTLS_API_TYPED_MATCHED || result == XTLS_API_TYPED_EXPECTED)
    {
      xtls_gtk_prefs_refresh ();
      xtls_gtk_status_refresh (xtls_gtk_peer_get (fd->account, bare));
    }
}

static void
on_response (GtkDialog *dialog, int response, FingerprintDialog *fd)
{
  if (response == RESPONSE_CHECK)
    check (fd);
  else if (response == RESPONSE_HELP)
    xtls_gtk_explain_verification (GTK_WINDOW (dialog));
  else
    gtk_widget_destroy (fd->dialog);
}

static void
on_destroy (GtkWidget *widget, FingerprintDialog *fd)
{
  dialogs = g_list_remove (dialogs, fd);
  g_free (fd);
}

static void
fill_contacts (FingerprintDialog *fd)
{
  GSList *buddies = purple_find_buddies (fd->account, NULL);
  GList *names = NULL;

  for (GSList *l = buddies; l != NULL; l = l->next)
    names = g_list_prepend (names, (gpointer)purple_buddy_get_name (l->data));
  names = g_list_sort (names, (GCompareFunc)g_ascii_strcasecmp);
  for (GList *l = names; l != NULL; l = l->next)
    gtk_combo_box_append_text (GTK_COMBO_BOX (fd->contact), l->data);
  g_list_free (names);
  g_slist_free (buddies);
}

static GtkWidget *
left_label (const char *text, gboolean mnemonic)
{
  GtkWidget *label = mnemonic ? gtk_label_new_with_mnemonic (text) : gtk_label_new (text);

  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_set_size_request (label, 480, -1);
  return label;
}

void
xtls_gtk_fingerprint_open (GtkWindow *parent, PurpleAccount *account, const char *bare)
{
  FingerprintDialog *fd = find_dialog (account);
  GtkWidget *content, *vbox, *label, *own;
  g_autofree char *own_fp = NULL;
  g_autofree char *own_grouped = NULL;
  g_autofree char *own_markup = NULL;

  if (fd != NULL)
    {
      if (bare != NULL)
        gtk_entry_set_text (GTK_ENTRY (gtk_bin_get_child (GTK_BIN (fd->contact))), bare);
      gtk_window_present (GTK_WINDOW (fd->dialog));
      return;
    }
  fd = g_new0 (FingerprintDialog, 1);
  fd->account = account;
  fd->dialog = gtk_dialog_new_with_buttons (_ ("Verify a contact by fingerprint"), parent,
                                            GTK_DIALOG_DESTROY_WITH_PARENT, NULL, NULL);
  gtk_window_set_role (GTK_WINDOW (fd->dialog), "xtls-fingerprint-dialog");
  gtk_widget_set_name (fd->dialog, "xtls-fingerprint-dialog");
  gtk_dialog_set_has_separator (GTK_DIALOG (fd->dialog), FALSE);
  gtk_widget_set_name (
      gtk_dialog_add_button (GTK_DIALOG (fd->dialog), _ ("_What is this?"), RESPONSE_HELP),
      "xtls-fingerprint-help");
  gtk_dialog_add_button (GTK_DIALOG (fd->dialog), GTK_STOCK_CLOSE, GTK_RESPONSE_CLOSE);
  gtk_widget_set_name (
      gtk_dialog_add_button (GTK_DIALOG (fd->dialog), _ ("Check and _verify"), RESPONSE_CHECK),
      "xtls-fingerprint-check");
  gtk_dialog_set_default_response (GTK_DIALOG (fd->dialog), RESPONSE_CHECK);

  content = gtk_dialog_get_content_area (GTK_DIALOG (fd->dialog));
  vbox = gtk_vbox_new (FALSE, 6);
  gtk_container_set_border_width (GTK_CONTAINER (vbox), 12);
  gtk_box_pack_start (GTK_BOX (content), vbox, TRUE, TRUE, 0);

  label = left_label (NULL, FALSE);
  gtk_label_set_markup (GTK_LABEL (label),
                        _ ("<b>Type or paste what your contact read out to you</b>"));
  gtk_box_pack_start (GTK_BOX (vbox), label, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox),
                      left_label (_ ("Ask them by phone or in person, never by chat, for their "
                                     "fingerprint (their Verify… dialog, or /xtls fingerprint, "
                                     "shows it), or for the safety code once they have shown you "
                                     "their key in a private conversation."),
                                  FALSE),
                      FALSE, FALSE, 6);

  label = left_label (_ ("Con_tact:"), TRUE);
  gtk_box_pack_start (GTK_BOX (vbox), label, FALSE, FALSE, 0);
  fd->contact = gtk_combo_box_entry_new_text ();
  gtk_widget_set_name (fd->contact, "xtls-fingerprint-contact");
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), fd->contact);
  fill_contacts (fd);
  if (bare != NULL)
    gtk_entry_set_text (GTK_ENTRY (gtk_bin_get_child (GTK_BIN (fd->contact))), bare);
  gtk_box_pack_start (GTK_BOX (vbox), fd->contact, FALSE, FALSE, 0);

  label = left_label (_ ("Their _fingerprint or the safety code:"), TRUE);
  gtk_box_pack_start (GTK_BOX (vbox), label, FALSE, FALSE, 0);
  fd->entry = gtk_entry_new ();
  gtk_widget_set_name (fd->entry, "xtls-fingerprint-entry");
  gtk_entry_set_max_length (GTK_ENTRY (fd->entry), 256);
  gtk_entry_set_width_chars (GTK_ENTRY (fd->entry), 64);
  gtk_entry_set_activates_default (GTK_ENTRY (fd->entry), TRUE);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), fd->entry);
  gtk_box_pack_start (GTK_BOX (vbox), fd->entry, FALSE, FALSE, 0);

  fd->result = left_label (NULL, FALSE);
  gtk_widget_set_name (fd->result, "xtls-fingerprint-result");
  gtk_widget_set_no_show_all (fd->result, TRUE);
  gtk_box_pack_start (GTK_BOX (vbox), fd->result, FALSE, FALSE, 6);

  /* Verification goes both ways: they need ours too. */
  gtk_box_pack_start (GTK_BOX (vbox),
                      left_label (_ ("Your fingerprint, for them to type in turn:"), FALSE), FALSE,
                      FALSE, 0);
  own_fp = xtls_gtk_core_fingerprint (account);
  own_grouped = own_fp != NULL ? xtls_gtk_group (own_fp, 4, 8) : g_strdup ("—");
  own_markup = g_markup_printf_escaped ("<tt>%s</tt>", own_grouped);
  own = gtk_label_new (NULL);
  gtk_label_set_markup (GTK_LABEL (own), own_markup);
  gtk_label_set_selectable (GTK_LABEL (own), TRUE);
  gtk_misc_set_alignment (GTK_MISC (own), 0.0, 0.5);
  gtk_widget_set_name (own, "xtls-fingerprint-own");
  gtk_box_pack_start (GTK_BOX (vbox), own, FALSE, FALSE, 0);

  g_signal_connect (fd->dialog, "response", G_CALLBACK (on_response), fd);
  g_signal_connect (fd->dialog, "destroy", G_CALLBACK (on_destroy), fd);
  dialogs = g_list_prepend (dialogs, fd);
  gtk_widget_show_all (fd->dialog);
  gtk_widget_grab_focus (bare != NULL ? fd->entry : fd->contact);
}

void
xtls_gtk_fingerprint_close_all (void)
{
  while (dialogs != NULL)
    gtk_widget_destroy (((FingerprintDialog *)dialogs->data)->dialog); /* unlinks itself */
}
