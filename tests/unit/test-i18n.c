/* Translations at run time: the German catalog built in the build tree (po/de/LC_MESSAGES) is
 * found as the plugin finds it with $XTLS_LOCALEDIR, and xtls_error_describe() answers in
 * German. The catalog's completeness is checked by po/check-po.py (test po-de). */
#include <glib.h>
#include <glib/gi18n-lib.h>
#include <locale.h>

#include "xtls-error.h"

/* Every code, so a sentence missing from de.po shows up here too. */
static const XtlsError all_codes[] = {
  XTLS_ERROR_FAILED,
  XTLS_ERROR_IBB_BAD_REQUEST,
  XTLS_ERROR_IBB_UNEXPECTED,
  XTLS_ERROR_IBB_NOT_FOUND,
  XTLS_ERROR_IBB_CLOSED,
  XTLS_ERROR_IBB_REJECTED,
  XTLS_ERROR_TLS,
  XTLS_ERROR_CERT_MISMATCH,
  XTLS_ERROR_KEY_CHANGED,
  XTLS_ERROR_BAD_PASSWORD,
  XTLS_ERROR_NO_COMMON_METHOD,
  XTLS_ERROR_NOT_WELL_FORMED,
  XTLS_ERROR_RESTRICTED_XML,
  XTLS_ERROR_POLICY_VIOLATION,
  XTLS_ERROR_TIMEOUT,
  XTLS_ERROR_PEER_GONE,
  XTLS_ERROR_DECLINED,
  XTLS_ERROR_CANCELLED,
  XTLS_ERROR_SECURITY,
  XTLS_ERROR_PROTOCOL,
  XTLS_ERROR_UNSUPPORTED,
};

static char *english[G_N_ELEMENTS (all_codes)]; /* owned: the sentences before translation */
static gboolean german;                         /* a locale that lets LANGUAGE=de apply */

static char *
describe (XtlsError code)
{
  g_autoptr (GError) error = g_error_new_literal (XTLS_ERROR, code, "test");
  return g_strdup (xtls_error_describe (error));
}

/* The sentence a German user reads when a pinned key changed: the security warning itself. */
static void
test_key_changed (void)
{
  g_autofree char *text = NULL;

  if (!german)
    {
      g_test_skip ("no C.UTF-8 or de_DE.UTF-8 locale: gettext ignores LANGUAGE in the C locale");
      return;
    }
  text = describe (XTLS_ERROR_KEY_CHANGED);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_true (g_str_has_prefix (
      text, "Sicherheitswarnung: Der Schl\xc3\xbcssel Ihres Kontakts hat sich ge\xc3\xa4ndert"));
}

static void
test_every_code (void)
{
  if (!german)
    {
      g_test_skip ("no C.UTF-8 or de_DE.UTF-8 locale: gettext ignores LANGUAGE in the C locale");
      return;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (all_codes); i++)
    {
      g_autofree char *text = describe (all_codes[i]);

      g_test_message ("code %d: %s", (int)all_codes[i], text);
      g_assert_cmpstr (text, !=, english[i]);
      g_assert_true (g_utf8_validate (text, -1, NULL));
    }
  g_assert_cmpstr (xtls_error_describe (NULL), ==,
                   "Die private Unterhaltung wurde regul\xc3\xa4r beendet.");
}

int
main (int argc, char **argv)
{
  const char *env = g_getenv ("XTLS_LOCALEDIR");
  g_autofree char *dir = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  /* $XTLS_LOCALEDIR as for the plugin, else <build>/po, where meson builds the catalogs. */
  dir = env != NULL && *env != '\0'
            ? g_strdup (env)
            : g_build_filename (g_test_get_dir (G_TEST_BUILT), "..", "po", NULL);

  /* Before any locale is set, gettext returns the English msgids. */
  for (gsize i = 0; i < G_N_ELEMENTS (all_codes); i++)
    english[i] = describe (all_codes[i]);

  /* As the plugin does at init (plugin.c), then German as a user would choose it. LANGUAGE
   * applies in any locale except "C" itself, so C.UTF-8 is enough: no de_DE locale needed. */
  bindtextdomain (GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  g_setenv ("LANGUAGE", "de", TRUE);
  german = setlocale (LC_ALL, "C.UTF-8") != NULL || setlocale (LC_ALL, "de_DE.UTF-8") != NULL;

  g_test_add_func ("/i18n/german/key-changed", test_key_changed);
  g_test_add_func ("/i18n/german/every-code", test_every_code);
  ret = g_test_run ();
  for (gsize i = 0; i < G_N_ELEMENTS (all_codes); i++)
    g_free (english[i]);
  return ret;
}
