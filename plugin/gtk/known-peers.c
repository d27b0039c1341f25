/* The plugin's preferences frame (Tools → Plugins → Configure Plugin): when to use private
 * conversations, whether to log them, and per connected XMPP account the contacts whose keys
 * are known, with how and when each was verified. */
#include "gtk-xtls.h"

#include <pidgin.h>
#include <gtkutils.h>

enum
{
  ACCOUNT_COL_NAME,
  ACCOUNT_COL_ACCOUNT,
  ACCOUNT_N_COLS,
};

enum
{
  PEER_COL_BARE,
  PEER_COL_FINGERPRINT,
  PEER_COL_HOW,
  PEER_COL_WHEN,
  PEER_N_COLS,
};

typedef struct
{
  GtkWidget *frame; /* the whole page; destroying it frees this struct */
  GtkWidget *accounts;
  GtkListStore *account_store; /* owned */
  GtkWidget *view;
  GtkListStore *peer_store; /* owned */
  GtkWidget *empty;
  GtkWidget *verify;
  GtkWidget *forget;
  GtkWidget *enter; /* "Enter fingerprint…": verify anyone, before any conversation */
  GtkWidget *help;
} PrefsFrame;

static PrefsFrame *prefs; /* the open frame, or NULL */

/* ---- policy and logging --------------------------------------------------------------------- */

static void
on_policy_toggled (GtkToggleButton *radio, gpointer data)
{
  if (gtk_toggle_button_get_active (radio))
    purple_prefs_set_int (XTLS_GTK_PREF_POLICY, GPOINTER_TO_INT (data));
}

static void
on_bool_toggled (GtkToggleButton *check, gpointer pref)
{
  purple_prefs_set_bool (pref, gtk_toggle_button_get_active (check));
}

static void
add_bool_pref (GtkWidget *box, const char *pref, const char *name, const char *label)
{
  GtkWidget *check = gtk_check_button_new_with_mnemonic (label);

  gtk_widget_set_name (check, name);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (check), purple_prefs_get_bool (pref));
  g_signal_connect (check, "toggled", G_CALLBACK (on_bool_toggled), (gpointer)pref);
  gtk_box_pack_start (GTK_BOX (box), check, FALSE, FALSE, 3);
}

static void
add_policy_section (GtkWidget *page)
{
  static const struct
  {
    int policy;
    const char *name;
    const char *label;
  } choices[] = {
    { XTLS_API_POLICY_MANUAL, "xtls-policy-manual", N_ ("Only when I _start it (recommended)") },
    { XTLS_API_POLICY_OPPORTUNISTIC, "xtls-policy-opportunistic",
      N_ ("_Whenever my contact's client supports it") },
    { XTLS_API_POLICY_REQUIRE, "xtls-policy-require",
      N_ ("_Always: never send a message unencrypted") },
    { XTLS_API_POLICY_NEVER, "xtls-policy-never", N_ ("_Never") },
  };
  GtkWidget *box = pidgin_make_frame (page, _ ("When to use private conversations"));
  GSList *group = NULL;
  int current = purple_prefs_get_int (XTLS_GTK_PREF_POLICY);

  for (guint i = 0; i < G_N_ELEMENTS (choices); i++)
    {
      GtkWidget *radio = gtk_radio_button_new_with_mnemonic (group, _ (choices[i].label));

      group = gtk_radio_button_get_group (GTK_RADIO_BUTTON (radio));
      gtk_widget_set_name (radio, choices[i].name);
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (radio), current == choices[i].policy);
      g_signal_connect (radio, "toggled", G_CALLBACK (on_policy_toggled),
                        GINT_TO_POINTER (choices[i].policy));
      gtk_box_pack_start (GTK_BOX (box), radio, FALSE, FALSE, 0);
    }
  add_bool_pref (box, XTLS_GTK_PREF_NO_LOG, "xtls-no-log",
                 _ ("_Don't log encrypted conversations"));
  /* Offers from people outside the buddy list are refused without a dialog by default: anyone
   * can send one, and each would open a window. */
  add_bool_pref (box, XTLS_GTK_PREF_STRANGERS, "xtls-strangers",
                 _ ("Accept private conversations from people not in my _buddy list"));
}

/* ---- known contacts ------------------------------------------------------------------------- */

