package demo_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/internal/testdeps"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/storage/redistest"
	"github.com/itemvec/itemvec/storage/s3test"
	"github.com/itemvec/itemvec/workers"
	"github.com/itemvec/itemvec/workers/demo"
	"github.com/itemvec/itemvec/workers/demo/catalog"
)

// needDeps fails (under make test) or skips (plain go test) when make setup
// has not produced the model and the sample catalog.
func needDeps(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: end-to-end tests need ONNX Runtime and the model")
	}
	testdeps.Require(t, "ort/libonnxruntime.so.1", "models/mobilenetv2_nsfwjs_gap.onnx", "catalog/manifest.jsonl")
	return testdeps.Dir(t)
}

// newWorker starts a worker with the built-in image model on rdb and s3;
// textModel and fusionSpec are ModelConfig's Text and Fusion.
func newWorker(t *testing.T, rdb redis.UniversalClient, s3 storage.S3Config, textModel, fusionSpec string) *workers.Worker {
	t.Helper()
	w, err := workers.New(t.Context(), workers.Config{
		Redis: rdb, S3: s3, Concurrency: 3, PollInterval: 100 * time.Millisecond,
		RetryDelay: func(int) time.Duration { return 100 * time.Millisecond },
		Models:     workers.ModelConfig{Device: onnx.DeviceCPU, MaxBatch: 8, MaxWait: 2 * time.Millisecond, Text: textModel, Fusion: fusionSpec},
	})
	if err != nil {
		t.Fatalf("start the worker: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

type backend struct {
	name  string
	redis func(t *testing.T) redis.UniversalClient
	s3    func(tb testing.TB) *s3test.Server
}

var backends = []backend{
	{
		name: "redis-server+versitygw",
		redis: func(t *testing.T) redis.UniversalClient {
			return redistest.Start(t).Client()
		},
		s3: s3test.StartVersity,
	},
	{
		name: "miniredis+gofakes3",
		redis: func(t *testing.T) redis.UniversalClient {
			mr := miniredis.RunT(t)
			rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
			t.Cleanup(func() { rdb.Close() })
			return rdb
		},
		s3: s3test.StartEmbedded,
	},
}

// TestEndToEnd enqueues the sample catalog plus three broken items through
// asynq, runs the real worker (S3 via aws-sdk-go-v2, real MobileNetV2 on ONNX
// Runtime, fusion, Redis) and checks what lands in Redis.
func TestEndToEnd(t *testing.T) {
	deps := needDeps(t)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cat, err := catalog.Load(filepath.Join(deps, "catalog"))
			if err != nil {
				t.Fatal(err)
			}
			bad, badObjects := catalog.BadItems(cat.Bucket)
			s3 := b.s3(t)
			w := newWorker(t, b.redis(t), s3.ReaderConfig(), workers.TextModelNone, "")
			spec := fusion.DefaultSpec()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			rep, err := demo.RunJob(ctx, w, demo.Job{
				Catalog: cat, Uploader: s3, ExtraItems: bad, ExtraObjects: badObjects, Batch: 7, MaxRetry: 1,
			})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Items != len(cat.Items)+3 || rep.Items < 20 {
				t.Fatalf("enqueued %d items, want %d", rep.Items, len(cat.Items)+3)
			}

			// Every good item: in Redis, right dim, unit norm, image present.
			if rep.Published != len(cat.Items) {
				t.Errorf("published %d vectors, want %d", rep.Published, len(cat.Items))
			}
			for _, it := range cat.Items {
				v := rep.Vectors[it.ID]
				if v == nil {
					t.Errorf("%s: no vector in Redis", it.ID)
					continue
				}
				if len(v.Vector) != spec.Dim() {
					t.Errorf("%s: dim %d, want %d", it.ID, len(v.Vector), spec.Dim())
				}
				if n := l2(v.Vector); math.Abs(n-1) > 1e-5 {
					t.Errorf("%s: norm %.7f, want 1", it.ID, n)
				}
				if len(v.Blocks[fusion.BlockImage]) != 1280 || v.Modalities[0] != fusion.BlockImage {
					t.Errorf("%s: modalities %v, image block %d values", it.ID, v.Modalities, len(v.Blocks[fusion.BlockImage]))
				}
				if v.SpecHash != spec.Hash() || v.ContentHash == "" {
					t.Errorf("%s: spec hash %q content hash %q", it.ID, v.SpecHash, v.ContentHash)
				}
			}

			// Every bad item: recorded with a reason that names the object.
			want := map[string]string{
				catalog.BadCorruptJPEG: "decode_corrupt",
				catalog.BadZeroBytes:   "decode_empty",
				catalog.BadMissingKey:  "fetch_object_missing",
			}
			if len(rep.Failures) != len(want) {
				t.Errorf("failures %+v, want the 3 broken items", rep.Failures)
			}
			for _, f := range rep.Failures {
				kind, ok := want[f.ID]
				if !ok {
					t.Errorf("unexpected failure %+v", f)
					continue
				}
				if f.Kind != kind || !strings.Contains(f.Reason, f.URI) || f.URI == "" {
					t.Errorf("%s: kind %q reason %q uri %q, want kind %q and a reason naming the object", f.ID, f.Kind, f.Reason, f.URI, kind)
				}
				if rep.Vectors[f.ID] != nil {
					t.Errorf("%s failed but has a vector", f.ID)
				}
			}
			if len(rep.Archived) != 0 {
				t.Errorf("%d tasks archived; bad items must not fail their task", len(rep.Archived))
			}

			// Near-duplicates: each pair is more similar to each other than
			// either is to any product outside its group.
			pairs := 0
			for _, p := range cat.NearDuplicatePairs() {
				a, b := rep.Vectors[p[0]], rep.Vectors[p[1]]
				if a == nil || b == nil {
					continue
				}
				pairs++
				pair := fusion.Cosine(a.Vector, b.Vector)
				for id, v := range rep.Vectors {
					if cat.SameGroup(p[0], id) {
						continue
					}
					for k, q := range []*storage.ItemVector{a, b} {
						if c := fusion.Cosine(q.Vector, v.Vector); c >= pair {
							t.Errorf("near-duplicates %s/%s: cosine %.3f, but %s is closer to %s (%.3f)",
								p[0], p[1], pair, p[k], id, c)
						}
					}
				}
			}
			if pairs == 0 {
				t.Errorf("none of the catalog's %d near-duplicate pairs was published, so none was checked", len(cat.NearDuplicatePairs()))
			}
		})
	}
}

