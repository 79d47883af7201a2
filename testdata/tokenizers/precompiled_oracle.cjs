#!/usr/bin/env node
// Writes extract/tokenizer/testdata/precompiled_oracle.json.gz: what Hugging
// Face's Precompiled normalizer (tokenizers, pinned in package.json) makes of
// text, with the nmt_nfkc charsmap of the SentencePiece fixture
// extract/tokenizer/testdata/tokenizers/spm-unigram.json.
//
//   node testdata/tokenizers/precompiled_oracle.cjs
//
// The oracle holds, besides hf_tokenizers_version,
//   single:     every code point HF changes, as hex code point -> result;
//   nbsp_joins: the BMP code points X for which HF turns "\u00a0X" into a
//               lone space, as [lo, hi] ranges. U+00A0 maps to a space, and
//               HF replaces a whole cluster shorter than 6 bytes by the
//               mapping of its first character, so these are the X that join
//               U+00A0's cluster, and the X that map to nothing; any other X
//               gives " " followed by what X alone becomes;
//   cases:      [input, HF's output] for seeded random strings of characters
//               from every grapheme cluster class and of characters the
//               charsmap maps.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { precompiled } = require('tokenizers');

const ROOT = path.join(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'extract', 'tokenizer', 'testdata', 'tokenizers', 'spm-unigram.json');
const OUT = path.join(ROOT, 'extract', 'tokenizer', 'testdata', 'precompiled_oracle.json.gz');
const SEED = 20260613;

// Hand-picked code points of every Grapheme_Cluster_Break class (CR, LF,
// Control, Extend, ZWJ, Regional_Indicator, Prepend, SpacingMark, L, V, T,
// LV, LVT), Indic_Conjunct_Break consonants and linkers, and
// Extended_Pictographic, next to plain letters.
const INTERESTING = [
	0x0d, 0x0a, 0x00, 0x01, 0x09, 0x1f, 0x7f, 0x85, 0xad, 0x200b, 0x2028, 0xfeff, 0xe0001,
	0x300, 0x301, 0x308, 0x327, 0x36f, 0x483, 0x591, 0x64b, 0x93c, 0x94d, 0x9cd, 0x200c, 0x20d0, 0x20e3, 0xfe0f, 0xfe00, 0x1f3fb, 0xe0020, 0x1d165,
	0x200d,
	0x1f1e6, 0x1f1e8, 0x1f1f3, 0x1f1fa,
	0x600, 0x605, 0x6dd, 0x70f, 0x8e2, 0x110bd, 0x111c2,
	0x903, 0x93e, 0x940, 0xe33, 0x1b04, 0x11720,
	0x1100, 0x115f, 0x1160, 0x11a7, 0x11a8, 0x11ff, 0xac00, 0xac01, 0xd7a3,
	0x915, 0x924, 0x930, 0x995, 0xa95, 0xd15,
	0xa9, 0xae, 0x203c, 0x2122, 0x2764, 0x1f600, 0x1f468, 0x1f469, 0x1f9d1,
	0x61, 0x41, 0x65, 0x20, 0x31, 0x2e, 0xe9, 0x3b1, 0x43f, 0x5d0, 0x627, 0x4e2d, 0x3042, 0x30ab, 0xff21, 0xff41, 0xff76, 0xff9e, 0xa0, 0x3000, 0xfb01, 0x2460, 0x1d400,
];

function main() {
	const tok = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
	const charsmap = tok.normalizer.normalizers.find((n) => n.type === 'Precompiled').precompiled_charsmap;
	const norm = precompiled(Array.from(Buffer.from(charsmap, 'base64')));
	const n = (s) => norm.normalizeString(s);

	const single = {};
	const mapped = [];
	for (let cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff) continue;
		const s = String.fromCodePoint(cp);
		const out = n(s);
		if (out !== s) {
			single[cp.toString(16)] = out;
			mapped.push(cp);
		}
	}

	const nbspJoins = [];
	for (let cp = 0; cp <= 0xffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff) continue;
		if (n('\u00a0' + String.fromCodePoint(cp)) !== ' ') continue;
		const last = nbspJoins[nbspJoins.length - 1];
		if (last && last[1] === cp - 1) last[1] = cp;
		else nbspJoins.push([cp, cp]);
	}

	const rand = mulberry32(SEED);
	const pick = (xs) => xs[Math.floor(rand() * xs.length)];
	const cases = [];
	for (let i = 0; i < 4000; i++) {
		const len = 1 + Math.floor(rand() * 7);
		let s = '';
		for (let k = 0; k < len; k++) s += String.fromCodePoint(rand() < 0.6 ? pick(INTERESTING) : pick(mapped));
		cases.push([s, n(s)]);
	}

	const version = require('tokenizers/package.json').version;
	const body = JSON.stringify({ hf_tokenizers_version: version, single, nbsp_joins: nbspJoins, cases });
	fs.writeFileSync(OUT, zlib.gzipSync(Buffer.from(body, 'utf8'), { level: 9 }));
	process.stderr.write(`${Object.keys(single).length} mapped code points, ${nbspJoins.length} join ranges, ${cases.length} cases -> ${OUT}\n`);
}

function mulberry32(a) {
	return function () {
		a |= 0;
		a = (a + 0x6d2b79f5) | 0;
		let t = Math.imul(a ^ (a >>> 15), 1 | a);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

main();
