/* jingle.c: offer checks, method choice, tie-break, sids, struct lifetime. */
#include <string.h>

#include <glib.h>

#include "jingle.h"

/* ---- check_offer ------------------------------------------------------------------------ */

typedef struct
{
  const char *path;
  gboolean has_content;
  XtlsJingleApp app;
  gboolean has_transport;
  const char *transport_sid;
  gboolean has_security;
  guint methods;
  XtlsJingleReason expected;
} OfferCase;

#define ALL (XTLS_METHOD_X509 | XTLS_METHOD_SRP)

static const OfferCase offer_cases[] = {
  { "/jingle/check-offer/ok", TRUE, XTLS_APP_XMLSTREAM, TRUE, "t1", TRUE, ALL, XTLS_REASON_NONE },
  { "/jingle/check-offer/ok-tmp-app", TRUE, XTLS_APP_XMLSTREAM_TMP, TRUE, "t1", TRUE,
    XTLS_METHOD_X509, XTLS_REASON_NONE },
  { "/jingle/check-offer/ok-srp-only", TRUE, XTLS_APP_XMLSTREAM, TRUE, "t1", TRUE, XTLS_METHOD_SRP,
    XTLS_REASON_NONE },
  { "/jingle/check-offer/no-security", TRUE, XTLS_APP_XMLSTREAM, TRUE, "t1", FALSE, 0,
    XTLS_REASON_SECURITY_ERROR },
  { "/jingle/check-offer/security-without-methods", TRUE, XTLS_APP_XMLSTREAM, TRUE, "t1", TRUE, 0,
    XTLS_REASON_SECURITY_ERROR },
  { "/jingle/check-offer/rtp", TRUE, XTLS_APP_NONE, TRUE, "t1", TRUE, ALL,
    XTLS_REASON_UNSUPPORTED_APPLICATIONS },
  { "/jingle/check-offer/rtp-without-anything", TRUE, XTLS_APP_NONE, FALSE, NULL, FALSE, 0,
    XTLS_REASON_UNSUPPORTED_APPLICATIONS },
  { "/jingle/check-offer/no-content", FALSE, XTLS_APP_NONE, FALSE, NULL, FALSE, 0,
    XTLS_REASON_UNSUPPORTED_APPLICATIONS },
  { "/jingle/check-offer/no-transport", TRUE, XTLS_APP_XMLSTREAM, FALSE, NULL, TRUE, ALL,
    XTLS_REASON_UNSUPPORTED_TRANSPORTS },
  { "/jingle/check-offer/no-transport-no-security", TRUE, XTLS_APP_XMLSTREAM, FALSE, NULL, FALSE, 0,
    XTLS_REASON_UNSUPPORTED_TRANSPORTS },
  { "/jingle/check-offer/transport-without-sid", TRUE, XTLS_APP_XMLSTREAM, TRUE, NULL, TRUE, ALL,
    XTLS_REASON_UNSUPPORTED_TRANSPORTS },
  { "/jingle/check-offer/transport-empty-sid", TRUE, XTLS_APP_XMLSTREAM, TRUE, "", TRUE, ALL,
    XTLS_REASON_UNSUPPORTED_TRANSPORTS },
};

static void
test_check_offer (gconstpointer data)
{
  const OfferCase *tc = data;
  g_autoptr (XtlsJingle) j = xtls_jingle_new (XTLS_JINGLE_SESSION_INITIATE, "sid1");

  j->has_content = tc->has_content;
  j->app = tc->app;
  j->has_transport = tc->has_transport;
  j->transport_sid = g_strdup (tc->transport_sid);
  j->has_security = tc->has_security;
  j->methods = tc->methods;
  g_assert_cmpint (xtls_jingle_check_offer (j), ==, tc->expected);
}

/* ---- choose_method ---------------------------------------------------------------------- */

typedef struct
{
  const char *path;
  guint ours;
  guint peers;
  gboolean trusted;
  gboolean have_password;
  guint expected;
} MethodCase;

