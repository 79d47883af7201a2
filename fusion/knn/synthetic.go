package knn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// latentDim is the intrinsic dimension of Synthetic's vectors: embeddings
// of real products lie near a low-dimensional surface of their space, not
// spread over every dimension like isotropic noise (whose nearest
// neighbours are close to arbitrary and which no index can search).
const latentDim = 32

// Synthetic returns n unit vectors of dim with the structure of a product
// catalogue: clusters centres (categories) in a latentDim-dimensional
// space, each with sub-centres (product lines), items scattered around a
// sub-centre, and one item in twenty a near-duplicate of an earlier one;
// a fixed random linear map takes them to dim, plus a little isotropic
// noise. The same arguments give the same vectors. Ids are "syn-<i>".
func Synthetic(n, dim, clusters int, seed uint64) *Matrix {
	r := rand.New(rand.NewPCG(seed, 0x1e7))
	const subs = 8
	gauss := func(size int, scale float64, base []float64) []float64 {
		v := make([]float64, size)
		for j := range v {
			v[j] = scale * r.NormFloat64()
			if base != nil {
				v[j] += base[j]
			}
		}
		return v
	}
	centres := make([][][]float64, clusters)
	for c := range centres {
		centre := gauss(latentDim, 1, nil)
		centres[c] = make([][]float64, subs)
		for s := range centres[c] {
			centres[c][s] = gauss(latentDim, 0.5, centre)
		}
	}
	proj := make([][]float64, dim) // dim x latentDim
	for i := range proj {
		proj[i] = gauss(latentDim, 1/math.Sqrt(latentDim), nil)
	}
	m := NewMatrix(dim, n)
	row := make([]float32, dim)
	v := make([]float64, dim)
	for i := range n {
		if i > 20 && i%20 == 0 {
			prev := m.Row(r.IntN(i))
			for j := range v {
				v[j] = float64(prev[j]) + 0.02/math.Sqrt(float64(dim))*r.NormFloat64()
			}
		} else {
			z := gauss(latentDim, 0.35, centres[r.IntN(clusters)][r.IntN(subs)])
			for j := range v {
				var s float64
				for l, x := range z {
					s += proj[j][l] * x
				}
				v[j] = s + 0.05*r.NormFloat64()
			}
		}
		var s float64
		for _, x := range v {
			s += x * x
		}
		s = math.Sqrt(s)
		for j := range row {
			row[j] = float32(v[j] / s)
		}
		if err := m.Add(fmt.Sprintf("syn-%d", i), row); err != nil {
			panic(err) // cannot happen: finite values of the right length
		}
	}
	return m
}
