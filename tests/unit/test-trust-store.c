/* trust-store.c: pins by bare JID, persisted atomically with mode 0600. */
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "trust-store.h"
#include "xtls-error.h"

#define FP_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define FP_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define FP_C "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"

typedef struct
{
  char *dir;  /* a fresh temporary directory */
  char *path; /* dir/sub/known-peers.ini: the sub directory does not exist yet */
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fx->dir = g_dir_make_tmp ("xtls-trust-XXXXXX", &error);
  g_assert_no_error (error);
  fx->path = g_build_filename (fx->dir, "sub", "known-peers.ini", NULL);
}

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  remove_tree (fx->dir);
  g_free (fx->dir);
  g_free (fx->path);
}

static XtlsTrustStore *
open_store (const char *path)
{
  g_autoptr (GError) error = NULL;
  XtlsTrustStore *store = xtls_trust_store_new (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
pin_ok (XtlsTrustStore *store, const char *peer, const char *fp, XtlsVerifiedHow how, gint64 when)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (xtls_trust_store_pin (store, peer, fp, how, when, &error));
  g_assert_no_error (error);
}

/* The same behaviour in memory and on disk: pin, look up, replace, forget. */
static void
exercise_basics (XtlsTrustStore *store)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  const XtlsKnownPeer *known;

  g_assert_null (xtls_trust_store_lookup (store, "juliet@capulet.lit"));
  pin_ok (store, "juliet@capulet.lit", FP_A, XTLS_VERIFIED_FINGERPRINT, 1000);
  g_assert_cmpstr (xtls_trust_store_lookup (store, "juliet@capulet.lit"), ==, FP_A);
  g_assert_null (xtls_trust_store_lookup (store, "romeo@montague.lit"));

  /* A new pin replaces the old one. */
  pin_ok (store, "juliet@capulet.lit", FP_B, XTLS_VERIFIED_PASSWORD, 2000);
  g_assert_cmpstr (xtls_trust_store_lookup (store, "juliet@capulet.lit"), ==, FP_B);
  list = xtls_trust_store_list (store);
  g_assert_cmpuint (list->len, ==, 1);
  known = g_ptr_array_index (list, 0);
  g_assert_cmpstr (known->peer, ==, "juliet@capulet.lit");
  g_assert_cmpstr (known->fingerprint, ==, FP_B);
  g_assert_cmpint (known->how, ==, XTLS_VERIFIED_PASSWORD);
  g_assert_cmpint (known->when, ==, 2000);

  g_assert_true (xtls_trust_store_forget (store, "juliet@capulet.lit", &error));
  g_assert_no_error (error);
  g_assert_null (xtls_trust_store_lookup (store, "juliet@capulet.lit"));
  /* Forgetting an unknown peer is not an error. */
  g_assert_true (xtls_trust_store_forget (store, "nobody@nowhere.lit", &error));
  g_assert_no_error (error);
}

static void
test_memory (void)
{
  XtlsTrustStore *store = open_store (NULL);

  exercise_basics (store);
  xtls_trust_store_free (store);
}

static void
test_file_basics (Fixture *fx, gconstpointer data)
{
  XtlsTrustStore *store = open_store (fx->path);

  exercise_basics (store);
  xtls_trust_store_free (store);
}

static void
test_missing_file_is_empty (Fixture *fx, gconstpointer data)
{
  XtlsTrustStore *store = open_store (fx->path);
  g_autoptr (GPtrArray) list = xtls_trust_store_list (store);

  g_assert_cmpuint (list->len, ==, 0);
  /* Nothing is written until there is something to keep. */
  g_assert_false (g_file_test (fx->path, G_FILE_TEST_EXISTS));
  xtls_trust_store_free (store);
}

