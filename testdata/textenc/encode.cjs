#!/usr/bin/env node
// Reference text vectors for the onnx/convert/standin parity test, computed without
// any itemvec code: Hugging Face tokenizers (the Rust library, through its
// node binding) and ONNX Runtime (onnxruntime-node). See README.md. Usage:
//
//   node encode.cjs --model MODEL.onnx --tokenizer tokenizer.json
//        [--max-length 128] LINES_JSONL OUT_JSON
//
// LINES_JSONL holds one {"text": "..."} per line. Each text is tokenized
// with special tokens and truncated to --max-length, run through the model
// ALONE (batch of one, so no padding), and the model's last_hidden_state is
// mean-pooled over the attention mask and L2-normalised, in float64. OUT_JSON
// gets, per line, the token count, the ids and the vector, plus the sha256 of
// the model, the tokenizer and the lines so that drift is diagnosable.
'use strict';

const crypto = require('crypto');
const fs = require('fs');

const ort = require('onnxruntime-node');
const { Tokenizer } = require('tokenizers');

function usage(msg) {
  console.error(`encode.cjs: ${msg}`);
  console.error('usage: node encode.cjs --model MODEL.onnx --tokenizer tokenizer.json [--max-length N] LINES_JSONL OUT_JSON');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { model: '', tokenizer: '', maxLength: 128, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--model') opts.model = next();
    else if (a === '--tokenizer') opts.tokenizer = next();
    else if (a === '--max-length') opts.maxLength = Number(next());
    else if (a.startsWith('--')) usage(`unknown flag ${a}`);
    else opts.rest.push(a);
  }
  if (!opts.model || !opts.tokenizer) usage('--model and --tokenizer are required');
  if (!Number.isInteger(opts.maxLength) || opts.maxLength < 2) usage('--max-length must be an integer of at least 2');
  if (opts.rest.length !== 2) usage('want LINES_JSONL and OUT_JSON');
  return opts;
}

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

function readLines(path) {
  return fs
    .readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const obj = JSON.parse(l);
      if (typeof obj.text !== 'string' || obj.text === '') throw new Error(`${path}:${i + 1}: want {"text": "..."}`);
      return obj.text;
    });
}

// meanPoolNormalised averages the rows of hidden ([seq, dim], float32) whose
// mask is 1 and scales the result to unit length, in float64.
function meanPoolNormalised(hidden, mask, dim) {
  const sum = new Float64Array(dim);
  let n = 0;
  mask.forEach((m, s) => {
    if (m !== 1) return;
    n++;
    for (let j = 0; j < dim; j++) sum[j] += hidden[s * dim + j];
  });
  let sq = 0;
  for (let j = 0; j < dim; j++) {
    sum[j] /= n;
    sq += sum[j] * sum[j];
  }
  const norm = Math.sqrt(sq);
  return Array.from(sum, (v) => v / norm);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const [linesPath, outPath] = opts.rest;
  const modelBytes = fs.readFileSync(opts.model);
  const tokenizerBytes = fs.readFileSync(opts.tokenizer);
  const lines = readLines(linesPath);

  const tokenizer = Tokenizer.fromFile(opts.tokenizer);
  tokenizer.setTruncation(opts.maxLength);
  tokenizer.disablePadding();

  const session = await ort.InferenceSession.create(modelBytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const hasTypes = session.inputNames.includes('token_type_ids');

  const items = [];
  for (const [i, text] of lines.entries()) {
    const enc = await tokenizer.encode(text);
    const ids = Array.from(enc.getIds(), Number);
    const mask = Array.from(enc.getAttentionMask(), Number);
    const types = Array.from(enc.getTypeIds(), Number);
    const shape = [1, ids.length];
    const tensor = (v) => new ort.Tensor('int64', BigInt64Array.from(v, BigInt), shape);
    const feeds = { input_ids: tensor(ids), attention_mask: tensor(mask) };
    if (hasTypes) feeds.token_type_ids = tensor(types);
    const out = await session.run(feeds, ['last_hidden_state']);
    const hidden = out.last_hidden_state;
    const dim = hidden.dims[2];
    items.push({
      line: i + 1,
      tokens: ids.length,
      truncated: enc.getOverflowing().length > 0,
      ids,
      vector: meanPoolNormalised(hidden.data, mask, dim),
    });
  }

  const golden = {
    generator: 'testdata/textenc/encode.cjs',
    onnxruntime_node_version: require('onnxruntime-node/package.json').version,
    tokenizers_version: require('tokenizers/package.json').version,
    model_sha256: sha256(modelBytes),
    tokenizer_sha256: sha256(tokenizerBytes),
    lines_sha256: sha256(fs.readFileSync(linesPath)),
    max_length: opts.maxLength,
    pooling: 'mean',
    normalize: true,
    items,
  };
  // Two-space indentation, one item per line: small diffs when it changes.
  const head = JSON.stringify({ ...golden, items: [] }, null, 2).replace(/\n  "items": \[\]\n\}$/, '');
  const body = items.map((it) => '    ' + JSON.stringify(it)).join(',\n');
  fs.writeFileSync(outPath, `${head}\n  "items": [\n${body}\n  ]\n}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
