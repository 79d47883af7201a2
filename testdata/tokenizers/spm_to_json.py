#!/usr/bin/env python3
"""SentencePiece Unigram fixtures for extract/tokenizer's parity tests.

Two subcommands, both deterministic:

  text     writes the training text: every corpus line (JSON strings, one a
           line, split again at line breaks) and every title, description and
           subject of the sample catalog, one sentence a line.

      python3 spm_to_json.py text CORPUS_JSONL CATALOG_TEXTS_JSON > train.txt

  convert  turns a trained SentencePiece .model (a ModelProto) into a Hugging
           Face tokenizer.json the way transformers' converters do:

      python3 spm_to_json.py convert --style xlmr MODEL > tokenizer.json

  --style xlmr   exactly XLM-RoBERTa's / multilingual-e5's layout: <s> <pad>
                 </s> <unk> first (the fairseq offset: SentencePiece id + 1),
                 <mask> last, normalizer Sequence[Precompiled,
                 Replace(" {2,}" -> " ")], the legacy Metaspace form
                 (add_prefix_space: true), post-processor "<s> $A </s>".
  --style first  the same vocabulary layout with the newer converter's parts:
                 Sequence[Precompiled, Strip(right), Replace(" {2,}" -> "▁")],
                 Metaspace prepend_scheme "first" and split false, and the
                 model's byte_fallback flag as trained.

It needs Debian's python3-sentencepiece (for sentencepiece_model_pb2) and
python3-protobuf; run it with /usr/bin/python3. See README.md for the recipe.
"""

import argparse
import base64
import json
import sys

REPLACEMENT = "\u2581"  # ▁


def write_text(corpus_path, catalog_path, out):
    with open(corpus_path, encoding="utf-8") as f:
        for line in f:
            for part in json.loads(line).splitlines():
                if part.strip():
                    out.write(part + "\n")
    with open(catalog_path, encoding="utf-8") as f:
        catalog = json.load(f)
    for photo in catalog["photos"]:
        out.write(photo["subject"] + "\n" + photo["subject_zh"] + "\n")
        for listing in photo["listings"]:
            out.write(listing["title"] + "\n" + listing["description"] + "\n")


def load_model(path):
    from sentencepiece import sentencepiece_model_pb2

    proto = sentencepiece_model_pb2.ModelProto()
    with open(path, "rb") as f:
        proto.ParseFromString(f.read())
    if proto.trainer_spec.model_type != sentencepiece_model_pb2.TrainerSpec.UNIGRAM:
        sys.exit("spm_to_json.py: %s is not a Unigram model" % path)
    first = [p.piece for p in proto.pieces[:3]]
    if first != ["<unk>", "<s>", "</s>"]:
        sys.exit("spm_to_json.py: expected <unk> <s> </s> as the first pieces, got %r" % first)
    return proto


def added(id_, content, lstrip=False):
    return {
        "id": id_,
        "content": content,
        "single_word": False,
        "lstrip": lstrip,
        "rstrip": False,
        "normalized": False,
        "special": True,
    }


def post_processor():
    def special(tok, type_id=0):
        return {"SpecialToken": {"id": tok, "type_id": type_id}}

    def seq(id_, type_id):
        return {"Sequence": {"id": id_, "type_id": type_id}}

    return {
        "type": "TemplateProcessing",
        "single": [special("<s>"), seq("A", 0), special("</s>")],
        "pair": [special("<s>"), seq("A", 0), special("</s>"), special("</s>"), seq("B", 0), special("</s>")],
        "special_tokens": {
            "<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
            "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]},
        },
    }


def convert(proto, style):
    vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]]
    vocab += [[p.piece, p.score] for p in proto.pieces[3:]]
    vocab.append(["<mask>", 0.0])
    charsmap = base64.b64encode(proto.normalizer_spec.precompiled_charsmap).decode("ascii")
    precompiled = {"type": "Precompiled", "precompiled_charsmap": charsmap}
    if style == "xlmr":
        normalizer = {
            "type": "Sequence",
            "normalizers": [precompiled, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}],
        }
        metaspace = {"type": "Metaspace", "replacement": REPLACEMENT, "add_prefix_space": True}
        byte_fallback = False
    else:
        normalizer = {
            "type": "Sequence",
            "normalizers": [
                precompiled,
                {"type": "Strip", "strip_left": False, "strip_right": True},
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": REPLACEMENT},
            ],
        }
        metaspace = {"type": "Metaspace", "replacement": REPLACEMENT, "prepend_scheme": "first", "split": False}
        byte_fallback = proto.trainer_spec.byte_fallback
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            added(0, "<s>"),
            added(1, "<pad>"),
            added(2, "</s>"),
            added(3, "<unk>"),
            added(len(vocab) - 1, "<mask>", lstrip=True),
        ],
        "normalizer": normalizer,
        "pre_tokenizer": metaspace,
        "post_processor": post_processor(),
        "decoder": dict(metaspace),
        "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": byte_fallback},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("text")
    t.add_argument("corpus")
    t.add_argument("catalog")
    c = sub.add_parser("convert")
    c.add_argument("--style", choices=["xlmr", "first"], required=True)
    c.add_argument("model")
    args = ap.parse_args()
    if args.cmd == "text":
        write_text(args.corpus, args.catalog, sys.stdout)
        return
    tok = convert(load_model(args.model), args.style)
    json.dump(tok, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