static void
test_persistence (Fixture *fx, gconstpointer data)
{
  XtlsTrustStore *store = open_store (fx->path);
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  const gint64 far_future = G_GINT64_CONSTANT (4102444800); /* 2100: past 32 bits */
  const XtlsKnownPeer *known;

  pin_ok (store, "juliet@capulet.lit", FP_A, XTLS_VERIFIED_FINGERPRINT, far_future);
  pin_ok (store, "nurse@capulet.lit", FP_B, XTLS_VERIFIED_PASSWORD, 42);
  pin_ok (store, "tybalt@capulet.lit", FP_C, XTLS_VERIFIED_TYPED, 43);
  xtls_trust_store_free (store);

  store = open_store (fx->path);
  g_assert_cmpstr (xtls_trust_store_lookup (store, "juliet@capulet.lit"), ==, FP_A);
  g_assert_cmpstr (xtls_trust_store_lookup (store, "nurse@capulet.lit"), ==, FP_B);
  g_assert_cmpstr (xtls_trust_store_lookup (store, "tybalt@capulet.lit"), ==, FP_C);
  list = xtls_trust_store_list (store);
  g_assert_cmpuint (list->len, ==, 3);
  known = g_ptr_array_index (list, 0);
  g_assert_cmpstr (known->peer, ==, "juliet@capulet.lit");
  g_assert_cmpint (known->how, ==, XTLS_VERIFIED_FINGERPRINT);
  g_assert_cmpint (known->when, ==, far_future);
  known = g_ptr_array_index (list, 1);
  g_assert_cmpint (known->how, ==, XTLS_VERIFIED_PASSWORD);
  g_assert_cmpint (known->when, ==, 42);
  known = g_ptr_array_index (list, 2);
  g_assert_cmpint (known->how, ==, XTLS_VERIFIED_TYPED);
  g_assert_cmpint (known->when, ==, 43);

  g_assert_true (xtls_trust_store_forget (store, "juliet@capulet.lit", &error));
  g_assert_no_error (error);
  xtls_trust_store_free (store);

  store = open_store (fx->path);
  g_assert_null (xtls_trust_store_lookup (store, "juliet@capulet.lit"));
  g_assert_cmpstr (xtls_trust_store_lookup (store, "nurse@capulet.lit"), ==, FP_B);
  xtls_trust_store_free (store);
}

static void
test_file_mode (Fixture *fx, gconstpointer data)
{
  XtlsTrustStore *store = open_store (fx->path);
  GStatBuf st;
  mode_t old_umask = umask (0);

  /* Even with a permissive umask the file holds only the owner's bits. */
  pin_ok (store, "juliet@capulet.lit", FP_A, XTLS_VERIFIED_FINGERPRINT, 1);
  g_assert_cmpint (g_stat (fx->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* A rewrite replaces the file and keeps the mode. */
  g_assert_cmpint (g_chmod (fx->path, 0644), ==, 0);
  pin_ok (store, "romeo@montague.lit", FP_B, XTLS_VERIFIED_FINGERPRINT, 2);
  g_assert_cmpint (g_stat (fx->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  umask (old_umask);
  xtls_trust_store_free (store);
}

typedef struct
{
  const char *path;
  const char *contents;
} CorruptCase;

static const CorruptCase corrupt_cases[] = {
  { "/trust-store/corrupt/not-a-key-file", "this is [not a key file\n\x01\x02" },
  { "/trust-store/corrupt/bad-fingerprint",
    "[juliet@capulet.lit]\nfingerprint=nothex\nhow=fingerprint\nwhen=1\n" },
  { "/trust-store/corrupt/missing-fingerprint", "[juliet@capulet.lit]\nhow=fingerprint\n" },
  { "/trust-store/corrupt/unknown-how",
    "[juliet@capulet.lit]\nfingerprint=" FP_A "\nhow=guesswork\nwhen=1\n" },
  { "/trust-store/corrupt/bad-when",
    "[juliet@capulet.lit]\nfingerprint=" FP_A "\nhow=password\nwhen=yesterday\n" },
};

static void
test_corrupt (Fixture *fx, gconstpointer data)
{
  const CorruptCase *tc = data;
  g_autofree char *dir = g_path_get_dirname (fx->path);
  g_autofree char *after = NULL;
  g_autoptr (GError) error = NULL;
  XtlsTrustStore *store;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fx->path, tc->contents, -1, NULL));
  store = xtls_trust_store_new (fx->path, &error);
  g_assert_null (store);
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_KEY_FILE_ERROR);
  /* The file is left as it was, for the user to inspect. */
  g_assert_true (g_file_get_contents (fx->path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, tc->contents);
}

/* A hand-edited file: mixed-case groups and uppercase hex are normalised on load; a missing
 * "when" reads as 0. */
static void
test_lenient_load (Fixture *fx, gconstpointer data)
{
  g_autofree char *dir = g_path_get_dirname (fx->path);
  g_autofree char *upper = g_ascii_strup (FP_C, -1);
  g_autofree char *contents = g_strdup_printf ("# my peers\n[Juliet@Capulet.LIT]\nfingerprint=%s\n"
                                               "how=fingerprint\n",
                                               upper);
  XtlsTrustStore *store;
  g_autoptr (GPtrArray) list = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fx->path, contents, -1, NULL));
  store = open_store (fx->path);
  g_assert_cmpstr (xtls_trust_store_lookup (store, "juliet@capulet.lit"), ==, FP_C);
  list = xtls_trust_store_list (store);
  g_assert_cmpint (((XtlsKnownPeer *)g_ptr_array_index (list, 0))->when, ==, 0);
  xtls_trust_store_free (store);
}

