package users

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/itemvec/itemvec"
)

// Event is one interaction of a user with an item on a device.
type Event struct {
	User   string
	Device string
	Item   string
	Action Action
	Time   time.Time
}

// eventJSON is an event's JSON line; ts is unix milliseconds or RFC 3339.
type eventJSON struct {
	User   string          `json:"user"`
	Device string          `json:"device"`
	Item   string          `json:"item"`
	Action string          `json:"action"`
	TS     json.RawMessage `json:"ts"`
}

// MarshalJSON writes the event as the line ReadEvents reads (ts in unix
// milliseconds).
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"user": e.User, "device": e.Device, "item": e.Item,
		"action": e.Action, "ts": e.Time.UnixMilli()})
}

// LineError is an event that could not be read: its line (1-based; 0 for
// a stream entry) and why.
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string {
	if e.Line == 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

// maxLine is the longest event line ReadEvents accepts.
const maxLine = 64 << 10

// ReadEvents reads JSON-lines events from r and calls fn for each good
// one, in order. A line that is not an event (bad JSON, a missing field,
// an unknown action, a bad ts) is returned as a LineError and the others
// still go through; blank lines are skipped. The error is fn's, or r's.
func ReadEvents(r io.Reader, fn func(Event) error) ([]LineError, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var bad []LineError
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		e, err := parseEvent(b)
		if err != nil {
			bad = append(bad, LineError{Line: line, Err: err})
			continue
		}
		if err := fn(e); err != nil {
			return bad, err
		}
	}
	if err := sc.Err(); err != nil {
		return bad, itemvec.Errorf(itemvec.KindBadInput, "users.ReadEvents", "after line %d: %w", line, err)
	}
	return bad, nil
}

func parseEvent(b []byte) (Event, error) {
	var j eventJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return Event{}, fmt.Errorf("not a JSON event: %w", err)
	}
	var ts string
	if len(j.TS) > 0 && j.TS[0] == '"' {
		if err := json.Unmarshal(j.TS, &ts); err != nil {
			return Event{}, fmt.Errorf("ts: %w", err)
		}
	} else {
		ts = string(j.TS)
	}
	return newEvent(j.User, j.Device, j.Item, j.Action, ts)
}

// EventFromFields reads an event from the fields of a Redis stream entry:
// user, device, item, action and ts (unix ms or RFC 3339).
func EventFromFields(f map[string]string) (Event, error) {
	return newEvent(f["user"], f["device"], f["item"], f["action"], f["ts"])
}

// Fields are the fields of e as a Redis stream entry (EventFromFields).
func (e Event) Fields() []any {
	return []any{"user", e.User, "device", e.Device, "item", e.Item, "action", string(e.Action),
		"ts", strconv.FormatInt(e.Time.UnixMilli(), 10)}
}

func newEvent(user, device, item, action, ts string) (Event, error) {
	e := Event{User: user, Device: strings.ToLower(strings.TrimSpace(device)), Item: item, Action: Action(strings.ToLower(action))}
	switch {
	case user == "":
		return e, fmt.Errorf("no user")
	case item == "":
		return e, fmt.Errorf("user %s: no item", user)
	case e.Device == "":
		return e, fmt.Errorf("user %s, item %s: no device", user, item)
	case !slices.Contains(Actions, e.Action):
		return e, fmt.Errorf("user %s, item %s: unknown action %q (known: view, click, cart, order)", user, item, action)
	case ts == "" || ts == "null":
		return e, fmt.Errorf("user %s, item %s: no ts", user, item)
	}
	if ms, err := strconv.ParseInt(ts, 10, 64); err == nil {
		e.Time = time.UnixMilli(ms)
		return e, nil
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return e, fmt.Errorf("user %s, item %s: ts %q is neither unix milliseconds nor RFC 3339", user, item, ts)
	}
	e.Time = t
	return e, nil
}
