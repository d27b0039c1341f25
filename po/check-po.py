#!/usr/bin/env python3
"""Fails unless a translation is valid and complete for the sources as they are now.

    check-po.py MSGFMT XGETTEXT MSGMERGE SRCDIR LANG.po

The strings are extracted afresh from the files in SRCDIR/po/POTFILES.in (with meson's glib
preset keywords), merged into a copy of LANG.po, and the copy is checked with
`msgfmt --check --statistics`: a string added to the code but not to LANG.po counts as
untranslated, so a stale catalog fails too. Any fuzzy or untranslated message fails the test;
the messages are listed.
"""
import os
import re
import subprocess
import sys
import tempfile

# The keywords of meson's i18n 'glib' preset (po/meson.build).
XGETTEXT_ARGS = [
    "--from-code=UTF-8", "--add-comments",
    "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
    "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3", "--keyword=g_dpgettext2:2c,3",
    "--flag=N_:1:pass-c-format", "--flag=C_:2:pass-c-format", "--flag=NC_:2:pass-c-format",
    "--flag=g_dngettext:2:pass-c-format", "--flag=g_strdup_printf:1:c-format",
    "--flag=g_string_printf:2:c-format", "--flag=g_string_append_printf:2:c-format",
    "--flag=g_error_new:3:c-format", "--flag=g_set_error:4:c-format",
]


def entries(po_text):
    """Yields (flags, msgid, msgstr-present) for each message of a PO file (rough parser,
    enough to name the messages that need work)."""
    for block in po_text.split("\n\n"):
        lines = [l for l in block.splitlines() if not l.startswith("#~")]
        flags = " ".join(l for l in lines if l.startswith("#,"))
        msgid, msgstr, cur = [], [], None
        for l in lines:
            if l.startswith("msgid "):
                cur = msgid
                l = l[6:]
            elif l.startswith("msgstr"):
                cur = msgstr
                l = l.split(" ", 1)[1]
            elif l.startswith("msgid_plural") or l.startswith("#"):
                cur = None
                continue
            if cur is not None and l.startswith('"'):
                cur.append(l[1:-1])
        if msgid and "".join(msgid):
            yield flags, "".join(msgid), "".join(msgstr) != ""


def main():
    msgfmt, xgettext, msgmerge, srcdir, po = sys.argv[1:6]
    with open(os.path.join(srcdir, "po", "POTFILES.in"), encoding="utf-8") as f:
        sources = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    missing = [s for s in sources if not os.path.exists(os.path.join(srcdir, s))]
    if missing:
        print("POTFILES.in lists files that do not exist: " + ", ".join(missing))
        return 1

    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, "current.pot")
        merged = os.path.join(tmp, "merged.po")
        subprocess.run([xgettext, "--package-name=check", "-D", srcdir, "-o", pot]
                       + XGETTEXT_ARGS + sources, check=True)
        subprocess.run([msgmerge, "--quiet", "--no-fuzzy-matching", "-o", merged, po, pot],
                       check=True)
        check = subprocess.run([msgfmt, "--check", "--statistics", "-o", os.devnull, merged],
                               capture_output=True, text=True, env=dict(os.environ, LC_ALL="C"))
        with open(merged, encoding="utf-8") as f:
            merged_text = f.read()

    stats = check.stderr.strip()
    print(os.path.basename(po) + ": " + stats.splitlines()[-1] if stats else "(no statistics)")
    if check.returncode != 0:
        print(stats)
        return 1
    translated = int((re.search(r"(\d+) translated message", stats) or [0, 0])[1])
    fuzzy = int((re.search(r"(\d+) fuzzy translation", stats) or [0, 0])[1])
    untranslated = int((re.search(r"(\d+) untranslated message", stats) or [0, 0])[1])
    for flags, msgid, has_str in entries(merged_text):
        if "fuzzy" in flags:
            print("  fuzzy:        " + msgid)
        elif not has_str:
            print("  untranslated: " + msgid)
    if translated == 0 or fuzzy or untranslated:
        print("FAIL: every message must be translated and none fuzzy "
              "(ninja -C <build> pidgin-xtls-update-po, then translate)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
