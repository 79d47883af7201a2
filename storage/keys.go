package storage

// Keys of a space besides its items, failures and update stream (redis.go)
// and its sweep marks (state.go). docs/contract.md documents each.

// MetaKey is the HASH describing a space: its fusion spec, layout,
// models, storage options and creation time (see SpaceMeta).
func MetaKey(space string) string { return "itemvec:" + space + ":meta" }

// IndexKey is the ZSET of the ids of the items published in a space,
// scored by their last publish time in unix milliseconds. It is what
// counts a space's items and what backfills and drops walk.
func IndexKey(space string) string { return "itemvec:" + space + ":ids" }

// WarningsKey is the ZSET of the ids of items of a space whose last
// publish carried warnings (the item hash's warnings field), scored by
// that publish time in unix milliseconds.
func WarningsKey(space string) string { return "itemvec:" + space + ":warnings" }

// PromotionsKey is the STREAM announcing every change of CurrentKey: one
// entry per promotion with fields space, previous, items and at.
const PromotionsKey = "itemvec:promotions"
