/* Flood benchmark (issue 7, item 3): one hub fed hostile outer IQs through xtls_hub_receive().
 * Every table a remote party can grow must have a limit, so heap per item and time per item
 * must stay flat as the flood grows, and a tick after the flood must release what ended.
 *
 *     bench/flood.sh                      (builds build-bench if needed, runs this)
 *     build-bench/bench/xtls-bench-flood [--sizes 1000,5000,10000,20000] [--floods abcdp]
 *         [--budget 10] [--attr-bytes 5120] [--pace 2.1] [--ceiling-mib 64] [--show-sent K]
 *
 * It prints figures and one verdict line per flood and exits 0 either way: timings belong in
 * benchmarks, not tests. Each (flood, N) runs in a forked child so that it starts from a fresh
 * heap and its peak RSS is its own. Heap is glibc's mallinfo2().uordblks (G_SLICE is forced
 * to always-malloc so GLib's slices are counted); time is CPU time inside xtls_hub_receive(),
 * xtls_hub_next_deadline() and xtls_hub_tick(), not building the hostile text or sampling.
 *
 * Floods (attacker -> bob@localhost/res, which answers no decision):
 *   a  session-initiate from N distinct full JIDs, four --attr-bytes attributes each
 *      (sid, transport sid, initiator, content name): the measurement
 *   b  session-initiate with normal attributes from N resources of one bare JID
 *   c  N session-initiates from one full JID (a client restarting over and over)
 *   d  N IBB <data/> (random sid, or the live offer's transport sid with a wrong seq) plus
 *      N IQ results/errors with random ids ("xtls" prefix, so the glue would pass them on),
 *      from a peer with one pending offer
 *   p  as a with normal attributes, but paced (--pace fake seconds per offer, default 2.1,
 *      above a rate limit of one offer per 2 s) and ticked whenever a deadline is due, as the
 *      glue's timer would: this is what reaches the session caps once a rate limit exists
 *   then each: the fake clock advances 10 minutes, xtls_hub_tick(), heap again.
 * No incoming op is set, so the core applies its own defaults: the worst case for the core,
 * whatever policy the libpurple glue adds (e.g. refusing contacts not in the roster). */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake-clock.h"
#include "session.h"
#include "test-keys.h"
#include "trust-store.h"

/* Newer cores count what the hub holds; older ones lack the function (then it is NULL). */
#pragma weak xtls_hub_count_sessions
guint xtls_hub_count_sessions (XtlsHub *hub);

#define OWN_JID "bob@localhost/res"
#define FLOOD_SEED 0x7f100d
#define BYTES_FLOOR 64.0 /* B/item below this counts as "nothing kept" for the 2x rule */
#define US_FLOOR 1.0     /* µs/item below this is clock noise for the 2x rule */
#define MAX_SIZES 16

static int show_sent;       /* --show-sent: print the first stanzas the hub sends per run */
static double pace_s = 2.1; /* --pace: fake seconds between the offers of flood p */

static const char fingerprint_hex[]
    = "3b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80910";

typedef struct
{
  char letter;
  const char *title;
} FloodInfo;

static const FloodInfo floods[] = {
  { 'a', "session-initiate from N distinct full JIDs, big attributes" },
  { 'b', "session-initiate from N resources of one bare JID, normal attributes" },
  { 'c', "N session-initiates from one full JID (repeated restarts)" },
  { 'd', "N IBB <data/> for unknown sids / wrong seq + N results/errors with random ids" },
  { 'p', "as a with normal attributes, paced: fake clock +pace per offer, ticked when due" },
};

