#!/usr/bin/env node
// Writes the product texts of the sample catalog as JSON to stdout.
//
//   node testdata/catalog/texts.cjs FAKER_INDEX_CJS [SUBJECTS_JSON] > texts.json
//
// FAKER_INDEX_CJS is @faker-js/faker's dist/index.cjs (make setup extracts it
// to .deps/npm/faker/package/dist/index.cjs). SUBJECTS_JSON defaults to
// subjects.json next to this script: one entry per licensed photo, with the
// product a shop could sell with that photo, its price band and the
// near-duplicate variants `itemvec catalog prepare` derives from it.
//
// Every photo gets 1 + len(variants) listings: the first describes the
// original product, the others read like other sellers' listings of the same
// thing (same subject, a different faker adjective). About one listing in
// three is written in Chinese with faker's zh_CN locale. Faker is seeded, so
// the output is the same on every run for a given faker version.
'use strict';

const fs = require('fs');
const path = require('path');

function main(argv) {
	if (argv.length < 1 || argv.length > 2) {
		process.stderr.write('usage: node texts.cjs FAKER_INDEX_CJS [SUBJECTS_JSON]\n');
		process.exit(2);
	}
	const fakerPath = path.resolve(argv[0]);
	const subjectsPath = path.resolve(argv[1] || path.join(__dirname, 'subjects.json'));
	const { fakerEN, fakerZH_CN } = require(fakerPath);
	const subjects = JSON.parse(fs.readFileSync(subjectsPath, 'utf8'));

	fakerEN.seed(subjects.seed);
	fakerZH_CN.seed(subjects.seed);

	const en = englishWords(fakerEN);
	const zh = chineseWords(fakerZH_CN);
	const photos = subjects.photos.map((p, i) => {
		const variants = p.variants || [];
		const listings = [];
		const used = new Set();
		for (let k = 0; k <= variants.length; k++) {
			const lang = (i + k) % 3 === 2 ? 'zh' : 'en';
			const words = lang === 'zh' ? zh : en;
			listings.push(words.listing(lang === 'zh' ? p.subject_zh : p.subject, used));
		}
		return {
			file: p.file,
			subject: p.subject,
			subject_zh: p.subject_zh,
			price: p.price,
			keep_png: Boolean(p.keep_png),
			variants,
			listings,
		};
	});

	const out = {
		generator: `@faker-js/faker ${fakerVersion(fakerPath)}`,
		seed: subjects.seed,
		photos,
	};
	process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

// englishWords draws titles and descriptions from faker's en commerce data,
// leaving out food words that no product in this catalog could carry.
function englishWords(f) {
	const food = new Set(['Fresh', 'Frozen', 'Tasty']);
	const adjectives = f.definitions.commerce.product_name.adjective.filter((a) => !food.has(a));
	const materials = f.definitions.commerce.product_name.material;
	const unfit = /RAM|pets|ingredients|culinary|training|food\.adjective|LED/;
	const templates = f.definitions.commerce.product_description.filter((t) => !unfit.test(t));
	return {
		listing(subject, used) {
			const adjective = freshAdjective(f, adjectives, used);
			const material = f.helpers.arrayElement(materials);
			const sentences = f.helpers.arrayElements(templates, 2).map((t) => {
				const filled = t
					.replaceAll('{{commerce.product}}', subject)
					.replaceAll('{{commerce.productAdjective}}', adjective)
					.replaceAll('{{commerce.productMaterial}}', material === 'Wooden' ? 'wood' : material.toLowerCase());
				return f.helpers.fake(filled) + '.';
			});
			return {
				lang: 'en',
				title: `${adjective} ${material} ${subject}`,
				description: sentences.join(' '),
			};
		},
	};
}

// chineseWords does the same with faker's zh_CN commerce data. zh_CN has no
// description templates that name a product, so the sentences are ours and
// the words in them are faker's.
function chineseWords(f) {
	const food = new Set(['好吃']);
	const notMaterial = new Set(['冷冻', '新鲜']);
	const adjectives = f.definitions.commerce.product_name.adjective.filter((a) => !food.has(a));
	const materials = f.definitions.commerce.product_name.material.filter((m) => !notMaterial.has(m));
	const departments = f.definitions.commerce.department;
	const templates = [
		(s, a, m, d) => `这款${a}${s}采用${m}材质，是${d}频道的热门之选。`,
		(s, a, m) => `${s}，${a}设计，${m}质感，适合家居与办公。`,
		(s, a, m, d) => `精选${m}${s}，${a}风格，${d}频道限时优惠。`,
		(s, a, m) => `全新${s}：${a}外观，搭配${m}细节，送礼自用两相宜。`,
	];
	return {
		listing(subject, used) {
			const adjective = freshAdjective(f, adjectives, used);
			const material = f.helpers.arrayElement(materials);
			const department = f.helpers.arrayElement(departments);
			const template = f.helpers.arrayElement(templates);
			return {
				lang: 'zh',
				title: `${adjective}${material}${subject}`,
				description: template(subject, adjective, material, department),
			};
		},
	};
}

// freshAdjective picks an adjective no earlier listing of the same photo used,
// so variants read like another seller's title for the same product.
function freshAdjective(f, adjectives, used) {
	for (;;) {
		const a = f.helpers.arrayElement(adjectives);
		if (!used.has(a)) {
			used.add(a);
			return a;
		}
	}
}

function fakerVersion(fakerPath) {
	try {
		const pkg = path.join(path.dirname(fakerPath), '..', 'package.json');
		return JSON.parse(fs.readFileSync(pkg, 'utf8')).version;
	} catch {
		return 'unknown';
	}
}

main(process.argv.slice(2));
