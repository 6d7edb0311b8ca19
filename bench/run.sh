#!/usr/bin/env bash
# bench/run.sh: autoenc against PyTorch on this machine, in one run.
#
# For each built-in model it alternates autoenc (bench/cmd/aebench) and
# PyTorch (bench/torch_bench.py, Debian's python3 and python3-torch, 2
# threads) ROUNDS times: STEPS SGD training steps at batch 32, then inference
# on INFER images, each in a fresh process. bench/report.py prints the table
# (best round of each side: other processes on a shared machine only ever
# slow a run down).
#
# PyTorch runs twice per round: as Debian installs it (its libblas.so.3 is
# whatever the alternatives system points at; on a bare install that is the
# reference BLAS) and, when bench/.openblas holds OpenBLAS (bench/run.sh
# --openblas fetches Debian's libopenblas0-pthread there with apt-get
# download; nothing is installed system-wide), with OpenBLAS preloaded.
#
#   bench/run.sh [--openblas]              # STEPS=200 INFER=10000 ROUNDS=3
#   MODELS="conv" ROUNDS=1 bench/run.sh    # one model, quick
set -euo pipefail
cd "$(dirname "$0")/.."

STEPS=${STEPS:-200}
INFER=${INFER:-10000}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
MODELS=${MODELS:-"stacked conv recurrent denoising-gaussian denoising-dropout"}
PY=/usr/bin/python3 # Debian's, with python3-torch; not a pyenv shim
OB=bench/.openblas/usr/lib/x86_64-linux-gnu/openblas-pthread

if [[ ${1:-} == --openblas && ! -e $OB/libblas.so.3 ]]; then
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download libopenblas0-pthread >/dev/null)
	dpkg -x "$tmp"/libopenblas0-pthread_*.deb bench/.openblas
	rm -rf "$tmp"
fi

bin=$(mktemp -d)/aebench
trap 'rm -rf "$(dirname "$bin")"' EXIT
CGO_ENABLED=0 go build -o "$bin" ./bench/cmd/aebench
CGO_ENABLED=0 go build -o "$(dirname "$bin")/fmapeak" ./bench/cmd/fmapeak

out=${OUT:-bench/last.jsonl}
: >"$out"
{
	echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs"
	echo "# go $(go env GOVERSION), torch $($PY -c 'import torch; print(torch.__version__)'), libblas.so.3 -> $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
	echo "# STEPS=$STEPS INFER=$INFER ROUNDS=$ROUNDS THREADS=$THREADS"
	"$(dirname "$bin")/fmapeak" -threads "$THREADS" # the measured FMA peak, for "% of peak"
} >>"$out"
for m in $MODELS; do
	for r in $(seq "$ROUNDS"); do
		echo "round $r: $m" >&2
		"$bin" -model "$m" -steps "$STEPS" -infer "$INFER" -threads "$THREADS" >>"$out"
		$PY bench/torch_bench.py --model "$m" --steps "$STEPS" --infer "$INFER" --threads "$THREADS" >>"$out"
		if [[ -e $OB/libblas.so.3 ]]; then
			LD_LIBRARY_PATH=$OB OPENBLAS_NUM_THREADS=1 $PY bench/torch_bench.py --impl pytorch+openblas \
				--model "$m" --steps "$STEPS" --infer "$INFER" --threads "$THREADS" >>"$out"
		fi
	done
done
$PY bench/report.py "$out"