/* What one child measured; written whole through a pipe. */
typedef struct
{
  guint n;          /* items asked for */
  guint done;       /* items fed before the budget ran out */
  gboolean stopped; /* the budget ran out */
  double wall_s;    /* the child's whole run, including setup and probes */
  gint64 base;      /* heap before the hub exists */
  gint64 start;     /* heap with the hub (and, for d, its one primed offer) */
  gint64 peak;      /* highest sample during the flood and the tick */
  gint64 end;       /* after the flood */
  gint64 ticked;    /* after the 10-minute tick */
  gint64 freed;     /* after xtls_hub_free() and the identity, store */
  gint64 rss_peak;  /* VmHWM, bytes */
  double flood_us;  /* CPU µs in receive + next_deadline (+ flood p's ticks) */
  double tick_us;   /* CPU µs in the 10-minute tick */
  guint64 taken;    /* receive returned TRUE (the hub consumed the IQ) */
  guint64 sent;     /* stanzas the hub sent during the flood */
  guint64 sent_bytes;
  guint64 sent_tick;                      /* ... during the tick */
  guint64 sent_free;                      /* ... from xtls_hub_free() (sign-off) */
  guint64 decisions;                      /* decision_needed */
  guint64 paced_ticks;                    /* flood p: ticks during the flood */
  guint64 negotiating, unverified, ended; /* state_changed events */
  guint held_end, live_end;               /* probed with xtls_hub_lookup() after the flood */
  guint held_tick, live_tick;             /* ... and after the tick */
  gint hub_end, hub_tick;                 /* xtls_hub_count_sessions(), -1 if the core lacks it */
} Result;

typedef struct
{
  XtlsFakeClock clock;
  Result *r;
} Bench;

/* ---- measuring ------------------------------------------------------------------------- */

static gint64
heap_in_use (void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  return (gint64)mallinfo2 ().uordblks;
#else
  return 0;
#endif
}

static gint64
rss_peak_bytes (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "VmHWM:");
  return line != NULL ? g_ascii_strtoll (line + 6, NULL, 10) * 1024 : 0;
}

/* CPU time of this thread, µs: the machine may be busy with other work (the tests run on
 * two cores), and time spent waiting for a core is not the hub's. */
static gint64
cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
sample_peak (Result *r)
{
  r->peak = MAX (r->peak, heap_in_use ());
}

/* ---- ops: count, answer nothing --------------------------------------------------------- */

static void
on_send (XtlsHub *hub, const char *xml, gpointer user_data)
{
  Bench *b = user_data;

  b->r->sent++;
  b->r->sent_bytes += strlen (xml);
  if (b->r->sent <= (guint64)show_sent)
    fprintf (stderr, "sent: %.300s\n", xml);
}

static void
on_state (XtlsHub *hub, XtlsSession *session, XtlsTrustState state, const GError *error,
          gpointer user_data)
{
  Bench *b = user_data;

  switch (state)
    {
      case XTLS_STATE_NEGOTIATING:
        b->r->negotiating++;
        break;
      case XTLS_STATE_UNVERIFIED:
        b->r->unverified++;
        break;
      case XTLS_STATE_FINISHED:
      case XTLS_STATE_FAILED:
        b->r->ended++;
        break;
      case XTLS_STATE_NOT_PRIVATE:
      case XTLS_STATE_PRIVATE:
        break;
    }
}

static void
on_decision (XtlsHub *hub, XtlsSession *session, XtlsDecision decision, gpointer user_data)
{
  Bench *b = user_data;

  /* A hostile offer never gets an answer: the dialog stays open, as a user away would leave it. */
  b->r->decisions++;
}

static void
on_message (XtlsHub *hub, XtlsSession *session, const char *body, gpointer user_data)
{
}

static void
on_status (XtlsHub *hub, XtlsSession *session, guint64 message_id, gboolean sent,
           gpointer user_data)
{
}

static const XtlsHubOps bench_ops = {
  .send = on_send,
  .state_changed = on_state,
  .decision_needed = on_decision,
  .message_received = on_message,
  .message_status = on_status,
};

/* ---- hostile text ---------------------------------------------------------------------- */

/* @len characters of [a-z0-9] after a unique @prefix; attribute-safe. Eight characters per
 * xorshift step: building 20 KB of hostile text must cost far less than parsing it, or the
 * budget measures the benchmark instead of the hub. Transfer full. */
