# itemvec — see README.md. `make run` and `make test` install what they need.
SHELL := /bin/bash
GO    ?= go
BIN   := bin/itemvec
GOTEST_FLAGS ?= -count=1 -timeout 20m

.PHONY: all setup setup-test setup-gpu build build-worker run test test-faults test-short test-purego bench bench-ref gpu-check-build gpu-check lint goldens clean

all: build

## setup: fetch ONNX Runtime, convert the image model, build the sample catalog (into .deps/)
setup:
	@.ci/setup.sh runtime

## setup-test: setup + redis-server, the en_US.UTF-8 locale and versitygw (a real S3 server)
setup-test:
	@.ci/setup.sh test

## setup-gpu: fetch the CUDA execution provider libraries for ORT 1.29 (CUDA 13 host)
setup-gpu: setup
	@.ci/setup.sh gpu

build:
	$(GO) build -o $(BIN) ./cmd/itemvec

## build-worker: the deployment binary (-tags worker): no demo, no in-process Redis/S3, no model converters
build-worker:
	$(GO) build -tags worker -o bin/itemvec-worker ./cmd/itemvec

## run: the whole job on embedded Redis + S3 with the sample catalog
run: setup build
	$(BIN) run

## test: every test, against real redis-server, versitygw and ONNX Runtime, then the fault-injection suite
test: setup-test
	ITEMVEC_REQUIRE_DEPS=1 $(GO) test $(GOTEST_FLAGS) $$($(GO) list ./... | grep -v /workers/faults)
	ITEMVEC_REQUIRE_DEPS=1 $(GO) test -count=1 -race ./onnx/ ./workers/ ./workers/demo/
	@$(MAKE) --no-print-directory test-purego
	@$(MAKE) --no-print-directory test-faults

## test-purego: the build without libjpeg-turbo (-tags itemvec_purego: Go's JPEG decoder) and without cgo
test-purego: setup-test
	ITEMVEC_REQUIRE_DEPS=1 $(GO) test $(GOTEST_FLAGS) -tags itemvec_purego ./extract/ ./workers/
	CGO_ENABLED=0 $(GO) test $(GOTEST_FLAGS) ./extract/

## test-faults: the fault-injection suite (Redis restart, S3 faults, kill -9, bad inputs) with its figures (~4 min)
test-faults: setup-test
	@set -o pipefail; ITEMVEC_REQUIRE_DEPS=1 $(GO) test $(GOTEST_FLAGS) -v ./workers/faults/ | grep -E '^(--- |ok|FAIL|panic)|FAULT|_test.go:'

## test-short: unit tests only; nothing is fetched
test-short:
	$(GO) test -short ./...

## bench: raw ORT vs end-to-end throughput and per-stage time (sample catalog, large photos); decode+prep vs C; tokenizer vs HF tokenizers; similar-item scans; HNSW recall on 50k vectors
bench: setup-test build bench-ref
	$(BIN) bench
	$(BIN) bench --set large
	$(BIN) bench --prep .deps/catalog/images
	$(BIN) bench --prep .deps/large
	cd testdata/tokenizers && npm ci --no-audit --no-fund
	$(BIN) bench --tokenizer .deps/tokenizers/bert-base-uncased.json
	ITEMVEC_REQUIRE_DEPS=1 $(GO) test -run '^$$' -bench . -benchtime 20x ./extract/ ./fusion/
	ITEMVEC_REQUIRE_DEPS=1 $(GO) test -run '^$$' -bench 'Scan|Dot|SimilarExact' -benchmem ./fusion/knn/ ./storage/reader/
	$(GO) test -run '^$$' -bench HNSWRecall50k -benchtime 1x -timeout 60m ./fusion/knn/

## bench-ref: the C reference of decode+prep (libjpeg-turbo scaled decode + box resize) that bench --prep compares with
bench-ref: .deps/bin/turboref
.deps/bin/turboref: testdata/bench/turboref.c
	@mkdir -p .deps/bin
	cc -O2 -Wall -Wextra -o $@ $< -lturbojpeg -lm

## gpu-check-build: build what gpu-check runs on a GPU host without network (after make setup-gpu)
gpu-check-build: setup-gpu build
	$(GO) test -c -o bin/onnx.test ./onnx/
	$(GO) test -c -o bin/workers.test ./workers/

## gpu-check: CUDA tests + bench --device cuda --max-batch 64|128|256 into gpu-check.txt (GPU host)
gpu-check:
	.ci/gpu-check.sh gpu-check.txt

lint:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags worker ./cmd/...
	CGO_ENABLED=0 $(GO) build ./...

## goldens: regenerate the reference goldens from TensorFlow.js, HF tokenizers and onnxruntime-node (needs npm)
goldens: setup-test
	cd testdata/tfjs && npm ci --no-audit --no-fund
	cd testdata/textenc && npm ci --no-audit --no-fund
	cd testdata/tokenizers && npm ci --no-audit --no-fund
	cd testdata/use && npm ci --no-audit --no-fund
	ITEMVEC_REQUIRE_DEPS=1 $(GO) test ./onnx/convert/keras/ -run Golden -update
	ITEMVEC_REQUIRE_DEPS=1 $(GO) test ./onnx/convert/standin/ -run Parity -update
	ITEMVEC_REQUIRE_DEPS=1 $(GO) test ./extract/tokenizer/ -run TestParity -update
	ITEMVEC_REQUIRE_DEPS=1 $(GO) test ./extract/usetok/ -run Golden -update

clean:
	rm -rf bin
