#!/usr/bin/env node
// Writes the synthetic tokenizers of extract/tokenizer/testdata/fixtures/:
// component stacks the real tokenizers in .deps do not use (other
// normalizers, pre-tokenizers, WordLevel, BERT and RoBERTa post-processors,
// added tokens with lstrip/rstrip/single_word/normalized, truncation and
// padding in the file, a model without "type"), each with a small
// vocabulary cut from bert-base-uncased's so the files stay small.
//
//   node fixtures.cjs BERT_BASE_UNCASED_JSON OUT_DIR
//
// The vocabulary is deterministic: the special tokens, every single
// character bert-base-uncased has (with and without "##"), then the tokens
// bert-base-uncased produces most often on the corpus, up to 4,000 entries.
// Rerunning this changes the fixtures' sha256, so regenerate their goldens
// (go test ./extract/tokenizer -run TestParity -update) afterwards.
'use strict';

const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');

const VOCAB_SIZE = 4000;

async function vocabulary(bertPath) {
	const bert = JSON.parse(fs.readFileSync(bertPath, 'utf8'));
	const full = bert.model.vocab;
	const t = Tokenizer.fromFile(bertPath);
	const counts = new Map();
	const lines = fs.readFileSync(path.join(__dirname, 'corpus.jsonl'), 'utf8').trim().split('\n');
	for (const l of lines) {
		for (const tok of (await t.encode(JSON.parse(l), null, { addSpecialTokens: false })).getTokens()) {
			counts.set(tok, (counts.get(tok) || 0) + 1);
		}
	}
	const chosen = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
	const seen = new Set(chosen);
	const add = (tok) => {
		if (!seen.has(tok) && tok in full && chosen.length < VOCAB_SIZE) {
			seen.add(tok);
			chosen.push(tok);
		}
	};
	for (const tok of Object.keys(full).sort()) {
		const bare = tok.startsWith('##') ? tok.slice(2) : tok;
		if (Array.from(bare).length === 1) add(tok);
	}
	[...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).forEach(([tok]) => add(tok));
	const vocab = {};
	chosen.forEach((tok, i) => {
		vocab[tok] = i;
	});
	return vocab;
}

function added(content, id, opts = {}) {
	return {
		id,
		content,
		single_word: Boolean(opts.single_word),
		lstrip: Boolean(opts.lstrip),
		rstrip: Boolean(opts.rstrip),
		normalized: Boolean(opts.normalized),
		special: opts.special === undefined ? true : opts.special,
	};
}

const special = (id) => ({ SpecialToken: { id, type_id: 0 } });
const seq = (id, type_id = 0) => ({ Sequence: { id, type_id } });