static PurpleAccount *
selected_account (PrefsFrame *pf)
{
  GtkTreeIter iter;
  PurpleAccount *account = NULL;

  if (gtk_combo_box_get_active_iter (GTK_COMBO_BOX (pf->accounts), &iter))
    gtk_tree_model_get (GTK_TREE_MODEL (pf->account_store), &iter, ACCOUNT_COL_ACCOUNT, &account,
                        -1);
  return xtls_gtk_account_alive (account) ? account : NULL;
}

static char *
selected_peer (PrefsFrame *pf)
{
  GtkTreeSelection *selection = gtk_tree_view_get_selection (GTK_TREE_VIEW (pf->view));
  GtkTreeModel *model;
  GtkTreeIter iter;
  char *bare = NULL;

  if (gtk_tree_selection_get_selected (selection, &model, &iter))
    gtk_tree_model_get (model, &iter, PEER_COL_BARE, &bare, -1);
  return bare;
}

static void
update_buttons (PrefsFrame *pf)
{
  g_autofree char *bare = selected_peer (pf);

  gtk_widget_set_sensitive (pf->verify, bare != NULL);
  gtk_widget_set_sensitive (pf->forget, bare != NULL);
  gtk_widget_set_sensitive (pf->enter, selected_account (pf) != NULL);
}

static char *
local_date (gint64 when)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (when);
  g_autoptr (GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  return local != NULL ? g_date_time_format (local, "%Y-%m-%d") : g_strdup ("?");
}

static void
fill_peers (PrefsFrame *pf)
{
  PurpleAccount *account = selected_account (pf);
  GList *peers = account != NULL ? xtls_gtk_core_known_peers (account) : NULL;

  gtk_list_store_clear (pf->peer_store);
  for (GList *l = peers; l != NULL; l = l->next)
    {
      XtlsGtkKnownPeer *p = l->data;
      g_autofree char *fingerprint = xtls_gtk_group (p->fingerprint, 4, 8);
      g_autofree char *when = local_date (p->when);
      const char *how = g_strcmp0 (p->how, "password") == 0      ? _ ("shared password")
                        : g_strcmp0 (p->how, "fingerprint") == 0 ? _ ("safety code")
                        : g_strcmp0 (p->how, "typed") == 0       ? _ ("fingerprint you typed")
                                                                 : p->how;
      GtkTreeIter iter;

      gtk_list_store_append (pf->peer_store, &iter);
      gtk_list_store_set (pf->peer_store, &iter, PEER_COL_BARE, p->bare, PEER_COL_FINGERPRINT,
                          fingerprint, PEER_COL_HOW, how, PEER_COL_WHEN, when, -1);
    }
  if (account == NULL)
    gtk_label_set_text (GTK_LABEL (pf->empty), _ ("Sign in to an XMPP account to see the "
                                                  "contacts whose keys it knows."));
  else if (peers == NULL)
    gtk_label_set_text (GTK_LABEL (pf->empty), _ ("No verified contacts yet for this account."));
  gtk_widget_set_visible (pf->empty, peers == NULL);
  xtls_gtk_known_peers_free (peers);
  update_buttons (pf);
}

/* The connected XMPP accounts: the core knows keys only for those. */
static void
fill_accounts (PrefsFrame *pf)
{
  PurpleAccount *previous = selected_account (pf);
  gboolean selected = FALSE;

  gtk_list_store_clear (pf->account_store);
  for (GList *l = purple_connections_get_all (); l != NULL; l = l->next)
    {
      PurpleAccount *account = purple_connection_get_account (l->data);
      GtkTreeIter iter;

      if (g_strcmp0 (purple_account_get_protocol_id (account), "prpl-jabber") != 0)
        continue;
      gtk_list_store_append (pf->account_store, &iter);
      gtk_list_store_set (pf->account_store, &iter, ACCOUNT_COL_NAME,
                          purple_account_get_username (account), ACCOUNT_COL_ACCOUNT, account, -1);
      if (account == previous || (!selected && previous == NULL))
        {
          gtk_combo_box_set_active_iter (GTK_COMBO_BOX (pf->accounts), &iter);
          selected = TRUE;
        }
    }
  if (!selected)
    gtk_combo_box_set_active (GTK_COMBO_BOX (pf->accounts), 0);
  fill_peers (pf);
}

static void
on_account_changed (GtkComboBox *combo, PrefsFrame *pf)
{
  fill_peers (pf);
}

static void
on_selection_changed (GtkTreeSelection *selection, PrefsFrame *pf)
{
  update_buttons (pf);
}

static GtkWindow *
frame_window (PrefsFrame *pf)
{
  GtkWidget *top = gtk_widget_get_toplevel (pf->frame);
  return gtk_widget_is_toplevel (top) ? GTK_WINDOW (top) : NULL;
}

