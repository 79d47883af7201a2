#!/usr/bin/env node
// Measures Hugging Face tokenizers (the pinned Node binding) on the parity
// corpus and prints tokens per second as JSON, for comparison with
// BenchmarkEncode in extract/tokenizer and `itemvec bench --tokenizer`.
//
//   node bench.cjs --tokenizer PATH [--corpus corpus.jsonl] [--seconds S] [--batch N]
//
// Truncation and padding are turned off, special tokens are added; tokens
// are all ids produced. Three measurements, each repeated over the corpus
// for at least S seconds (default 3):
//   encode            one await t.encode(line) after the other: HF's
//                     single-text path (one core, plus the binding's
//                     per-call hop to its worker thread)
//   encodeBatch       encodeBatch of N lines at a time (default 64): HF
//                     spreads each batch over all cores (rayon)
//   encodeBatch1      the same with TOKENIZERS_PARALLELISM=false: one core
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { Tokenizer } = require('tokenizers');

function parseArgs(argv) {
	const args = { corpus: path.join(__dirname, 'corpus.jsonl'), seconds: '3', batch: '64' };
	for (let i = 0; i < argv.length; i += 2) {
		const k = argv[i].replace(/^--/, '');
		if (!(k in args) && k !== 'tokenizer') {
			process.stderr.write(`bench.cjs: unknown option ${argv[i]}\n`);
			process.exit(2);
		}
		args[k] = argv[i + 1];
	}
	if (!args.tokenizer) {
		process.stderr.write('usage: node bench.cjs --tokenizer PATH [--corpus corpus.jsonl] [--seconds S] [--batch N]\n');
		process.exit(2);
	}
	return args;
}

// measure runs pass (one pass over the corpus, returning its token count)
// until seconds have gone by and returns tokens per second.
async function measure(pass, seconds) {
	await pass(); // warm up
	let tokens = 0;
	let passes = 0;
	const start = process.hrtime.bigint();
	let elapsed = 0;
	do {
		tokens += await pass();
		passes++;
		elapsed = Number(process.hrtime.bigint() - start) / 1e9;
	} while (elapsed < seconds);
	return { tokens_per_second: Math.round(tokens / elapsed), passes, seconds: Number(elapsed.toFixed(3)) };
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	const lines = fs
		.readFileSync(args.corpus, 'utf8')
		.split('\n')
		.filter((l) => l !== '')
		.map((l) => JSON.parse(l));
	const t = Tokenizer.fromFile(args.tokenizer);
	t.disableTruncation();
	t.disablePadding();
	const seconds = Number(args.seconds);
	const batch = Number(args.batch);

	const encodePass = async () => {
		let n = 0;
		for (const l of lines) {
			try {
				n += (await t.encode(l, null, { addSpecialTokens: true })).getIds().length;
			} catch {
				// a line the model refuses counts no tokens
			}
		}
		return n;
	};
	const batchPass = async () => {
		let n = 0;
		for (let i = 0; i < lines.length; i += batch) {
			try {
				for (const e of await t.encodeBatch(lines.slice(i, i + batch), { addSpecialTokens: true })) n += e.getIds().length;
			} catch {
				// a batch the model refuses counts no tokens
			}
		}
		return n;
	};

	const result = {
		tokenizer: path.basename(args.tokenizer),
		hf_tokenizers_version: require('tokenizers/package.json').version,
		node: process.version,
		cpus: os.cpus().length,
		corpus_lines: lines.length,
		corpus_tokens: await encodePass(),
		encode: await measure(encodePass, seconds),
		encodeBatch: await measure(batchPass, seconds),
	};
	process.env.TOKENIZERS_PARALLELISM = 'false';
	result.encodeBatch1 = await measure(batchPass, seconds);
	process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().catch((err) => {
	process.stderr.write(`bench.cjs: ${err && err.stack ? err.stack : err}\n`);
	process.exit(1);
});
