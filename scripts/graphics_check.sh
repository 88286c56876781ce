#!/usr/bin/env bash
# Pictures in real terminals, screenshotted under Xvfb: for each terminal found — kitty, kitty with
# tmux, xterm as a VT340 (sixel) and mlterm —
#   show       `latentty show --graphics P --width W --height H` (P: kitty, or sixel) of a picture
#              with 1-pixel checkerboards, gradients and hard edges, sized to whole cells so it is
#              drawn at 1:1; the screenshot's picture (found by its magenta frame) is compared with
#              the image pixel for pixel; then the same in a box of no whole number of cells (it
#              must be drawn at latentty's fitted size, not stretched), then without --graphics
#              (detection must find P);
#   control    the same with --graphics blocks: half blocks must score far below the pass line, so
#              a fallback can never pass for the real thing;
#   reference  the same picture through another encoder (kitty's icat, ImageMagick's sixel): what
#              the terminal itself can do, for comparison;
#   workbench  `latentty LATENT --local --decode`: the preview pane's picture against the decoded
#              result (found as the densest colourful block, refined to the best placement);
#   bench      `latentty bench graphics --terminal`: encode time, bytes and time to first picture
#              (the terminal's DA1 answer after the picture) per protocol the terminal speaks.
# Prints PSNR (dB) and distinct colours for each, PASS/FAIL against the lines below, and which
# terminals it skipped. Not part of CI (too heavy); run it before a release and after changing
# anything between a picture and the terminal. See docs/GRAPHICS.md.
#   scripts/graphics_check.sh [BINARY]        (default .build/debug/latentty)
# Environment: TERMINALS="kitty kitty-tmux xterm mlterm" to choose, BENCH_SIZES="512 1024" (empty:
# no bench), KEEP=DIR to keep screenshots and logs there.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="$(realpath "${1:-.build/debug/latentty}")"
helpers="$(realpath scripts/graphics)"
terminals="${TERMINALS:-kitty kitty-tmux xterm mlterm}"
bench_sizes="${BENCH_SIZES-512 1024}"
# Pass lines: kitty and iTerm2 send exact pixels; sixel has 256 colour registers (dithered).
exact_line=30
sixel_line=20

missing=()
for tool in Xvfb xdotool import convert python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
python3 -c 'import numpy' 2>/dev/null || missing+=("python3-numpy")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "missing: ${missing[*]}; install them with:"
  echo "  apt-get install -y xvfb xdotool imagemagick python3-numpy fonts-dejavu-core"
  exit 2
fi
[ -x "$binary" ] || { echo "no latentty at $binary (swift build first)"; exit 2; }

work="$(mktemp -d)"
display=":$((70 + RANDOM % 20))"
failures=0
cleanup() {
  [ -n "${term_pid:-}" ] && kill "$term_pid" 2>/dev/null || true
  tmux -L "graphics-check-$$" kill-server 2>/dev/null || true
  [ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -r "$work"/. "$KEEP"/; fi
  rm -rf "$work"
}
trap cleanup EXIT
Xvfb "$display" -screen 0 1920x1200x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
export DISPLAY="$display"
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

# Starts terminal $1 running the shell command $2 at the screen's top-left, waits until the
# command has written $work/done (or $4 seconds, default 120), lets the terminal paint, and
# screenshots the screen into $3.
in_terminal() {
  local name="$1" command="$2" shot="$3" limit="${4:-120}"
  rm -f "$work/done"
  local inner="printf '\\033[?25l\\033[2J\\033[H'; $command; touch '$work/done'; sleep 600"
  case "$name" in
    kitty)
      LIBGL_ALWAYS_SOFTWARE=1 kitty -o remember_window_size=no -o initial_window_width=150c -o initial_window_height=48c \
        -o font_family='DejaVu Sans Mono' -o font_size=11 sh -c "$inner" >"$work/kitty.log" 2>&1 &
      ;;
    kitty-tmux)
      LIBGL_ALWAYS_SOFTWARE=1 kitty -o remember_window_size=no -o initial_window_width=150c -o initial_window_height=48c \
        -o font_family='DejaVu Sans Mono' -o font_size=11 \
        tmux -L "graphics-check-$$" -f /dev/null new-session \
        "tmux set -g status off; tmux set -p allow-passthrough on; $inner" >"$work/kitty.log" 2>&1 &
      ;;
    xterm)
      xterm -ti vt340 -xrm 'XTerm*decTerminalID: vt340' -xrm 'XTerm*numColorRegisters: 256' \
        -xrm 'XTerm*maxGraphicSize: 1900x1200' -geometry 150x48+0+0 -fa 'DejaVu Sans Mono' -fs 11 \
        -e sh -c "$inner" >"$work/xterm.log" 2>&1 &
      ;;
    mlterm)
      mlterm -g 150x48+0+0 -e sh -c "$inner" >"$work/mlterm.log" 2>&1 &
      ;;
  esac
  term_pid=$!
  for _ in $(seq $((limit * 10))); do [ -f "$work/done" ] && break; sleep 0.1; done
  [ -f "$work/done" ] || echo "  (the command did not finish within $limit s)"
  # Software GL and the X server paint after the bytes are parsed; no signal says when.
  sleep 2
  import -window root "$shot"
  kill "$term_pid" 2>/dev/null || true
  wait "$term_pid" 2>/dev/null || true
  tmux -L "graphics-check-$$" kill-server 2>/dev/null || true
  term_pid=
}