func l2(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// TestEndToEndWithText runs the sample catalog with a text model: the
// BERT-architecture TEST STAND-IN (random weights, so its vectors mean
// nothing) behind the real Go tokenizer, on redis-server and versitygw. Every
// product's texts must reach Redis as the text block of its fused vector,
// the one Worker.Embed computes for the same text.
func TestEndToEndWithText(t *testing.T) {
	deps := needDeps(t)
	testdeps.RequireTest(t, "models/bert_standin_text.onnx")
	cat, err := catalog.Load(filepath.Join(deps, "catalog"))
	if err != nil {
		t.Fatal(err)
	}
	noText := workers.Item{ID: "no-text", Images: cat.Items[0].Images, Behavior: cat.Items[0].Behavior}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	textSpec := filepath.Join(testdeps.Root(t), "workers", "modelspec", "specs", "bert-standin-text.json")
	spec := fusion.DefaultSpec()
	spec.ID = "itemvec-fusion-standin-text"
	spec.Blocks.Text = fusion.EmbeddingBlock{Model: "bert-standin-text@1", Dim: 64, Weight: 1}
	specFile := filepath.Join(t.TempDir(), "fusion.json")
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(specFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s3 := s3test.StartVersity(t)
	w := newWorker(t, redistest.Start(t).Client(), s3.ReaderConfig(), textSpec, specFile)
	rep, err := demo.RunJob(ctx, w, demo.Job{Catalog: cat, Uploader: s3, ExtraItems: []workers.Item{noText}, Batch: 7})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Published != len(cat.Items)+1 || len(rep.Failures) != 0 {
		t.Fatalf("published %d of %d, failures %+v", rep.Published, len(cat.Items)+1, rep.Failures)
	}
	if rep.Dim != 1280+64+spec.BehaviorDim() {
		t.Errorf("dim %d", rep.Dim)
	}
	for _, it := range cat.Items {
		v := rep.Vectors[it.ID]
		got := v.Blocks[fusion.BlockText]
		if !slices.Contains(v.Modalities, fusion.BlockText) || len(got) != 64 {
			t.Errorf("%s: modalities %v, text block %d values", it.ID, v.Modalities, len(got))
			continue
		}
		e, err := w.Embed(ctx, workers.Item{ID: it.ID, Text: it.Text})
		if err != nil {
			t.Fatal(err)
		}
		if c := fusion.Cosine(got, e.Text.Vector); c < 0.9999 {
			t.Errorf("%s: stored text block has cosine %.6f with the text's embedding", it.ID, c)
		}
		if n := l2(v.Vector); math.Abs(n-1) > 1e-5 {
			t.Errorf("%s: norm %v", it.ID, n)
		}
	}
	if v := rep.Vectors["no-text"]; v == nil || slices.Contains(v.Modalities, fusion.BlockText) || v.Blocks[fusion.BlockText] != nil {
		t.Errorf("an item without text got a text block: %+v", v)
	}
}
