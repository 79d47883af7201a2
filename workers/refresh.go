package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"strconv"
	"time"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/internal/cputime"
	"github.com/itemvec/itemvec/storage"
)

// VersionedReader is an ObjectReader that also knows each object's version
// (an S3 ETag): *storage.S3Reader is one. With it a worker records what
// media a vector was made from (the item hash's media_hash) and refreshes an
// item whose only change is its behaviour counters from its stored vector,
// with a HEAD per image instead of a fetch, a decode and a model run.
type VersionedReader interface {
	ObjectReader
	GetVersion(ctx context.Context, uri string) ([]byte, string, error)
	Version(ctx context.Context, uri string) (string, error)
}

// mediaHasher folds what an item's image and text blocks depend on: the
// fusion spec (which names the models), the text, the image URIs in order
// and the version of each image up to the one embedded (the ones before it
// failed; their versions say which bytes failed).
type mediaHasher struct {
	h hash.Hash
}

func newMediaHasher(specHash string, it Item) *mediaHasher {
	m := &mediaHasher{h: sha256.New()}
	text, _ := json.Marshal(it.Text) // plain strings: always marshals
	m.h.Write([]byte(specHash))
	m.h.Write([]byte{0})
	m.h.Write(text)
	for _, uri := range it.Images {
		m.h.Write([]byte{0})
		m.h.Write([]byte(uri))
	}
	return m
}

// add folds the version of the next image.
func (m *mediaHasher) add(version string) {
	m.h.Write([]byte{1})
	m.h.Write([]byte(version))
}

// sum is the media hash with image i embedded (-1: none), 32 hex digits.
func (m *mediaHasher) sum(i int) string {
	h := sha256.New()
	h.Write(m.h.Sum(nil))
	h.Write([]byte(strconv.Itoa(i)))
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// mediaHash is the media hash of an embedding of it that used image used
// (-1 for none) after reading versions of images 0..used; "" when an
// image's version is unknown (the reader has none): such an item is always
// embedded again.
func (p *pipeline) mediaHash(it Item, versions []string, used int) string {
	if _, ok := p.objects.(VersionedReader); !ok && len(it.Images) > 0 {
		return ""
	}
	m := newMediaHasher(p.fuser.Hash(), it)
	for i := 0; i <= used; i++ {
		if i >= len(versions) || versions[i] == "" && i == used {
			return ""
		}
		m.add(versions[i])
	}
	return m.sum(used)
}

// unchangedMedia reports whether the media of it are what its stored
// vector (media hash stored) was made from: the versions of its images,
// read with HEAD requests in order, reproduce the stored hash at some
// image. A version that cannot be read for a reason that may pass
// (Redis-like outages of S3) gives false: the item is embedded in full, and
// that path retries.
func (p *pipeline) unchangedMedia(ctx context.Context, it Item, stored string) bool {
	if stored == "" {
		return false
	}
	m := newMediaHasher(p.fuser.Hash(), it)
	if len(it.Images) == 0 {
		return m.sum(-1) == stored
	}
	vr, ok := p.objects.(VersionedReader)
	if !ok {
		return false
	}
	for i, uri := range it.Images {
		start := time.Now()
		v, err := vr.Version(ctx, uri)
		p.stats.Refresh.add(time.Since(start), 0)
		if err != nil && itemvec.IsRetryable(err) {
			return false
		}
		m.add(v) // a missing object has version "": it failed before too, or has changed
		if v != "" && m.sum(i) == stored {
			return true
		}
	}
	return false
}

// refresh re-fuses the item from its stored vector with its new behaviour
// counters. ok is false when that cannot be done (the vector is gone or of
// another spec, or the new counters are invalid): the caller embeds the
// item in full.
func (p *pipeline) refresh(it Item, hash string, stored *storage.ItemVector) (*Embedding, bool) {
	if stored == nil || stored.SpecHash != p.fuser.Hash() {
		return nil, false
	}
	start := time.Now()
	var v *fusion.Vector
	var err error
	cpu := cputime.Measure(func() { v, err = p.fuser.Refuse(stored.Vector, it.Behavior) })
	p.stats.Fusion.add(time.Since(start), 1)
	p.stats.Fusion.addCPU(cpu)
	if err != nil {
		// Invalid new counters, or a stored vector that cannot be used: the
		// full path gives the item its vector or its proper error.
		p.log.Debug("item not re-fused from its stored vector; embedding it in full", "item", it.ID, "err", err)
		return nil, false
	}
	return &Embedding{Vector: p.itemVector(it, v, hash, stored.MediaHash)}, true
}

// itemVector is what the worker publishes for it.
func (p *pipeline) itemVector(it Item, v *fusion.Vector, hash, media string) *storage.ItemVector {
	return &storage.ItemVector{
		ID:          it.ID,
		Vector:      v.Values,
		Blocks:      v.Blocks,
		Modalities:  v.Modalities,
		SpecID:      v.SpecID,
		SpecHash:    v.SpecHash,
		ContentHash: hash,
		MediaHash:   media,
		Warnings:    warningTexts(v.Warnings),
		Item:        itemJSON(&it),
		UpdatedAt:   p.now(),
	}
}

// warningTexts are ws as the item hash's warnings field holds them:
// "<code>: <message>".
func warningTexts(ws []fusion.Warning) []string {
	if len(ws) == 0 {
		return nil
	}
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Code + ": " + w.Message
	}
	return out
}