static const MethodCase method_cases[] = {
  { "/jingle/choose-method/x509", ALL, ALL, TRUE, FALSE, XTLS_METHOD_X509 },
  { "/jingle/choose-method/x509-over-srp", ALL, ALL, TRUE, TRUE, XTLS_METHOD_X509 },
  { "/jingle/choose-method/untrusted-srp", ALL, ALL, FALSE, TRUE, XTLS_METHOD_SRP },
  { "/jingle/choose-method/untrusted-no-password", ALL, ALL, FALSE, FALSE, 0 },
  /* The responder left out x509: it cannot verify us, so SRP even though we trust it. */
  { "/jingle/choose-method/peer-cannot-verify-us", ALL, XTLS_METHOD_SRP, TRUE, TRUE,
    XTLS_METHOD_SRP },
  { "/jingle/choose-method/peer-cannot-verify-us-no-password", ALL, XTLS_METHOD_SRP, TRUE, FALSE,
    0 },
  { "/jingle/choose-method/we-offered-x509-only", XTLS_METHOD_X509, ALL, FALSE, TRUE, 0 },
  { "/jingle/choose-method/peer-x509-only-trusted", ALL, XTLS_METHOD_X509, TRUE, TRUE,
    XTLS_METHOD_X509 },
  { "/jingle/choose-method/peer-x509-only-untrusted", ALL, XTLS_METHOD_X509, FALSE, TRUE, 0 },
  { "/jingle/choose-method/nothing-in-common", XTLS_METHOD_SRP, XTLS_METHOD_X509, TRUE, TRUE, 0 },
  { "/jingle/choose-method/peer-offers-nothing", ALL, 0, TRUE, TRUE, 0 },
  { "/jingle/choose-method/unknown-bits-ignored", ALL | 0x100, 0x100, TRUE, TRUE, 0 },
};

static void
test_choose_method (gconstpointer data)
{
  const MethodCase *tc = data;

  g_assert_cmpuint (xtls_jingle_choose_method (tc->ours, tc->peers, tc->trusted, tc->have_password),
                    ==, tc->expected);
}

/* ---- tie-break ----------------------------------------------------------------------------- */

typedef struct
{
  const char *path;
  const char *ours;
  const char *theirs;
  gboolean we_win;
} TieCase;

static const TieCase tie_cases[] = {
  { "/jingle/tie-break/lower-wins", "a73sjjvkla37jfea", "b73sjjvkla37jfea", TRUE },
  { "/jingle/tie-break/higher-loses", "b73sjjvkla37jfea", "a73sjjvkla37jfea", FALSE },
  { "/jingle/tie-break/last-byte", "abcdefghijklmno0", "abcdefghijklmno1", TRUE },
  { "/jingle/tie-break/digits-before-letters", "0zzz", "a000", TRUE },
  { "/jingle/tie-break/prefix-is-lower", "abc", "abcd", TRUE },
  { "/jingle/tie-break/longer-loses", "abcd", "abc", FALSE },
  { "/jingle/tie-break/uppercase-before-lowercase", "Zebra", "apple", TRUE },
  /* Bytes, not characters and not a locale: 0xc3 sorts after every ASCII byte. */
  { "/jingle/tie-break/bytes-unsigned", "\xc3\xa9t\xc3\xa9", "zzz", FALSE },
  { "/jingle/tie-break/equal-loses", "same", "same", FALSE },
};

static void
test_tie_break (gconstpointer data)
{
  const TieCase *tc = data;

  g_assert_cmpint (xtls_jingle_tie_break_we_win (tc->ours, tc->theirs), ==, tc->we_win);
  /* Exactly one side survives when the sids differ (PROTOCOL.md §6). */
  if (strcmp (tc->ours, tc->theirs) != 0)
    g_assert_cmpint (xtls_jingle_tie_break_we_win (tc->theirs, tc->ours), ==, !tc->we_win);
}

/* ---- sids ---------------------------------------------------------------------------------- */

static void
test_make_sid (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint counts[256] = { 0 };
  const guint n = 20000;

  for (guint i = 0; i < n; i++)
    {
      char *sid = xtls_jingle_make_sid ();

      g_assert_cmpuint (strlen (sid), ==, 16);
      for (const char *p = sid; *p != '\0'; p++)
        {
          g_assert_true (g_ascii_islower (*p) || g_ascii_isdigit (*p));
          counts[(guchar)*p]++;
        }
      g_assert_true (g_hash_table_add (seen, sid));
    }
  /* Every one of the 36 symbols shows up, none grossly over-represented (expected ~8889). */
  for (const char *p = "abcdefghijklmnopqrstuvwxyz0123456789"; *p != '\0'; p++)
    {
      g_assert_cmpuint (counts[(guchar)*p], >, 7000);
      g_assert_cmpuint (counts[(guchar)*p], <, 11000);
    }
}

/* ---- structs and names ----------------------------------------------------------------------- */