static void
on_verify (GtkButton *button, PrefsFrame *pf)
{
  PurpleAccount *account = selected_account (pf);
  g_autofree char *bare = selected_peer (pf);
  g_autofree char *session = NULL;

  if (account == NULL || bare == NULL)
    return;
  session = xtls_gtk_core_peer_resource (account, bare);
  if (session != NULL)
    xtls_gtk_verify_open (account, bare);
  else
    xtls_gtk_fingerprint_open (frame_window (pf), account, bare); /* no session: type it */
}

static void
on_forget (GtkButton *button, PrefsFrame *pf)
{
  PurpleAccount *account = selected_account (pf);
  g_autofree char *bare = selected_peer (pf);

  if (account != NULL && bare != NULL)
    xtls_gtk_confirm_forget (frame_window (pf), account, bare, NULL);
}

static void
on_enter (GtkButton *button, PrefsFrame *pf)
{
  PurpleAccount *account = selected_account (pf);
  g_autofree char *bare = selected_peer (pf);

  if (account != NULL)
    xtls_gtk_fingerprint_open (frame_window (pf), account, bare);
}

static void
on_help (GtkButton *button, PrefsFrame *pf)
{
  xtls_gtk_explain_verification (frame_window (pf));
}

static void
add_column (GtkWidget *view, const char *title, int column, gboolean mono)
{
  GtkCellRenderer *cell = gtk_cell_renderer_text_new ();
  GtkTreeViewColumn *col;

  if (mono)
    g_object_set (cell, "family", "monospace", NULL);
  col = gtk_tree_view_column_new_with_attributes (title, cell, "text", column, NULL);
  gtk_tree_view_column_set_resizable (col, TRUE);
  gtk_tree_view_column_set_sort_column_id (col, column);
  gtk_tree_view_append_column (GTK_TREE_VIEW (view), col);
}

static void
add_known_section (PrefsFrame *pf, GtkWidget *page)
{
  GtkWidget *box = pidgin_make_frame (page, _ ("Known contacts"));
  GtkWidget *hbox, *label, *scroll;
  GtkCellRenderer *cell;

  hbox = gtk_hbox_new (FALSE, 6);
  label = gtk_label_new_with_mnemonic (_ ("Acc_ount:"));
  gtk_box_pack_start (GTK_BOX (hbox), label, FALSE, FALSE, 0);
  pf->account_store = gtk_list_store_new (ACCOUNT_N_COLS, G_TYPE_STRING, G_TYPE_POINTER);
  pf->accounts = gtk_combo_box_new_with_model (GTK_TREE_MODEL (pf->account_store));
  gtk_widget_set_name (pf->accounts, "xtls-account-combo");
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), pf->accounts);
  cell = gtk_cell_renderer_text_new ();
  gtk_cell_layout_pack_start (GTK_CELL_LAYOUT (pf->accounts), cell, TRUE);
  gtk_cell_layout_set_attributes (GTK_CELL_LAYOUT (pf->accounts), cell, "text", ACCOUNT_COL_NAME,
                                  NULL);
  gtk_box_pack_start (GTK_BOX (hbox), pf->accounts, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (box), hbox, FALSE, FALSE, 0);

  pf->peer_store = gtk_list_store_new (PEER_N_COLS, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
                                       G_TYPE_STRING);
  pf->view = gtk_tree_view_new_with_model (GTK_TREE_MODEL (pf->peer_store));
  gtk_widget_set_name (pf->view, "xtls-known-peers");
  gtk_tree_view_set_rules_hint (GTK_TREE_VIEW (pf->view), TRUE);
  add_column (pf->view, _ ("Contact"), PEER_COL_BARE, FALSE);
  add_column (pf->view, _ ("Fingerprint"), PEER_COL_FINGERPRINT, TRUE);
  add_column (pf->view, _ ("Verified by"), PEER_COL_HOW, FALSE);
  add_column (pf->view, _ ("Since"), PEER_COL_WHEN, FALSE);
  scroll = pidgin_make_scrollable (pf->view, GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC, GTK_SHADOW_IN,
                                   -1, 160);
  gtk_box_pack_start (GTK_BOX (box), scroll, TRUE, TRUE, 0);

  pf->empty = gtk_label_new (NULL);
  gtk_widget_set_name (pf->empty, "xtls-known-peers-empty");
  gtk_misc_set_alignment (GTK_MISC (pf->empty), 0.0, 0.5);
  gtk_widget_set_no_show_all (pf->empty, TRUE);
  gtk_box_pack_start (GTK_BOX (box), pf->empty, FALSE, FALSE, 0);

  hbox = gtk_hbutton_box_new ();
  gtk_button_box_set_layout (GTK_BUTTON_BOX (hbox), GTK_BUTTONBOX_END);
  gtk_box_set_spacing (GTK_BOX (hbox), 6);
  pf->verify = gtk_button_new_with_mnemonic (_ ("_Verify…"));
  gtk_widget_set_name (pf->verify, "xtls-known-verify");
  pf->forget = gtk_button_new_with_mnemonic (_ ("_Forget…"));
  gtk_widget_set_name (pf->forget, "xtls-known-forget");
  pf->enter = gtk_button_new_with_mnemonic (_ ("_Enter fingerprint…"));
  gtk_widget_set_name (pf->enter, "xtls-known-enter");
  gtk_widget_set_tooltip_text (pf->enter,
                               _ ("Verify a contact with the fingerprint they read out to you, "
                                  "even before your first private conversation."));
  pf->help = gtk_button_new_with_mnemonic (_ ("What is _this?"));
  gtk_widget_set_name (pf->help, "xtls-known-help");
  gtk_box_pack_start (GTK_BOX (hbox), pf->help, FALSE, FALSE, 0);
  gtk_button_box_set_child_secondary (GTK_BUTTON_BOX (hbox), pf->help, TRUE);
  gtk_box_pack_start (GTK_BOX (hbox), pf->enter, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), pf->verify, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), pf->forget, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), hbox, FALSE, FALSE, 0);

  g_signal_connect (pf->accounts, "changed", G_CALLBACK (on_account_changed), pf);
  g_signal_connect (gtk_tree_view_get_selection (GTK_TREE_VIEW (pf->view)), "changed",
                    G_CALLBACK (on_selection_changed), pf);
  g_signal_connect (pf->verify, "clicked", G_CALLBACK (on_verify), pf);
  g_signal_connect (pf->forget, "clicked", G_CALLBACK (on_forget), pf);
  g_signal_connect (pf->enter, "clicked", G_CALLBACK (on_enter), pf);
  g_signal_connect (pf->help, "clicked", G_CALLBACK (on_help), pf);
}

