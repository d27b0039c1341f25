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

/* ---- file transfer (XEP-0234, XEP-0260) ---------------------------------------------------- */

typedef struct
{
  const char *path;
  XtlsJingleApp app;
  gboolean s5b; /* an s5b transport with a sid */
  gboolean s5b_udp;
  const char *ibb_sid; /* an IBB transport with this sid, or none */
  gboolean has_security;
  guint methods;
  gboolean file; /* a <file/> */
  gboolean named;
  gboolean sized;
  XtlsJingleReason expected;
} FileOfferCase;

static const FileOfferCase file_offer_cases[] = {
  { "/jingle/check-file-offer/ok-s5b", XTLS_APP_FILE_TRANSFER, TRUE, FALSE, NULL, TRUE, ALL, TRUE,
    TRUE, TRUE, XTLS_REASON_NONE },
  { "/jingle/check-file-offer/ok-ibb", XTLS_APP_FILE_TRANSFER, FALSE, FALSE, "t1", TRUE,
    XTLS_METHOD_SRP, TRUE, TRUE, TRUE, XTLS_REASON_NONE },
  { "/jingle/check-file-offer/chat-offer", XTLS_APP_XMLSTREAM, FALSE, FALSE, "t1", TRUE, ALL, FALSE,
    FALSE, FALSE, XTLS_REASON_UNSUPPORTED_APPLICATIONS },
  { "/jingle/check-file-offer/rtp", XTLS_APP_NONE, TRUE, FALSE, NULL, TRUE, ALL, FALSE, FALSE,
    FALSE, XTLS_REASON_UNSUPPORTED_APPLICATIONS },
  { "/jingle/check-file-offer/no-transport", XTLS_APP_FILE_TRANSFER, FALSE, FALSE, NULL, TRUE, ALL,
    TRUE, TRUE, TRUE, XTLS_REASON_UNSUPPORTED_TRANSPORTS },
  { "/jingle/check-file-offer/ibb-empty-sid", XTLS_APP_FILE_TRANSFER, FALSE, FALSE, "", TRUE, ALL,
    TRUE, TRUE, TRUE, XTLS_REASON_UNSUPPORTED_TRANSPORTS },
  { "/jingle/check-file-offer/s5b-udp", XTLS_APP_FILE_TRANSFER, TRUE, TRUE, NULL, TRUE, ALL, TRUE,
    TRUE, TRUE, XTLS_REASON_UNSUPPORTED_TRANSPORTS },
  { "/jingle/check-file-offer/no-security", XTLS_APP_FILE_TRANSFER, TRUE, FALSE, NULL, FALSE, 0,
    TRUE, TRUE, TRUE, XTLS_REASON_SECURITY_ERROR },
  { "/jingle/check-file-offer/no-method", XTLS_APP_FILE_TRANSFER, TRUE, FALSE, NULL, TRUE, 0, TRUE,
    TRUE, TRUE, XTLS_REASON_SECURITY_ERROR },
  { "/jingle/check-file-offer/no-file", XTLS_APP_FILE_TRANSFER, TRUE, FALSE, NULL, TRUE, ALL, FALSE,
    FALSE, FALSE, XTLS_REASON_FAILED_APPLICATION },
  { "/jingle/check-file-offer/no-size", XTLS_APP_FILE_TRANSFER, TRUE, FALSE, NULL, TRUE, ALL, TRUE,
    TRUE, FALSE, XTLS_REASON_FAILED_APPLICATION },
  { "/jingle/check-file-offer/no-name", XTLS_APP_FILE_TRANSFER, TRUE, FALSE, NULL, TRUE, ALL, TRUE,
    FALSE, TRUE, XTLS_REASON_FAILED_APPLICATION },
};