static char *
random_token (GRand *rng, const char *prefix, gsize len)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  gsize start = strlen (prefix);
  char *s = g_malloc (MAX (len, start) + 1);
  guint64 x = ((guint64)g_rand_int (rng) << 32) | g_rand_int (rng) | 1;

  memcpy (s, prefix, start);
  for (gsize i = start; i < len; i++)
    {
      if ((i - start) % 8 == 0)
        {
          x ^= x << 13;
          x ^= x >> 7;
          x ^= x << 17;
        }
      s[i] = alphabet[((x >> (((i - start) % 8) * 8)) & 0xff) % (sizeof alphabet - 1)];
    }
  s[MAX (len, start)] = '\0';
  return s;
}

/* PROTOCOL.md §2 session-initiate, with the from= and to= the server stamps. Transfer full. */
static char *
offer_xml (const char *id, const char *from, const char *initiator, const char *sid,
           const char *content_name, const char *transport_sid)
{
  return g_strdup_printf (
      "<iq type='set' id='%s' from='%s' to='" OWN_JID "'>"
      "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' initiator='%s' sid='%s'>"
      "<content creator='initiator' name='%s'>"
      "<description xmlns='urn:xmpp:jingle:apps:xmlstream:0'/>"
      "<transport xmlns='urn:xmpp:jingle:transports:ibb:1' block-size='4096' sid='%s'/>"
      "<security xmlns='urn:xmpp:jingle:security:xtls:0'>"
      "<fingerprint algo='sha-256'>%s</fingerprint><method name='x509'/><method name='srp'/>"
      "</security></content></jingle></iq>",
      id, from, initiator, sid, content_name, transport_sid, fingerprint_hex);
}

#define D_PEER "attacker@evil.example/r"
#define D_TRANSPORT "primeibb"

/* Item @i of flood @flood; for d, two stanzas (the second in *@second). Transfer full. */
static char *
make_item (char flood, guint i, GRand *rng, gsize attr_bytes, char **second)
{
  g_autofree char *id = g_strdup_printf ("flood%u", i);
  g_autofree char *from = NULL;
  g_autofree char *sid = NULL;

  *second = NULL;
  switch (flood)
    {
      case 'a':
        {
          g_autofree char *tsid = NULL;
          g_autofree char *initiator = NULL;
          g_autofree char *name = NULL;
          g_autofree char *prefix = g_strdup_printf ("%u-", i);

          from = g_strdup_printf ("attacker@evil%u.example/r", i);
          sid = random_token (rng, prefix, attr_bytes);
          tsid = random_token (rng, prefix, attr_bytes);
          initiator = random_token (rng, prefix, attr_bytes);
          name = random_token (rng, prefix, attr_bytes);
          return offer_xml (id, from, initiator, sid, name, tsid);
        }
      case 'b':
      case 'c':
      case 'p':
        {
          g_autofree char *prefix = g_strdup_printf ("s%u-", i);
          g_autofree char *tprefix = g_strdup_printf ("t%u-", i);
          g_autofree char *tsid = NULL;

          if (flood == 'b')
            from = g_strdup_printf ("attacker@evil.example/r%u", i);
          else if (flood == 'p')
            from = g_strdup_printf ("attacker@evil%u.example/r", i);
          else
            from = g_strdup ("attacker@evil.example/r");
          sid = random_token (rng, prefix, 16);
          tsid = random_token (rng, tprefix, 16);
          return offer_xml (id, from, from, sid, "xmlstream", tsid);
        }
      case 'd':
        {
          g_autofree char *rid = random_token (rng, "", 12);

          /* Even: a sid nobody opened. Odd: the pending offer's transport sid (no bytestream
           * exists yet) with a seq that cannot be the next one. */
          sid = i % 2 == 0 ? random_token (rng, "x", 16) : g_strdup (D_TRANSPORT);
          if (i % 2 == 0)
            *second = g_strdup_printf (
                "<iq type='result' id='xtls%s' from='" D_PEER "' to='" OWN_JID "'/>", rid);
          else
            *second = g_strdup_printf ("<iq type='error' id='xtls%s' from='" D_PEER "' to='" OWN_JID
                                       "'>"
                                       "<error type='cancel'><item-not-found "
                                       "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
                                       rid);
          return g_strdup_printf ("<iq type='set' id='%s' from='" D_PEER "' to='" OWN_JID "'>"
                                  "<data xmlns='http://jabber.org/protocol/ibb' sid='%s' "
                                  "seq='%u'>AAAA</data></iq>",
                                  id, sid, (guint)g_rand_int_range (rng, 1, 65536));
        }
      default:
        g_assert_not_reached ();
    }
  return NULL;
}

