/* Two XTLS hubs (alice and bob) wired through an in-memory "server" that the test drives by
 * hand: deliver one leg at a time, drop, duplicate, delay or rewrite stanzas, inject hostile
 * ones, advance the clock, and count the one-way legs each exchange takes (libnice's
 * test-pseudotcp approach). Stanzas cross as the real wire text. */
#pragma once

#include "fake-clock.h"
#include "session.h"

typedef struct _XtlsLoopback XtlsLoopback;

/* What one side of a file session saw (xtls_test_peer_file). */
typedef struct
{
  GBytes *source; /* sender: what file_read hands out (owned; the test may replace it) */
  gsize read_pos;
  gsize max_read;     /* sender: at most this much per file_read; 0: no limit */
  GByteArray *stored; /* receiver: every byte file_store got, in order */
  gboolean answered;  /* receiver: the scripted answer was given */
  guint ended;        /* how many times file_ended was reported (must be 1) */
  GError *error;      /* file_ended's error (owned), NULL for a complete file */
  guint64 progress;   /* the last progress reported */
  gboolean deleted;   /* the "glue" deleted the partial file (ended with an error) */
} XtlsTestFile;

typedef struct
{
  XtlsLoopback *lb;
  char *jid;              /* full JID */
  XtlsIdentity *identity; /* owned */
  XtlsTrustStore *trust;  /* owned, in memory */
  XtlsHub *hub;           /* owned */

  /* What this user saw */
  GPtrArray *received;   /* char* message bodies, in order */
  GArray *received_legs; /* guint: the leg each body arrived in */
  GArray *sent_ids;      /* guint64: messages reported sent into the tunnel */
  GArray *unsent_ids;    /* guint64: messages reported not sent */
  GArray *states;        /* XtlsTrustState, every change in order */
  XtlsTrustState state;
  GError *error;         /* copy of the last reported error */
  guint state_leg;       /* leg count when the last state change happened */
  guint private_leg;     /* leg count when the tunnel went live (PRIVATE/UNVERIFIED after
                          * negotiating), 0 if never */
  XtlsDecision decision; /* last decision asked for */
  guint decisions;       /* how many times a decision was asked for */
  GPtrArray *unclaimed;  /* char* stanzas the hub left to libpurple */
  guint key_conflicts;   /* the hub refused to replace a pin without consent */

  /* File sessions */
  GPtrArray *file_offers; /* XtlsSession* offered to this user, in order (borrowed) */
  GHashTable *files;      /* XtlsSession* -> owned XtlsTestFile */
  gint file_answer;       /* scripted, at the next leg: 1 accept, -1 decline, 0 wait */

  /* Scripted user: answered at the start of the next leg (users are not synchronous). */
  gboolean auto_answer;
  XtlsAnswer answer;
  char *auto_password; /* supplied when a password is asked for */
} XtlsTestPeer;

typedef enum
{
  XTLS_WIRE_DELIVER,
  XTLS_WIRE_DROP,
  XTLS_WIRE_DUPLICATE,
  XTLS_WIRE_HOLD, /* keep it back one more leg (reorders it behind later ones) */
} XtlsWireAction;

/* Called for each stanza about to be delivered; may rewrite *xml (g_free the old one). */
typedef XtlsWireAction (*XtlsWireFilter) (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to,
                                          char **xml, gpointer user_data);

struct _XtlsLoopback
{
  XtlsFakeClock clock;
  XtlsTestPeer *alice;
  XtlsTestPeer *bob;
  GQueue in_flight;      /* pending stanzas, in send order */
  guint legs;            /* delivery rounds that carried at least one stanza */
  gint64 leg_latency_us; /* the clock advances this much per leg; default 20 ms */
  GPtrArray *wire_log;   /* char*: every stanza that crossed the server */
  XtlsWireFilter filter;
  gpointer filter_data;
  /* A shaping server: at most @shaped_per_leg stanzas from @shaped pass per leg, in order;
   * the rest wait for later legs (ejabberd's c2s shaper, in legs). NULL: no shaping. */
  XtlsTestPeer *shaped;
  guint shaped_per_leg;
  /* In-memory sockets between the hubs and a simulated SOCKS5 proxy (loopback-net.h), pumped
   * once per leg; NULL: none (the hubs have no net ops and use IBB). */
  struct _XtlsLoopbackNet *net;
};

/* @config applies to both hubs; may be NULL. */
XtlsLoopback *xtls_loopback_new (const XtlsHubConfig *config);
void xtls_loopback_free (XtlsLoopback *lb);

/* Pins each peer's certificate in the other's trust store (a previous verification). */
void xtls_loopback_pin_both (XtlsLoopback *lb);

/* Delivers every stanza sent before this call (one one-way leg, both directions at once),
 * after applying scripted answers. Returns how many were delivered. */
guint xtls_loopback_leg (XtlsLoopback *lb);
/* Runs legs until nothing is in flight or @max_legs ran. Returns the legs run. */
guint xtls_loopback_run (XtlsLoopback *lb, guint max_legs);
/* Advances the clock and runs both hubs' deadlines. */
void xtls_loopback_advance (XtlsLoopback *lb, gint64 usec);
/* Puts @xml on the wire as if @from sent it to @to (a hostile or historical peer). */
void xtls_loopback_inject (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, const char *xml);
/* Drops everything in flight (a peer that vanished). Returns how many were dropped. */
guint xtls_loopback_drop_all (XtlsLoopback *lb);

/* TRUE if any stanza that crossed the server contains @needle. */
gboolean xtls_loopback_wire_contains (XtlsLoopback *lb, const char *needle);
/* The session @peer has with the other peer, or NULL. */
XtlsSession *xtls_test_peer_session (XtlsTestPeer *peer);

/* What @peer saw of file session @session (created on first use). */
XtlsTestFile *xtls_test_peer_file (XtlsTestPeer *peer, XtlsSession *session);
/* @peer offers @contents (referenced) as @name to the other peer, with its SHA-256 in the
 * offer if @with_hash. */
XtlsSession *xtls_test_peer_send_file (XtlsTestPeer *peer, const char *name, GBytes *contents,
                                       gboolean with_hash);