# Scores the picture in screenshot $2 against image $3 (mode $4: frame, find or "box X Y") and judges it by
# pass line $5 ("-": no verdict; 0: a control that must stay below $6); prints one line and
# counts failures.
judge() {
  local label="$1" shot="$2" expected="$3" mode="$4" line="$5" ceiling="${6:-0}"
  convert "$shot" "$work/shot.ppm"
  local result psnr verdict
  local place=()
  [[ "$mode" == box* ]] && read -ra place <<<"${mode#box }"
  result="$(python3 "$helpers/compare.py" "${mode%% *}" "$work/shot.ppm" "$expected" "${place[@]}")"
  psnr="$(sed -n 's/.*psnr=\([0-9.]*\).*/\1/p' <<<"$result")"
  if [ "$line" = - ]; then
    verdict="(for comparison)"
  elif [ "$line" != 0 ] && [ "$mode" = frame ]; then
    # A framed picture must also be drawn at its own size: not stretched to whole cells.
    verdict="$(python3 -c "print('PASS' if $psnr >= $line and '$result'.endswith('size_ok=yes') else 'FAIL')") (pass: PSNR ≥ $line dB at its own size)"
  elif [ "$line" != 0 ]; then
    verdict="$(python3 -c "print('PASS' if $psnr >= $line else 'FAIL')") (pass: PSNR ≥ $line dB)"
  else
    verdict="$(python3 -c "print('PASS' if $psnr < $ceiling else 'FAIL')") (a control: must stay below $ceiling dB)"
  fi
  [[ "$verdict" == FAIL* ]] && failures=$((failures + 1))
  printf '  %-32s %s  %s\n' "$label" "$result" "$verdict"
}

has_show() { "$binary" --help | grep -q '^  show '; }
# A latent whose approx decode has detail at the scale of one latent cell (8 pixels, finer than a
# half block) in colours a 256-colour palette can hold: sixel scores well above half blocks.
python3 - "$work/detail.npy" <<'PY'
import sys
import numpy as np
y, x = np.mgrid[0:64, 0:64].astype(np.float64)
channels = [np.sin(2 * np.pi * (x / 5 + y / 11)), np.cos(2 * np.pi * (y / 4 - x / 13)), np.sin(2 * np.pi * x * y / 700 + x / 9),
            np.cos(2 * np.pi * x / 7) * np.sin(2 * np.pi * y / 6)]
np.save(sys.argv[1], (np.stack(channels)[None] * 1.6).astype(np.float32))
PY

