// Package catalog is the sample catalog itemvec run ships: real photos, faker
// texts, seeded behaviour. It is demo and test material, never used by a
// worker serving tasks.
//
// Prepare turns a folder of freely licensed photos (see
// testdata/catalog/LICENSES.md) and a texts file written by
// testdata/catalog/texts.cjs into a catalog folder:
//
//	images/<file>     one picture per product, JPEG at most 1024 px on the
//	                  long side, a couple kept as PNG to exercise that path
//	manifest.jsonl    one product per line in the shape of an enqueue
//	                  manifest item: id, s3:// image URI, texts, behaviour
//	catalog.json      the same products for people: id, title, image file and
//	                  the near-duplicate group each belongs to (dup_of)
//
// Some photos get near-duplicate variants (a central crop, a horizontal flip,
// a smaller lower-quality JPEG, a JPEG re-encode of a PNG), each listed as its
// own product by "another seller", so that a "similar products" query has a
// known right answer. Load reads a catalog folder back for itemvec run (which
// uploads the images to an in-process S3 and enqueues the manifest) and for
// tests, which check the near-duplicate pairs. BadItems makes the broken
// inputs the end-to-end test feeds the pipeline.
//
// Everything is deterministic: the same photos, texts and seed give the same
// bytes. The package does no network I/O. It writes its items as
// workers.Item, the manifest line the worker reads; nothing on the worker's
// code path imports it.
package catalog
