#!/usr/bin/env bash
# Fuzzes latentty's readers with libFuzzer and the address sanitizer (targets in Fuzz/Targets).
#
#   scripts/fuzz.sh TARGET [MINUTES]   fuzz one target (default 1 minute)
#   scripts/fuzz.sh all [MINUTES]      every target in turn, MINUTES each
#   scripts/fuzz.sh smoke              every target for a few seconds (under 60 s of fuzzing in all)
#   scripts/fuzz.sh replay TARGET FILE...   run inputs once (a crash to reproduce, or a corpus)
#
# Targets: safetensors latent npy npz pt png jpeg request response replies.
# Seeds come from Fuzz/corpus/TARGET (read only), tokens from Fuzz/dict/TARGET.dict; what libFuzzer finds goes to
# .build/fuzz/corpus/TARGET, crashes and slow or greedy inputs to .build/fuzz/crashes/TARGET.
# An input fails if it crashes, runs over 5 s, or makes the process use over 2 GiB.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(safetensors latent npy npz pt png jpeg request response replies)
scratch=.build/fuzz

build() {
    for target in "$@"; do
        local log="$scratch/build-$target.log"
        mkdir -p "$scratch"
        # `--sanitize fuzzer` gives libFuzzer's main; the swiftc flag is what instruments the Swift code
        # (given twice, SwiftPM's `-sanitize=` flags override each other: the last alone would apply).
        if ! swift build -c debug --scratch-path "$scratch" --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address \
            --product "latentty-fuzz-$target" >"$log" 2>&1; then
            grep -v "Cannot export local symbol" "$log" | tail -40
            echo "fuzz: building latentty-fuzz-$target failed (log: $log)" >&2
            exit 1
        fi
    done
}

binary() { echo "$scratch/debug/latentty-fuzz-$1"; }

fuzz() {
    local target=$1 seconds=$2
    local work="$scratch/corpus/$target" crashes="$scratch/crashes/$target" log="$scratch/fuzz-$target.log"
    local dict=()
    [[ -f Fuzz/dict/$target.dict ]] && dict=(-dict="Fuzz/dict/$target.dict")
    mkdir -p "$work" "$crashes"
    echo "fuzz: $target for ${seconds} s"
    if "$(binary "$target")" "$work" "Fuzz/corpus/$target" "${dict[@]}" -max_total_time="$seconds" -timeout=5 \
        -rss_limit_mb=2048 -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1; then
        grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)" "$log"
    else
        grep -v "^#[0-9]* *\(NEW\|REDUCE\|pulse\|INITED\|RELOAD\)" "$log" | tail -60
        echo "fuzz: $target failed; the input is in $crashes/ (log: $log)" >&2
        return 1
    fi
}

known() {
    for target in "${targets[@]}"; do [[ $target == "$1" ]] && return 0; done
    echo "fuzz: no target '$1'; targets are: ${targets[*]}" >&2
    exit 2
}

case "${1:-}" in
smoke)
    build "${targets[@]}"
    for target in "${targets[@]}"; do fuzz "$target" 5; done
    ;;
all)
    build "${targets[@]}"
    for target in "${targets[@]}"; do fuzz "$target" $((${2:-1} * 60)); done
    ;;
replay)
    known "${2:-}"
    build "$2"
    "$(binary "$2")" "${@:3}"
    ;;
"" | -h | --help)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    ;;
*)
    known "$1"
    build "$1"
    fuzz "$1" $((${2:-1} * 60))
    ;;
esac
