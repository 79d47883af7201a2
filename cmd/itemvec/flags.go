package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/itemvec/itemvec/extract"
	"github.com/itemvec/itemvec/fusion"
	"github.com/itemvec/itemvec/onnx"
	"github.com/itemvec/itemvec/storage"
	"github.com/itemvec/itemvec/workers"
)

type redisFlags struct{ url string }

func (f *redisFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.url, "redis", "redis://127.0.0.1:6379/0",
		"Redis URL (redis:// or rediss://; password in the URL: redis://:secret@host:6379/0)")
}

// store connects to Redis and returns the vector store and its closer.
func (f *redisFlags) store() (*storage.VectorStore, func() error, error) {
	rdb, err := storage.NewRedisClient(f.url)
	if err != nil {
		return nil, nil, err
	}
	return storage.NewVectorStore(rdb, storage.StoreConfig{}), rdb.Close, nil
}

type s3Flags struct {
	endpoint  string
	region    string
	pathStyle bool
	maxBytes  int64
	timeout   time.Duration
}

func (f *s3Flags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.endpoint, "s3-endpoint", "", "S3 API endpoint URL (empty = AWS); e.g. http://minio:9000")
	cmd.Flags().StringVar(&f.region, "s3-region", "us-east-1", "S3 region")
	cmd.Flags().BoolVar(&f.pathStyle, "s3-path-style", false, "use path-style addressing (MinIO and most S3-compatible servers)")
	cmd.Flags().Int64Var(&f.maxBytes, "s3-max-object-bytes", 32<<20, "refuse objects larger than this (bad input, not retried)")
	cmd.Flags().DurationVar(&f.timeout, "s3-timeout", 30*time.Second, "timeout of one S3 request")
}

func (f *s3Flags) config() storage.S3Config {
	return storage.S3Config{Endpoint: f.endpoint, Region: f.region, PathStyle: f.pathStyle,
		MaxObjectBytes: f.maxBytes, Timeout: f.timeout}
}

type encoderFlags struct {
	device     string
	threads    int
	maxBatch   int
	maxWait    time.Duration
	modelsDir  string
	imageModel string
	textModel  string
	ortLib     string
	fusionSpec string
	maxPixels  int64
}

func (f *encoderFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.device, "device", "cpu", "execution provider: cpu, cuda, or auto (cuda if it loads, else cpu)")
	cmd.Flags().IntVar(&f.threads, "threads", 0, "ONNX Runtime intra-op threads (0 = ORT default: one per core)")
	cmd.Flags().IntVar(&f.maxBatch, "max-batch", 16, "micro-batcher: run the model on at most this many images at once")
	cmd.Flags().DurationVar(&f.maxWait, "max-wait", 5*time.Millisecond, "micro-batcher: run a partial batch after this wait")
	cmd.Flags().StringVar(&f.modelsDir, "models-dir", "", "folder of model files named by specs (default .deps/models, $ITEMVEC_DEPS/models)")
	cmd.Flags().StringVar(&f.imageModel, "image-model", "", "image model spec file (JSON); default: the built-in MobileNetV2 spec")
	cmd.Flags().StringVar(&f.textModel, "text-model", builtinTextModel,
		"text model: "+builtinTextModel+" (built-in Universal Sentence Encoder Lite, English), none, or a model spec file (JSON with a text section)")
	cmd.Flags().StringVar(&f.ortLib, "ort-lib", "", "path of libonnxruntime.so (default .deps/ort/libonnxruntime.so.1)")
	cmd.Flags().StringVar(&f.fusionSpec, "fusion-spec", "", "fusion spec file (JSON); default: built-in v2 (image + use-lite text + behaviour), or v1 (image + behaviour) with --text-model none")
	cmd.Flags().Int64Var(&f.maxPixels, "max-image-pixels", 0, "refuse images with more pixels than this, before decoding (0 = 50 MP)")
}

func (f *encoderFlags) encoderConfig() (workers.EncoderConfig, error) {
	dev, err := onnx.ParseDevice(f.device)
	if err != nil {
		return workers.EncoderConfig{}, err
	}
	return workers.EncoderConfig{
		ModelsDir: f.modelsDir, ImageSpecPath: f.imageModel, ORTLibrary: f.ortLib,
		Device: dev, Threads: f.threads, MaxBatch: f.maxBatch, MaxWait: f.maxWait,
	}, nil
}

func (f *encoderFlags) limits() extract.Limits { return extract.Limits{MaxPixels: f.maxPixels} }

// builtinTextModel names the built-in text model spec for --text-model.
const builtinTextModel = "use-lite"

func (f *encoderFlags) fusion() (*fusion.Spec, error) {
	switch {
	case f.fusionSpec != "":
		return fusion.LoadSpec(f.fusionSpec)
	case f.textModel == "none":
		return fusion.DefaultSpec(), nil
	case f.textModel == builtinTextModel:
		return fusion.DefaultTextSpec(), nil
	default:
		return nil, fmt.Errorf("--text-model %s needs a fusion spec whose text block names it: pass --fusion-spec (see README, 'Text models')", f.textModel)
	}
}

// models is what open loads: the image encoder, the text model (nil when
// none is configured) and the fusion spec checked against both.
type models struct {
	image  *workers.Encoder
	text   *workers.TextModel
	fusion *fusion.Spec
}

func (m *models) textID() string {
	if m.text == nil {
		return "none"
	}
	return m.text.Spec.ID
}

func (m *models) Close() {
	if m.text != nil {
		m.text.Close()
	}
	m.image.Close()
}

// open loads the models and checks the fusion spec against them.
func (f *encoderFlags) open(ctx context.Context) (*models, error) {
	cfg, err := f.encoderConfig()
	if err != nil {
		return nil, err
	}
	fs, err := f.fusion()
	if err != nil {
		return nil, err
	}
	m := &models{fusion: fs}
	if m.image, err = workers.OpenEncoder(ctx, cfg); err != nil {
		return nil, err
	}
	switch f.textModel {
	case "none", "":
	case builtinTextModel:
		m.text, err = workers.OpenTextModelSpec(ctx, onnx.DefaultTextSpec(), cfg)
	default:
		m.text, err = workers.OpenTextModel(ctx, f.textModel, cfg)
	}
	if err != nil {
		m.image.Close()
		return nil, err
	}
	if err := workers.CheckFusion(fs, m.image, m.text); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}
