#!/usr/bin/env node
// Writes a parity golden for extract/tokenizer: what Hugging Face's own
// tokenizers (the Rust library, through its Node binding, pinned in
// package.json) makes of every line of the corpus.
//
//   node golden.cjs --name NAME --tokenizer PATH --source SOURCE \
//        [--corpus corpus.jsonl] --out OUT.golden.jsonl.gz [options]
//
// SOURCE tells the Go test where to find the same tokenizer.json:
// "deps:tokenizers/FILE" (under $ITEMVEC_DEPS, default <repo>/.deps) or
// "repo:PATH" (relative to the repository root). Options:
//
//   --max-length N           truncate to N tokens (special tokens included)
//   --strategy S             LongestFirst (default), OnlyFirst or OnlySecond
//   --stride N               truncation stride (default 0)
//   --direction D            truncation direction: right (default) or left
//   --no-truncation          disable the truncation tokenizer.json configures
//   --padding P              fixed (to --pad-length, default --max-length) or
//                            longest (to the longest in the batch)
//   --pad-length N           length for --padding fixed
//   --pad-to-multiple-of N   round the padded length up to a multiple of N
//   --padding-direction D    right (default) or left
//   --no-padding             disable the padding tokenizer.json configures
//   --pairs                  encode line i as a pair with line i+1 (the last
//                            with the first)
//   --batch N                encode N lines at a time with encodeBatch
//
// Without --max-length/--no-truncation (--padding/--no-padding) the
// tokenizer's own configuration applies, and the header says "file".
//
// The output is gzip'd JSON lines: a header
//   {name, source, tokenizer_sha256, corpus_sha256, hf_tokenizers_version, options}
// then one record per corpus line, in order, always with special tokens:
//   {ids, mask, type_ids, tokens}   or   {error}   when HF refuses the input.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { Tokenizer } = require('tokenizers');

function parseArgs(argv) {
	const flags = new Set(['--no-truncation', '--no-padding', '--pairs']);
	const args = { corpus: path.join(__dirname, 'corpus.jsonl') };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (!a.startsWith('--')) usage(`unexpected argument ${a}`);
		const key = a.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
		if (flags.has(a)) {
			args[key] = true;
			continue;
		}
		if (i + 1 >= argv.length) usage(`${a} needs a value`);
		args[key] = argv[++i];
	}
	for (const k of ['name', 'tokenizer', 'source', 'out']) {
		if (!args[k]) usage(`--${k} is required`);
	}
	if (!/^(deps|repo):/.test(args.source)) usage('--source must start with deps: or repo:');
	return args;
}

function usage(msg) {
	process.stderr.write(`golden.cjs: ${msg}\nsee the comment at the top of golden.cjs\n`);
	process.exit(2);
}

function int(v, name) {
	const n = Number(v);
	if (!Number.isInteger(n) || n < 0) usage(`${name} must be a non-negative integer`);
	return n;
}

function sha256(buf) {
	return crypto.createHash('sha256').update(buf).digest('hex');
}

// configure applies the options to t and returns them as the header records them.
function configure(t, args) {
	const options = { truncation: 'file', padding: 'file', pairs: Boolean(args.pairs), batch: 0 };
	if (args.noTruncation) {
		t.disableTruncation();
		options.truncation = 'none';
	} else if (args.maxLength !== undefined) {
		const trunc = {
			max_length: int(args.maxLength, '--max-length'),
			strategy: args.strategy || 'LongestFirst',
			stride: args.stride === undefined ? 0 : int(args.stride, '--stride'),
			direction: (args.direction || 'right').toLowerCase(),
		};
		t.setTruncation(trunc.max_length, { strategy: trunc.strategy, stride: trunc.stride, direction: trunc.direction });
		options.truncation = trunc;
	}
	if (args.noPadding) {
		t.disablePadding();
		options.padding = 'none';
	} else if (args.padding !== undefined) {
		const pad = {
			strategy: args.padding,
			direction: (args.paddingDirection || 'right').toLowerCase(),
			pad_to_multiple_of: args.padToMultipleOf === undefined ? 0 : int(args.padToMultipleOf, '--pad-to-multiple-of'),
		};
		const js = { direction: pad.direction };
		if (pad.pad_to_multiple_of > 0) js.padToMultipleOf = pad.pad_to_multiple_of;
		if (pad.strategy === 'fixed') {
			const n = args.padLength !== undefined ? args.padLength : args.maxLength;
			if (n === undefined) usage('--padding fixed needs --pad-length or --max-length');
			pad.length = int(n, '--pad-length');
			js.maxLength = pad.length;
		} else if (pad.strategy !== 'longest') {
			usage('--padding must be fixed or longest');
		}
		t.setPadding(js);
		options.padding = pad;
	}
	if (args.batch !== undefined) {
		options.batch = int(args.batch, '--batch');
		if (options.pairs && options.batch > 0) usage('--pairs and --batch do not go together (encodeBatch takes no pairs here)');
	}
	return options;
}

function record(e) {
	return { ids: e.getIds(), mask: e.getAttentionMask(), type_ids: e.getTypeIds(), tokens: e.getTokens() };
}

function errorRecord(err) {
	return { error: String(err && err.message ? err.message : err) };
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	const tokBytes = fs.readFileSync(args.tokenizer);
	const corpusBytes = fs.readFileSync(args.corpus);
	const lines = corpusBytes.toString('utf8').split('\n');
	if (lines[lines.length - 1] === '') lines.pop();
	const texts = lines.map((l) => JSON.parse(l));

	const t = Tokenizer.fromFile(args.tokenizer);
	const options = configure(t, args);
	const version = require('tokenizers/package.json').version;

	const out = [];
	out.push({
		name: args.name,
		source: args.source,
		tokenizer_sha256: sha256(tokBytes),
		corpus_sha256: sha256(corpusBytes),
		hf_tokenizers_version: version,
		options,
	});
	if (options.batch > 0) {
		for (let i = 0; i < texts.length; i += options.batch) {
			const chunk = texts.slice(i, i + options.batch);
			try {
				const es = await t.encodeBatch(chunk, { addSpecialTokens: true });
				for (const e of es) out.push(record(e));
			} catch (err) {
				for (let k = 0; k < chunk.length; k++) out.push(errorRecord(err));
			}
		}
	} else {
		for (let i = 0; i < texts.length; i++) {
			const pair = options.pairs ? texts[(i + 1) % texts.length] : null;
			try {
				out.push(record(await t.encode(texts[i], pair, { addSpecialTokens: true })));
			} catch (err) {
				out.push(errorRecord(err));
			}
		}
	}
	const body = out.map((r) => JSON.stringify(r)).join('\n') + '\n';
	fs.mkdirSync(path.dirname(path.resolve(args.out)), { recursive: true });
	fs.writeFileSync(args.out, zlib.gzipSync(Buffer.from(body, 'utf8'), { level: 9 }));
	const errors = out.slice(1).filter((r) => r.error).length;
	process.stderr.write(`${args.name}: ${texts.length} lines, ${errors} refused -> ${args.out}\n`);
}

main().catch((err) => {
	process.stderr.write(`golden.cjs: ${err && err.stack ? err.stack : err}\n`);
	process.exit(1);
});