/* The full JID flood @flood used for item @i. Transfer full. */
static char *
item_peer (char flood, guint i)
{
  switch (flood)
    {
      case 'a':
      case 'p':
        return g_strdup_printf ("attacker@evil%u.example/r", i);
      case 'b':
        return g_strdup_printf ("attacker@evil.example/r%u", i);
      default:
        return g_strdup (D_PEER);
    }
}

/* How many of the flood's peers the hub still holds a session for, and how many are live. */
static void
probe (XtlsHub *hub, char flood, guint done, guint *held, guint *live)
{
  guint peers = flood == 'a' || flood == 'b' || flood == 'p' ? done : 1;

  *held = *live = 0;
  for (guint i = 0; i < peers; i++)
    {
      g_autofree char *peer = item_peer (flood, i);
      XtlsSession *s = xtls_hub_lookup (hub, peer);
      XtlsTrustState state;

      if (s == NULL)
        continue;
      (*held)++;
      state = xtls_session_get_state (s);
      if (state != XTLS_STATE_FINISHED && state != XTLS_STATE_FAILED)
        (*live)++;
    }
}

/* ---- one run: a child process ---------------------------------------------------------- */

/* As the libpurple glue does for every IQ it hands over (plugin/purple/xmpp.c): receive, then
 * reschedule the timer at the hub's next deadline. */
static gboolean
feed (XtlsHub *hub, Result *r, const char *xml)
{
  gint64 t0 = cpu_now ();
  gboolean taken = xtls_hub_receive (hub, xml, -1);

  (void)xtls_hub_next_deadline (hub);
  r->flood_us += (double)(cpu_now () - t0);
  return taken;
}

/* Flood p: time passes between offers, and the glue's timer ticks the hub at its deadline. */
static void
pace (XtlsHub *hub, XtlsFakeClock *clock, Result *r)
{
  gint64 t0 = cpu_now ();
  gint64 due;

  xtls_fake_clock_advance (clock, (gint64)(pace_s * G_USEC_PER_SEC));
  due = xtls_hub_next_deadline (hub);
  if (due > 0 && due <= clock->now)
    {
      xtls_hub_tick (hub);
      (void)xtls_hub_next_deadline (hub);
      r->paced_ticks++;
    }
  r->flood_us += (double)(cpu_now () - t0);
}