for name in $terminals; do
  program="${name%%-*}"
  if ! command -v "$program" >/dev/null; then
    echo "SKIP $name: $program is not installed (apt-get install -y $program)"
    continue
  fi
  if [ "$name" = kitty-tmux ] && ! command -v tmux >/dev/null; then
    echo "SKIP $name: tmux is not installed (apt-get install -y tmux)"
    continue
  fi
  echo "== $name"
  # The cell size, and where the top-left cell is on the screen: four magenta cells there.
  in_terminal "$name" "python3 '$helpers/replies.py' '$work/replies'; python3 '$helpers/cellsize.py' '$work/geometry'; printf '\\033[2J\\033[H\\033[48;2;255;0;255m    \\033[0m'" \
    "$work/$name-geometry.png"
  # What detection has to go on: the raw answers to its queries (XTVERSION, kitty, XTSMGRAPHICS, CSI 16 t, DA1).
  echo "  replies: $(cat "$work/replies" 2>/dev/null || echo none)"
  read -r columns rows cell_width cell_height <"$work/geometry"
  convert "$work/$name-geometry.png" "$work/shot.ppm"
  read -r origin_x origin_y < <(python3 "$helpers/compare.py" frame "$work/shot.ppm" "$work/shot.ppm" | sed -n 's/^at x=\([0-9]*\) y=\([0-9]*\).*/\1 \2/p')
  echo "  terminal $columns×$rows cells of $cell_width×$cell_height px, top-left cell at ${origin_x:-?},${origin_y:-?}"
  # A picture of whole cells, its height a whole number of sixel bands too, so every protocol
  # draws it at 1:1.
  cells_wide=40
  cells_high=$(((cells_wide * cell_width + cell_height / 2) / cell_height))
  while [ $((cells_high * cell_height % 6)) -ne 0 ]; do cells_high=$((cells_high + 1)); done
  width=$((cells_wide * cell_width))
  height=$((cells_high * cell_height))
  python3 "$helpers/make_image.py" "$width" "$height" "$work/detail.ppm"
  convert "$work/detail.ppm" "$work/detail.png"
  case "$name" in
    kitty | kitty-tmux) protocol=kitty line=$exact_line ;;
    *) protocol=sixel line=$sixel_line ;;
  esac

  if has_show; then
    show="'$binary' show '$work/detail.png' --width $cells_wide --height $cells_high --no-caption"
    in_terminal "$name" "$show --graphics $protocol" "$work/$name-show.png"
    judge "show --graphics $protocol" "$work/$name-show.png" "$work/detail.ppm" frame "$line"
    # A box that is not a whole number of cells: latentty scales the picture (ImageFitting) and
    # it must be drawn at that size, not stretched to the cells it touches.
    python3 "$helpers/compare.py" fit "$work/detail.ppm" $((cells_wide + 1)) $((cells_high + 10)) "$cell_width" "$cell_height" "$work/fitted.ppm"
    in_terminal "$name" "'$binary' show '$work/detail.png' --width $((cells_wide + 1)) --height $((cells_high + 10)) --no-caption --graphics $protocol" \
      "$work/$name-show-fitted.png"
    judge "show, scaled (not whole cells)" "$work/$name-show-fitted.png" "$work/fitted.ppm" frame "$line"
    # What a user gets without saying: detection must find the protocol.
    in_terminal "$name" "$show" "$work/$name-show-auto.png"
    judge "show (graphics auto)" "$work/$name-show-auto.png" "$work/detail.ppm" frame "$line"
    in_terminal "$name" "$show --graphics blocks" "$work/$name-blocks.png"
    judge "control: show --graphics blocks" "$work/$name-blocks.png" "$work/detail.ppm" "box ${origin_x:-0} ${origin_y:-0}" 0 "$sixel_line"
  else
    echo "  SKIP show: this latentty has no show command"
  fi
  case "$name" in
    kitty) reference="kitty +kitten icat --align left '$work/detail.png'" ;;
    xterm | mlterm) reference="convert '$work/detail.png' sixel:-" ;;
    *) reference= ;;
  esac
  if [ -n "$reference" ]; then
    in_terminal "$name" "$reference" "$work/$name-reference.png"
    judge "reference (${reference%% *})" "$work/$name-reference.png" "$work/detail.ppm" frame -
  fi

  # The workbench with the protocol named (where it knows the name), then as a user starts it.
  choices=auto
  "$binary" workbench --help | tr -d '\n' | grep -q "values: auto,[^)]*$protocol" && choices="$protocol auto"
  for choice in $choices; do
    out="$work/out-$name-$choice"
    # The workbench runs in the foreground (it reads the terminal); a watcher says when its result
    # is written, and the preview has had a moment to be encoded and drawn.
    watcher="(until [ -f '$out/detail.jpg' ]; do sleep 0.2; done; sleep 3; touch '$work/done') &"
    in_terminal "$name" "$watcher cd '$work' && XDG_STATE_HOME='$work/state' '$binary' detail.npy --preset sd15 --local --engine approx --decode --no-journal --graphics $choice --out '$out'" \
      "$work/$name-workbench-$choice.png"
    if [ -f "$out/detail.jpg" ]; then
      convert "$out/detail.jpg" "$work/decoded.ppm"
      judge "workbench preview ($choice)" "$work/$name-workbench-$choice.png" "$work/decoded.ppm" find "$line"
    else
      echo "  FAIL workbench ($choice): the decode did not finish"
      failures=$((failures + 1))
    fi
  done

  if [ -n "$bench_sizes" ]; then
    case "$name" in
      kitty) protocols="kitty kitty-placeholders iterm2 blocks-truecolor" ;;
      kitty-tmux) protocols="kitty kitty-placeholders blocks-truecolor" ;;
      *) protocols="sixel blocks-256" ;;
    esac
    arguments="$(for p in $protocols; do printf -- ' --protocol %s' "$p"; done)$(for s in $bench_sizes; do printf -- ' --size %s' "$s"; done)"
    in_terminal "$name" "'$binary' bench graphics --terminal --repeats 1 $arguments > '$work/$name-bench.txt' 2>&1" "$work/$name-bench.png" 1800
    sed 's/^/  bench: /' "$work/$name-bench.txt"
  fi
done
echo "failures: $failures"
[ "$failures" -eq 0 ]