function fixtures(vocab) {
	const id = (tok) => vocab[tok];
	const wordpiece = { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab };
	const bertAdded = [added('[PAD]', id('[PAD]')), added('[UNK]', id('[UNK]')), added('[CLS]', id('[CLS]')), added('[SEP]', id('[SEP]'))];
	const base = { version: '1.0', truncation: null, padding: null, decoder: null };

	const roberta = {};
	['<s>', '<pad>', '</s>', '<unk>', '<mask>'].forEach((tok, i) => {
		roberta[tok] = i;
	});
	for (const [tok, i] of Object.entries(vocab)) {
		if (!tok.startsWith('[')) roberta[tok] = Object.keys(roberta).length;
	}

	const wordLevel = {};
	for (const tok of Object.keys(vocab)) {
		if (!tok.startsWith('##')) wordLevel[tok] = Object.keys(wordLevel).length;
	}

	return {
		// Unicode normalizers, Replace (string and regex), Strip, StripAccents;
		// WhitespaceSplit, Punctuation, Digits; BertProcessing; added tokens
		// with lstrip/rstrip and a normalized single-word token.
		'wordpiece-nfkc': {
			...base,
			added_tokens: [
				...bertAdded,
				added('[MASK]', id('[MASK]'), { lstrip: true, rstrip: true }),
				added('sku', 0, { special: false, normalized: true, single_word: true }),
				added('<br>', 0, { special: false }),
			],
			normalizer: {
				type: 'Sequence',
				normalizers: [
					{ type: 'NFKC' },
					{ type: 'Replace', pattern: { String: '’' }, content: "'" },
					{ type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
					{ type: 'Strip', strip_left: true, strip_right: true },
					{ type: 'NFD' },
					{ type: 'StripAccents' },
					{ type: 'Lowercase' },
				],
			},
			pre_tokenizer: {
				type: 'Sequence',
				pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Punctuation', behavior: 'Contiguous' }, { type: 'Digits', individual_digits: true }],
			},
			post_processor: { type: 'BertProcessing', sep: ['[SEP]', id('[SEP]')], cls: ['[CLS]', id('[CLS]')] },
			model: wordpiece,
		},
		// Strip (left only), NFC, Prepend; Whitespace; RobertaProcessing;
		// RoBERTa's added tokens, <mask> with lstrip.
		'wordpiece-roberta': {
			...base,
			added_tokens: [
				added('<s>', 0),
				added('<pad>', 1),
				added('</s>', 2),
				added('<unk>', 3),
				added('<mask>', 4, { lstrip: true }),
			],
			normalizer: {
				type: 'Sequence',
				normalizers: [{ type: 'Strip', strip_left: true, strip_right: false }, { type: 'NFC' }, { type: 'Lowercase' }, { type: 'Prepend', prepend: '_' }],
			},
			pre_tokenizer: { type: 'Whitespace' },
			post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false },
			model: { ...wordpiece, unk_token: '<unk>', vocab: roberta },
		},
		// WordLevel; NFKD and regex Replace; Split with every behavior,
		// invert and a literal pattern; CharDelimiterSplit; a template with
		// a two-id special token; left truncation and left padding in the file.
		'wordlevel-split': {
			...base,
			truncation: { direction: 'Left', max_length: 48, strategy: 'LongestFirst', stride: 0 },
			padding: { strategy: { Fixed: 48 }, direction: 'Left', pad_to_multiple_of: null, pad_id: 0, pad_type_id: 0, pad_token: '[PAD]' },
			added_tokens: [...bertAdded],
			normalizer: {
				type: 'Sequence',
				normalizers: [
					{ type: 'NFKD' },
					{ type: 'Lowercase' },
					{ type: 'Replace', pattern: { Regex: '[\\x{0300}-\\x{036f}]' }, content: '' },
					{ type: 'Replace', pattern: { Regex: '\\d' }, content: '0' },
				],
			},
			pre_tokenizer: {
				type: 'Sequence',
				pretokenizers: [
					{ type: 'Split', pattern: { Regex: '\\s+' }, behavior: 'Removed', invert: false },
					{ type: 'Split', pattern: { Regex: '[\\p{P}\\p{S}]' }, behavior: 'Isolated', invert: false },
					{ type: 'CharDelimiterSplit', delimiter: '_' },
					{ type: 'Split', pattern: { String: '00' }, behavior: 'MergedWithNext', invert: false },
					{ type: 'Split', pattern: { Regex: '(?i)ing|ed' }, behavior: 'MergedWithPrevious', invert: false },
					{ type: 'Split', pattern: { Regex: '[aeiou]+' }, behavior: 'Contiguous', invert: true },
				],
			},
			post_processor: {
				type: 'TemplateProcessing',
				single: [special('[CLS]'), seq('A'), special('[SEP]')],
				pair: [special('[CLS]'), seq('A'), special('[SEP2]'), seq('B', 1), { SpecialToken: { id: '[SEP]', type_id: 1 } }],
				special_tokens: {
					'[CLS]': { id: '[CLS]', ids: [wordLevel['[CLS]']], tokens: ['[CLS]'] },
					'[SEP]': { id: '[SEP]', ids: [wordLevel['[SEP]']], tokens: ['[SEP]'] },
					'[SEP2]': { id: '[SEP2]', ids: [wordLevel['[SEP]'], wordLevel['[SEP]']], tokens: ['[SEP]', '[SEP]'] },
				},
			},
			model: { type: 'WordLevel', vocab: wordLevel, unk_token: '[UNK]' },
		},
		// A model without "type" (as old files write it); BertNormalizer
		// with every flag but lowercase off; BertPreTokenizer; a Sequence
		// post-processor; no added tokens at all.
		'wordpiece-untyped': {
			...base,
			added_tokens: [],
			normalizer: { type: 'BertNormalizer', clean_text: false, handle_chinese_chars: false, strip_accents: false, lowercase: true },
			pre_tokenizer: { type: 'BertPreTokenizer' },
			post_processor: {
				type: 'Sequence',
				processors: [
					{ type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
					{
						type: 'TemplateProcessing',
						single: [special('[CLS]'), seq('A'), special('[SEP]')],
						pair: [special('[CLS]'), seq('A'), special('[SEP]'), seq('B', 1), { SpecialToken: { id: '[SEP]', type_id: 1 } }],
						special_tokens: {
							'[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
							'[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
						},
					},
				],
			},
			model: { unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
		},
	};
}

async function main(argv) {
	if (argv.length !== 2) {
		process.stderr.write('usage: node fixtures.cjs BERT_BASE_UNCASED_JSON OUT_DIR\n');
		process.exit(2);
	}
	const vocab = await vocabulary(argv[0]);
	fs.mkdirSync(argv[1], { recursive: true });
	for (const [name, tok] of Object.entries(fixtures(vocab))) {
		const file = path.join(argv[1], `${name}.json`);
		fs.writeFileSync(file, JSON.stringify(tok) + '\n');
		Tokenizer.fromFile(file); // HF must accept it
	}
}

main(process.argv.slice(2)).catch((err) => {
	process.stderr.write(`fixtures.cjs: ${err && err.stack ? err.stack : err}\n`);
	process.exit(1);
});
