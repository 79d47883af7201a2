package workers

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestRepeatLog(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	reg := prometheus.NewRegistry()
	r := newRepeatLog(slog.New(slog.NewTextHandler(&buf, nil)), reg, time.Minute, func() time.Time { return now })
	steps := []struct {
		after time.Duration
		key   string
		logs  string // what this occurrence logs, "" for nothing
	}{
		{0, "text_left_out", "text left out"},
		{time.Second, "text_left_out", ""},
		{time.Second, "text_left_out", ""},
		{time.Second, "item_failed:decode_corrupt", "item failed"}, // another key logs its first
		{61 * time.Second, "text_left_out", "repeated=3"},
		{time.Second, "text_left_out", ""},
	}
	for i, s := range steps {
		now = now.Add(s.after)
		buf.Reset()
		msg := "item failed"
		if s.key == "text_left_out" {
			msg = "text left out"
		}
		r.Warn(s.key, msg, "item", i)
		got := buf.String()
		if s.logs == "" && got != "" {
			t.Errorf("step %d logged %q, want nothing", i, got)
		}
		if s.logs != "" && !strings.Contains(got, s.logs) {
			t.Errorf("step %d logged %q, want it to contain %q", i, got, s.logs)
		}
	}
	if got := testutil.ToFloat64(r.counter.WithLabelValues("text_left_out")); got != 5 {
		t.Errorf("itemvec_warnings_total{warning=text_left_out} = %v, want 5", got)
	}
}
