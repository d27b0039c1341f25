/* xtls-client's private header: what its files share, nothing more. One job per file:
 *   xtls-client.c           set-up from the command line, the account, the core UI ops, exit
 *   xtls-client-glue.c      libpurple's event loop and debug output, GLib's log messages
 *   xtls-client-commands.c  the stdin line protocol: reading lines, dispatching commands
 *   xtls-client-events.c    event lines: escaping and printing, what libpurple shows the user
 *                           (conversation, notify, connection UI ops) and the core signals
 *   xtls-client-requests.c  request UI ops and the answers the driver gives them
 *   xtls-client-xfers.c     libpurple's file transfers: sendfile, auto-accept, progress events
 *   xtls-client-plugin.c    the xtls plugin: load/unload, its signals and IPC (xtls-api.h)
 * The line protocol itself is described at the top of tests/integration/harness.py. */
#pragma once

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "xtls-client"

#include <glib.h>
#include <purple.h>

/* ---- xtls-client.c: the account and the life of the process ---------------------------- */

/* The one account this client drives (owned by libpurple's account list). */
PurpleAccount *xtls_client_account (void);
/* Whether @account is ours: libpurple's signals fire for every account. */
gboolean xtls_client_is_ours (PurpleAccount *account);
/* Connects the account again with the command line's password, which libpurple forgot on
 * disconnect (it is never saved). */
void xtls_client_account_connect (void);
/* Leaves the main loop with exit code @code; only the first call counts. */
void xtls_client_quit (int code);
gboolean xtls_client_is_quitting (void);

/* ---- xtls-client-glue.c: libpurple and GLib plumbing ----------------------------------- */

/* Routes GLib's log messages through this client (warnings and criticals become GLOG
 * events); @debug also passes everything on to stderr, as libpurple's debug output is. */
void xtls_client_log_init (gboolean debug);
/* Static UI-ops tables, for purple_*_set_ui_ops(). */
PurpleDebugUiOps *xtls_client_debug_ui_ops (void);
PurpleEventLoopUiOps *xtls_client_eventloop_ui_ops (void);

/* ---- xtls-client-events.c: event lines and what the user would see --------------------- */

/* @text with "\\", newline, CR and tab escaped; "" for NULL. Returns a new string. */
char *xtls_client_escape (const char *text);
/* Prints one event line and flushes, so the driver sees it at once. */
G_GNUC_PRINTF (1, 2)
void xtls_client_emit (const char *format, ...);
/* @text, or "-" when it is NULL or empty. */
const char *xtls_client_or_dash (const char *text);
/* Static UI-ops tables, for purple_*_set_ui_ops(). */
PurpleConversationUiOps *xtls_client_conv_ui_ops (void);
PurpleNotifyUiOps *xtls_client_notify_ui_ops (void);
PurpleConnectionUiOps *xtls_client_connection_ui_ops (void);
/* Connects the connection, conversation and presence signals on @handle. */
void xtls_client_events_connect_signals (void *handle);

/* ---- xtls-client-commands.c: the stdin line protocol ----------------------------------- */

/* Reads commands from stdin on the main loop; EOF quits. */
void xtls_client_commands_watch_stdin (void);
/* TRUE when the account is connected; otherwise prints "ERROR @command: not connected". */
gboolean xtls_client_require_connection (const char *command);

/* ---- xtls-client-requests.c: request UI ops -------------------------------------------- */

typedef enum
{
  XTLS_CLIENT_ANSWER_CHOICE,
  XTLS_CLIENT_ANSWER_INPUT,
  XTLS_CLIENT_ANSWER_CANCEL,
} XtlsClientAnswerKind;

/* The table of open requests: created before libpurple starts, freed after it quits. */
void xtls_client_requests_init (void);
void xtls_client_requests_shutdown (void);
PurpleRequestUiOps *xtls_client_request_ui_ops (void);
/* Answers request @id from an idle callback: choice/action index @choice, input @text
 * (copied, and wiped when freed), or a cancel. */
void xtls_client_schedule_answer (guint id, XtlsClientAnswerKind kind, int choice,
                                  const char *text);

/* ---- xtls-client-xfers.c: file transfers ----------------------------------------------- */

/* Incoming files are saved in @dir (copied), which must exist. */
void xtls_client_xfers_init (const char *dir);
void xtls_client_xfers_shutdown (void);
/* Connects the file-transfer signals on @handle. */
void xtls_client_xfers_connect_signals (void *handle);
/* The "sendfile" command: serv_send_file of @path to @who (the prpl's, or the plugin's). */
void xtls_client_cmd_sendfile (const char *who, const char *path);
/* The "xfercancel NAME [BYTES]" command: cancels the transfer of NAME once BYTES have moved. */
void xtls_client_cmd_xfercancel (const char *name, const char *bytes);
/* The "xferask on|off" command: incoming transfers through libpurple's accept and save
 * requests instead of being accepted at once. */
void xtls_client_cmd_xferask (const char *arg);
/* The transfer UI ops (update_progress only). */
PurpleXferUiOps *xtls_client_xfer_ui_ops_get (void);

/* ---- xtls-client-plugin.c: the xtls plugin, its signals and IPC ------------------------ */

/* Finds the plugin in the search path and loads it ("PLUGIN missing" when it is not). */
void xtls_client_plugin_init (void);
void xtls_client_plugin_disconnect_signals (void);
/* The commands "load", "unload", "ipc NAME ARGS", "contract" and "claim on|off". */
void xtls_client_cmd_load (void);
void xtls_client_cmd_unload (void);
void xtls_client_cmd_ipc (const char *name, const char *rest);
void xtls_client_cmd_contract (void);
void xtls_client_cmd_claim (const char *arg);
