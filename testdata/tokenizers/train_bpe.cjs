#!/usr/bin/env node
// Trains the small synthetic BPE tokenizers that extract/tokenizer's parity
// tests use next to the real ones, and writes them as tokenizer.json files:
//
//   node train_bpe.cjs [--out-dir DIR]   (default ../../extract/tokenizer/testdata/tokenizers)
//
//   roberta-bpe.json      RoBERTa style: ByteLevel(add_prefix_space) pre-tokenizer,
//                         RobertaProcessing <s> … </s>, <mask> with lstrip. Merges
//                         learnt by Hugging Face's own BpeTrainer, written as pairs.
//   clip-bpe.json         CLIP style: NFC, \s+ → " ", lowercase; Split on CLIP's
//                         pattern; ByteLevel without regex; end_of_word_suffix
//                         "</w>"; TemplateProcessing <|startoftext|> … <|endoftext|>.
//                         Merges written as "a b" strings after a #version line.
//   bytefallback-bpe.json Llama-2 style: Prepend("▁") and Replace(" ", "▁"), no
//                         pre-tokenizer, byte_fallback with <0xXX> tokens and a
//                         fused <unk>. The byte tokens <0xF0>…<0xF4> are left out
//                         on purpose, so 4-byte characters (emoji) reach <unk>.
//
// The training text is corpus.jsonl plus the sample catalog's texts.json
// ($ITEMVEC_DEPS/catalog/texts.json, default <repo>/.deps). Each vocabulary
// is capped at 4,000 entries. Training is deterministic: CLIP and the
// byte-fallback model use the trainer below (ties go to the smaller pair),
// and Hugging Face's trainer gives the same merges on every run.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const tk = require('tokenizers');

const MAX_VOCAB = 4000;

function parseArgs(argv) {
	const args = { outDir: path.join(__dirname, '../../extract/tokenizer/testdata/tokenizers') };
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--out-dir' && i + 1 < argv.length) args.outDir = argv[++i];
		else {
			process.stderr.write('usage: node train_bpe.cjs [--out-dir DIR]\n');
			process.exit(2);
		}
	}
	return args;
}

function trainingTexts() {
	const corpus = fs
		.readFileSync(path.join(__dirname, 'corpus.jsonl'), 'utf8')
		.split('\n')
		.filter((l) => l !== '')
		.map((l) => JSON.parse(l));
	const deps = process.env.ITEMVEC_DEPS || path.join(__dirname, '../../.deps');
	const catalog = JSON.parse(fs.readFileSync(path.join(deps, 'catalog/texts.json'), 'utf8'));
	const listings = catalog.photos.flatMap((p) =>
		[p.subject, p.subject_zh].concat(p.listings.flatMap((l) => [l.title, l.description])),
	);
	return corpus.concat(listings);
}

// byteLevelAlphabet lists GPT-2's byte-level characters in GPT-2's order:
// the printable Latin-1 bytes, then the others mapped from U+0100 on.
function byteLevelAlphabet() {
	const printable = (b) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
	const chars = [];
	for (let b = 0; b < 256; b++) if (printable(b)) chars.push(String.fromCodePoint(b));
	let n = 0;
	for (let b = 0; b < 256; b++) if (!printable(b)) chars.push(String.fromCodePoint(256 + n++));
	return chars;
}

// pipeline builds a Hugging Face tokenizer with this normalizer and
// pre-tokenizer, to split training text exactly as encoding will.
function pipeline(normalizer, preTokenizer) {
	const json = {
		version: '1.0', truncation: null, padding: null, added_tokens: [],
		normalizer, pre_tokenizer: preTokenizer, post_processor: null, decoder: null,
		model: { type: 'WordLevel', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' },
	};
	const t = tk.Tokenizer.fromString(JSON.stringify(json));
	const norm = t.getNormalizer();
	const pre = t.getPreTokenizer();
	return (s) => {
		const n = norm ? norm.normalizeString(s) : s;
		return pre ? pre.preTokenizeString(n).map((p) => p[0]) : [n];
	};
}

function countWords(texts, split) {
	const counts = new Map();
	for (const s of texts) for (const w of split(s)) if (w !== '') counts.set(w, (counts.get(w) || 0) + 1);
	return counts;
}

// learnMerges is plain BPE training: words start as the symbols `symbols`
// gives them, and the most frequent adjacent pair (ties: the smaller pair)
// is merged until maxMerges or until no pair occurs minCount times.
function learnMerges(counts, symbols, maxMerges, minCount) {
	const words = [...counts.keys()].sort().map((w) => ({ syms: symbols(w), n: counts.get(w) }));
	const pairs = new Map(); // a -> b -> {count, words:Set}
	const entry = (a, b) => {
		let m = pairs.get(a);
		if (!m) pairs.set(a, (m = new Map()));
		let e = m.get(b);
		if (!e) m.set(b, (e = { count: 0, words: new Set() }));
		return e;
	};
	const addWord = (i, sign) => {
		const { syms, n } = words[i];
		for (let k = 0; k + 1 < syms.length; k++) {
			const e = entry(syms[k], syms[k + 1]);
			e.count += sign * n;
			if (sign > 0) e.words.add(i);
		}
	};
	words.forEach((_, i) => addWord(i, 1));
	const merges = [];
	while (merges.length < maxMerges) {
		let best = null;
		for (const [a, m] of pairs) {
			for (const [b, e] of m) {
				if (e.count < minCount) continue;
				if (!best || e.count > best.count || (e.count === best.count && (a < best.a || (a === best.a && b < best.b)))) {
					best = { a, b, count: e.count, words: e.words };
				}
			}
		}
		if (!best) break;
		merges.push([best.a, best.b]);
		for (const i of [...best.words].sort((x, y) => x - y)) {
			const { syms } = words[i];
			addWord(i, -1);
			const out = [];
			for (let k = 0; k < syms.length; k++) {
				if (k + 1 < syms.length && syms[k] === best.a && syms[k + 1] === best.b) {
					out.push(best.a + best.b);
					k++;
				} else out.push(syms[k]);
			}
			words[i].syms = out;
			addWord(i, 1);
		}
	}
	return merges;
}

function addedToken(id, content, extra = {}) {
	return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true, ...extra };
}