static void
test_check_file_offer (gconstpointer data)
{
  const FileOfferCase *tc = data;
  g_autoptr (XtlsJingle) j = xtls_jingle_new (XTLS_JINGLE_SESSION_INITIATE, "sid1");

  j->has_content = TRUE;
  j->app = tc->app;
  if (tc->s5b)
    {
      j->s5b = xtls_s5b_transport_wire_new ("s5b1");
      j->s5b->udp = tc->s5b_udp;
    }
  j->has_transport = tc->ibb_sid != NULL;
  j->transport_sid = g_strdup (tc->ibb_sid);
  j->has_security = tc->has_security;
  j->methods = tc->methods;
  if (tc->file)
    {
      j->file = g_new0 (XtlsJingleFile, 1);
      j->file->name = tc->named ? g_strdup ("a.txt") : NULL;
      j->file->has_size = tc->sized;
    }
  g_assert_cmpint (xtls_jingle_check_file_offer (j), ==, tc->expected);
  /* Whatever it is, a file offer is never a chat offer (hub.c hands it to libpurple). */
  if (tc->app == XTLS_APP_FILE_TRANSFER)
    g_assert_cmpint (xtls_jingle_check_offer (j), ==, XTLS_REASON_UNSUPPORTED_APPLICATIONS);
}

typedef struct
{
  const char *path;
  const char *name;
  const char *expected;
} SafeNameCase;

static const SafeNameCase safe_name_cases[] = {
  { "/jingle/file-safe-name/plain", "holiday.jpg", "holiday.jpg" },
  { "/jingle/file-safe-name/utf8", "Fotos für Oma.jpg", "Fotos für Oma.jpg" },
  { "/jingle/file-safe-name/posix-path", "../../etc/passwd", "passwd" },
  { "/jingle/file-safe-name/windows-path", "C:\\Windows\\evil.exe", "evil.exe" },
  { "/jingle/file-safe-name/dot-dot", "..", "_." },
  { "/jingle/file-safe-name/hidden", ".bashrc", "_bashrc" },
  { "/jingle/file-safe-name/trailing-slash", "dir/", "file" },
  { "/jingle/file-safe-name/empty", "", "file" },
  { "/jingle/file-safe-name/null", NULL, "file" },
  { "/jingle/file-safe-name/controls", "a\tb\nc\x1b", "a_b_c_" },
  { "/jingle/file-safe-name/bidi-override", "invoice\xe2\x80\xaegpj.exe", "invoice_gpj.exe" },
  { "/jingle/file-safe-name/invalid-utf8", "a\xff.txt", "a\xef\xbf\xbd.txt" },
};

static void
test_file_safe_name (gconstpointer data)
{
  const SafeNameCase *tc = data;
  g_autofree char *safe = xtls_jingle_file_safe_name (tc->name);

  g_assert_cmpstr (safe, ==, tc->expected);
}

static void
test_file_safe_name_long (void)
{
  g_autoptr (GString) name = g_string_new (NULL);
  g_autofree char *safe = NULL;

  for (int i = 0; i < 200; i++)
    g_string_append (name, "ü"); /* 2 bytes each */
  safe = xtls_jingle_file_safe_name (name->str);
  g_assert_cmpuint (strlen (safe), <=, 255);
  g_assert_cmpuint (strlen (safe), >=, 254);
  g_assert_true (g_utf8_validate (safe, -1, NULL)); /* never cut inside a character */
}

