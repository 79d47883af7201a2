#!/usr/bin/env node
// Writes the tokenizer parity corpus as JSON lines to stdout: one JSON string
// per line, so control characters, CR and LF survive exactly.
//
//   node testdata/tokenizers/corpus.cjs FAKER_INDEX_CJS CATALOG_TEXTS_JSON > testdata/tokenizers/corpus.jsonl
//
// FAKER_INDEX_CJS is @faker-js/faker's dist/index.cjs (make setup extracts it
// to .deps/npm/faker/package/dist/index.cjs); CATALOG_TEXTS_JSON is the sample
// catalog's texts.json (.deps/catalog/texts.json). Faker is seeded and the
// mutations draw from a seeded PRNG, so a given faker version always writes
// the same corpus. The corpus is committed; rerun this only to change it and
// then regenerate every golden (see README.md).
'use strict';

const fs = require('fs');
const path = require('path');

const SEED = 20260612;

function main(argv) {
	if (argv.length !== 2) {
		process.stderr.write('usage: node corpus.cjs FAKER_INDEX_CJS CATALOG_TEXTS_JSON > corpus.jsonl\n');
		process.exit(2);
	}
	const faker = require(path.resolve(argv[0]));
	const catalog = JSON.parse(fs.readFileSync(path.resolve(argv[1]), 'utf8'));
	const rand = mulberry32(SEED);
	const pick = (xs) => xs[Math.floor(rand() * xs.length)];

	const lines = [];
	const add = (s) => lines.push(s);

	// 1. The sample catalog's own listings, as the worker will see them.
	for (const p of catalog.photos) {
		add(p.subject);
		add(p.subject_zh);
		for (const l of p.listings) {
			add(l.title);
			add(l.description);
			add(`${l.title}\t${l.description}`);
		}
	}

	// 2. Faker commerce in English and Chinese.
	const en = faker.fakerEN;
	const zh = faker.fakerZH_CN;
	en.seed(SEED);
	zh.seed(SEED);
	for (let i = 0; i < 220; i++) {
		add(en.commerce.productName());
		add(en.commerce.productDescription());
		if (i % 2 === 0) add(`${en.commerce.productName()} - ${en.commerce.price({ symbol: pick(['$', '€', '£', '¥', '₩', '₹']) })}`);
	}
	for (let i = 0; i < 160; i++) {
		add(zh.commerce.productName());
		add(zh.commerce.productDescription());
		if (i % 2 === 0) add(`【${zh.commerce.department()}】${zh.commerce.productName()} ¥${zh.commerce.price({ min: 10, max: 9999, dec: 2 })}`);
	}

	// 3. Other scripts from faker's locales.
	const locales = ['fakerJA', 'fakerKO', 'fakerRU', 'fakerAR', 'fakerEL', 'fakerTH', 'fakerHE', 'fakerFA', 'fakerUK', 'fakerDE', 'fakerFR', 'fakerTR', 'fakerVI', 'fakerZH_TW', 'fakerHY', 'fakerKA_GE', 'fakerNE', 'fakerUR', 'fakerBN_BD', 'fakerTA_IN', 'fakerDV'];
	for (const name of locales) {
		const f = faker[name];
		f.seed(SEED);
		for (let i = 0; i < 6; i++) {
			add(f.commerce.productName());
			add(`${f.person.fullName()}, ${f.location.city()} ${f.location.streetAddress()}`);
			add(f.lorem.sentence());
		}
	}

	// 4. Hand-written edge cases.
	for (const s of EDGE_CASES) add(s);

	// 5. Mutations of faker lines: the same text with the hazards spliced in.
	const base = lines.slice(0, lines.length);
	const mutations = [
		(s) => s.toUpperCase(),
		(s) => s.normalize('NFD'),
		(s) => s.normalize('NFKD'),
		(s) => fullWidth(s),
		(s) => s.replaceAll(' ', '\u00a0'),
		(s) => s.replaceAll(' ', pick(['  ', '\t', ' \t ', '\u3000', '\u2009', '\u200b'])),
		(s) => splice(s, pick(SPECIALS), rand),
		(s) => splice(s, ` ${pick(SPECIALS)} `, rand),
		(s) => splice(s, pick(EMOJI), rand),
		(s) => splice(s, pick(CONTROLS), rand),
		(s) => splice(splice(s, pick(CONTROLS), rand), pick(EMOJI), rand),
		(s) => `${pick(SPECIALS)}${s}${pick(SPECIALS)}`,
		(s) => s.replace(/e/g, 'e\u0301').replace(/a/g, 'a\u0308'),
		(s) => `  ${s}  `,
		(s) => s.replace(/ /g, (m) => (rand() < 0.3 ? '\n' : rand() < 0.2 ? '\r\n' : m)),
		(s) => Array.from(s).reverse().join('').normalize('NFC'),
		(s) => `${s} SKU#${Math.floor(rand() * 1e6)}-${pick(['A', 'B', 'X'])}/${Math.floor(rand() * 100)}`,
	];
	for (let i = 0; i < 420; i++) {
		const s = pick(base);
		add(mutations[i % mutations.length](s));
	}

	// 6. Very long lines: well past 512 tokens for every model.
	for (let i = 0; i < 8; i++) {
		const parts = [];
		for (let k = 0; k < 40 + i * 5; k++) parts.push(pick(base));
		add(parts.join(i % 2 === 0 ? ' ' : '，'));
	}
	add('a'.repeat(120));
	add('x'.repeat(99) + ' ' + 'y'.repeat(100) + ' ' + 'z'.repeat(101));
	add('supercalifragilisticexpialidocious'.repeat(5));
	add('1234567890'.repeat(60));
	add('中'.repeat(700));
	add('😀'.repeat(300));
	add(' '.repeat(600));
	add('!?'.repeat(300));

	for (const s of lines) {
		if (s.includes('\ud800') || /[\ud800-\udbff](?![\udc00-\udfff])|(?:[^\ud800-\udbff]|^)[\udc00-\udfff]/.test(s)) {
			throw new Error(`lone surrogate in corpus line: ${JSON.stringify(s)}`);
		}
		process.stdout.write(JSON.stringify(s) + '\n');
	}
}

