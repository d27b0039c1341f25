/* libFuzzer target for the inner XML stream (xmlstream.h): arbitrary peer input, split at
 * arbitrary points, under tight limits. Oracles: the sanitizers, closed() at most once and
 * never followed by a stanza, and every delivered stanza re-serialises into XML that a fresh
 * stream parses back without error. */
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "xmlstream.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct
{
  guint closed;
  gboolean failed;
  XtlsXmlStream *echo;  /* serialises what the fuzzed stream delivers */
  XtlsXmlStream *check; /* parses that back */
} Fuzz;

static void
on_send (XtlsXmlStream *stream, const char *data, gsize len, gpointer user_data)
{
  Fuzz *f = user_data;

  if (stream == f->echo)
    xtls_xml_stream_receive (f->check, data, len);
}

static void
on_opened (XtlsXmlStream *stream, const char *id, gpointer user_data)
{
}

static void
on_stanza (XtlsXmlStream *stream, xmlNode *stanza, gpointer user_data)
{
  Fuzz *f = user_data;

  if (stream == f->check)
    return;
  g_assert (f->closed == 0);
  xtls_xml_stream_send_stanza (f->echo, stanza);
}

static void
on_closed (XtlsXmlStream *stream, const GError *error, gpointer user_data)
{
  Fuzz *f = user_data;

  if (stream == f->check)
    {
      g_assert (error == NULL);
      return;
    }
  g_assert (++f->closed == 1);
}

static const XtlsXmlStreamOps ops = {
  .send = on_send,
  .opened = on_opened,
  .stanza = on_stanza,
  .closed = on_closed,
};

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  XtlsXmlStreamLimits limits = { .max_stanza_bytes = 4096, .max_depth = 8 };
  Fuzz f = { 0 };
  XtlsXmlStream *stream;
  gsize piece;

  if (size < 1)
    return 0;
  /* The first byte picks the piece size: 1..255 bytes, or 0 for all at once. */
  piece = data[0] != 0 ? data[0] : size;
  data++;
  size--;

  stream = xtls_xml_stream_new (&limits, &ops, &f);
  f.echo = xtls_xml_stream_new (NULL, &ops, &f);
  f.check = xtls_xml_stream_new (NULL, &ops, &f);
  xtls_xml_stream_open (stream, "a@example.org/x", "b@example.org/y", NULL);
  xtls_xml_stream_open (f.echo, NULL, NULL, "id");
  for (gsize off = 0; off < size; off += piece)
    xtls_xml_stream_receive (stream, (const char *)data + off, MIN (piece, size - off));
  /* Unparsed input, at most a stanza and a slice, plus a tree of at most twice a stanza. */
  g_assert (xtls_xml_stream_get_peak_buffered (stream) < 6 * 4096 + 8192);
  xtls_xml_stream_close (stream);
  xtls_xml_stream_free (stream);
  xtls_xml_stream_free (f.echo);
  xtls_xml_stream_free (f.check);
  return 0;
}
