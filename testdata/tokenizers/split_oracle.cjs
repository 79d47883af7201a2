#!/usr/bin/env node
// Asks Hugging Face tokenizers (the pinned Node binding, which runs its
// regexes with Oniguruma) how it splits text with the GPT-family patterns
// that extract/tokenizer matches by hand (bytelevel.go), and writes the
// answers for bytelevel_test.go:
//
//   node split_oracle.cjs --out ../../extract/tokenizer/testdata/split_oracle.json.gz
//
// The gzip'd JSON holds
//   classes: for \p{L}, \p{N} and \s, the code points Oniguruma puts in
//            the class, as [first, last] ranges (every code point is tried);
//   cases:   deterministic pseudo-random strings over characters that
//            stress the patterns (case folding, Unicode 16 letters, every
//            kind of whitespace, contractions, CLIP's special tokens), each
//            with the pieces HF makes of it under every pattern.
'use strict';

const fs = require('fs');
const zlib = require('zlib');
const tk = require('tokenizers');

const PATTERNS = {
	gpt2: "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
	llama3: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	qwen2: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	clip: "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
};

function preTokenizer(json) {
	const t = tk.Tokenizer.fromString(
		JSON.stringify({
			version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
			pre_tokenizer: json, post_processor: null, decoder: null,
			model: { type: 'WordLevel', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' },
		}),
	);
	return t.getPreTokenizer();
}

// Isolated keeps both matches and the text between them as pieces.
function split(regex) {
	return preTokenizer({ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false });
}

function classes() {
	const out = {};
	for (const [name, re] of [['letter', '\\p{L}'], ['number', '\\p{N}'], ['space', '\\s']]) {
		// Removed drops the matches: what remains is outside the class.
		const pt = preTokenizer({ type: 'Split', pattern: { Regex: re }, behavior: 'Removed', invert: false });
		const ranges = [];
		const chunk = [];
		const flush = () => {
			const kept = new Set();
			for (const [p] of pt.preTokenizeString(String.fromCodePoint(...chunk))) for (const c of p) kept.add(c.codePointAt(0));
			for (const c of chunk) {
				if (kept.has(c)) continue;
				const last = ranges[ranges.length - 1];
				if (last && last[1] === c - 1) last[1] = c;
				else ranges.push([c, c]);
			}
			chunk.length = 0;
		};
		for (let c = 0; c <= 0x10ffff; c++) {
			if (c >= 0xd800 && c <= 0xdfff) continue;
			chunk.push(c);
			if (chunk.length === 4096) flush();
		}
		flush();
		out[name] = ranges;
	}
	return out;
}

function cases() {
	let seed = 20260613;
	const rand = (n) => {
		seed = (seed * 1103515245 + 12345) % 2147483648;
		return seed % n;
	};
	const pool = [
		'a', 'b', 'Z', 's', 'S', 't', 'T', 'r', 'R', 'e', 'E', 'v', 'V', 'm', 'M', 'l', 'L', 'd', 'D', 'x',
		'0', '1', '9', ' ', ' ', ' ', ' ', '\t', '\n', '\r', '\v', '\f', '\u0085', '\u00a0', '\u1680', '\u2000',
		'\u2028', '\u2029', '\u202f', '\u3000', '\u001c', '\u200b', '\u180e',
		"'", "'", '"', '<', '|', '>', '!', '?', '.', ',', '-', '_', '(', ')', '#', '$', '%', '&', '*', '+', '/', '\\',
		'é', 'ß', 'ſ', '\u212a', 'İ', 'ı', 'ﬆ', 'ǅ', 'Σ', 'ς', 'Ж', 'ع', '中', 'の', '한', 'ก', '\u0301', '\u0e31', 'ि',
		'١', '½', '²', 'Ⅻ', '〇', '𝟘', '😀', '👍🏽', '\u200d', '\ufffd', '\u1c89', '\u{10d40}', '\u{10d4a}', '\u{13460}',
		'<|endoftext|>', '<|startoftext|>', "'s", "'S", "'re", "'RE", "'Re", "'ll", "'LL", "'ve", "'m", "'d", "'t", "'ſ",
		' hello', ' world', 'The', ' 12345', '  ', '\n\n', ' \n ', '\r\n', '...', '!!!',
	];
	const texts = ['', ' ', '  ', 'a', ' a', 'a ', 'a  b', 'a   ', '\n', ' \n', '\n ', "it's", "IT'S", "we'RE", "'ſt"];
	for (let i = 0; i < 3000; i++) {
		let s = '';
		for (let n = 1 + rand(12); n > 0; n--) s += pool[rand(pool.length)];
		texts.push(s);
	}
	const splitters = Object.fromEntries(Object.entries(PATTERNS).map(([k, re]) => [k, split(re)]));
	return texts.map((text) => {
		const c = { text };
		for (const [k, pt] of Object.entries(splitters)) c[k] = pt.preTokenizeString(text).map((p) => p[0]);
		return c;
	});
}

function main(argv) {
	if (argv.length !== 2 || argv[0] !== '--out') {
		process.stderr.write('usage: node split_oracle.cjs --out OUT.json.gz\n');
		process.exit(2);
	}
	const oracle = {
		hf_tokenizers_version: require('tokenizers/package.json').version,
		patterns: PATTERNS,
		classes: classes(),
		cases: cases(),
	};
	fs.writeFileSync(argv[1], zlib.gzipSync(Buffer.from(JSON.stringify(oracle) + '\n'), { level: 9 }));
}

main(process.argv.slice(2));