static void
run_flood (char flood, guint n, double budget_s, gsize attr_bytes, Result *r)
{
  gint64 started = g_get_monotonic_time ();
  gint64 deadline = started + (gint64)(budget_s * G_USEC_PER_SEC);
  guint sample_every = MAX (1, n / 200);
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rng = g_rand_new_with_seed (FLOOD_SEED + (guint)flood);
  XtlsIdentity *identity = xtls_test_identity ("bob@localhost");
  XtlsTrustStore *trust = xtls_trust_store_new (NULL, &error);
  Bench b = { .r = r };
  XtlsHub *hub;
  guint64 sent;
  gint64 t0;

  g_assert_no_error (error);
  xtls_fake_clock_init (&b.clock);
  r->n = n;
  r->base = heap_in_use ();
  hub = xtls_hub_new (OWN_JID, identity, trust, &b.clock.clock, NULL, &bench_ops, &b);
  if (flood == 'd')
    {
      /* The one session flood d aims at: an offer waiting for bob's decision. */
      g_autofree char *prime
          = offer_xml ("prime", D_PEER, D_PEER, "primesid", "xmlstream", D_TRANSPORT);
      xtls_hub_receive (hub, prime, -1);
      /* Count the flood, not the priming. */
      r->sent = r->sent_bytes = r->decisions = r->negotiating = r->unverified = r->ended = 0;
    }
  r->start = r->peak = heap_in_use ();

  for (guint i = 0; i < n; i++)
    {
      char *second = NULL;
      char *xml = make_item (flood, i, rng, attr_bytes, &second);

      if (flood == 'p')
        pace (hub, &b.clock, r);
      r->taken += feed (hub, r, xml);
      if (second != NULL)
        r->taken += feed (hub, r, second);
      g_free (xml);
      g_free (second);
      r->done = i + 1;
      if (r->done % sample_every == 0)
        sample_peak (r);
      if (g_get_monotonic_time () > deadline)
        {
          r->stopped = r->done < n;
          break;
        }
    }
  sample_peak (r);
  r->end = heap_in_use ();
  probe (hub, flood, r->done, &r->held_end, &r->live_end);
  r->hub_end = xtls_hub_count_sessions != NULL ? (gint)xtls_hub_count_sessions (hub) : -1;

  /* e: ten minutes later every handshake, accept and ack deadline has passed. */
  xtls_fake_clock_advance (&b.clock, 10 * 60 * G_USEC_PER_SEC);
  sent = r->sent;
  t0 = cpu_now ();
  xtls_hub_tick (hub);
  (void)xtls_hub_next_deadline (hub);
  r->tick_us = (double)(cpu_now () - t0);
  r->sent_tick = r->sent - sent;
  r->sent = sent;
  sample_peak (r);
  r->ticked = heap_in_use ();
  probe (hub, flood, r->done, &r->held_tick, &r->live_tick);
  r->hub_tick = xtls_hub_count_sessions != NULL ? (gint)xtls_hub_count_sessions (hub) : -1;

  r->rss_peak = rss_peak_bytes ();
  sent = r->sent;
  xtls_hub_free (hub);
  r->sent_free = r->sent - sent;
  r->sent = sent;
  xtls_trust_store_free (trust);
  xtls_identity_unref (identity);
  r->freed = heap_in_use ();
  r->wall_s = (double)(g_get_monotonic_time () - started) / G_USEC_PER_SEC;
}

