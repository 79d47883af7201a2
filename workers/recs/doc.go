// Package recs holds the batch jobs of the recommender side of a space:
// BuildNeighbors precomputes every item's similar items (exact, or with an
// HNSW index for large spaces, and incrementally from the update stream),
// BuildUsers turns interaction events from any device into one vector per
// user, and Evaluate measures on synthetic users what the unified user
// vector gains over per-device ones. What they write is in
// docs/contract.md; storage/reader reads it.
package recs