static void
test_file_copy_free (void)
{
  g_autoptr (XtlsJingle) j = xtls_jingle_new (XTLS_JINGLE_SESSION_INITIATE, "sid1");
  g_autoptr (XtlsJingle) copy = NULL;
  const XtlsS5bCandidateWire *c;

  j->app = XTLS_APP_FILE_TRANSFER;
  j->ft_version = XTLS_FT_VERSION_4;
  j->content_senders = g_strdup ("initiator");
  j->file = g_new0 (XtlsJingleFile, 1);
  j->file->name = g_strdup ("a.txt");
  j->file->desc = g_strdup ("d");
  j->file->has_sha256 = TRUE;
  j->file->sha256[31] = 0xab;
  j->s5b = xtls_s5b_transport_wire_new ("s5b1");
  j->s5b->info_cid = g_strdup ("c9");
  xtls_s5b_transport_wire_add (j->s5b, "c1", "10.0.0.1", "romeo@montague.lit/orchard", 5086, 7,
                               XTLS_S5B_CANDIDATE_PROXY);
  j->transport_action = XTLS_JINGLE_TRANSPORT_REPLACE;
  j->info = XTLS_JINGLE_INFO_CHECKSUM;

  copy = xtls_jingle_copy (j);
  g_clear_pointer (&j, xtls_jingle_free);
  g_assert_cmpint (copy->ft_version, ==, XTLS_FT_VERSION_4);
  g_assert_cmpstr (copy->content_senders, ==, "initiator");
  g_assert_cmpstr (copy->file->name, ==, "a.txt");
  g_assert_cmpstr (copy->file->desc, ==, "d");
  g_assert_cmpuint (copy->file->sha256[31], ==, 0xab);
  g_assert_cmpstr (copy->s5b->sid, ==, "s5b1");
  g_assert_cmpstr (copy->s5b->info_cid, ==, "c9");
  g_assert_cmpuint (copy->s5b->candidates->len, ==, 1);
  c = g_ptr_array_index (copy->s5b->candidates, 0);
  g_assert_cmpstr (c->host, ==, "10.0.0.1");
  g_assert_cmpuint (c->port, ==, 5086);
  g_assert_cmpint (c->type, ==, XTLS_S5B_CANDIDATE_PROXY);
  g_assert_cmpint (copy->transport_action, ==, XTLS_JINGLE_TRANSPORT_REPLACE);
  g_assert_cmpint (copy->info, ==, XTLS_JINGLE_INFO_CHECKSUM);
  xtls_jingle_file_free (NULL);
  xtls_s5b_transport_wire_free (NULL);
  xtls_s5b_candidate_wire_free (NULL);
}

static void
test_ft_to_string (void)
{
  g_assert_null (xtls_jingle_transport_action_to_string (XTLS_JINGLE_TRANSPORT_ACTION_NONE));
  g_assert_cmpstr (xtls_jingle_transport_action_to_string (XTLS_JINGLE_TRANSPORT_INFO), ==,
                   "transport-info");
  g_assert_cmpstr (xtls_jingle_transport_action_to_string (XTLS_JINGLE_TRANSPORT_REPLACE), ==,
                   "transport-replace");
  g_assert_cmpstr (xtls_jingle_transport_action_to_string (XTLS_JINGLE_TRANSPORT_ACCEPT), ==,
                   "transport-accept");
  g_assert_cmpstr (xtls_jingle_transport_action_to_string (XTLS_JINGLE_TRANSPORT_REJECT), ==,
                   "transport-reject");
  for (int t = XTLS_S5B_CANDIDATE_DIRECT; t <= XTLS_S5B_CANDIDATE_PROXY; t++)
    {
      XtlsS5bCandidateType back = XTLS_S5B_CANDIDATE_DIRECT;

      g_assert_true (xtls_s5b_candidate_type_from_string (
          xtls_s5b_candidate_type_to_string ((XtlsS5bCandidateType)t), &back));
      g_assert_cmpint (back, ==, t);
    }
  g_assert_false (xtls_s5b_candidate_type_from_string ("stun", &(XtlsS5bCandidateType){ 0 }));
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
  for (gsize i = 0; i < G_N_ELEMENTS (file_offer_cases); i++)
    g_test_add_data_func (file_offer_cases[i].path, &file_offer_cases[i], test_check_file_offer);
  for (gsize i = 0; i < G_N_ELEMENTS (safe_name_cases); i++)
    g_test_add_data_func (safe_name_cases[i].path, &safe_name_cases[i], test_file_safe_name);
  g_test_add_func ("/jingle/file-safe-name/long", test_file_safe_name_long);
  g_test_add_func ("/jingle/file-copy-free", test_file_copy_free);
  g_test_add_func ("/jingle/ft-to-string", test_ft_to_string);

  return g_test_run ();
}
