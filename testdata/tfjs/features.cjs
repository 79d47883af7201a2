#!/usr/bin/env node
// Reference MobileNetV2 features from TensorFlow.js, for the onnx/convert/keras parity
// test. See README.md. Usage:
//
//   node features.cjs --model-dir DIR [--scale 255] [--mean 0,0,0]
//        [--std 1,1,1] INPUT_DIR OUT_JSON
//
// DIR holds nsfwjs's model.min.js and group1-shard1of1.min.js. INPUT_DIR holds
// NAME.rgb files: raw 8-bit RGB pixels, row-major NHWC, HEIGHTxWIDTHx3 of the
// model's input size (made by the Go test with the project's own
// preprocessing). Each value fed to the model is (p/scale - mean[c]) / std[c],
// computed in float32 like extract.Tensor. OUT_JSON gets, per input in name
// order, the sha256 of the raw bytes and the output of the backbone's global
// average pooling.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const tf = require('@tensorflow/tfjs');

const MODEL_FILE = 'model.min.js';
const WEIGHTS_FILE = 'group1-shard1of1.min.js';

function usage(msg) {
  console.error(`features.cjs: ${msg}`);
  console.error('usage: node features.cjs --model-dir DIR [--scale S] [--mean a,b,c] [--std a,b,c] INPUT_DIR OUT_JSON');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { modelDir: '', scale: 255, mean: [0, 0, 0], std: [1, 1, 1], rest: [] };
  const triple = (name, v) => {
    const t = String(v).split(',').map(Number);
    if (t.length !== 3 || t.some((x) => !Number.isFinite(x))) usage(`${name} wants three numbers, got ${v}`);
    return t;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--model-dir') opts.modelDir = next();
    else if (a === '--scale') opts.scale = Number(next());
    else if (a === '--mean') opts.mean = triple(a, next());
    else if (a === '--std') opts.std = triple(a, next());
    else if (a.startsWith('--')) usage(`unknown flag ${a}`);
    else opts.rest.push(a);
  }
  if (!opts.modelDir) usage('--model-dir is required');
  if (opts.rest.length !== 2) usage('want INPUT_DIR and OUT_JSON');
  if (!(opts.scale > 0) || opts.std.some((s) => s === 0)) usage('scale and std must be non-zero');
  return opts;
}

// loadUMD evaluates a UMD/browserify bundle in an empty context that offers
// only `module` and `exports`, and returns what it exported. The bundles are
// plain data (an object literal and a base64 string), so they need nothing
// else. The result is copied into this realm through JSON: tfjs tests
// `instanceof Array`, which arrays from another vm context fail.
function loadUMD(file) {
  const src = fs.readFileSync(file, 'utf8');
  const module = { exports: {} };
  vm.runInNewContext(src, { module, exports: module.exports }, { filename: file, timeout: 60000 });
  return JSON.parse(JSON.stringify(module.exports));
}

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

// outputLayerName finds the backbone's global average pooling the way the Go
// converter does: the first GlobalAveragePooling2D, or the first Flatten fed
// by an AveragePooling2D.
function outputLayerName(topology) {
  const layers = topology.model_config.config.layers;
  const byName = new Map(layers.map((l) => [l.name, l]));
  for (const l of layers) {
    if (l.class_name === 'GlobalAveragePooling2D') return l.name;
    if (l.class_name === 'Flatten' && l.inbound_nodes.length === 1 && l.inbound_nodes[0].length === 1) {
      const src = byName.get(l.inbound_nodes[0][0][0]);
      if (src && src.class_name === 'AveragePooling2D') return l.name;
    }
  }
  throw new Error('no global average pooling in the model');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const [inputDir, outFile] = opts.rest;

  await tf.setBackend('cpu');
  await tf.ready();

  const modelPath = path.join(opts.modelDir, MODEL_FILE);
  const weightsPath = path.join(opts.modelDir, WEIGHTS_FILE);
  const modelJSON = loadUMD(modelPath);
  const weightsB64 = loadUMD(weightsPath);
  if (typeof weightsB64 !== 'string') throw new Error(`${WEIGHTS_FILE} did not export a base64 string`);
  const paths = modelJSON.weightsManifest.flatMap((g) => g.paths);
  if (paths.length !== 1) throw new Error(`expected one weight shard, manifest lists ${paths}`);
  const weightBytes = Buffer.from(weightsB64, 'base64');

  const handler = {
    load: async () => ({
      modelTopology: modelJSON.modelTopology,
      weightSpecs: modelJSON.weightsManifest.flatMap((g) => g.weights),
      weightData: weightBytes.buffer.slice(weightBytes.byteOffset, weightBytes.byteOffset + weightBytes.byteLength),
    }),
  };
  const full = await tf.loadLayersModel(handler);
  const layerName = outputLayerName(modelJSON.modelTopology);
  const backbone = tf.model({ inputs: full.inputs, outputs: full.getLayer(layerName).output });
  const [, height, width, channels] = full.inputs[0].shape;
  if (channels !== 3) throw new Error(`model input has ${channels} channels, want 3`);

  const names = fs.readdirSync(inputDir).filter((f) => f.endsWith('.rgb')).sort();
  if (names.length === 0) throw new Error(`no .rgb files in ${inputDir}`);
  const photos = [];
  for (const file of names) {
    const raw = fs.readFileSync(path.join(inputDir, file));
    if (raw.length !== height * width * 3) {
      throw new Error(`${file}: ${raw.length} bytes, want ${height}x${width}x3 = ${height * width * 3}`);
    }
    const features = tf.tidy(() => {
      const x = tf.tensor4d(new Float32Array(raw), [1, height, width, 3], 'float32')
        .div(tf.scalar(opts.scale))
        .sub(tf.tensor1d(opts.mean))
        .div(tf.tensor1d(opts.std));
      return backbone.predict(x).dataSync();
    });
    photos.push({
      name: path.basename(file, '.rgb'),
      input_sha256: sha256(raw),
      // 9 significant digits restore the float32 exactly.
      features: Array.from(features, (v) => Number(v.toPrecision(9))),
    });
  }

  const head = {
    generator: 'testdata/tfjs/features.cjs',
    tfjs_version: tf.version.tfjs,
    backend: tf.getBackend(),
    model_js_sha256: sha256(fs.readFileSync(modelPath)),
    weights_js_sha256: sha256(fs.readFileSync(weightsPath)),
    layer: layerName,
    input: { height, width, layout: 'NHWC uint8 RGB' },
    normalize: { scale: opts.scale, mean: opts.mean, std: opts.std },
  };
  // One photo per line keeps the file diffable without 1280 lines per photo.
  const lines = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const photoLines = photos.map((p) => `    ${JSON.stringify(p)}`);
  const text = `{\n${lines.join(',\n')},\n  "photos": [\n${photoLines.join(',\n')}\n  ]\n}\n`;
  JSON.parse(text); // never write a file that does not parse
  fs.writeFileSync(outFile, text);
  console.error(`features.cjs: ${photos.length} photos, layer ${layerName}, tfjs ${tf.version.tfjs} (${tf.getBackend()})`);
}

main().catch((err) => {
  console.error(`features.cjs: ${err.stack || err}`);
  process.exit(1);
});
