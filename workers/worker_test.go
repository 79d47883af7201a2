package workers

import (
	"context"
	"errors"
	"image/color"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/itemvec/itemvec"
)

// gatedEncoder is the mean encoder behind a gate: Submit reports that it
// was called and waits until the gate opens.
type gatedEncoder struct {
	meanEncoder
	entered chan struct{}
	gate    chan struct{}
}

func (e *gatedEncoder) Submit(ctx context.Context, in []float32) ([]float32, error) {
	e.entered <- struct{}{}
	<-e.gate
	return e.meanEncoder.Submit(ctx, in)
}

// TestShutdownFinishesRunningTask: Shutdown stops taking tasks but lets the
// running one finish, and its item is published.
func TestShutdownFinishesRunningTask(t *testing.T) {
	enc := &gatedEncoder{entered: make(chan struct{}, 1), gate: make(chan struct{})}
	f := newFixture(t, nil, func(c *Config, p *pipelineParts) {
		c.PollInterval, c.ShutdownTimeout = 20*time.Millisecond, time.Minute
		p.image = enc
	})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := f.w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClientFromRedisClient(f.w.cfg.Redis)
	if _, err := Enqueue(ctx, client, strings.NewReader(`{"id":"slow","images":["s3://b/red.jpg"]}`), EnqueueConfig{Space: f.w.Space()}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-enc.entered:
	case <-ctx.Done():
		t.Fatal("the task never reached the encoder")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- f.w.Shutdown(ctx) }()
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned (%v) while a task was running", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(enc.gate)
	if err := <-stopped; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	got, err := f.store.Get(ctx, f.w.Space(), "slow")
	if err != nil || got[0] == nil {
		t.Fatalf("the running task's item was not published: %v, %v", got, err)
	}
	if err := f.w.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

func TestWorkerLifecycle(t *testing.T) {
	t.Run("no Redis: embeds, cannot serve", func(t *testing.T) {
		f := newFixture(t, nil, func(c *Config, _ *pipelineParts) { c.Redis = nil })
		if _, err := f.w.Embed(t.Context(), item("x", "s3://b/red.jpg")); err != nil {
			t.Fatalf("Embed without Redis: %v", err)
		}
		err := f.w.Start(t.Context())
		if itemvec.KindOf(err) != itemvec.KindConfig || !strings.Contains(err.Error(), "Config.Redis") {
			t.Fatalf("Start without Redis: %v, want a config error naming Config.Redis", err)
		}
	})
	t.Run("start twice", func(t *testing.T) {
		f := newFixture(t, nil)
		if err := f.w.Shutdown(t.Context()); err != nil {
			t.Fatalf("Shutdown before Start: %v", err)
		}
		if err := f.w.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := f.w.Start(t.Context()); itemvec.KindOf(err) != itemvec.KindConfig {
			t.Fatalf("second Start: %v", err)
		}
		cur, err := f.store.Current(t.Context())
		if err != nil || cur != f.w.Space() {
			t.Errorf("itemvec:current = %q, %v; Start must claim it when none is set", cur, err)
		}
		if first, second := f.w.Close(), f.w.Close(); first != second {
			t.Errorf("Close twice: %v, then %v; want the first result again", first, second)
		}
	})
	t.Run("a current space is not moved", func(t *testing.T) {
		f := newFixture(t, nil)
		if err := f.store.SetCurrent(t.Context(), "other-space"); err != nil {
			t.Fatal(err)
		}
		if err := f.w.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		if cur, _ := f.store.Current(t.Context()); cur != "other-space" {
			t.Errorf("Start moved itemvec:current to %q", cur)
		}
	})
}

// TestEmbedIsWhatATaskPublishes: Worker.Embed runs the task pipeline — the
// same encoder, preparation, fusion and content hash — so what it returns
// is exactly what processing the item as a task stores.
func TestEmbedIsWhatATaskPublishes(t *testing.T) {
	f := newFixture(t, nil)
	ctx := t.Context()
	it := item("sku-red", "s3://b/red.jpg")
	before := f.calls()
	e, err := f.w.Embed(ctx, it)
	if err != nil {
		t.Fatal(err)
	}
	if f.calls() != before+1 || len(e.Image) != 1280 || e.ImageURI != "s3://b/red.jpg" {
		t.Fatalf("Embed did not run the image encoder once: calls %d -> %d, image %d values from %q", before, f.calls(), len(e.Image), e.ImageURI)
	}
	if _, err := f.w.pipe.Process(ctx, []Item{it}, Attempt{Task: "t"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.Get(ctx, f.w.Space(), it.ID)
	if err != nil || got[0] == nil {
		t.Fatalf("not published: %v", err)
	}
	stored := got[0]
	if stored.ContentHash != e.Vector.ContentHash || stored.SpecHash != e.Vector.SpecHash ||
		strings.Join(stored.Modalities, ",") != strings.Join(e.Vector.Modalities, ",") || len(stored.Vector) != len(e.Vector.Vector) {
		t.Fatalf("stored %+v, embed %+v", stored, e.Vector)
	}
	for i := range stored.Vector {
		if stored.Vector[i] != e.Vector.Vector[i] {
			t.Fatalf("value %d: stored %v, embed %v", i, stored.Vector[i], e.Vector.Vector[i])
		}
	}

	f.objects.data["s3://b/green.jpg"] = testJPEG(t, color.RGBA{G: 200})
	_, err = f.w.Embed(ctx, item("", "s3://b/green.jpg"))
	var ie *ItemError
	if !errors.As(err, &ie) || ie.Stage != StageValidate {
		t.Fatalf("Embed of an invalid item: %v, want a validate ItemError", err)
	}
	_, err = f.w.Embed(ctx, item("gone", "s3://b/gone.jpg"))
	if !errors.As(err, &ie) || ie.Code() != "fetch_object_missing" {
		t.Fatalf("Embed of a missing object: %v, want fetch_object_missing", err)
	}
}

func TestLayout(t *testing.T) {
	f := newFixture(t, nil)
	l := f.w.Layout()
	if l.Space != f.w.Space() || l.Spec != "itemvec-fusion-v1" || len(l.Blocks) != 3 || l.Dim != 1280+len(l.BehaviorFeatures) {
		t.Fatalf("layout %+v", l)
	}
	want := []struct {
		name        string
		offset, dim int
		model       string
	}{{"image", 0, 1280, "mobilenetv2-nsfwjs-gap@1"}, {"text", 1280, 0, ""}, {"behavior", 1280, len(l.BehaviorFeatures), ""}}
	for i, b := range l.Blocks {
		if b.Name != want[i].name || b.Offset != want[i].offset || b.Dim != want[i].dim || b.Model != want[i].model {
			t.Errorf("block %d: %+v, want %+v", i, b, want[i])
		}
	}
	if l.BehaviorFeatures[0] != "log_price" {
		t.Errorf("behaviour features %v", l.BehaviorFeatures)
	}
}