/* ---- the frame ---------------------------------------------------------------------------- */

static void
on_destroy (GtkWidget *frame, PrefsFrame *pf)
{
  g_signal_handlers_disconnect_by_data (pf->frame, pf);
  g_signal_handlers_disconnect_by_data (pf->accounts, pf);
  g_signal_handlers_disconnect_by_data (gtk_tree_view_get_selection (GTK_TREE_VIEW (pf->view)), pf);
  g_object_unref (pf->account_store);
  g_object_unref (pf->peer_store);
  if (prefs == pf)
    prefs = NULL;
  g_free (pf);
}

/* Pidgin puts the frame in a 400×400 scrolled window; the list of fingerprints needs more. */
static void
on_hierarchy_changed (GtkWidget *frame, GtkWidget *previous, PrefsFrame *pf)
{
  GtkWidget *top = gtk_widget_get_toplevel (frame);

  if (gtk_widget_is_toplevel (top) && GTK_IS_WINDOW (top) && !gtk_widget_get_visible (top))
    gtk_window_resize (GTK_WINDOW (top), 800, 620);
}

GtkWidget *
xtls_gtk_prefs_frame (PurplePlugin *plugin)
{
  PrefsFrame *pf = g_new0 (PrefsFrame, 1);

  pf->frame = gtk_vbox_new (FALSE, 18);
  gtk_widget_set_name (pf->frame, "xtls-prefs");
  gtk_container_set_border_width (GTK_CONTAINER (pf->frame), 12);
  add_policy_section (pf->frame);
  add_known_section (pf, pf->frame);
  g_signal_connect (pf->frame, "destroy", G_CALLBACK (on_destroy), pf);
  g_signal_connect (pf->frame, "hierarchy-changed", G_CALLBACK (on_hierarchy_changed), pf);
  prefs = pf; /* Pidgin opens at most one configuration dialog per plugin */
  fill_accounts (pf);
  gtk_widget_show_all (pf->frame);
  return pf->frame;
}

void
xtls_gtk_prefs_refresh (void)
{
  if (prefs != NULL)
    fill_accounts (prefs);
}

void
xtls_gtk_prefs_destroy (void)
{
  if (prefs != NULL)
    gtk_widget_destroy (prefs->frame);
}