function specialTemplate(name, id) {
	return { [name]: { id: name, ids: [id], tokens: [name] } };
}

function clip(texts) {
	const normalizer = {
		type: 'Sequence',
		normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
	};
	const preTokenizer = {
		type: 'Sequence',
		pretokenizers: [
			{
				type: 'Split',
				pattern: { Regex: "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
				behavior: 'Removed',
				invert: true,
			},
			{ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
		],
	};
	const alphabet = byteLevelAlphabet();
	const vocab = {};
	for (const c of alphabet) vocab[c] = Object.keys(vocab).length;
	for (const c of alphabet) vocab[c + '</w>'] = Object.keys(vocab).length;
	const counts = countWords(texts, pipeline(normalizer, preTokenizer));
	const symbols = (w) => {
		const cs = [...w];
		cs[cs.length - 1] += '</w>';
		return cs;
	};
	const merges = learnMerges(counts, symbols, MAX_VOCAB - 2 - Object.keys(vocab).length, 2);
	for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = Object.keys(vocab).length;
	const sot = Object.keys(vocab).length;
	vocab['<|startoftext|>'] = sot;
	vocab['<|endoftext|>'] = sot + 1;
	return {
		version: '1.0',
		truncation: null,
		padding: null,
		added_tokens: [
			addedToken(sot, '<|startoftext|>', { normalized: true }),
			addedToken(sot + 1, '<|endoftext|>', { normalized: false }),
		],
		normalizer,
		pre_tokenizer: preTokenizer,
		post_processor: {
			type: 'TemplateProcessing',
			single: [
				{ SpecialToken: { id: '<|startoftext|>', type_id: 0 } },
				{ Sequence: { id: 'A', type_id: 0 } },
				{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } },
			],
			pair: [
				{ SpecialToken: { id: '<|startoftext|>', type_id: 0 } },
				{ Sequence: { id: 'A', type_id: 0 } },
				{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } },
				{ Sequence: { id: 'B', type_id: 1 } },
				{ SpecialToken: { id: '<|endoftext|>', type_id: 1 } },
			],
			special_tokens: { ...specialTemplate('<|startoftext|>', sot), ...specialTemplate('<|endoftext|>', sot + 1) },
		},
		decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
		model: {
			type: 'BPE',
			dropout: null,
			unk_token: '<|endoftext|>',
			continuing_subword_prefix: '',
			end_of_word_suffix: '</w>',
			fuse_unk: false,
			byte_fallback: false,
			ignore_merges: false,
			vocab,
			merges: ['#version: 0.2'].concat(merges.map(([a, b]) => `${a} ${b}`)),
		},
	};
}

