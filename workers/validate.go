package workers

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/itemvec/itemvec"
	"github.com/itemvec/itemvec/storage"
)

// MaxIDLength bounds item ids: they become part of a Redis key.
const MaxIDLength = 256

// badItem is the error of an item that cannot be processed as given: bad
// input, never retried.
func badItem(format string, args ...any) error {
	return itemvec.Errorf(itemvec.KindBadInput, "workers.ValidateItem", format, args...)
}

func errDuplicateID() error {
	return itemvec.E(itemvec.KindBadInput, "workers.Process",
		errors.New("the same id appears twice in one task; the first occurrence was used"))
}

// validateID checks that id can name a Redis key of the contract.
func validateID(id string) error {
	switch {
	case id == "":
		return badItem("item has no id")
	case len(id) > MaxIDLength:
		return badItem("id is %d bytes, over the %d limit", len(id), MaxIDLength)
	case !utf8.ValidString(id):
		return badItem("id is not valid UTF-8")
	case strings.ContainsAny(id, " \t\r\n"):
		return badItem("id %q contains whitespace", id)
	}
	return nil
}

// ValidateItem checks what can be checked of an item without I/O: its id,
// that it has something to embed, its image URIs and the encoding of its
// texts. The enqueuer checks manifests with it before anything reaches the
// queue, and the worker again before embedding. Every error is an
// itemvec.KindBadInput error.
func ValidateItem(it Item) error {
	if err := validateID(it.ID); err != nil {
		return err
	}
	if len(it.Images) == 0 && it.Behavior == nil && it.Text == nil {
		return badItem("item has no images, text or behaviour: nothing to embed")
	}
	for _, uri := range it.Images {
		if _, _, err := storage.ParseURI(uri); err != nil {
			return badItem("image %q: %v", uri, err)
		}
	}
	if it.Text != nil && (!utf8.ValidString(it.Text.Title) || !utf8.ValidString(it.Text.Description)) {
		return badItem("text is not valid UTF-8")
	}
	return nil
}