static void
test_list_sorted (void)
{
  XtlsTrustStore *store = open_store (NULL);
  g_autoptr (GPtrArray) list = NULL;
  const char *expected[]
      = { "alice@example.com", "bob@example.com", "mallory@example.com", "zed@example.com" };

  pin_ok (store, "zed@example.com", FP_A, XTLS_VERIFIED_FINGERPRINT, 1);
  pin_ok (store, "bob@example.com", FP_B, XTLS_VERIFIED_FINGERPRINT, 2);
  pin_ok (store, "Mallory@example.com/phone", FP_C, XTLS_VERIFIED_PASSWORD, 3);
  pin_ok (store, "alice@example.com", FP_A, XTLS_VERIFIED_FINGERPRINT, 4);
  list = xtls_trust_store_list (store);
  g_assert_cmpuint (list->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < list->len; i++)
    g_assert_cmpstr (((XtlsKnownPeer *)g_ptr_array_index (list, i))->peer, ==, expected[i]);
  xtls_trust_store_free (store);
}

typedef struct
{
  const char *path;
  const char *pinned_as;
  const char *looked_up_as;
  const char *stored_as;
} JidCase;

static const JidCase jid_cases[] = {
  { "/trust-store/jid/full-to-bare", "juliet@capulet.lit/balcony", "juliet@capulet.lit",
    "juliet@capulet.lit" },
  { "/trust-store/jid/other-resource", "juliet@capulet.lit/balcony", "juliet@capulet.lit/chamber",
    "juliet@capulet.lit" },
  { "/trust-store/jid/case", "Juliet@Capulet.LIT/Balcony", "JULIET@capulet.lit",
    "juliet@capulet.lit" },
  { "/trust-store/jid/resource-with-slash", "juliet@capulet.lit/a/b", "juliet@capulet.lit",
    "juliet@capulet.lit" },
  { "/trust-store/jid/domain-only", "capulet.lit/bot", "CAPULET.lit", "capulet.lit" },
  { "/trust-store/jid/non-ascii", "J\xc3\x9cLIET@capulet.lit", "j\xc3\xbcliet@capulet.lit",
    "j\xc3\xbcliet@capulet.lit" },
};

static void
test_jid (gconstpointer data)
{
  const JidCase *tc = data;
  XtlsTrustStore *store = open_store (NULL);
  g_autoptr (GPtrArray) list = NULL;
  g_autofree char *normal = xtls_trust_store_normalize_peer (tc->pinned_as);

  g_assert_cmpstr (normal, ==, tc->stored_as);
  pin_ok (store, tc->pinned_as, FP_A, XTLS_VERIFIED_FINGERPRINT, 1);
  g_assert_cmpstr (xtls_trust_store_lookup (store, tc->looked_up_as), ==, FP_A);
  list = xtls_trust_store_list (store);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((XtlsKnownPeer *)g_ptr_array_index (list, 0))->peer, ==, tc->stored_as);
  xtls_trust_store_free (store);
}

