#!/bin/sh
# Records what real terminals answer to latentty's graphics probe, byte for byte, so the detection
# tests can use real replies (Tests/TerminalGraphicsTests/RecordedReplies.swift).
#
#   scripts/capture_replies.sh all [DIR]     start Xvfb, run every terminal found, write DIR/*.bin
#   scripts/capture_replies.sh capture FILE  (run inside a terminal) send the probe, save the replies
#
# The batch is the one TerminalProbe sends: XTVERSION, the kitty a=q query, XTSMGRAPHICS, CSI 16 t,
# then DA1. Inside tmux, tmux's own batch is followed by the same queries wrapped for passthrough,
# and tmux's view (version, client_termname, client_termtype, allow-passthrough, and the pane's place:
# pane_top, pane_left, status, status-position) is saved beside.
set -eu

ESC=$(printf '\033')
XTVERSION="${ESC}[>q"
KITTY="${ESC}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA${ESC}\\"
XTSMGRAPHICS="${ESC}[?2;1;0S"
CELL="${ESC}[16t"
DA1="${ESC}[c"
# TmuxPassthrough.wrap: ESC P tmux; (the sequence with every ESC doubled) ESC \
wrap() { printf '%sPtmux;%s%s\\' "$ESC" "$(printf '%s' "$1" | sed "s/$ESC/$ESC$ESC/g")" "$ESC"; }
# TerminalProbe.directQueries, and tmuxQueries(passthrough: true): tmux's own answers first (never
# the bare kitty query, which tmux would take as the pane's title), then the outer terminal's.
DIRECT="$XTVERSION$KITTY$XTSMGRAPHICS$CELL$DA1"
TMUX_OWN="$XTVERSION$XTSMGRAPHICS$CELL$DA1"
TMUX_WRAPPED="$(wrap "$XTVERSION")$(wrap "$KITTY")$(wrap "$XTSMGRAPHICS")$(wrap "$CELL")$(wrap "$DA1")"

capture() {
    file=$1
    saved=$(stty -g)
    stty raw -echo
    if [ -n "${TMUX:-}" ]; then
        printf '%s' "$TMUX_OWN$TMUX_WRAPPED"
    else
        printf '%s' "$DIRECT"
    fi
    # Replies arrive within milliseconds; a second is plenty even under software GL.
    timeout --foreground 1 cat >"$file" || true
    stty "$saved"
    if [ -n "${TMUX:-}" ]; then
        # TmuxInfo.displayArguments: the answer TmuxInfo.parse(display:) reads.
        tab=$(printf '\t')
        tmux display-message -p -t "$TMUX_PANE" \
            "#{version}$tab#{client_termname}$tab#{client_termtype}$tab#{allow-passthrough}$tab#{pane_top}$tab#{pane_left}$tab#{status}$tab#{status-position}" \
            >"$file.tmux" 2>&1
    fi
}

run_in() {
    # $1: name, then the terminal's command line up to the program it runs.
    name=$1
    shift
    rm -f "$DIR/$name.bin"
    timeout 20 "$@" sh "$SELF" capture "$DIR/$name.bin" >/dev/null 2>&1 || true
    if [ -s "$DIR/$name.bin" ]; then echo "recorded $name"; else echo "no reply from $name"; fi
}

all() {
    DIR=$(cd "${1:-.}" && pwd)
    SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
    export DISPLAY=:91
    Xvfb :91 -screen 0 1920x1080x24 >/dev/null 2>&1 &
    xvfb=$!
    trap 'kill $xvfb' EXIT
    sleep 1
    if command -v kitty >/dev/null; then
        kitty --version >"$DIR/versions.txt"
        LIBGL_ALWAYS_SOFTWARE=1 run_in kitty kitty -o initial_window_width=150c
        if command -v tmux >/dev/null; then
            tmux -V >>"$DIR/versions.txt"
            conf=$(mktemp)
            for passthrough in on off; do
                echo "set -g allow-passthrough $passthrough" >"$conf"
                # A private socket, so nobody's own tmux server is touched.
                LIBGL_ALWAYS_SOFTWARE=1 run_in "kitty-tmux-passthrough-$passthrough" kitty -o initial_window_width=150c \
                    tmux -L latentty-capture -f "$conf" new-session
            done
            rm -f "$conf"
        fi
    else
        echo "skipped kitty: not installed"
    fi
    if command -v xterm >/dev/null; then
        xterm -version >>"$DIR/versions.txt"
        run_in xterm-vt340 xterm -ti vt340 -e
        run_in xterm xterm -e
        if command -v tmux >/dev/null; then
            conf=$(mktemp)
            echo "set -g allow-passthrough on" >"$conf"
            run_in xterm-vt340-tmux-passthrough-on xterm -ti vt340 -e tmux -L latentty-capture -f "$conf" new-session
            rm -f "$conf"
        fi
    else
        echo "skipped xterm: not installed"
    fi
    if command -v mlterm >/dev/null; then
        mlterm --version 2>&1 | head -1 >>"$DIR/versions.txt"
        run_in mlterm mlterm -e
    else
        echo "skipped mlterm: not installed"
    fi
}

case "${1:-}" in
capture) capture "$2" ;;
all) all "${2:-.}" ;;
*)
    echo "usage: $0 all [DIR] | capture FILE" >&2
    exit 2
    ;;
esac