static void
test_new_copy_free (void)
{
  g_autoptr (XtlsJingle) j = xtls_jingle_new (XTLS_JINGLE_SESSION_ACCEPT, "sid9");
  g_autoptr (XtlsJingle) copy = NULL;

  g_assert_cmpint (j->action, ==, XTLS_JINGLE_SESSION_ACCEPT);
  g_assert_cmpstr (j->sid, ==, "sid9");
  g_assert_cmpint (j->dialect, ==, XTLS_JINGLE_NS_1);
  g_assert_cmpint (j->reason, ==, XTLS_REASON_NONE);
  g_assert_false (j->has_content);

  j->initiator = g_strdup ("romeo@montague.lit/orchard");
  j->responder = g_strdup ("juliet@capulet.lit/balcony");
  j->content_name = g_strdup ("xmlstream");
  j->content_creator = g_strdup ("initiator");
  j->transport_sid = g_strdup ("t");
  j->fingerprint = g_strdup ("ab");
  j->reason_text = g_strdup ("why");
  j->dialect = XTLS_JINGLE_NS_TMP;
  j->block_size = 1234;
  j->methods = XTLS_METHOD_SRP;

  copy = xtls_jingle_copy (j);
  g_assert_true (copy->sid != j->sid);
  g_assert_true (copy->reason_text != j->reason_text);
  g_assert_cmpstr (copy->sid, ==, "sid9");
  g_assert_cmpstr (copy->initiator, ==, j->initiator);
  g_assert_cmpstr (copy->responder, ==, j->responder);
  g_assert_cmpstr (copy->content_name, ==, j->content_name);
  g_assert_cmpstr (copy->content_creator, ==, j->content_creator);
  g_assert_cmpstr (copy->transport_sid, ==, j->transport_sid);
  g_assert_cmpstr (copy->fingerprint, ==, j->fingerprint);
  g_assert_cmpstr (copy->reason_text, ==, j->reason_text);
  g_assert_cmpint (copy->dialect, ==, XTLS_JINGLE_NS_TMP);
  g_assert_cmpuint (copy->block_size, ==, 1234);
  g_assert_cmpuint (copy->methods, ==, XTLS_METHOD_SRP);

  /* The copy owns its strings: freeing the original leaves it intact. */
  g_clear_pointer (&j, xtls_jingle_free);
  g_assert_cmpstr (copy->initiator, ==, "romeo@montague.lit/orchard");
  xtls_jingle_free (NULL);
}

static void
test_to_string (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpstr (xtls_jingle_action_to_string (XTLS_JINGLE_SESSION_INITIATE), ==,
                   "session-initiate");
  g_assert_cmpstr (xtls_jingle_action_to_string (XTLS_JINGLE_SECURITY_INFO), ==, "security-info");
  for (int a = XTLS_JINGLE_SESSION_INITIATE; a <= XTLS_JINGLE_OTHER; a++)
    {
      const char *s = xtls_jingle_action_to_string ((XtlsJingleAction)a);

      g_assert_cmpstr (s, !=, "invalid");
      g_assert_true (g_hash_table_add (seen, (gpointer)s));
    }

  g_hash_table_remove_all (seen);
  g_assert_cmpstr (xtls_jingle_reason_to_string (XTLS_REASON_SECURITY_ERROR), ==, "security-error");
  g_assert_cmpstr (xtls_jingle_reason_to_string (XTLS_REASON_FAILED_TRANSPORT), ==,
                   "failed-transport");
  for (int r = XTLS_REASON_NONE; r <= XTLS_REASON_OTHER; r++)
    {
      const char *s = xtls_jingle_reason_to_string ((XtlsJingleReason)r);

      g_assert_cmpstr (s, !=, "invalid");
      g_assert_true (g_hash_table_add (seen, (gpointer)s));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (offer_cases); i++)
    g_test_add_data_func (offer_cases[i].path, &offer_cases[i], test_check_offer);
  for (gsize i = 0; i < G_N_ELEMENTS (method_cases); i++)
    g_test_add_data_func (method_cases[i].path, &method_cases[i], test_choose_method);
  for (gsize i = 0; i < G_N_ELEMENTS (tie_cases); i++)
    g_test_add_data_func (tie_cases[i].path, &tie_cases[i], test_tie_break);
  g_test_add_func ("/jingle/make-sid", test_make_sid);
  g_test_add_func ("/jingle/new-copy-free", test_new_copy_free);
  g_test_add_func ("/jingle/to-string", test_to_string);

  return g_test_run ();
}