/* JIDs a key file cannot hold as a group name are refused, never mangled into another peer. */
static void
test_unstorable_jid (void)
{
  static const char *const bad[]
      = { "", "/res", "user@[::1]", "a\nb@example.com", "\xff\xfe@example.com" };
  XtlsTrustStore *store = open_store (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (
          xtls_trust_store_pin (store, bad[i], FP_A, XTLS_VERIFIED_FINGERPRINT, 1, &error));
      g_assert_error (error, XTLS_ERROR, XTLS_ERROR_FAILED);
      g_assert_null (xtls_trust_store_lookup (store, bad[i]));
      g_assert_null (xtls_trust_store_normalize_peer (bad[i]));
    }
  xtls_trust_store_free (store);
}

/* A failed save changes nothing: the old pin stays in memory as it stays on disk. */
static void
test_failed_save_keeps_old_pin (Fixture *fx, gconstpointer data)
{
  g_autofree char *dir = g_path_get_dirname (fx->path);
  XtlsTrustStore *store = open_store (fx->path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) forget_error = NULL;

  pin_ok (store, "juliet@capulet.lit", FP_A, XTLS_VERIFIED_FINGERPRINT, 1);
  /* Replace the directory by a plain file: the next save cannot write. */
  remove_tree (dir);
  g_assert_true (g_file_set_contents (dir, "in the way", -1, NULL));

  g_assert_false (
      xtls_trust_store_pin (store, "juliet@capulet.lit", FP_B, XTLS_VERIFIED_PASSWORD, 2, &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (xtls_trust_store_lookup (store, "juliet@capulet.lit"), ==, FP_A);

  g_assert_false (
      xtls_trust_store_pin (store, "romeo@montague.lit", FP_B, XTLS_VERIFIED_PASSWORD, 2, NULL));
  g_assert_null (xtls_trust_store_lookup (store, "romeo@montague.lit"));

  g_assert_false (xtls_trust_store_forget (store, "juliet@capulet.lit", &forget_error));
  g_assert_nonnull (forget_error);
  g_assert_cmpstr (xtls_trust_store_lookup (store, "juliet@capulet.lit"), ==, FP_A);
  xtls_trust_store_free (store);
}

static void
test_fingerprint_normalised (void)
{
  XtlsTrustStore *store = open_store (NULL);
  g_autofree char *upper = g_ascii_strup (FP_A, -1);

  pin_ok (store, "juliet@capulet.lit", upper, XTLS_VERIFIED_FINGERPRINT, 1);
  g_assert_cmpstr (xtls_trust_store_lookup (store, "juliet@capulet.lit"), ==, FP_A);
  xtls_trust_store_free (store);
}

static void
test_how_to_string (void)
{
  g_assert_cmpstr (xtls_verified_how_to_string (XTLS_VERIFIED_FINGERPRINT), ==, "fingerprint");
  g_assert_cmpstr (xtls_verified_how_to_string (XTLS_VERIFIED_PASSWORD), ==, "password");
  g_assert_cmpstr (xtls_verified_how_to_string (XTLS_VERIFIED_TYPED), ==, "typed");
  xtls_known_peer_free (NULL);
}

#define ADD_FX(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/trust-store/memory", test_memory);
  ADD_FX ("/trust-store/file/basics", test_file_basics);
  ADD_FX ("/trust-store/file/missing-is-empty", test_missing_file_is_empty);
  ADD_FX ("/trust-store/file/persistence", test_persistence);
  ADD_FX ("/trust-store/file/mode-0600", test_file_mode);
  ADD_FX ("/trust-store/file/lenient-load", test_lenient_load);
  ADD_FX ("/trust-store/file/failed-save-keeps-old-pin", test_failed_save_keeps_old_pin);
  for (gsize i = 0; i < G_N_ELEMENTS (corrupt_cases); i++)
    g_test_add (corrupt_cases[i].path, Fixture, &corrupt_cases[i], fixture_set_up, test_corrupt,
                fixture_tear_down);
  g_test_add_func ("/trust-store/list-sorted", test_list_sorted);
  for (gsize i = 0; i < G_N_ELEMENTS (jid_cases); i++)
    g_test_add_data_func (jid_cases[i].path, &jid_cases[i], test_jid);
  g_test_add_func ("/trust-store/jid/unstorable", test_unstorable_jid);
  g_test_add_func ("/trust-store/fingerprint-normalised", test_fingerprint_normalised);
  g_test_add_func ("/trust-store/how-to-string", test_how_to_string);

  return g_test_run ();
}
