// Package reader is what recommender code on a device's backend (PC,
// phone, tablet) uses to read itemvec's output from Redis: the current
// space and its promotions, item vectors, similar items, user vectors and
// recommendations for a user. It follows docs/contract.md and nothing
// else, so a reader in another language can do the same
// (docs/examples/reader.py does, with redis-py and struct).
//
// Similar items come from the precomputed lists `itemvec neighbors build`
// publishes (one ZSET read per product page) when a list exists and is
// long enough; otherwise, or with Exact, from an exact scan of the space:
// ZSCAN of the id index, one pipelined HMGET per batch of 512 items and a
// dot product per item (the vectors are unit: the dot product is the
// cosine). The scan holds one batch in memory, whatever the size of the
// space.
//
// A user vector (itemvec users build) is one vector per user across
// devices. Recommend ranks the items of the space by their dot product
// with it, leaves out the items the user ordered, and with a device adds
// the device prior of fusion/users to each score: the device changes the
// ranking, never the vector.
//
// Follow* read an update stream with XREAD BLOCK from a given entry id
// until the context ends.
package reader