// splice inserts what at a random code point boundary of s.
function splice(s, what, rand) {
	const cps = Array.from(s);
	const at = Math.floor(rand() * (cps.length + 1));
	cps.splice(at, 0, what);
	return cps.join('');
}

// fullWidth maps printable ASCII to its full-width form (！ to ～) and space to U+3000.
function fullWidth(s) {
	return Array.from(s)
		.map((c) => {
			const cp = c.codePointAt(0);
			if (cp === 0x20) return '\u3000';
			if (cp > 0x20 && cp < 0x7f) return String.fromCodePoint(cp + 0xfee0);
			return c;
		})
		.join('');
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

const SPECIALS = [
	'[CLS]', '[SEP]', '[MASK]', '[PAD]', '[UNK]', '<s>', '</s>', '<pad>', '<unk>', '<mask>', '<|endoftext|>',
	'<|begin_of_text|>', '<|eot_id|>', '<BOS_TOKEN>', '<EOP_TOKEN>', '<UNK>', '[cls]', '[ CLS ]', '[CLS', 'CLS]', '[[SEP]]',
];

const EMOJI = [
	'😀', '👍🏽', '👩‍💻', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇨🇳', '🇺🇸', '🇯🇵', '1️⃣', '#️⃣', '❤️', '☕', '🧑🏿‍🚀', '🫠', '©', '™', '®', '✔︎',
];

const CONTROLS = [
	'\u0000', '\u0001', '\u0007', '\u0008', '\u000b', '\u000c', '\r', '\n', '\u001b', '\u007f', '\u0085', '\u00ad', '\u200b', '\u200c',
	'\u200d', '\u200e', '\u2028', '\u2029', '\u2060', '\ufeff', '\ufffd', '\ufff0', '\ue000', '\u{e0041}', '\u{10fffd}', '\u034f', '\u061c',
];

const EDGE_CASES = [
	'',
	' ',
	'   ',
	'\t',
	'\u00a0',
	'\u3000',
	'\u200b',
	'\ufeff',
	'\u0000',
	'\ufeffBOM at the start of a title',
	'soft\u00adhyphen in a word: Kühl\u00adschrank',
	'zero\u200bwidth\u200bspace between words',
	'join\u200dzwj and non\u200cjoiner',
	'nul\u0000in the middle',
	'bell\u0007 backspace\u0008 escape\u001b delete\u007f',
	'start of heading \u0001 and unit separator \u001f',
	'C1 control \u0085 next line and \u009f',
	'line\u2028separator and paragraph\u2029separator',
	'vertical\u000btab and form\u000cfeed',
	'carriage\rreturn only',
	'windows\r\nline ending',
	'unix\nline\nendings',
	'trailing newline\n',
	'\n\n\nleading newlines',
	'tabs\tbetween\t\tcolumns\t',
	'runs     of     spaces',
	'non\u00a0breaking\u00a0spaces\u202fnarrow\u2007figure\u2009thin\u200ahair',
	'ideographic\u3000space\u3000全角空格',
	'ＡＢＣ１２３！ full-width ＡＢＣ ａｂｃ ｶﾀｶﾅ half-width katakana',
	'（全角括号）【方头括号】《书名号》「引号」『双引号』',
	'ﬁ ﬂ ligatures, ㎏ ㎡ ℃ ℉ №, ½ ¼ ¾, ² ³ ¹, Ⅻ ⅷ',
	'café naïve résumé coöperate Zoë Ångström Øresund Łódź',
	'cafe\u0301 nai\u0308ve re\u0301sume\u0301 (decomposed)',
	'Å vs A\u030a vs \u212b (angstrom sign)',
	'Ǆ ǅ ǆ titlecase digraphs, ß ẞ sharp s, İ ı dotted i, ŉ',
	'Straße STRASSE straße, ﬀ ǰ ΐ',
	'Vietnamese: Tiếng Việt có dấu, người, được, Hà Nội',
	'Zalgo: Z̷̢̛a̸͎͠l̵̰̈g̶̱̾o̵̤͐ t̸e̵x̷t̴',
	'a\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308\u0309\u030a combining pile',
	'\u0301 leading combining mark',
	'한국어 상품 설명: 무선 블루투스 이어폰, 노이즈 캔슬링 ₩129,000',
	'한글 자모 분해: \u1112\u1161\u11ab\u1100\u1173\u11af',
	'日本語の商品説明：ワイヤレスイヤホン、ノイズキャンセリング対応。税込¥12,800',
	'カタカナ ひらがな 漢字 混じり文、ー（長音）、ヴ、ゔ',
	'繁體中文：無線藍牙耳機，降噪功能，售價NT$2,990',
	'简体中文：无线蓝牙耳机，主动降噪，售价¥1,299.00，包邮！',
	'中文English混排Apple苹果iPhone15ProMax手机壳',
	'𠀀𠀁 CJK extension B 𪚥 𩸽 𫝆 and compatibility 丽 (U+F900)',
	'العربية: سماعات لاسلكية مع خاصية إلغاء الضوضاء بسعر ١٢٩٫٩٩ ريال',
	'عربي مع تشكيل: مُحَمَّدٌ رَسُولُ',
	'עברית: אוזניות אלחוטיות במחיר ₪399',
	'Русский: Беспроводные наушники с шумоподавлением, цена 9 990 ₽',
	'Українська: ґанок, їжак, є, Ї',
	'ไทย: หูฟังไร้สายตัดเสียงรบกวน ราคา ๑,๒๙๐ บาท',
	'हिन्दी: वायरलेस ईयरफ़ोन, कीमत ₹2,499 (क्षत्रिय, श्री)',
	'বাংলা: ওয়্যারলেস হেডফোন',
	'தமிழ்: கம்பியில்லா காதணி',
	'Ελληνικά: Ασύρματα ακουστικά, τιμή 129,99 €, ΐ ΰ ς σ Σ',
	'Հայերեն: անլար ականջակալներ',
	'ქართული: უსადენო ყურსასმენები',
	'Tiếng Việt, Türkçe: kulaklık, ığüşöç İĞÜŞÖÇ',
	'Emoji: 😀 😃 😄 👍 👍🏻 👍🏿 ❤️ ❤',
	'ZWJ: 👨‍👩‍👧‍👦 👩‍❤️‍💋‍👨 🧑‍🤝‍🧑 👩🏽‍💻 🏳️‍🌈 🏴‍☠️',
	'Flags: 🇨🇳🇺🇸🇯🇵🇰🇷🇩🇪🇫🇷 🏴󠁧󠁢󠁳󠁣󠁴󠁿',
	'Keycaps: 0️⃣ 1️⃣ 2️⃣ #️⃣ *️⃣ 1⃣',
	'Variation selectors: ☺︎ ☺️ ✈︎ ✈️ 〽️',
	'emoji-only 🎁🎉🎊🛒🛍️💳💰',
	'Price list: $19.99, $1,299.00, ¥1,299.00, €9,99, £5, ₩129,000, ₹2,499, 1.299,00 €',
	'RTX-4090Ti, GTX1080, i7-13700K, M2 Pro, USB-C 3.2 Gen2x2, Wi-Fi 6E, 802.11ax',
	'SKU#A12-B/34, model no. XJ-9000/β, part #00042-ZZ, EAN 4006381333931',
	'https://example.com/products/12345?utm_source=foo&ref=bar#reviews',
	'http://www.shop.example.cn/商品/详情?id=9&lang=zh-CN',
	'email: sales+promo@example.co.uk, @handle, #hashtag, $TSLA',
	'2024-06-11T10:30:00Z, 11/06/2024, 10:30 a.m., 3.14159, 1e-9, -42, +7',
	'0123456789 00000000000000000000 123,456,789.000',
	'٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ ०१२३४५६७८९ ๐๑๒๓๔๕๖๗๘๙ 〇一二三',
	"It's the shop's best; they're here, we've got it, I'm sure you'll love it, he'd say.",
	"IT'S ALL CAPS, THEY'RE LOUD; 'quoted' \"double\" ‘curly’ “curly” «guillemets» ‚low‘",
	"rock 'n' roll, o'clock, y'all, '90s, ma'am",
	'Punctuation!!! ??? ... … — – - _ ~ ` ^ | \\ / @ # $ % & * ( ) [ ] { } < > = +',
	'math: ∑ ∫ √ ∞ ≈ ≠ ≤ ≥ ± × ÷ ∂ ∇ ∈ ∉ ⊂ ∪ ∩',
	'arrows & boxes: → ← ↑ ↓ ⇒ ┌─┐ │ └─┘ ■ □ ▲ ● ★ ☆',
	'currency: ¢ £ ¤ ¥ ₠ ₡ ₢ ₣ ₤ ₥ ₦ ₧ ₨ ₩ ₪ ₫ € ₭ ₮ ₯ ₰ ₱ ₲ ₳ ₴ ₵ ₸ ₹ ₺ ₿',
	'[CLS] literal special tokens [SEP] in text [MASK]',
	'[CLS][SEP][MASK][PAD][UNK]',
	'x[CLS]y [SEP]z w[MASK] [UNK]',
	'[cls] [Sep] [ MASK ] [MASK [MASK]] [[CLS]]',
	'<s>roberta style</s> <pad> <unk> <mask>',
	'<s><s></s></s>',
	'<|endoftext|>gpt style<|endoftext|> <|begin_of_text|> <|eot_id|> <|start_header_id|>user<|end_header_id|>',
	'<BOS_TOKEN>cohere<EOP_TOKEN> <UNK> <PAD> <MASK_TOKEN>',
	'<unk> and <UNK> and [UNK] and <|unk|>',
	'▁metaspace▁literal ▁ and Ġbyte Ċlevel literals',
	'##subword ## prefix ##',
	'mixed: [CLS]你好[SEP]世界[MASK]😀',
	'HTML <b>bold</b> &amp; &lt;tag&gt; &#x4E2D; <br/>',
	'JSON {"a": [1, 2, 3], "b": null, "c": "d\\"e"}',
	'path C:\\Users\\shop\\file.txt and /usr/local/bin',
	'Über Grüße Ärger Öl Äpfel Fußball',
	'ПРОДАЖА!!! СКИДКА 50% только сегодня',
	'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
	'antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis',
	'thisisaverylongwordwithoutspacesthatkeepsgoingandgoingandgoingandgoingandgoingandgoingandgoingandgoingandgoing end',
	'single char words: a b c d e f g h i j k l m n o p q r s t u v w x y z',
	'Iñtërnâtiônàlizætiøn',
	'\ue000\uf8ff private use \u{f0000}',
	'noncharacters \ufdd0 \ufffe \uffff \u{1fffe}',
	'replacement \ufffd char',
	'tag chars \u{e0001}\u{e0041}\u{e007f}',
	'bidi \u202aLRE\u202c \u202eRLO\u202c \u2066LRI\u2069',
	'mongolian \u180e vowel separator, ogham\u1680space',
	'braille ⠓⠑⠇⠇⠕ and musical 𝄞 and math bold 𝐀𝐁𝐂 𝟏𝟐𝟑',
	'circled ①②③ ⓐⓑⓒ ㊀ ㊤ ㈱',
	'superscripts x² y³ H₂O CO₂ ¹²³',
	'Roman ⅠⅡⅢⅣ ⅰⅱⅲ',
	'Ｈｅｌｌｏ　Ｗｏｒｌｄ！ ＳＫＵ＃Ａ１２－Ｂ／３４ ￥１，２９９．００',
	'ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ',
	"don't won't can't shouldn't y'know 'tis",
	'l\'homme, aujourd\'hui, c\'est',
	'MiXeD CaSe WoRdS and CamelCaseWords and snake_case_words and kebab-case-words',
	'iPhone15 iPad Air M2 MacBookPro16 Galaxy S24 Ultra 5G',
	'123abc abc123 a1b2c3 1a2b3c',
	'..., ,,, ;;; ::: !!! ??? --- ___ ***',
	'a.b.c d,e,f g;h;i j:k:l',
	'U.S.A. e.g. i.e. etc. Mr. Dr. No. 5',
];

main(process.argv.slice(2));
