// Package knn finds nearest neighbours of unit vectors by dot product
// (cosine, since itemvec's vectors have unit norm). It is pure computation:
// no I/O.
//
// Exact search (TopK, Scanner, ExactAll, ExactFor) computes every dot
// product with an 8-way unrolled loop over row-major float32 rows (Matrix)
// and keeps the best k in a bounded min-heap that does not allocate once
// full: its cost is reading every row once per block of queries, so it is
// bound by memory bandwidth, not by allocation. ExactAll blocks queries and
// rows so that a tile of rows is reused from cache by a tile of queries.
//
// Ties are broken by id, ascending, everywhere: the same data give the same
// lists.
//
// For large spaces, BuildHNSW indexes a Matrix with an HNSW graph
// (github.com/coder/hnsw, distance 1 - dot); Index.Search re-scores the
// candidates it returns exactly. Recall measures an approximate result
// against the exact one.
package knn