// roberta trains with Hugging Face's BpeTrainer (the Node binding's default
// trainer: no vocabulary limit), keeps the first merges that fit and puts
// the whole byte-level alphabet in, as RoBERTa's vocabulary has it.
function roberta(texts) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train_bpe-'));
	try {
		const file = path.join(dir, 'train.txt');
		fs.writeFileSync(file, texts.join('\n') + '\n');
		const t = new tk.Tokenizer(tk.BPE.init({}, []));
		t.setPreTokenizer(tk.byteLevelPreTokenizer(true, true));
		t.train([file]);
		t.save(path.join(dir, 'trained.json'));
		const trained = JSON.parse(fs.readFileSync(path.join(dir, 'trained.json'), 'utf8')).model;
		const specials = ['<s>', '<pad>', '</s>', '<unk>'];
		const vocab = {};
		for (const s of specials.concat(byteLevelAlphabet())) vocab[s] = Object.keys(vocab).length;
		const merges = [];
		for (const [a, b] of trained.merges) {
			if (Object.keys(vocab).length >= MAX_VOCAB - 1) break;
			if (!(a in vocab) || !(b in vocab)) throw new Error(`merge ${a} ${b} before its parts`);
			merges.push([a, b]);
			if (!(a + b in vocab)) vocab[a + b] = Object.keys(vocab).length;
		}
		const mask = Object.keys(vocab).length;
		vocab['<mask>'] = mask;
		return {
			version: '1.0',
			truncation: null,
			padding: null,
			added_tokens: specials
				.map((s, i) => addedToken(i, s))
				.concat([addedToken(mask, '<mask>', { lstrip: true })]),
			normalizer: null,
			pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
			post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: true },
			decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
			model: {
				type: 'BPE',
				dropout: null,
				unk_token: null,
				continuing_subword_prefix: '',
				end_of_word_suffix: '',
				fuse_unk: false,
				byte_fallback: false,
				ignore_merges: false,
				vocab,
				merges,
			},
		};
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

function byteFallback(texts) {
	const normalizer = {
		type: 'Sequence',
		normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }],
	};
	const split = pipeline(normalizer, null);
	// Words for counting: the normalized text cut before each ▁.
	const counts = countWords(texts, (s) => split(s).flatMap((n) => n.split(/(?=▁)/u)));
	const charCounts = new Map();
	for (const [w, n] of counts) for (const c of w) charCounts.set(c, (charCounts.get(c) || 0) + n);
	const vocab = { '<unk>': 0, '<s>': 1, '</s>': 2 };
	for (let b = 0; b < 256; b++) {
		if (b >= 0xf0 && b <= 0xf4) continue;
		vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = Object.keys(vocab).length;
	}
	// Characters seen at least 3 times get their own token; the rest fall
	// back to bytes.
	const chars = [...charCounts].filter(([, n]) => n >= 3).map(([c]) => c).sort();
	for (const c of chars) vocab[c] = Object.keys(vocab).length;
	const known = new Set(chars);
	const symbols = (w) => [...w].map((c) => (known.has(c) ? c : '\u0000' + c));
	const merges = learnMerges(counts, symbols, MAX_VOCAB - Object.keys(vocab).length, 2).filter(
		([a, b]) => !a.includes('\u0000') && !b.includes('\u0000'),
	);
	const kept = [];
	for (const [a, b] of merges) {
		if (!(a in vocab) || !(b in vocab)) continue;
		kept.push([a, b]);
		if (!(a + b in vocab)) vocab[a + b] = Object.keys(vocab).length;
	}
	return {
		version: '1.0',
		truncation: null,
		padding: null,
		added_tokens: [addedToken(0, '<unk>'), addedToken(1, '<s>'), addedToken(2, '</s>')],
		normalizer,
		pre_tokenizer: null,
		post_processor: {
			type: 'TemplateProcessing',
			single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
			pair: [
				{ SpecialToken: { id: '<s>', type_id: 0 } },
				{ Sequence: { id: 'A', type_id: 0 } },
				{ SpecialToken: { id: '<s>', type_id: 1 } },
				{ Sequence: { id: 'B', type_id: 1 } },
			],
			special_tokens: specialTemplate('<s>', 1),
		},
		decoder: {
			type: 'Sequence',
			decoders: [
				{ type: 'Replace', pattern: { String: '▁' }, content: ' ' },
				{ type: 'ByteFallback' },
				{ type: 'Fuse' },
				{ type: 'Strip', content: ' ', start: 1, stop: 0 },
			],
		},
		model: {
			type: 'BPE',
			dropout: null,
			unk_token: '<unk>',
			continuing_subword_prefix: null,
			end_of_word_suffix: null,
			fuse_unk: true,
			byte_fallback: true,
			ignore_merges: false,
			vocab,
			merges: kept,
		},
	};
}

function main() {
	const args = parseArgs(process.argv.slice(2));
	const texts = trainingTexts();
	fs.mkdirSync(args.outDir, { recursive: true });
	for (const [name, build] of [['clip-bpe', clip], ['roberta-bpe', roberta], ['bytefallback-bpe', byteFallback]]) {
		const json = build(texts);
		const size = Object.keys(json.model.vocab).length;
		if (size > MAX_VOCAB) throw new Error(`${name}: vocabulary of ${size} over ${MAX_VOCAB}`);
		const text = JSON.stringify(json, null, 1) + '\n';
		tk.Tokenizer.fromString(text); // Hugging Face must load it
		fs.writeFileSync(path.join(args.outDir, `${name}.json`), text);
		process.stderr.write(`${name}: ${size} tokens, ${json.model.merges.length} merges\n`);
	}
}

main();
