package modelspec

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx"
)

func TestZZSensitivity(t *testing.T) {
	deps := testdeps.Dir(t)
	env, _ := onnx.InitEnvironment(onnx.EnvConfig{LibraryPath: filepath.Join(deps, "ort/libonnxruntime.so.1")})
	defer env.Close()
	img := DefaultImage()
	sess, err := onnx.NewSession(t.Context(), env, img.ModelPath(filepath.Join(deps, "models")), onnx.SessionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	spec := img.Image.WithDefaults()
	prep, _ := extract.NewPreparer(spec, extract.Limits{})
	e := func(x []float32) []float32 { o, _ := sess.Run(t.Context(), x, 1); return o }
	for _, f := range []string{"catalog/images/rocket-small.jpg", "catalog/images/rocket.jpg", "large/locomotion-house-cat-2000.jpg", "catalog/images/astronaut.jpg"} {
		data, err := os.ReadFile(filepath.Join(deps, f))
		if err != nil {
			continue
		}
		ref, _ := extract.PrepareImage(data, spec, extract.Limits{})
		cr := spec
		cr.Filter = "catmullrom"
		cat, _ := extract.PrepareImage(data, cr, extract.Limits{})
		bx := spec
		bx.Filter = "box"
		box, _ := extract.PrepareImage(data, bx, extract.Limits{})
		noisy := append([]float32(nil), ref...)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range noisy {
			noisy[i] += float32(r.IntN(3)-1) / 255
		}
		cur := make([]float32, len(ref))
		prep.Prepare(data, cur)
		er := e(ref)
		t.Logf("%s: ref vs catmullrom %.4f, vs box %.4f, vs ±1 level noise %.4f, vs Preparer %.4f", f,
			cosine(er, e(cat)), cosine(er, e(box)), cosine(er, e(noisy)), cosine(er, e(cur)))
	}
}