/* Forks, runs, reads the child's Result. FALSE (with @why) when the child died. */
static gboolean
run_child (char flood, guint n, double budget_s, gsize attr_bytes, Result *r, GString *why)
{
  int fds[2];
  pid_t pid;
  int status = 0;
  gsize got = 0;

  memset (r, 0, sizeof *r);
  if (pipe (fds) != 0)
    g_error ("pipe: %s", g_strerror (errno));
  fflush (stdout);
  pid = fork ();
  if (pid < 0)
    g_error ("fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      Result mine = { 0 };

      close (fds[0]);
      /* A flood stuck outside the per-item check (a tick, a probe) still ends. */
      alarm ((unsigned)budget_s + 30);
      run_flood (flood, n, budget_s, attr_bytes, &mine);
      if (write (fds[1], &mine, sizeof mine) != (ssize_t)sizeof mine)
        _exit (2);
      _exit (0);
    }
  close (fds[1]);
  while (got < sizeof *r)
    {
      ssize_t k = read (fds[0], (char *)r + got, sizeof *r - got);
      if (k < 0 && errno == EINTR)
        continue;
      if (k <= 0)
        break;
      got += (gsize)k;
    }
  close (fds[0]);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (got == sizeof *r && WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return TRUE;
  if (WIFSIGNALED (status))
    g_string_printf (why, "child killed by signal %d (%s)", WTERMSIG (status),
                     WTERMSIG (status) == SIGALRM ? "time limit" : g_strsignal (WTERMSIG (status)));
  else
    g_string_printf (why, "child exited with status %d", WEXITSTATUS (status));
  return FALSE;
}

/* ---- printing ------------------------------------------------------------------------ */

static double
mib (gint64 bytes)
{
  return (double)bytes / (1024.0 * 1024.0);
}

static double
bytes_per_item (const Result *r)
{
  return r->done > 0 ? (double)(r->peak - r->start) / r->done : 0;
}

static double
us_per_item (const Result *r)
{
  return r->done > 0 ? r->flood_us / r->done : 0;
}

static void
print_header (void)
{
  printf ("  %6s %7s %7s %7s %8s %8s %6s %6s %6s %6s %6s | %7s %6s %5s %6s %6s %6s | %6s %6s | "
          "%6s\n",
          "N", "peak", "end", "B/item", "total", "us/item", "RSS", "taken", "sent", "decis.",
          "sess.", "tick", "tick", "sent", "held", "live", "hub", "free", "freed", "wall");
  printf ("  %6s %7s %7s %7s %8s %8s %6s %6s %6s %6s %6s | %7s %6s %5s %6s %6s %6s | %6s %6s | "
          "%6s\n",
          "", "MiB", "MiB", "", "ms", "", "MiB", "", "", "", "", "MiB", "ms", "", "", "", "",
          "sent", "KiB", "s");
}

static const char *
hub_count (gint count, char buf[16])
{
  if (count < 0)
    return "-";
  g_snprintf (buf, 16, "%d", count);
  return buf;
}

static void
print_row (const Result *r)
{
  char b1[16], b2[16];

  printf ("  %6u %7.1f %7.1f %7.0f %8.1f %8.2f %6.1f %6" G_GUINT64_FORMAT " %6" G_GUINT64_FORMAT
          " %6" G_GUINT64_FORMAT " %6" G_GUINT64_FORMAT " | %7.1f %6.1f %5" G_GUINT64_FORMAT
          " %6u %6u %6s | %6" G_GUINT64_FORMAT " %+6.0f | %6.2f\n",
          r->done, mib (r->peak), mib (r->end), bytes_per_item (r), r->flood_us / 1000.0,
          us_per_item (r), mib (r->rss_peak), r->taken, r->sent, r->decisions, r->negotiating,
          mib (r->ticked), r->tick_us / 1000.0, r->sent_tick, r->held_tick, r->live_tick,
          hub_count (r->hub_tick, b1), r->sent_free, (double)(r->freed - r->base) / 1024.0,
          r->wall_s);
  if (r->held_end != r->held_tick || r->live_end != r->live_tick || r->hub_end != r->hub_tick)
    printf ("         before the tick: held %u, live %u, hub %s\n", r->held_end, r->live_end,
            hub_count (r->hub_end, b2));
  if (r->paced_ticks > 0)
    printf ("         %" G_GUINT64_FORMAT " ticks during the flood (deadlines due)\n",
            r->paced_ticks);
}

typedef struct
{
  gboolean any;
  Result first, last;     /* smallest and largest N that ran to the end */
  gboolean last_was_full; /* the largest N asked for ran to the end */
  gboolean have_10k;
  Result at_10k;    /* issue 7's figure: 10,000 offers */
  GString *stopped; /* why the largest N did not run to the end */
} Summary;

static void
print_verdict (char letter, const Summary *s, double ceiling_mib)
{
  double b0, b1, u0, u1, kept;
  gboolean flat, released;

  if (!s->any)
    {
      printf ("  %c  GROWS  no size ran to the end (%s)\n", letter, s->stopped->str);
      return;
    }
  b0 = bytes_per_item (&s->first);
  b1 = bytes_per_item (&s->last);
  u0 = us_per_item (&s->first);
  u1 = us_per_item (&s->last);
  flat = s->last_was_full && b1 <= 2 * MAX (b0, BYTES_FLOOR) && u1 <= 2 * MAX (u0, US_FLOOR)
         && mib (s->last.peak) < ceiling_mib;
  /* What the tick left of the largest run: ended sessions must be gone. */
  kept = (double)(s->last.ticked - s->last.start);
  released = kept < BYTES_FLOOR * s->last.done || kept < 1024 * 1024;
  printf ("  %c  %-5s  N=%u -> %u: B/item %.0f -> %.0f (x%.1f), us/item %.2f -> %.2f (x%.1f), "
          "peak heap %.1f MiB (ceiling %.0f)%s%s\n",
          letter, flat ? "flat" : "GROWS", s->first.done, s->last.done, b0, b1,
          b0 > 0 ? b1 / b0 : 0, u0, u1, u0 > 0 ? u1 / u0 : 0, mib (s->last.peak), ceiling_mib,
          s->last_was_full ? "" : "; ", s->last_was_full ? "" : s->stopped->str);
  printf ("            heap x%.1f for N x%.0f; after the tick: %s (%.1f MiB above start, %u "
          "sessions held, %u live)\n",
          (double)MAX (s->last.peak - s->last.start, 1)
              / (double)MAX (s->first.peak - s->first.start, 1),
          (double)s->last.done / s->first.done, released ? "released" : "KEPT",
          kept / (1024.0 * 1024.0), s->last.held_tick, s->last.live_tick);
  if (letter == 'a' && s->have_10k)
    printf ("            issue 7's target, 10,000 offers: RSS peak %.1f MiB (wanted < 20 MiB), "
            "%.2f us/offer\n",
            mib (s->at_10k.rss_peak), us_per_item (&s->at_10k));
}

/* ---- main --------------------------------------------------------------------------- */

static gboolean
parse_sizes (const char *text, guint *sizes, guint *count)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);

  *count = 0;
  for (guint i = 0; parts[i] != NULL && *count < MAX_SIZES; i++)
    {
      guint64 v;
      if (!g_ascii_string_to_unsigned (parts[i], 10, 1, G_MAXUINT, &v, NULL))
        return FALSE;
      sizes[(*count)++] = (guint)v;
    }
  return *count > 0;
}

