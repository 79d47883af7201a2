#!/usr/bin/env bash
# GPU check (issue 9): runs the CUDA tests and the CUDA benchmark on a GPU
# host and writes every figure to one file. It needs no network and no Go
# toolchain there: `make gpu-check-build` (on any machine with the
# repository set up: make setup-gpu) builds everything into bin/ and .deps/
# first. Usage, from the repository root on the GPU host:
#
#   .ci/gpu-check.sh [OUT_FILE]        (default gpu-check.txt)
#
# CUDA 13 and cuDNN 9 libraries must be loadable: on LD_LIBRARY_PATH, or in
# a Python venv's nvidia/*/lib folders (found under $CUDA_LIBS_ROOT, default
# / — searched a few levels deep).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-gpu-check.txt}
: >"$out"
log() { echo "== $*" | tee -a "$out"; }

for f in bin/itemvec bin/onnx.test bin/workers.test .deps/ort/libonnxruntime_providers_cuda.so; do
	[[ -e $f ]] || { echo "missing $f: run make gpu-check-build first" >&2; exit 2; }
done
if [[ -z "${ITEMVEC_CUDA_LIBS:-}" ]]; then
	ITEMVEC_CUDA_LIBS=$(find "${CUDA_LIBS_ROOT:-/}" -maxdepth 8 -type d -path '*/nvidia/*/lib' 2>/dev/null | sort | paste -sd: -)
fi
export LD_LIBRARY_PATH=${ITEMVEC_CUDA_LIBS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export ITEMVEC_DEPS=$PWD/.deps ITEMVEC_REQUIRE_DEPS=1 ITEMVEC_TEST_CUDA=1 LANG=en_US.UTF-8

log "host: $(nproc) CPUs; $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo 'nvidia-smi missing')"
log "CUDA libraries: ${ITEMVEC_CUDA_LIBS:-none found, using the system library path}"
status=0
log "CUDA tests (onnx)"
(cd onnx && ../bin/onnx.test -test.run 'CUDA' -test.v 2>&1) | tee -a "$out" | grep -E '^(--- |ok|FAIL|PASS)' || true
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
log "CUDA tests (workers)"
(cd workers && ../bin/workers.test -test.run 'CUDA' -test.v 2>&1) | tee -a "$out" | grep -E '^(--- |ok|FAIL|PASS)' || true
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
# Tasks hold 8 items: batch/4 tasks in flight keep two full batches queued.
# Runs long enough to measure at GPU rates: the catalog 300 times (13,500
# items, a few seconds at the ~5,000 items/s 16 cores can decode), the 48
# large photos 60 times (2,880 + 45 items; ~1,600/s): start and drain are a
# small share of that, as the raw figure's 3 s are of steady batches.
# P3's configuration (catalog, batch 64) runs 3 times for a median.
rounds() { [[ $1 == catalog ]] && echo 300 || echo 60; }
for set in catalog large; do
	for batch in 64 128 256; do
		runs=1
		[[ $set == catalog && $batch == 64 ]] && runs=3
		log "itemvec bench --device cuda --max-batch $batch --set $set --rounds $(rounds $set) --concurrency $((batch / 4)) --runs $runs"
		bin/itemvec bench --device cuda --max-batch "$batch" --set "$set" --rounds "$(rounds $set)" --raw-for 3s --concurrency $((batch / 4)) \
			--runs "$runs" --refresh=false 2>&1 | grep -v '^time=' | tee -a "$out" || status=1
	done
done
# Two CUDA sessions behind the one batcher: one batch's copy to the GPU and
# the next one's assembly overlap the other's run.
log "itemvec bench --device cuda --max-batch 64 --image-sessions 2 --rounds 300 --concurrency 32"
bin/itemvec bench --device cuda --max-batch 64 --image-sessions 2 --rounds 300 --raw-for 3s --concurrency 32 --refresh=false 2>&1 |
	grep -v '^time=' | tee -a "$out" || status=1
log "itemvec bench --prep .deps/large (decode+prep on one core of this host)"
bin/itemvec bench --prep .deps/large 2>&1 | tee -a "$out" || status=1
log "exit status $status"
exit $status