int
main (int argc, char **argv)
{
  g_autofree char *sizes_text = NULL;
  g_autofree char *floods_text = NULL;
  double budget_s = 10;
  int attr_bytes = 5120;
  double ceiling_mib = 64;
  GOptionEntry entries[] = {
    { "sizes", 0, 0, G_OPTION_ARG_STRING, &sizes_text,
      "Flood sizes (default 1000,5000,10000,20000)", "N,N,..." },
    { "floods", 0, 0, G_OPTION_ARG_STRING, &floods_text, "Which floods (default abcdp)", "abcdp" },
    { "budget", 0, 0, G_OPTION_ARG_DOUBLE, &budget_s, "Seconds per flood, all sizes (default 10)",
      "S" },
    { "attr-bytes", 0, 0, G_OPTION_ARG_INT, &attr_bytes,
      "Bytes per big attribute in flood a (default 5120; four per offer)", "B" },
    { "show-sent", 0, 0, G_OPTION_ARG_INT, &show_sent,
      "Print the first K stanzas the hub sends per run (to stderr)", "K" },
    { "pace", 0, 0, G_OPTION_ARG_DOUBLE, &pace_s,
      "Fake seconds between offers in flood p (default 2.1)", "S" },
    { "ceiling-mib", 0, 0, G_OPTION_ARG_DOUBLE, &ceiling_mib,
      "Peak heap ceiling for 'flat' (default 64)", "MIB" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  guint sizes[MAX_SIZES];
  guint n_sizes = 0;
  Summary summaries[G_N_ELEMENTS (floods)] = { 0 };
  gint64 t_all = g_get_monotonic_time ();

  /* GLib 2.74's slice allocator keeps freed slices in magazines that mallinfo2() counts as in
   * use; GLib reads G_SLICE in a library constructor, before main, hence the re-exec. */
  unsetenv ("G_MESSAGES_DEBUG"); /* the core's g_debug would print every hostile sid */
  if (g_strcmp0 (getenv ("G_SLICE"), "always-malloc") != 0)
    {
      setenv ("G_SLICE", "always-malloc", 1);
      execv ("/proc/self/exe", argv);
      g_printerr ("warning: cannot re-exec with G_SLICE=always-malloc; heap figures include "
                  "GSlice magazines\n");
    }

  context = g_option_context_new ("- flood one XTLS hub with hostile outer IQs");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (!parse_sizes (sizes_text != NULL ? sizes_text : "1000,5000,10000,20000", sizes, &n_sizes)
      || attr_bytes < 16)
    {
      g_printerr ("bad --sizes or --attr-bytes\n");
      return 2;
    }
  if (floods_text == NULL)
    floods_text = g_strdup ("abcdp");

  printf ("XTLS hub flood benchmark: own JID " OWN_JID ", no decision is ever answered.\n"
          "heap = mallinfo2().uordblks (peak sampled every N/200 items); B/item = (peak - heap "
          "at start) / N; us/item = CPU time in xtls_hub_receive() + xtls_hub_next_deadline() / N\n"
          "(the glue calls both per IQ); RSS = VmHWM; taken = IQs the hub consumed; sent = "
          "stanzas it sent; decis. = decision_needed calls; sess. = sessions that began "
          "negotiating.\ntick = +10 min on the fake clock, xtls_hub_tick(); held/live = sessions "
          "xtls_hub_lookup() still finds for the flood's peers / of them not ended;\nhub = "
          "xtls_hub_count_sessions() (- when the core lacks it); free sent = "
          "stanzas xtls_hub_free() sent; freed = heap after freeing hub, store and identity "
          "minus before the hub.\nBudget %.0f s per flood (all sizes). Flood a: 4 attributes x "
          "%d bytes per offer. Flood p: +%.1f s per offer.\n",
          budget_s, attr_bytes, pace_s);

  for (gsize f = 0; f < G_N_ELEMENTS (floods); f++)
    {
      const FloodInfo *info = &floods[f];
      Summary *sum = &summaries[f];
      double used = 0;

      sum->stopped = g_string_new (NULL);
      if (strchr (floods_text, info->letter) == NULL)
        continue;
      printf ("\n%c. %s\n", info->letter, info->title);
      print_header ();
      for (guint k = 0; k < n_sizes; k++)
        {
          g_autoptr (GString) why = g_string_new (NULL);
          double left = budget_s - used;
          Result r;

          if (left < 0.5)
            {
              g_string_printf (sum->stopped, "stopped after %.1f s at N=%u (budget spent)", used,
                               sizes[k]);
              printf ("         %s\n", sum->stopped->str);
              break;
            }
          if (!run_child (info->letter, sizes[k], left, (gsize)attr_bytes, &r, why))
            {
              g_string_printf (sum->stopped, "N=%u: %s", sizes[k], why->str);
              printf ("  %6u  %s\n", sizes[k], why->str);
              break;
            }
          used += r.wall_s;
          print_row (&r);
          if (r.stopped)
            {
              g_string_printf (sum->stopped, "stopped after %.1f s at N=%u (%u of %u items fed)",
                               used, sizes[k], r.done, sizes[k]);
              printf ("         %s\n", sum->stopped->str);
              break;
            }
          if (r.done == 10000)
            {
              sum->at_10k = r;
              sum->have_10k = TRUE;
            }
          if (!sum->any)
            sum->first = r;
          sum->any = TRUE;
          sum->last = r;
          sum->last_was_full = k == n_sizes - 1;
        }
    }

  printf ("\nVerdict (flat = B/item and us/item at the largest N within 2x of the smallest "
          "[floors %.0f B, %.0f us], peak heap < %.0f MiB):\n",
          BYTES_FLOOR, US_FLOOR, ceiling_mib);
  for (gsize f = 0; f < G_N_ELEMENTS (floods); f++)
    {
      if (strchr (floods_text, floods[f].letter) != NULL)
        print_verdict (floods[f].letter, &summaries[f], ceiling_mib);
      g_string_free (summaries[f].stopped, TRUE);
    }
  printf ("total %.1f s\n", (double)(g_get_monotonic_time () - t_all) / G_USEC_PER_SEC);
  return 0;
}
